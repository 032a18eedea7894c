"""A practitioner's iCal feed with a year of shifts and referrals, served through the API.

Builds one CPTS in a fresh SQLite file with one published rotation per month of 2027 and,
for each row of the table, a practitioner on call on the given weekdays all year with
referrals booked into every shift; then times full renders (200) and conditional hits (304)
through the HTTP app (FastAPI TestClient, in process):

    .venv/bin/python bench/feeds.py [--renders 200]

Prints a Markdown table (milliseconds per request, feed size).
"""

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth import Principal
from app.clock import get_now
from app.config import Settings
from app.cpts.models import Cpts
from app.db import make_engine, make_session_factory
from app.feeds.service import issue_practitioner_feed
from app.main import create_app
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.referrals.models import Referral
from app.rotations.models import Rotation, RotationStatus, Shift
from app.schema import upgrade
from app.slots.models import Slot
from app.users.models import Role

YEAR = 2027
NOW = datetime(YEAR, 1, 1, 8, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Load:
    """One table row: on call on ``weekdays`` (0 = Monday) all year, referrals per shift."""

    label: str
    weekdays: tuple[int, ...]
    referrals_per_shift: int


LOADS = (
    Load("2 afternoons a week (a busy GP)", (1, 3), 2),
    Load("every weekday (stress)", (0, 1, 2, 3, 4), 2),
)


def months() -> list[tuple[date, date]]:
    """The first and last day of each month of the year."""
    starts = [date(YEAR, m, 1) for m in range(1, 13)] + [date(YEAR + 1, 1, 1)]
    return [(a, b - timedelta(days=1)) for a, b in pairwise(starts)]


def afternoon(day: date, hour: int) -> datetime:
    """``hour`` o'clock local on ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


def publish_year(session: Session, cpts_id: int) -> dict[date, int]:
    """One published rotation per month; returns the rotation id of each day."""
    rotation_of: dict[date, int] = {}
    for first, last in months():
        rotation = Rotation(
            cpts_id=cpts_id,
            period_start=first,
            period_end=last,
            status=RotationStatus.published.value,
            published_at=NOW,
        )
        session.add(rotation)
        session.flush()
        for offset in range((last - first).days + 1):
            rotation_of[first + timedelta(days=offset)] = rotation.id
    return rotation_of


def book_shift(session: Session, shift: Shift, *, pharmacy_id: int, count: int) -> None:
    """``count`` booked 15-minute slots at the start of the shift, each with a referral."""
    for n in range(count):
        starts_at = shift.starts_at + timedelta(minutes=15 * n)
        slot = Slot(
            cpts_id=shift.cpts_id,
            shift_id=shift.id,
            practitioner_id=shift.practitioner_id,
            profession="gp",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=15),
            status="booked",
        )
        session.add(slot)
        session.flush()
        session.add(
            Referral(
                cpts_id=shift.cpts_id,
                slot_id=slot.id,
                pharmacy_id=pharmacy_id,
                practitioner_id=shift.practitioner_id,
                idempotency_key=f"bench-{slot.id}",
                request_fingerprint="0" * 64,
                mode="in_practice",
                profession="gp",
                slot_starts_at=starts_at,
                patient_display_name="M. D.",
                patient_phone="0612345678",
                patient_birth_year=1980,
                reason_category="infection",
            )
        )


def on_call_year(
    session: Session, load: Load, *, pharmacy: Pharmacy, rotation_of: dict[date, int]
) -> int:
    """A practitioner on call per ``load`` all year; returns their id."""
    cpts_id = pharmacy.cpts_id
    practitioner = Practitioner(
        cpts_id=cpts_id,
        rpps=f"{10000000000 + len(load.weekdays)}",
        first_name="Claire",
        last_name=f"Martin {len(load.weekdays)}",
        profession="gp",
        practice_address="12 rue de la République, 69200 Vénissieux",
    )
    session.add(practitioner)
    session.flush()
    for day, rotation_id in rotation_of.items():
        if day.weekday() not in load.weekdays:
            continue
        shift = Shift(
            cpts_id=cpts_id,
            rotation_id=rotation_id,
            practitioner_id=practitioner.id,
            profession="gp",
            day=day,
            block="afternoon",
            starts_at=afternoon(day, 14),
            ends_at=afternoon(day, 20),
        )
        session.add(shift)
        session.flush()
        book_shift(session, shift, pharmacy_id=pharmacy.id, count=load.referrals_per_shift)
    return practitioner.id


def feed_paths(session: Session) -> list[str]:
    """Build the territory and the practitioners of ``LOADS``; their feed paths."""
    cpts = Cpts(name="CPTS Bench", timezone=ZONE.key)
    session.add(cpts)
    session.flush()
    pharmacy = Pharmacy(cpts_id=cpts.id, finess="690000000", name="Pharmacie du Centre")
    session.add(pharmacy)
    session.flush()
    rotation_of = publish_year(session, cpts.id)
    coordinator = Principal(
        user_id=0, cpts_id=cpts.id, role=Role.coordinator, practitioner_id=None, pharmacy_id=None
    )
    paths = []
    for load in LOADS:
        practitioner_id = on_call_year(session, load, pharmacy=pharmacy, rotation_of=rotation_of)
        _, secret = issue_practitioner_feed(
            session, principal=coordinator, practitioner_id=practitioner_id, now=NOW
        )
        paths.append(f"/ical/practitioners/{secret}.ics")
    session.commit()
    return paths


def timed(
    client: TestClient, path: str, *, renders: int, expected: int, headers: dict[str, str]
) -> list[float]:
    """Milliseconds of ``renders`` GETs of ``path``, each checked for its status code."""
    spent = []
    for _ in range(renders):
        start = time.perf_counter()
        status = client.get(path, headers=headers).status_code
        spent.append((time.perf_counter() - start) * 1000)
        assert status == expected, status
    return spent


def p(values: list[float], q: int) -> float:
    """The ``q``-th percentile."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    """Build the data, time the feeds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        with engine.begin() as conn:
            upgrade(connection=conn)
        factory = make_session_factory(engine)
        with factory() as session:
            paths = feed_paths(session)
        app = create_app(Settings(run_jobs=False, log_level="warning"), session_factory=factory)
        app.dependency_overrides[get_now] = lambda: NOW
        print(f"iCal feed of one practitioner for {YEAR}, SQLite, {args.renders} requests each\n")
        print("| load | events | size | 200 p50 ms | 200 p99 ms | 304 p50 ms | 304 p99 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        with TestClient(app) as client:
            for load, path in zip(LOADS, paths, strict=True):
                first = client.get(path)
                etag = {"If-None-Match": first.headers["etag"]}
                full = timed(client, path, renders=args.renders, expected=200, headers={})
                cached = timed(client, path, renders=args.renders, expected=304, headers=etag)
                events = first.text.count("BEGIN:VEVENT")
                print(
                    f"| {load.label} | {events} | {len(first.content) / 1024:.0f} KiB "
                    f"| {p(full, 50):.1f} | {p(full, 99):.1f} "
                    f"| {p(cached, 50):.1f} | {p(cached, 99):.1f} |"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
