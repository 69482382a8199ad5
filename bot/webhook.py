"""Webhook mode: Telegram posts updates to us (behind a TLS-terminating reverse proxy).

The same small HTTP server answers /healthz and /metrics. Each update is handled before
Telegram gets its 200, so an instance that dies mid-update leaves it to Telegram's retry,
and several instances can share one webhook URL and one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr
from telegram import Update

from bot.context import BotApplication, services_of
from bot.settings import Settings

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT_SECONDS = 3.0
# How long a stopping instance waits for updates it is handling.
DRAIN_SECONDS = 30.0


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


class WebhookServer:
    """Serves the webhook, /healthz and /metrics for one Application."""

    def __init__(
        self,
        app: BotApplication,
        secret: SecretStr,
        *,
        path: str,
        host: str,
        port: int,
        max_body_bytes: int,
    ) -> None:
        self._app = app
        self._secret = secret.get_secret_value().encode()
        self._path = path
        self._host, self._port = host, port
        self._max_body = max_body_bytes
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.accepting = True

    @property
    def port(self) -> int:
        """The port actually bound (useful when asked for port 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    def web_app(self) -> web.Application:
        # The body limit is ours to check (413), not aiohttp's default.
        web_app = web.Application(client_max_size=self._max_body + 1)
        web_app.router.add_post(self._path, self._on_update)
        web_app.router.add_get("/healthz", self._on_health)
        web_app.router.add_get("/metrics", self._on_metrics)
        return web_app

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.web_app(), access_log=None, shutdown_timeout=DRAIN_SECONDS
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._host, self._port)
        await self._site.start()
        log.info("webhook_listening host=%s port=%s", self._host, self.port)

    async def stop(self) -> None:
        """Stop taking updates, then wait for the ones being handled."""
        self.accepting = False
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_update(self, request: web.Request) -> web.Response:
        metrics = services_of(self._app).metrics
        given = request.headers.get(SECRET_HEADER, "").encode()
        # Constant time, so the secret cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(given, self._secret):
            metrics.webhook_rejected["secret"] += 1
            log.warning("webhook_refused reason=secret")
            return web.Response(status=403, text="forbidden")
        if request.content_length is not None and request.content_length > self._max_body:
            metrics.webhook_rejected["size"] += 1
            return web.Response(status=413, text="too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            metrics.webhook_rejected["size"] += 1
            return web.Response(status=413, text="too large")
        if len(body) > self._max_body:
            metrics.webhook_rejected["size"] += 1
            return web.Response(status=413, text="too large")
        update = self._parse(body)
        if update is None:
            metrics.webhook_rejected["json"] += 1
            log.warning("webhook_refused reason=invalid-update")
            return web.Response(status=400, text="invalid update")
        if not self.accepting or not self._app.running:
            # Stopping: Telegram sends it again, to this or another instance.
            return web.Response(status=503, text="stopping")
        processor = self._app.update_processor
        await processor.process_update(update, self._app.process_update(update))
        return web.Response(status=200)

    def _parse(self, body: bytes) -> Update | None:
        try:
            data: Any = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        try:
            return Update.de_json(data, self._app.bot)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    async def _health(self) -> dict[str, str]:
        services = services_of(self._app)
        storage = "down"
        if services.store is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                    if await services.store.health.ping():
                        storage = "ok"
        queue = self._app.job_queue
        scheduler = "ok" if queue is not None and queue.scheduler.running else "down"
        return {"storage": storage, "scheduler": scheduler}

    async def _on_health(self, _request: web.Request) -> web.Response:
        checks = await self._health()
        healthy = all(value == "ok" for value in checks.values())
        return web.json_response(checks, status=200 if healthy else 503)

    async def _on_metrics(self, _request: web.Request) -> web.Response:
        services = services_of(self._app)
        checks = await self._health()
        open_questions = None
        if checks["storage"] == "ok" and services.store is not None:
            with contextlib.suppress(Exception):
                open_questions = await services.store.health.open_questions()
        text = services.metrics.render(open_questions, all(v == "ok" for v in checks.values()))
        return web.Response(text=text, content_type="text/plain", charset="utf-8")


async def serve_webhook(
    app: BotApplication,
    settings: Settings,
    secret: SecretStr,
    stop: asyncio.Event,
    *,
    port: int | None = None,
    started: asyncio.Event | None = None,
    server_created: list[WebhookServer] | None = None,
) -> None:
    """Run until ``stop`` is set: open services, serve, register the webhook, then drain."""
    telegram = settings.telegram
    if telegram.webhook_url is None:
        raise ValueError("webhook mode needs telegram.webhook_url")
    server = WebhookServer(
        app,
        secret,
        path=webhook_path(telegram.webhook_url),
        host=telegram.listen_host,
        port=telegram.listen_port if port is None else port,
        max_body_bytes=telegram.max_body_bytes,
    )
    if server_created is not None:
        server_created.append(server)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await server.start()
        # Every instance sets the same webhook; Telegram keeps one.
        await app.bot.set_webhook(
            telegram.webhook_url,
            secret_token=secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("bot_serving mode=webhook")
        if started is not None:
            started.set()
        await stop.wait()
        log.info("bot_stopping")
        await server.stop()
        await app.stop()
    finally:
        if app.running:
            await app.stop()
        await server.stop()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await app.shutdown()


def run_webhook(app: BotApplication, settings: Settings, secret: SecretStr) -> None:
    """Serve until SIGTERM or SIGINT, then finish the updates in hand and stop."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve_webhook(app, settings, secret, stop)

    asyncio.run(main())
