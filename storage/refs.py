"""Member refs: opaque ids that stand for a person in the audit log and report bookkeeping.

Forgetting a person's ref unlinks those entries from them: the entries stay, nobody can tell
whose they were. A later ref_for makes a new, unrelated ref.
"""

from __future__ import annotations

import secrets

from storage.database import Database

REF_BYTES = 9  # 12 URL-safe characters
_MAX_ATTEMPTS = 5


class RefRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ref_for(self, user_id: int) -> str:
        """The person's ref, made on first use; concurrent calls all get the same one."""
        for _ in range(_MAX_ATTEMPTS):
            # ON CONFLICT without a target: an existing ref for the person, or (all but
            # impossible) a new ref that is already taken, both leave the table as it is.
            await self._db.execute(
                "INSERT INTO member_refs (ref, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                secrets.token_urlsafe(REF_BYTES),
                user_id,
            )
            ref = await self._db.fetchval(
                "SELECT ref FROM member_refs WHERE user_id = $1", user_id
            )
            if ref is not None:  # None: forgotten in between, or the new ref was taken
                return str(ref)
        raise RuntimeError(f"no member ref could be stored in {_MAX_ATTEMPTS} attempts")

    async def user_for(self, ref: str) -> int | None:
        """Whose ref this is; None if it is unknown or was forgotten."""
        user_id = await self._db.fetchval("SELECT user_id FROM member_refs WHERE ref = $1", ref)
        return None if user_id is None else int(user_id)

    async def forget(self, user_id: int) -> bool:
        """Unlink the person from every entry that names their ref; whether they had one."""
        row = await self._db.fetchrow(
            "DELETE FROM member_refs WHERE user_id = $1 RETURNING ref", user_id
        )
        return row is not None
