"""Meetup reminders: the delivery queue. Storage is the source of truth for what was sent.

Stored: which occurrence, to whom (the group, or one member privately), when it is due, and
the delivery state. A reminder goes through planned → claimed (for a lease) → sent or
skipped. A sender claims due reminders with claim_due(), delivers each, then marks it sent
(or skipped); a claim whose lease ran out, because its sender died, can be claimed again.
Concurrent claimers, also in other instances, never get the same reminder at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from storage.database import Database
from storage.models import (
    AUDIENCES,
    Audience,
    Reminder,
    from_timestamp,
    is_audience,
    to_timestamp,
)

REMINDER_ID_BYTES = 9
GROUP_USER_ID = 0  # the stored user_id of a group reminder
_COLUMNS = (
    "reminder_id, meetup_id, starts_at, audience, user_id, due_at, claimed_until, sent_at,"
    " skipped_at"
)
_PENDING = "sent_at IS NULL AND skipped_at IS NULL"

# PostgreSQL: rows another claimer has locked are skipped, and a row another claimer has just
# claimed fails the re-checked WHERE, so no reminder is handed out twice. SQLite: BEGIN
# IMMEDIATE serialises the claimers instead.
_CLAIM_DUE = f"""
    UPDATE reminders SET claimed_until = $2
    WHERE reminder_id IN (
        SELECT reminder_id FROM reminders
        WHERE due_at <= $1 AND {_PENDING} AND (claimed_until IS NULL OR claimed_until <= $1)
        ORDER BY due_at, reminder_id
        LIMIT $3
        {{lock}}
    )
    RETURNING {_COLUMNS}
"""
_CLAIM_DUE_POSTGRES = _CLAIM_DUE.format(lock="FOR UPDATE SKIP LOCKED")
_CLAIM_DUE_SQLITE = _CLAIM_DUE.format(lock="")
# Only a reminder still pending can become sent or skipped, once.
_FINISH = f"""
    UPDATE reminders SET {{column}} = $2
    WHERE reminder_id = $1 AND {_PENDING}
    RETURNING reminder_id
"""
# Only the claim this sender holds: one that ran out and was taken by another stays with it.
_RELEASE = f"""
    UPDATE reminders SET claimed_until = NULL
    WHERE reminder_id = $1 AND claimed_until = $2 AND {_PENDING}
    RETURNING reminder_id
