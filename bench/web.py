"""The pharmacist's page against the API it shares its services with, server time only.

Loads the demo territory (120 practitioners, 12 pharmacies, 3 sectors) in a fresh SQLite
file (or a PostgreSQL schema), keeps 48 free slots per shift, solves and publishes four
weeks from today, signs a pharmacist in through an e-mailed link, then alternates, in one
process and one run, the page and the API for the same work:

- search: ``GET /orienter?profession=gp&quand=24h`` (the results and the pharmacy's
  referrals of the day) against the two API calls that give the same:
  ``GET /v1/referrals?from=today`` and ``GET /v1/slots?profession=gp``
- booking: ``POST /orienter/reserver`` (the patient form) against ``POST /v1/referrals``

Each round is one of the 12 pharmacies' (a pharmacist per pharmacy), so each counter's list
of the day holds that pharmacy's referrals only.
Server time is measured by an ASGI wrapper around the app (from the request's arrival to the
last byte of its answer), so the client's own cost is left out:

    .venv/bin/python bench/web.py [--rounds 150] [--database-url URL]

Prints a Markdown table and the page/API ratio of the p95s (the bar is 1.5).
"""

import argparse
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.demo import seed_demo
from app.main import create_app
from app.notifications.models import Notification
from app.rotations.jobs import JobRunner
from app.schema import upgrade
from bench.databases import bench_database, drop_bench_schema

