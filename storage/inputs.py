"""What the bot waits for a member to write next in the private chat (one thing at a time).

Kept in storage, not in memory, so that any instance can take the member's next message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.database import Database
from storage.models import from_timestamp, to_timestamp


@dataclass(frozen=True, slots=True)
class PendingInput:
    user_id: int
    purpose: str  # which feature takes the text: "ask", "ask-reply", "anon", …
    subject: str | None  # what it is about, e.g. a question id
    created_at: datetime


class InputRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def expect(
        self, user_id: int, purpose: str, subject: str | None, at: datetime
    ) -> PendingInput:
        """Wait for the member's next text for ``purpose``; replaces what was awaited before."""
        await self._db.execute(
            """
            INSERT INTO pending_inputs (user_id, purpose, subject, created_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id) DO UPDATE SET
                purpose = excluded.purpose,
                subject = excluded.subject,
                created_at = excluded.created_at
            """,
            user_id,
            purpose,
            subject,
            to_timestamp(at),
        )
        return PendingInput(user_id, purpose, subject, at)

    async def take(self, user_id: int, now: datetime, max_age: timedelta) -> PendingInput | None:
        """Remove and return what is awaited from the member, if it is younger than max_age.

        Taking is atomic: of two instances given the same member's messages, one gets it.
        """
        row = await self._db.fetchrow(
            """
            DELETE FROM pending_inputs WHERE user_id = $1
            RETURNING user_id, purpose, subject, created_at
            """,
            user_id,
        )
        if row is None:
            return None
        created = from_timestamp(row["created_at"])
        if now - created > max_age:
            return None
        return PendingInput(int(row["user_id"]), row["purpose"], row["subject"], created)

    async def peek(self, user_id: int) -> PendingInput | None:
        row = await self._db.fetchrow(
            "SELECT user_id, purpose, subject, created_at FROM pending_inputs WHERE user_id = $1",
            user_id,
        )
        if row is None:
            return None
        return PendingInput(
            int(row["user_id"]), row["purpose"], row["subject"], from_timestamp(row["created_at"])
        )

    async def cancel(self, user_id: int, purpose: str | None = None) -> bool:
        """Stop waiting (only for ``purpose``, if given); whether something was awaited."""
        if purpose is None:
            rows = await self._db.fetch(
                "DELETE FROM pending_inputs WHERE user_id = $1 RETURNING user_id", user_id
            )
        else:
            rows = await self._db.fetch(
                "DELETE FROM pending_inputs WHERE user_id = $1 AND purpose = $2 RETURNING user_id",
                user_id,
                purpose,
            )
        return bool(rows)

    async def purge_before(self, cutoff: datetime) -> int:
        """Forget what was awaited since before ``cutoff``; how many."""
        rows = await self._db.fetch(
            "DELETE FROM pending_inputs WHERE created_at < $1 RETURNING user_id",
            to_timestamp(cutoff),
        )
        return len(rows)
