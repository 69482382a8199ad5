"""Meetups of a group, their called-off occurrences, and previews waiting for Confirm.

Stored: what the facilitator wrote for the meetup (title, place, link, notes), when and how
it repeats, and when it was made or cancelled. Nobody's attendance is kept here (see rsvps).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.database import Database
from storage.models import (
    FREQUENCIES,
    Frequency,
    Meetup,
    StoredMeetupDraft,
    from_timestamp,
    is_frequency,
    to_local_text,
    to_minutes,
    to_timestamp,
)

MEETUP_ID_BYTES = 9  # 12 URL-safe characters: fits in a button's callback data
DRAFT_ID_BYTES = 9
_COLUMNS = (
    "meetup_id, chat_id, title, place, online, online_link, notes, start_local, zone,"
    " duration_minutes, frequency, weekday, week_of_month, created_at, cancelled_at"
)
_DRAFT_COLUMNS = "draft_id, chat_id, payload, created_at"

# What update() may change, in the order of _UPDATE's placeholders; None is refused for the
# fields that are not nullable.
_UPDATABLE = (
    "title",
    "place",
    "online",
    "online_link",
    "notes",
    "start_local",
    "zone",
    "duration",
    "frequency",
    "weekday",
    "week_of_month",
)
_NOT_NULL = frozenset({"title", "online", "start_local", "zone", "duration"})
# Each field: $N is whether to change it, $N+1 its new value.
_UPDATE = f"""
    UPDATE meetups SET
        title = CASE WHEN $2 THEN $3 ELSE title END,
        place = CASE WHEN $4 THEN $5 ELSE place END,
        online = CASE WHEN $6 THEN $7 ELSE online END,
        online_link = CASE WHEN $8 THEN $9 ELSE online_link END,
        notes = CASE WHEN $10 THEN $11 ELSE notes END,
        start_local = CASE WHEN $12 THEN $13 ELSE start_local END,
        zone = CASE WHEN $14 THEN $15 ELSE zone END,
        duration_minutes = CASE WHEN $16 THEN $17 ELSE duration_minutes END,
        frequency = CASE WHEN $18 THEN $19 ELSE frequency END,
        weekday = CASE WHEN $20 THEN $21 ELSE weekday END,
        week_of_month = CASE WHEN $22 THEN $23 ELSE week_of_month END
    WHERE meetup_id = $1
    RETURNING {_COLUMNS}
