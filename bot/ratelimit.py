"""Telegram's sending limits, kept by the bot itself so that it rarely hears a 429.

Telegram limits messages: about 30 a second from one bot, 20 a minute into one group.
PTB's AIORateLimiter counts every call that names a chat, so deleting a spam message or
restricting a member waits behind a busy group's message budget; its leaky buckets also
let a burst through after a quiet moment, and a burst that fills one second comes back,
shaped the same, a second later, where any jitter on the way tips it over the limit.
This limiter counts only calls that send a message, spaces them evenly at 29 a second
(one under Telegram's limit), measured again at the moment each goes out, and holds each
group to 20 in any minute. Messages sent in bulk (a reminder round) wait behind the rest,
so that a member's reply does not queue behind a round's messages. After a 429
every call waits the time Telegram asked for, then goes again (a few times at most).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

NOT_A_MESSAGE = frozenset({"sendChatAction"})
MESSAGE_PREFIXES = ("send", "copyMessage", "forwardMessage")
# One under Telegram's 30 a second, evenly spaced: a message may be a whole gap late on
# its way without two landing in Telegram's same second too many.
MESSAGES_PER_SECOND = 29
GROUP_MESSAGES_PER_MINUTE = 20
MAX_RETRIES = 3

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def sends_a_message(endpoint: str) -> bool:
    return endpoint.startswith(MESSAGE_PREFIXES) and endpoint not in NOT_A_MESSAGE


_in_bulk: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "vertaisbot_sending_in_bulk", default=False
)


@contextlib.contextmanager
def sending_in_bulk() -> Iterator[None]:
    """Messages sent inside (in this task) wait until no other message is waiting."""
    token = _in_bulk.set(True)
    try:
        yield
    finally:
        _in_bulk.reset(token)


class Turns:
    """One at a time, like a lock; when a turn ends, whoever waits without being in bulk
    goes next, each kind in arrival order."""

    def __init__(self) -> None:
        self._taken = False
        self._waiting: tuple[collections.deque[asyncio.Future[None]], ...] = (
            collections.deque(),  # not in bulk
            collections.deque(),  # in bulk
        )

    @contextlib.asynccontextmanager
    async def turn(self, bulk: bool) -> AsyncIterator[None]:
        await self._take(self._waiting[1 if bulk else 0])
        try:
            yield
        finally:
            self._pass_on()

    async def _take(self, queue: collections.deque[asyncio.Future[None]]) -> None:
        if not self._taken and not any(self._waiting):
            self._taken = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._pass_on()  # handed the turn just as it was cancelled
            elif waiter in queue:  # not yet passed over
                queue.remove(waiter)
            raise

    def _pass_on(self) -> None:
        for queue in self._waiting:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the turn stays taken, by the waiter now
                    return
        self._taken = False


class EvenPace:
    """At most ``per_second`` passes a second, at least 1/``per_second`` apart; waiters go
    in arrival order, those in bulk after the others."""

    def __init__(self, per_second: float, clock: Clock, sleep: Sleep) -> None:
        self.interval = 1 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._released = float("-inf")
        self._turns = Turns()

    async def acquire(self, bulk: bool = False) -> None:
        async with self._turns.turn(bulk):
            # Booked from the slot, not from when the sleep ended, so waking a little late
            # does not slow the pace.
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
            # A wake-up held back by a busy event loop must not go out right beside the next
            # one on time: Telegram counts them where they land, and two together tip its
            # second over. So the gap is kept at the moment of release as well.
            while (wait := self._released + self.interval - self._clock()) > 0:
                await self._sleep(wait)
            self._released = self._clock()


class SlidingWindow:
    """At most ``limit`` passes in any ``period`` seconds; waiters go in arrival order."""

    def __init__(self, limit: int, period: float, clock: Clock, sleep: Sleep) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._passes: collections.deque[float] = collections.deque()
        self._queue = asyncio.Lock()

    def idle(self) -> bool:
        self._expire(self._clock())
        return not self._passes and not self._queue.locked()

    async def acquire(self) -> None:
        async with self._queue:
            while True:
                now = self._clock()
                self._expire(now)
                if len(self._passes) < self.limit:
                    self._passes.append(now)
                    return
                await self._sleep(self._passes[0] + self.period - now)

    def _expire(self, now: float) -> None:
        while self._passes and self._passes[0] <= now - self.period:
            self._passes.popleft()


class MessageRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        max_retries: int = MAX_RETRIES,
        *,
        per_second: int = MESSAGES_PER_SECOND,
        per_group_minute: int = GROUP_MESSAGES_PER_MINUTE,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._overall = EvenPace(per_second, clock, sleep)
        self._per_group_minute = per_group_minute
        self._groups: dict[int | str, SlidingWindow] = {}
        self._paused_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        counted = chat_id is not None and sends_a_message(endpoint)
        for attempt in range(retries + 1):
            # After a 429 everyone waits first, and only then takes a place in the windows:
            # what was held back does not go out in one burst.
            await self._wait_out_pause()
            if counted:
                group = self._group_window(chat_id)
                if group is not None:
                    await group.acquire()
                await self._overall.acquire(_in_bulk.get())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                with warnings.catch_warnings():  # seconds or a timedelta, whichever PTB gives
                    warnings.simplefilter("ignore", PTBDeprecationWarning)
                    self._pause(exc.retry_after)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    async def _wait_out_pause(self) -> None:
        while (left := self._paused_until - self._clock()) > 0:
            await self._sleep(left)

    def _pause(self, retry_after: Any) -> None:
        seconds = float(
            retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after
        )
        log.warning("telegram_rate_limited retry_after=%s", seconds)
        self._paused_until = max(self._paused_until, self._clock() + seconds + 0.1)

    def _group_window(self, chat_id: Any) -> SlidingWindow | None:
        try:
            key: int | str = int(chat_id)
        except (TypeError, ValueError):
            key = str(chat_id)  # @channelusername: a channel or supergroup
        if isinstance(key, int) and key > 0:
            return None  # a private chat
        if len(self._groups) > 512:  # forget groups that have been quiet for a minute
            self._groups = {k: w for k, w in self._groups.items() if k == key or not w.idle()}
        window = self._groups.get(key)
        if window is None:
            window = SlidingWindow(self._per_group_minute, 60.0, self._clock, self._sleep)
            self._groups[key] = window
        return window
