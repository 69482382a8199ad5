"""Groups: registered ones (peer groups, staff groups) and ones nobody has registered yet."""

from __future__ import annotations

import builtins
from datetime import datetime

from storage.database import Connection, Database
from storage.models import CHAT_KINDS, Chat, ChatKind, is_chat_kind, to_timestamp

_COLUMNS = "chat_id, kind, region, language, registered_at"


class ChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat_id: int) -> Chat | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM chats WHERE chat_id = $1", chat_id)
        return None if row is None else Chat._from_row(row)

    async def register(
        self, chat_id: int, kind: ChatKind, region: str, language: str | None, at: datetime
    ) -> Chat:
        """Register (or re-register) a group; it is no longer an unregistered one."""
        if not is_chat_kind(kind):
            raise ValueError(f"chat kind must be one of {', '.join(CHAT_KINDS)}, not {kind!r}")
        async with self._db.transaction("register chat") as conn:
            row = await conn.fetchrow(
                f"""
                INSERT INTO chats (chat_id, kind, region, language, registered_at)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (chat_id) DO UPDATE SET
                    kind = excluded.kind,
                    region = excluded.region,
                    language = excluded.language,
                    registered_at = excluded.registered_at
                RETURNING {_COLUMNS}
                """,
                chat_id,
                kind,
                region,
                language,
                to_timestamp(at),
            )
            await conn.execute("DELETE FROM unregistered_chats WHERE chat_id = $1", chat_id)
        assert row is not None  # an upsert with RETURNING always returns its row
        return Chat._from_row(row)

    async def unregister(self, chat_id: int) -> bool:
        row = await self._db.fetchrow(
            "DELETE FROM chats WHERE chat_id = $1 RETURNING chat_id", chat_id
        )
        return row is not None

    async def list(self, kind: ChatKind | None = None) -> builtins.list[Chat]:
        """Registered groups, optionally of one kind, ordered by region and id."""
        if kind is None:
            rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM chats ORDER BY region, chat_id")
        else:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM chats WHERE kind = $1 ORDER BY region, chat_id", kind
            )
        return [Chat._from_row(row) for row in rows]

    async def count_by_kind(self) -> dict[str, int]:
        """Registered groups per kind; every kind is present, with 0 if there are none."""
        rows = await self._db.fetch("SELECT kind, COUNT(*) AS n FROM chats GROUP BY kind")
        counts: dict[str, int] = dict.fromkeys(CHAT_KINDS, 0)
        counts.update({row["kind"]: int(row["n"]) for row in rows})
        return counts

    async def move(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup with a new id: move what we know to the new id.

        Idempotent. If the new id is already registered, its registration wins (it is the
        newer one) and only a missing language is taken from the old one. Returns whether
        anything was stored under the old id.
        """
        if old_chat_id == new_chat_id:
            return False
        async with self._db.transaction("move chat") as conn:
            moved_registration = await _move_registration(conn, old_chat_id, new_chat_id)
            moved_sighting = await _move_sighting(conn, old_chat_id, new_chat_id)
        return moved_registration or moved_sighting

    async def first_sighting(self, chat_id: int, at: datetime) -> bool:
        """Record an unregistered group; True only the first time (across all instances).

        A registered group is never recorded, so this returns False for it.
        """
        row = await self._db.fetchrow(
            """
            INSERT INTO unregistered_chats (chat_id, first_seen_at)
            SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT)
            WHERE NOT EXISTS (SELECT 1 FROM chats WHERE chat_id = $1)
            ON CONFLICT (chat_id) DO NOTHING
            RETURNING chat_id
            """,
            chat_id,
            to_timestamp(at),
        )
        return row is not None

    async def forget_unregistered(self, chat_id: int) -> None:
        await self._db.execute("DELETE FROM unregistered_chats WHERE chat_id = $1", chat_id)

    async def take_unregistered_seen_before(self, cutoff: datetime) -> builtins.list[int]:
        """Remove and return the unregistered groups first seen before ``cutoff``.

        Atomic: when several instances call this at once, each id goes to only one of them.
        """
        async with self._db.transaction("take unregistered chats") as conn:
            # A registered group must never be handed out as an unregistered one.
            await conn.execute(
                "DELETE FROM unregistered_chats WHERE chat_id IN (SELECT chat_id FROM chats)"
            )
            rows = await conn.fetch(
                "DELETE FROM unregistered_chats WHERE first_seen_at < $1 RETURNING chat_id",
                to_timestamp(cutoff),
            )
        return sorted(int(row["chat_id"]) for row in rows)


async def _move_registration(conn: Connection, old_chat_id: int, new_chat_id: int) -> bool:
    old = await conn.fetchrow(
        "DELETE FROM chats WHERE chat_id = $1 RETURNING kind, region, language, registered_at",
        old_chat_id,
    )
    if old is None:
        return False
    await conn.execute(
        """
        INSERT INTO chats (chat_id, kind, region, language, registered_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (chat_id) DO UPDATE SET language = COALESCE(chats.language, excluded.language)
        """,
        new_chat_id,
        old["kind"],
        old["region"],
        old["language"],
        old["registered_at"],
    )
    return True


async def _move_sighting(conn: Connection, old_chat_id: int, new_chat_id: int) -> bool:
    old = await conn.fetchrow(
        "DELETE FROM unregistered_chats WHERE chat_id = $1 RETURNING first_seen_at", old_chat_id
    )
    if await conn.fetchrow("SELECT 1 FROM chats WHERE chat_id = $1", new_chat_id) is not None:
        await conn.execute("DELETE FROM unregistered_chats WHERE chat_id = $1", new_chat_id)
        return old is not None
    if old is None:
        return False
    # Keep the earliest sighting, so the one-time note is not sent again.
    await conn.execute(
        """
        INSERT INTO unregistered_chats (chat_id, first_seen_at) VALUES ($1, $2)
        ON CONFLICT (chat_id) DO UPDATE SET first_seen_at = CASE
            WHEN excluded.first_seen_at < unregistered_chats.first_seen_at
            THEN excluded.first_seen_at
            ELSE unregistered_chats.first_seen_at
        END
        """,
        new_chat_id,
        old["first_seen_at"],
    )
    return True
