"""Jinja2 templates, the French words they use, and the one way pages are answered."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import french

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    profession=lambda value: french.word(french.PROFESSIONS, value),
    mode=lambda value: french.word(french.MODES, value),
    reason=lambda value: french.word(french.REASONS, value),
    referral_status=lambda value: french.word(french.REFERRAL_STATUSES, value),
    slot_status=lambda value: french.word(french.SLOT_STATUSES, value),
    request_status=lambda value: french.word(french.CARE_REQUEST_STATUSES, value),
    role=lambda value: french.word(french.ROLES, value),
    swap_status=lambda value: french.word(french.SWAP_STATUSES, value),
    preference_kind=lambda value: french.word(french.PREFERENCE_KINDS, value),
    day_kind=lambda value: french.word(french.DAY_KINDS, value),
    rotation_status=lambda value: french.word(french.ROTATION_STATUSES, value),
    job_status=lambda value: french.word(french.JOB_STATUSES, value),
    job_kind=lambda value: french.word(french.JOB_KINDS, value),
    solver_status=lambda value: french.word(french.SOLVER_STATUSES, value),
    change_kind=lambda value: french.word(french.CHANGE_KINDS, value),
    shift_status=lambda value: french.word(french.SHIFT_STATUSES, value),
    coverage_day=lambda value: french.word(french.COVERAGE_DAYS, value),
    weekday=lambda index: french.WEEKDAYS[index],
    day=french.french_day,
    hour=french.french_time,
)
environment.globals.update(
    professions=french.PROFESSIONS,
    modes=french.MODES,
    reasons=french.REASONS,
    wished_delays=french.WISHED_DELAYS,
    weekdays=french.WEEKDAYS,
    months=french.MONTHS,
    preference_kinds=french.PREFERENCE_KINDS,
    roles=french.ROLES,
    coverage_days=french.COVERAGE_DAYS,
)


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render a page; the signed-in user (if any) and the CSRF token come from the request."""
    values = {
        "request": request,
        "me": getattr(request.state, "web_user", None),
        "csrf": getattr(request.state, "csrf", ""),
        "unread": getattr(request.state, "unread", None),
        **context,
    }
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
