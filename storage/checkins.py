"""After-meetup check-ins: held occurrences, their answer counts, and who opted out.

Stored per held occurrence: how many said they were coming, and the check-in round (when it
is due, when it closes, a random secret while it is open). Answers are only counts per
occurrence, question and answer. One answer per person and question is enforced with keyed
tokens, HMAC(secret, member id), kept only while the round is open: closing deletes them and
the secret, after which nothing links any answer, or the fact of answering, to anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from storage.database import Connection, Database, Row
from storage.models import from_timestamp, to_timestamp

CHECKIN_ID_BYTES = 9  # 12 URL-safe characters: fits in a button's callback data
SECRET_BYTES = 32
INVITED: Final = ""  # the token's question for "was asked to check in"
# Each question and its possible answers, in the order they are offered.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "how": ("1", "2", "3", "4", "5", "skip"),
    "less_alone": ("yes", "a_bit", "no", "skip"),
    "again": ("yes", "maybe", "no", "skip"),
}
_COLUMNS = (
    "meetup_id, starts_at, chat_id, region, coming, maybe, checkin_id, checkin_secret,"
    " checkin_due_at, checkin_closes_at, checkin_sent_at"
)


def token_for(secret: str, user_id: int) -> str:
    """The member's token in one round; without the secret it says nothing about them."""
    digest = hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class HeldMeetup:
    """An occurrence that took place, and its check-in round."""

    meetup_id: str
    starts_at: datetime
    chat_id: int
    region: str
    coming: int
    maybe: int
    checkin_id: str
    is_open: bool  # the secret still exists: answers can be given
    checkin_due_at: datetime
    checkin_closes_at: datetime
    checkin_sent_at: datetime | None

    @classmethod
    def _from_row(cls, row: Row) -> HeldMeetup:
        sent = row["checkin_sent_at"]
        return cls(
            meetup_id=row["meetup_id"],
            starts_at=from_timestamp(row["starts_at"]),
            chat_id=int(row["chat_id"]),
            region=row["region"],
            coming=int(row["coming"]),
            maybe=int(row["maybe"]),
            checkin_id=row["checkin_id"],
            is_open=row["checkin_secret"] is not None,
            checkin_due_at=from_timestamp(row["checkin_due_at"]),
            checkin_closes_at=from_timestamp(row["checkin_closes_at"]),
            checkin_sent_at=None if sent is None else from_timestamp(sent),
        )


@dataclass(frozen=True, slots=True)
class AnswerCount:
    meetup_id: str
    starts_at: datetime
    question: str
    answer: str
    count: int


class AnswerOutcome(Enum):
    RECORDED = "recorded"
    ALREADY_ANSWERED = "already answered"
    NOT_ASKED = "not asked"  # not invited to this round (or erased their data)
    CLOSED = "closed"  # unknown round, or its window is over


def check_answer(question: str, answer: str) -> None:
    if answer not in QUESTIONS.get(question, ()):
        raise ValueError(f"unknown check-in answer {question!r}: {answer!r}")


class CheckinRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- opting out ----------------------------------------------------------------------

    async def set_off(self, user_id: int, off: bool, at: datetime) -> bool:
        """Turn the member's check-ins off (or on again); True if that changed anything."""
        if off:
            sql = """
                INSERT INTO checkin_optouts (user_id, since) VALUES ($1, $2)
                ON CONFLICT (user_id) DO NOTHING RETURNING user_id
            """
            row = await self._db.fetchrow(sql, user_id, to_timestamp(at))
        else:
            sql = "DELETE FROM checkin_optouts WHERE user_id = $1 RETURNING user_id"
            row = await self._db.fetchrow(sql, user_id)
        return row is not None

    async def is_off(self, user_id: int) -> bool:
        value = await self._db.fetchval(
            "SELECT COUNT(*) FROM checkin_optouts WHERE user_id = $1", user_id
        )
        return int(value) > 0

    # --- held occurrences ----------------------------------------------------------------

    async def record_held(
        self,
        meetup_id: str,
        starts_at: datetime,
        chat_id: int,
        region: str,
        *,
        coming: int,
        maybe: int,
        due_at: datetime,
        closes_at: datetime,
    ) -> bool:
        """Note that the occurrence took place, with its check-in round; True if new.

        Idempotent per occurrence: a second call changes nothing.
        """
        if closes_at <= due_at:
            raise ValueError("a check-in round must close after it is due")
        row = await self._db.fetchrow(
            f"""
            INSERT INTO held_meetups ({_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)
            ON CONFLICT (meetup_id, starts_at) DO NOTHING
            RETURNING meetup_id
            """,
            meetup_id,
            to_timestamp(starts_at),
            chat_id,
            region,
            coming,
            maybe,
            secrets.token_urlsafe(CHECKIN_ID_BYTES),
            secrets.token_hex(SECRET_BYTES),
            to_timestamp(due_at),
            to_timestamp(closes_at),
        )
        return row is not None

    async def get(self, checkin_id: str) -> HeldMeetup | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM held_meetups WHERE checkin_id = $1", checkin_id
        )
        return None if row is None else HeldMeetup._from_row(row)

    async def claim_due(self, now: datetime) -> list[HeldMeetup]:
        """Rounds due by ``now``, still open and not yet sent, marked sent: each is handed
        out once, also to concurrent callers."""
        rows = await self._db.fetch(
            f"""
            UPDATE held_meetups SET checkin_sent_at = $1
            WHERE checkin_sent_at IS NULL AND checkin_due_at <= $1 AND checkin_closes_at > $1
                AND checkin_secret IS NOT NULL
            RETURNING {_COLUMNS}
            """,
            to_timestamp(now),
        )
        return sorted((HeldMeetup._from_row(r) for r in rows), key=lambda h: h.checkin_due_at)

    async def invite(self, checkin_id: str, user_ids: list[int]) -> int:
        """Note that these members are asked in the round (only as tokens); how many."""
        async with self._db.transaction("invite to a check-in") as conn:
            secret = await _open_secret(conn, checkin_id, None)
            if secret is None:
                return 0
            for user_id in user_ids:
                await _add_token(conn, checkin_id, token_for(secret, user_id), INVITED)
        return len(user_ids)

    async def answer(
        self, checkin_id: str, user_id: int, question: str, answer: str, now: datetime
    ) -> AnswerOutcome:
        """Count one answer, once per member and question, only while the round is open."""
        check_answer(question, answer)
        async with self._db.transaction("count a check-in answer") as conn:
            secret = await _open_secret(conn, checkin_id, now)
            if secret is None:
                return AnswerOutcome.CLOSED
            token = token_for(secret, user_id)
            invited = await conn.fetchval(
                "SELECT COUNT(*) FROM checkin_tokens WHERE checkin_id = $1 AND token = $2"
                " AND question = $3",
                checkin_id,
                token,
                INVITED,
            )
            if not int(invited):
                return AnswerOutcome.NOT_ASKED
            if not await _add_token(conn, checkin_id, token, question):
                return AnswerOutcome.ALREADY_ANSWERED
            await conn.execute(
                """
                INSERT INTO checkin_answers (meetup_id, starts_at, question, answer, count)
                SELECT meetup_id, starts_at, $2, $3, 1 FROM held_meetups WHERE checkin_id = $1
                ON CONFLICT (meetup_id, starts_at, question, answer) DO UPDATE SET
                    count = checkin_answers.count + 1
                """,
                checkin_id,
                question,
                answer,
            )
        return AnswerOutcome.RECORDED

    async def close_due(self, now: datetime) -> int:
        """Close the rounds whose window is over: tokens and secret go; how many closed."""
        async with self._db.transaction("close check-in rounds") as conn:
            rows = await conn.fetch(
                """
                UPDATE held_meetups SET checkin_secret = NULL
                WHERE checkin_secret IS NOT NULL AND checkin_closes_at <= $1
                RETURNING checkin_id
                """,
                to_timestamp(now),
            )
            for row in rows:
                await conn.execute(
                    "DELETE FROM checkin_tokens WHERE checkin_id = $1", row["checkin_id"]
                )
        return len(rows)

    async def answer_counts(self, meetup_id: str, starts_at: datetime) -> list[AnswerCount]:
        rows = await self._db.fetch(
            """
            SELECT meetup_id, starts_at, question, answer, count FROM checkin_answers
            WHERE meetup_id = $1 AND starts_at = $2 ORDER BY question, answer
            """,
            meetup_id,
            to_timestamp(starts_at),
        )
        return [_count(row) for row in rows]


def _count(row: Row) -> AnswerCount:
    return AnswerCount(
        row["meetup_id"],
        from_timestamp(row["starts_at"]),
        row["question"],
        row["answer"],
        int(row["count"]),
    )


async def _open_secret(conn: Connection, checkin_id: str, now: datetime | None) -> str | None:
    value = await conn.fetchval(
        """
        SELECT checkin_secret FROM held_meetups
        WHERE checkin_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR checkin_closes_at > $2)
        """,
        checkin_id,
        None if now is None else to_timestamp(now),
    )
    return None if value is None else str(value)


async def _add_token(conn: Connection, checkin_id: str, token: str, question: str) -> bool:
    row = await conn.fetchrow(
        """
        INSERT INTO checkin_tokens (checkin_id, token, question) VALUES ($1, $2, $3)
        ON CONFLICT (checkin_id, token, question) DO NOTHING RETURNING token
        """,
        checkin_id,
        token,
        question,
    )
    return row is not None


async def forget_tokens(conn: Connection, user_id: int) -> int:
    """Delete a member's tokens in every open round (for erasure); how many."""
    rounds = await conn.fetch(
        "SELECT checkin_id, checkin_secret FROM held_meetups WHERE checkin_secret IS NOT NULL"
    )
    erased = 0
    for row in rounds:
        gone = await conn.fetch(
            "DELETE FROM checkin_tokens WHERE checkin_id = $1 AND token = $2 RETURNING token",
            row["checkin_id"],
            token_for(row["checkin_secret"], user_id),
        )
        erased += len(gone)
    return erased
