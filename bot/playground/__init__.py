"""A local playground: the real bot, a Bot API emulator and a web page, all on this computer.

    python -m bot.playground [--host 127.0.0.1] [--port 8765]

Nothing here connects to Telegram; see PlaygroundServer for what the page can do.
"""

from __future__ import annotations

from bot.playground.server import DEFAULT_HOST, DEFAULT_PORT, run_playground

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "run_playground"]
