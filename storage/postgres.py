"""PostgreSQL for the Database (asyncpg): a small pool, and session connections of its own.

Imported only when the storage URL is a PostgreSQL one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from storage.database import Backend, Connection, Row

log = logging.getLogger(__name__)

POSTGRES_POOL_MIN = 1
# Enough for the updates handled at once to rarely wait; several instances share the
# server's connection limit (100 by default).
POSTGRES_POOL_MAX = 10
SESSION_CLOSE_TIMEOUT_SECONDS = 10

# What a lost or unreachable database raises.
UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class PostgresConnection(Connection):
    _integrity_errors = (asyncpg.IntegrityConstraintViolationError,)

    def __init__(self, raw: Any, label: str) -> None:
        super().__init__(label)
        self._raw = raw

    async def _execute(self, sql: str, args: Sequence[Any]) -> None:
        await self._raw.execute(sql, *args)

    async def _fetch(self, sql: str, args: Sequence[Any]) -> list[Row]:
        return [dict(record.items()) for record in await self._raw.fetch(sql, *args)]

    async def _fetchrow(self, sql: str, args: Sequence[Any]) -> Row | None:
        record = await self._raw.fetchrow(sql, *args)
        return None if record is None else dict(record.items())

    async def _fetchval(self, sql: str, args: Sequence[Any]) -> Any:
        return await self._raw.fetchval(sql, *args)


class SessionConnection(PostgresConnection):
    """A PostgreSQL connection of its own, outside the pool, until closed (or lost).

    For session state, such as a session-level advisory lock: PostgreSQL keeps it exactly as
    long as this connection lives, and frees it when the connection or the process ends.
    The Database closes its session connections when it closes.
    """

    def __init__(
        self, raw: Any, label: str, on_close: Callable[[SessionConnection], None]
    ) -> None:
        super().__init__(raw, label)
        self._on_close = on_close

    @property
    def closed(self) -> bool:
        return not self._open or bool(self._raw.is_closed())

    async def close(self) -> None:
        """Close the connection; PostgreSQL then frees its session state. Closing twice is fine."""
        if not self._open:
            return
        self._close()
        self._on_close(self)
        try:
            await self._raw.close(timeout=SESSION_CLOSE_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # asyncpg has aborted the connection: the server ends the session all the same.
            log.debug("%s: closed uncleanly (%s)", self._label, exc)


class PostgresBackend(Backend):
    engine = "postgres"

    def __init__(self, pool: Any, url: str) -> None:
        self._pool = pool
        self._url = url
        self._sessions: set[SessionConnection] = set()
        self._closed = False

    @classmethod
    async def open(cls, url: str) -> PostgresBackend:
        # asyncpg passes DSN query parameters it does not know (search_path=…,
        # application_name=…) to the server as settings.
        pool = await asyncpg.create_pool(
            url, min_size=POSTGRES_POOL_MIN, max_size=POSTGRES_POOL_MAX
        )
        return cls(pool, url)

    async def session(self, label: str) -> SessionConnection:
        if self._closed:
            raise RuntimeError(f"{label}: the database is closed")
        raw = await asyncpg.connect(self._url)
        if self._closed:  # closed while connecting
            await raw.close()
            raise RuntimeError(f"{label}: the database is closed")
        conn = SessionConnection(raw, label, self._sessions.discard)
        self._sessions.add(conn)
        return conn

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as raw:
            conn = PostgresConnection(raw, "statement")
            try:
                yield conn
            finally:
                conn._close()

    @asynccontextmanager
    async def transaction(self, name: str) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as raw, raw.transaction():
            conn = PostgresConnection(raw, f"transaction {name!r}")
            try:
                yield conn
            finally:
                conn._close()

    async def close(self) -> None:
        self._closed = True
        for conn in list(self._sessions):
            await conn.close()
        await self._pool.close()
