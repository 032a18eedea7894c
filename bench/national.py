"""A national-size dataset on PostgreSQL, and the query plans of the hot reads on it.

    .venv/bin/python -m bench.national [--database-url URL] [--cpts 800] [--practitioners 150]
                                       [--days 365] [--pharmacies 25] [--explain-only]

Creates the database named in ``--database-url`` when missing (default ``national`` on the
local server), builds its schema with the project's migrations, then fills it through
``COPY`` (psycopg 3): ``--cpts`` territories of ``--practitioners`` practitioners each
(half GPs, a fifth physios, the rest nurses, in four sectors), ``--pharmacies`` pharmacies
with one pharmacist account each, a coordinator, an account per practitioner, coverage rules,
and ``--days`` of published four-week rotations around today (three quarters past, a quarter
ahead): per day a GP per sector, a physio and a nurse on call 14:00-20:00, each shift with
its free slots (3 of 20 min for GPs, 2 of 30 for the others); past slots mostly booked by
referrals (seen, no-show, cancelled, identity purged after 30 days), future ones partly.
Data are generated CPTS by CPTS (same seed, same data) and refused on a database that
already holds CPTS, unless ``--explain-only`` (only the plans) or ``--replace`` (drop and
recreate the database).

Then, for one CPTS in the middle, it calls the services behind slot search, referral lists
(pharmacy, practitioner, coordinator), both calendar feeds, a practitioner's slots and the
monthly indicators, records every SELECT they send, and prints for each its
``EXPLAIN (ANALYZE, BUFFERS)``'s plan nodes (index or sequential scans, sorts, joins), its
execution time and its buffers. ``--without-index NAME`` shows the plans as they were
before an index (dropped inside a transaction rolled back afterwards).
"""

import argparse
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from sqlalchemy import Engine, event, make_url, select, text
from sqlalchemy.orm import Session

from app.auth import Principal
from app.cpts.models import Cpts
from app.db import make_engine, make_session_factory
from app.feeds.content import cpts_calendar, practitioner_calendar
from app.feeds.models import FeedKind, FeedToken
from app.identifiers import with_luhn_key
from app.pagination import PageParams
from app.referrals.service import list_referrals
from app.schema import upgrade
from app.slots.search import take_snapshot
from app.slots.service import practitioner_slots, slot_starts
from app.stats.period import Period
from app.stats.service import compute_stats
from app.users.models import Role

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/national"
TIMEZONE = "Europe/Paris"
ZONE = ZoneInfo(TIMEZONE)
BLOCK = "14:00-20:00"
SECTORS = ("Nord", "Est", "Sud", "Ouest")
ROTATION_DAYS = 28
RETENTION_DAYS = 30
SLOT_RULES = {"gp": (20, 3), "physio": (30, 2), "nurse": (30, 2)}
"""Per profession: slot minutes and free slots per shift."""
DAY_KINDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
REASONS = ("infection", "acute_pain", "minor_trauma", "skin", "respiratory", "digestive")
FIRST_NAMES = ("Camille", "Léa", "Hugo", "Karim", "Inès", "Paul", "Nadia", "Louis", "Élodie")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Haddad", "Nguyen", "Moreau", "Roux", "Blanc")


@dataclass(frozen=True)
class Scale:
    """How big the dataset is."""

    cpts: int
    practitioners: int
    pharmacies: int
    days: int
    seed: int = 1


@dataclass(frozen=True)
class Day:
    """One on-call day: its rotation's index, and its shift's and slots' UTC instants."""

    day: date
    rotation: int
    starts_at: datetime
    ends_at: datetime
    slots: dict[str, list[tuple[datetime, datetime]]]


