"""Drive the real Application against the emulator and read what the bot sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr
from telegram import Update

from bot.app import build_application
from bot.clock import ManualClock
from bot.context import BotApplication, BotContext, services_of
from bot.emulator import BotApiEmulator
from bot.i18n import Translator
from bot.settings import Settings
from storage import Store


class Harness:
    def __init__(
        self,
        app: BotApplication,
        api: BotApiEmulator,
        clock: ManualClock,
        skipped_time: SkippedTime | None = None,
    ) -> None:
        self.skipped_time = skipped_time or SkippedTime()
        self.app, self.api, self.clock = app, api, clock
        self.delivered: set[int] = set()

    @property
    def store(self) -> Store:
        store = services_of(self.app).store
        assert store is not None
        return store

    def translations(self, language: str) -> Translator:
        return services_of(self.app).translations(language)

    async def deliver(self, update: dict[str, Any]) -> None:
        """Process one update to the end, exactly as polling or a webhook would."""
        self.delivered.add(update["update_id"])
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def deliver_all(self, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            await self.deliver(update)

    async def flush(self) -> None:
        """Deliver what Telegram queued because of the bot's own actions (e.g. an approval)."""
        while pending := [
            u for u in self.api.pending_updates if u["update_id"] not in self.delivered
        ]:
            await self.deliver_all(pending)

    async def private(self, user_id: int, text: str) -> None:
        await self.deliver(self.api.private_message(user_id, text))

    async def group(self, chat_id: int, user_id: int, text: str) -> None:
        await self.deliver(self.api.group_message(chat_id, user_id, text))

    async def press(self, user_id: int, message: dict[str, Any], data: str) -> None:
        await self.deliver(self.api.press_button(user_id, message, data))

    async def run_job(self, name: str) -> None:
        assert self.app.job_queue is not None
        (job,) = self.app.job_queue.get_jobs_by_name(name)
        await job.run(self.app)

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.api.sent_messages(chat_id)]

    def last(self, chat_id: int) -> dict[str, Any]:
        messages = self.api.sent_messages(chat_id)
        assert messages, f"the bot sent nothing to chat {chat_id}"
        return messages[-1]

    def buttons(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def context(self) -> BotContext:
        return BotContext(self.app)

    def calls_into(self, *chat_ids: int) -> list[str]:
        """Every Bot API call that puts something into these chats (get* calls only read),
        with its answer, as text: for asserting what never appears there."""
        return [
            f"{call.method} {call.params} {call.result}"
            for call in self.api.calls
            if call.params.get("chat_id") in chat_ids and not call.method.startswith("get")
        ]

    def answers(self) -> list[str]:
        """The texts of the bot's answers to button presses, in order ("" for a silent one)."""
        return [call.params.get("text", "") for call in self.api.calls_to("answerCallbackQuery")]

    def set_username(self, user_id: int, username: str | None) -> None:
        """Give an emulated user a Telegram @username (add_user makes users without one)."""
        self.api.world.user(user_id).username = username


class SkippedTime:
    """The monotonic time the bot paces itself by (reminder rounds, Telegram's limits): in
    tests a wait moves it on at once, so the order is kept and nothing waits for real."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@asynccontextmanager
async def running_bot(
    settings: Settings, api: BotApiEmulator, clock: ManualClock, *, rate_limiter: bool = True
) -> AsyncIterator[Harness]:
    app = build_application(settings, SecretStr(api.token), clock=clock, rate_limiter=rate_limiter)
    skipped = SkippedTime()
    services_of(app).sleep, services_of(app).monotonic = skipped.sleep, skipped.monotonic
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield Harness(app, api, clock, skipped)
    finally:
        await app.stop()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await app.shutdown()
