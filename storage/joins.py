"""Joining a gated group: consents to its rules, and joins waiting for one.

A consent stores only who agreed, in which group, to which rules version and when. A pending
join stores who, where, how (a join request or an arrival), since when, and the id of the
welcome message to delete later.
"""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.models import JOIN_VIAS, Consent, JoinVia, PendingJoin, is_join_via, to_timestamp

_CONSENT_COLUMNS = "user_id, chat_id, rules_version, agreed_at"
_PENDING_COLUMNS = "user_id, chat_id, via, since, welcome_message_id"


class JoinRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- consents ------------------------------------------------------------------------

    async def record_consent(
        self, user_id: int, chat_id: int, rules_version: int, at: datetime
    ) -> Consent:
        """The member agreed to a group's rules; replaces an earlier consent to that group."""
        row = await self._db.fetchrow(
            f"""
            INSERT INTO consents ({_CONSENT_COLUMNS}) VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id, chat_id) DO UPDATE SET
                rules_version = excluded.rules_version,
                agreed_at = excluded.agreed_at
            RETURNING {_CONSENT_COLUMNS}
            """,
            user_id,
            chat_id,
            rules_version,
            to_timestamp(at),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return Consent._from_row(row)

    async def consent(self, user_id: int, chat_id: int) -> Consent | None:
        row = await self._db.fetchrow(
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE user_id = $1 AND chat_id = $2",
            user_id,
            chat_id,
        )
        return None if row is None else Consent._from_row(row)

    async def consents_of(self, user_id: int) -> list[Consent]:
        """Every consent of a member, ordered by group id."""
        rows = await self._db.fetch(
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE user_id = $1 ORDER BY chat_id",
            user_id,
        )
        return [Consent._from_row(row) for row in rows]

    async def consenting_members(self, chat_id: int) -> list[int]:
        """The members who have agreed to a group's rules (any version), ordered by id."""
        rows = await self._db.fetch(
            "SELECT user_id FROM consents WHERE chat_id = $1 ORDER BY user_id", chat_id
        )
        return [int(row["user_id"]) for row in rows]

    async def withdraw_consent(self, user_id: int, chat_id: int) -> bool:
        """Forget a consent; return whether there was one."""
        row = await self._db.fetchrow(
            "DELETE FROM consents WHERE user_id = $1 AND chat_id = $2 RETURNING user_id",
            user_id,
            chat_id,
        )
        return row is not None

    # --- pending joins -------------------------------------------------------------------

    async def start_pending(
        self, user_id: int, chat_id: int, via: JoinVia, at: datetime
    ) -> PendingJoin:
        """Someone asked to join or arrived; a repeat starts afresh (no welcome message yet)."""
        if not is_join_via(via):
            raise ValueError(f"via must be one of {', '.join(JOIN_VIAS)}, not {via!r}")
        row = await self._db.fetchrow(
            f"""
            INSERT INTO pending_joins ({_PENDING_COLUMNS}) VALUES ($1, $2, $3, $4, NULL)
            ON CONFLICT (user_id, chat_id) DO UPDATE SET
                via = excluded.via,
                since = excluded.since,
                welcome_message_id = NULL
            RETURNING {_PENDING_COLUMNS}
            """,
            user_id,
            chat_id,
            via,
            to_timestamp(at),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return PendingJoin._from_row(row)

    async def set_welcome_message(self, user_id: int, chat_id: int, message_id: int) -> None:
        """Remember the welcome message of a pending join (nothing happens if none is pending)."""
        await self._db.execute(
            "UPDATE pending_joins SET welcome_message_id = $3 WHERE user_id = $1 AND chat_id = $2",
            user_id,
            chat_id,
            message_id,
        )

    async def pending(self, user_id: int, chat_id: int) -> PendingJoin | None:
        row = await self._db.fetchrow(
            f"SELECT {_PENDING_COLUMNS} FROM pending_joins WHERE user_id = $1 AND chat_id = $2",
            user_id,
            chat_id,
        )
        return None if row is None else PendingJoin._from_row(row)

    async def pending_of(self, user_id: int) -> list[PendingJoin]:
        """Every pending join of a person, ordered by group id."""
        rows = await self._db.fetch(
            f"SELECT {_PENDING_COLUMNS} FROM pending_joins WHERE user_id = $1 ORDER BY chat_id",
            user_id,
        )
        return [PendingJoin._from_row(row) for row in rows]

    async def take_pending(self, user_id: int, chat_id: int) -> PendingJoin | None:
        """Remove and return a pending join: when several handlers try at once, one gets it."""
        row = await self._db.fetchrow(
            f"""
            DELETE FROM pending_joins WHERE user_id = $1 AND chat_id = $2
            RETURNING {_PENDING_COLUMNS}
            """,
            user_id,
            chat_id,
        )
        return None if row is None else PendingJoin._from_row(row)

    async def take_requests_since_before(self, cutoff: datetime) -> list[PendingJoin]:
        """Remove and return the join requests (not arrivals) pending since before ``cutoff``.

        Atomic: when several instances call this at once, each request goes to only one.
        Ordered by time, then group id, then user id.
        """
        rows = await self._db.fetch(
            f"""
            DELETE FROM pending_joins WHERE via = 'request' AND since < $1
            RETURNING {_PENDING_COLUMNS}
            """,
            to_timestamp(cutoff),
        )
        taken = [PendingJoin._from_row(row) for row in rows]
        return sorted(taken, key=lambda p: (p.since, p.chat_id, p.user_id))
