"""CPTS settings and sectors: the territory's own configuration."""

from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.competences.seed import seed_catalogue
from app.cpts.models import Cpts, ProfessionSetting, Sector
from app.cpts.schemas import Block, CptsCreate, SectorCreate, SectorUpdate, SettingsUpdate
from app.crud import apply_changes, ensure_unique, matches_words
from app.errors import NotFound, RuleViolation
from app.pagination import PageParams, paginate
from app.professions import DEFAULT_FREE_SLOTS_PER_SHIFT, DEFAULT_SLOT_MINUTES
from app.slots.search import slots_changed
from app.tenancy import get_owned, owned


def create_cpts(session: Session, *, data: CptsCreate) -> Cpts:
    """Create a territory with the default on-call window and profession settings."""
    cpts = Cpts(
        name=data.name,
        timezone=data.timezone,
        holiday_subdivision=data.holiday_subdivision,
        oncall_start=time(14, 0),
        oncall_end=time(20, 0),
        blocks=[],
        min_notice_minutes=30,
        retention_days=30,
        min_rest_days=1,
        allow_multiple_blocks_per_day=False,
        swap_requires_approval=False,
    )
    cpts.profession_settings = [
        ProfessionSetting(
            profession=profession.value,
            slot_minutes=minutes,
            free_slots_per_shift=DEFAULT_FREE_SLOTS_PER_SHIFT,
        )
        for profession, minutes in DEFAULT_SLOT_MINUTES.items()
    ]
    session.add(cpts)
    session.flush()
    seed_catalogue(session, cpts_id=cpts.id)
    session.flush()
    return cpts


def get_cpts(session: Session, *, cpts_id: int) -> Cpts:
    """The caller's territory."""
    cpts = session.get(Cpts, cpts_id)
    if cpts is None:
        raise NotFound(f"CPTS {cpts_id} not found")
    return cpts


def effective_blocks(cpts: Cpts) -> list[Block]:
    """The on-call blocks; no explicit split means one block spanning the window."""
    if not cpts.blocks:
        return [Block(start=cpts.oncall_start, end=cpts.oncall_end)]
    return [Block.model_validate(block) for block in cpts.blocks]


def _check_blocks(blocks: list[Block], start: time, end: time) -> None:
    if start >= end:
        raise RuleViolation("on-call window must start before it ends", field="oncall_end")
    if not blocks:
        return
    cursor = start
    for index, block in enumerate(blocks):
        if block.start != cursor or block.end <= block.start:
            raise RuleViolation(
                f"block {index} must start at {cursor:%H:%M} and end after it starts: "
                "blocks tile the on-call window in order, without gaps or overlaps",
                field=f"blocks.{index}",
            )
        cursor = block.end
    if cursor != end:
        raise RuleViolation(f"last block must end at the window's end {end:%H:%M}", field="blocks")


def _apply_profession_settings(cpts: Cpts, data: SettingsUpdate) -> None:
    by_profession = {s.profession: s for s in cpts.profession_settings}
    for item in data.professions or []:
        existing = by_profession.get(item.profession.value)
        if existing is None:
            cpts.profession_settings.append(
                ProfessionSetting(
                    profession=item.profession.value,
                    slot_minutes=item.slot_minutes,
                    free_slots_per_shift=item.free_slots_per_shift,
                )
            )
        else:
            existing.slot_minutes = item.slot_minutes
            existing.free_slots_per_shift = item.free_slots_per_shift


def update_settings(session: Session, *, cpts_id: int, data: SettingsUpdate) -> Cpts:
    """Change the territory's settings; blocks are re-checked against the window."""
    cpts = get_cpts(session, cpts_id=cpts_id)
    start = data.oncall_start or cpts.oncall_start
    end = data.oncall_end or cpts.oncall_end
    window_changed = (start, end) != (cpts.oncall_start, cpts.oncall_end)
    if data.blocks is not None:
        blocks = data.blocks
    else:
        blocks = [] if window_changed else [Block.model_validate(b) for b in cpts.blocks]
    _check_blocks(blocks, start, end)
    apply_changes(cpts, data, skip=frozenset({"blocks", "professions"}))
    cpts.blocks = [block.model_dump(mode="json") for block in blocks]
    _apply_profession_settings(cpts, data)
    session.flush()
    slots_changed(cpts_id)
    return cpts


def list_sectors(
    session: Session, *, cpts_id: int, page: PageParams, q: str | None = None
) -> tuple[list[Sector], int]:
    """A page of the territory's sectors, by name, with the total count; ``q``: words
    found in the name."""
    query = owned(Sector, cpts_id).order_by(Sector.name, Sector.id)
    if q is not None:
        query = query.where(matches_words(q, Sector.name))
    return paginate(session, query, page)


def get_sector(session: Session, *, cpts_id: int, sector_id: int) -> Sector:
    """One sector of the territory (404 if it belongs to another)."""
    return get_owned(session, Sector, sector_id, cpts_id=cpts_id)


def get_sectors(
    session: Session, *, cpts_id: int, sector_ids: list[int], field: str
) -> list[Sector]:
    """The named sectors of this territory; 422 naming ``field`` if one is unknown."""
    wanted = set(sector_ids)
    found = list(session.scalars(owned(Sector, cpts_id).where(Sector.id.in_(wanted))))
    missing = wanted - {s.id for s in found}
    if missing:
        raise RuleViolation(f"unknown sector id(s): {sorted(missing)}", field=field)
    return found


def create_sector(session: Session, *, cpts_id: int, data: SectorCreate) -> Sector:
    """Add a sector; names are unique in a territory."""
    ensure_unique(session, Sector, cpts_id=cpts_id, field="name", value=data.name)
    sector = Sector(cpts_id=cpts_id, name=data.name, communes=data.communes)
    session.add(sector)
    session.flush()
    return sector


def update_sector(session: Session, *, cpts_id: int, sector_id: int, data: SectorUpdate) -> Sector:
    """Rename a sector or change its communes."""
    sector = get_sector(session, cpts_id=cpts_id, sector_id=sector_id)
    if data.name is not None:
        ensure_unique(
            session, Sector, cpts_id=cpts_id, field="name", value=data.name, exclude_id=sector_id
        )
    apply_changes(sector, data)
    session.flush()
    return sector


def delete_sector(session: Session, *, cpts_id: int, sector_id: int) -> None:
    """Remove a sector; its coverage rules go with it, pharmacies keep no sector."""
    session.delete(get_sector(session, cpts_id=cpts_id, sector_id=sector_id))
    session.flush()


def sector_exists(session: Session, *, cpts_id: int, sector_id: int) -> bool:
    """Whether ``sector_id`` is one of this territory's sectors."""
    query = select(Sector.id).where(Sector.cpts_id == cpts_id, Sector.id == sector_id)
    return session.scalar(query) is not None
