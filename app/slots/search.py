"""The pharmacist's search: open slots soon enough, for the right profession, near by.

Searches read a per-process snapshot of the CPTS's open slots for the next two days, taken
from the database ``SNAPSHOT_TTL`` ago at most (``SNAPSHOT_MAX_AGE`` while the next one is
being read) and dropped at once when this process books, cancels, blocks or re-syncs slots
of that CPTS. A slot booked through another process may thus still be offered for a
moment; that is safe because a booking never trusts the search: it re-checks every rule
inside its own transaction and answers 409 when the slot is gone.
"""

import asyncio
import dataclasses
import json
import math
import threading
import weakref
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.competences.models import practitioner_items
from app.cpts.models import Cpts
from app.db import read
from app.pagination import PageParams
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.slots.models import Slot, SlotStatus
from app.slots.schemas import ConsultationMode, OfferedPractitioner, SlotOffer

EARTH_RADIUS_KM = 6371.0
MAX_WITHIN_HOURS = 48
SNAPSHOT_TTL = timedelta(seconds=2)
SNAPSHOT_MAX_AGE = timedelta(seconds=10)
SNAPSHOT_HORIZON = timedelta(hours=MAX_WITHIN_HOURS + 1)


@dataclass(frozen=True)
class SlotQuery:
    """What the pharmacist asks for."""

    profession: str | None = None
    within_hours: int = 24
    same_day: bool = False
    sector_id: int | None = None
    near: tuple[float, float] | None = None
    mode: ConsultationMode | None = None
    competence_id: int | None = None
    equipment_id: int | None = None
    commune: str | None = None
    """The patient's commune (INSEE code): only home visits of practitioners who cover it."""

    @property
    def home_zone(self) -> bool:
        """Whether offers must come from practitioners whose home-visit zone covers the
        patient: a home-visit search giving the patient's commune or position."""
        return self.mode == ConsultationMode.home_visit and (
            self.commune is not None or self.near is not None
        )


@dataclass(frozen=True)
class BookingRules:
    """The CPTS settings that bound when a slot may be booked."""

    timezone: str
    min_notice_minutes: int


@dataclass(frozen=True)
class OfferRow:
    """One open slot and what the pharmacist needs to know of its practitioner."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    profession: str
    sector_id: int | None
    practitioner_id: int
    first_name: str
    last_name: str
    phone: str | None
    practice_address: str | None
    latitude: float | None
    longitude: float | None
    home_visits: bool
    teleconsultation: bool
    zone_communes: frozenset[str] = frozenset()
    """INSEE codes of the communes visited at home."""
    zone_radius_km: float | None = None
    item_ids: frozenset[int] = frozenset()
    """The competences and equipment the practitioner declares."""

    def covers(self, commune: str | None, position: tuple[float, float] | None) -> bool:
        """Whether a home visit to the patient's commune or position is in this
        practitioner's zone."""
        return zone_covers(self, self.zone_communes, commune=commune, position=position)


OFFER_COLUMNS = (
    Slot.id,
    Slot.starts_at,
    Slot.ends_at,
    Slot.profession,
    Slot.sector_id,
    Practitioner.id,
    Practitioner.first_name,
    Practitioner.last_name,
    Practitioner.phone,
    Practitioner.practice_address,
    Practitioner.latitude,
    Practitioner.longitude,
    Practitioner.home_visits,
    Practitioner.teleconsultation,
)
ZONE_COLUMNS = (Practitioner.zone_communes, Practitioner.zone_radius_km)
OFFERED_FIELDS = tuple(field.name for field in dataclasses.fields(OfferRow))[: len(OFFER_COLUMNS)]


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def insee_codes(zone_communes: list[dict[str, str]] | None) -> frozenset[str]:
    """The INSEE codes of a practitioner's zone communes, as stored (code and name)."""
    return frozenset(commune["insee_code"] for commune in zone_communes or [])


def zone_covers(
    place: "OfferRow | Practitioner",
    communes: Collection[str],
    *,
    commune: str | None,
    position: tuple[float, float] | None,
) -> bool:
    """Whether a practitioner visiting ``communes`` (INSEE codes) and the radius around
    their practice covers a patient in ``commune`` or at ``position``."""
    if commune is not None and commune in communes:
        return True
    if position is None or place.zone_radius_km is None:
        return False
    if place.latitude is None or place.longitude is None:
        return False
    return distance_km(position, (place.latitude, place.longitude)) <= place.zone_radius_km


def bookable_window(
    rules: BookingRules | Cpts, *, now: datetime, within_hours: int, same_day: bool
) -> tuple[datetime, datetime]:
    """Earliest and latest slot start a referral may take: after the minimum notice, and
    within the horizon (or before the end of today, local time)."""
    earliest = now + timedelta(minutes=rules.min_notice_minutes)
    latest = now + timedelta(hours=within_hours)
    if same_day:
        zone = ZoneInfo(rules.timezone)
        midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
        latest = min(latest, midnight)
    return earliest, latest


