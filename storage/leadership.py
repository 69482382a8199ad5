"""Leadership: one instance of several does a job (such as sending reminders) at a time.

PostgreSQL: a session-level ``pg_try_advisory_lock`` on a session connection of its own. The
lock lasts as long as that connection: release() or closing the Database frees it, and so
does PostgreSQL when the process dies or the connection is lost, so another instance takes
over. The key is made from the name and the current schema, so deployments in different
schemas of one database do not share leaders. SQLite serves one instance: always the leader.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from storage import locks
from storage.database import Database

if TYPE_CHECKING:
    from storage.postgres import SessionConnection

log = logging.getLogger(__name__)

LEADERSHIP_LOCK_NAMESPACE = locks.namespace(b"lead")
PING_TIMEOUT_SECONDS = 10


def _unavailable() -> tuple[type[BaseException], ...]:
    """What a lost or unreachable database raises: then this instance is not the leader.

    Looked up only when something was raised, so SQLite never loads asyncpg.
    """
    from storage.postgres import UNAVAILABLE

    return UNAVAILABLE


class Leadership:
    """Who leads ``name``. Call try_acquire() before each round of the job: True means this
    instance is (still) the leader. Use one object per name (Store.leadership gives that).
    """

    def __init__(self, db: Database, name: str) -> None:
        self._db = db
        self.name = name
        self._session: SessionConnection | None = None
        self._held = False
        self._lock = asyncio.Lock()

    @property
    def held(self) -> bool:
        """Whether this instance was the leader when last asked (see try_acquire)."""
        return self._held

    async def try_acquire(self) -> bool:
        """Become, or check that this instance still is, the leader; never waits for it.

        False if another instance leads, or the database cannot be reached.
        """
        async with self._lock:
            if self._db.engine == "sqlite":
                self._held = True
                return True
            if self._session is not None:
                if await self._still_connected(self._session):
                    return True
                log.warning("leadership %s: lost the connection, and the lead with it", self.name)
                await self._drop()
            self._held = await self._try_lock()
            return self._held

    async def release(self) -> None:
        """Stop leading, so that another instance can take over. Releasing twice is fine."""
        async with self._lock:
            session = self._session
            if session is not None and not session.closed:
                # Closing the session frees the lock too, but only once the server has
                # noticed; unlocking first lets another instance take over at once.
                try:
                    await session.execute("SELECT pg_advisory_unlock_all()")
                except _unavailable() as exc:
                    log.debug("leadership %s: unlock failed (%s)", self.name, exc)
            if self._held:
                log.info("leadership %s: this instance no longer leads", self.name)
            await self._drop()

    async def _try_lock(self) -> bool:
        label = f"leadership {self.name!r}"
        try:
            session = await self._db.open_session(label)
        except _unavailable() as exc:
            log.warning("leadership %s: no connection to the database (%s)", self.name, exc)
            return False
        try:
            schema = await session.fetchval("SELECT current_schema()")
            acquired = bool(
                await session.fetchval(
                    "SELECT pg_try_advisory_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))",
                    LEADERSHIP_LOCK_NAMESPACE,
                    locks.key_of(str(schema), self.name),
                )
            )
        except _unavailable() as exc:
            log.warning("leadership %s: could not ask for the lead (%s)", self.name, exc)
            acquired = False
        except BaseException:
            await session.close()
            raise
        if acquired:
            self._session = session
            log.info("leadership %s: this instance leads", self.name)
        else:
            await session.close()  # another instance leads: hold no connection meanwhile
        return acquired

    async def _still_connected(self, session: SessionConnection) -> bool:
        # The lock lives exactly as long as the session: a live session still holds it.
        if session.closed:
            return False
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                await session.fetchval("SELECT 1")
        except _unavailable():
            return False
        return True

    async def _drop(self) -> None:
        session, self._session, self._held = self._session, None, False
        if session is not None:
            await session.close()
