"""Rate limits shared by every process through the database (see ``limiter``)."""