def modes_of(place: OfferRow | Practitioner) -> list[ConsultationMode]:
    """How a practitioner can see a patient."""
    modes = [ConsultationMode.in_practice]
    if place.home_visits:
        modes.append(ConsultationMode.home_visit)
    if place.teleconsultation:
        modes.append(ConsultationMode.teleconsultation)
    return modes


@dataclass(frozen=True)
class Snapshot:
    """A CPTS's open slots starting in [since, until), its rules and pharmacy locations,
    read from the database at ``since``."""

    rules: BookingRules
    since: datetime
    until: datetime
    rows: tuple[OfferRow, ...]
    pharmacies: dict[int, tuple[float, float]]
    encoded: tuple[str, ...] = ()
    """Each row's offer serialised once, not at every search: its JSON object without the
    distance and the closing brace, which each search adds."""

    def covers(self, earliest: datetime, latest: datetime) -> bool:
        """Spanning the window asked for."""
        return self.since <= earliest and latest < self.until

    def age(self, now: datetime) -> timedelta:
        """How long ago it was read."""
        return now - self.since


def take_snapshot(session: Session, *, cpts_id: int, now: datetime) -> Snapshot:
    """Read a CPTS's open slots of the next two days, its rules and pharmacy locations."""
    cpts = session.execute(
        select(Cpts.timezone, Cpts.min_notice_minutes).where(Cpts.id == cpts_id)
    ).one()
    until = now + SNAPSHOT_HORIZON
    rows = session.execute(
        select(*OFFER_COLUMNS, *ZONE_COLUMNS)
        .join(Practitioner, Practitioner.id == Slot.practitioner_id)
        .where(
            Slot.cpts_id == cpts_id,
            Slot.status == SlotStatus.open.value,
            Slot.starts_at >= now,
            Slot.starts_at < until,
        )
        .order_by(Slot.starts_at, Slot.id)
    )
    pharmacies = session.execute(
        select(Pharmacy.id, Pharmacy.latitude, Pharmacy.longitude).where(
            Pharmacy.cpts_id == cpts_id
        )
    )
    fields = [tuple(row) for row in rows]
    practitioner_ids = {row[5] for row in fields}
    declared = session.execute(
        select(practitioner_items.c.practitioner_id, practitioner_items.c.item_id).where(
            practitioner_items.c.practitioner_id.in_(practitioner_ids)
        )
    )
    items: dict[int, set[int]] = {}
    for practitioner_id, item_id in declared:
        items.setdefault(practitioner_id, set()).add(item_id)
    offer_rows = tuple(
        OfferRow(
            **dict(zip(OFFERED_FIELDS, row, strict=False)),
            zone_communes=insee_codes(row[-2]),
            zone_radius_km=row[-1],
            item_ids=frozenset(items.get(row[5], ())),
        )
        for row in fields
    )
    zone = ZoneInfo(cpts.timezone)
    return Snapshot(
        rules=BookingRules(cpts.timezone, cpts.min_notice_minutes),
        since=now,
        until=until,
        rows=offer_rows,
        pharmacies={
            pid: (lat, lon) for pid, lat, lon in pharmacies if lat is not None and lon is not None
        },
        encoded=tuple(_encoded_offer(offer_of(row, None, zone)) for row in offer_rows),
    )


def _encoded_offer(offer: SlotOffer) -> str:
    document = offer.model_dump(mode="json", exclude={"distance_km"})
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))[:-1]


class OpenSlotCache:
    """Per-process snapshots of open slots, one per CPTS (see the module docstring).

    A search is answered from the CPTS's snapshot without touching the database while the
    snapshot is younger than ``SNAPSHOT_TTL``. Older, and younger than ``SNAPSHOT_MAX_AGE``,
    it is still answered from it while a refresh reads the next one aside; only a search
    with no usable snapshot (none yet, too old, or just dropped by a change in this process)
    waits, for that same refresh. Refreshes run one at a time, on one thread of their own,
    each in its own session: concurrent searches never read the database together.
    """

    def __init__(self) -> None:
        self._snapshots: dict[int, Snapshot] = {}
        self._refreshes: dict[int, Future[Snapshot]] = {}
        self._lock = threading.RLock()  # a refresh done at once stores under the caller's hold
        self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slot-snapshot")
        _caches.add(self)

    async def snapshot(
        self,
        factory: sessionmaker[Session],
        *,
        cpts_id: int,
        now: datetime,
        earliest: datetime,
        latest: datetime,
    ) -> Snapshot:
        """A snapshot covering [earliest, latest], answered at once when one is usable; a
        stale, missing or too narrow snapshot starts a refresh unless one is running, and
        only a search with no usable snapshot waits for it."""
        refresh = self._current_or_refresh(factory, (cpts_id, now, earliest, latest))
        return refresh if isinstance(refresh, Snapshot) else await asyncio.wrap_future(refresh)

    def _current_or_refresh(
        self, factory: sessionmaker[Session], window: tuple[int, datetime, datetime, datetime]
    ) -> Snapshot | Future[Snapshot]:
        cpts_id, now, earliest, latest = window
        with self._lock:
            current = self._snapshots.get(cpts_id)
            age = current.age(now) if current and current.covers(earliest, latest) else None
            if current is not None and age is not None and age < SNAPSHOT_TTL:
                return current
            refresh = self._refreshes.get(cpts_id)
            if refresh is None:
                refresh = self._refresher.submit(
                    read, factory, partial(take_snapshot, cpts_id=cpts_id, now=now)
                )
                self._refreshes[cpts_id] = refresh
                refresh.add_done_callback(lambda done: self._store(cpts_id, done))
            # A factory bound to one connection (the tests') cannot read aside while a
            # request goes on using that connection: then every request waits.
            aside = isinstance(factory.kw.get("bind"), Engine)
            if current is not None and age is not None and age < SNAPSHOT_MAX_AGE and aside:
                return current
            return refresh

    def _store(self, cpts_id: int, refresh: Future[Snapshot]) -> None:
        with self._lock:
            if self._refreshes.get(cpts_id) is refresh:
                del self._refreshes[cpts_id]
                if refresh.exception() is None:
                    self._snapshots[cpts_id] = refresh.result()

    def forget(self, cpts_id: int) -> None:
        """Drop the CPTS's snapshot, and any refresh already running: its slots just changed,
        so the next search waits for a snapshot read after the change."""
        with self._lock:
            self._snapshots.pop(cpts_id, None)
            self._refreshes.pop(cpts_id, None)


