"""How long does a member wait for an answer while a large reminder round is going out?

Runs the real application against the local Bot API emulator (loopback only), sends a
round of private reminders to N subscribers at the configured pace, and meanwhile a member
presses /start once a second. Prints the reply latencies and the round's duration.

    .venv/bin/python -m bench.fanout_latency [SUBSCRIBERS] [REMINDERS_PER_SECOND]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.context import services_of
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from handlers.reminders import plan_meetup
from tests.harness import Harness, running_bot


async def prepare(bot: Harness, subscribers: int) -> int:
    group = bot.api.add_group(title="Bench group", owner=bot.api.add_user())
    now = bot.clock.now()
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", now)
    for _ in range(subscribers):
        user = bot.api.add_user(language_code="en", started=True)
        await bot.store.members.mark_started(user, now)
        await bot.store.joins.record_consent(user, group, 0, now)
        await bot.store.rsvps.subscribe(user, group, now)
    return group


async def measure(subscribers: int, per_second: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with BotApiEmulator() as api:
            clock = ManualClock(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
            settings = Settings(
                telegram={"api_base_url": api.base_url},
                storage={"url": f"sqlite:///{folder}/bench.db"},
                meetups={"reminders_per_second": per_second},
            )
            async with running_bot(settings, api, clock) as bot:
                services_of(bot.app).sleep = asyncio.sleep  # real pacing here
                await run_round(bot, await prepare(bot, subscribers), subscribers)


async def run_round(bot: Harness, group: int, subscribers: int) -> None:
    meetup = await bot.store.meetups.create(
        group,
        title="Bench meetup",
        place="Library",
        start_local=datetime(2026, 12, 3, 17, 0),
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        at=bot.clock.now(),
    )
    await plan_meetup(bot.store, services_of(bot.app).settings, meetup, bot.clock.now())
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    asker = bot.api.add_user(language_code="en", started=True)
    started = time.perf_counter()
    sending = asyncio.create_task(bot.run_job("send-due-reminders"))
    latencies: list[float] = []
    while not sending.done():
        await asyncio.sleep(1)
        before = time.perf_counter()
        await bot.private(asker, "/start")
        latencies.append(time.perf_counter() - before)
    await sending
    duration = time.perf_counter() - started
    sent = len(
        [c for c in bot.api.calls_to("sendMessage") if c.ok and c.params["chat_id"] != asker]
    )
    print(
        f"reminders: {sent} sent to {subscribers} subscribers in {duration:.1f} s "
        f"({sent / duration:.1f}/s)"
    )
    if latencies:
        print(
            f"interactive replies during the round: n={len(latencies)}, "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    pace = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    asyncio.run(measure(count, pace))