"""


def _check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {zone!r}") from exc
    return zone


def _check_frequency(frequency: str | None) -> Frequency | None:
    if frequency is not None and not is_frequency(frequency):
        raise ValueError(
            f"frequency must be one of {', '.join(FREQUENCIES)} (or None), not {frequency!r}"
        )
    return frequency


def _column_value(field: str, value: Any) -> Any:
    """The stored form of one meetup field, checked."""
    if value is None:
        if field in _NOT_NULL:
            raise ValueError(f"a meetup's {field} cannot be None")
        return None
    if field == "start_local":
        return to_local_text(value)
    if field == "duration":
        return to_minutes(value)
    if field == "zone":
        return _check_zone(value)
    if field == "frequency":
        return _check_frequency(value)
    if field == "online":
        return bool(value)
    return value


class MeetupRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        chat_id: int,
        *,
        title: str,
        place: str | None = None,
        online: bool = False,
        online_link: str | None = None,
        notes: str | None = None,
        start_local: datetime,
        zone: str,
        duration: timedelta,
        frequency: Frequency | None = None,
        weekday: int | None = None,
        week_of_month: int | None = None,
        at: datetime,
    ) -> Meetup:
        """Store a new meetup (a series if ``frequency`` is given); the id is 12 characters.

        ``start_local`` is a naive wall time in whole minutes, ``zone`` an IANA time zone,
        ``duration`` a positive number of whole minutes.
        """
        row = await self._db.fetchrow(
            f"""
            INSERT INTO meetups ({_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL)
            RETURNING {_COLUMNS}
            """,
            secrets.token_urlsafe(MEETUP_ID_BYTES),
            chat_id,
            _column_value("title", title),
            place,
            bool(online),
            online_link,
            notes,
            _column_value("start_local", start_local),
            _column_value("zone", zone),
            _column_value("duration", duration),
            _column_value("frequency", frequency),
            weekday,
            week_of_month,
            to_timestamp(at),
        )
        assert row is not None  # an INSERT with RETURNING always returns its row
        return Meetup._from_row(row)

    async def get(self, meetup_id: str) -> Meetup | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM meetups WHERE meetup_id = $1", meetup_id
        )
        return None if row is None else Meetup._from_row(row)

    async def for_chats(
        self, chat_ids: Sequence[int], include_cancelled: bool = False
    ) -> list[Meetup]:
        """The meetups of these groups, by local start time (then id); cancelled ones too
        only if ``include_cancelled``."""
        unique = sorted(set(chat_ids))
        if not unique:
            return []
        # One placeholder per group; the values themselves are bound as arguments.
        placeholders = ", ".join(f"${n}" for n in range(2, len(unique) + 2))
        rows = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM meetups
            WHERE chat_id IN ({placeholders}) AND ($1 OR cancelled_at IS NULL)
            ORDER BY start_local, meetup_id
            """,
            include_cancelled,
            *unique,
        )
        return [Meetup._from_row(row) for row in rows]

    async def update(self, meetup_id: str, /, **fields: Any) -> Meetup | None:
        """Change the given fields (create's keywords but ``at``); None if there is no such
        meetup. An unknown field is a ValueError, and so is None for a required one.

        Reminders already planned stay: withdraw them when the time changes.
        """
        unknown = sorted(set(fields) - set(_UPDATABLE))
        if unknown:
            raise ValueError(
                f"a meetup has no field(s) {', '.join(unknown)} to update; "
                f"use {', '.join(_UPDATABLE)}"
            )
        args: list[Any] = []
        for field in _UPDATABLE:
            given = field in fields
            args += [given, _column_value(field, fields[field]) if given else None]
        row = await self._db.fetchrow(_UPDATE, meetup_id, *args)
        return None if row is None else Meetup._from_row(row)

    async def cancel(self, meetup_id: str, at: datetime) -> bool:
        """Cancel the meetup, the whole series; True only the first time."""
        row = await self._db.fetchrow(
            """
            UPDATE meetups SET cancelled_at = $2
            WHERE meetup_id = $1 AND cancelled_at IS NULL
            RETURNING meetup_id
            """,
            meetup_id,
            to_timestamp(at),
        )
        return row is not None

    async def delete(self, meetup_id: str) -> bool:
        """Erase a meetup with its cancellations, sign-ups and reminders; whether it existed."""
        row = await self._db.fetchrow(
            "DELETE FROM meetups WHERE meetup_id = $1 RETURNING meetup_id", meetup_id
        )
        return row is not None

    async def cancel_occurrence(self, meetup_id: str, starts_at: datetime, at: datetime) -> bool:
        """Call off the occurrence starting ``starts_at`` (UTC); True only the first time.

        False, too, if there is no such meetup.
        """
        row = await self._db.fetchrow(
            """
            INSERT INTO occurrence_cancellations (meetup_id, starts_at, cancelled_at)
            SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS BIGINT)
            WHERE EXISTS (SELECT 1 FROM meetups WHERE meetup_id = $1)
            ON CONFLICT (meetup_id, starts_at) DO NOTHING
            RETURNING meetup_id
            """,
            meetup_id,
            to_timestamp(starts_at),
            to_timestamp(at),
        )
        return row is not None

    async def cancelled_occurrences(self, meetup_id: str) -> set[datetime]:
        """The starts (UTC) of the meetup's called-off occurrences."""
        rows = await self._db.fetch(
            "SELECT starts_at FROM occurrence_cancellations WHERE meetup_id = $1", meetup_id
        )
        return {from_timestamp(row["starts_at"]) for row in rows}

    # --- drafts --------------------------------------------------------------------------

    async def add_draft(self, chat_id: int, payload: str, at: datetime) -> StoredMeetupDraft:
        """Keep a meetup preview until it is confirmed; the id is URL-safe, 12 characters."""
        row = await self._db.fetchrow(
            f"""
            INSERT INTO meetup_drafts ({_DRAFT_COLUMNS}) VALUES ($1, $2, $3, $4)
            RETURNING {_DRAFT_COLUMNS}
            """,
            secrets.token_urlsafe(DRAFT_ID_BYTES),
            chat_id,
            payload,
            to_timestamp(at),
        )
        assert row is not None  # an INSERT with RETURNING always returns its row
        return StoredMeetupDraft._from_row(row)

    async def take_draft(self, draft_id: str, chat_id: int) -> StoredMeetupDraft | None:
        """Remove and return the group's draft: only the first confirmation gets it, and a
        button copied into another group takes nothing."""
        row = await self._db.fetchrow(
            f"DELETE FROM meetup_drafts WHERE draft_id = $1 AND chat_id = $2 "
            f"RETURNING {_DRAFT_COLUMNS}",
            draft_id,
            chat_id,
        )
        return None if row is None else StoredMeetupDraft._from_row(row)

    async def drop_drafts_before(self, cutoff: datetime) -> int:
        """Delete the drafts created before ``cutoff``; return how many there were."""
        rows = await self._db.fetch(
            "DELETE FROM meetup_drafts WHERE created_at < $1 RETURNING draft_id",
            to_timestamp(cutoff),
        )
        return len(rows)
