"""A live server for the browser tests: the real app under uvicorn on a free local port,
its own migrated database with a published rotation, a frozen clock the tests move, a local
SMTP server catching e-mails, and the notification worker run step by step."""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.clock import get_now
from app.config import Settings
from app.db import make_session_factory
from app.events.service import channel_name, relay_notice
from app.main import create_app
from app.notifications.worker import NotificationWorker
from app.revocation import NotifyListener
from app.rotations.jobs import JobRunner
from app.rotations.solver_process import SolverProcess
from app.schema import upgrade
from app.serving import EVENT_LOOP, HTTP_PROTOCOL
from app.users.models import Role, User
from app.users.schemas import UserCreate
from app.users.service import create_user, issue_token
from tests.app.notification_receivers import Mailbox, smtp_server
from tests.app.rotation_scenarios import make_scenario, solved_rotation
from tests.conftest import FrozenClock
from tests.databases import drop_database, fresh_database
from tests.factories import bearer, make_pharmacy, make_territory
from tests.live import free_port

START = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
"""Tuesday 12 January 2027, noon in Paris: two hours before the afternoon's first slot."""
FREE_SLOTS = 12
PRACTICES = [
    ("Martin", "12 avenue Jean Jaurès, 69200 Vénissieux", "04 78 70 12 30", 45.6975, 4.8867),
    ("Bernard", "3 rue Paul Bert, 69200 Vénissieux", "04 78 70 12 31", 45.7041, 4.8862),
    ("Dubois", "41 bd Ambroise Croizat, 69200 Vénissieux", "04 78 70 12 32", 45.6912, 4.8790),
    ("Robert", "8 place Léon Sublet, 69200 Vénissieux", "04 78 70 12 33", 45.7010, 4.8930),
]
LINK = re.compile(r"https?://\S+/connexion/lien/\S+")


@dataclass
class Live:
    """Everything a browser test needs: the URL, the clock, the mailbox and the world."""

    url: str
    clock: FrozenClock
    mailbox: Mailbox
    worker: NotificationWorker
    sessions: sessionmaker[Session]
    api: httpx.Client
    coordinator: dict[str, str]
    pharmacist: dict[str, str]
    cpts_id: int
    pharmacy_id: int
    gp_ids: list[int]
    other_coordinator: dict[str, str]
    other_cpts_id: int
    other_pharmacy_id: int

    def new_user(
        self,
        *,
        role: Role,
        name: str,
        cpts_id: int | None = None,
        pharmacy_id: int | None = None,
        practitioner_id: int | None = None,
    ) -> User:
        """A user of the main CPTS (or ``cpts_id``), committed."""
        with self.sessions() as session:
            user = create_user(
                session,
                cpts_id=cpts_id or self.cpts_id,
                data=UserCreate(
                    role=role,
                    display_name=name,
                    pharmacy_id=pharmacy_id,
                    practitioner_id=practitioner_id,
                ),
            )
            session.commit()
            return user

    def invite(self, user: User, email: str, *, coordinator: dict[str, str] | None = None) -> None:
        """The coordinator invites the user through the API."""
        response = self.api.post(
            f"/v1/users/{user.id}/invitations",
            headers=coordinator or self.coordinator,
            json={"email": email},
        )
        assert response.status_code == 201, response.text

    def book(self, slot_id: int, *, patient: str, reason: str) -> dict[str, Any]:
        """Book a slot through the API as the pharmacy's API user; the referral."""
        booked = self.api.post(
            "/v1/referrals",
            headers={**self.pharmacist, "Idempotency-Key": f"live-{slot_id}"},
            json={
                "slot_id": slot_id,
                "patient": {"display_name": patient, "birth_year": 1950, "phone": "0611223344"},
                "reason_category": reason,
            },
        )
        assert booked.status_code == 201, booked.text
        return dict(booked.json())

    def last_link(self, to: str) -> str:
        """Deliver pending e-mails, then return the link of the last one sent to ``to``."""
        self.worker.run_pending()
        for message in reversed(self.mailbox.messages):
            if message["To"] == to:
                found = LINK.search(message.get_content())
                assert found, message.get_content()
                return found.group(0)
        raise AssertionError(f"no e-mail to {to}")


