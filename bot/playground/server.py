"""The playground's web server: the page, its state (long-polled) and the people's actions.

It listens on 127.0.0.1 unless told otherwise and never talks to Telegram: the bot it runs
talks only to the emulator, which is on 127.0.0.1 too.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.logs import configure_logging
from bot.playground.view import snapshot
from bot.playground.world import ClockTarget, Playground

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
STATIC = Path(__file__).with_name("static")
LONG_POLL_SECONDS = 20.0
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PlaygroundServer:
    """Serves the page for one Playground on ``host:port`` (port 0: any free port)."""

    def __init__(self, playground: Playground, host: str, port: int) -> None:
        self.playground, self.host, self.port = playground, host, port
        self._runner: web.AppRunner | None = None
        self._scanned = self._bot_calls = 0

    async def start(self) -> str:
        app = web.Application(middlewares=[self._guard])
        app.add_routes(
            [
                web.get("/", self._index),
                web.static("/static", STATIC),
                web.get("/api/state", self._state),
                web.get("/api/documents/{file}", self._document),
                web.post("/api/say", self._say),
                web.post("/api/press", self._press),
                web.post("/api/join", self._join),
                web.post("/api/leave", self._leave),
                web.post("/api/clock", self._clock),
            ]
        )
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.url

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- safety: only this machine's names; actions only as JSON (no cross-site forms) --

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        name = urlsplit(f"//{request.host}").hostname
        if self.host in LOCAL_NAMES and name not in LOCAL_NAMES:
            raise web.HTTPForbidden(text="The playground answers only on this computer.")
        if request.method == "POST" and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="Send JSON.")
        return await handler(request)

    # -- the page and its state --

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    def version(self) -> str:
        """Changes when anything visible may have changed (the bot's polls do not count)."""
        calls = self.playground.api.calls
        self._bot_calls += sum(1 for c in calls[self._scanned :] if c.method != "getUpdates")
        self._scanned = len(calls)
        return f"{self.playground.changes}.{self._bot_calls}"

    async def _state(self, request: web.Request) -> web.StreamResponse:
        seen = request.query.get("seen", "")
        deadline = time.monotonic() + LONG_POLL_SECONDS
        while self.version() == seen and (left := deadline - time.monotonic()) > 0:
            await self.playground.wait_for_change(left)
        state = snapshot(self.playground)
        state.update(version=self.version(), address=self.url)
        return web.json_response(state, headers={"Cache-Control": "no-store"})

    async def _document(self, request: web.Request) -> web.StreamResponse:
        wanted = request.match_info["file"]
        for document in self.playground.api.documents:
            if document.file_unique_id == wanted:
                disposition = f"attachment; filename*=UTF-8''{quote(document.file_name)}"
                return web.Response(
                    body=document.data,
                    content_type=document.mime_type or "application/octet-stream",
                    headers={"Content-Disposition": disposition},
                )
        raise web.HTTPNotFound(text="No such document.")

    # -- actions: each answers at once; the page sees the bot's answers in the state --

    async def _say(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        reply_to = body.get("reply_to")
        return _done(
            lambda: self.playground.say(
                str(body.get("person")),
                _int(body.get("chat")),
                str(body.get("text", ""))[:4096],
                _int(reply_to) if reply_to is not None else None,
            )
        )

    async def _press(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        return _done(
            lambda: self.playground.press(
                str(body.get("person")),
                _int(body.get("chat")),
                _int(body.get("message")),
                str(body.get("data", "")),
            )
        )

    async def _join(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        return _done(lambda: self.playground.ask_to_join(str(body.get("person"))))

    async def _leave(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        return _done(lambda: self.playground.leave(str(body.get("person"))))

    async def _clock(self, request: web.Request) -> web.StreamResponse:
        target = (await _json(request)).get("to")
        if target not in get_args(ClockTarget):
            return web.json_response({"ok": False, "error": "unknown time"}, status=400)
        try:
            now = await self.playground.move_clock(cast(ClockTarget, target))
        except ValueError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "now": now.timestamp()})


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="Send a JSON object.") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="Send a JSON object.")
    return body


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a number")
    return int(value)


def _done(action: Callable[[], None]) -> web.StreamResponse:
    """Run a producer; what the emulator refuses (not a member, no such button) is a 400."""
    try:
        action()
    except ValueError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
    return web.json_response({"ok": True})


# -- running it --


def run_playground(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Run until Ctrl-C; the exit status for `vertaisbot demo` and `python -m bot.playground`."""
    configure_logging("WARNING", "text", id_key=None)
    try:
        asyncio.run(_serve(host, port))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"The playground could not listen on {host}:{port}: {reason}.", file=sys.stderr)
        print("Try another port, for example: --port 8766", file=sys.stderr)
        return 1
    return 0


async def _serve(host: str, port: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vertaisbot-playground-") as directory:
        playground = Playground(Path(directory))
        server = PlaygroundServer(playground, host, port)
        try:
            await playground.start()
            url = await server.start()
            print(f"The playground is ready: open {url} in your browser.")
            print("It runs only on this computer and never connects to Telegram.")
            if host not in LOCAL_NAMES:
                print(f"Note: it listens on {host}, so other computers may reach it.")
            print("Stop it with Ctrl-C; everything typed in it is then forgotten.")
            await _until_stopped()
        finally:
            await server.stop()
            await playground.stop()


async def _until_stopped() -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    await stopped.wait()
