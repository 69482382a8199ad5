"""The Database: URLs, connection settings, statements and transactions on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest

from storage import Database, IntegrityError
from storage.database import engine_of, sqlite_path


class Boom(Exception):
    pass


# --- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/vertaisbot.db", "data/vertaisbot.db"),
        ("sqlite:////var/lib/vertaisbot/bot.db", "/var/lib/vertaisbot/bot.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_name_relative_absolute_and_memory_databases(url: str, path: str) -> None:
    assert engine_of(url) == "sqlite"
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["postgresql://u@h:5432/db", "postgres://u@h/db?search_path=x"])
def test_postgres_urls_pick_postgres(url: str) -> None:
    assert engine_of(url) == "postgres"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite://relative.db", "", "data.db"])
async def test_unknown_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"sqlite:///path/to/file\.db"):
        await Database.connect(url)


async def test_a_sqlite_url_needs_a_file_name() -> None:
    with pytest.raises(ValueError, match="no file name"):
        await Database.connect("sqlite:///")


async def test_a_relative_sqlite_path_is_created_with_its_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with await Database.connect("sqlite:///data/nested/bot.db") as db:
        await db.execute("CREATE TABLE t (x INTEGER)")
    assert (tmp_path / "data" / "nested" / "bot.db").is_file()


async def test_an_absolute_sqlite_path_is_created_with_its_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "bot.db"
    async with await Database.connect(f"sqlite:///{target}") as db:
        assert db.engine == "sqlite"
        await db.execute("CREATE TABLE t (x INTEGER)")
    assert target.is_file()


async def test_an_in_memory_sqlite_database_works() -> None:
    async with await Database.connect("sqlite:///:memory:") as db:
        assert await db.fetchval("SELECT CAST($1 AS BIGINT) * 2", 21) == 42
        assert await db.fetchval("PRAGMA foreign_keys") == 1


# --- Connection settings -------------------------------------------------------------------


async def test_engine_is_taken_from_the_url(db: Database, engine: str) -> None:
    assert db.engine == engine


@pytest.mark.parametrize("engine", ["sqlite"])
async def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(db: Database) -> None:
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA synchronous") == 1  # NORMAL: no disk wait per commit
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA busy_timeout") == 5000


@pytest.mark.parametrize("engine", ["sqlite"])
async def test_sqlite_enforces_foreign_keys(db: Database) -> None:
    await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await db.execute("CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id))")
    with pytest.raises(IntegrityError):
        await db.execute("INSERT INTO child (parent_id) VALUES ($1)", 1)


@pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_postgres_url_parameters_become_server_settings(db: Database, db_url: str) -> None:
    schema = db_url.rsplit("search_path=", 1)[1]
    assert await db.fetchval("SHOW search_path") == schema
    assert await db.fetchval("SELECT current_schema()") == schema


# --- Statements ----------------------------------------------------------------------------


async def test_fetch_fetchrow_and_fetchval(db: Database) -> None:
    await db.execute("CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, name TEXT NULL)")
    await db.execute("INSERT INTO t (id, name) VALUES ($1, $2), ($3, $4)", 1, "a", 2, None)
    rows = await db.fetch("SELECT id, name FROM t ORDER BY id")
    assert rows == [{"id": 1, "name": "a"}, {"id": 2, "name": None}]
    assert all(isinstance(row, Mapping) for row in rows)
    assert await db.fetchrow("SELECT id, name FROM t WHERE id = $1", 2) == {"id": 2, "name": None}
    assert await db.fetchrow("SELECT id FROM t WHERE id = $1", 3) is None
    assert await db.fetchval("SELECT name FROM t WHERE id = $1", 1) == "a"
    assert await db.fetchval("SELECT name FROM t WHERE id = $1", 3) is None
    assert await db.fetch("SELECT id FROM t WHERE id > $1", 5) == []


async def test_ids_beyond_32_bits_round_trip(db: Database) -> None:
    await db.execute("CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY)")
    ids = [-1001234567890, 2**31, 2**53 + 1, -(2**62)]
    for value in ids:
        await db.execute("INSERT INTO t (id) VALUES ($1)", value)
    assert [row["id"] for row in await db.fetch("SELECT id FROM t ORDER BY id")] == sorted(ids)


async def test_a_unique_violation_is_an_integrity_error(db: Database) -> None:
    await db.execute("CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY)")
    await db.execute("INSERT INTO t (id) VALUES ($1)", 1)
    with pytest.raises(IntegrityError):
        await db.execute("INSERT INTO t (id) VALUES ($1)", 1)
    # The statement failed, the database goes on working.
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 1


# --- Transactions --------------------------------------------------------------------------


async def _table(db: Database) -> None:
    await db.execute("CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY)")


async def _ids(db: Database) -> list[int]:
    return [row["id"] for row in await db.fetch("SELECT id FROM t ORDER BY id")]


async def _insert_then_raise(db: Database) -> None:
    async with db.transaction("doomed insert") as conn:
        await conn.execute("INSERT INTO t (id) VALUES ($1)", 1)
        raise Boom


async def _insert_clashing(db: Database) -> None:
    async with db.transaction("clashing insert") as conn:
        await conn.execute("INSERT INTO t (id) VALUES ($1)", 2)
        await conn.execute("INSERT INTO t (id) VALUES ($1)", 1)


async def test_a_transaction_commits_at_the_end(db: Database) -> None:
    await _table(db)
    async with db.transaction("insert two") as conn:
        await conn.execute("INSERT INTO t (id) VALUES ($1)", 1)
        await conn.execute("INSERT INTO t (id) VALUES ($1)", 2)
        assert await conn.fetchval("SELECT COUNT(*) FROM t") == 2
        assert await conn.fetchrow("SELECT id FROM t WHERE id = $1", 2) == {"id": 2}
        assert len(await conn.fetch("SELECT id FROM t")) == 2
    assert await _ids(db) == [1, 2]


async def test_a_transaction_rolls_back_on_an_exception(db: Database) -> None:
    await _table(db)
    with pytest.raises(Boom) as caught:
        await _insert_then_raise(db)
    assert await _ids(db) == []
    assert "storage: transaction 'doomed insert' was rolled back" in caught.value.__notes__


async def test_a_failed_statement_rolls_back_the_whole_transaction(db: Database) -> None:
    await _table(db)
    await db.execute("INSERT INTO t (id) VALUES ($1)", 1)
    with pytest.raises(IntegrityError, match="transaction 'clashing insert'"):
        await _insert_clashing(db)
    assert await _ids(db) == [1]


async def test_a_cancelled_transaction_rolls_back(db: Database) -> None:
    await _table(db)
    inside = asyncio.Event()

    async def hang() -> None:
        async with db.transaction("cancelled") as conn:
            await conn.execute("INSERT INTO t (id) VALUES ($1)", 1)
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hang())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _ids(db) == []
    async with db.transaction("after the cancelled one") as conn:
        await conn.execute("INSERT INTO t (id) VALUES ($1)", 2)
    assert await _ids(db) == [2]


async def test_other_tasks_never_see_half_a_transaction(db: Database) -> None:
    await _table(db)
    inside, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction("two inserts") as conn:
            await conn.execute("INSERT INTO t (id) VALUES ($1)", 1)
            inside.set()
            await release.wait()
            await conn.execute("INSERT INTO t (id) VALUES ($1)", 2)

    async def reader() -> int:
        await inside.wait()
        count = asyncio.create_task(db.fetchval("SELECT COUNT(*) FROM t"))
        for _ in range(10):
            await asyncio.sleep(0)
        release.set()
        return int(await count)

    _, seen = await asyncio.gather(writer(), reader())
    # SQLite waits for the transaction to end (2); PostgreSQL reads the state before it (0).
    assert seen in (0, 2)
    assert await _ids(db) == [1, 2]


async def test_a_statement_of_another_task_is_never_part_of_a_transaction(db: Database) -> None:
    await _table(db)
    inside = asyncio.Event()

    async def doomed() -> None:
        async with db.transaction("doomed") as conn:
            await conn.execute("INSERT INTO t (id) VALUES ($1)", 1)
            inside.set()
            for _ in range(10):
                await asyncio.sleep(0)
            raise Boom

    async def bystander() -> None:
        await inside.wait()
        await db.execute("INSERT INTO t (id) VALUES ($1)", 2)

    outcome = await asyncio.gather(doomed(), bystander(), return_exceptions=True)
    assert isinstance(outcome[0], Boom)
    assert await _ids(db) == [2]  # the rollback took only the transaction's own row


async def test_many_statements_at_once_each_get_their_own_answer(db: Database) -> None:
    await _table(db)
    await asyncio.gather(*(db.execute("INSERT INTO t (id) VALUES ($1)", n) for n in range(50)))
    found = await asyncio.gather(
        *(db.fetchrow("SELECT id FROM t WHERE id = $1", n) for n in range(50))
    )
    assert found == [{"id": n} for n in range(50)]
    assert await db.fetch("SELECT id FROM t WHERE id < 0") == []


async def test_the_connection_of_a_finished_transaction_cannot_be_used(db: Database) -> None:
    async with db.transaction("short") as conn:
        assert await conn.fetchval("SELECT 1") == 1
    with pytest.raises(RuntimeError, match="transaction 'short' is over"):
        await conn.fetchval("SELECT 1")


async def test_the_database_refuses_statements_inside_its_own_transaction(db: Database) -> None:
    await _table(db)
    with pytest.raises(RuntimeError, match="inside transaction 'outer'"):
        async with db.transaction("outer"):
            await db.execute("INSERT INTO t (id) VALUES ($1)", 1)
    with pytest.raises(RuntimeError, match="inside transaction 'outer'"):
        async with db.transaction("outer"), db.transaction("inner"):
            pass
    assert await _ids(db) == []
