"""ReminderRepository: the delivery queue and its guarantees, on both engines."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import IntegrityError, Meetup, Reminder, Store

GROUP = -1001234567890
USER = 2**40 + 7
OTHER_USER = 2**40 + 8
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LEASE = 5 * MINUTE


@pytest.fixture
async def meetup(store: Store, now: datetime) -> Meetup:
    return await store.meetups.create(
        GROUP,
        title="Fika",
        start_local=datetime(2026, 12, 3, 18, 30),
        zone="Europe/Helsinki",
        duration=2 * HOUR,
        frequency="weekly",
        weekday=3,
        at=now,
    )


async def _pending(store: Store, meetup: Meetup) -> list[tuple[Any, ...]]:
    return [
        (r.starts_at, r.audience, r.user_id, r.due_at)
        for r in await store.reminders.pending_for(meetup.meetup_id)
    ]


# --- plan ------------------------------------------------------------------------------------


async def test_plan_queues_once(store: Store, meetup: Meetup, now: datetime) -> None:
    starts = now + DAY
    assert await store.reminders.plan(meetup.meetup_id, starts, "group", None, now) is True
    assert await store.reminders.plan(meetup.meetup_id, starts, "group", None, now) is False
    assert await store.reminders.plan(meetup.meetup_id, starts, "private", USER, now) is True
    assert await store.reminders.plan(meetup.meetup_id, starts, "private", USER, now) is False
    assert await store.reminders.plan(meetup.meetup_id, starts, "group", None, now + HOUR)
    pending = await store.reminders.pending_for(meetup.meetup_id)
    assert [(r.audience, r.user_id, r.due_at) for r in pending] == [
        ("group", None, now),
        ("private", USER, now),
        ("group", None, now + HOUR),
    ]
    first = pending[0]
    assert first == Reminder(
        first.reminder_id, meetup.meetup_id, starts, "group", None, now, None, None, None
    )
    assert await store.reminders.get(first.reminder_id) == first
    assert await store.reminders.get("nope") is None
    # A group reminder is stored for user 0.
    stored = await store.db.fetchval(
        "SELECT user_id FROM reminders WHERE reminder_id = $1", first.reminder_id
    )
    assert stored == 0


async def test_plan_is_idempotent_when_concurrent(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    results = await asyncio.gather(
        *(store.reminders.plan(meetup.meetup_id, now, "private", USER, now) for _ in range(10))
    )
    assert results.count(True) == 1
    assert len(await store.reminders.pending_for(meetup.meetup_id)) == 1


async def test_plan_refuses_a_wrong_audience_or_member(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    with pytest.raises(ValueError, match="user_id is None"):
        await store.reminders.plan(meetup.meetup_id, now, "group", USER, now)
    with pytest.raises(ValueError, match="needs the user_id"):
        await store.reminders.plan(meetup.meetup_id, now, "private", None, now)
    bad: Any = "channel"
    with pytest.raises(ValueError, match="group, private"):
        await store.reminders.plan(meetup.meetup_id, now, bad, None, now)
    with pytest.raises(IntegrityError):
        await store.db.execute(
            "INSERT INTO reminders (reminder_id, meetup_id, starts_at, audience, due_at)"
            " VALUES ('r', $1, 1, 'channel', 1)",
            meetup.meetup_id,
        )
    assert await store.reminders.pending_for(meetup.meetup_id) == []


async def test_nothing_is_planned_for_what_is_cancelled(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    assert await store.reminders.plan("nope", now, "group", None, now) is False
    await store.meetups.cancel_occurrence(meetup.meetup_id, now + DAY, now)
    assert await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now) is False
    assert await store.reminders.plan(meetup.meetup_id, now + 8 * DAY, "group", None, now)
    await store.meetups.cancel(meetup.meetup_id, now)
    assert (
        await store.reminders.plan(meetup.meetup_id, now + 15 * DAY, "group", None, now) is False
    )
    assert len(await store.reminders.pending_for(meetup.meetup_id)) == 1


# --- claim -----------------------------------------------------------------------------------


async def test_claim_due_claims_what_is_due_earliest_first(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    starts = now + DAY
    for due in (now - HOUR, now, now - 2 * HOUR, now + MINUTE):
        await store.reminders.plan(meetup.meetup_id, starts, "group", None, due)
    claimed = await store.reminders.claim_due(now, LEASE, 10)
    assert [r.due_at for r in claimed] == [now - 2 * HOUR, now - HOUR, now]
    assert all(r.claimed_until == now + LEASE for r in claimed)
    assert all(r.due_at.tzinfo is UTC for r in claimed)
    # Claimed: nobody else gets them while the lease runs, and the next one is not due.
    assert await store.reminders.claim_due(now, LEASE, 10) == []
    later = await store.reminders.claim_due(now + LEASE - MINUTE, LEASE, 10)
    assert [r.due_at for r in later] == [now + MINUTE]


async def plan_private_reminders(store: Store, meetup: Meetup, now: datetime, count: int) -> None:
    """Due now, for ``count`` members."""
    for n in range(count):
        await store.reminders.plan(meetup.meetup_id, now + DAY, "private", USER + n, now)


async def test_claim_due_takes_at_most_the_limit(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await plan_private_reminders(store, meetup, now, 5)
    first = await store.reminders.claim_due(now, LEASE, 2)
    second = await store.reminders.claim_due(now, LEASE, 2)
    third = await store.reminders.claim_due(now, LEASE, 2)
    assert (len(first), len(second), len(third)) == (2, 2, 1)
    ids = {r.reminder_id for r in first + second + third}
    assert len(ids) == 5
    assert await store.reminders.claim_due(now, LEASE, 0) == []


async def test_an_expired_lease_is_claimable_again(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    [claimed] = await store.reminders.claim_due(now, LEASE, 10)
    assert await store.reminders.claim_due(now + LEASE - timedelta(seconds=1), LEASE, 10) == []
    [again] = await store.reminders.claim_due(now + LEASE, LEASE, 10)
    assert again == replace(claimed, claimed_until=now + 2 * LEASE)


async def test_released_claims_are_due_again_at_once(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await plan_private_reminders(store, meetup, now, 3)
    claimed = await store.reminders.claim_due(now, LEASE, 10)
    assert await store.reminders.mark_sent(claimed[0].reminder_id, now)
    assert await store.reminders.release(claimed) == 2  # the sent one stays sent
    again = await store.reminders.claim_due(now + MINUTE, LEASE, 10)
    assert {r.reminder_id for r in again} == {r.reminder_id for r in claimed[1:]}
    assert await store.reminders.release([]) == 0


async def test_a_release_leaves_a_claim_taken_over_by_another_sender(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    [mine] = await store.reminders.claim_due(now, LEASE, 10)
    [theirs] = await store.reminders.claim_due(now + LEASE, LEASE, 10)  # mine ran out
    assert await store.reminders.release([mine]) == 0
    assert await store.reminders.claim_due(now + LEASE + MINUTE, LEASE, 10) == []
    assert await store.reminders.get(theirs.reminder_id) == theirs


async def test_sent_and_skipped_reminders_are_never_claimed(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "private", USER, now)
    await store.reminders.plan(meetup.meetup_id, now + DAY, "private", OTHER_USER, now)
    sent, skipped = await store.reminders.claim_due(now, LEASE, 10)
    assert await store.reminders.mark_sent(sent.reminder_id, now) is True
    assert await store.reminders.mark_skipped(skipped.reminder_id, now) is True
    assert await store.reminders.claim_due(now + DAY, LEASE, 10) == []


async def test_a_lease_is_at_least_a_second(store: Store, now: datetime) -> None:
    with pytest.raises(ValueError, match="at least a second"):
        await store.reminders.claim_due(now, timedelta(milliseconds=500), 10)


# --- sent and skipped ------------------------------------------------------------------------


async def test_mark_sent_only_once(store: Store, meetup: Meetup, now: datetime) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    [reminder] = await store.reminders.claim_due(now, LEASE, 1)
    assert await store.reminders.mark_sent(reminder.reminder_id, now + MINUTE) is True
    assert await store.reminders.mark_sent(reminder.reminder_id, now + HOUR) is False
    assert await store.reminders.mark_skipped(reminder.reminder_id, now + HOUR) is False
    stored = await store.reminders.get(reminder.reminder_id)
    assert stored == replace(reminder, sent_at=now + MINUTE)
    assert await store.reminders.pending_for(meetup.meetup_id) == []
    assert await store.reminders.mark_sent("nope", now) is False


async def test_mark_sent_once_even_when_concurrent(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    [reminder] = await store.reminders.claim_due(now, LEASE, 1)
    results = await asyncio.gather(
        *(store.reminders.mark_sent(reminder.reminder_id, now) for _ in range(5)),
        *(store.reminders.mark_skipped(reminder.reminder_id, now) for _ in range(5)),
    )
    assert results.count(True) == 1


async def test_mark_skipped_only_once(store: Store, meetup: Meetup, now: datetime) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "private", USER, now)
    [reminder] = await store.reminders.pending_for(meetup.meetup_id)
    assert await store.reminders.mark_skipped(reminder.reminder_id, now) is True  # unclaimed
    assert await store.reminders.mark_skipped(reminder.reminder_id, now) is False
    assert await store.reminders.mark_sent(reminder.reminder_id, now) is False
    assert await store.reminders.get(reminder.reminder_id) == replace(reminder, skipped_at=now)


async def test_a_sent_reminder_is_not_planned_again(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    [reminder] = await store.reminders.claim_due(now, LEASE, 1)
    await store.reminders.mark_sent(reminder.reminder_id, now)
    assert await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now) is False


# --- withdraw --------------------------------------------------------------------------------


async def test_withdraw_by_occurrence_audience_and_member(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    first, second = now + DAY, now + 8 * DAY
    for starts in (first, second):
        await store.reminders.plan(meetup.meetup_id, starts, "group", None, starts - DAY)
        await store.reminders.plan(meetup.meetup_id, starts, "private", USER, starts - HOUR)
        await store.reminders.plan(meetup.meetup_id, starts, "private", OTHER_USER, starts - HOUR)
    assert await store.reminders.withdraw(meetup.meetup_id, second, "private", USER) == 1
    assert await store.reminders.withdraw(meetup.meetup_id, user_id=OTHER_USER) == 2
    assert await store.reminders.withdraw(meetup.meetup_id, audience="group") == 2
    assert await _pending(store, meetup) == [(first, "private", USER, first - HOUR)]
    assert await store.reminders.withdraw(meetup.meetup_id, second) == 0
    assert await store.reminders.withdraw(meetup.meetup_id) == 1
    assert await store.reminders.pending_for(meetup.meetup_id) == []
    assert await store.reminders.withdraw("nope") == 0


async def test_withdraw_leaves_sent_skipped_and_claimed_reminders(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    starts = now + DAY
    for user in (USER, USER + 1, USER + 2, USER + 3):
        await store.reminders.plan(meetup.meetup_id, starts, "private", user, now)
    await store.reminders.plan(meetup.meetup_id, starts, "private", USER + 4, now + HOUR)
    sent, skipped, first, second = await store.reminders.claim_due(now, LEASE, 4)
    await store.reminders.mark_sent(sent.reminder_id, now)
    await store.reminders.mark_skipped(skipped.reminder_id, now)
    # Without a time every claim counts: only the unclaimed one goes.
    assert await store.reminders.withdraw(meetup.meetup_id) == 1
    assert await store.reminders.withdraw(meetup.meetup_id, now=now) == 0  # claims still run
    # With a time, a claim that has run out by then no longer counts.
    [claimed] = await store.reminders.claim_due(now + LEASE, LEASE, 1)
    expired = second if claimed.reminder_id == first.reminder_id else first
    assert await store.reminders.withdraw(meetup.meetup_id, now=now + LEASE) == 1
    assert await store.reminders.get(expired.reminder_id) is None
    assert await store.reminders.get(claimed.reminder_id) == claimed
    assert await store.reminders.get(sent.reminder_id) == replace(sent, sent_at=now)
    assert await store.reminders.get(skipped.reminder_id) == replace(skipped, skipped_at=now)
    assert await store.reminders.mark_sent(claimed.reminder_id, now + LEASE) is True


async def test_withdraw_refuses_an_unknown_audience(store: Store, meetup: Meetup) -> None:
    bad: Any = "channel"
    with pytest.raises(ValueError, match="group, private"):
        await store.reminders.withdraw(meetup.meetup_id, audience=bad)


# --- next due, purge, erasure ----------------------------------------------------------------


async def test_next_due(store: Store, meetup: Meetup, now: datetime) -> None:
    assert await store.reminders.next_due() is None
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now + HOUR)
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now - HOUR)
    assert await store.reminders.next_due() == now - HOUR  # overdue: at once
    [claimed] = await store.reminders.claim_due(now, LEASE, 10)
    # While it is claimed, it could next be handed out when the lease runs out.
    assert await store.reminders.next_due() == now + LEASE
    await store.reminders.mark_sent(claimed.reminder_id, now)
    assert await store.reminders.next_due() == now + HOUR
    [last] = await store.reminders.pending_for(meetup.meetup_id)
    await store.reminders.mark_skipped(last.reminder_id, now)
    assert await store.reminders.next_due() is None


async def test_purge_sent_before(store: Store, meetup: Meetup, now: datetime) -> None:
    for user in (USER, USER + 1, USER + 2, USER + 3):
        await store.reminders.plan(meetup.meetup_id, now + DAY, "private", user, now - DAY)
    old_sent, old_skipped, new_sent, waiting = await store.reminders.pending_for(meetup.meetup_id)
    await store.reminders.mark_sent(old_sent.reminder_id, now - DAY)
    await store.reminders.mark_skipped(old_skipped.reminder_id, now - HOUR)
    await store.reminders.mark_sent(new_sent.reminder_id, now)
    assert await store.reminders.purge_sent_before(now) == 2
    assert await store.reminders.purge_sent_before(now) == 0
    assert await store.reminders.get(old_sent.reminder_id) is None
    assert await store.reminders.get(old_skipped.reminder_id) is None
    assert await store.reminders.get(new_sent.reminder_id) is not None
    assert await store.reminders.pending_for(meetup.meetup_id) == [waiting]


async def test_forget_member_erases_their_private_reminders(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "private", USER, now)
    await store.reminders.plan(meetup.meetup_id, now + 8 * DAY, "private", USER, now)
    await store.reminders.plan(meetup.meetup_id, now + DAY, "private", OTHER_USER, now)
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    mine = [r for r in await store.reminders.pending_for(meetup.meetup_id) if r.user_id == USER]
    await store.reminders.mark_sent(mine[0].reminder_id, now)
    assert await store.reminders.forget_member(USER) == 2  # the sent one too
    assert await store.reminders.forget_member(USER) == 0
    assert await store.db.fetchval("SELECT COUNT(*) FROM reminders WHERE user_id = $1", USER) == 0
    remaining = await store.reminders.pending_for(meetup.meetup_id)
    assert {(r.audience, r.user_id) for r in remaining} == {
        ("private", OTHER_USER),
        ("group", None),
    }


# --- several instances -----------------------------------------------------------------------


async def test_two_stores_claim_each_reminder_exactly_once(
    store: Store, db_url: str, meetup: Meetup, now: datetime
) -> None:
    for n in range(50):
        await store.reminders.plan(
            meetup.meetup_id, now + DAY, "private", USER + n, now - n * MINUTE
        )

    async def claimer(instance: Store) -> list[str]:
        got: list[str] = []
        while batch := await instance.reminders.claim_due(now, LEASE, 3):
            got += [r.reminder_id for r in batch]
            await asyncio.sleep(0)
        return got

    async with await Store.open(db_url) as other:
        results = await asyncio.gather(
            *(claimer(instance) for instance in (store, other) for _ in range(4))
        )
    claimed = Counter(reminder_id for batch in results for reminder_id in batch)
    assert len(claimed) == 50
    assert set(claimed.values()) == {1}
    if store.db.engine == "postgres":  # several claimers really did share the work
        assert sum(1 for batch in results if batch) > 1
    assert await store.reminders.claim_due(now, LEASE, 100) == []
    # Once the leases run out, all 50 are claimable again: still each once.
    again = await store.reminders.claim_due(now + LEASE, LEASE, 100)
    assert sorted(r.reminder_id for r in again) == sorted(claimed)


async def test_another_store_waits_for_the_lease(
    store: Store, db_url: str, meetup: Meetup, now: datetime
) -> None:
    await store.reminders.plan(meetup.meetup_id, now + DAY, "group", None, now)
    [claimed] = await store.reminders.claim_due(now, LEASE, 1)
    async with await Store.open(db_url) as other:
        assert await other.reminders.claim_due(now + MINUTE, LEASE, 1) == []
        [taken_over] = await other.reminders.claim_due(now + LEASE, LEASE, 1)
        assert taken_over.reminder_id == claimed.reminder_id
        assert await other.reminders.mark_sent(taken_over.reminder_id, now + LEASE) is True
    # The first sender, back too late, finds it sent.
    assert await store.reminders.mark_sent(claimed.reminder_id, now + LEASE) is False


def test_reminders_are_frozen(now: datetime) -> None:
    reminder = Reminder("r", "m", now, "group", None, now, None, None, None)
    with pytest.raises(AttributeError):
        reminder.sent_at = now  # type: ignore[misc]
