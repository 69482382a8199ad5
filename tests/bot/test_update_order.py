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


async def test_a_busy_chat_does_not_take_every_working_slot(bot: Harness):
    from bot.metrics import Metrics, TimedUpdateProcessor

    processor = TimedUpdateProcessor(2, Metrics())
    busy, quiet = bot.api.add_user(), bot.api.add_user()
    release = asyncio.Event()
    started: list[str] = []

    async def work(name: str) -> None:
        started.append(name)
        if name.startswith("busy"):
            await release.wait()

    def update_of(user: int) -> Update:
        return Update.de_json(bot.api.private_message(user, "hi"), bot.app.bot)

    tasks = [
        asyncio.create_task(processor.process_update(update_of(busy), work(f"busy {n}")))
        for n in range(5)
    ]
    tasks.append(asyncio.create_task(processor.process_update(update_of(quiet), work("quiet"))))
    for _ in range(20):
        await asyncio.sleep(0)
    # The busy chat's later updates wait for their turn without a slot, so the quiet chat
    # gets the second one.
    assert started == ["busy 0", "quiet"]
    release.set()
    await asyncio.gather(*tasks)
    assert started == ["busy 0", "quiet", "busy 1", "busy 2", "busy 3", "busy 4"]
