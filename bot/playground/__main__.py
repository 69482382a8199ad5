"""python -m bot.playground [--host HOST] [--port PORT]"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.playground.server import DEFAULT_HOST, DEFAULT_PORT, run_playground


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.playground",
        description="Try the bot in your browser, without Telegram. Everything stays on this "
        "computer and is forgotten when you stop it (Ctrl-C).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default: {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default: {DEFAULT_PORT}")
    args = parser.parse_args(argv)
    return run_playground(args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
