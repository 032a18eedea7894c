"""Against real `cpts-snp serve` processes: a burst of bookings gets one winner and fast,
honest answers; an Idempotency-Key racing itself answers one referral; a revoked token or
feed link is refused by every process as soon as the revocation is answered."""

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from app.base import utcnow
from app.referrals.models import Referral
from app.users.models import Role
from tests.app.live import LiveDatabase, served, served_many
from tests.app.slot_scenarios import PATIENT
from tests.factories import (
    make_open_slots,
    make_pharmacy,
    make_practitioner,
    make_territory,
    make_user_headers,
)

BURST = 200
SLOTS = 10
SAME_KEY = 50
REVOCATIONS = 15
ANSWER_WITHIN_SECONDS = 60.0
NO_BOOKING_LIMIT = {"RATE_LIMIT_BOOKING_PER_TOKEN": "0"}  # a burst of one token, on purpose


def _pharmacist_with_slots(live: LiveDatabase, count: int) -> tuple[dict[str, str], list[int]]:
    with live.sessions() as session:
        cpts_id = make_territory(session).cpts.id
        slots = make_open_slots(
            session, cpts_id=cpts_id, count=count, first_start=utcnow() + timedelta(hours=2)
        )
        pharmacy = make_pharmacy(session, cpts_id=cpts_id)
        headers = make_user_headers(
            session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        session.commit()
    return headers, slots


async def _book_at_once(
    base: str, headers: dict[str, str], bookings: list[tuple[int, str]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bookings), max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=ANSWER_WITHIN_SECONDS
    ) as client:
        return list(
            await asyncio.gather(
                *(
                    client.post(
                        "/v1/referrals",
                        headers={**headers, "Idempotency-Key": key},
                        json={"slot_id": slot, "patient": PATIENT, "reason_category": "infection"},
                    )
                    for slot, key in bookings
                )
            )
        )


def _assert_honest(responses: list[httpx.Response]) -> None:
    for response in responses:
        assert response.status_code in (201, 409, 503), response.text
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "1"


def _referrals(live: LiveDatabase) -> int:
    with live.sessions() as session:
        return session.scalar(select(func.count()).select_from(Referral)) or 0


def test_a_burst_on_one_slot_has_one_winner_and_every_other_answer_is_honest(
    live: LiveDatabase,
) -> None:
    headers, (slot,) = _pharmacist_with_slots(live, 1)
    with served(live, **NO_BOOKING_LIMIT) as base:
        responses = asyncio.run(
            _book_at_once(base, headers, [(slot, f"burst-{n}") for n in range(BURST)])
        )
    _assert_honest(responses)
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1, statuses
    assert _referrals(live) == 1


def test_a_burst_over_many_slots_never_books_one_twice(live: LiveDatabase) -> None:
    headers, slots = _pharmacist_with_slots(live, SLOTS)
    bookings = [(slots[n % SLOTS], f"spread-{n}") for n in range(BURST)]
    with served(live, **NO_BOOKING_LIMIT) as base:
        responses = asyncio.run(_book_at_once(base, headers, bookings))
    _assert_honest(responses)
    winners = Counter(r.json()["slot_id"] for r in responses if r.status_code == 201)
    assert winners and max(winners.values()) == 1, winners
    assert _referrals(live) == sum(winners.values())


def test_one_idempotency_key_sent_many_times_at_once_answers_one_referral(
    live: LiveDatabase,
) -> None:
    headers, (slot,) = _pharmacist_with_slots(live, 1)
    with served(live) as base:
        responses = asyncio.run(_book_at_once(base, headers, [(slot, "same-key")] * SAME_KEY))
    assert Counter(r.status_code for r in responses) == {201: SAME_KEY}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == SAME_KEY - 1
    assert _referrals(live) == 1


def test_a_revoked_token_is_refused_by_another_process_at_once(live: LiveDatabase) -> None:
    with live.sessions() as session:
        territory = make_territory(session)
    user_id = territory.coordinator.id
    coordinator = territory.headers
    accepted_after_revoke = []
    with served_many(live, 2) as (first, second):
        revoker = httpx.Client(base_url=first, headers=coordinator)
        other = httpx.Client(base_url=second)
        for trial in range(REVOCATIONS):
            issued = revoker.post(f"/v1/users/{user_id}/tokens", json={"label": f"t{trial}"})
            assert issued.status_code == 201, issued.text
            bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
            for _ in range(3):  # now cached by the other process
                assert other.get("/v1/me", headers=bearer).status_code == 200
            revoked = revoker.delete(f"/v1/tokens/{issued.json()['id']}")
            assert revoked.status_code == 200, revoked.text
            if other.get("/v1/me", headers=bearer).status_code != 401:
                accepted_after_revoke.append(trial)
        revoker.close()
        other.close()
    assert accepted_after_revoke == []


def test_a_revoked_feed_link_is_refused_by_another_process_at_once(live: LiveDatabase) -> None:
    with live.sessions() as session:
        territory = make_territory(session)
        practitioner_id = make_practitioner(session, cpts_id=territory.cpts.id).id
    served_after_revoke = []
    with served_many(live, 2) as (first, second):
        revoker = httpx.Client(base_url=first, headers=territory.headers)
        other = httpx.Client(base_url=second)
        for _ in range(REVOCATIONS):
            issued = revoker.post(f"/v1/practitioners/{practitioner_id}/feed-tokens")
            assert issued.status_code == 201, issued.text
            feed = f"/ical/practitioners/{issued.json()['token']}.ics"
            assert other.get(feed).status_code == 200
            revoked = revoker.delete(f"/v1/feed-tokens/{issued.json()['id']}")
            assert revoked.status_code == 200, revoked.text
            if other.get(feed).status_code != 404:
                served_after_revoke.append(issued.json()["id"])
        revoker.close()
        other.close()
    assert served_after_revoke == []
