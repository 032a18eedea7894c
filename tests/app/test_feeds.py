"""Calendar feeds: tokens (issue, rotate, revoke, roles), feed content and its correctness
for calendar apps (checked with icalendar and, independently, recurring-ical-events), and
conditional HTTP (ETag, Last-Modified, 304, HEAD)."""

from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import recurring_ical_events
from fastapi.testclient import TestClient
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth import hash_token
from app.clock import get_now
from app.config import Settings
from app.feeds.content import cpts_calendar, uid_domain
from app.feeds.ical import FeedCalendar, FeedEvent, escape_text, fold, render
from app.feeds.models import FeedToken
from app.main import create_app
from app.practitioners.models import Practitioner
from app.rotations.jobs import JobRunner
from tests.app.rotation_scenarios import make_scenario, solved_rotation
from tests.app.slot_scenarios import BookingScenario, book, make_booking_scenario
from tests.conftest import FrozenClock
from tests.factories import first_field_error, make_territory

PARIS = ZoneInfo("Europe/Paris")
PATIENT = {"display_name": "Jeanne Dupont-Lemoine", "birth_year": 1951, "phone": "06 98 76 54 32"}
BASE_URL = Settings().public_base_url
UID_HOST = uid_domain(BASE_URL)
ADDRESS = "12, rue de la République; 69200 Vénissieux (cabinet médical du centre-ville)"


def feed_path(issued: dict) -> str:
    """The path of an issued feed's URL, for the test client."""
    return urlsplit(issued["url"]).path


def issue_feed(client: TestClient, practitioner_id: int, headers: dict[str, str]) -> dict:
    """Issue a practitioner's feed token and return the API's answer."""
    response = client.post(f"/v1/practitioners/{practitioner_id}/feed-tokens", headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def events_by_uid(text: str) -> dict[str, Event]:
    """The feed's events by UID, parsed with icalendar."""
    calendar = Calendar.from_ical(text)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def booked_practitioner_feed(
    client: TestClient, session: Session, booking: BookingScenario
) -> tuple[dict, dict, int]:
    """Book the first open slot for ``PATIENT``; issue its practitioner's feed.
    Returns the referral, the issued feed and the practitioner's id."""
    offer = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]
    referral = book(client, booking, offer["slot_id"], patient=PATIENT)
    assert referral.status_code == 201, referral.text
    practitioner_id = offer["practitioner"]["id"]
    session.get_one(Practitioner, practitioner_id).practice_address = ADDRESS
    session.commit()
    issued = issue_feed(
        client, practitioner_id, booking.practitioner_headers(session, practitioner_id)
    )
    return referral.json(), issued, practitioner_id


def practitioner_shifts(client: TestClient, booking: BookingScenario, practitioner_id: int) -> list:
    """The practitioner's active shifts in the scenario's rotation."""
    response = client.get(
        f"/v1/rotations/{booking.rotation_id}/shifts?practitioner_id={practitioner_id}",
        headers=booking.coordinator,
    )
    return list(response.json()["items"])


