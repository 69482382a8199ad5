"""Updates of one chat are handled in Telegram's order; different chats run in parallel."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import BotContext
from tests.harness import Harness


async def test_one_chat_in_order_different_chats_in_parallel(bot: Harness):
    events: list[str] = []
    gates = {"first": asyncio.Event(), "other": asyncio.Event()}
    entered = {name: asyncio.Event() for name in ("first", "second", "other")}

    async def record(update: Update, _context: BotContext) -> None:
        message = update.effective_message
        if message is None or message.text not in ("/first", "/second", "/other"):
            return
        name = message.text[1:]
        events.append(f"start {name}")
        entered[name].set()
        if name in gates:
            await gates[name].wait()
        events.append(f"end {name}")

    bot.app.add_handler(TypeHandler(Update, record), group=-100)
    member, someone_else = bot.api.add_user(), bot.api.add_user()
    processor = bot.app.update_processor

    async def handle(user: int, text: str) -> None:
        update = Update.de_json(bot.api.private_message(user, text), bot.app.bot)
        await processor.process_update(update, bot.app.process_update(update))

    first = asyncio.create_task(handle(member, "/first"))
    await entered["first"].wait()
    second = asyncio.create_task(handle(member, "/second"))
    other = asyncio.create_task(handle(someone_else, "/other"))
    await entered["other"].wait()  # another chat is not held up by the first one
    for _ in range(10):
        await asyncio.sleep(0)
    assert not entered["second"].is_set()  # the same chat waits its turn
    gates["other"].set()
    gates["first"].set()
    await asyncio.gather(first, second, other)
    mine = [event for event in events if not event.endswith("other")]
    assert mine == ["start first", "end first", "start second", "end second"]
