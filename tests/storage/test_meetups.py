"""MeetupRepository: meetups, cancelled occurrences and drafts, on both engines."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import IntegrityError, Meetup, Store, StoredMeetupDraft
from storage.models import to_timestamp

GROUP = -1001234567890
OTHER_GROUP = -1001111111111
USER = 2**40 + 7
TOKEN = re.compile(r"[A-Za-z0-9_-]{12}")
START = datetime(2026, 12, 3, 18, 30)  # naive local wall time
ZONE = "Europe/Helsinki"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def _meetup(store: Store, now: datetime, chat_id: int = GROUP, **fields: Any) -> Meetup:
    values: dict[str, Any] = {
        "title": "Fika",
        "start_local": START,
        "zone": ZONE,
        "duration": 2 * HOUR,
        "at": now,
    }
    values.update(fields)
    return await store.meetups.create(chat_id, **values)


# --- create and get --------------------------------------------------------------------------


async def test_an_unknown_meetup_is_none(store: Store) -> None:
    assert await store.meetups.get("nope") is None
    assert await store.meetups.for_chats([GROUP]) == []


async def test_create_stores_every_field(store: Store, now: datetime) -> None:
    meetup = await store.meetups.create(
        GROUP,
        title="Pelki-ilta",
        place="Kirjasto Oodi",
        online=True,
        online_link="https://meet.example/abc",
        notes="Bring a game you like.",
        start_local=START,
        zone=ZONE,
        duration=timedelta(minutes=90),
        frequency="monthly",
        weekday=3,
        week_of_month=1,
        at=now,
    )
    assert TOKEN.fullmatch(meetup.meetup_id)
    assert meetup == Meetup(
        meetup.meetup_id,
        GROUP,
        "Pelki-ilta",
        "Kirjasto Oodi",
        True,
        "https://meet.example/abc",
        "Bring a game you like.",
        START,
        ZONE,
        timedelta(minutes=90),
        "monthly",
        3,
        1,
        now,
        None,
    )
    assert meetup.online is True  # a bool, also on SQLite
    assert meetup.start_local.tzinfo is None
    assert meetup.created_at.tzinfo is UTC
    assert await store.meetups.get(meetup.meetup_id) == meetup
    stored = await store.db.fetchrow(
        "SELECT start_local, duration_minutes FROM meetups WHERE meetup_id = $1",
        meetup.meetup_id,
    )
    assert stored == {"start_local": "2026-12-03T18:30", "duration_minutes": 90}


async def test_create_has_defaults_for_the_optional_fields(store: Store, now: datetime) -> None:
    meetup = await _meetup(store, now)
    assert (meetup.place, meetup.online, meetup.online_link, meetup.notes) == (
        None,
        False,
        None,
        None,
    )
    assert (meetup.frequency, meetup.weekday, meetup.week_of_month) == (None, None, None)
    assert meetup.cancelled_at is None


async def test_meetup_ids_are_unique(store: Store, now: datetime) -> None:
    meetups = await asyncio.gather(*(_meetup(store, now) for _ in range(20)))
    assert len({m.meetup_id for m in meetups}) == 20


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start_local", datetime(2026, 12, 3, 18, 30, tzinfo=UTC), "naive"),
        ("start_local", datetime(2026, 12, 3, 18, 30, 15), "whole minutes"),
        ("duration", timedelta(0), "whole minutes"),
        ("duration", timedelta(minutes=-30), "whole minutes"),
        ("duration", timedelta(seconds=90), "whole minutes"),
        ("zone", "Europe/Nowhere", "time zone"),
        ("zone", "../etc/passwd", "time zone"),
        ("frequency", "daily", "weekly, biweekly, monthly"),
        ("title", None, "title"),
    ],
)
async def test_create_refuses_bad_values(
    store: Store, now: datetime, field: str, value: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await _meetup(store, now, **{field: value})
    assert await store.meetups.for_chats([GROUP], include_cancelled=True) == []


async def test_the_database_refuses_an_unknown_frequency(store: Store, now: datetime) -> None:
    with pytest.raises(IntegrityError):
        await store.db.execute(
            "INSERT INTO meetups (meetup_id, chat_id, title, start_local, zone,"
            " duration_minutes, frequency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            "m1",
            GROUP,
            "Fika",
            "2026-12-03T18:30",
            ZONE,
            60,
            "daily",
            to_timestamp(now),
        )


# --- for_chats -------------------------------------------------------------------------------


async def test_for_chats_lists_by_local_start(store: Store, now: datetime) -> None:
    later = await _meetup(store, now, start_local=START + DAY)
    earlier = await _meetup(store, now, chat_id=OTHER_GROUP, start_local=START - DAY)
    middle = await _meetup(store, now)
    await _meetup(store, now, chat_id=-5)
    assert await store.meetups.for_chats([GROUP, OTHER_GROUP, GROUP]) == [earlier, middle, later]
    assert await store.meetups.for_chats([OTHER_GROUP]) == [earlier]
    assert await store.meetups.for_chats([]) == []


async def test_for_chats_leaves_out_cancelled_meetups_unless_asked(
    store: Store, now: datetime
) -> None:
    kept = await _meetup(store, now)
    gone = await _meetup(store, now, start_local=START + HOUR)
    assert await store.meetups.cancel(gone.meetup_id, now) is True
    assert await store.meetups.for_chats([GROUP]) == [kept]
    assert await store.meetups.for_chats([GROUP], include_cancelled=True) == [
        kept,
        replace(gone, cancelled_at=now),
    ]


# --- update ----------------------------------------------------------------------------------


async def test_update_changes_only_the_given_fields(store: Store, now: datetime) -> None:
    meetup = await _meetup(store, now, place="Oodi", notes="Tea")
    updated = await store.meetups.update(
        meetup.meetup_id, title="Kahvit", place=None, duration=HOUR, frequency="weekly"
    )
    assert updated == replace(
        meetup, title="Kahvit", place=None, duration=HOUR, frequency="weekly"
    )
    assert await store.meetups.get(meetup.meetup_id) == updated
    assert await store.meetups.update(meetup.meetup_id) == updated  # nothing given
    moved = datetime(2026, 12, 10, 17, 0)
    updated = await store.meetups.update(
        meetup.meetup_id,
        online=True,
        online_link="https://meet.example/x",
        notes=None,
        start_local=moved,
        zone="Europe/Stockholm",
        weekday=2,
        week_of_month=-1,
    )
    assert updated == replace(
        meetup,
        title="Kahvit",
        place=None,
        duration=HOUR,
        frequency="weekly",
        online=True,
        online_link="https://meet.example/x",
        notes=None,
        start_local=moved,
        zone="Europe/Stockholm",
        weekday=2,
        week_of_month=-1,
    )
    updated = await store.meetups.update(meetup.meetup_id, frequency=None, weekday=None)
    assert updated is not None
    assert (updated.frequency, updated.weekday, updated.week_of_month) == (None, None, -1)


async def test_update_of_an_unknown_meetup_is_none(store: Store) -> None:
    assert await store.meetups.update("nope", title="x") is None


@pytest.mark.parametrize("field", ["meetup_id", "chat_id", "created_at", "cancelled_at", "colour"])
async def test_update_refuses_unknown_fields(store: Store, now: datetime, field: str) -> None:
    meetup = await _meetup(store, now)
    with pytest.raises(ValueError, match=field):
        await store.meetups.update(meetup.meetup_id, title="x", **{field: 1})
    assert await store.meetups.get(meetup.meetup_id) == meetup


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", None),
        ("zone", None),
        ("start_local", None),
        ("duration", None),
        ("online", None),
        ("duration", timedelta(seconds=30)),
        ("frequency", "yearly"),
        ("zone", "Mars/Olympus"),
    ],
)
async def test_update_refuses_bad_values(
    store: Store, now: datetime, field: str, value: Any
) -> None:
    meetup = await _meetup(store, now)
    with pytest.raises(ValueError, match=field.split("_")[0]):
        await store.meetups.update(meetup.meetup_id, **{field: value})
    assert await store.meetups.get(meetup.meetup_id) == meetup


# --- cancel ----------------------------------------------------------------------------------


async def test_cancel_is_true_only_the_first_time(store: Store, now: datetime) -> None:
    meetup = await _meetup(store, now)
    assert await store.meetups.cancel(meetup.meetup_id, now + HOUR) is True
    assert await store.meetups.cancel(meetup.meetup_id, now + DAY) is False
    assert await store.meetups.get(meetup.meetup_id) == replace(meetup, cancelled_at=now + HOUR)
    assert await store.meetups.cancel("nope", now) is False


async def test_cancel_is_true_once_even_when_concurrent(store: Store, now: datetime) -> None:
    meetup = await _meetup(store, now)
    results = await asyncio.gather(
        *(store.meetups.cancel(meetup.meetup_id, now) for _ in range(10))
    )
    assert results.count(True) == 1


async def test_cancel_occurrences(store: Store, now: datetime) -> None:
    meetup = await _meetup(store, now, frequency="weekly", weekday=3)
    first = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    second = first + 7 * DAY
    assert await store.meetups.cancelled_occurrences(meetup.meetup_id) == set()
    assert await store.meetups.cancel_occurrence(meetup.meetup_id, first, now) is True
    assert await store.meetups.cancel_occurrence(meetup.meetup_id, first, now + HOUR) is False
    assert await store.meetups.cancel_occurrence(meetup.meetup_id, second, now) is True
    cancelled = await store.meetups.cancelled_occurrences(meetup.meetup_id)
    assert cancelled == {first, second}
    assert all(at.tzinfo is UTC for at in cancelled)
    # The series itself goes on.
    assert (await store.meetups.get(meetup.meetup_id)) == meetup
    assert await store.meetups.cancel_occurrence("nope", first, now) is False


async def test_cancelled_occurrences_are_per_meetup(store: Store, now: datetime) -> None:
    one, other = await _meetup(store, now), await _meetup(store, now)
    at = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    await store.meetups.cancel_occurrence(one.meetup_id, at, now)
    assert await store.meetups.cancelled_occurrences(other.meetup_id) == set()


async def test_delete_takes_everything_of_the_meetup_along(store: Store, now: datetime) -> None:
    meetup = await _meetup(store, now)
    kept = await _meetup(store, now)
    starts_at = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    for m in (meetup, kept):
        await store.meetups.cancel_occurrence(m.meetup_id, starts_at + 7 * DAY, now)
        await store.rsvps.answer(m.meetup_id, starts_at, USER, "yes", now, remind=True)
        await store.reminders.plan(m.meetup_id, starts_at, "private", USER, starts_at - HOUR)
        await store.reminders.plan(m.meetup_id, starts_at, "group", None, starts_at - DAY)
    assert await store.meetups.delete(meetup.meetup_id) is True
    assert await store.meetups.delete(meetup.meetup_id) is False
    assert await store.meetups.get(meetup.meetup_id) is None
    for table in ("occurrence_cancellations", "rsvps", "reminders"):
        count = await store.db.fetchval(
            f"SELECT COUNT(*) FROM {table} WHERE meetup_id = $1", meetup.meetup_id
        )
        assert count == 0, table
        count = await store.db.fetchval(
            f"SELECT COUNT(*) FROM {table} WHERE meetup_id = $1", kept.meetup_id
        )
        assert count > 0, table


async def test_rows_of_an_unknown_meetup_are_refused(store: Store, now: datetime) -> None:
    for sql in (
        "INSERT INTO occurrence_cancellations (meetup_id, starts_at, cancelled_at)"
        " VALUES ($1, 1, 1)",
        "INSERT INTO rsvps (meetup_id, starts_at, user_id, answer, answered_at)"
        " VALUES ($1, 1, 1, 'yes', 1)",
        "INSERT INTO reminders (reminder_id, meetup_id, starts_at, audience, due_at)"
        " VALUES ('r', $1, 1, 'group', 1)",
    ):
        with pytest.raises(IntegrityError):
            await store.db.execute(sql, "nope")


# --- drafts ----------------------------------------------------------------------------------


async def test_a_draft_is_taken_once(store: Store, now: datetime) -> None:
    payload = '{"title": "Fika", "when": "to 18.30"}'
    draft = await store.meetups.add_draft(GROUP, payload, now)
    assert TOKEN.fullmatch(draft.draft_id)
    assert draft == StoredMeetupDraft(draft.draft_id, GROUP, payload, now)
    assert await store.meetups.take_draft(draft.draft_id, draft.chat_id) == draft
    assert await store.meetups.take_draft(draft.draft_id, draft.chat_id) is None
    assert await store.meetups.take_draft("nope", GROUP) is None


async def test_a_draft_is_taken_once_even_when_concurrent(store: Store, now: datetime) -> None:
    draft = await store.meetups.add_draft(GROUP, "{}", now)
    taken = await asyncio.gather(
        *(store.meetups.take_draft(draft.draft_id, draft.chat_id) for _ in range(10))
    )
    assert [t for t in taken if t is not None] == [draft]


async def test_drop_drafts_before(store: Store, now: datetime) -> None:
    old = await store.meetups.add_draft(GROUP, "{}", now - DAY)
    at_cutoff = await store.meetups.add_draft(GROUP, "{}", now)
    assert await store.meetups.drop_drafts_before(now) == 1
    assert await store.meetups.drop_drafts_before(now) == 0
    assert await store.meetups.take_draft(old.draft_id, old.chat_id) is None
    assert await store.meetups.take_draft(at_cutoff.draft_id, at_cutoff.chat_id) == at_cutoff


def test_meetups_are_frozen(now: datetime) -> None:
    meetup = Meetup(
        "m", GROUP, "t", None, False, None, None, START, ZONE, HOUR, None, None, None, now, None
    )
    with pytest.raises(AttributeError):
        meetup.title = "x"  # type: ignore[misc]