@dataclass
class Ids:
    """The next id of every table filled (ids are given by the generator, sequences set after)."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, count: int = 1) -> int:
        """Reserve ``count`` ids of ``table``; the first of them."""
        first = self.next.get(table, 1)
        self.next[table] = first + count
        return first


@dataclass
class Rows:
    """The rows of one batch of CPTS, by table, in COPY column order."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        """One more row of ``table``."""
        self.tables.setdefault(table, []).append(row)


COLUMNS = {
    "cpts": "id name timezone oncall_start oncall_end blocks min_notice_minutes retention_days "
    "min_rest_days allow_multiple_blocks_per_day swap_requires_approval created_at updated_at",
    "profession_settings": "id cpts_id profession slot_minutes free_slots_per_shift",
    "sectors": "id cpts_id name communes created_at updated_at",
    "practitioners": "id cpts_id rpps first_name last_name profession phone practice_address "
    "latitude longitude home_visits teleconsultation max_shifts_per_month max_shifts_per_week "
    "fte active created_at updated_at",
    "practitioner_sectors": "practitioner_id sector_id",
    "pharmacies": "id cpts_id finess name address phone latitude longitude sector_id "
    "created_at updated_at",
    "users": "id cpts_id role display_name practitioner_id pharmacy_id active created_at "
    "updated_at",
    "coverage_rules": "id cpts_id day_kind profession sector_id required created_at updated_at",
    "rotations": "id cpts_id period_start period_end status published_at created_at updated_at",
    "shifts": "id cpts_id rotation_id practitioner_id profession sector_id day block starts_at "
    "ends_at locked status sequence created_at updated_at",
    "slots": "id cpts_id shift_id practitioner_id profession sector_id starts_at ends_at status "
    "created_at updated_at",
    "referrals": "id cpts_id slot_id pharmacy_id practitioner_id booked_by idempotency_key "
    "request_fingerprint status mode profession slot_starts_at patient_display_name "
    "patient_phone patient_birth_year reason_category cancelled_at outcome_at purged_at "
    "created_at updated_at",
}


def libpq_url(url: str) -> str:
    """The psycopg (libpq) form of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(url: str, *, replace: bool) -> None:
    """Create the URL's database when missing (dropped first with ``replace``)."""
    target = make_url(url)
    admin = libpq_url(url.replace(f"/{target.database}", "/postgres", 1))
    with psycopg.connect(admin, autocommit=True) as conn:
        name = sql.Identifier(str(target.database))
        if replace:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def calendar_days(today: date, scale: Scale) -> list[Day]:
    """The dataset's days: three quarters before today, a quarter from today on."""
    first = today - timedelta(days=scale.days * 3 // 4)
    days = []
    for index in range(scale.days):
        day = first + timedelta(days=index)
        start = datetime(day.year, day.month, day.day, 14, tzinfo=ZONE).astimezone(UTC)
        end = datetime(day.year, day.month, day.day, 20, tzinfo=ZONE).astimezone(UTC)
        slots = {}
        for profession, (minutes, count) in SLOT_RULES.items():
            starts = slot_starts(start, end, slot_minutes=minutes, count=count)
            slots[profession] = [(s, s + timedelta(minutes=minutes)) for s in starts]
        days.append(Day(day, index // ROTATION_DAYS, start, end, slots))
    return days


def headcounts(practitioners: int) -> dict[str, int]:
    """Practitioners per profession: half GPs (a GP per sector at least), a fifth physios."""
    gp = max(len(SECTORS), practitioners // 2)
    physio = max(1, practitioners // 5)
    return {"gp": gp, "physio": physio, "nurse": max(1, practitioners - gp - physio)}


def generate_cpts(
    rows: Rows, ids: Ids, *, index: int, scale: Scale, days: Sequence[Day], now: datetime
) -> None:
    """Every row of one CPTS (``index`` seeds its randomness)."""
    rng = random.Random(scale.seed * 1_000_003 + index)
    created = now - timedelta(days=scale.days)
    centre = (43.0 + rng.random() * 7.0, -1.0 + rng.random() * 8.0)
    cpts_id = ids.take("cpts")
    rows.add(
        "cpts",
        (
            cpts_id,
            f"CPTS {index + 1:03d}",
            TIMEZONE,
            "14:00",
            "20:00",
            "[]",
            30,
            RETENTION_DAYS,
            1,
            False,
            False,
            created,
            created,
        ),
    )
    for profession, (minutes, count) in SLOT_RULES.items():
        setting = (ids.take("profession_settings"), cpts_id, profession, minutes, count)
        rows.add("profession_settings", setting)
    sectors = []
    for name in SECTORS:
        sector_id = ids.take("sectors")
        sectors.append(sector_id)
        communes = f'["{name} {index + 1}"]'
        rows.add("sectors", (sector_id, cpts_id, name, communes, created, created))
    coordinator = ids.take("users")
    account = (True, created, created)
    rows.add("users", (coordinator, cpts_id, "coordinator", "Coordination", None, None, *account))

    def near() -> tuple[float, float]:
        return (
            round(centre[0] + rng.uniform(-0.05, 0.05), 5),
            round(centre[1] + rng.uniform(-0.05, 0.05), 5),
        )

    by_profession: dict[str, list[tuple[int, int]]] = {}
    serial = 0
    for profession, count in headcounts(scale.practitioners).items():
        for number in range(count):
            serial += 1
            pid = ids.take("practitioners")
            sector = sectors[number % len(sectors)]
            by_profession.setdefault(profession, []).append((pid, sector))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            lat, lon = near()
            rows.add(
                "practitioners",
                (
                    pid,
                    cpts_id,
                    with_luhn_key(f"1{index:04d}{serial:05d}"),
                    first,
                    last,
                    profession,
                    "04 72 00 00 00",
                    f"{serial} rue de la Santé",
                    lat,
                    lon,
                    profession != "physio" and rng.random() < 0.4,
                    profession == "gp",
                    6,
                    2,
                    1.0,
                    True,
                    created,
                    created,
                ),
            )
            rows.add("practitioner_sectors", (pid, sector))
            user = ids.take("users")
            name = f"{first} {last}"
            rows.add("users", (user, cpts_id, "practitioner", name, pid, None, *account))
    pharmacists = []
    for number in range(scale.pharmacies):
        pharmacy = ids.take("pharmacies")
        lat, lon = near()
        rows.add(
            "pharmacies",
            (
                pharmacy,
                cpts_id,
                with_luhn_key(f"{index:04d}{number:04d}"),
                f"Pharmacie {number}",
                f"{number} place du Marché",
                "04 78 00 00 00",
                lat,
                lon,
                sectors[number % len(sectors)],
                created,
                created,
            ),
        )
        user = ids.take("users")
        name = f"Officine {number}"
        rows.add("users", (user, cpts_id, "pharmacist", name, None, pharmacy, *account))
        pharmacists.append((pharmacy, user))
    for kind in DAY_KINDS:
        scopes: list[tuple[str, int | None]] = [("gp", s) for s in sectors]
        for profession, scope in [*scopes, ("physio", None), ("nurse", None)]:
            rule = (ids.take("coverage_rules"), cpts_id, kind, profession, scope, 1)
            rows.add("coverage_rules", (*rule, created, created))
    rotations = []
    for number in range(days[-1].rotation + 1):
        rotation = ids.take("rotations")
        rotations.append(rotation)
        chunk = [d.day for d in days if d.rotation == number]
        published = datetime.combine(chunk[0], datetime.min.time(), UTC) - timedelta(days=14)
        rows.add(
            "rotations",
            (rotation, cpts_id, chunk[0], chunk[-1], "published", published, published, published),
        )
    _shifts(rows, ids, rng, cpts_id, days, rotations, by_profession, pharmacists, now)


def _shifts(
    rows: Rows,
    ids: Ids,
    rng: random.Random,
    cpts_id: int,
    days: Sequence[Day],
    rotations: list[int],
    by_profession: dict[str, list[tuple[int, int]]],
    pharmacists: list[tuple[int, int]],
    now: datetime,
) -> None:
    gps_by_sector: dict[int, list[int]] = {}
    for pid, home in by_profession["gp"]:
        gps_by_sector.setdefault(home, []).append(pid)
    for number, day in enumerate(days):
        on_call: list[tuple[str, int, int | None]] = [
            ("gp", people[number % len(people)], sector) for sector, people in gps_by_sector.items()
        ]
        for profession in ("physio", "nurse"):
            people = by_profession[profession]
            on_call.append((profession, people[number % len(people)][0], None))
        published = day.starts_at - timedelta(days=30)
        for profession, pid, sector in on_call:
            shift = ids.take("shifts")
            rows.add(
                "shifts",
                (
                    shift,
                    cpts_id,
                    rotations[day.rotation],
                    pid,
                    profession,
                    sector,
                    day.day,
                    BLOCK,
                    day.starts_at,
                    day.ends_at,
                    False,
                    "active",
                    0,
                    published,
                    published,
                ),
            )
            for starts_at, ends_at in day.slots[profession]:
                slot = (ids.take("slots"), cpts_id, shift, pid, profession, sector, starts_at)
                _slot(rows, ids, rng, (*slot, ends_at), pharmacists, now, published)


def _slot(
    rows: Rows,
    ids: Ids,
    rng: random.Random,
    slot: tuple[Any, ...],
    pharmacists: list[tuple[int, int]],
    now: datetime,
    created: datetime,
) -> None:
    """One slot, booked (with its referral), blocked or open (a past one maybe with a
    cancelled referral): past slots mostly booked, the next 48 hours' a third, later less."""
    starts_at = slot[6]
    past = starts_at < now
    booked_share = 0.55 if past else (0.3 if starts_at < now + timedelta(hours=48) else 0.1)
    draw = rng.random()
    status = "booked" if draw < booked_share else ("blocked" if draw > 0.97 else "open")
    rows.add("slots", (*slot, status, created, created))
    if status == "booked":
        outcome = rng.random() if past else 1.0
        referral_status = "seen" if outcome < 0.85 else ("no_show" if outcome < 0.95 else "booked")
        _referral(rows, ids, rng, slot, referral_status, pharmacists, now)
    elif status == "open" and past and rng.random() < 0.05:
        _referral(rows, ids, rng, slot, "cancelled", pharmacists, now)


def _referral(
    rows: Rows,
    ids: Ids,
    rng: random.Random,
    slot: tuple[Any, ...],
    status: str,
    pharmacists: list[tuple[int, int]],
    now: datetime,
) -> None:
    slot_id, cpts_id, _, pid, profession, _, starts_at, ends_at = slot
    pharmacy, user = pharmacists[rng.randrange(len(pharmacists))]
    referral = ids.take("referrals")
    booked_at = min(starts_at - timedelta(minutes=rng.randint(40, 1800)), now)
    purged = starts_at + timedelta(days=RETENTION_DAYS)
    kept = purged > now
    outcome_at = ends_at if status in ("seen", "no_show") else None
    cancelled_at = booked_at + timedelta(minutes=20) if status == "cancelled" else None
    rows.add(
        "referrals",
        (referral, cpts_id, slot_id, pharmacy, pid, user, f"national-{referral}")
        + (f"{referral:064x}", status, "in_practice", profession, starts_at)
        + (("M. D.", "06 12 34 56 78") if kept else (None, None))
        + (rng.randint(1930, 2020), rng.choice(REASONS), cancelled_at, outcome_at)
        + (None if kept else purged, booked_at, outcome_at or cancelled_at or booked_at),
    )


def copy_rows(conn: psycopg.Connection[Any], rows: Rows) -> int:
    """COPY every table of the batch, parents first; the number of rows written."""
    written = 0
    for table, columns in COLUMNS.items():
        batch = rows.tables.get(table, [])
        names = sql.SQL(", ").join(sql.Identifier(c) for c in columns.split())
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in batch:
                copy.write_row(row)
        written += len(batch)
    return written


def generate(url: str, scale: Scale, *, now: datetime, batch: int = 20) -> dict[str, int]:
    """Fill an empty, migrated database; rows written by table."""
    days = calendar_days(now.astimezone(ZONE).date(), scale)
    ids = Ids()
    counts: dict[str, int] = {}
    with psycopg.connect(libpq_url(url)) as conn:
        if conn.execute("SELECT count(*) FROM cpts").fetchone() != (0,):
            raise SystemExit("the database already holds CPTS: use --replace or --explain-only")
        for first in range(0, scale.cpts, batch):
            rows = Rows()
            for index in range(first, min(first + batch, scale.cpts)):
                generate_cpts(rows, ids, index=index, scale=scale, days=days, now=now)
            copy_rows(conn, rows)
            conn.commit()
            for table, written in rows.tables.items():
                counts[table] = counts.get(table, 0) + len(written)
            print(f"  {min(first + batch, scale.cpts)} / {scale.cpts} CPTS", flush=True)
        for table in ids.next:
            conn.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), {})").format(
                    sql.Literal(table), sql.Literal(ids.next[table] - 1)
                )
            )
        conn.commit()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        tables = sql.SQL(", ").join(sql.Identifier(t) for t in COLUMNS)
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(tables))
    return counts