def test_practitioner_feed_shows_shifts_and_referrals_without_patient_identity(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    referral, issued, practitioner_id = booked_practitioner_feed(client, session, booking)
    response = client.get(feed_path(issued))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    text = response.text
    for identity in (PATIENT["display_name"], "Dupont", PATIENT["phone"], "0698765432", "1951"):
        assert identity not in text
    events = events_by_uid(text)
    shifts = practitioner_shifts(client, booking, practitioner_id)
    assert set(events) == {f"shift-{s['id']}@{UID_HOST}" for s in shifts} | {
        f"referral-{referral['id']}@{UID_HOST}"
    }
    shift_event = events[f"shift-{shifts[0]['id']}@{UID_HOST}"]
    assert shift_event["SUMMARY"] == "Astreinte SNP — 14h-20h"
    assert shift_event["LOCATION"] == ADDRESS
    assert shift_event["STATUS"] == "CONFIRMED"
    referral_event = events[f"referral-{referral['id']}@{UID_HOST}"]
    assert (
        referral_event["SUMMARY"]
        == f"Patient orienté par Pharmacie du Centre — réf. {referral['id']}"
    )
    assert referral_event.start == datetime.fromisoformat(referral["slot_starts_at"])


def test_feed_is_a_subscription_calendar_apps_accept(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _, issued, practitioner_id = booked_practitioner_feed(client, session, booking)
    assert issued["webcal_url"] == "webcal://" + issued["url"].split("://", 1)[1]
    assert urlsplit(issued["url"]).scheme in ("http", "https")
    raw = client.get(feed_path(issued)).content
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "the long address is folded"
    unfolded = raw.decode().replace("\r\n ", "").split("\r\n")
    assert not [line for line in unfolded if line.startswith("METHOD")]
    for expected in (
        "X-WR-CALNAME:Astreintes SNP — Claire Docteur",
        "X-WR-TIMEZONE:Europe/Paris",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
    ):
        assert any(line.startswith(expected) for line in unfolded), expected
    calendar = Calendar.from_ical(raw)
    assert calendar.get_missing_tzids() == set()
    for event in calendar.walk("VEVENT"):
        for prop in ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "UID"):
            assert prop in event
    expanded = recurring_ical_events.of(calendar).between(date(2026, 11, 1), date(2027, 3, 1))
    shifts = practitioner_shifts(client, booking, practitioner_id)
    assert len(expanded) == len(shifts) + 1
    for event in expanded:
        if str(event["UID"]).startswith("shift-"):
            assert (event.start.time(), event.end.time()) == (time(14), time(20))
            assert event.start.tzinfo is not None and event.start.utcoffset() == timedelta(hours=1)


def test_dst_days_stay_14_to_20_local(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)
    sunday = {"day_kind": "sun", "profession": "gp", "sector_id": scenario.sector_id, "required": 1}
    headers = scenario.territory.headers
    assert client.post("/v1/coverage-rules", headers=headers, json=sunday).status_code == 201
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 3, 22), end=date(2027, 4, 2)
    )
    assert client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers).status_code == 200
    issued = client.post("/v1/feed-tokens/cpts", headers=headers, json={}).json()
    raw = client.get(feed_path(issued)).text
    assert "DTSTART;TZID=Europe/Paris:20270328T140000" in raw
    assert "DTEND;TZID=Europe/Paris:20270328T200000" in raw
    expanded = recurring_ical_events.of(Calendar.from_ical(raw)).between(
        date(2027, 3, 22), date(2027, 4, 3)
    )
    shifts = client.get(f"/v1/rotations/{rotation_id}/shifts", headers=headers).json()["items"]
    assert sorted(str(e["UID"]) for e in expanded) == sorted(
        f"shift-{s['id']}@{UID_HOST}" for s in shifts
    )
    by_day = {e.start.date(): e for e in expanded}
    for event in expanded:
        local = event.start.astimezone(PARIS), event.end.astimezone(PARIS)
        assert (local[0].time(), local[1].time()) == (time(14), time(20))
    utc_start = {day: by_day[day].start.astimezone(UTC).hour for day in by_day}
    assert utc_start[date(2027, 3, 26)] == 13 and utc_start[date(2027, 3, 28)] == 12


