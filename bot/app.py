"""The composition root: one function builds the whole application from settings."""

from __future__ import annotations

import logging
import os
from typing import Any, cast

from pydantic import SecretStr
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.clock import Clock, SystemClock
from bot.commands import publish_commands
from bot.context import BotApplication, BotContext, Services, attach_services, services_of
from bot.errors import on_error
from bot.i18n import Translations
from bot.intake import InHandQueue
from bot.metrics import TimedUpdateProcessor
from bot.ratelimit import MessageRateLimiter
from bot.settings import Settings
from bot.transport import AiohttpRequest
from storage import Store

log = logging.getLogger(__name__)


def file_base_url(api_base_url: str) -> str:
    """https://host/bot -> https://host/file/bot, the way Telegram lays out file downloads."""
    root, _, _ = api_base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot"


def build_application(
    settings: Settings,
    token: SecretStr,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    rate_limiter: bool = True,
) -> BotApplication:
    """Wire settings, storage, translations and every feature into one Application."""
    # Opt in to PTB's timedelta durations now, instead of a deprecation warning per 429.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    services = Services(
        settings=settings,
        clock=clock or SystemClock(),
        translations=Translations.load(settings.bot.zone),
    )
    builder = (
        ApplicationBuilder()
        .token(token.get_secret_value())
        .base_url(settings.telegram.api_base_url)
        .base_file_url(file_base_url(settings.telegram.api_base_url))
        .context_types(ContextTypes(context=BotContext))
        .update_queue(InHandQueue())
        .concurrent_updates(
            TimedUpdateProcessor(settings.telegram.concurrent_updates, services.metrics)
        )
        .post_init(_open_services)
        .post_shutdown(_close_services)
    )
    if rate_limiter:
        # Looked up at each wait: tests swap the services' clock for one that never waits.
        limiter: Any = MessageRateLimiter(
            clock=lambda: services.monotonic(), sleep=lambda seconds: services.sleep(seconds)
        )
        builder = builder.rate_limiter(limiter)
    # aiohttp, not PTB's default httpx: httpx slows down with many requests in flight.
    builder = builder.request(request or AiohttpRequest()).get_updates_request(
        request or AiohttpRequest(connection_pool_size=1)
    )
    app = cast(BotApplication, builder.build())
    attach_services(app, services)
    handlers.register_all(app)
    app.add_error_handler(on_error)
    return app


async def open_store(settings: Settings, clock: Clock) -> Store:
    """Open storage and bring its schema up to date (several instances may do this at once)."""
    store = await Store.open(settings.storage.url)
    try:
        applied = await store.migrate(clock.now())
    except BaseException:
        await store.close()
        raise
    if applied:
        log.info("storage_migrated versions=%s", ",".join(map(str, applied)))
    return store


async def _open_services(app: Any) -> None:
    services = services_of(app)
    services.store = await open_store(services.settings, services.clock)
    services.reminder_leadership = services.store.leadership("reminders")
    await publish_commands(app.bot, services.translations, services.settings.bot.default_language)
    log.info("bot_ready")


async def _close_services(app: Any) -> None:
    services = services_of(app)
    if services.reminder_leadership is not None:
        await services.reminder_leadership.release()
        services.reminder_leadership = None
    if services.store is not None:
        await services.store.close()
        services.store = None
