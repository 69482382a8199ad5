"""Members: people who talk to the bot privately. Stored: id, language, first start, reachable."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.models import Member, to_timestamp

_COLUMNS = "user_id, language, started_at, reachable, app_language, last_seen_at"


class MemberRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> Member | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM members WHERE user_id = $1", user_id
        )
        return None if row is None else Member._from_row(row)

    async def set_language(self, user_id: int, language: str | None) -> None:
        """Remember the member's language (None forgets it); creates the member if needed."""
        await self._db.execute(
            """
            INSERT INTO members (user_id, language) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET language = excluded.language
            """,
            user_id,
            language,
        )

    async def mark_started(self, user_id: int, at: datetime) -> Member:
        """The member started the bot: they are reachable; the first start time is kept."""
        row = await self._db.fetchrow(
            f"""
            INSERT INTO members (user_id, started_at, reachable) VALUES ($1, $2, TRUE)
            ON CONFLICT (user_id) DO UPDATE SET
                started_at = COALESCE(members.started_at, excluded.started_at),
                reachable = TRUE
            RETURNING {_COLUMNS}
            """,
            user_id,
            to_timestamp(at),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return Member._from_row(row)

    async def set_app_language(self, user_id: int, language: str | None) -> None:
        """Remember the app language Telegram reports (only one we speak, or None)."""
        await self._db.execute(
            """
            INSERT INTO members (user_id, app_language) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET app_language = excluded.app_language
            """,
            user_id,
            language,
        )

    async def set_reachable(self, user_id: int, reachable: bool) -> None:
        """Whether the bot may message the member privately; creates the member if needed."""
        await self._db.execute(
            """
            INSERT INTO members (user_id, reachable) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET reachable = excluded.reachable
            """,
            user_id,
            reachable,
        )

    async def delete(self, user_id: int) -> bool:
        """Erase the member; return whether there was anything to erase."""
        row = await self._db.fetchrow(
            "DELETE FROM members WHERE user_id = $1 RETURNING user_id", user_id
        )
        return row is not None

    async def touch(self, user_id: int, at: datetime) -> None:
        """The member used the bot at ``at``; someone never stored stays unstored."""
        await self._db.execute(
            "UPDATE members SET last_seen_at = $2 WHERE user_id = $1", user_id, to_timestamp(at)
        )

    async def gone_quiet(self, cutoff: datetime, limit: int = 500) -> list[int]:
        """Members who have not used the bot since before ``cutoff`` and are in no group.

        "In no group": no agreement to a group's rules (withdrawn when they leave), no
        pending join, no group where they are a facilitator, and no open question.
        """
        rows = await self._db.fetch(
            """
            SELECT m.user_id FROM members AS m
            WHERE COALESCE(m.last_seen_at, m.started_at, 0) < $1
                AND NOT EXISTS (SELECT 1 FROM consents AS c WHERE c.user_id = m.user_id)
                AND NOT EXISTS (SELECT 1 FROM pending_joins AS p WHERE p.user_id = m.user_id)
                AND NOT EXISTS (SELECT 1 FROM facilitators AS f WHERE f.user_id = m.user_id)
                AND NOT EXISTS (
                    SELECT 1 FROM questions AS q
                    WHERE q.asker_id = m.user_id AND q.status = 'open'
                )
            ORDER BY m.user_id
            LIMIT $2
            """,
            to_timestamp(cutoff),
            limit,
        )
        return [int(row["user_id"]) for row in rows]
