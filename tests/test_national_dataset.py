"""The national-size generator (bench/national.py) at a tiny scale, on PostgreSQL only (its
COPY is PostgreSQL's): its rows satisfy every constraint of the migrated schema, and the app
reads them through its own HTTP API — slot search, referral lists, indicators, calendar feeds
— as it reads data it wrote itself; the plans it prints come from the services' statements."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.main import build_app
from app.referrals.models import Referral
from app.schema import upgrade
from app.slots.models import Slot
from app.users.models import Role, User
from app.users.service import issue_token
from bench.national import Scale, explain, generate
from tests.conftest import configured_client
from tests.databases import POSTGRES_URL
from tests.live import database_url

pytestmark = pytest.mark.skipif(POSTGRES_URL is None, reason="needs TEST_DATABASE_URL")

SCALE = Scale(cpts=2, practitioners=12, pharmacies=3, days=40)


def test_tiny_national_dataset_is_read_by_the_app(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with database_url("postgresql", tmp_path) as url:
        upgrade(url)
        counts = generate(url, SCALE, now=now, batch=1)
        assert counts["cpts"] == 2
        assert counts["practitioners"] == 2 * 12
        assert counts["shifts"] == 2 * 40 * 6  # a GP per sector, a physio and a nurse a day
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as session, session.begin():
            assert session.scalar(select(func.count()).select_from(Referral)) == counts["referrals"]
            assert session.scalar(select(func.max(Slot.id))) == counts["slots"]
            users = {
                role: session.scalars(
                    select(User).where(User.cpts_id == 2, User.role == role).order_by(User.id)
                ).first()
                for role in Role
            }
            tokens = {
                role: issue_token(session, user=user, label="test")[1]
                for role, user in users.items()
                if user is not None
            }
        headers = {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}
        settings = Settings(run_jobs=False, run_notifier=False, database_url=url)
        with configured_client(build_app(), settings, factory) as client:
            found = client.get("/v1/slots?within_hours=48", headers=headers[Role.pharmacist])
            assert found.status_code == 200, found.text
            assert found.json()["total"] > 0
            for role in Role:
                listed = client.get("/v1/referrals?limit=200", headers=headers[role])
                assert listed.status_code == 200, listed.text
            assert listed.json()["total"] > 0
            first = (now - timedelta(days=30)).date().isoformat()
            stats = client.get(
                f"/v1/stats?from={first}&to={now.date().isoformat()}",
                headers=headers[Role.coordinator],
            )
            assert stats.status_code == 200, stats.text
            assert stats.json()["referrals"]["total"] > 0
            practitioner = users[Role.practitioner]
            assert practitioner is not None
            issued = client.post(
                f"/v1/practitioners/{practitioner.practitioner_id}/feed-tokens",
                headers=headers[Role.coordinator],
            )
            assert issued.status_code == 201, issued.text
            feed = client.get(urlsplit(issued.json()["url"]).path)
            assert feed.status_code == 200
            assert feed.text.count("BEGIN:VEVENT") > 0
        lines = explain(url, cpts_id=2, now=now)
        engine.dispose()
    assert any(line.startswith("\n[slot search snapshot] SELECT slots.id") for line in lines)
    assert any("Execution Time" in line for line in lines)
