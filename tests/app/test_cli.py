"""The bootstrap CLI on a real database: create-cpts and the demo territory."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cli import main
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory
from app.main import create_app
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from tests.databases import BACKENDS, drop_database, fresh_database


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database that the CLI reaches through DATABASE_URL."""
    engine, schema = fresh_database(request.param, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    if schema is not None:
        url += f"?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    drop_database(engine, schema)


def _client(url: str) -> TestClient:
    factory = make_session_factory(make_engine(url))
    return TestClient(create_app(Settings(database_url=url), session_factory=factory))


def test_create_cpts_prints_a_working_coordinator_token(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate"])
    main(["create-cpts", "--name", "CPTS Est", "--timezone", "Indian/Reunion"])
    token = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    response = _client(database_url).get(
        "/v1/settings", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["timezone"] == "Indian/Reunion"


def test_seed_demo_builds_a_venissieux_size_territory(database_url: str, tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.env"
    main(["migrate"])
    main(["seed-demo", "--tokens-file", str(tokens_file)])
    earlier = dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())
    main(["seed-demo", "--tokens-file", str(tokens_file)])
    tokens = dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())
    client = _client(database_url)
    for role, token in earlier.items():
        revoked = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 401, role
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        assert _count_by_profession(session) == {"gp": 40, "physio": 30, "nurse": 50}
        assert session.scalar(select(func.count()).select_from(Pharmacy)) == 12
    coordinator = {"Authorization": f"Bearer {tokens['COORDINATOR_TOKEN']}"}
    assert client.get("/v1/sectors", headers=coordinator).json()["total"] == 3
    pharmacist = {"Authorization": f"Bearer {tokens['PHARMACIST_TOKEN']}"}
    assert client.get("/v1/me", headers=pharmacist).json()["role"] == "pharmacist"
    found = client.get("/v1/slots?profession=gp&within_hours=24", headers=pharmacist).json()
    assert found["items"], "the demo's pharmacist finds a GP slot within 24 h, now"


def _count_by_profession(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Practitioner.profession, func.count()).group_by(Practitioner.profession)
    )
    return {profession: count for profession, count in rows}


def test_purge_command_runs_on_an_empty_database(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate"])
    main(["purge"])
    out = capsys.readouterr().out
    assert "blanked on 0 referral(s)" in out
    assert "0 live event(s) older than 7 days deleted" in out
