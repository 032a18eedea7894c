"""What every browser test does on each page: an axe-core check (no serious or critical
violation) and, when WEB_SCREENSHOTS names a folder, screenshots at 360 and 1280 px."""

import os
from pathlib import Path

from playwright.sync_api import Page

from tests.web.live import Live

WIDTHS = (360, 1280)
BLOCKING = {"serious", "critical"}


def check_page(page: Page, axe_source: str, name: str) -> None:
    """Assert the page has no serious or critical accessibility violation; screenshot it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    blocking = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{name}: {blocking}"
    folder = os.environ.get("WEB_SCREENSHOTS")
    if folder:
        size = page.viewport_size
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
        if size:
            page.set_viewport_size(size)


def sign_in(page: Page, live: Live, email: str) -> None:
    """Ask for a link at /connexion and use it (the user must already have been invited)."""
    page.goto(f"{live.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
