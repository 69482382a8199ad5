"""Flood protection: how many messages a member sent in a group in the current window.

Stored per member and group: when the window started and the messages in it. Nothing else.
"""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.models import to_timestamp


class FloodRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def count_message(
        self, chat_id: int, user_id: int, now: datetime, window_seconds: int
    ) -> int:
        """Count a message; return the member's messages in the current window, this one too.

        A window lasts ``window_seconds``: a message that many seconds or more after the
        window started starts a new window at ``now``. Atomic, also when concurrent.
        """
        if window_seconds < 1:
            raise ValueError(f"window_seconds must be at least 1, not {window_seconds}")
        messages = await self._db.fetchval(
            """
            INSERT INTO flood_counts (chat_id, user_id, window_start, messages)
            VALUES ($1, $2, $3, 1)
            ON CONFLICT (chat_id, user_id) DO UPDATE SET
                messages = CASE
                    WHEN flood_counts.window_start <= excluded.window_start - $4 THEN 1
                    ELSE flood_counts.messages + 1
                END,
                window_start = CASE
                    WHEN flood_counts.window_start <= excluded.window_start - $4
                    THEN excluded.window_start
                    ELSE flood_counts.window_start
                END
            RETURNING messages
            """,
            chat_id,
            user_id,
            to_timestamp(now),
            window_seconds,
        )
        return int(messages)

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete the counts whose window started before ``cutoff``; return how many."""
        rows = await self._db.fetch(
            "DELETE FROM flood_counts WHERE window_start < $1 RETURNING chat_id",
            to_timestamp(cutoff),
        )
        return len(rows)