@dataclass(frozen=True)
class Statement:
    """One SELECT a service sent, with its parameters."""

    label: str
    sql: str
    parameters: Any


@contextmanager
def recording(engine: Engine, into: list[Statement], label: list[str]) -> Iterator[None]:
    """Record every SELECT sent on ``engine`` under the current ``label[0]``."""

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            into.append(Statement(label[0], statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


def service_reads(session: Session, *, cpts_id: int, now: datetime) -> list[tuple[str, Any]]:
    """The services behind the hot reads, called for one CPTS (names and callables)."""
    row = session.execute(
        text(
            "SELECT p.id AS pharmacy, pu.id AS pharmacist, r.practitioner_id AS practitioner,"
            " ru.id AS practitioner_user, c.id AS coordinator"
            " FROM pharmacies p JOIN users pu ON pu.pharmacy_id = p.id"
            " JOIN referrals r ON r.cpts_id = p.cpts_id"
            " JOIN users ru ON ru.practitioner_id = r.practitioner_id"
            " JOIN users c ON c.cpts_id = p.cpts_id AND c.role = 'coordinator'"
            " WHERE p.cpts_id = :cpts ORDER BY r.id DESC LIMIT 1"
        ),
        {"cpts": cpts_id},
    ).one()
    pharmacist = Principal(row.pharmacist, cpts_id, Role.pharmacist, None, row.pharmacy)
    practitioner = Principal(
        row.practitioner_user, cpts_id, Role.practitioner, row.practitioner, None
    )
    coordinator = Principal(row.coordinator, cpts_id, Role.coordinator, None, None)
    page = PageParams(limit=20, offset=0)
    own_feed = FeedToken(kind=FeedKind.practitioner.value, cpts_id=cpts_id)
    own_feed.practitioner_id = row.practitioner
    cpts_feed = FeedToken(kind=FeedKind.cpts.value, cpts_id=cpts_id)
    month = (now.astimezone(ZONE).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    cpts = session.get_one(Cpts, cpts_id)

    def referrals(principal: Principal, **filters: Any) -> Any:
        arguments = {"status": None, "since": None, "until": None, "needs_attention": None}
        return list_referrals(session, principal=principal, page=page, **{**arguments, **filters})

    return [
        ("slot search snapshot", lambda: take_snapshot(session, cpts_id=cpts_id, now=now)),
        ("referrals of a pharmacy", lambda: referrals(pharmacist)),
        ("referrals of a practitioner", lambda: referrals(practitioner)),
        (
            "referrals of the CPTS, next 7 days",
            lambda: referrals(coordinator, since=now, until=now + timedelta(days=7)),
        ),
        (
            "practitioner's slots, 30 days",
            lambda: practitioner_slots(
                session,
                practitioner_id=row.practitioner,
                since=now,
                until=now + timedelta(days=30),
                page=page,
            ),
        ),
        (
            "practitioner feed",
            lambda: practitioner_calendar(
                session, token=own_feed, now=now, public_base_url="https://snp.example.org"
            ),
        ),
        (
            "CPTS feed",
            lambda: cpts_calendar(
                session, token=cpts_feed, now=now, public_base_url="https://snp.example.org"
            ),
        ),
        (
            "monthly indicators",
            lambda: compute_stats(
                session, cpts=cpts, period=Period.month(month, timezone=TIMEZONE), now=now
            ),
        ),
    ]


def middle_cpts(session: Session) -> int:
    """The generated CPTS in the middle of the dataset (by id; other CPTS left aside)."""
    generated = select(Cpts.id).where(Cpts.name.regexp_match("^CPTS [0-9]+$")).order_by(Cpts.id)
    ids = session.scalars(generated).all()
    if not ids:
        raise SystemExit("no national dataset in this database: run python -m bench.national")
    return ids[len(ids) // 2]


def explain(
    url: str, *, cpts_id: int | None, now: datetime, without: Sequence[str] = ()
) -> list[str]:
    """Call the hot reads' services on one CPTS, EXPLAIN what they sent; report lines.

    The indexes named in ``without`` are dropped for the plans, in a transaction rolled back
    after them: the same plans as before those indexes existed."""
    engine = make_engine(url)
    statements: list[Statement] = []
    label = [""]
    lines: list[str] = []
    try:
        with make_session_factory(engine)() as session:
            if cpts_id is None:
                cpts_id = middle_cpts(session)
            reads = service_reads(session, cpts_id=cpts_id, now=now)
            with recording(engine, statements, label):
                for name, call in reads:
                    label[0] = name
                    started = time.perf_counter()
                    call()
                    lines.append(
                        f"{name}: service call {1000 * (time.perf_counter() - started):.1f} ms"
                    )
            session.rollback()
        with engine.connect() as conn:
            for index in without:
                conn.execute(text(f'DROP INDEX "{index}"'))
            seen = set()
            for statement in statements:
                if (statement.label, statement.sql) not in seen:
                    seen.add((statement.label, statement.sql))
                    lines += plan_lines(conn, statement)
            conn.rollback()
    finally:
        engine.dispose()
    return lines


def plan_lines(conn: Any, statement: Statement) -> list[str]:
    """The key lines of one statement's EXPLAIN (ANALYZE, BUFFERS)."""
    plan = (
        conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters)
        .scalars()
        .all()
    )
    head = " ".join(statement.sql.split())[:110]
    lines = [
        f"\n[{statement.label}] {head}…" if len(head) == 110 else f"\n[{statement.label}] {head}"
    ]
    buffers = next((line.strip() for line in plan if line.strip().startswith("Buffers:")), "")
    for line in plan:
        stripped = line.strip().removeprefix("-> ").strip()
        if any(
            word in stripped
            for word in ("Scan", "Sort Method", "Nested", "Hash Join", "Execution Time")
        ):
            lines.append("    " + stripped)
    lines.append(f"    total {buffers}")
    return lines


def database_size(url: str) -> str:
    """The database's size on disk, e.g. ``3.1 GB``."""
    with psycopg.connect(libpq_url(url)) as conn:
        found = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return str(found.fetchone()[0])  # type: ignore[index]


def main() -> None:
    """Create, migrate and fill the database, then print the plans of the hot reads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cpts", type=int, default=800)
    parser.add_argument("--practitioners", type=int, default=150)
    parser.add_argument("--pharmacies", type=int, default=25)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain-only", action="store_true", help="keep the data, show plans")
    parser.add_argument("--replace", action="store_true", help="drop the database first")
    parser.add_argument("--cpts-id", type=int, help="the CPTS whose reads are explained")
    parser.add_argument(
        "--without-index",
        action="append",
        default=[],
        help="plan as if this index did not exist (dropped in a transaction rolled back after)",
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    scale = Scale(args.cpts, args.practitioners, args.pharmacies, args.days, args.seed)
    started = time.monotonic()
    if not args.explain_only:
        ensure_database(args.database_url, replace=args.replace)
        upgrade(args.database_url)
        counts = generate(args.database_url, scale, now=now)
        print(
            f"generated in {time.monotonic() - started:.0f} s, {database_size(args.database_url)}:"
        )
        print("  " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    else:
        upgrade(args.database_url)
    plans = explain(args.database_url, cpts_id=args.cpts_id, now=now, without=args.without_index)
    for line in plans:
        print(line)


if __name__ == "__main__":
    main()
