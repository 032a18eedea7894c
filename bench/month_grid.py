"""The month grid for the demo territory (120 practitioners, 3 sectors), server time only.

Seeds the demo territory in a fresh SQLite file (or a PostgreSQL schema) with its rotation
published from the first day of next month for four weeks, signs a coordinator and a
practitioner in through e-mailed links, then renders, in one process, the coordinator's
month (``GET /coordination/mois/YYYY-MM``), the same filtered to one profession, and the
shared planning (``GET /planning/YYYY-MM``). Server time is measured by the ASGI wrapper of
``bench/web.py`` (from the request's arrival to the last byte of its answer):

    .venv/bin/python bench/month_grid.py [--renders 100] [--database-url URL]

Prints a Markdown table; the bar is a p95 under 150 ms.
"""

import argparse
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.demo import seed_demo
from app.main import create_app
from app.schema import upgrade
from bench.databases import bench_database, drop_bench_schema
from bench.web import ServerTimer, percentile, sign_in

BAR_MS = 150.0


def prepare(url: str, first: date) -> tuple[Any, dict[str, str], int, int]:
    """Seed the demo with four weeks published from ``first``; return the app, the
    coordinator's API headers, and a coordinator's and a practitioner's invited user ids."""
    engine = make_engine(url)
    with engine.begin() as conn:
        upgrade(connection=conn)
    factory = make_session_factory(engine)
    with factory() as session:
        tokens = seed_demo(session, today=first)
        session.commit()
    app = create_app(Settings(run_jobs=False, run_notifier=False), session_factory=factory)
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {tokens.coordinator}"}
    practitioner = client.get("/v1/practitioners", headers=headers, params={"limit": 1})
    users = []
    for role, extra in (
        ("coordinator", {}),
        ("practitioner", {"practitioner_id": practitioner.json()["items"][0]["id"]}),
    ):
        user = client.post(
            "/v1/users",
            headers=headers,
            json={"role": role, "display_name": f"Bench {role}", **extra},
        )
        assert user.status_code == 201, user.text
        client.post(
            f"/v1/users/{user.json()['id']}/invitations",
            headers=headers,
            json={"email": f"{role}@bench.example"},
        ).raise_for_status()
        users.append(int(user.json()["id"]))
    return app, headers, users[0], users[1]


def run(
    app: Any, coordinator: int, practitioner: int, month: str, renders: int
) -> tuple[ServerTimer, dict[str, int]]:
    """Render each page ``renders`` times, taking turns; also returns the shifts each shows."""
    timer = ServerTimer(app)
    shown: dict[str, int] = {}
    desk, phone = TestClient(timer), TestClient(timer)  # type: ignore[arg-type]
    sign_in(desk, app, coordinator)
    sign_in(phone, app, practitioner)
    pages = {
        "coordinator's month": (desk, f"/coordination/mois/{month}", {}),
        "coordinator's month, GPs": (desk, f"/coordination/mois/{month}", {"profession": "gp"}),
        "shared planning": (phone, f"/planning/{month}", {}),
    }
    for _ in range(renders):
        for label, (client, url, params) in pages.items():
            page = timer.measure(label, lambda c=client, u=url, p=params: c.get(u, params=p))
            assert page.status_code == 200, page.text
            shown[label] = page.text.count('class="who"')
    return timer, shown


def main() -> None:
    """Prepare, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    url, schema = bench_database(args.database_url, "bench-month-")
    try:
        app, _, coordinator, practitioner = prepare(url, first)
        timer, shown = run(app, coordinator, practitioner, f"{first:%Y-%m}", args.renders)
    finally:
        drop_bench_schema(args.database_url, schema)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"month grid, demo territory (120 practitioners), {backend}, server time (ms)")
    print("| page | shifts shown | renders | p50 | p95 | max | under 150 ms at p95 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, values in timer.times.items():
        p95 = percentile(values, 0.95)
        print(
            f"| {label} | {shown[label]} | {len(values)} | {statistics.median(values):.1f} "
            f"| {p95:.1f} | {max(values):.1f} | {'yes' if p95 < BAR_MS else 'NO'} |"
        )


if __name__ == "__main__":
    main()
