"""Anonymous questions to the facilitators and their conversations.

A question starts as the member's draft, gets its number ("#17", counted per region) when it
is sent, and stays open until the member or a facilitator closes it, or it goes quiet for
the retention period. asker_id is the only link to the member; no name is ever stored.
Texts and that link are kept while the question is open and for the retention period after
it closed; then only the anonymous row (region, number, times) stays, for the figures.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal

from storage import locks
from storage.database import Connection, Database, Row
from storage.models import from_timestamp, to_timestamp

QuestionStatus = Literal["draft", "open", "closed"]
ClosedBy = Literal["member", "facilitator", "withdrawn", "expired"]
Author = Literal["member", "facilitator"]

QUESTION_ID_BYTES = 9  # 12 URL-safe characters: fits in a button's callback data
# Block codes are read aloud and typed: no 0/O or 1/I/L.
BLOCK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
BLOCK_CODE_LENGTH = 6
# A draft whose region the member has not chosen yet (they belong to several).
NO_REGION = ""
DRAFT_LIFETIME = timedelta(days=1)
DAY = timedelta(days=1)
# Sending is serialised per member (their limits) and per region (its numbers), in that order.
ASKER_LOCK = locks.namespace(b"qask")
NUMBER_LOCK = locks.namespace(b"qnum")
_MAX_ATTEMPTS = 5
_COLUMNS = (
    "question_id, region, number, asker_id, show_name, status, created_at, asked_at,"
    " first_answer_at, last_activity_at, closed_at, closed_by, staff_chat_id, staff_thread_id"
)
_Q_COLUMNS = ", ".join(f"q.{name.strip()}" for name in _COLUMNS.split(","))
_MESSAGE_COLUMNS = "question_id, seq, author, body, at, staff_message_id, member_message_id"
_BLOCK_COLUMNS = "block_id, region, question_number, blocked_at"


def _time(value: int | None) -> datetime | None:
    return None if value is None else from_timestamp(value)


def _int(value: int | None) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class Question:
    question_id: str
    region: str  # NO_REGION while a draft waits for the member's choice
    number: int | None  # None for a draft
    asker_id: int | None  # None once erased
    show_name: bool
    status: QuestionStatus
    created_at: datetime
    asked_at: datetime | None
    first_answer_at: datetime | None
    last_activity_at: datetime
    closed_at: datetime | None
    closed_by: ClosedBy | None
    staff_chat_id: int | None
    staff_thread_id: int | None  # the question's forum topic in the staff chat

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @classmethod
    def _from_row(cls, row: Row) -> Question:
        return cls(
            question_id=row["question_id"],
            region=row["region"],
            number=_int(row["number"]),
            asker_id=_int(row["asker_id"]),
            show_name=bool(row["show_name"]),
            status=row["status"],
            created_at=from_timestamp(row["created_at"]),
            asked_at=_time(row["asked_at"]),
            first_answer_at=_time(row["first_answer_at"]),
            last_activity_at=from_timestamp(row["last_activity_at"]),
            closed_at=_time(row["closed_at"]),
            closed_by=row["closed_by"],
            staff_chat_id=_int(row["staff_chat_id"]),
            staff_thread_id=_int(row["staff_thread_id"]),
        )


@dataclass(frozen=True, slots=True)
class QuestionMessage:
    """One message of a question's conversation; seq 1 is the question itself."""

    question_id: str
    seq: int
    author: Author
    body: str | None  # None once erased
    at: datetime
    staff_message_id: int | None  # the bot's message about it in the staff chat
    member_message_id: int | None  # the bot's message about it in the member's chat

    @classmethod
    def _from_row(cls, row: Row) -> QuestionMessage:
        return cls(
            question_id=row["question_id"],
            seq=int(row["seq"]),
            author=row["author"],
            body=row["body"],
            at=from_timestamp(row["at"]),
            staff_message_id=_int(row["staff_message_id"]),
            member_message_id=_int(row["member_message_id"]),
        )


@dataclass(frozen=True, slots=True)
class QuestionBlock:
    """A member stopped from asking a region's facilitators; who it is never leaves storage."""

    block_id: str  # the code an organisation admin lifts it with
    region: str
    question_number: int | None
    blocked_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> QuestionBlock:
        return cls(
            block_id=row["block_id"],
            region=row["region"],
            question_number=_int(row["question_number"]),
            blocked_at=from_timestamp(row["blocked_at"]),
        )


