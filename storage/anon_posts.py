"""Anonymous posts to a group: drafts, posts waiting for a facilitator, and decided ones.

``user_id`` is the only link to the writer. It is never shown to anyone; it is erased with
the text ``retention_days`` after the post was decided (see ``erase_old``), or when the
member erases their data (storage.privacy). Every change of status is an atomic claim, so
two facilitators (or instances) deciding at once cannot both win.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeGuard

from storage import locks
from storage.database import Database, Row
from storage.models import from_timestamp, to_timestamp

PostStatus = Literal["draft", "pending", "posted", "rejected", "cancelled"]
POST_STATUSES: tuple[PostStatus, ...] = ("draft", "pending", "posted", "rejected", "cancelled")
POST_ID_BYTES = 6  # 8 URL-safe characters: short enough for a button's callback data
# What counts against the daily limit: everything sent, whatever the facilitators decided.
_SENT = "status IN ('pending', 'posted', 'rejected')"
# Sending is serialised per member, so two drafts sent at once cannot both slip under it.
SEND_LOCK_NAMESPACE = locks.namespace(b"anon")
_COLUMNS = (
    "post_id, user_id, chat_id, thread_id, body, status, created_at, decided_at,"
    " staff_chat_id, staff_message_id, group_message_id"
)


def is_post_status(value: object) -> TypeGuard[PostStatus]:
    return value in POST_STATUSES


def _optional_int(value: int | None) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class AnonPost:
    """A post: its writer (None once erased), where it goes, its text and what became of it.

    ``thread_id`` None: the group's General topic (or the group is no forum). The staff
    message is the one with the facilitators' buttons; for a rejected post it is kept only
    while the writer has not been told yet (the facilitators may still give a reason).
    """

    post_id: str
    user_id: int | None
    chat_id: int | None
    thread_id: int | None
    body: str | None
    status: PostStatus
    created_at: datetime
    decided_at: datetime | None
    staff_chat_id: int | None
    staff_message_id: int | None
    group_message_id: int | None

    @property
    def awaits_reason(self) -> bool:
        return self.status == "rejected" and self.staff_message_id is not None

    @classmethod
    def _from_row(cls, row: Row) -> AnonPost:
        status = row["status"]
        if not is_post_status(status):
            raise ValueError(f"unknown anonymous post status in the database: {status!r}")
        decided = row["decided_at"]
        return cls(
            post_id=row["post_id"],
            user_id=_optional_int(row["user_id"]),
            chat_id=_optional_int(row["chat_id"]),
            thread_id=_optional_int(row["thread_id"]),
            body=row["body"],
            status=status,
            created_at=from_timestamp(row["created_at"]),
            decided_at=None if decided is None else from_timestamp(decided),
            staff_chat_id=_optional_int(row["staff_chat_id"]),
            staff_message_id=_optional_int(row["staff_message_id"]),
            group_message_id=_optional_int(row["group_message_id"]),
        )


@dataclass(frozen=True, slots=True)
class Submission:
    """What sending a draft did: the post now (None: no such draft any more), or the limit."""

    post: AnonPost | None
    over_limit: bool = False


class AnonPostRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_draft(self, user_id: int, body: str, at: datetime) -> AnonPost:
        """A new draft of the member; it has no group yet."""
        row = await self._db.fetchrow(
            f"""
            INSERT INTO anon_posts (post_id, user_id, body, status, created_at)
            VALUES ($1, $2, $3, 'draft', $4)
            RETURNING {_COLUMNS}
            """,
            secrets.token_urlsafe(POST_ID_BYTES),
            user_id,
            body,
            to_timestamp(at),
        )
        assert row is not None  # an INSERT with RETURNING returns its row
        return AnonPost._from_row(row)

    async def get(self, post_id: str) -> AnonPost | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM anon_posts WHERE post_id = $1", post_id
        )
        return None if row is None else AnonPost._from_row(row)

    async def sent_since(self, user_id: int, since: datetime) -> list[datetime]:
        """When the member sent the posts that count against the daily limit, oldest first."""
        rows = await self._db.fetch(
            f"""
            SELECT created_at FROM anon_posts
            WHERE user_id = $1 AND {_SENT} AND created_at > $2
            ORDER BY created_at
            """,
            user_id,
            to_timestamp(since),
        )
        return [from_timestamp(row["created_at"]) for row in rows]

    async def choose_place(
        self, post_id: str, user_id: int, chat_id: int, thread_id: int | None
    ) -> AnonPost | None:
        """Set where the member's draft goes; None if it is no draft of theirs (any more)."""
        row = await self._db.fetchrow(
            f"""
            UPDATE anon_posts SET chat_id = $3, thread_id = $4
            WHERE post_id = $1 AND user_id = $2 AND status = 'draft'
            RETURNING {_COLUMNS}
            """,
            post_id,
            user_id,
            chat_id,
            thread_id,
        )
        return None if row is None else AnonPost._from_row(row)

    async def submit(
        self,
        post_id: str,
        user_id: int,
        at: datetime,
        per_day: int,
        *,
        approval: bool,
    ) -> Submission:
        """Send the member's draft: it waits for approval, or (without) is claimed for posting.

        Refused (over_limit) if the member sent ``per_day`` posts in the 24 hours before
        ``at``. Only a draft with a group can be sent, and only once.
        """
        stamp = to_timestamp(at)
        async with self._db.transaction("submit anonymous post") as conn:
            await locks.lock(conn, self._db.engine, SEND_LOCK_NAMESPACE, locks.key_of(user_id))
            recent = await conn.fetchval(
                f"""
                SELECT COUNT(*) FROM anon_posts
                WHERE user_id = $1 AND {_SENT} AND created_at > $2
                """,
                user_id,
                stamp - int(timedelta(days=1).total_seconds()),
            )
            if int(recent) >= per_day:
                return Submission(None, over_limit=True)
            # The limit counts from sending, not from when the draft was begun.
            row = await conn.fetchrow(
                f"""
                UPDATE anon_posts SET
                    status = CASE WHEN CAST($4 AS BOOLEAN) THEN 'pending' ELSE 'posted' END,
                    created_at = $3,
                    decided_at = CASE
                        WHEN CAST($4 AS BOOLEAN) THEN NULL ELSE CAST($3 AS BIGINT)
                    END
                WHERE post_id = $1 AND user_id = $2 AND status = 'draft'
                    AND chat_id IS NOT NULL
                RETURNING {_COLUMNS}
                """,
                post_id,
                user_id,
                stamp,
                approval,
            )
        return Submission(None if row is None else AnonPost._from_row(row))

    async def back_to_draft(self, post_id: str) -> bool:
        """Sending failed (no staff chat reached, the group refused the post): undo it."""
        row = await self._db.fetchrow(
            """
            UPDATE anon_posts SET status = 'draft', decided_at = NULL,
                staff_chat_id = NULL, staff_message_id = NULL
            WHERE post_id = $1 AND status IN ('pending', 'posted') AND group_message_id IS NULL
            RETURNING post_id
            """,
            post_id,
        )
        return row is not None

    async def set_staff_message(self, post_id: str, staff_chat_id: int, message_id: int) -> bool:
        """Remember the facilitators' message with the buttons; whether the post waits still."""
        row = await self._db.fetchrow(
            """
            UPDATE anon_posts SET staff_chat_id = $2, staff_message_id = $3
            WHERE post_id = $1 AND status = 'pending'
            RETURNING post_id
            """,
            post_id,
            staff_chat_id,
            message_id,
        )
        return row is not None

    async def approve(self, post_id: str, at: datetime) -> AnonPost | None:
        """Claim a waiting post for posting; None if it was decided (or withdrawn) already."""
        return await self._decide(post_id, "posted", at)

    async def reject(self, post_id: str, at: datetime) -> AnonPost | None:
        """Claim a waiting post as rejected; the writer is told later (see take_rejection)."""
        return await self._decide(post_id, "rejected", at)

    async def _decide(self, post_id: str, status: PostStatus, at: datetime) -> AnonPost | None:
        row = await self._db.fetchrow(
            f"""
            UPDATE anon_posts SET status = $2, decided_at = $3
            WHERE post_id = $1 AND status = 'pending'
            RETURNING {_COLUMNS}
            """,
            post_id,
            status,
            to_timestamp(at),
        )
        return None if row is None else AnonPost._from_row(row)

    async def undo_approval(self, post_id: str) -> bool:
        """Posting an approved post failed: it waits for the facilitators again."""
        row = await self._db.fetchrow(
            """
            UPDATE anon_posts SET status = 'pending', decided_at = NULL
            WHERE post_id = $1 AND status = 'posted' AND group_message_id IS NULL
                AND staff_message_id IS NOT NULL
            RETURNING post_id
            """,
            post_id,
        )
        return row is not None

    async def set_published(self, post_id: str, group_message_id: int) -> None:
        await self._db.execute(
            "UPDATE anon_posts SET group_message_id = $2 WHERE post_id = $1",
            post_id,
            group_message_id,
        )

    async def cancel(self, post_id: str, user_id: int, at: datetime) -> AnonPost | None:
        """The member takes back a draft or a waiting post; None if it was decided already."""
        row = await self._db.fetchrow(
            f"""
            UPDATE anon_posts SET status = 'cancelled', decided_at = $3
            WHERE post_id = $1 AND user_id = $2 AND status IN ('draft', 'pending')
            RETURNING {_COLUMNS}
            """,
            post_id,
            user_id,
            to_timestamp(at),
        )
        return None if row is None else AnonPost._from_row(row)

    async def awaiting_reason(self, staff_chat_id: int, staff_message_id: int) -> AnonPost | None:
        """The rejected post whose staff message this is, if its writer was not told yet."""
        row = await self._db.fetchrow(
            f"""
            SELECT {_COLUMNS} FROM anon_posts
            WHERE staff_chat_id = $1 AND staff_message_id = $2 AND status = 'rejected'
            """,
            staff_chat_id,
            staff_message_id,
        )
        return None if row is None else AnonPost._from_row(row)

    async def take_rejection(self, post_id: str) -> AnonPost | None:
        """Claim telling the writer about a rejection; None if someone did already.

        The post keeps no staff message afterwards, so a later reason finds nothing.
        """
        row = await self._db.fetchrow(
            f"""
            UPDATE anon_posts SET staff_message_id = NULL
            WHERE post_id = $1 AND status = 'rejected' AND staff_message_id IS NOT NULL
            RETURNING {_COLUMNS}
            """,
            post_id,
        )
        return None if row is None else AnonPost._from_row(row)

    async def take_unexplained(self, rejected_before: datetime) -> list[AnonPost]:
        """Claim the rejections still waiting for a reason since before ``rejected_before``.

        Returned as they were (with their staff message), each to one caller only.
        """
        async with self._db.transaction("take unexplained rejections") as conn:
            rows = await conn.fetch(
                f"""
                SELECT {_COLUMNS} FROM anon_posts
                WHERE status = 'rejected' AND staff_message_id IS NOT NULL AND decided_at < $1
                ORDER BY decided_at, post_id
                """,
                to_timestamp(rejected_before),
            )
            taken = []
            for row in rows:
                claimed = await conn.fetchrow(
                    """
                    UPDATE anon_posts SET staff_message_id = NULL
                    WHERE post_id = $1 AND staff_message_id IS NOT NULL
                    RETURNING post_id
                    """,
                    row["post_id"],
                )
                if claimed is not None:
                    taken.append(AnonPost._from_row(row))
        return taken

    async def erase_old(self, decided_before: datetime, drafts_before: datetime) -> int:
        """Forget writer and text of posts decided before ``decided_before``; delete the
        drafts begun before ``drafts_before``. How many posts changed."""
        async with self._db.transaction("erase old anonymous posts") as conn:
            erased = await conn.fetch(
                """
                UPDATE anon_posts SET user_id = NULL, body = NULL
                WHERE status IN ('posted', 'rejected', 'cancelled') AND decided_at < $1
                    AND (user_id IS NOT NULL OR body IS NOT NULL)
                RETURNING post_id
                """,
                to_timestamp(decided_before),
            )
            dropped = await conn.fetch(
                "DELETE FROM anon_posts WHERE status = 'draft' AND created_at < $1 "
                "RETURNING post_id",
                to_timestamp(drafts_before),
            )
        return len(erased) + len(dropped)