T = TypeVar("T")
ZONE = ZoneInfo("Europe/Paris")  # the demo territory's
Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]
PATIENT = {"display_name": "M. D.", "birth_year": 1984, "phone": "0612345678"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class ServerTimer:
    """An ASGI wrapper adding up the server time of the requests of one measured step."""

    def __init__(self, app: ASGI) -> None:
        self.app = app
        self.step = 0.0
        self.times: dict[str, list[float]] = defaultdict(list)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.step += (time.perf_counter() - started) * 1000

    def measure(self, label: str, work: Callable[[], T]) -> T:
        """Run ``work`` (one or more requests) and record their summed server time."""
        self.step = 0.0
        result = work()
        self.times[label].append(self.step)
        return result


def prepare(url: str) -> tuple[Any, list["Pharmacist"]]:
    """Seed, publish four weeks with 48 free slots per shift; return the app and one
    pharmacist per pharmacy."""
    engine = make_engine(url)
    with engine.begin() as conn:
        upgrade(connection=conn)
    factory = make_session_factory(engine)
    with factory() as session:
        # The demo publishes four weeks from the day it is given: put those weeks in the past,
        # so that the bench publishes its own weeks from today with 48 free slots per shift.
        tokens = seed_demo(session, today=date.today() - timedelta(days=70))
        session.commit()
    app = create_app(Settings(run_jobs=False, run_notifier=False), session_factory=factory)
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {tokens.coordinator}"}
    client.patch(
        "/v1/settings",
        headers=headers,
        json={
            "professions": [
                {"profession": p, "slot_minutes": 5, "free_slots_per_shift": 48}
                for p in ("gp", "physio", "nurse")
            ]
        },
    ).raise_for_status()
    period = {
        "period_start": date.today().isoformat(),
        "period_end": (date.today() + timedelta(days=27)).isoformat(),
    }
    rotation = client.post("/v1/rotations", headers=headers, json=period).json()
    solving = client.post(
        f"/v1/rotations/{rotation['id']}/solve", headers=headers, json={"time_limit_s": 30}
    )
    assert solving.status_code == 202, solving.text
    runner = JobRunner(factory)
    try:
        assert runner.run_pending() == 1
    finally:
        runner.stop()
    job = client.get(f"/v1/jobs/{solving.json()['id']}", headers=headers).json()
    assert job["status"] == "done", job
    published = client.post(f"/v1/rotations/{rotation['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text
    pharmacists = []
    pharmacies = client.get("/v1/pharmacies", headers=headers, params={"limit": 200}).json()
    for pharmacy in pharmacies["items"]:
        user = client.post(
            "/v1/users",
            headers=headers,
            json={"role": "pharmacist", "display_name": "Bench", "pharmacy_id": pharmacy["id"]},
        ).json()
        token = client.post(
            f"/v1/users/{user['id']}/tokens", headers=headers, json={"label": "bench"}
        ).json()["token"]
        client.post(
            f"/v1/users/{user['id']}/invitations",
            headers=headers,
            json={"email": f"pharmacie{pharmacy['id']}@bench.example"},
        ).raise_for_status()
        pharmacists.append(Pharmacist(user_id=user["id"], token=token))
    return app, pharmacists


@dataclass(frozen=True)
class Pharmacist:
    """One pharmacy's pharmacist: a user with an API token and an e-mailed invitation."""

    user_id: int
    token: str


def sign_in(client: TestClient, app: Any, user_id: int) -> None:
    """Use the invitation link from the outbox in the page client."""
    with app.state.session_factory() as session:
        body = session.scalars(
            select(Notification.body).where(Notification.user_id == user_id)
        ).all()[-1]
    secret = re.search(r"/connexion/lien/(\S+)", body).group(1)  # type: ignore[union-attr]
    page = client.get(f"/connexion/lien/{secret}")
    csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    client.post(f"/connexion/lien/{secret}", data={"csrf": csrf}).raise_for_status()


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _search_page(page: TestClient) -> Any:
    found = page.get("/orienter", params={"profession": "gp", "quand": "24h"})
    assert found.status_code == 200
    return found


def _search_api(api: TestClient, bearer: dict[str, str], today: str) -> Any:
    listed = api.get("/v1/referrals", params={"from": today}, headers=bearer)
    assert listed.status_code == 200
    return api.get("/v1/slots", params={"profession": "gp"}, headers=bearer).json()["items"]


def run(app: Any, pharmacists: list[Pharmacist], rounds: int) -> ServerTimer:
    """Alternate page and API calls of the same work, ``rounds`` times each, each round at
    the next pharmacy (so each counter's list of the day stays a pharmacy's day)."""
    timer = ServerTimer(app)
    midnight = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    today = midnight.isoformat()
    counters = []
    for pharmacist in pharmacists:
        page = TestClient(timer)  # type: ignore[arg-type]
        sign_in(page, app, pharmacist.user_id)
        counters.append((page, {"Authorization": f"Bearer {pharmacist.token}"}))
    api = TestClient(timer)  # type: ignore[arg-type]
    for n in range(rounds):
        page, bearer = counters[n % len(counters)]

        search_page = partial(_search_page, page)
        search_api = partial(_search_api, api, bearer, today)

        # Whoever searches first after a booking rebuilds the slot snapshot: take turns.
        if n % 2:
            offers = timer.measure("search: API", search_api)
            timer.measure("search: page", search_page)
        else:
            timer.measure("search: page", search_page)
            offers = timer.measure("search: API", search_api)
        assert isinstance(offers, list) and len(offers) >= 2, offers
        form = page.get(f"/orienter/creneaux/{offers[0]['slot_id']}")
        csrf = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        patient_form = {
            "csrf": csrf,
            "idem": f"page-{n:06d}",
            "slot_id": offers[0]["slot_id"],
            "mode": "in_practice",
            "reason_category": "infection",
            **PATIENT,
        }
        booked = timer.measure(
            "booking: page",
            partial(page.post, "/orienter/reserver", data=patient_form, follow_redirects=False),
        )
        assert booked.status_code == 303, booked.text
        referral = timer.measure(
            "booking: API",
            partial(
                api.post,
                "/v1/referrals",
                headers={**bearer, "Idempotency-Key": f"api-{n:06d}"},
                json={
                    "slot_id": offers[1]["slot_id"],
                    "patient": PATIENT,
                    "reason_category": "infection",
                },
            ),
        )
        assert referral.status_code == 201, referral.text
    return timer


def main() -> None:
    """Prepare, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url, schema = bench_database(args.database_url, "bench-web-")
    try:
        app, pharmacists = prepare(url)
        timer = run(app, pharmacists, args.rounds)
    finally:
        drop_bench_schema(args.database_url, schema)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"pharmacist page against the API on {backend}, {args.rounds} rounds, server time (ms)")
    print("| work | calls | p50 | p95 | p95 page / p95 API |")
    print("| --- | --- | --- | --- | --- |")
    for work in ("search", "booking"):
        page, api = timer.times[f"{work}: page"], timer.times[f"{work}: API"]
        ratio = percentile(page, 0.95) / percentile(api, 0.95)
        for label, values in ((f"{work}: API", api), (f"{work}: page", page)):
            shown = f"{ratio:.2f}" if label.endswith("page") else ""
            print(
                f"| {label} | {len(values)} | {statistics.median(values):.1f} "
                f"| {percentile(values, 0.95):.1f} | {shown} |"
            )


if __name__ == "__main__":
    main()
