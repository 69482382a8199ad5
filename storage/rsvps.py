"""Sign-ups for meetups, per occurrence, and subscriptions to a group's meetup reminders.

An RSVP stores only who answered what for which occurrence, when, and whether they want a
private reminder. A subscription stores who wants private reminders of a group's meetups, and
since when.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.database import Database
from storage.models import (
    RSVP_ANSWERS,
    Rsvp,
    RsvpAnswer,
    RsvpCounts,
    is_rsvp_answer,
    to_timestamp,
)

_COLUMNS = "meetup_id, starts_at, user_id, answer, remind, answered_at"


def _check_answer(answer: str) -> None:
    if not is_rsvp_answer(answer):
        raise ValueError(f"an answer is one of {', '.join(RSVP_ANSWERS)}, not {answer!r}")


class RsvpRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- answers -------------------------------------------------------------------------

    async def answer(
        self,
        meetup_id: str,
        starts_at: datetime,
        user_id: int,
        answer: RsvpAnswer,
        at: datetime,
        *,
        remind: bool | None = None,
    ) -> Rsvp:
        """Record (or change) a member's answer for the occurrence starting ``starts_at``.

        ``remind`` None keeps the stored choice (no reminder for a first answer). The meetup
        must exist: an unknown one is an IntegrityError.
        """
        _check_answer(answer)
        row = await self._db.fetchrow(
            f"""
            INSERT INTO rsvps ({_COLUMNS}) VALUES ($1, $2, $3, $4, COALESCE($5, FALSE), $6)
            ON CONFLICT (meetup_id, starts_at, user_id) DO UPDATE SET
                answer = excluded.answer,
                remind = COALESCE($5, rsvps.remind),
                answered_at = excluded.answered_at
            RETURNING {_COLUMNS}
            """,
            meetup_id,
            to_timestamp(starts_at),
            user_id,
            answer,
            remind,
            to_timestamp(at),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return Rsvp._from_row(row)

    async def move(
        self, meetup_id: str, starts_at: datetime, to_meetup_id: str, to_starts_at: datetime
    ) -> int:
        """One date of a series became its own meetup: its answers go with it."""
        rows = await self._db.fetch(
            """
            UPDATE rsvps SET meetup_id = $3, starts_at = $4
            WHERE meetup_id = $1 AND starts_at = $2
            RETURNING user_id
            """,
            meetup_id,
            to_timestamp(starts_at),
            to_meetup_id,
            to_timestamp(to_starts_at),
        )
        return len(rows)

    async def get(self, meetup_id: str, starts_at: datetime, user_id: int) -> Rsvp | None:
        row = await self._db.fetchrow(
            f"""
            SELECT {_COLUMNS} FROM rsvps
            WHERE meetup_id = $1 AND starts_at = $2 AND user_id = $3
            """,
            meetup_id,
            to_timestamp(starts_at),
            user_id,
        )
        return None if row is None else Rsvp._from_row(row)

    async def counts(self, meetup_id: str, starts_at: datetime) -> RsvpCounts:
        """How many answered yes, maybe and no for the occurrence."""
        rows = await self._db.fetch(
            """
            SELECT answer, COUNT(*) AS n FROM rsvps
            WHERE meetup_id = $1 AND starts_at = $2
            GROUP BY answer
            """,
            meetup_id,
            to_timestamp(starts_at),
        )
        counts = {row["answer"]: int(row["n"]) for row in rows}
        return RsvpCounts(
            yes=counts.get("yes", 0), maybe=counts.get("maybe", 0), no=counts.get("no", 0)
        )

    async def attendees(
        self,
        meetup_id: str,
        starts_at: datetime,
        answers: Sequence[RsvpAnswer] = ("yes", "maybe"),
    ) -> list[Rsvp]:
        """The occurrence's answers that are one of ``answers``, by when they answered."""
        unique = sorted(set(answers))
        for answer in unique:
            _check_answer(answer)
        if not unique:
            return []
        placeholders = ", ".join(f"${n}" for n in range(3, len(unique) + 3))
        rows = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM rsvps
            WHERE meetup_id = $1 AND starts_at = $2 AND answer IN ({placeholders})
            ORDER BY answered_at, user_id
            """,
            meetup_id,
            to_timestamp(starts_at),
            *unique,
        )
        return [Rsvp._from_row(row) for row in rows]

    async def of_member(self, user_id: int) -> list[Rsvp]:
        """Every answer of a member, by occurrence start, then meetup id."""
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM rsvps WHERE user_id = $1 ORDER BY starts_at, meetup_id",
            user_id,
        )
        return [Rsvp._from_row(row) for row in rows]

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete the answers for occurrences that started before ``cutoff``; how many."""
        rows = await self._db.fetch(
            "DELETE FROM rsvps WHERE starts_at < $1 RETURNING user_id", to_timestamp(cutoff)
        )
        return len(rows)

    # --- reminder subscriptions ----------------------------------------------------------

    async def subscribe(self, user_id: int, chat_id: int, at: datetime) -> bool:
        """Private reminders of every meetup of the group; True if not subscribed before."""
        row = await self._db.fetchrow(
            """
            INSERT INTO reminder_subscriptions (user_id, chat_id, since) VALUES ($1, $2, $3)
            ON CONFLICT (user_id, chat_id) DO NOTHING
            RETURNING user_id
            """,
            user_id,
            chat_id,
            to_timestamp(at),
        )
        return row is not None

    async def unsubscribe(self, user_id: int, chat_id: int | None = None) -> int:
        """End the subscription to a group (None: to every group); return how many ended."""
        rows = await self._db.fetch(
            """
            DELETE FROM reminder_subscriptions
            WHERE user_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR chat_id = $2)
            RETURNING chat_id
            """,
            user_id,
            chat_id,
        )
        return len(rows)

    async def subscribers(self, chat_id: int) -> list[int]:
        """Who subscribed to the group's reminders, ordered by id."""
        rows = await self._db.fetch(
            "SELECT user_id FROM reminder_subscriptions WHERE chat_id = $1 ORDER BY user_id",
            chat_id,
        )
        return [int(row["user_id"]) for row in rows]

    async def subscriptions_of(self, user_id: int) -> list[int]:
        """The groups whose reminders the member subscribed to, ordered by id."""
        rows = await self._db.fetch(
            "SELECT chat_id FROM reminder_subscriptions WHERE user_id = $1 ORDER BY chat_id",
            user_id,
        )
        return [int(row["chat_id"]) for row in rows]

    # --- erasure -------------------------------------------------------------------------

    async def forget_member(self, user_id: int) -> int:
        """Erase a member's answers and subscriptions; return how many rows went."""
        async with self._db.transaction("forget a member's sign-ups") as conn:
            answers = await conn.fetch(
                "DELETE FROM rsvps WHERE user_id = $1 RETURNING user_id", user_id
            )
            subscriptions = await conn.fetch(
                "DELETE FROM reminder_subscriptions WHERE user_id = $1 RETURNING user_id",
                user_id,
            )
        return len(answers) + len(subscriptions)
