"""Browser tests: the playground in Debian's Chromium, driven by Playwright.

Skip them locally with `pytest -m "not browser"`; they need /usr/bin/chromium. With
VERTAISBOT_REQUIRE_BROWSER=1 (as in CI) a missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.playground.server import PlaygroundServer
from bot.playground.world import Playground

CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the playground in a real browser")


@pytest.fixture
async def playground_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh playground on a free port of 127.0.0.1, in this test's event loop."""
    playground = Playground(tmp_path)
    server = PlaygroundServer(playground, "127.0.0.1", 0)
    try:
        await playground.start()
        yield await server.start()
    finally:
        await server.stop()
        await playground.stop()
    playground.api.assert_clean()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    required = os.environ.get("VERTAISBOT_REQUIRE_BROWSER", "").strip() == "1"
    if shutil.which(CHROMIUM) is None:
        reason = "needs Debian's chromium (apt-get install chromium)"
        if required:
            pytest.fail(f"VERTAISBOT_REQUIRE_BROWSER=1 but the browser test {reason}")
        pytest.skip(reason)
    driver_api = pytest.importorskip("playwright.async_api", reason="needs playwright")
    async with driver_api.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()
