"""RsvpRepository: sign-ups per occurrence and reminder subscriptions, on both engines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import IntegrityError, Meetup, Rsvp, RsvpAnswer, RsvpCounts, Store
from storage.models import to_timestamp

GROUP = -1001234567890
OTHER_GROUP = -1001111111111
USER = 2**40 + 7
OTHER_USER = 2**40 + 8
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
FIRST = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # an occurrence's start, UTC
SECOND = FIRST + WEEK


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


# --- answers -----------------------------------------------------------------------------------


async def test_no_answer_is_none(store: Store, meetup: Meetup) -> None:
    assert await store.rsvps.get(meetup.meetup_id, FIRST, USER) is None
    assert await store.rsvps.counts(meetup.meetup_id, FIRST) == RsvpCounts(0, 0, 0)
    assert await store.rsvps.attendees(meetup.meetup_id, FIRST) == []
    assert await store.rsvps.of_member(USER) == []


async def test_answer_stores_and_returns_it(store: Store, meetup: Meetup, now: datetime) -> None:
    rsvp = await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "yes", now)
    assert rsvp == Rsvp(meetup.meetup_id, FIRST, USER, "yes", False, now)
    assert rsvp.remind is False  # a bool, also on SQLite
    assert rsvp.starts_at.tzinfo is UTC
    assert await store.rsvps.get(meetup.meetup_id, FIRST, USER) == rsvp


async def test_a_new_answer_replaces_the_old_one(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "yes", now, remind=True)
    later = now + HOUR
    rsvp = await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "maybe", later)
    # remind left out: the stored choice stays.
    assert rsvp == Rsvp(meetup.meetup_id, FIRST, USER, "maybe", True, later)
    rsvp = await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "no", later, remind=False)
    assert rsvp == Rsvp(meetup.meetup_id, FIRST, USER, "no", False, later)
    rsvp = await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "yes", later)
    assert rsvp.remind is False
    assert await store.rsvps.of_member(USER) == [rsvp]


async def test_answers_are_per_occurrence(store: Store, meetup: Meetup, now: datetime) -> None:
    first = await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "yes", now, remind=True)
    second = await store.rsvps.answer(meetup.meetup_id, SECOND, USER, "no", now)
    assert await store.rsvps.get(meetup.meetup_id, FIRST, USER) == first
    assert await store.rsvps.get(meetup.meetup_id, SECOND, USER) == second
    assert await store.rsvps.counts(meetup.meetup_id, FIRST) == RsvpCounts(yes=1)
    assert await store.rsvps.counts(meetup.meetup_id, SECOND) == RsvpCounts(no=1)
    assert await store.rsvps.of_member(USER) == [first, second]


async def test_concurrent_answers_keep_one_row(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    answers: list[RsvpAnswer] = ["yes", "maybe", "no"] * 4
    await asyncio.gather(
        *(store.rsvps.answer(meetup.meetup_id, FIRST, USER, a, now) for a in answers)
    )
    counts = await store.rsvps.counts(meetup.meetup_id, FIRST)
    assert counts.yes + counts.maybe + counts.no == 1


async def test_counts(store: Store, meetup: Meetup, now: datetime) -> None:
    answers: list[RsvpAnswer] = ["yes", "yes", "maybe", "no", "yes", "no"]
    for n, answer in enumerate(answers):
        await store.rsvps.answer(meetup.meetup_id, FIRST, USER + n, answer, now)
    await store.rsvps.answer(meetup.meetup_id, SECOND, USER, "maybe", now)
    assert await store.rsvps.counts(meetup.meetup_id, FIRST) == RsvpCounts(3, 1, 2)
    assert await store.rsvps.counts(meetup.meetup_id, SECOND) == RsvpCounts(0, 1, 0)


async def test_attendees(store: Store, meetup: Meetup, now: datetime) -> None:
    late = await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "maybe", now + HOUR)
    early = await store.rsvps.answer(meetup.meetup_id, FIRST, OTHER_USER, "yes", now)
    no = await store.rsvps.answer(meetup.meetup_id, FIRST, USER + 5, "no", now)
    await store.rsvps.answer(meetup.meetup_id, SECOND, USER + 6, "yes", now)
    assert await store.rsvps.attendees(meetup.meetup_id, FIRST) == [early, late]
    assert await store.rsvps.attendees(meetup.meetup_id, FIRST, ("yes",)) == [early]
    assert await store.rsvps.attendees(meetup.meetup_id, FIRST, ["no", "yes", "maybe"]) == [
        early,
        no,
        late,
    ]
    assert await store.rsvps.attendees(meetup.meetup_id, FIRST, ()) == []


async def test_of_member_is_ordered_by_start(store: Store, now: datetime) -> None:
    one = await store.meetups.create(
        GROUP,
        title="A",
        start_local=datetime(2026, 12, 1, 12, 0),
        zone="Europe/Helsinki",
        duration=HOUR,
        at=now,
    )
    two = await store.meetups.create(
        OTHER_GROUP,
        title="B",
        start_local=datetime(2026, 12, 1, 12, 0),
        zone="Europe/Helsinki",
        duration=HOUR,
        at=now,
    )
    b = await store.rsvps.answer(two.meetup_id, SECOND, USER, "yes", now)
    a = await store.rsvps.answer(one.meetup_id, FIRST, USER, "no", now)
    await store.rsvps.answer(one.meetup_id, FIRST, OTHER_USER, "yes", now)
    assert await store.rsvps.of_member(USER) == [a, b]


async def test_an_unknown_answer_is_refused(store: Store, meetup: Meetup, now: datetime) -> None:
    bad: Any = "perhaps"
    with pytest.raises(ValueError, match="yes, maybe, no"):
        await store.rsvps.answer(meetup.meetup_id, FIRST, USER, bad, now)
    with pytest.raises(ValueError, match="yes, maybe, no"):
        await store.rsvps.attendees(meetup.meetup_id, FIRST, [bad])
    with pytest.raises(IntegrityError):
        await store.db.execute(
            "INSERT INTO rsvps (meetup_id, starts_at, user_id, answer, answered_at)"
            " VALUES ($1, 1, 1, 'perhaps', 1)",
            meetup.meetup_id,
        )
    assert await store.rsvps.get(meetup.meetup_id, FIRST, USER) is None


async def test_an_answer_for_an_unknown_meetup_is_refused(store: Store, now: datetime) -> None:
    with pytest.raises(IntegrityError):
        await store.rsvps.answer("nope", FIRST, USER, "yes", now)


async def test_purge_before(store: Store, meetup: Meetup, now: datetime) -> None:
    await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "yes", now)
    await store.rsvps.answer(meetup.meetup_id, FIRST, OTHER_USER, "no", now)
    kept = await store.rsvps.answer(meetup.meetup_id, SECOND, USER, "yes", now)
    assert await store.rsvps.purge_before(SECOND) == 2
    assert await store.rsvps.purge_before(SECOND) == 0
    assert await store.rsvps.of_member(USER) == [kept]


# --- subscriptions -----------------------------------------------------------------------------


async def test_subscribe_once(store: Store, now: datetime) -> None:
    assert await store.rsvps.subscriptions_of(USER) == []
    assert await store.rsvps.subscribe(USER, GROUP, now) is True
    assert await store.rsvps.subscribe(USER, GROUP, now + HOUR) is False
    assert await store.rsvps.subscribers(GROUP) == [USER]
    assert await store.rsvps.subscriptions_of(USER) == [GROUP]
    since = await store.db.fetchval("SELECT since FROM reminder_subscriptions")
    assert since == to_timestamp(now)  # the first subscription's time stays


async def test_subscribers_and_subscriptions_are_ordered(store: Store, now: datetime) -> None:
    await store.rsvps.subscribe(OTHER_USER, GROUP, now)
    await store.rsvps.subscribe(USER, GROUP, now)
    await store.rsvps.subscribe(USER, OTHER_GROUP, now)
    assert await store.rsvps.subscribers(GROUP) == [USER, OTHER_USER]
    assert await store.rsvps.subscribers(OTHER_GROUP) == [USER]
    assert await store.rsvps.subscriptions_of(USER) == [GROUP, OTHER_GROUP]


async def test_unsubscribe_one_group_or_all(store: Store, now: datetime) -> None:
    await store.rsvps.subscribe(USER, GROUP, now)
    await store.rsvps.subscribe(USER, OTHER_GROUP, now)
    await store.rsvps.subscribe(USER, -5, now)
    await store.rsvps.subscribe(OTHER_USER, GROUP, now)
    assert await store.rsvps.unsubscribe(USER, GROUP) == 1
    assert await store.rsvps.unsubscribe(USER, GROUP) == 0
    assert await store.rsvps.subscriptions_of(USER) == [OTHER_GROUP, -5]
    assert await store.rsvps.unsubscribe(USER) == 2
    assert await store.rsvps.unsubscribe(USER) == 0
    assert await store.rsvps.subscriptions_of(USER) == []
    assert await store.rsvps.subscribers(GROUP) == [OTHER_USER]


# --- erasure -----------------------------------------------------------------------------------


async def test_forget_member_erases_answers_and_subscriptions(
    store: Store, meetup: Meetup, now: datetime
) -> None:
    await store.rsvps.answer(meetup.meetup_id, FIRST, USER, "yes", now)
    await store.rsvps.answer(meetup.meetup_id, SECOND, USER, "no", now)
    other = await store.rsvps.answer(meetup.meetup_id, FIRST, OTHER_USER, "yes", now)
    await store.rsvps.subscribe(USER, GROUP, now)
    await store.rsvps.subscribe(OTHER_USER, GROUP, now)
    assert await store.rsvps.forget_member(USER) == 3
    assert await store.rsvps.forget_member(USER) == 0
    assert await store.rsvps.of_member(USER) == []
    assert await store.rsvps.subscriptions_of(USER) == []
    assert await store.rsvps.of_member(OTHER_USER) == [other]
    assert await store.rsvps.subscribers(GROUP) == [OTHER_USER]


def test_rsvps_are_frozen(now: datetime) -> None:
    rsvp = Rsvp("m", FIRST, USER, "yes", False, now)
    with pytest.raises(AttributeError):
        rsvp.answer = "no"  # type: ignore[misc]


async def test_answers_move_with_a_date_that_became_its_own_meetup(store: Store, now: datetime):
    chat_id = -1001234567890
    await store.chats.register(chat_id, "peer_group", "Lappi", None, now)
    series = await store.meetups.create(
        chat_id,
        title="Series",
        start_local=datetime(2026, 12, 1, 17, 0),
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        frequency="weekly",
        weekday=1,
        at=now,
    )
    single = await store.meetups.create(
        chat_id,
        title="Moved",
        start_local=datetime(2026, 12, 9, 18, 0),
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        at=now,
    )
    date = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    other_date = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
    new_date = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
    await store.rsvps.answer(series.meetup_id, date, 1, "yes", now)
    await store.rsvps.answer(series.meetup_id, date, 2, "maybe", now)
    await store.rsvps.answer(series.meetup_id, other_date, 1, "yes", now)
    assert await store.rsvps.move(series.meetup_id, date, single.meetup_id, new_date) == 2
    assert (await store.rsvps.counts(single.meetup_id, new_date)).yes == 1
    assert (await store.rsvps.counts(series.meetup_id, date)).yes == 0
    assert (await store.rsvps.counts(series.meetup_id, other_date)).yes == 1
