"""Fresh, empty databases for tests, on SQLite and on PostgreSQL.

Any test folder can use this: parametrise with ``ENGINE_PARAMS`` and open
``fresh_store_url(engine, tmp_path)``. PostgreSQL tests need
``VERTAISBOT_TEST_POSTGRES_URL``; without it they are skipped, unless
``VERTAISBOT_REQUIRE_POSTGRES=1`` (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest

POSTGRES_URL_VARIABLE = "VERTAISBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "VERTAISBOT_REQUIRE_POSTGRES"
CONNECT_TIMEOUT_SECONDS = 10

ENGINES = ("sqlite", "postgres")
_unreachable: dict[str, str] = {}  # URL -> why it could not be reached
ENGINE_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@asynccontextmanager
async def fresh_store_url(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of an empty database; it is thrown away afterwards.

    SQLite: a file in ``tmp_path``. PostgreSQL: a new schema, named in the URL's
    ``search_path``, dropped (CASCADE) at the end. Close every connection to it first.
    """
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'vertaisbot-test.db'}"
    elif engine == "postgres":
        async with _fresh_postgres_schema(postgres_base_url()) as url:
            yield url
    else:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


def postgres_base_url() -> str:
    """The PostgreSQL test URL, or skip (or fail, when PostgreSQL is required)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not url:
        _skip_or_fail(f"set {POSTGRES_URL_VARIABLE}=postgresql://… to run the PostgreSQL tests")
    return url


def postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_VARIABLE, "").strip() == "1"


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


@asynccontextmanager
async def _fresh_postgres_schema(base_url: str) -> AsyncIterator[str]:
    schema = f"t_{secrets.token_hex(8)}"
    admin = await _connect(base_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(base_url, schema)
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


async def _connect(url: str) -> Any:
    if url in _unreachable:  # tried already in this run: do not wait for it again
        _skip_or_fail(_unreachable[url])
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        _unreachable[url] = (
            f"PostgreSQL at {_where(url)} is unreachable ({type(exc).__name__}: {exc}); "
            f"check {POSTGRES_URL_VARIABLE}"
        )
        _skip_or_fail(_unreachable[url])


def _where(url: str) -> str:
    """Host, port and database of a URL, without user name or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def _skip_or_fail(reason: str) -> NoReturn:
    if postgres_required():
        pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {reason}")
    pytest.skip(reason)


# --- migrated databases, made once and reused ---------------------------------------------------
# Migrating a fresh PostgreSQL schema costs about 0.3 s, and most tests only need the finished
# schema: they get a migrated copy (SQLite) or a migrated schema emptied after the last test
# that used it (PostgreSQL).

MIGRATED_AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
_sqlite_template: Path | None = None
_postgres_pool: list[str] = []  # migrated schemas, empty, ready for the next test


@asynccontextmanager
async def migrated_store_url(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of a database with the whole schema and no rows; thrown away after.

    Close every connection to it before leaving the context.
    """
    if engine == "sqlite":
        target = tmp_path / "vertaisbot-test.db"
        shutil.copyfile(await _migrated_sqlite_template(), target)
        yield f"sqlite:///{target}"
    elif engine == "postgres":
        base = postgres_base_url()
        schema = _postgres_pool.pop() if _postgres_pool else await _new_migrated_schema(base)
        try:
            yield with_search_path(base, schema)
        finally:
            if await _emptied(base, schema):
                _postgres_pool.append(schema)
    else:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


async def _migrated_sqlite_template() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        from storage import Store

        folder = Path(tempfile.mkdtemp(prefix="vertaisbot-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        async with await Store.open(f"sqlite:///{path}") as store:
            await store.migrate(MIGRATED_AT)
        _sqlite_template = path  # closed: the write-ahead log is folded into the file
    return _sqlite_template


async def _new_migrated_schema(base_url: str) -> str:
    from storage import Store

    schema = f"m_{secrets.token_hex(8)}"
    admin = await _connect(base_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    if not _postgres_pool and not _made_schemas:
        atexit.register(_drop_schemas, base_url)
    _made_schemas.append(schema)
    async with await Store.open(with_search_path(base_url, schema)) as store:
        await store.migrate(MIGRATED_AT)
    return schema


_made_schemas: list[str] = []


async def _emptied(base_url: str, schema: str) -> bool:
    """Delete every row except the schema version; False (and the schema dropped) when the
    test changed the schema itself, so that it is not reused."""
    from storage import LATEST_VERSION

    admin = await _connect(base_url)
    try:
        version = await admin.fetchval(f"SELECT MAX(version) FROM {schema}.schema_version")
        tables = [
            row["tablename"]
            for row in await admin.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema
            )
            if row["tablename"] != "schema_version"
        ]
        if version == LATEST_VERSION and tables:
            # DELETE, not TRUNCATE: a handful of rows go much faster than new table files.
            await admin.execute(
                "BEGIN; " + " ".join(f"DELETE FROM {schema}.{t};" for t in tables) + " COMMIT;"
            )
            return True
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        _made_schemas.remove(schema)
        return False
    finally:
        await admin.close()


def _drop_schemas(base_url: str) -> None:
    async def drop() -> None:
        admin = await asyncpg.connect(base_url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            for schema in _made_schemas:
                await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await admin.close()

    asyncio.run(drop())
