"""Operational figures for Prometheus: counts and timings only, never an id or a text.

Each instance counts what it did itself; Prometheus adds the instances up.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

# Seconds; chosen around "feels instant" (under 0.1 s) up to "something is wrong".
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REMINDER_RESULTS = ("sent", "late", "skipped")
WEBHOOK_REJECTIONS = ("secret", "size", "json", "method")
# Updates held in memory at once, most of them waiting for their chat's turn (polling holds
# fewer: bot.intake).
WAITING_UPDATES = 1024


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(self.buckets, value)
        if index < len(self.counts):
            self.counts[index] += 1
        self.total += 1
        self.sum += value

    def cumulative(self) -> list[tuple[float, int]]:
        running, result = 0, []
        for bound, count in zip(self.buckets, self.counts, strict=True):
            running += count
            result.append((bound, running))
        return result


class Metrics:
    def __init__(self) -> None:
        self.updates = 0
        self.errors = 0
        self.reminders = dict.fromkeys(REMINDER_RESULTS, 0)
        self.webhook_rejected = dict.fromkeys(WEBHOOK_REJECTIONS, 0)
        self.latency = Histogram(LATENCY_BUCKETS)
        self.started = time.time()

    def count_reminder(self, result: str) -> None:
        self.reminders[result] += 1

    def render(self, questions_open: int | None, healthy: bool) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines = [
            "# HELP vertaisbot_updates_total Updates from Telegram handled by this instance.",
            "# TYPE vertaisbot_updates_total counter",
            f"vertaisbot_updates_total {self.updates}",
            "# HELP vertaisbot_errors_total Updates whose handling ended in an error.",
            "# TYPE vertaisbot_errors_total counter",
            f"vertaisbot_errors_total {self.errors}",
            "# HELP vertaisbot_reminders_total Meetup reminders by result (late: sent late).",
            "# TYPE vertaisbot_reminders_total counter",
            *(
                f'vertaisbot_reminders_total{{result="{result}"}} {count}'
                for result, count in self.reminders.items()
            ),
            "# HELP vertaisbot_webhook_rejected_total Webhook requests refused, by reason.",
            "# TYPE vertaisbot_webhook_rejected_total counter",
            *(
                f'vertaisbot_webhook_rejected_total{{reason="{reason}"}} {count}'
                for reason, count in self.webhook_rejected.items()
            ),
            "# HELP vertaisbot_update_seconds Time to handle one update.",
            "# TYPE vertaisbot_update_seconds histogram",
            *(
                f'vertaisbot_update_seconds_bucket{{le="{bound}"}} {count}'
                for bound, count in self.latency.cumulative()
            ),
            f'vertaisbot_update_seconds_bucket{{le="+Inf"}} {self.latency.total}',
            f"vertaisbot_update_seconds_sum {self.latency.sum:.6f}",
            f"vertaisbot_update_seconds_count {self.latency.total}",
            "# HELP vertaisbot_up Whether storage and the scheduler are working.",
            "# TYPE vertaisbot_up gauge",
            f"vertaisbot_up {1 if healthy else 0}",
        ]
        if questions_open is not None:
            lines += [
                "# HELP vertaisbot_questions_open Anonymous questions waiting or in progress.",
                "# TYPE vertaisbot_questions_open gauge",
                f"vertaisbot_questions_open {questions_open}",
            ]
        return "\n".join(lines) + "\n"


class TimedUpdateProcessor(SimpleUpdateProcessor):
    """Handles up to ``max_concurrent_updates`` at once, one at a time per chat, and times
    each one.

    Updates of different chats run in parallel; those of one chat keep Telegram's order,
    so a member's "agree" cannot overtake the message before it. An update waiting for its
    chat's turn does not hold a working slot: a busy group cannot starve the other chats.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        metrics: Metrics,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        # PTB's own semaphore (taken before do_process_update) only bounds waiting updates;
        # the working slots are ours, taken once it is the chat's turn.
        super().__init__(max(WAITING_UPDATES, max_concurrent_updates))
        self._working = asyncio.Semaphore(max_concurrent_updates)
        self._metrics = metrics
        self._monotonic = monotonic
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Timed from arrival, waiting included: that is how long the member waits.
        start = self._monotonic()
        try:
            key = _chat_key(update)
            if key is None:
                async with self._working:
                    await coroutine
            else:
                await self._in_chat_order(key, coroutine)
        finally:
            self._metrics.updates += 1
            self._metrics.latency.observe(self._monotonic() - start)

    async def _in_chat_order(self, key: int, coroutine: Awaitable[Any]) -> None:
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        self._chat_users[key] = self._chat_users.get(key, 0) + 1
        try:
            async with lock, self._working:  # asyncio.Lock is fair: arrival order
                await coroutine
        finally:
            self._chat_users[key] -= 1
            if not self._chat_users[key]:
                del self._chat_users[key], self._chat_locks[key]


def _chat_key(update: object) -> int | None:
    """The chat whose order an update belongs to (the person's, for inline queries)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
