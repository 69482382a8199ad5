"""Polling fetches more updates only when there is room: memory stays flat under a flood."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.emulator import BotApiEmulator
from bot.intake import InHandQueue
from bot.metrics import Metrics, TimedUpdateProcessor


async def spin(turns: int = 50) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def test_put_waits_while_the_limit_is_in_hand() -> None:
    queue = InHandQueue(limit=2)
    await queue.put("first")
    await queue.put("second")
    third = asyncio.create_task(queue.put("third"))
    await spin()
    assert not third.done()
    assert await queue.get() == "first"  # taken, but not yet handled: still in hand
    await spin()
    assert not third.done()
    queue.task_done()
    await third
    assert queue.in_hand == 2
    assert [queue.get_nowait(), queue.get_nowait()] == ["second", "third"]


async def test_a_flood_is_fetched_only_as_fast_as_it_is_handled(api: BotApiEmulator) -> None:
    gate, entered, all_done, handled = asyncio.Event(), asyncio.Event(), asyncio.Event(), []
    in_handler: list[int] = []

    async def slow(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None
        in_handler.append(update.effective_user.id)
        if len(in_handler) == 3:
            entered.set()
        await gate.wait()
        handled.append(update.effective_user.id)
        if len(handled) == 30:
            all_done.set()

    queue = InHandQueue(limit=3)
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .update_queue(queue)
        .concurrent_updates(TimedUpdateProcessor(64, Metrics()))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, slow))
    users = [api.add_user() for _ in range(30)]
    for user in users:
        api.private_message(user, "hei")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await asyncio.wait_for(entered.wait(), 5)
        await spin()
        assert len(in_handler) == 3  # the other 27 wait with the poller, not in memory
        assert queue.in_hand == 3
        gate.set()
        await asyncio.wait_for(all_done.wait(), 5)
        await app.updater.stop()
        await app.stop()
    assert sorted(handled) == sorted(users)
    assert api.pending_updates == []