"""
_MARK_SENT = _FINISH.format(column="sent_at")
_MARK_SKIPPED = _FINISH.format(column="skipped_at")


def _stored_user_id(audience: Audience, user_id: int | None) -> int:
    if not is_audience(audience):
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    if audience == "group":
        if user_id is not None:
            raise ValueError("a group reminder is for nobody in particular: user_id is None")
        return GROUP_USER_ID
    if user_id is None:
        raise ValueError("a private reminder needs the user_id of its member")
    return user_id


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def plan(
        self,
        meetup_id: str,
        starts_at: datetime,
        audience: Audience,
        user_id: int | None,
        due_at: datetime,
    ) -> bool:
        """Queue a reminder of the occurrence starting ``starts_at``; True if it is new.

        Idempotent: the same occurrence, audience, member and due time is queued once (also
        once it is sent, until purged). ``user_id`` is None for a group reminder. Nothing is
        queued, and the answer is False, for an unknown or cancelled meetup, or a cancelled
        occurrence.
        """
        row = await self._db.fetchrow(
            """
            INSERT INTO reminders (reminder_id, meetup_id, starts_at, audience, user_id, due_at)
            SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT), CAST($4 AS TEXT),
                CAST($5 AS BIGINT), CAST($6 AS BIGINT)
            WHERE EXISTS (SELECT 1 FROM meetups WHERE meetup_id = $2 AND cancelled_at IS NULL)
                AND NOT EXISTS (
                    SELECT 1 FROM occurrence_cancellations
                    WHERE meetup_id = $2 AND starts_at = $3
                )
            ON CONFLICT (meetup_id, starts_at, audience, user_id, due_at) DO NOTHING
            RETURNING reminder_id
            """,
            secrets.token_urlsafe(REMINDER_ID_BYTES),
            meetup_id,
            to_timestamp(starts_at),
            audience,
            _stored_user_id(audience, user_id),
            to_timestamp(due_at),
        )
        return row is not None

    async def get(self, reminder_id: str) -> Reminder | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM reminders WHERE reminder_id = $1", reminder_id
        )
        return None if row is None else Reminder._from_row(row)

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Reminder]:
        """Claim up to ``limit`` reminders due by ``now`` for ``lease``, earliest due first.

        A reminder is claimable when it is neither sent nor skipped and not claimed, or its
        claim ran out (``claimed_until <= now``). Atomic: concurrent callers, in this
        instance or others, never get the same reminder. Mark each one sent or skipped
        before the lease (at least a second) runs out, or it is handed out again.
        """
        if lease < timedelta(seconds=1):
            raise ValueError(f"a lease lasts at least a second, not {lease}")
        if limit < 1:
            return []
        sql = _CLAIM_DUE_POSTGRES if self._db.engine == "postgres" else _CLAIM_DUE_SQLITE
        async with self._db.transaction("claim due reminders") as conn:
            rows = await conn.fetch(sql, to_timestamp(now), to_timestamp(now + lease), limit)
        claimed = [Reminder._from_row(row) for row in rows]
        return sorted(claimed, key=lambda r: (r.due_at, r.reminder_id))

    async def release(self, claimed: Iterable[Reminder]) -> int:
        """Hand back claims that will not be used now (say, Telegram asked for a pause), so
        that the next sweep can send them without waiting out the lease; how many."""
        released = 0
        async with self._db.transaction("release reminder claims") as conn:
            for reminder in claimed:
                if reminder.claimed_until is None:
                    continue
                row = await conn.fetchrow(
                    _RELEASE, reminder.reminder_id, to_timestamp(reminder.claimed_until)
                )
                released += row is not None
        return released

    async def mark_sent(self, reminder_id: str, at: datetime) -> bool:
        """The reminder was delivered; False if it was already sent or skipped (or is gone)."""
        row = await self._db.fetchrow(_MARK_SENT, reminder_id, to_timestamp(at))
        return row is not None

    async def mark_skipped(self, reminder_id: str, at: datetime) -> bool:
        """The reminder will not be delivered (say, the meetup was cancelled, or the member
        cannot be reached); False if it was already sent or skipped (or is gone)."""
        row = await self._db.fetchrow(_MARK_SKIPPED, reminder_id, to_timestamp(at))
        return row is not None

    async def withdraw(
        self,
        meetup_id: str,
        starts_at: datetime | None = None,
        audience: Audience | None = None,
        user_id: int | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Delete the meetup's queued reminders that match; return how many.

        None matches anything: every occurrence, both audiences, every member (``user_id``
        given matches that member's private reminders). Sent and skipped reminders stay, and
        so do claimed ones, which a sender may be delivering right now: with ``now`` given,
        a claim that ran out by then no longer counts, and such a reminder goes too.
        """
        if audience is not None and not is_audience(audience):
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
        rows = await self._db.fetch(
            f"""
            DELETE FROM reminders
            WHERE meetup_id = $1
                AND (CAST($2 AS BIGINT) IS NULL OR starts_at = $2)
                AND (CAST($3 AS TEXT) IS NULL OR audience = $3)
                AND (CAST($4 AS BIGINT) IS NULL OR (audience = 'private' AND user_id = $4))
                AND {_PENDING}
                AND (claimed_until IS NULL OR claimed_until <= $5)
            RETURNING reminder_id
            """,
            meetup_id,
            None if starts_at is None else to_timestamp(starts_at),
            audience,
            user_id,
            None if now is None else to_timestamp(now),
        )
        return len(rows)

    async def pending_for(self, meetup_id: str) -> list[Reminder]:
        """The meetup's reminders not yet sent or skipped (claimed ones too), by due time."""
        rows = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM reminders
            WHERE meetup_id = $1 AND {_PENDING}
            ORDER BY due_at, starts_at, audience, user_id
            """,
            meetup_id,
        )
        return [Reminder._from_row(row) for row in rows]

    async def next_due(self) -> datetime | None:
        """When claim_due can next hand out a reminder (it may be past); None: nothing queued.

        That is the earliest due time, or for a claimed reminder the end of its claim.
        """
        value = await self._db.fetchval(
            f"""
            SELECT MIN(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END)
            FROM reminders
            WHERE {_PENDING}
            """
        )
        return None if value is None else from_timestamp(value)

    async def purge_sent_before(self, cutoff: datetime) -> int:
        """Delete the reminders sent, or skipped, before ``cutoff``; return how many."""
        rows = await self._db.fetch(
            "DELETE FROM reminders WHERE sent_at < $1 OR skipped_at < $1 RETURNING reminder_id",
            to_timestamp(cutoff),
        )
        return len(rows)

    async def forget_member(self, user_id: int) -> int:
        """Erase every private reminder of a member, sent or not; return how many."""
        rows = await self._db.fetch(
            """
            DELETE FROM reminders WHERE audience = 'private' AND user_id = $1
            RETURNING reminder_id
            """,
            user_id,
        )
        return len(rows)
