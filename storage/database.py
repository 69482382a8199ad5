"""One async database API over SQLite (aiosqlite) and PostgreSQL (asyncpg).

SQL is written once, with PostgreSQL's ``$1, $2`` placeholders. On SQLite the statement is
rewritten to ``?`` placeholders and the arguments are reordered (and repeated) to match.
Values are always bound as parameters, never formatted into the SQL text.

SQLite uses a single connection in autocommit mode; an ``asyncio.Lock`` held by a transaction
keeps statements of other tasks out of it until it ends.
PostgreSQL uses a small asyncpg pool, and a session connection of its own (outside the pool)
for what lives as long as a connection does, such as an advisory lock held for leadership.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import aiosqlite

if TYPE_CHECKING:
    from storage.postgres import SessionConnection

log = logging.getLogger(__name__)

Engine = Literal["sqlite", "postgres"]
# A result row: read-only, keyed by column name.
Row = Mapping[str, Any]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
SQLITE_BUSY_TIMEOUT_MS = 5000


class IntegrityError(Exception):
    """A statement broke a constraint (unique, check, foreign key, not null), on any engine."""


# A single-quoted string, a double-quoted identifier, a comment, or a $N placeholder.
_SQL_TOKENS = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$(\d+)""",
    re.DOTALL,
)


@functools.lru_cache(maxsize=1024)
def to_qmark(sql: str) -> tuple[str, tuple[int, ...]]:
    """Rewrite ``$N`` placeholders to ``?``; return the SQL and the 1-based argument order.

    Placeholders inside string literals, quoted identifiers and comments are left alone.
    """
    order: list[int] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        order.append(int(match.group(1)))
        return "?"

    rewritten = _SQL_TOKENS.sub(replace, sql)
    if any(number < 1 for number in order):
        raise ValueError("SQL placeholders are numbered from $1")
    return rewritten, tuple(order)


def bind_qmark(sql: str, args: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """The SQLite form of ``sql`` and its arguments in ``?`` order."""
    rewritten, order = to_qmark(sql)
    expected = max(order, default=0)
    if len(args) != expected:
        raise ValueError(f"the statement uses {expected} argument(s), {len(args)} given")
    return rewritten, tuple(args[number - 1] for number in order)


def engine_of(url: str) -> Engine:
    if url.startswith(SQLITE_PREFIX):
        return "sqlite"
    if url.startswith(POSTGRES_PREFIXES):
        return "postgres"
    raise ValueError(
        "unknown database URL: use sqlite:///path/to/file.db, sqlite:///:memory: "
        "or postgresql://user@host:5432/database"
    )


def sqlite_path(url: str) -> str:
    """``sqlite:///rel.db`` → ``rel.db``; ``sqlite:////abs.db`` → ``/abs.db``."""
    path = url.removeprefix(SQLITE_PREFIX)
    if not path:
        raise ValueError("the SQLite URL has no file name: use sqlite:///path/to/file.db")
    return path


class Connection(ABC):
    """Runs statements: inside a transaction, or one statement at a time."""

    _integrity_errors: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(self, label: str) -> None:
        self._label = label
        self._open = True

    async def execute(self, sql: str, *args: Any) -> None:
        with self._guard():
            await self._execute(sql, args)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        with self._guard():
            return await self._fetch(sql, args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        with self._guard():
            return await self._fetchrow(sql, args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        with self._guard():
            return await self._fetchval(sql, args)

    def _close(self) -> None:
        self._open = False

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if not self._open:
            raise RuntimeError(f"{self._label} is over; its connection can no longer be used")
        try:
            yield
        except self._integrity_errors as exc:
            raise IntegrityError(f"{self._label}: {exc}") from exc

    @abstractmethod
    async def _execute(self, sql: str, args: Sequence[Any]) -> None: ...

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any]) -> list[Row]: ...

    @abstractmethod
    async def _fetchrow(self, sql: str, args: Sequence[Any]) -> Row | None: ...

    @abstractmethod
    async def _fetchval(self, sql: str, args: Sequence[Any]) -> Any: ...


class _SqliteConnection(Connection):
    _integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, raw: aiosqlite.Connection, label: str) -> None:
        super().__init__(label)
        self._raw = raw

    async def _execute(self, sql: str, args: Sequence[Any]) -> None:
        await self._fetch(sql, args)

    async def _fetch(self, sql: str, args: Sequence[Any]) -> list[Row]:
        rewritten, params = bind_qmark(sql, args)
        # One trip to SQLite's thread that reads every row: SQLite finishes a statement
        # (and its implicit transaction) only when it has been stepped to the end.
        rows = list(await self._raw.execute_fetchall(rewritten, params))
        if not rows:
            return []
        names = rows[0].keys()  # sqlite3.Row, the connection's row_factory
        return [dict(zip(names, row, strict=True)) for row in rows]

    async def _fetchrow(self, sql: str, args: Sequence[Any]) -> Row | None:
        rows = await self._fetch(sql, args)
        return rows[0] if rows else None

    async def _fetchval(self, sql: str, args: Sequence[Any]) -> Any:
        row = await self._fetchrow(sql, args)
        return None if row is None else next(iter(row.values()), None)


class Backend(ABC):
    engine: ClassVar[Engine]

    @abstractmethod
    def statement(self) -> AbstractAsyncContextManager[Connection]: ...

    @abstractmethod
    def transaction(self, name: str) -> AbstractAsyncContextManager[Connection]: ...

    @abstractmethod
    async def close(self) -> None: ...