_caches: "weakref.WeakSet[OpenSlotCache]" = weakref.WeakSet()


def slots_changed(cpts_id: int) -> None:
    """Tell this process's caches that a CPTS's slots changed (booked, freed, re-synced)."""
    for cache in list(_caches):
        cache.forget(cpts_id)


def _matches(row: OfferRow, query: SlotQuery, earliest: datetime, latest: datetime) -> bool:
    return (
        earliest <= row.starts_at <= latest
        and (query.profession is None or row.profession == query.profession)
        and (query.sector_id is None or row.sector_id in (query.sector_id, None))
        and (query.mode is None or query.mode in modes_of(row))
        and (query.competence_id is None or query.competence_id in row.item_ids)
        and (query.equipment_id is None or query.equipment_id in row.item_ids)
        and (not query.home_zone or row.covers(query.commune, query.near))
    )


async def search_slots(
    factory: sessionmaker[Session],
    *,
    cache: OpenSlotCache,
    cpts_id: int,
    query: SlotQuery,
    page: PageParams,
    now: datetime,
    pharmacy_id: int | None,
) -> "Found":
    """A page of open slots by start time, then distance from ``query.near`` (or the
    pharmacy), and how many match in all."""
    rules = (
        await cache.snapshot(factory, cpts_id=cpts_id, now=now, earliest=now, latest=now)
    ).rules
    earliest, latest = bookable_window(
        rules, now=now, within_hours=query.within_hours, same_day=query.same_day
    )
    snapshot = await cache.snapshot(
        factory, cpts_id=cpts_id, now=now, earliest=earliest, latest=latest
    )
    origin = query.near or snapshot.pharmacies.get(pharmacy_id or 0)
    found = [
        (index, row.starts_at, _distance(row, origin))
        for index, row in enumerate(snapshot.rows)
        if _matches(row, query, earliest, latest)
    ]
    found.sort(key=lambda item: (item[1], math.inf if item[2] is None else item[2]))
    shown = [
        (index, distance) for index, _, distance in found[page.offset : page.offset + page.limit]
    ]
    return Found(snapshot, shown, len(found))


@dataclass(frozen=True)
class Found:
    """A page of a search's offers (rows of its snapshot, with their distance) and how
    many offers match in all."""

    snapshot: Snapshot
    shown: list[tuple[int, float | None]]
    total: int

    def offers(self) -> list[SlotOffer]:
        """The page's offers as models."""
        zone = ZoneInfo(self.snapshot.rules.timezone)
        return [offer_of(self.snapshot.rows[i], distance, zone) for i, distance in self.shown]

    def items_json(self) -> str:
        """The page's offers as a JSON array, from the snapshot's serialised rows."""
        encoded = self.snapshot.encoded
        return (
            "["
            + ",".join(f'{encoded[i]},"distance_km":{json.dumps(d)}}}' for i, d in self.shown)
            + "]"
        )


def _distance(row: OfferRow, origin: tuple[float, float] | None) -> float | None:
    if origin is None or row.latitude is None or row.longitude is None:
        return None
    return round(distance_km(origin, (row.latitude, row.longitude)), 2)


def offer_of(row: OfferRow, distance: float | None, zone: ZoneInfo) -> SlotOffer:
    """An open slot as the search offers it, in the CPTS's local time."""
    return SlotOffer(
        slot_id=row.slot_id,
        starts_at=row.starts_at.astimezone(zone),
        ends_at=row.ends_at.astimezone(zone),
        profession=row.profession,
        sector_id=row.sector_id,
        modes=modes_of(row),
        distance_km=distance,
        practitioner=OfferedPractitioner(
            id=row.practitioner_id,
            name=f"{row.first_name} {row.last_name}",
            profession=row.profession,
            phone=row.phone,
            practice_address=row.practice_address,
        ),
    )
