"""Warnings facilitators give members. Stored: group, member, when given, when it expires.

A warning is active while ``now < expires_at``; from ``expires_at`` on it no longer counts.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from storage import locks
from storage.database import Connection, Database
from storage.models import to_timestamp

WARNING_ID_BYTES = 9
# Adding and removing a member's warnings are serialised per member and group, so that
# concurrent warnings each see the others in their count.
WARNING_LOCK_NAMESPACE = locks.namespace(b"warn")

_COUNT_ACTIVE = """
    SELECT COUNT(*) FROM warnings WHERE chat_id = $1 AND user_id = $2 AND expires_at > $3
"""


class WarningRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, chat_id: int, user_id: int, at: datetime, expires_at: datetime) -> int:
        """Warn a member; return their active warnings in the group ``at``, this one included.

        A warning that expires at or before ``at`` is stored but does not count.
        """
        async with self._db.transaction("add warning") as conn:
            await self._lock(conn, chat_id, user_id)
            await conn.execute(
                """
                INSERT INTO warnings (warning_id, chat_id, user_id, given_at, expires_at)
                VALUES ($1, $2, $3, $4, $5)
                """,
                secrets.token_urlsafe(WARNING_ID_BYTES),
                chat_id,
                user_id,
                to_timestamp(at),
                to_timestamp(expires_at),
            )
            count = await conn.fetchval(_COUNT_ACTIVE, chat_id, user_id, to_timestamp(at))
        return int(count)

    async def active(self, chat_id: int, user_id: int, now: datetime) -> int:
        """How many of the member's warnings in the group have not expired by ``now``."""
        count = await self._db.fetchval(_COUNT_ACTIVE, chat_id, user_id, to_timestamp(now))
        return int(count)

    async def remove_last(self, chat_id: int, user_id: int, now: datetime) -> bool:
        """Take back the member's newest active warning; return whether there was one."""
        async with self._db.transaction("remove last warning") as conn:
            await self._lock(conn, chat_id, user_id)
            row = await conn.fetchrow(
                """
                DELETE FROM warnings WHERE warning_id = (
                    SELECT warning_id FROM warnings
                    WHERE chat_id = $1 AND user_id = $2 AND expires_at > $3
                    ORDER BY given_at DESC, expires_at DESC, warning_id DESC
                    LIMIT 1
                )
                RETURNING warning_id
                """,
                chat_id,
                user_id,
                to_timestamp(now),
            )
        return row is not None

    async def clear(self, chat_id: int, user_id: int) -> int:
        """Delete all of the member's warnings in the group, expired ones too; return how many."""
        rows = await self._db.fetch(
            "DELETE FROM warnings WHERE chat_id = $1 AND user_id = $2 RETURNING warning_id",
            chat_id,
            user_id,
        )
        return len(rows)

    async def purge_expired(self, now: datetime) -> int:
        """Delete the warnings that have expired by ``now``; return how many."""
        rows = await self._db.fetch(
            "DELETE FROM warnings WHERE expires_at <= $1 RETURNING warning_id", to_timestamp(now)
        )
        return len(rows)

    async def _lock(self, conn: Connection, chat_id: int, user_id: int) -> None:
        key = locks.key_of(chat_id, user_id)
        await locks.lock(conn, self._db.engine, WARNING_LOCK_NAMESPACE, key)
