"""Web sign-in: invitations, e-mailed links, sessions, CSRF and cookies (through the test
client; the browser tests walk the same flows in Chromium)."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.signin.models import SignInRequest, WebSession
from app.users.models import Role, User
from app.users.schemas import UserCreate
from app.users.service import create_user
from tests.conftest import FrozenClock
from tests.factories import Territory, make_pharmacy, make_practitioner, make_territory
from tests.web.pages import (
    ask_for_link,
    csrf_of,
    invite,
    invited_and_signed_in,
    links_sent,
    sign_in_with,
    signed_in_user,
)


def _pharmacist(session: Session, territory: Territory) -> User:
    pharmacy = make_pharmacy(session, cpts_id=territory.cpts.id)
    user = create_user(
        session,
        cpts_id=territory.cpts.id,
        data=UserCreate(role=Role.pharmacist, display_name="Léa Pharma", pharmacy_id=pharmacy.id),
    )
    session.commit()
    return user


def _signed_in_pharmacist(client: TestClient, session: Session) -> tuple[Territory, User]:
    territory = make_territory(session)
    user = _pharmacist(session, territory)
    invited_and_signed_in(
        client, session, coordinator=territory.headers, user_id=user.id, email="l@p.example"
    )
    return territory, user


def _second_browser(client: TestClient) -> TestClient:
    return TestClient(client.app, raise_server_exceptions=False)


def test_invitation_link_opens_a_session_once(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    user = _pharmacist(session, territory)
    invite(client, coordinator=territory.headers, user_id=user.id, email="Lea@Pharma.example")
    [secret] = links_sent(session, user_id=user.id)
    assert sign_in_with(client, secret) == 303
    home = client.get("/")
    assert home.status_code == 200 and "<h1>Orienter un patient</h1>" in home.text
    other = _second_browser(client)
    other.cookies.set("snp_csrf", "x")
    reused = other.post(f"/connexion/lien/{secret}", data={"csrf": "x"})
    assert reused.status_code == 410 and "Lien expiré ou déjà utilisé" in reused.text


def test_invitation_expires_after_72_hours(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    user = _pharmacist(session, territory)
    invite(client, coordinator=territory.headers, user_id=user.id, email="lea@pharma.example")
    clock.now += timedelta(hours=72, seconds=1)
    assert sign_in_with(client, links_sent(session, user_id=user.id)[0]) == 410


def test_invitation_of_another_cpts_user_is_404(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    mine = make_territory(session, name="CPTS A")
    theirs = make_territory(session, name="CPTS B")
    user = _pharmacist(session, theirs)
    response = client.post(
        f"/v1/users/{user.id}/invitations", headers=mine.headers, json={"email": "x@y.example"}
    )
    assert response.status_code == 404
    assert links_sent(session, user_id=user.id) == []


def test_link_request_answers_the_same_for_known_and_unknown_addresses(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    user = _pharmacist(session, territory)
    invite(client, coordinator=territory.headers, user_id=user.id, email="lea@pharma.example")
    known = ask_for_link(client, " LEA@pharma.example ")
    unknown = ask_for_link(client, "nobody@pharma.example")
    assert known.replace("LEA@pharma.example", "X") == unknown.replace("nobody@pharma.example", "X")
    links = links_sent(session, user_id=user.id)
    assert len(links) == 2  # the invitation, then the requested link
    clock.now += timedelta(minutes=15, seconds=1)
    assert sign_in_with(client, links[1]) == 410
    fresh = ask_for_link(client, "lea@pharma.example")
    assert "Consultez votre messagerie" in fresh
    assert sign_in_with(client, links_sent(session, user_id=user.id)[-1]) == 303


def test_link_requests_are_rate_limited_per_address_and_per_ip(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    client.app.state.settings = Settings(  # type: ignore[attr-defined]
        run_jobs=False, sign_in_requests_per_address=2, sign_in_requests_per_ip=4
    )
    for _ in range(2):
        assert "Consultez votre messagerie" in ask_for_link(client, "a@pharma.example")
    page = client.get("/connexion")
    refused = client.post("/connexion", data={"csrf": csrf_of(page.text), "email": "a@x.fr"})
    assert refused.status_code == 200  # another address is still fine
    page = client.get("/connexion")
    refused = client.post(
        "/connexion", data={"csrf": csrf_of(page.text), "email": "a@pharma.example"}
    )
    assert refused.status_code == 429 and "Trop de demandes" in refused.text
    assert refused.headers["Retry-After"] == "3600"
    assert "Consultez" in ask_for_link(client, "b@pharma.example")
    page = client.get("/connexion")
    by_ip = client.post("/connexion", data={"csrf": csrf_of(page.text), "email": "c@x.fr"})
    assert by_ip.status_code == 429
    clock.now += timedelta(minutes=61)
    assert "Consultez" in ask_for_link(client, "a@pharma.example")
    stored = session.scalars(select(SignInRequest.email_digest)).all()
    assert len(stored) == 1 and "@" not in stored[0]  # older requests are forgotten


def test_my_sessions_lists_and_ends_another_device(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _, user = _signed_in_pharmacist(client, session)
    phone = _second_browser(client)
    ask_for_link(phone, "l@p.example")
    assert sign_in_with(phone, links_sent(session, user_id=user.id)[-1]) == 303
    listing = client.get("/sessions")
    assert listing.text.count('action="/sessions/') == 2
    other_id = session.scalars(
        select(WebSession.id).where(WebSession.user_id == user.id).order_by(WebSession.id.desc())
    ).first()
    ended = client.post(
        f"/sessions/{other_id}/fin", data={"csrf": csrf_of(listing.text)}, follow_redirects=False
    )
    assert ended.status_code == 303 and ended.headers["location"] == "/sessions"
    gone = phone.get("/orienter", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/connexion"
    assert client.get("/orienter").status_code == 200


def test_ending_another_users_session_is_404(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    first, second = _pharmacist(session, territory), _pharmacist(session, territory)
    invited_and_signed_in(
        client, session, coordinator=territory.headers, user_id=first.id, email="1@p.example"
    )
    other = _second_browser(client)
    invited_and_signed_in(
        other, session, coordinator=territory.headers, user_id=second.id, email="2@p.example"
    )
    theirs = session.scalars(select(WebSession.id).where(WebSession.user_id == second.id)).one()
    page = client.get("/sessions")
    refused = client.post(f"/sessions/{theirs}/fin", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 404
    assert other.get("/orienter").status_code == 200


def test_deactivating_a_user_ends_their_sessions_at_once(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory, user = _signed_in_pharmacist(client, session)
    off = client.patch(f"/v1/users/{user.id}", headers=territory.headers, json={"active": False})
    assert off.status_code == 200
    gone = client.get("/orienter", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/connexion"
    ended = session.scalars(select(WebSession.ended_at).where(WebSession.user_id == user.id))
    assert all(at is not None for at in ended)
    on = client.patch(f"/v1/users/{user.id}", headers=territory.headers, json={"active": True})
    assert on.status_code == 200
    assert client.get("/orienter", follow_redirects=False).status_code == 303


def test_sessions_expire_after_the_idle_time(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _signed_in_pharmacist(client, session)
    clock.now += timedelta(hours=11)
    assert client.get("/sessions").status_code == 200  # activity restarts the idle time
    clock.now += timedelta(hours=11)
    assert client.get("/orienter").status_code == 200  # (a page that writes: same)
    clock.now += timedelta(hours=11)
    assert client.get("/sessions").status_code == 200
    clock.now += timedelta(hours=12, seconds=1)
    idle = client.get("/orienter", follow_redirects=False)
    assert idle.status_code == 303 and idle.headers["location"] == "/connexion"


def test_state_changing_forms_without_csrf_are_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _, user = _signed_in_pharmacist(client, session)
    for data in ({}, {"csrf": "forged"}):
        refused = client.post("/deconnexion", data=data)
        assert refused.status_code == 403 and "Formulaire expiré" in refused.text
        booking = client.post("/orienter/reserver", data={**data, "slot_id": "1"})
        assert booking.status_code == 403
    assert client.get("/orienter").status_code == 200  # still signed in
    anonymous = _second_browser(client)
    no_token = anonymous.post("/connexion", data={"email": "l@p.example"})
    assert no_token.status_code == 403
    assert len(links_sent(session, user_id=user.id)) == 1


def test_session_cookie_is_httponly_lax_and_secure_behind_https(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    user = _pharmacist(session, territory)
    invite(client, coordinator=territory.headers, user_id=user.id, email="l@p.example")
    secret = links_sent(session, user_id=user.id)[0]
    page = client.get(f"/connexion/lien/{secret}")
    answer = client.post(
        f"/connexion/lien/{secret}", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "snp_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    client.app.state.settings = Settings(  # type: ignore[attr-defined]
        run_jobs=False, public_base_url="https://snp.example"
    )
    https_page = client.get("/connexion")
    assert "Secure" in https_page.headers["set-cookie"]


def test_api_tokens_keep_working_and_pages_need_a_session(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    assert client.get("/v1/me", headers=territory.headers).status_code == 200
    page = client.get("/orienter", headers=territory.headers, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/connexion"


def test_deactivating_a_practitioner_ends_their_users_sessions(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    territory = make_territory(session)
    practitioner = make_practitioner(session, cpts_id=territory.cpts.id)
    user = signed_in_user(
        client,
        session,
        coordinator=territory.headers,
        cpts_id=territory.cpts.id,
        role=Role.practitioner,
        email="dr@cab.example",
        practitioner_id=practitioner.id,
    )
    assert client.get("/praticien").status_code == 200
    gone = client.delete(f"/v1/practitioners/{practitioner.id}", headers=territory.headers)
    assert gone.status_code == 204
    ended = client.get("/praticien", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"] == "/connexion"
    assert session.scalars(select(WebSession.ended_at).where(WebSession.user_id == user.id)).one()


def test_pages_load_only_what_the_app_serves(client: TestClient) -> None:
    page = client.get("/connexion")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assets = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    assert "/static/web/style.css" in assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        assert client.get(asset).status_code == 200, asset
