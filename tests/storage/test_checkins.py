"""Check-in rounds: one answer per person and question, and nothing linkable afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import Store
from storage.checkins import AnswerOutcome, token_for
from tests.storage.test_schema import _schema

GROUP = -1001234567890
MEMBER = 2**40 + 7
OTHER = 2**40 + 8
STRANGER = 2**40 + 9
STARTS = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def _round(store: Store, now: datetime) -> str:
    meetup = await store.meetups.create(
        GROUP,
        title="Fika",
        start_local=datetime(2026, 12, 3, 18, 0),
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        at=now,
    )
    assert await store.checkins.record_held(
        meetup.meetup_id,
        STARTS,
        GROUP,
        "Lappi",
        coming=2,
        maybe=1,
        due_at=now,
        closes_at=now + DAY,
    )
    assert not await store.checkins.record_held(
        meetup.meetup_id,
        STARTS,
        GROUP,
        "Lappi",
        coming=9,
        maybe=9,
        due_at=now,
        closes_at=now + DAY,
    )
    [held] = await store.checkins.claim_due(now)
    assert (held.coming, held.maybe, held.is_open) == (2, 1, True)
    assert await store.checkins.claim_due(now) == []  # handed out once
    assert await store.checkins.invite(held.checkin_id, [MEMBER, OTHER]) == 2
    return held.checkin_id


async def test_one_answer_per_member_and_question(store: Store, now: datetime) -> None:
    checkin_id = await _round(store, now)
    answer = store.checkins.answer
    assert await answer(checkin_id, MEMBER, "how", "5", now) is AnswerOutcome.RECORDED
    assert await answer(checkin_id, MEMBER, "how", "1", now) is AnswerOutcome.ALREADY_ANSWERED
    assert await answer(checkin_id, OTHER, "how", "5", now) is AnswerOutcome.RECORDED
    assert await answer(checkin_id, MEMBER, "again", "skip", now) is AnswerOutcome.RECORDED
    assert await answer(checkin_id, STRANGER, "how", "1", now) is AnswerOutcome.NOT_ASKED
    assert await answer("nope", MEMBER, "how", "1", now) is AnswerOutcome.CLOSED
    assert await answer(checkin_id, OTHER, "again", "yes", now + DAY) is AnswerOutcome.CLOSED
    with pytest.raises(ValueError, match="unknown check-in answer"):
        await answer(checkin_id, OTHER, "how", "6", now)
    held = await store.checkins.get(checkin_id)
    assert held is not None
    counts = await store.checkins.answer_counts(held.meetup_id, held.starts_at)
    assert [(c.question, c.answer, c.count) for c in counts] == [
        ("again", "skip", 1),
        ("how", "5", 2),
    ]


async def _every_value(store: Store) -> list[object]:
    values: list[object] = []
    for table in await _schema(store):
        for row in await store.db.fetch(f"SELECT * FROM {table}"):
            values.extend(row.values())
    return values


async def test_after_the_round_closes_nothing_links_answers_to_anyone(
    store: Store, now: datetime
) -> None:
    checkin_id = await _round(store, now)
    await store.checkins.answer(checkin_id, MEMBER, "less_alone", "yes", now)
    secret = await store.db.fetchval(
        "SELECT checkin_secret FROM held_meetups WHERE checkin_id = $1", checkin_id
    )
    # While open: the member is known only as a keyed hash, never by id.
    assert MEMBER not in await _every_value(store)
    assert token_for(secret, MEMBER) in await _every_value(store)
    assert await store.checkins.close_due(now + DAY - timedelta(seconds=1)) == 0
    assert await store.checkins.close_due(now + DAY) == 1
    values = await _every_value(store)
    assert secret not in values
    assert not any(token_for(secret, user) in values for user in (MEMBER, OTHER))
    assert await store.db.fetchval("SELECT COUNT(*) FROM checkin_tokens") == 0
    held = await store.checkins.get(checkin_id)
    assert held is not None
    assert not held.is_open
    counts = await store.checkins.answer_counts(held.meetup_id, held.starts_at)
    assert [(c.question, c.answer, c.count) for c in counts] == [("less_alone", "yes", 1)]
    assert await store.checkins.invite(checkin_id, [MEMBER]) == 0
    # The figures stay when the meetup itself is deleted.
    await store.meetups.delete(held.meetup_id)
    assert await store.checkins.get(checkin_id) == held


async def test_turning_check_ins_off_and_on(store: Store, now: datetime) -> None:
    assert not await store.checkins.is_off(MEMBER)
    assert await store.checkins.set_off(MEMBER, True, now)
    assert not await store.checkins.set_off(MEMBER, True, now)
    assert await store.checkins.is_off(MEMBER)
    assert not await store.checkins.is_off(OTHER)
    assert await store.checkins.set_off(MEMBER, False, now)
    assert not await store.checkins.is_off(MEMBER)


async def test_a_round_must_close_after_it_is_due(store: Store, now: datetime) -> None:
    with pytest.raises(ValueError, match="must close after"):
        await store.checkins.record_held(
            "m", STARTS, GROUP, "Lappi", coming=0, maybe=0, due_at=now, closes_at=now
        )
