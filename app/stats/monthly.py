"""The monthly report: one self-contained HTML page in French with two inline SVG charts."""

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from sqlalchemy.orm import Session

import solver
from app.cpts.models import Cpts
from app.french import MONTHS, PROFESSIONS_PLURAL
from app.referrals.models import Referral, ReferralStatus
from app.stats import service
from app.stats.charts import Series, stacked_bars
from app.stats.period import Period
from app.stats.schemas import StatsPublic

COLORS = ("#2b6cb0", "#38a169", "#d69e2e", "#805ad5", "#dd6b20")
COVERED_COLOR, MISSING_COLOR = "#38a169", "#e53e3e"
STYLE = (
    "body{font-family:sans-serif;max-width:800px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
    "td.n{text-align:right}"
)


def _number(value: float) -> str:
    """A number written the French way: decimal comma, no useless decimals."""
    return f"{value:g}".replace(".", ",")


def coverage_chart(period: Period, covered: Sequence[tuple[solver.Demand, int]]) -> str:
    """Covered and uncovered required on-call blocks, one bar per day."""
    required: Counter[date] = Counter()
    provided: Counter[date] = Counter()
    for demand, count in covered:
        required[demand.day] += demand.count
        provided[demand.day] += count
    return stacked_bars(
        "Couverture des astreintes par jour (blocs requis)",
        [str(d.day) for d in period.days],
        [
            Series("Couverts", COVERED_COLOR, [provided[d] for d in period.days]),
            Series("Non couverts", MISSING_COLOR, [required[d] - provided[d] for d in period.days]),
        ],
    )


def referrals_chart(period: Period, referrals: Sequence[Referral]) -> str:
    """Referrals (not cancelled) per day of the slot, stacked by profession."""
    kept = [r for r in referrals if r.status != ReferralStatus.cancelled.value]
    counts = Counter((period.local(r.slot_starts_at).date(), r.profession) for r in kept)
    professions = [p for p in PROFESSIONS_PLURAL if any(r.profession == p for r in kept)]
    professions += sorted({r.profession for r in kept} - set(PROFESSIONS_PLURAL))
    return stacked_bars(
        "Orientations par jour et par profession",
        [str(d.day) for d in period.days],
        [
            Series(
                PROFESSIONS_PLURAL.get(p, p),
                COLORS[i % len(COLORS)],
                [counts[(d, p)] for d in period.days],
            )
            for i, p in enumerate(professions)
        ],
    )


def _summary_rows(stats: StatsPublic) -> list[tuple[str, str]]:
    cov, slots, ref = stats.coverage, stats.slots, stats.referrals
    hours = sum(h.hours for h in stats.oncall_hours)
    return [
        (
            "Taux de couverture",
            f"{_number(cov.coverage_pct)} % ({cov.covered} / {cov.required} blocs)",
        ),
        ("Heures d'astreinte", f"{_number(hours)} h ({len(stats.oncall_hours)} professionnels)"),
        ("Créneaux proposés", str(slots.offered)),
        ("Créneaux réservés", str(slots.booked)),
        ("Créneaux expirés", str(slots.expired)),
        ("Créneaux bloqués", str(slots.blocked)),
        ("Orientations", f"{ref.total} (annulations : {ref.cancelled})"),
        ("Vus dans les 24 h", f"{_number(ref.seen_within_24h_pct)} % ({ref.seen_within_24h})"),
        ("Taux de non-présentation", f"{_number(ref.no_show_pct)} % ({ref.no_show})"),
        ("Délai médian réservation → rendez-vous", f"{_number(ref.median_delay_minutes)} min"),
    ]


def _table(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td class=n>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def month_title(period: Period) -> str:
    """``mars 2027``."""
    return f"{MONTHS[period.first.month - 1]} {period.first.year}"


def report_sections(session: Session, *, cpts: Cpts, period: Period, now: datetime) -> str:
    """The report's body: the indicators table, then coverage and referrals per day (two
    inline SVG charts); the monthly report page and the coordinator's console embed it."""
    stats = service.compute_stats(session, cpts=cpts, period=period, now=now)
    covered = service.block_coverage(session, cpts=cpts, period=period)
    referrals = service.referrals_in(session, cpts_id=cpts.id, period=period)
    return (
        f"<h2>Indicateurs</h2>{_table(_summary_rows(stats))}"
        f"<h2>Couverture</h2><figure>{coverage_chart(period, covered)}</figure>"
        f"<h2>Orientations</h2><figure>{referrals_chart(period, referrals)}</figure>"
    )


def monthly_report(session: Session, *, cpts: Cpts, month: str, now: datetime) -> str:
    """The report of the month ``YYYY-MM`` as one HTML page, anonymous, ready to paste
    into a report."""
    period = Period.month(month, timezone=cpts.timezone)
    title = f"Rapport mensuel SNP — {cpts.name} — {month_title(period)}"
    generated = f"{period.local(now):%d/%m/%Y %H:%M}"
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p>Période du {period.first:%d/%m/%Y} au {period.last:%d/%m/%Y}, heure locale "
        f"({escape(cpts.timezone)}). Données anonymes, établies le {generated}.</p>"
        f"{report_sections(session, cpts=cpts, period=period, now=now)}</body></html>"
    )
