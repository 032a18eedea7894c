"""Helpers for page tests through the test client: CSRF tokens, links from the outbox."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.notifications.models import Notification
from app.users.models import Role, User
from app.users.schemas import UserCreate
from app.users.service import create_user
from tests.app.slot_scenarios import BookingScenario
from tests.factories import Territory

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"/connexion/lien/(\S+)")


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def links_sent(session: Session, *, user_id: int) -> list[str]:
    """The secrets of the sign-in links e-mailed to a user, oldest first."""
    bodies = session.scalars(
        select(Notification.body)
        .where(Notification.user_id == user_id, Notification.channel == "email")
        .order_by(Notification.id)
    )
    return [m.group(1) for body in bodies if (m := LINK.search(body))]


def sign_in_with(client: TestClient, secret: str) -> int:
    """Open the link page and press "Se connecter"; returns the final status code."""
    page = client.get(f"/connexion/lien/{secret}")
    assert page.status_code == 200
    response = client.post(
        f"/connexion/lien/{secret}", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    return response.status_code


def ask_for_link(client: TestClient, email: str) -> str:
    """Submit the /connexion form; returns the answer page."""
    page = client.get("/connexion")
    response = client.post("/connexion", data={"csrf": csrf_of(page.text), "email": email})
    return response.text


def invite(client: TestClient, *, coordinator: dict[str, str], user_id: int, email: str) -> None:
    """The coordinator invites a user through the API."""
    response = client.post(
        f"/v1/users/{user_id}/invitations", headers=coordinator, json={"email": email}
    )
    assert response.status_code == 201, response.text


def invited_and_signed_in(
    client: TestClient,
    session: Session,
    *,
    coordinator: dict[str, str],
    user_id: int,
    email: str,
) -> None:
    """Invite a user and use the e-mailed link in ``client`` (which keeps the cookie)."""
    invite(client, coordinator=coordinator, user_id=user_id, email=email)
    assert sign_in_with(client, links_sent(session, user_id=user_id)[-1]) == 303


def signed_in_user(
    client: TestClient,
    session: Session,
    *,
    coordinator: dict[str, str],
    cpts_id: int,
    role: Role,
    email: str,
    practitioner_id: int | None = None,
    pharmacy_id: int | None = None,
) -> User:
    """A new user of ``role``, invited by ``coordinator`` and signed in in ``client``."""
    user = create_user(
        session,
        cpts_id=cpts_id,
        data=UserCreate(
            role=role, display_name=email, practitioner_id=practitioner_id, pharmacy_id=pharmacy_id
        ),
    )
    session.commit()
    invited_and_signed_in(client, session, coordinator=coordinator, user_id=user.id, email=email)
    return user


def signed_in_practitioner(
    client: TestClient, session: Session, booking: BookingScenario, practitioner_id: int
) -> User:
    """A user acting for the practitioner, signed in in ``client``."""
    return signed_in_user(
        client,
        session,
        coordinator=booking.coordinator,
        cpts_id=booking.scenario.territory.cpts.id,
        role=Role.practitioner,
        email=f"dr{practitioner_id}@cab.example",
        practitioner_id=practitioner_id,
    )


def signed_in_coordinator(client: TestClient, session: Session, territory: Territory) -> User:
    """A second coordinator of ``territory``, signed in in ``client``."""
    return signed_in_user(
        client,
        session,
        coordinator=territory.headers,
        cpts_id=territory.cpts.id,
        role=Role.coordinator,
        email="coordination@cpts.example",
    )
