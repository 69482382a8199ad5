"""What /healthz and /metrics ask the database: is it there, and a few totals (no ids)."""

from __future__ import annotations

from storage.database import Database


class HealthRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        return int(await self._db.fetchval("SELECT 1")) == 1

    async def open_questions(self) -> int:
        """Anonymous questions waiting for an answer or in conversation."""
        return int(await self._db.fetchval("SELECT COUNT(*) FROM questions WHERE status = 'open'"))
