"""Groups: registered ones (peer groups, staff groups) and ones nobody has registered yet."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from storage.database import Connection, Database
from storage.models import (
    CHAT_KINDS,
    UNSET,
    Chat,
    ChatKind,
    Unset,
    crisis_words_to_text,
    is_chat_kind,
    offsets_to_text,
    to_timestamp,
)

_COLUMNS = (
    "chat_id, kind, region, language, registered_at, join_gate, hide_service_messages,"
    " public_warn_notice, flood_messages, flood_seconds, reminder_offsets, anon_approval,"
    " crisis_words"
)

# What else is kept under a group's id, and follows the group to its new id. A row whose key
# is already taken under the new id stays behind, and is then deleted: the new id's row wins.
# (rules_texts follow their rules_versions row: ON UPDATE CASCADE, ON DELETE CASCADE;
# report_reporters follow their reports row by report_id.)
_MOVE_ROWS = (
    """
    UPDATE rules_versions SET chat_id = $2
    WHERE chat_id = $1 AND version NOT IN (SELECT version FROM rules_versions WHERE chat_id = $2)
    RETURNING chat_id
    """,
    "UPDATE rules_drafts SET chat_id = $2 WHERE chat_id = $1 RETURNING chat_id",
    """
    UPDATE consents SET chat_id = $2
    WHERE chat_id = $1 AND user_id NOT IN (SELECT user_id FROM consents WHERE chat_id = $2)
    RETURNING chat_id
    """,
    """
    UPDATE pending_joins SET chat_id = $2
    WHERE chat_id = $1 AND user_id NOT IN (SELECT user_id FROM pending_joins WHERE chat_id = $2)
    RETURNING chat_id
    """,
    """
    UPDATE missing_rights SET chat_id = $2
    WHERE chat_id = $1
        AND right_name NOT IN (SELECT right_name FROM missing_rights WHERE chat_id = $2)
    RETURNING chat_id
    """,
    # A cached list of facilitators is never merged: one under the new id is newer, and
    # someone on the old list only must not become a facilitator of the new group.
    """
    UPDATE facilitators SET chat_id = $2
    WHERE chat_id = $1 AND NOT EXISTS (SELECT 1 FROM facilitators WHERE chat_id = $2)
    RETURNING chat_id
    """,
    "UPDATE warnings SET chat_id = $2 WHERE chat_id = $1 RETURNING chat_id",
    "UPDATE audit_log SET chat_id = $2 WHERE chat_id = $1 RETURNING chat_id",
    """
    UPDATE reports SET chat_id = $2
    WHERE chat_id = $1 AND message_id NOT IN (SELECT message_id FROM reports WHERE chat_id = $2)
    RETURNING chat_id
    """,
    """
    UPDATE flood_counts SET chat_id = $2
    WHERE chat_id = $1 AND user_id NOT IN (SELECT user_id FROM flood_counts WHERE chat_id = $2)
    RETURNING chat_id
    """,
    # Meetups take their cancellations, sign-ups and reminders along (by meetup_id).
    "UPDATE meetups SET chat_id = $2 WHERE chat_id = $1 RETURNING chat_id",
    "UPDATE meetup_drafts SET chat_id = $2 WHERE chat_id = $1 RETURNING chat_id",
    """
    UPDATE reminder_subscriptions SET chat_id = $2
    WHERE chat_id = $1
        AND user_id NOT IN (SELECT user_id FROM reminder_subscriptions WHERE chat_id = $2)
    RETURNING chat_id
    """,
    "UPDATE anon_posts SET chat_id = $2 WHERE chat_id = $1 RETURNING post_id",
    """
    UPDATE group_topics SET chat_id = $2
    WHERE chat_id = $1 AND thread_id NOT IN (SELECT thread_id FROM group_topics WHERE chat_id = $2)
    RETURNING chat_id
    """,
    # New posts about questions go to the staff group's new id (see _FORGET_OLD_MESSAGES).
    "UPDATE questions SET staff_chat_id = $2 WHERE staff_chat_id = $1 RETURNING question_id",
    """
    UPDATE anon_posts SET staff_chat_id = $2, staff_message_id = NULL
    WHERE staff_chat_id = $1
    RETURNING post_id
    """,
)
# Run first: a staff group's old message ids mean nothing under its new id, so replies to
# them cannot be routed any more (/answer still works).
_FORGET_OLD_MESSAGES = (
    """
    UPDATE question_messages SET staff_message_id = NULL
    WHERE question_id IN (SELECT question_id FROM questions WHERE staff_chat_id = $1)
    RETURNING question_id
    """,
)
_DROP_LEFT_BEHIND = (
    "DELETE FROM rules_versions WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM consents WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM pending_joins WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM missing_rights WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM facilitators WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM reports WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM flood_counts WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM reminder_subscriptions WHERE chat_id = $1 RETURNING chat_id",
    "DELETE FROM group_topics WHERE chat_id = $1 RETURNING chat_id",
    # A staff group's old messages cannot be edited under its new id, where the same message
    # id may be another message: forget them, so that the facilitators are told afresh.
    """
    UPDATE reports SET staff_chat_id = NULL, staff_message_id = NULL
    WHERE staff_chat_id = $1
    RETURNING report_id
    """,
)


class ChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat_id: int) -> Chat | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM chats WHERE chat_id = $1", chat_id)
        return None if row is None else Chat._from_row(row)

    async def register(
        self, chat_id: int, kind: ChatKind, region: str, language: str | None, at: datetime
    ) -> Chat:
        """Register (or re-register) a group; it is no longer an unregistered one.

        A new registration has the default options; a re-registration keeps the options.
        """
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
            # A re-registered staff chat may have become a forum: find its topics again.
            await conn.execute("DELETE FROM chat_topics WHERE chat_id = $1", chat_id)
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

        Idempotent. The registration (with its options), rules, rules drafts, consents,
        pending joins, missing rights, cached facilitators, warnings, audit log entries,
        reports, flood counts, meetups (with their cancellations, sign-ups and reminders),
        meetup drafts and reminder subscriptions all move. If the new id is already
        registered, its registration and options win (it is the newer one) and only a
        missing language is taken from the old one; likewise a rules version, consent,
        pending join, missing right, report (of the same message id), flood count or
        reminder subscription already stored under the new id wins over the old id's, and a
        cached facilitator list under the new id replaces the old id's list as a whole.
        Reports whose facilitators were told in the old id's group lose that staff message
        (it cannot be edited under the new id). Nothing is left under the old id. Returns
        whether anything was stored under it.
        """
        if old_chat_id == new_chat_id:
            return False
        async with self._db.transaction("move chat") as conn:
            moved_registration = await _move_registration(conn, old_chat_id, new_chat_id)
            moved_sighting = await _move_sighting(conn, old_chat_id, new_chat_id)
            moved_rows = await _move_rows(conn, old_chat_id, new_chat_id)
        return moved_registration or moved_sighting or moved_rows

    async def set_options(
        self,
        chat_id: int,
        *,
        join_gate: bool | None = None,
        hide_service_messages: bool | None = None,
        public_warn_notice: bool | None = None,
        flood_messages: int | Unset | None = UNSET,
        flood_seconds: int | None = None,
        reminder_offsets: Sequence[int] | None = None,
        anon_approval: bool | None = None,
        crisis_words: Sequence[str] | None = None,
    ) -> Chat | None:
        """Change the given options; None if the group is not registered.

        An option not given (None) stays as it is, except ``flood_messages``: there None
        switches flood protection off, and leaving it out leaves it as it is.
        ``reminder_offsets`` are minutes before a meetup (0 or more; stored unique, largest
        first); an empty sequence means no group reminders.
        """
        if isinstance(flood_messages, int) and flood_messages < 1:
            raise ValueError(f"flood_messages must be at least 1 (or None), not {flood_messages}")
        if flood_seconds is not None and flood_seconds < 1:
            raise ValueError(f"flood_seconds must be at least 1, not {flood_seconds}")
        offsets = None if reminder_offsets is None else offsets_to_text(reminder_offsets)
        change_flood = not isinstance(flood_messages, Unset)
        row = await self._db.fetchrow(
            f"""
            UPDATE chats SET
                join_gate = COALESCE($2, join_gate),
                hide_service_messages = COALESCE($3, hide_service_messages),
                public_warn_notice = COALESCE($4, public_warn_notice),
                flood_messages = CASE WHEN $5 THEN $6 ELSE flood_messages END,
                flood_seconds = COALESCE($7, flood_seconds),
                reminder_offsets = COALESCE($8, reminder_offsets),
                anon_approval = COALESCE($9, anon_approval),
                crisis_words = COALESCE($10, crisis_words)
            WHERE chat_id = $1
            RETURNING {_COLUMNS}
            """,
            chat_id,
            join_gate,
            hide_service_messages,
            public_warn_notice,
            change_flood,
            None if isinstance(flood_messages, Unset) else flood_messages,
            flood_seconds,
            offsets,
            anon_approval,
            None if crisis_words is None else crisis_words_to_text(crisis_words),
        )
        return None if row is None else Chat._from_row(row)

    async def set_flood(self, chat_id: int, messages: int | None, seconds: int) -> Chat | None:
        """At most ``messages`` per ``seconds`` (None: flood protection off); None if unknown."""
        return await self.set_options(chat_id, flood_messages=messages, flood_seconds=seconds)

    async def set_reminder_offsets(self, chat_id: int, minutes: Sequence[int]) -> Chat | None:
        """Group reminders ``minutes`` before each meetup (empty: none); None if unknown."""
        return await self.set_options(chat_id, reminder_offsets=minutes)

    async def first_missing_right(self, chat_id: int, name: str, at: datetime) -> bool:
        """Note that the bot lacks right ``name`` in a group; True only the first time.

        Atomic across instances, so facilitators are told once, until clear_missing_right.
        """
        row = await self._db.fetchrow(
            """
            INSERT INTO missing_rights (chat_id, right_name, noted_at) VALUES ($1, $2, $3)
            ON CONFLICT (chat_id, right_name) DO NOTHING
            RETURNING chat_id
            """,
            chat_id,
            name,
            to_timestamp(at),
        )
        return row is not None

    async def clear_missing_right(self, chat_id: int, name: str) -> None:
        """The bot has the right again: a later lack of it is news again."""
        await self._db.execute(
            "DELETE FROM missing_rights WHERE chat_id = $1 AND right_name = $2", chat_id, name
        )

    async def forum_topic(self, chat_id: int, kind: str) -> int | None:
        """The forum topic for this kind of post (0: the chat is no forum); None: unknown."""
        value = await self._db.fetchval(
            "SELECT thread_id FROM chat_topics WHERE chat_id = $1 AND kind = $2", chat_id, kind
        )
        return None if value is None else int(value)

    async def set_forum_topic(self, chat_id: int, kind: str, thread_id: int) -> int:
        """Remember a topic; if another instance was first, its topic wins and is returned."""
        await self._db.execute(
            """
            INSERT INTO chat_topics (chat_id, kind, thread_id) VALUES ($1, $2, $3)
            ON CONFLICT (chat_id, kind) DO NOTHING
            """,
            chat_id,
            kind,
            thread_id,
        )
        stored = await self.forum_topic(chat_id, kind)
        return thread_id if stored is None else stored

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
        f"DELETE FROM chats WHERE chat_id = $1 RETURNING {_COLUMNS}", old_chat_id
    )
    if old is None:
        return False
    await conn.execute(
        f"""
        INSERT INTO chats ({_COLUMNS})
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (chat_id) DO UPDATE SET language = COALESCE(chats.language, excluded.language)
        """,
        new_chat_id,
        old["kind"],
        old["region"],
        old["language"],
        old["registered_at"],
        old["join_gate"],
        old["hide_service_messages"],
        old["public_warn_notice"],
        old["flood_messages"],
        old["flood_seconds"],
        old["reminder_offsets"],
        old["anon_approval"],
        old["crisis_words"],
    )
    return True


async def _move_rows(conn: Connection, old_chat_id: int, new_chat_id: int) -> bool:
    """Move the rows kept under a group's id (see _MOVE_ROWS); whether there were any."""
    found = False
    for sql in _FORGET_OLD_MESSAGES:
        found = bool(await conn.fetch(sql, old_chat_id)) or found
    for sql in _MOVE_ROWS:
        found = bool(await conn.fetch(sql, old_chat_id, new_chat_id)) or found
    for sql in _DROP_LEFT_BEHIND:
        found = bool(await conn.fetch(sql, old_chat_id)) or found
    return found


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
