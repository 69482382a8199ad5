"""Command line: vertaisbot run | check | migrate | --version."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import __version__
from bot.app import build_application, file_base_url, open_store
from bot.clock import SystemClock
from bot.logs import add_secret, configure_logging
from bot.settings import ConfigError, Settings, config_path, load_settings
from storage import LATEST_VERSION, DatabaseTooNew

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
log = logging.getLogger("vertaisbot")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="vertaisbot", description="A Telegram bot for peer-support groups."
    )
    root.add_argument("--version", action="version", version=f"vertaisbot {__version__}")
    root.add_argument("--config", metavar="PATH", help="settings file (default: ./config.toml)")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot")
    commands.add_parser("check", help="check settings, storage and the connection to Telegram")
    commands.add_parser("migrate", help="bring the database up to date and exit")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(config_path(args.config))
        configure_logging(settings.logging.level, settings.logging.format)
        if args.command == "migrate":
            return asyncio.run(migrate(settings))
        if args.command == "check":
            return asyncio.run(check(settings))
        return run(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseTooNew as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


def run(settings: Settings) -> int:
    if settings.telegram.mode == "webhook":
        raise ConfigError(
            'telegram.mode = "webhook" is not available in this version yet. '
            'Set mode = "polling" (the default).'
        )
    token = settings.telegram.resolved_token()
    add_secret(token.get_secret_value())
    app = build_application(settings, token)
    try:
        # Stops cleanly on SIGINT (Ctrl-C) and SIGTERM.
        app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except InvalidToken:
        print("Telegram did not accept the bot token. Check it with @BotFather.", file=sys.stderr)
        return EXIT_CONFIG
    except NetworkError as exc:
        print(f"Cannot reach Telegram: {type(exc).__name__}. Check the network.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


async def migrate(settings: Settings) -> int:
    store = await open_store(settings, SystemClock())
    await store.close()
    print(f"Database is up to date (schema version {LATEST_VERSION}).")
    return EXIT_OK


def safe_url(url: str) -> str:
    """The storage URL without its password, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


async def check(settings: Settings) -> int:
    """Print a readable report; exit 1 if something keeps the bot from running."""
    lines = ["vertaisbot check", "Settings: OK"]
    store = await open_store(settings, SystemClock())
    try:
        counts = await store.chats.count_by_kind()
    finally:
        await store.close()
    lines.append(f"Storage: {safe_url(settings.storage.url)} (schema version {LATEST_VERSION})")
    lines.append(
        f"Registered: {counts.get('peer_group', 0)} peer group(s), "
        f"{counts.get('staff', 0)} staff chat(s)"
    )
    if not settings.bot.admins:
        lines.append(
            "Missing: no organisation admins. Add your Telegram user id to admins under [bot], "
            "so that you can register groups with /setup."
        )
    else:
        lines.append(f"Organisation admins: {len(settings.bot.admins)}")
    telegram_lines, failed = await _check_telegram(settings)
    lines.extend(telegram_lines)
    print("\n".join(lines))
    return EXIT_FAILED if failed else EXIT_OK


async def _check_telegram(settings: Settings) -> tuple[list[str], bool]:
    token = settings.telegram.resolved_token()
    add_secret(token.get_secret_value())
    bot = Bot(
        token.get_secret_value(),
        base_url=settings.telegram.api_base_url,
        base_file_url=file_base_url(settings.telegram.api_base_url),
    )
    try:
        async with bot:
            me = bot.bot
    except InvalidToken:
        return ["Telegram: the token was not accepted. Check it with @BotFather."], True
    except TelegramError as exc:
        return [f"Telegram: cannot connect ({type(exc).__name__})."], True
    reads = "yes" if me.can_read_all_group_messages else "no (fine: as a group admin it sees all)"
    joins = "yes" if me.can_join_groups else "no - allow it with /setjoingroups in @BotFather"
    return [
        f"Telegram: connected as @{me.username}",
        f"  Can be added to groups: {joins}",
        f"  Reads all group messages: {reads}",
    ], not me.can_join_groups