class _SqliteBackend(Backend):
    engine = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self._raw = raw
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> _SqliteBackend:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        raw = await aiosqlite.connect(
            path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
        try:
            await cls._configure(raw, in_memory=path == ":memory:")
        except BaseException:
            await raw.close()
            raise
        return cls(raw)

    @staticmethod
    async def _configure(raw: aiosqlite.Connection, *, in_memory: bool) -> None:
        if not in_memory:
            async with raw.execute("PRAGMA journal_mode=WAL") as cursor:
                mode = await cursor.fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                log.warning("storage: SQLite could not switch to WAL journal mode (%s)", mode)
        # In WAL mode NORMAL syncs at checkpoints instead of at every commit: a crash of
        # the bot loses nothing, a power cut may lose the last moments; never corrupts.
        # FULL made each write wait for the disk (about ten times longer here).
        await raw.execute("PRAGMA synchronous=NORMAL")
        raw.row_factory = sqlite3.Row
        await raw.execute("PRAGMA foreign_keys=ON")
        # Erased rows are overwritten on disk, so they do not linger in the file or its copies.
        await raw.execute("PRAGMA secure_delete=ON")
        await raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Connection]:
        # aiosqlite runs requests one after another in arrival order, so a lone statement
        # needs the lock only while a transaction holds it: one queued before BEGIN runs
        # before it. Not waiting on each other lets many statements share one trip.
        if self._lock.locked():
            async with self._lock, self._connection("statement") as conn:
                yield conn
        else:
            async with self._connection("statement") as conn:
                yield conn

    @asynccontextmanager
    async def _connection(self, label: str) -> AsyncIterator[Connection]:
        conn = _SqliteConnection(self._raw, label)
        try:
            yield conn
        finally:
            conn._close()

    @asynccontextmanager
    async def transaction(self, name: str) -> AsyncIterator[Connection]:
        async with self._lock:
            # IMMEDIATE takes the write lock at once, so two processes sharing the file
            # wait (busy_timeout) instead of failing when both try to write later.
            await self._raw.execute("BEGIN IMMEDIATE")
            conn = _SqliteConnection(self._raw, f"transaction {name!r}")
            try:
                yield conn
                await self._raw.execute("COMMIT")
            except BaseException:
                await self._rollback(name)
                raise
            finally:
                conn._close()

    async def _rollback(self, name: str) -> None:
        try:
            await self._raw.execute("ROLLBACK")
        except sqlite3.Error as exc:  # already ended, for example by a failed COMMIT
            log.debug("transaction %s: rollback not needed (%s)", name, exc)

    async def close(self) -> None:
        async with self._lock:
            await self._raw.close()


class _TransactionState:
    def __init__(self, name: str) -> None:
        self.name = name
        self.active = True


class Database:
    """The bot's database: SQLite or PostgreSQL, chosen by the URL."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.engine: Engine = backend.engine
        self._current: contextvars.ContextVar[_TransactionState | None] = contextvars.ContextVar(
            f"vertaisbot_storage_transaction_{id(self)}", default=None
        )

    @classmethod
    async def connect(cls, url: str) -> Database:
        """Open ``sqlite:///path.db``, ``sqlite:///:memory:`` or ``postgresql://…``."""
        if engine_of(url) == "sqlite":
            backend: Backend = await _SqliteBackend.open(sqlite_path(url))
        else:
            # Loaded only for PostgreSQL: a SQLite bot need not carry asyncpg in memory.
            from storage.postgres import PostgresBackend

            backend = await PostgresBackend.open(url)
        log.debug("storage: connected (%s)", backend.engine)
        return cls(backend)

    async def close(self) -> None:
        await self._backend.close()
        log.debug("storage: closed (%s)", self.engine)

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def execute(self, sql: str, *args: Any) -> None:
        async with self._statement() as conn:
            await conn.execute(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        async with self._statement() as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        async with self._statement() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self._statement() as conn:
            return await conn.fetchval(sql, *args)

    async def open_session(self, label: str) -> SessionConnection:
        """A new PostgreSQL connection outside the pool, until it (or the Database) closes.

        Only for state tied to a connection's life, such as a session-level advisory lock.
        SQLite has no such connections: a RuntimeError.
        """
        from storage.postgres import PostgresBackend

        if not isinstance(self._backend, PostgresBackend):
            raise RuntimeError(f"{label}: session connections are for PostgreSQL only")
        return await self._backend.session(label)

    @asynccontextmanager
    async def transaction(self, name: str) -> AsyncIterator[Connection]:
        """Run the block in one transaction: committed at the end, rolled back on error."""
        self._refuse_inside_transaction(f"transaction({name!r})")
        state = _TransactionState(name)
        token = self._current.set(state)
        try:
            async with self._backend.transaction(name) as conn:
                log.debug("transaction %s: begin", name)
                yield conn
            log.debug("transaction %s: committed", name)
        except BaseException as exc:
            log.debug("transaction %s: rolled back (%s)", name, type(exc).__name__)
            if isinstance(exc, Exception):
                exc.add_note(f"storage: transaction {name!r} was rolled back")
            raise
        finally:
            state.active = False
            self._current.reset(token)

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[Connection]:
        self._refuse_inside_transaction("a statement on the Database")
        async with self._backend.statement() as conn:
            yield conn

    def _refuse_inside_transaction(self, what: str) -> None:
        # On SQLite this would wait for the transaction's own lock forever; on PostgreSQL it
        # would silently run outside the transaction. Both are bugs, so both engines refuse.
        state = self._current.get()
        if state is not None and state.active:
            raise RuntimeError(
                f"{what} inside transaction {state.name!r}: "
                "use the connection the transaction yields"
            )