def _world(api: TestClient, sessions: sessionmaker[Session], solver: SolverProcess) -> dict:
    with sessions() as session:
        scenario = make_scenario(session, name="CPTS Vénissieux")
        for gp, (name, street, phone, lat, lon) in zip(scenario.gps, PRACTICES, strict=True):
            gp.last_name, gp.practice_address, gp.phone = name, street, phone
            gp.latitude, gp.longitude = lat, lon
            gp.home_visits = True
        headers = scenario.territory.headers
        settings = api.patch(
            "/v1/settings",
            headers=headers,
            json={
                "professions": [
                    {"profession": "gp", "slot_minutes": 15, "free_slots_per_shift": FREE_SLOTS}
                ]
            },
        )
        assert settings.status_code == 200, settings.text
        runner = JobRunner(sessions, solver_process=solver)
        rotation_id = solved_rotation(
            api, runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
        )
        published = api.post(f"/v1/rotations/{rotation_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
        cpts_id = scenario.territory.cpts.id
        pharmacy = make_pharmacy(
            session, cpts_id=cpts_id, name="Pharmacie de la Gare", sector_id=scenario.sector_id
        )
        pharmacy.latitude, pharmacy.longitude = 45.7063, 4.8801
        api_user = create_user(
            session,
            cpts_id=cpts_id,
            data=UserCreate(role=Role.pharmacist, display_name="API", pharmacy_id=pharmacy.id),
        )
        _, secret = issue_token(session, user=api_user, label="browser tests")
        other = make_territory(session, name="CPTS Ailleurs")
        other_pharmacy = make_pharmacy(session, cpts_id=other.cpts.id, name="Pharmacie Loin")
        session.commit()
        return {
            "coordinator": headers,
            "pharmacist": bearer(secret),
            "cpts_id": cpts_id,
            "pharmacy_id": pharmacy.id,
            "gp_ids": [g.id for g in scenario.gps],
            "other_coordinator": other.headers,
            "other_cpts_id": other.cpts.id,
            "other_pharmacy_id": other_pharmacy.id,
        }


@contextmanager
def _serving(app: object, port: int) -> Iterator[None]:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        loop=EVENT_LOOP,  # as `cpts-snp serve`
        http=HTTP_PROTOCOL,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def _relaying(engine: Engine, schema: str | None) -> Iterator[None]:
    """PostgreSQL: the listener a served process runs, relaying committed live events to the
    pages' streams (the app here gets the test's sessions, so it starts none itself)."""
    if schema is None:
        yield
        return
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    listener = NotifyListener(url, relays=[(channel_name, relay_notice)])
    assert listener.wait_connected(timeout=5)
    try:
        yield
    finally:
        listener.stop()


@contextmanager
def live_server(backend: str, tmp_dir: Path, solver: SolverProcess) -> Iterator[Live]:
    """Start everything; stop and drop everything afterwards."""
    engine, schema = fresh_database(backend, tmp_dir)
    with engine.begin() as connection:
        upgrade(connection=connection)
    sessions = make_session_factory(engine)
    clock = FrozenClock(START)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        with smtp_server() as mailbox:
            settings = Settings(
                run_jobs=False,
                public_base_url=url,
                smtp_host="127.0.0.1",
                smtp_port=mailbox.port,
                smtp_security="none",
                smtp_timeout_seconds=5,
            )
            app = create_app(settings, session_factory=sessions)
            app.dependency_overrides[get_now] = lambda: clock.now
            with TestClient(app) as api:
                world = _world(api, sessions, solver)
            worker = NotificationWorker(sessions, settings, clock=lambda: clock.now)
            with (
                _relaying(engine, schema),
                _serving(app, port),
                httpx.Client(base_url=url, timeout=30) as client,
            ):
                yield Live(
                    url=url,
                    clock=clock,
                    mailbox=mailbox,
                    worker=worker,
                    sessions=sessions,
                    api=client,
                    **world,
                )
    finally:
        drop_database(engine, schema)
