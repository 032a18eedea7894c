"""The API documentation works offline and reads as written for people."""

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.referrals.schemas import ReferralAnonymous, ReferralPublic

ASSET_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every API route of the app, routers included."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


@pytest.fixture
def bare_client(tmp_path: Path) -> Iterator[TestClient]:
    """The app on an empty database: documentation needs none."""
    settings = Settings(run_jobs=False, database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_assets_the_app_serves(bare_client: TestClient, page: str) -> None:
    html = bare_client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    without_comments = re.sub(r"<!--.*?-->", "", html.text, flags=re.S)
    assert "//" not in without_comments, "no absolute URL: everything comes from this server"
    assets = ASSET_REFERENCE.findall(html.text)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/docs/"), asset
        served = bare_client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, asset
    assert "/openapi.json" in html.text
    assert bare_client.get("/openapi.json").status_code == 200


def test_every_operation_has_a_summary_written_by_hand() -> None:
    app = create_app(Settings(run_jobs=False))
    routes = [route for route in api_routes(app.routes) if route.include_in_schema]
    assert len(routes) > 80
    for route in routes:
        generated = route.name.replace("_", " ").title()
        assert route.summary, f"{route.path}: no summary"
        assert route.summary != generated, f"{route.path}: summary generated from the name"
        assert route.description, f"{route.path}: no description"
    operations = [op for path in app.openapi()["paths"].values() for op in path.values()]
    assert all(op.get("summary") for op in operations)


def test_referral_examples_tell_where_and_when() -> None:
    schemas = create_app(Settings(run_jobs=False)).openapi()["components"]["schemas"]
    for name, model in (
        ("ReferralPublic", ReferralPublic),
        ("ReferralAnonymous", ReferralAnonymous),
    ):
        (own,) = model.model_json_schema()["examples"]
        assert set(own) == set(model.model_fields), name
        model.model_validate(own)
        (example,) = schemas[name]["examples"]
        assert example["starts_at_local"].endswith("+01:00") and example["timezone"]
        assert example["practitioner"]["practice_address"] and example["practitioner"]["phone"]
    assert "patient_birth_year" not in schemas["ReferralAnonymous"]["examples"][0]
