"""Storage fixtures; `db_url` (in tests/conftest.py) makes each test run on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import Database, Store

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A connected Database with no tables."""
    database = await Database.connect(db_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def store(db_url: str, now: datetime) -> AsyncIterator[Store]:
    """An open, fully migrated Store."""
    async with await Store.open(db_url) as opened:
        await opened.migrate(now)
        yield opened