def test_uids_are_stable_and_an_amendment_bumps_sequence_and_cancels(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _, issued, practitioner_id = booked_practitioner_feed(client, session, booking)
    first, second = client.get(feed_path(issued)), client.get(feed_path(issued))
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    shift = practitioner_shifts(client, booking, practitioner_id)[-1]
    uid = f"shift-{shift['id']}@{UID_HOST}"
    assert events_by_uid(first.text)[uid]["SEQUENCE"] == shift["sequence"] == 0
    cancelled = client.post(
        f"/v1/rotations/{booking.rotation_id}/shifts/{shift['id']}/cancel",
        headers=booking.coordinator,
        json={"reason": "arrêt maladie"},
    )
    assert cancelled.status_code == 200, cancelled.text
    after = client.get(feed_path(issued))
    assert after.headers["etag"] != first.headers["etag"]
    events = events_by_uid(after.text)
    assert set(events) == set(events_by_uid(first.text))
    assert events[uid]["STATUS"] == "CANCELLED" and events[uid]["SEQUENCE"] == 1
    assert str(events[uid]["SUMMARY"]).startswith("[Annulée] Astreinte SNP")


def test_conditional_requests_get_304_and_head_gets_headers_only(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _, issued, _ = booked_practitioner_feed(client, session, booking)
    path = feed_path(issued)
    full = client.get(path)
    etag, last_modified = full.headers["etag"], full.headers["last-modified"]
    by_etag = client.get(path, headers={"If-None-Match": f'"other", {etag}'})
    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    long_ago = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": long_ago}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-length"] == str(len(full.content))
    assert head.headers["content-type"] == "text/calendar; charset=utf-8"


def test_publishing_a_rotation_moves_the_feeds_last_modified(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    rotation_id = solved_rotation(
        client, job_runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
    )
    issued = client.post("/v1/feed-tokens/cpts", headers=headers, json={}).json()
    token = session.get_one(FeedToken, issued["id"])
    before = cpts_calendar(session, token=token, now=clock.now, public_base_url=BASE_URL)
    assert client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers).status_code == 200
    session.expire_all()
    after = cpts_calendar(session, token=token, now=clock.now, public_base_url=BASE_URL)
    assert before.events == [] and after.events
    assert after.last_modified > before.last_modified


def test_rotated_revoked_and_unknown_tokens_get_404(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    practitioner_id = booking.scenario.gps[0].id
    own = booking.practitioner_headers(session, practitioner_id)
    old, new = issue_feed(client, practitioner_id, own), issue_feed(client, practitioner_id, own)
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    listed = client.get("/v1/feed-tokens", headers=own).json()
    assert [(t["id"], t["revoked_at"] is None) for t in listed["items"]] == [
        (new["id"], True),
        (old["id"], False),
    ]
    revoked = client.delete(f"/v1/feed-tokens/{new['id']}", headers=own)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get(feed_path(new)).status_code == 404
    assert client.head(feed_path(new)).status_code == 404
    assert client.get("/ical/practitioners/snpcal_unknown.ics").status_code == 404
    cpts_feed = client.post("/v1/feed-tokens/cpts", headers=booking.coordinator, json={}).json()
    wrong_kind = feed_path(cpts_feed).replace("/ical/cpts/", "/ical/practitioners/")
    assert client.get(wrong_kind).status_code == 404


def test_deactivated_practitioner_feed_is_404(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    practitioner_id = booking.scenario.gps[0].id
    feed = issue_feed(client, practitioner_id, booking.coordinator)
    assert client.get(feed_path(feed)).status_code == 200
    gone = client.delete(f"/v1/practitioners/{practitioner_id}", headers=booking.coordinator)
    assert gone.status_code == 204
    assert client.get(feed_path(feed)).status_code == 404


def test_tokens_are_random_shown_once_and_stored_hashed(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    practitioner_id = booking.scenario.gps[0].id
    issued = issue_feed(client, practitioner_id, booking.coordinator)
    secret = issued["token"]
    assert len(secret.removeprefix("snpcal_")) >= 43  # 32 random bytes, base64url
    assert issued["url"].endswith(f"/ical/practitioners/{secret}.ics")
    stored = session.scalars(select(FeedToken.token_hash)).all()
    assert stored == [hash_token(secret)] and secret not in stored
    listed = client.get("/v1/feed-tokens", headers=booking.coordinator).text
    assert secret not in listed


def test_only_the_practitioner_or_the_coordinator_manage_a_feed(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    mine, colleague = booking.scenario.gps[0].id, booking.scenario.gps[1].id
    colleague_headers = booking.practitioner_headers(session, colleague)
    url = f"/v1/practitioners/{mine}/feed-tokens"
    assert client.post(url, headers=colleague_headers).status_code == 403
    assert client.post(url, headers=booking.pharmacist).status_code == 403
    other = make_territory(session, name="CPTS Ailleurs")
    assert client.post(url, headers=other.headers).status_code == 404
    issued = issue_feed(client, mine, booking.coordinator)
    assert (
        client.delete(f"/v1/feed-tokens/{issued['id']}", headers=colleague_headers).status_code
        == 403
    )
    assert (
        client.delete(f"/v1/feed-tokens/{issued['id']}", headers=other.headers).status_code == 404
    )
    assert client.get("/v1/feed-tokens", headers=colleague_headers).json()["total"] == 0
    assert client.get("/v1/feed-tokens", headers=other.headers).json()["total"] == 0
    assert (
        client.post("/v1/feed-tokens/cpts", headers=colleague_headers, json={}).status_code == 403
    )
    assert client.get(feed_path(issued)).status_code == 200


def test_cpts_feed_filters_by_profession_and_sector_and_shows_no_referral(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    booked_practitioner_feed(client, session, booking)
    coordinator, sector_id = booking.coordinator, booking.scenario.sector_id
    everyone = client.post("/v1/feed-tokens/cpts", headers=coordinator, json={}).json()
    text = client.get(feed_path(everyone)).text
    shifts = client.get(
        f"/v1/rotations/{booking.rotation_id}/shifts?limit=200", headers=coordinator
    ).json()["items"]
    events = events_by_uid(text)
    assert set(events) == {f"shift-{s['id']}@{UID_HOST}" for s in shifts}
    assert "Patient orienté" not in text and PATIENT["display_name"] not in text
    assert "X-WR-CALNAME:Astreintes SNP — CPTS Rotation" in text
    gp_sector = {"profession": "gp", "sector_id": sector_id}
    filtered = client.post("/v1/feed-tokens/cpts", headers=coordinator, json=gp_sector).json()
    assert filtered["profession"] == "gp" and filtered["sector_id"] == sector_id
    assert len(events_by_uid(client.get(feed_path(filtered)).text)) == len(shifts)
    nurses = client.post("/v1/feed-tokens/cpts", headers=coordinator, json={"profession": "nurse"})
    assert events_by_uid(client.get(feed_path(nurses.json())).text) == {}
    narrowed = client.get(feed_path(everyone), params={"profession": "physio"})
    assert events_by_uid(narrowed.text) == {}
    unknown = client.post("/v1/feed-tokens/cpts", headers=coordinator, json={"sector_id": 999999})
    assert unknown.status_code == 422 and first_field_error(unknown)["field"] == "sector_id"


def test_text_is_escaped_and_lines_fold_at_75_octets_between_characters() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + escape_text("Astreinte — é, ü; 😀\n") * 12
    parts = fold(line).split("\r\n")
    assert len(parts) > 1 and all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert parts[0] + "".join(part[1:] for part in parts[1:]) == line
    assert fold("SUMMARY:court") == "SUMMARY:court"


def test_event_uids_carry_the_deployments_host(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    job_runner: JobRunner,
    clock: FrozenClock,
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    _, issued, _ = booked_practitioner_feed(client, session, booking)
    uids = {}
    for host in ("snp.cpts-a.example.org", "snp.cpts-b.example.org"):
        settings = Settings(run_jobs=False, public_base_url=f"https://{host}/")
        with TestClient(create_app(settings, session_factory=session_factory)) as other:
            other.app.dependency_overrides[get_now] = lambda: clock.now  # type: ignore[attr-defined]
            uids[host] = set(events_by_uid(other.get(feed_path(issued)).text))
        assert uids[host] and all(uid.endswith(f"@{host}") for uid in uids[host]), uids[host]
    assert not uids["snp.cpts-a.example.org"] & uids["snp.cpts-b.example.org"]
    assert uid_domain("https://SNP.example.org:8443/cpts-a/") == "snp.example.org:8443/cpts-a"


def _feed_event(starts_at: datetime) -> FeedEvent:
    return FeedEvent(
        uid=f"shift-{starts_at:%Y%m%d}@snp.example.org",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=6),
        summary="Astreinte SNP — 14h-20h",
        description="Astreinte de soins non programmés",
        location=None,
        sequence=0,
        cancelled=False,
        created=starts_at,
        last_modified=starts_at,
    )


def test_vtimezone_covers_every_event_of_the_feed() -> None:
    for zone_name in ("Europe/Paris", "America/Cayenne", "Indian/Reunion", "Pacific/Noumea"):
        zone = ZoneInfo(zone_name)
        days = [date(2026, 10, 25), date(2026, 12, 31), date(2027, 3, 28), date(2028, 10, 29)]
        starts = [datetime.combine(day, time(14), zone) for day in days]
        feed = FeedCalendar(
            name="Astreintes",
            timezone=zone_name,
            events=[_feed_event(s) for s in starts],
            last_modified=starts[-1],
        )
        calendar = Calendar.from_ical(render(feed))
        assert calendar.get_missing_tzids() == set()
        (vtimezone,) = calendar.walk("VTIMEZONE")
        described = vtimezone.to_tz()
        observances = [o.DTSTART for o in vtimezone.walk() if o.name in ("STANDARD", "DAYLIGHT")]
        for event in calendar.walk("VEVENT"):
            for instant in (event.start, event.end):
                wall = instant.replace(tzinfo=None)
                assert min(observances) <= wall, (zone_name, wall)
                assert wall.replace(tzinfo=described).utcoffset() == instant.utcoffset(), (
                    zone_name,
                    wall,
                )
