"""Leadership: one instance of several leads a job; another takes over when it stops."""

from __future__ import annotations

from datetime import datetime

import pytest

from storage import Leadership, Store
from storage.leadership import LEADERSHIP_LOCK_NAMESPACE
from storage.locks import key_of

POSTGRES_ONLY = pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)]
)
_UNSIGNED = 2**32


async def _holder_pid(store: Store, name: str) -> int | None:
    """The server process holding the leadership lock of ``name``, if any."""
    schema = await store.db.fetchval("SELECT current_schema()")
    pid = await store.db.fetchval(
        """
        SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
            AND CAST(classid AS BIGINT) = $1 AND CAST(objid AS BIGINT) = $2
        """,
        LEADERSHIP_LOCK_NAMESPACE % _UNSIGNED,
        key_of(str(schema), name) % _UNSIGNED,
    )
    return None if pid is None else int(pid)


async def test_one_object_per_name(store: Store) -> None:
    leadership = store.leadership("reminders")
    assert isinstance(leadership, Leadership)
    assert store.leadership("reminders") is leadership
    assert store.leadership("cleanup") is not leadership
    assert leadership.name == "reminders"


async def test_a_single_instance_leads(store: Store) -> None:
    leadership = store.leadership("reminders")
    assert leadership.held is False
    assert await leadership.try_acquire() is True
    assert await leadership.try_acquire() is True  # asking again: still the leader
    assert leadership.held is True
    await leadership.release()
    assert leadership.held is False
    await leadership.release()  # twice is fine
    assert await leadership.try_acquire() is True


@pytest.mark.parametrize("engine", ["sqlite"])
async def test_on_sqlite_every_instance_leads(store: Store, db_url: str) -> None:
    async with await Store.open(db_url) as other:
        assert await store.leadership("reminders").try_acquire() is True
        assert await other.leadership("reminders").try_acquire() is True


@POSTGRES_ONLY
async def test_only_one_instance_leads_until_it_releases(
    store: Store, db_url: str, now: datetime
) -> None:
    async with await Store.open(db_url) as other:
        first, second = store.leadership("reminders"), other.leadership("reminders")
        assert await first.try_acquire() is True
        assert await second.try_acquire() is False
        assert await first.try_acquire() is True
        assert await second.try_acquire() is False
        assert (first.held, second.held) == (True, False)
        # Another job has a leader of its own.
        assert await other.leadership("cleanup").try_acquire() is True
        assert await store.leadership("cleanup").try_acquire() is False

        await first.release()
        assert await second.try_acquire() is True
        assert await first.try_acquire() is False
        # The lock lives on a connection of its own, not one of the pool's.
        await other.migrate(now)  # uses the pool
        assert await other.db.fetchval("SELECT 1") == 1
        assert await _holder_pid(store, "reminders") not in (
            await other.db.fetchval("SELECT pg_backend_pid()"),
            None,
        )


@POSTGRES_ONLY
async def test_closing_the_leaders_database_hands_over(store: Store, db_url: str) -> None:
    other = await Store.open(db_url)
    try:
        assert await other.leadership("reminders").try_acquire() is True
        assert await store.leadership("reminders").try_acquire() is False
    finally:
        await other.close()
    assert await store.leadership("reminders").try_acquire() is True
    with pytest.raises(RuntimeError, match="closed"):
        await other.leadership("reminders").try_acquire()


@POSTGRES_ONLY
async def test_a_lost_connection_loses_the_lead(store: Store, db_url: str) -> None:
    async with await Store.open(db_url) as other:
        leader, follower = other.leadership("reminders"), store.leadership("reminders")
        assert await leader.try_acquire() is True
        pid = await _holder_pid(store, "reminders")
        assert pid is not None
        # As if the leader's process died: PostgreSQL ends its session and frees the lock.
        assert await store.db.fetchval("SELECT pg_terminate_backend($1, 5000)", pid) is True
        assert await _holder_pid(store, "reminders") is None
        assert await follower.try_acquire() is True
        # The old leader notices, and cannot lead again while the new one does.
        assert await leader.try_acquire() is False
        assert leader.held is False
        await follower.release()
        assert await leader.try_acquire() is True
