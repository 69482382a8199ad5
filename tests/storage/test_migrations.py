"""Migrations: applied once, in order, recorded, and never run against a newer database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from storage import LATEST_VERSION, Database, DatabaseTooNew, Store
from storage.database import Connection, Engine
from storage.migrations import MIGRATIONS, Migration, current_version, migrate
from storage.models import to_timestamp

ALL_VERSIONS = list(range(1, LATEST_VERSION + 1))


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    assert [m.version for m in MIGRATIONS] == ALL_VERSIONS
    assert all(m.description.strip() for m in MIGRATIONS)
    assert MIGRATIONS[-1].version == LATEST_VERSION


async def test_an_empty_database_has_version_zero(db: Database) -> None:
    assert await current_version(db) == 0


async def test_migrate_applies_every_migration_once(db: Database, now: datetime) -> None:
    assert await migrate(db, now) == ALL_VERSIONS
    assert await current_version(db) == LATEST_VERSION
    assert await migrate(db, now + timedelta(days=1)) == []
    assert await current_version(db) == LATEST_VERSION


async def test_the_version_table_records_each_migration(db: Database, now: datetime) -> None:
    await migrate(db, now)
    await migrate(db, now + timedelta(hours=1))
    rows = await db.fetch(
        "SELECT version, description, applied_at FROM schema_version ORDER BY version"
    )
    assert rows == [
        {"version": m.version, "description": m.description, "applied_at": to_timestamp(now)}
        for m in MIGRATIONS
    ]


async def test_a_newer_database_is_refused(db: Database, now: datetime) -> None:
    await migrate(db, now)
    newer = LATEST_VERSION + 1
    await db.execute(
        "INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)",
        newer,
        "from the future",
        to_timestamp(now),
    )
    with pytest.raises(DatabaseTooNew) as caught:
        await migrate(db, now)
    assert (caught.value.found, caught.value.supported) == (newer, LATEST_VERSION)
    assert str(caught.value) == (
        f"The database was created by a newer vertaisbot (schema version {newer}); "
        f"this version knows up to {LATEST_VERSION}. "
        "Upgrade vertaisbot or point it to another database."
    )
    assert await current_version(db) == newer


@pytest.mark.empty_database
async def test_the_store_refuses_a_newer_database(db_url: str, now: datetime) -> None:
    async with await Store.open(db_url) as store:
        await store.migrate(now)
        await store.db.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)",
            LATEST_VERSION + 5,
            "from the future",
            0,
        )
    async with await Store.open(db_url) as store:
        with pytest.raises(DatabaseTooNew, match="Upgrade vertaisbot"):
            await store.migrate(now)


async def _creates_then_fails(conn: Connection, engine: Engine) -> None:
    await conn.execute("CREATE TABLE half_done (x BIGINT)")
    raise RuntimeError("migration bug")


async def test_a_failing_migration_changes_nothing(db: Database, now: datetime) -> None:
    await migrate(db, now)
    broken = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "Broken", _creates_then_fails))
    with pytest.raises(RuntimeError, match="migration bug") as caught:
        await migrate(db, now, migrations=broken)
    assert any("was rolled back" in note for note in caught.value.__notes__)
    assert await current_version(db) == LATEST_VERSION
    await db.execute("CREATE TABLE half_done (y TEXT)")  # the failed one left no table


async def _adds_a_table(conn: Connection, engine: Engine) -> None:
    await conn.execute("CREATE TABLE later_table (x BIGINT)")


async def test_a_later_migration_is_applied_on_top(db: Database, now: datetime) -> None:
    assert await migrate(db, now) == ALL_VERSIONS
    later = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "Later", _adds_a_table))
    assert await migrate(db, now, migrations=later) == [LATEST_VERSION + 1]
    assert await migrate(db, now, migrations=later) == []
    assert await db.fetchval("SELECT COUNT(*) FROM later_table") == 0
    with pytest.raises(DatabaseTooNew):
        await migrate(db, now)  # the older code now refuses this database


async def test_gaps_in_the_migration_list_are_refused(db: Database, now: datetime) -> None:
    gap = (*MIGRATIONS, Migration(LATEST_VERSION + 2, "Gap", _adds_a_table))
    with pytest.raises(RuntimeError, match="should be numbered"):
        await migrate(db, now, migrations=gap)
    assert await current_version(db) == 0


@pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.empty_database
async def test_two_instances_migrating_at_once_do_not_clash(db_url: str, now: datetime) -> None:
    first, second = await Database.connect(db_url), await Database.connect(db_url)
    try:
        results = await asyncio.gather(migrate(first, now), migrate(second, now))
    finally:
        await first.close()
        await second.close()
    assert sorted(results[0] + results[1]) == ALL_VERSIONS
    async with await Database.connect(db_url) as db:
        assert await current_version(db) == LATEST_VERSION
        assert await db.fetchval("SELECT COUNT(*) FROM schema_version") == LATEST_VERSION
