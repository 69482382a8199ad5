"""Facilitators: a cached copy of each group's Telegram administrators. Stored: ids and when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage import locks
from storage.database import Database
from storage.models import from_timestamp, to_timestamp

REPLACE_LOCK_NAMESPACE = locks.namespace(b"faci")


class FacilitatorRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace(self, chat_id: int, user_ids: Iterable[int], at: datetime) -> None:
        """The cached facilitators of a group become exactly ``user_ids``, refreshed ``at``.

        One transaction; concurrent replacements of one group do not mix their lists.
        """
        ids = sorted(set(user_ids))
        async with self._db.transaction("replace facilitators") as conn:
            await locks.lock(conn, self._db.engine, REPLACE_LOCK_NAMESPACE, locks.key_of(chat_id))
            await conn.execute("DELETE FROM facilitators WHERE chat_id = $1", chat_id)
            for user_id in ids:
                await conn.execute(
                    """
                    INSERT INTO facilitators (chat_id, user_id, refreshed_at)
                    VALUES ($1, $2, $3)
                    """,
                    chat_id,
                    user_id,
                    to_timestamp(at),
                )

    async def add(self, chat_id: int, user_id: int, at: datetime) -> None:
        """Someone became a facilitator (or was confirmed as one) ``at``."""
        await self._db.execute(
            """
            INSERT INTO facilitators (chat_id, user_id, refreshed_at) VALUES ($1, $2, $3)
            ON CONFLICT (chat_id, user_id) DO UPDATE SET refreshed_at = excluded.refreshed_at
            """,
            chat_id,
            user_id,
            to_timestamp(at),
        )

    async def remove(self, chat_id: int, user_id: int) -> bool:
        """Someone is no longer a facilitator; return whether they were cached as one."""
        row = await self._db.fetchrow(
            "DELETE FROM facilitators WHERE chat_id = $1 AND user_id = $2 RETURNING user_id",
            chat_id,
            user_id,
        )
        return row is not None

    async def cached(self, chat_id: int) -> tuple[frozenset[int], datetime | None]:
        """The cached facilitators and the oldest refresh time; (∅, None) if none are cached."""
        rows = await self._db.fetch(
            "SELECT user_id, refreshed_at FROM facilitators WHERE chat_id = $1", chat_id
        )
        if not rows:
            return frozenset(), None
        oldest = min(int(row["refreshed_at"]) for row in rows)
        return frozenset(int(row["user_id"]) for row in rows), from_timestamp(oldest)

    async def is_cached_facilitator(self, chat_id: int, user_id: int) -> bool:
        row = await self._db.fetchrow(
            "SELECT 1 AS found FROM facilitators WHERE chat_id = $1 AND user_id = $2",
            chat_id,
            user_id,
        )
        return row is not None
