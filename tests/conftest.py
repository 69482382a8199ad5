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
from tests.storage.engines import ENGINE_PARAMS, fresh_store_url

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
async def db_url(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: every test that uses it runs on SQLite and on PostgreSQL."""
    async with fresh_store_url(engine, tmp_path) as url:
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
