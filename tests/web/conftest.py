"""Browser fixtures: one live server per database and one headless Chromium for the browser
tests (each test gets a fresh browser context), axe-core loaded from its npm package.

Under pytest-xdist (``scripts/test.sh`` runs two workers), the tests sharing one database's
live server run in one worker, in file order: they build its world once, as in a serial run.
"""

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from app.rotations.solver_process import SolverProcess
from tests.web.live import Live, live_server

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / ".cache" / "axe"
AXE_FILE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHARED_WORLD = {"live", "browser"}
"""Fixtures of this folder whose tests share a live server or a browser."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests using the live server or the browser in one xdist group per database."""
    here = Path(__file__).parent
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if here in item.path.parents and uses & SHARED_WORLD:
            callspec = getattr(item, "callspec", None)
            backend = callspec.params.get("backend", "any") if callspec else "any"
            item.add_marker(pytest.mark.xdist_group(f"web-live-{backend}"))


@pytest.fixture(scope="session")
def live(
    backend: str, tmp_path_factory: pytest.TempPathFactory, solver_process: SolverProcess
) -> Iterator[Live]:
    """The app served on a free local port, on its own database of ``backend``."""
    with live_server(backend, tmp_path_factory.mktemp("live"), solver_process) as server:
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for the browser tests' module (its event loop must be gone
    before other tests run asyncio themselves)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the module's tests (.ci/run installs
    it when missing)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install chromium")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at counter-PC size; CSP bypassed for axe only."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", bypass_csp=True
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed from the npm registry into .cache/ on first use (under a
    file lock, as xdist workers may both need it at once)."""
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    with (AXE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not AXE_FILE.exists():
            _install_axe()
    return AXE_FILE.read_text()


def _install_axe() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("the accessibility checks need npm to install axe-core")
    subprocess.run(
        [
            npm,
            "install",
            "--no-save",
            "--no-package-lock",
            "--prefix",
            str(AXE_DIR),
            f"axe-core@{AXE_VERSION}",
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