class SendOutcome(Enum):
    SENT = "sent"
    GONE = "gone"  # not this member's draft (any more): sent, cancelled or replaced
    BLOCKED = "blocked"
    TOO_MANY_OPEN = "too-many-open"
    TOO_MANY_TODAY = "too-many-today"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    question: Question | None = None  # the sent question, with its number


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """What expire() did: questions it closed (tell both sides), rows erased and deleted."""

    expired: list[Question] = field(default_factory=list)
    erased: int = 0  # questions whose texts and asker link were erased
    drafts_deleted: int = 0


class QuestionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- drafts --------------------------------------------------------------------------

    async def create_draft(
        self, asker_id: int, region: str | None, body: str, at: datetime
    ) -> Question:
        """The member's new draft (region None: not chosen yet); their older drafts go."""
        stamp = to_timestamp(at)
        async with self._db.transaction("create question draft") as conn:
            await conn.execute(
                "DELETE FROM questions WHERE asker_id = $1 AND status = 'draft'", asker_id
            )
            row = await _insert_draft(conn, asker_id, region or NO_REGION, stamp)
            await conn.execute(
                """
                INSERT INTO question_messages (question_id, seq, author, body, at)
                VALUES ($1, 1, 'member', $2, $3)
                """,
                row["question_id"],
                body,
                stamp,
            )
        return Question._from_row(row)

    async def choose_region(self, question_id: str, asker_id: int, region: str) -> Question | None:
        """Set the region of the member's draft; None if it is not their draft."""
        row = await self._db.fetchrow(
            f"""
            UPDATE questions SET region = $3
            WHERE question_id = $1 AND asker_id = $2 AND status = 'draft'
            RETURNING {_COLUMNS}
            """,
            question_id,
            asker_id,
            region,
        )
        return None if row is None else Question._from_row(row)

    async def delete_draft(self, question_id: str, asker_id: int) -> bool:
        """The member cancelled their draft; whether there was one."""
        rows = await self._db.fetch(
            """
            DELETE FROM questions WHERE question_id = $1 AND asker_id = $2 AND status = 'draft'
            RETURNING question_id
            """,
            question_id,
            asker_id,
        )
        return bool(rows)

    # --- sending -------------------------------------------------------------------------

    async def usage(self, asker_id: int, now: datetime) -> tuple[int, int]:
        """(open questions, questions sent in the 24 hours before ``now``) of the member."""
        row = await self._db.fetchrow(
            """
            SELECT
                COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) AS open_now,
                COALESCE(SUM(CASE WHEN asked_at > $2 THEN 1 ELSE 0 END), 0) AS last_day
            FROM questions WHERE asker_id = $1
            """,
            asker_id,
            to_timestamp(now - DAY),
        )
        assert row is not None  # an aggregate always returns a row
        return int(row["open_now"]), int(row["last_day"])

    async def send(
        self,
        question_id: str,
        asker_id: int,
        *,
        show_name: bool,
        staff_chat_id: int,
        now: datetime,
        open_limit: int,
        day_limit: int,
    ) -> SendResult:
        """Send the member's draft: give it the region's next number and open it.

        Refused, changing nothing, if it is not the member's draft with a region, if the
        member is blocked in the region, has ``open_limit`` questions open, or sent
        ``day_limit`` in the 24 hours before ``now``. Concurrent sends never share a number.
        """
        at = to_timestamp(now)
        async with self._db.transaction("send question") as conn:
            engine = self._db.engine
            await locks.lock(conn, engine, ASKER_LOCK, locks.key_of(asker_id))
            region = await conn.fetchval(
                """
                SELECT region FROM questions
                WHERE question_id = $1 AND asker_id = $2 AND status = 'draft'
                """,
                question_id,
                asker_id,
            )
            if region is None or region == NO_REGION:
                return SendResult(SendOutcome.GONE)
            await locks.lock(conn, engine, NUMBER_LOCK, locks.key_of(region))
            refused = await _refusal(conn, region, asker_id, at, open_limit, day_limit)
            if refused is not None:
                return SendResult(refused)
            row = await conn.fetchrow(
                f"""
                UPDATE questions SET
                    status = 'open',
                    number = (
                        SELECT COALESCE(MAX(number), 0) + 1 FROM questions WHERE region = $2
                    ),
                    show_name = $3, asked_at = $4, last_activity_at = $4, staff_chat_id = $5
                WHERE question_id = $1 AND region = $2 AND status = 'draft'
                RETURNING {_COLUMNS}
                """,
                question_id,
                region,
                show_name,
                at,
                staff_chat_id,
            )
        if row is None:
            return SendResult(SendOutcome.GONE)
        return SendResult(SendOutcome.SENT, Question._from_row(row))

    async def unsend(self, question_id: str) -> bool:
        """The staff chat could not be reached: the question becomes a draft again."""
        rows = await self._db.fetch(
            """
            UPDATE questions SET
                status = 'draft', number = NULL, asked_at = NULL, show_name = FALSE,
                staff_chat_id = NULL, staff_thread_id = NULL
            WHERE question_id = $1 AND status = 'open' AND first_answer_at IS NULL
            RETURNING question_id
            """,
            question_id,
        )
        return bool(rows)

    async def set_staff_thread(self, question_id: str, thread_id: int) -> None:
        await self._db.execute(
            "UPDATE questions SET staff_thread_id = $2 WHERE question_id = $1",
            question_id,
            thread_id,
        )

    async def set_staff_message(self, question_id: str, seq: int, message_id: int) -> None:
        await self._db.execute(
            """
            UPDATE question_messages SET staff_message_id = $3
            WHERE question_id = $1 AND seq = $2
            """,
            question_id,
            seq,
            message_id,
        )

    async def set_member_message(self, question_id: str, seq: int, message_id: int) -> None:
        await self._db.execute(
            """
            UPDATE question_messages SET member_message_id = $3
            WHERE question_id = $1 AND seq = $2
            """,
            question_id,
            seq,
            message_id,
        )

    # --- the conversation ----------------------------------------------------------------

    async def add_message(
        self,
        question_id: str,
        author: Author,
        body: str,
        at: datetime,
        *,
        staff_message_id: int | None = None,
        member_message_id: int | None = None,
    ) -> QuestionMessage | None:
        """Add to an open question's conversation; None (nothing stored) if it is not open.

        The first facilitator message sets first_answer_at; every message moves
        last_activity_at.
        """
        stamp = to_timestamp(at)
        first_answer = (
            "COALESCE(first_answer_at, $2)" if author == "facilitator" else "first_answer_at"
        )
        async with self._db.transaction("add question message") as conn:
            # The update locks the question's row: concurrent messages get their seq in turn.
            opened = await conn.fetchval(
                f"""
                UPDATE questions SET last_activity_at = $2, first_answer_at = {first_answer}
                WHERE question_id = $1 AND status = 'open'
                RETURNING question_id
                """,
                question_id,
                stamp,
            )
            if opened is None:
                return None
            seq = await conn.fetchval(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM question_messages WHERE question_id = $1",
                question_id,
            )
            row = await conn.fetchrow(
                f"""
                INSERT INTO question_messages ({_MESSAGE_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                RETURNING {_MESSAGE_COLUMNS}
                """,
                question_id,
                int(seq),
                author,
                body,
                stamp,
                staff_message_id,
                member_message_id,
            )
        assert row is not None  # INSERT … RETURNING returns the row
        return QuestionMessage._from_row(row)

    async def get(self, question_id: str) -> Question | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM questions WHERE question_id = $1", question_id
        )
        return None if row is None else Question._from_row(row)

    async def messages(self, question_id: str) -> list[QuestionMessage]:
        """The conversation, oldest first."""
        rows = await self._db.fetch(
            f"""
            SELECT {_MESSAGE_COLUMNS} FROM question_messages
            WHERE question_id = $1 ORDER BY seq
            """,
            question_id,
        )
        return [QuestionMessage._from_row(row) for row in rows]

    async def by_number(self, region: str, number: int) -> Question | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM questions WHERE region = $1 AND number = $2",
            region,
            number,
        )
        return None if row is None else Question._from_row(row)

    async def by_staff_message(self, staff_chat_id: int, message_id: int) -> Question | None:
        """The question a bot message in the staff chat is about."""
        row = await self._db.fetchrow(
            f"""
            SELECT {_Q_COLUMNS} FROM questions AS q
            JOIN question_messages AS m ON m.question_id = q.question_id
            WHERE q.staff_chat_id = $1 AND m.staff_message_id = $2
            """,
            staff_chat_id,
            message_id,
        )
        return None if row is None else Question._from_row(row)

    async def by_member_message(self, asker_id: int, message_id: int) -> Question | None:
        """The member's question a bot message in their private chat is about."""
        row = await self._db.fetchrow(
            f"""
            SELECT {_Q_COLUMNS} FROM questions AS q
            JOIN question_messages AS m ON m.question_id = q.question_id
            WHERE q.asker_id = $1 AND m.member_message_id = $2
            """,
            asker_id,
            message_id,
        )
        return None if row is None else Question._from_row(row)

    async def close(
        self, question_id: str, by: ClosedBy, now: datetime, *, asker_id: int | None = None
    ) -> Question | None:
        """Close an open question (only the member's own, if ``asker_id`` is given).

        Returns the closed question, or None if it was not open: of two closing at once,
        one gets it.
        """
        args: list[object] = [question_id, by, to_timestamp(now)]
        only_theirs = ""
        if asker_id is not None:
            only_theirs = "AND asker_id = $4"
            args.append(asker_id)
        row = await self._db.fetchrow(
            f"""
            UPDATE questions SET status = 'closed', closed_by = $2, closed_at = $3
            WHERE question_id = $1 AND status = 'open' {only_theirs}
            RETURNING {_COLUMNS}
            """,
            *args,
        )
        return None if row is None else Question._from_row(row)

    # --- blocks --------------------------------------------------------------------------

    async def block(self, question_id: str, now: datetime) -> QuestionBlock | None:
        """Stop the asker of a question from asking its region again; idempotent.

        Returns the block (an existing one if they were blocked already), or None if the
        question is unknown or no longer linked to anyone.
        """
        async with self._db.transaction("block asker") as conn:
            found = await conn.fetchrow(
                "SELECT region, number, asker_id FROM questions WHERE question_id = $1",
                question_id,
            )
            if found is None or found["asker_id"] is None:
                return None
            for _ in range(_MAX_ATTEMPTS):
                # No conflict target: the member already blocked here, or (rarely) a code
                # already taken, both leave the table as it is.
                await conn.execute(
                    """
                    INSERT INTO question_blocks
                        (block_id, region, user_id, question_number, blocked_at)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT DO NOTHING
                    """,
                    new_block_code(),
                    found["region"],
                    found["asker_id"],
                    found["number"],
                    to_timestamp(now),
                )
                row = await conn.fetchrow(
                    f"SELECT {_BLOCK_COLUMNS} FROM question_blocks"
                    " WHERE region = $1 AND user_id = $2",
                    found["region"],
                    found["asker_id"],
                )
                if row is not None:
                    return QuestionBlock._from_row(row)
        raise RuntimeError(f"no block could be stored in {_MAX_ATTEMPTS} attempts")

    async def is_blocked(self, region: str, user_id: int) -> bool:
        value = await self._db.fetchval(
            "SELECT COUNT(*) FROM question_blocks WHERE region = $1 AND user_id = $2",
            region,
            user_id,
        )
        return int(value) > 0

    async def unblock(self, block_id: str) -> QuestionBlock | None:
        """Lift a block by its code; the lifted block, or None if there is none."""
        row = await self._db.fetchrow(
            f"DELETE FROM question_blocks WHERE block_id = $1 RETURNING {_BLOCK_COLUMNS}",
            block_id,
        )
        return None if row is None else QuestionBlock._from_row(row)

    async def blocks(self, region: str | None = None) -> list[QuestionBlock]:
        """Blocks, of one region or all, by region and time."""
        rows = await self._db.fetch(
            f"""
            SELECT {_BLOCK_COLUMNS} FROM question_blocks
            WHERE $1 = '' OR region = $1
            ORDER BY region, blocked_at, block_id
            """,
            region or "",
        )
        return [QuestionBlock._from_row(row) for row in rows]

    # --- retention -----------------------------------------------------------------------

    async def expire(self, now: datetime, retention: timedelta) -> RetentionResult:
        """Keep texts and the asker link only while open and ``retention`` after closing.

        Open questions quiet since before ``now - retention`` are closed ('expired') and
        returned, still linked, so both sides can be told. Questions closed before then lose
        asker_id, show_name, texts and the member's message ids; the anonymous row stays.
        Drafts older than a day are deleted.
        """
        cutoff = to_timestamp(now - retention)
        async with self._db.transaction("question retention") as conn:
            expired = await conn.fetch(
                f"""
                UPDATE questions SET status = 'closed', closed_by = 'expired', closed_at = $2
                WHERE status = 'open' AND last_activity_at < $1
                RETURNING {_COLUMNS}
                """,
                cutoff,
                to_timestamp(now),
            )
            erased = await _erase_closed_before(conn, cutoff)
            drafts = await conn.fetch(
                "DELETE FROM questions WHERE status = 'draft' AND created_at < $1"
                " RETURNING question_id",
                to_timestamp(now - DRAFT_LIFETIME),
            )
        return RetentionResult(
            expired=sorted(
                (Question._from_row(row) for row in expired),
                key=lambda q: (q.region, q.number or 0),
            ),
            erased=erased,
            drafts_deleted=len(drafts),
        )


