"""Fixtures shared by the handler tests: a Bot API emulator, a clock, and a running bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from tests.harness import Harness, running_bot
from tests.storage.engines import ENGINE_PARAMS, fresh_store_url, migrated_store_url

TEST_VARIABLES = {
    "VERTAISBOT_TEST_POSTGRES_URL",
    "VERTAISBOT_REQUIRE_POSTGRES",
    "VERTAISBOT_REQUIRE_BROWSER",
}


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they build, never the developer's environment or files."""
    for name in list(os.environ):
        if name.startswith("VERTAISBOT_") and name not in TEST_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[BotApiEmulator]:
    # Message dates follow the test's clock, so ages never depend on the real time of day.
    async with BotApiEmulator(wall_clock=lambda: clock.now().timestamp()) as emulator:
        yield emulator
        emulator.assert_clean()


def make_settings(api: BotApiEmulator, storage_url: str, **bot: object) -> Settings:
    return Settings(
        telegram={"api_base_url": api.base_url},
        storage={"url": storage_url},
        bot=bot,
    )


@pytest.fixture
def admin(api: BotApiEmulator) -> int:
    """An organisation admin who speaks English and has started the bot."""
    return api.add_user(first_name="Admin", language_code="en", started=True)


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> str:
    engine: str = request.param
    return engine


@pytest.fixture
async def db_url(
    request: pytest.FixtureRequest, engine: str, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of this test's own: every test that uses it runs on SQLite and PostgreSQL.

    Migrated, with no rows (made once and reused: it is much faster), unless the test uses
    the `db` fixture or is marked `empty_database`: then it has no tables at all.
    """
    empty = "db" in request.fixturenames or request.node.get_closest_marker("empty_database")
    opened = fresh_store_url if empty else migrated_store_url
    async with opened(engine, tmp_path) as url:
        yield url


@pytest.fixture
def settings(api: BotApiEmulator, db_url: str, admin: int) -> Settings:
    return make_settings(api, db_url, admins=[admin])


@pytest.fixture
async def bot(
    api: BotApiEmulator, settings: Settings, clock: ManualClock
) -> AsyncIterator[Harness]:
    async with running_bot(settings, api, clock) as harness:
        yield harness
