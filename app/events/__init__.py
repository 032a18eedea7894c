"""The live event stream: events written in their transaction, pushed after its commit."""
