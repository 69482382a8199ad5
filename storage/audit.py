"""The audit log: what facilitators did in a group, with people only as member refs.

No message text is kept. ``reason`` is the facilitator's own short reason, if they gave one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from storage.database import Database
from storage.models import AuditEntry, to_timestamp

ENTRY_ID_BYTES = 9  # 12 URL-safe characters: fits in a button's callback data
_COLUMNS = (
    "entry_id, chat_id, at, actor_ref, action, target_ref, duration_seconds, reason, undone_at"
)


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        chat_id: int,
        at: datetime,
        actor_ref: str,
        action: str,
        *,
        target_ref: str | None = None,
        duration_seconds: int | None = None,
        reason: str | None = None,
    ) -> AuditEntry:
        row = await self._db.fetchrow(
            f"""
            INSERT INTO audit_log ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
            RETURNING {_COLUMNS}
            """,
            secrets.token_urlsafe(ENTRY_ID_BYTES),
            chat_id,
            to_timestamp(at),
            actor_ref,
            action,
            target_ref,
            duration_seconds,
            reason,
        )
        assert row is not None  # an INSERT with RETURNING always returns its row
        return AuditEntry._from_row(row)

    async def recent(self, chat_ids: Sequence[int], limit: int) -> list[AuditEntry]:
        """The newest ``limit`` entries of these groups, newest first.

        Entries of the same second are ordered by entry id (arbitrary, but stable).
        """
        unique = sorted(set(chat_ids))
        if not unique or limit <= 0:
            return []
        # One placeholder per group; the values themselves are bound as arguments.
        placeholders = ", ".join(f"${n}" for n in range(2, len(unique) + 2))
        rows = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM audit_log
            WHERE chat_id IN ({placeholders})
            ORDER BY at DESC, entry_id DESC
            LIMIT $1
            """,
            limit,
            *unique,
        )
        return [AuditEntry._from_row(row) for row in rows]

    async def get(self, entry_id: str) -> AuditEntry | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM audit_log WHERE entry_id = $1", entry_id
        )
        return None if row is None else AuditEntry._from_row(row)

    async def mark_undone(self, entry_id: str, at: datetime) -> bool:
        """Note that an action was undone; True only the first time, even when concurrent."""
        row = await self._db.fetchrow(
            """
            UPDATE audit_log SET undone_at = $2
            WHERE entry_id = $1 AND undone_at IS NULL
            RETURNING entry_id
            """,
            entry_id,
            to_timestamp(at),
        )
        return row is not None

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete the entries made before ``cutoff``; how many."""
        rows = await self._db.fetch(
            "DELETE FROM audit_log WHERE at < $1 RETURNING entry_id", to_timestamp(cutoff)
        )
        return len(rows)

    async def blank_reasons_before(self, cutoff: datetime) -> int:
        """Forget the reasons facilitators wrote in entries made before ``cutoff``; how many."""
        rows = await self._db.fetch(
            """
            UPDATE audit_log SET reason = NULL
            WHERE at < $1 AND reason IS NOT NULL
            RETURNING entry_id
            """,
            to_timestamp(cutoff),
        )
        return len(rows)
