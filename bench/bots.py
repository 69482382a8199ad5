"""The bots under test, each run as its own process so that CPU and RSS are its own.

    python -m bench.bots KIND BASE_URL TOKEN [--storage URL] [--transport httpx|aiohttp]
                         [--ordered] [--limiter] [--report FILE] [--profile FILE]

KIND: ``vertaisbot`` (the full application with its defaults, as ``vertaisbot run`` starts
it), ``ptb`` (a bare python-telegram-bot echo bot, default settings: one update at a time,
httpx) or ``aiogram`` (an aiogram 3 echo bot, default settings). They poll BASE_URL;
SIGTERM stops them. With ``--report`` the vertaisbot and ptb runners write per-chat order
figures (see OrderWatch) as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from collections.abc import Awaitable
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters


class OrderWatch:
    """Counts updates of one chat that started before the previous one of that chat ended."""

    def __init__(self) -> None:
        self.running: dict[int, int] = {}
        self.last_started: dict[int, int] = {}
        self.overlaps = 0
        self.reordered = 0
        self.updates = 0

    def wrap(self, processor: Any, ordered: bool) -> None:
        original = processor.do_process_update
        locks: dict[int, asyncio.Lock] = {}

        async def watched(update: object, coroutine: Awaitable[Any]) -> None:
            chat = _chat_of(update)
            if chat is None:
                await original(update, coroutine)
                return
            # Watch the handling itself, not the wait in front of it: vertaisbot's own
            # processor may hold an update back until its chat's previous one is done.
            watched_work = self._run(chat, update, coroutine)
            if ordered:  # what a per-chat ordered processor would do
                lock = locks.setdefault(chat, asyncio.Lock())
                async with lock:
                    await original(update, watched_work)
            else:
                await original(update, watched_work)

        processor.do_process_update = watched

    async def _run(self, chat: int, update: object, work: Awaitable[Any]) -> None:
        update_id = getattr(update, "update_id", 0)
        self.updates += 1
        if self.running.get(chat, 0):
            self.overlaps += 1
        if update_id < self.last_started.get(chat, 0):
            self.reordered += 1
        self.last_started[chat] = max(update_id, self.last_started.get(chat, 0))
        self.running[chat] = self.running.get(chat, 0) + 1
        try:
            await work
        finally:
            self.running[chat] -= 1

    def figures(self) -> dict[str, int]:
        return {"updates": self.updates, "overlaps": self.overlaps, "reordered": self.reordered}


def _chat_of(update: object) -> int | None:
    chat = getattr(update, "effective_chat", None)
    return getattr(chat, "id", None)


def transport(name: str) -> Any:
    """None: the bot's own default (httpx for bare PTB, aiohttp for vertaisbot)."""
    if name == "aiohttp":
        from bot.transport import AiohttpRequest

        return AiohttpRequest()
    if name == "httpx":
        from telegram.request import HTTPXRequest

        return HTTPXRequest(connection_pool_size=256)
    return None


def vertaisbot(args: argparse.Namespace) -> Application[Any, Any, Any, Any, Any, Any]:
    from bot.app import build_application
    from bot.settings import Settings

    settings = Settings(
        telegram={"api_base_url": args.base_url},
        storage={"url": args.storage},
        meetups={} if args.pace is None else {"reminders_per_second": args.pace},
    )
    return build_application(
        settings,
        SecretStr(args.token),
        request=transport(args.transport),
        rate_limiter=args.limiter,
    )


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query:
        await update.callback_query.answer()


def ptb_echo(args: argparse.Namespace) -> Application[Any, Any, Any, Any, Any, Any]:
    builder = Application.builder().token(args.token).base_url(args.base_url)
    request = transport(args.transport)
    if request is not None:
        builder = builder.request(request).get_updates_request(transport(args.transport))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(answer))
    return app


def run_ptb(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    if args.kind == "vertaisbot":
        from bot.cli import use_fast_event_loop

        use_fast_event_loop()  # as `vertaisbot run` does
    app = vertaisbot(args) if args.kind == "vertaisbot" else ptb_echo(args)
    if args.kind == "vertaisbot":
        from bot.cli import keep_out_of_garbage_collection

        keep_out_of_garbage_collection()
    watch = OrderWatch()
    watch.wrap(app.update_processor, args.ordered)

    opening = app.post_init

    async def ready(application: Any) -> None:
        if opening is not None:
            await opening(application)
        if args.no_planning and application.job_queue is not None:
            # B2 plans its round itself; the planner would add the 24 h reminders as well.
            for job in application.job_queue.get_jobs_by_name("plan-reminders"):
                job.schedule_removal()
        print(f"ready {time.perf_counter() - started:.3f}", flush=True)

    app.post_init = ready
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False, poll_interval=0)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    if args.report:
        with open(args.report, "w") as file:
            json.dump(watch.figures(), file)


def run_aiogram(args: argparse.Namespace) -> None:
    from aiogram import Bot, Dispatcher, types
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    started = time.perf_counter()
    root = args.base_url.removesuffix("/bot")
    session = AiohttpSession(api=TelegramAPIServer.from_base(root))
    bot = Bot(args.token, session=session)
    dp = Dispatcher()

    @dp.message()
    async def on_message(message: types.Message) -> None:
        if message.text:
            await message.reply(message.text)

    @dp.callback_query()
    async def on_button(query: types.CallbackQuery) -> None:
        await query.answer()

    @dp.startup()
    async def on_startup() -> None:
        print(f"ready {time.perf_counter() - started:.3f}", flush=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(dp.stop_polling()))
        await dp.start_polling(bot, handle_signals=False, polling_timeout=10)

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("vertaisbot", "ptb", "aiogram"))
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("--storage", default="sqlite:///bench.db")
    parser.add_argument("--transport", default="default", choices=("default", "httpx", "aiohttp"))
    parser.add_argument("--ordered", action="store_true")
    parser.add_argument("--limiter", action="store_true")
    parser.add_argument("--pace", type=float)
    parser.add_argument("--report")
    parser.add_argument("--no-planning", action="store_true")
    parser.add_argument("--profile", help="write cProfile figures of the run to this file")
    args = parser.parse_args()
    if args.kind == "aiogram":
        run_aiogram(args)
    else:
        run_ptb(args)


if __name__ == "__main__":
    main()