def new_block_code() -> str:
    return "".join(secrets.choice(BLOCK_CODE_ALPHABET) for _ in range(BLOCK_CODE_LENGTH))


async def _insert_draft(conn: Connection, asker_id: int, region: str, stamp: int) -> Row:
    for _ in range(_MAX_ATTEMPTS):
        row = await conn.fetchrow(
            f"""
            INSERT INTO questions
                (question_id, region, asker_id, status, created_at, last_activity_at)
            VALUES ($1, $2, $3, 'draft', $4, $4)
            ON CONFLICT (question_id) DO NOTHING
            RETURNING {_COLUMNS}
            """,
            secrets.token_urlsafe(QUESTION_ID_BYTES),
            region,
            asker_id,
            stamp,
        )
        if row is not None:
            return row
    raise RuntimeError(f"no question id could be made in {_MAX_ATTEMPTS} attempts")


async def _refusal(
    conn: Connection, region: str, asker_id: int, at: int, open_limit: int, day_limit: int
) -> SendOutcome | None:
    """Why the member may not send to ``region`` now, or None if they may."""
    blocked = await conn.fetchval(
        "SELECT COUNT(*) FROM question_blocks WHERE region = $1 AND user_id = $2",
        region,
        asker_id,
    )
    if int(blocked):
        return SendOutcome.BLOCKED
    counts = await conn.fetchrow(
        """
        SELECT
            COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) AS open_now,
            COALESCE(SUM(CASE WHEN asked_at > $2 THEN 1 ELSE 0 END), 0) AS last_day
        FROM questions WHERE asker_id = $1
        """,
        asker_id,
        at - int(DAY.total_seconds()),
    )
    assert counts is not None  # an aggregate always returns a row
    if int(counts["open_now"]) >= open_limit:
        return SendOutcome.TOO_MANY_OPEN
    if int(counts["last_day"]) >= day_limit:
        return SendOutcome.TOO_MANY_TODAY
    return None


async def _erase_closed_before(conn: Connection, cutoff: int) -> int:
    """Blank the texts and unlink the askers of questions closed before ``cutoff``."""
    blanked = await conn.fetch(
        """
        UPDATE question_messages SET body = NULL, member_message_id = NULL
        WHERE (body IS NOT NULL OR member_message_id IS NOT NULL)
            AND question_id IN (
                SELECT question_id FROM questions WHERE status = 'closed' AND closed_at < $1
            )
        RETURNING question_id
        """,
        cutoff,
    )
    unlinked = await conn.fetch(
        """
        UPDATE questions SET asker_id = NULL, show_name = FALSE
        WHERE status = 'closed' AND closed_at < $1
            AND (asker_id IS NOT NULL OR show_name = TRUE)
        RETURNING question_id
        """,
        cutoff,
    )
    return len({row["question_id"] for row in [*blanked, *unlinked]})
