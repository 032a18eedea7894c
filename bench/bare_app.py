"""A bare FastAPI endpoint: the yardstick the slot search is measured against."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> list[dict[str, int]]:
    """A small constant JSON list, no database, no authentication."""
    return [{"slot_id": n} for n in range(3)]
