"""Command line: vertaisbot run | check | migrate | backup | contacts | stats | --version."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import __version__, contacts_data
from bot.app import build_application, file_base_url, open_store
from bot.clock import SystemClock
from bot.logs import add_secret, configure_logging
from bot.settings import ConfigError, Settings, config_path, load_settings
from bot.stats_cli import stats_command
from storage import LATEST_VERSION, DatabaseTooNew
from storage.backup import BackupError, backup_sqlite

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
    backup = commands.add_parser(
        "backup", help="make a consistent copy of the SQLite database (also while running)"
    )
    backup.add_argument("path", metavar="PATH", help="the new file to write the copy to")
    add_contacts_commands(commands)
    demo = commands.add_parser(
        "demo", help="try the bot in your browser, without Telegram (stays on this computer)"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8765)
    stats = commands.add_parser(
        "stats", help="anonymous monthly figures of a region, for reports (CSV or JSON)"
    )
    stats.add_argument("--region", required=True, help="the region, as in /setup")
    stats.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    stats.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
    stats.add_argument("--format", dest="fmt", choices=("csv", "json"), default="csv")
    return root


def add_contacts_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """vertaisbot contacts import FILE | export FILE | list."""
    group = commands.add_parser(
        "contacts", help="the contact directory's regional entries: import, export, list"
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (
        ("import", "check a .toml or .csv file, then store its entries (all or nothing)"),
        ("export", "write every regional entry to a .toml or .csv file"),
    ):
        action = actions.add_parser(
            name,
            help=text,
            description=f"{text}.\n\n{contacts_data.FILE_FORMAT}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        action.add_argument("file", metavar="FILE", type=Path)
    actions.add_parser("list", help="print the entries and their codes")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "demo":
        # Needs no settings and no token; imported here because `run` never needs it.
        from bot.playground import run_playground

        return run_playground(args.host, args.port)
    try:
        settings = load_settings(config_path(args.config))
        id_key = settings.logging.id_key
        configure_logging(
            settings.logging.level,
            settings.logging.format,
            id_key=id_key.get_secret_value() if id_key else None,
        )
        if args.command == "stats":
            return stats_command(settings, args.region, args.first, args.last, args.fmt)
        if args.command == "backup":
            return backup(settings, Path(args.path))
        if args.command == "migrate":
            return asyncio.run(migrate(settings))
        if args.command == "check":
            return asyncio.run(check(settings))
        if args.command == "contacts":
            return asyncio.run(contacts(settings, args.action, getattr(args, "file", None)))
        return run(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseTooNew as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


def use_fast_event_loop() -> None:
    """uvloop where it is installed: the same asyncio, with less CPU per update."""
    try:
        import uvloop
    except ImportError:  # not built for every platform; the standard loop works the same
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def keep_out_of_garbage_collection() -> None:
    """What start-up built lives as long as the process: later collections skip it, so
    they have less to walk and hold updates up for less time."""
    gc.collect()
    gc.freeze()


def run(settings: Settings) -> int:
    token = settings.telegram.resolved_token()
    add_secret(token.get_secret_value())
    secret = None
    if settings.telegram.mode == "webhook":
        if settings.telegram.webhook_url is None:
            raise ConfigError(
                'telegram.mode = "webhook" needs telegram.webhook_url, the public https '
                'address Telegram sends updates to, e.g. "https://bot.example.org/telegram".'
            )
        secret = settings.telegram.webhook_secret()
        add_secret(secret.get_secret_value())
    use_fast_event_loop()
    app = build_application(settings, token)
    keep_out_of_garbage_collection()
    try:
        # Both stop cleanly on SIGINT (Ctrl-C) and SIGTERM.
        if secret is not None:
            from bot.webhook import run_webhook  # its web server is needed in this mode only

            run_webhook(app, settings, secret)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except InvalidToken:
        print("Telegram did not accept the bot token. Check it with @BotFather.", file=sys.stderr)
        return EXIT_CONFIG
    except NetworkError as exc:
        print(f"Cannot reach Telegram: {type(exc).__name__}. Check the network.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def backup(settings: Settings, target: Path) -> int:
    try:
        size = backup_sqlite(settings.storage.url, target)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except sqlite3.Error as exc:
        print(f"The copy failed: {exc}.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Copied the database to {target} ({size:,} bytes).")
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


async def contacts(settings: Settings, action: str, file: Path | None) -> int:
    """import / export / list the regional contacts; exit 2 when the file cannot be used."""
    try:
        entries = contacts_data.read_entries(file) if action == "import" and file else []
        if action == "export" and file:
            contacts_data.check_file_kind(file)
    except contacts_data.ContactFileError as exc:
        return _contacts_refused(file, action, exc)
    store = await open_store(settings, SystemClock())
    try:
        stored = await store.contacts.all()
        if action == "import" and file:
            known = [chat.region for chat in await store.chats.list()]
            known += [c.region for c in stored if c.region is not None]
            ready = contacts_data.with_known_regions([c for _, c in entries], known)
            done = await store.contacts.import_contacts(ready, SystemClock().now())
            starts = [where for where, _ in entries]
            lines = contacts_data.import_summary(file, starts, done.added, len(done.updated))
        elif action == "export" and file:
            lines = [contacts_data.export_to(file, stored)]
        else:
            lines = contacts_data.list_lines(contacts_data.national_contacts(), stored)
    except contacts_data.ContactFileError as exc:
        return _contacts_refused(file, action, exc)
    finally:
        await store.close()
    print("\n".join(lines))
    return EXIT_OK


def _contacts_refused(file: Path | None, action: str, exc: contacts_data.ContactFileError) -> int:
    done = "imported" if action == "import" else "written"
    print(f"{file}: nothing was {done}.", file=sys.stderr)
    print("\n".join(f"  {problem}" for problem in exc.problems), file=sys.stderr)
    return EXIT_CONFIG


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
