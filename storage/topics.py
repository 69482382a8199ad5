"""Forum topics of peer groups, as seen in their service messages (Telegram cannot list them).

Only the topic's id, title and whether it is closed are kept: nothing about who made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, Row

_COLUMNS = "chat_id, thread_id, title, closed"


@dataclass(frozen=True, slots=True)
class GroupTopic:
    chat_id: int
    thread_id: int
    title: str
    closed: bool

    @classmethod
    def _from_row(cls, row: Row) -> GroupTopic:
        return cls(
            chat_id=int(row["chat_id"]),
            thread_id=int(row["thread_id"]),
            title=row["title"],
            closed=bool(row["closed"]),
        )


class GroupTopicRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, chat_id: int, thread_id: int, *, title: str | None = None, closed: bool | None = None
    ) -> GroupTopic | None:
        """What a service message told about a topic: its title, whether it is closed.

        With a title the topic is stored (or renamed); a new one is open unless ``closed``
        says otherwise. Without a title only a known topic changes: None if it is unknown.
        """
        if title is None:
            row = await self._db.fetchrow(
                f"""
                UPDATE group_topics SET closed = COALESCE($3, closed)
                WHERE chat_id = $1 AND thread_id = $2
                RETURNING {_COLUMNS}
                """,
                chat_id,
                thread_id,
                closed,
            )
        else:
            row = await self._db.fetchrow(
                f"""
                INSERT INTO group_topics (chat_id, thread_id, title, closed)
                VALUES ($1, $2, $3, COALESCE($4, FALSE))
                ON CONFLICT (chat_id, thread_id) DO UPDATE SET
                    title = excluded.title,
                    closed = COALESCE($4, group_topics.closed)
                RETURNING {_COLUMNS}
                """,
                chat_id,
                thread_id,
                title,
                closed,
            )
        return None if row is None else GroupTopic._from_row(row)

    async def get(self, chat_id: int, thread_id: int) -> GroupTopic | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM group_topics WHERE chat_id = $1 AND thread_id = $2",
            chat_id,
            thread_id,
        )
        return None if row is None else GroupTopic._from_row(row)

    async def open_topics(self, chat_id: int) -> list[GroupTopic]:
        """The group's known topics that are not closed, oldest first."""
        rows = await self._db.fetch(
            f"""
            SELECT {_COLUMNS} FROM group_topics WHERE chat_id = $1 AND NOT closed
            ORDER BY thread_id
            """,
            chat_id,
        )
        return [GroupTopic._from_row(row) for row in rows]

    async def forget(self, chat_id: int, thread_id: int) -> bool:
        """A topic Telegram says is gone; whether it was known."""
        row = await self._db.fetchrow(
            "DELETE FROM group_topics WHERE chat_id = $1 AND thread_id = $2 RETURNING chat_id",
            chat_id,
            thread_id,
        )
        return row is not None
