"""JoinRepository: consents and pending joins, on both engines."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from storage import Consent, IntegrityError, PendingJoin, Store

USER = 2**40 + 7
OTHER_USER = 2**40 + 8
GROUP = -1001234567890
OTHER_GROUP = -1001111111111


# --- consents ------------------------------------------------------------------------------


async def test_no_consent_is_none(store: Store) -> None:
    assert await store.joins.consent(USER, GROUP) is None
    assert await store.joins.consents_of(USER) == []
    assert await store.joins.consenting_members(GROUP) == []


async def test_record_consent_stores_and_returns_it(store: Store, now: datetime) -> None:
    consent = await store.joins.record_consent(USER, GROUP, 3, now)
    assert consent == Consent(USER, GROUP, 3, now)
    assert await store.joins.consent(USER, GROUP) == consent
    assert await store.joins.consent(USER, OTHER_GROUP) is None
    assert await store.joins.consent(OTHER_USER, GROUP) is None


async def test_a_new_consent_replaces_the_old_one(store: Store, now: datetime) -> None:
    await store.joins.record_consent(USER, GROUP, 1, now)
    later = now + timedelta(days=30)
    consent = await store.joins.record_consent(USER, GROUP, 2, later)
    assert consent == Consent(USER, GROUP, 2, later)
    assert await store.joins.consents_of(USER) == [consent]
    count = await store.db.fetchval(
        "SELECT COUNT(*) FROM consents WHERE user_id = $1 AND chat_id = $2", USER, GROUP
    )
    assert count == 1


async def test_concurrent_consents_keep_one_row(store: Store, now: datetime) -> None:
    await asyncio.gather(*(store.joins.record_consent(USER, GROUP, v, now) for v in range(10)))
    assert await store.db.fetchval("SELECT COUNT(*) FROM consents") == 1


async def test_consents_of_a_member_are_ordered_by_group(store: Store, now: datetime) -> None:
    await store.joins.record_consent(USER, -5, 1, now)
    await store.joins.record_consent(USER, GROUP, 0, now)
    await store.joins.record_consent(USER, -7, 2, now)
    await store.joins.record_consent(OTHER_USER, -5, 1, now)
    assert await store.joins.consents_of(USER) == [
        Consent(USER, GROUP, 0, now),
        Consent(USER, -7, 2, now),
        Consent(USER, -5, 1, now),
    ]


async def test_consenting_members_of_a_group(store: Store, now: datetime) -> None:
    await store.joins.record_consent(OTHER_USER, GROUP, 2, now)
    await store.joins.record_consent(USER, GROUP, 1, now)  # an older version still counts
    await store.joins.record_consent(USER + 100, OTHER_GROUP, 1, now)
    assert await store.joins.consenting_members(GROUP) == [USER, OTHER_USER]
    assert await store.joins.consenting_members(OTHER_GROUP) == [USER + 100]


async def test_withdraw_consent(store: Store, now: datetime) -> None:
    await store.joins.record_consent(USER, GROUP, 1, now)
    await store.joins.record_consent(USER, OTHER_GROUP, 1, now)
    assert await store.joins.withdraw_consent(USER, GROUP) is True
    assert await store.joins.withdraw_consent(USER, GROUP) is False
    assert await store.joins.consent(USER, GROUP) is None
    assert await store.joins.consents_of(USER) == [Consent(USER, OTHER_GROUP, 1, now)]


def test_consents_are_frozen(now: datetime) -> None:
    consent = Consent(USER, GROUP, 1, now)
    with pytest.raises(AttributeError):
        consent.rules_version = 2  # type: ignore[misc]


# --- pending joins -------------------------------------------------------------------------


async def test_nothing_pending_is_none(store: Store) -> None:
    assert await store.joins.pending(USER, GROUP) is None
    assert await store.joins.pending_of(USER) == []
    assert await store.joins.take_pending(USER, GROUP) is None


async def test_start_pending_stores_and_returns_it(store: Store, now: datetime) -> None:
    pending = await store.joins.start_pending(USER, GROUP, "request", now)
    assert pending == PendingJoin(USER, GROUP, "request", now, None)
    assert await store.joins.pending(USER, GROUP) == pending
    assert await store.joins.pending(USER, OTHER_GROUP) is None


async def test_set_welcome_message(store: Store, now: datetime) -> None:
    await store.joins.start_pending(USER, GROUP, "arrival", now)
    await store.joins.set_welcome_message(USER, GROUP, 2**33)
    assert await store.joins.pending(USER, GROUP) == PendingJoin(
        USER, GROUP, "arrival", now, 2**33
    )
    # Without a pending join there is nothing to remember it for.
    await store.joins.set_welcome_message(OTHER_USER, GROUP, 5)
    assert await store.joins.pending(OTHER_USER, GROUP) is None


async def test_a_repeat_starts_afresh(store: Store, now: datetime) -> None:
    await store.joins.start_pending(USER, GROUP, "request", now)
    await store.joins.set_welcome_message(USER, GROUP, 41)
    later = now + timedelta(minutes=10)
    pending = await store.joins.start_pending(USER, GROUP, "arrival", later)
    assert pending == PendingJoin(USER, GROUP, "arrival", later, None)
    assert await store.joins.pending_of(USER) == [pending]


async def test_pending_of_a_person_is_ordered_by_group(store: Store, now: datetime) -> None:
    await store.joins.start_pending(USER, -5, "arrival", now)
    await store.joins.start_pending(USER, GROUP, "request", now)
    await store.joins.start_pending(OTHER_USER, -5, "request", now)
    assert await store.joins.pending_of(USER) == [
        PendingJoin(USER, GROUP, "request", now, None),
        PendingJoin(USER, -5, "arrival", now, None),
    ]


async def test_take_pending_works_once(store: Store, now: datetime) -> None:
    await store.joins.start_pending(USER, GROUP, "request", now)
    await store.joins.set_welcome_message(USER, GROUP, 9)
    await store.joins.start_pending(USER, OTHER_GROUP, "request", now)
    taken = await store.joins.take_pending(USER, GROUP)
    assert taken == PendingJoin(USER, GROUP, "request", now, 9)
    assert await store.joins.take_pending(USER, GROUP) is None
    assert await store.joins.pending(USER, GROUP) is None
    assert await store.joins.pending(USER, OTHER_GROUP) is not None


async def test_take_pending_works_once_even_when_concurrent(store: Store, now: datetime) -> None:
    pending = await store.joins.start_pending(USER, GROUP, "arrival", now)
    taken = await asyncio.gather(*(store.joins.take_pending(USER, GROUP) for _ in range(10)))
    assert [t for t in taken if t is not None] == [pending]


async def test_an_unknown_via_is_refused(store: Store, now: datetime) -> None:
    bad_via: Any = "invite"
    with pytest.raises(ValueError, match="request, arrival"):
        await store.joins.start_pending(USER, GROUP, bad_via, now)
    assert await store.joins.pending(USER, GROUP) is None
    with pytest.raises(IntegrityError):
        await store.db.execute(
            "INSERT INTO pending_joins (user_id, chat_id, via, since) VALUES ($1, $2, $3, $4)",
            USER,
            GROUP,
            "invite",
            0,
        )


# --- expired join requests -----------------------------------------------------------------


async def test_take_requests_only_takes_requests_before_the_cutoff(
    store: Store, now: datetime
) -> None:
    day = timedelta(days=1)
    oldest = await store.joins.start_pending(USER, GROUP, "request", now - 3 * day)
    await store.joins.set_welcome_message(USER, GROUP, 12)
    old = await store.joins.start_pending(OTHER_USER, OTHER_GROUP, "request", now - 2 * day)
    await store.joins.start_pending(OTHER_USER, GROUP, "arrival", now - 5 * day)  # no request
    await store.joins.start_pending(USER, OTHER_GROUP, "request", now)  # at the cutoff
    assert await store.joins.take_requests_since_before(now) == [
        PendingJoin(oldest.user_id, oldest.chat_id, "request", oldest.since, 12),
        old,
    ]
    assert await store.joins.take_requests_since_before(now) == []
    remaining = {(p.user_id, p.chat_id, p.via) for p in await store.joins.pending_of(OTHER_USER)}
    assert remaining == {(OTHER_USER, GROUP, "arrival")}
    assert [p.chat_id for p in await store.joins.pending_of(USER)] == [OTHER_GROUP]


async def test_a_renewed_request_is_not_expired(store: Store, now: datetime) -> None:
    await store.joins.start_pending(USER, GROUP, "request", now - timedelta(days=3))
    await store.joins.start_pending(USER, GROUP, "request", now)
    assert await store.joins.take_requests_since_before(now) == []


async def test_concurrent_takes_share_out_each_request_once(store: Store, now: datetime) -> None:
    for n in range(10):
        await store.joins.start_pending(USER + n, GROUP, "request", now)
    cutoff = now + timedelta(seconds=1)
    taken = await asyncio.gather(
        *(store.joins.take_requests_since_before(cutoff) for _ in range(4))
    )
    users = [p.user_id for batch in taken for p in batch]
    assert sorted(users) == [USER + n for n in range(10)]
