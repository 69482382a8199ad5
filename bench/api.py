"""The benchmark Bot API server: the test emulator, plus timing, limits and a network delay.

It runs inside the benchmark's own process; every bot under test is a separate process that
reaches it over HTTP on 127.0.0.1, exactly as it would reach Telegram.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Mapping
from typing import Any

from bot.emulator import ApiCall, BotApiEmulator, UploadedFile
from bot.emulator.httpserver import HttpRequest, HttpResponse
from bot.emulator.model import ApiError

SENDS = frozenset({"sendMessage", "sendDocument"})
PRIVATE_BURST, PRIVATE_WINDOW = 3, 3.0  # about one a second into one private chat


class NoLimits:
    def check(self, _chat: object) -> None:
        """Saturation runs measure the bot, not Telegram's limits."""


class BenchApi(BotApiEmulator):
    """Records when each call arrived; optionally waits ``delay`` seconds before answering
    (a stand-in for the round trip to Telegram) and enforces Telegram's limits: 30 messages
    a second overall, 20 a minute into one group, about one a second into one private chat.
    """

    def __init__(self, *, delay: float = 0.0, limits: bool = False) -> None:
        super().__init__()
        self.delay = delay
        self.limits = limits
        if not limits:
            self.methods.rate = NoLimits()  # type: ignore[assignment]
        self.stamps: list[float] = []  # arrival time of calls[i]
        self.pushed: dict[int, float] = {}  # update id -> time it was queued
        self.first_fetch: float | None = None
        self.updates_log: list[dict[str, Any]] = []  # every update produced, for analysis
        self._private: dict[int, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self.delivered: collections.Counter[int] = collections.Counter()  # per chat id
        self.sent = asyncio.Event()

    async def __aenter__(self) -> BenchApi:
        await self.start()
        return self

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        # Counted (and limited) when it arrives, as Telegram does; the answer then takes
        # the round trip. Delaying before counting would let this process's own timer
        # jitter bunch messages up and trip the limits the bot kept to.
        response = await super()._handle(request)
        if self.delay and not request.path.endswith("/getUpdates"):
            await asyncio.sleep(self.delay)
        return response

    async def call(
        self,
        method: str,
        form: Mapping[str, str],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> ApiCall:
        if self.limits and method in SENDS and not self._private_allows(form.get("chat_id")):
            return self._record(method, dict(form), _too_many(1))
        call = await super().call(method, form, files)
        if method == "getUpdates" and call.result and self.first_fetch is None:
            self.first_fetch = time.perf_counter()
        return call

    def _record(self, *args: Any, **kwargs: Any) -> ApiCall:
        if len(self.stamps) < len(self.calls) + 1:
            self.stamps.append(time.perf_counter())
        call = super()._record(*args, **kwargs)
        if call.ok and call.method in SENDS:
            self.delivered[int(call.params.get("chat_id", 0))] += 1
            self.sent.set()
        return call

    async def wait_for_delivery(self, chat_id: int, count: int) -> None:
        """Until ``count`` messages have been delivered into ``chat_id`` (cheap to poll)."""
        while self.delivered[chat_id] < count:
            self.sent.clear()
            await self.sent.wait()

    def _private_allows(self, chat_id: str | None) -> bool:
        if chat_id is None or not chat_id.lstrip("-").isdigit() or int(chat_id) < 0:
            return True
        now = time.perf_counter()
        window = self._private[int(chat_id)]
        while window and window[0] <= now - PRIVATE_WINDOW:
            window.popleft()
        if len(window) >= PRIVATE_BURST:
            return False
        window.append(now)
        return True

    def queue(self, updates: list[dict[str, Any]]) -> None:
        """Note when updates the world just produced became available to the bot."""
        now = time.perf_counter()
        for update in updates:
            self.pushed.setdefault(update["update_id"], now)

    def replies(self) -> list[tuple[float, ApiCall]]:
        """Every call except polling, with its arrival time."""
        return [
            (stamp, call)
            for stamp, call in zip(self.stamps, self.calls, strict=True)
            if call.method != "getUpdates"
        ]

    def too_many(self) -> int:
        return sum(1 for call in self.calls if call.error_code == 429)


def _too_many(seconds: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
