"""B2: a reminder round at Telegram's limits, and B3: start-up with a large state.

    python -m bench.fanout round [--groups 200] [--per-group 50] [--pace 28] [--delay 0.05]
    python -m bench.fanout startup [--groups 200] [--per-group 50] [--meetups 10]

The round: every member subscribed, one meetup per group, its group and private reminders
due now; vertaisbot (production settings: AIORateLimiter on) sends them against a server
enforcing Telegram's limits while a member sends /start once a second.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from datetime import UTC, datetime, timedelta

from bench.api import BenchApi
from bench.common import (
    BotProcess,
    Community,
    build_world,
    create_meetup,
    fresh_storage,
    median,
    percentile,
    seed_store,
)
from handlers.reminders import upcoming
from storage import Store


async def plan_round(url: str, community: Community, meetups: int, private: bool) -> int:
    """Subscribe everyone; plan each meetup's group reminder and (first meetup) private ones."""
    store = await Store.open(url)
    planned = 0
    now = datetime.now(UTC)
    try:
        for group in community.groups:
            for user in community.members[group]:
                await store.rsvps.subscribe(user, group, now)
            for index in range(meetups):
                meetup_id = await create_meetup(
                    store, group, now + timedelta(hours=3, days=7 * index), now
                )
                meetup = await store.meetups.get(meetup_id)
                assert meetup is not None
                starts = upcoming(meetup, now, now + timedelta(days=400))[0]
                due = now if index == 0 else starts - timedelta(hours=2)
                planned += await store.reminders.plan(meetup_id, starts, "group", None, due)
                if private and index == 0:
                    for user in community.members[group]:
                        planned += await store.reminders.plan(
                            meetup_id, starts, "private", user, due
                        )
    finally:
        await store.close()
    return planned


async def fanout(args: argparse.Namespace) -> None:
    async with BenchApi(limits=True, delay=args.delay) as api:
        community = build_world(api, args.groups, args.per_group, 1)
        asker = community.newcomers[0]
        async with fresh_storage(args.engine, None) as url:
            await seed_store(url, community, meetups=False)
            expected = await plan_round(url, community, 1, True)
            due = time.perf_counter()
            bot = await BotProcess.start(
                api,
                "vertaisbot",
                "--storage",
                url,
                "--limiter",
                "--no-planning",
                "--pace",
                str(args.pace),
            )
            # The server keeps every call: a collection over all of them would stop it for
            # long enough that the messages arriving meanwhile count as one bunch.
            gc.collect()
            gc.disable()
            try:
                latencies = await _ask_while_sending(api, asker, expected)
            finally:
                gc.enable()
            rss, cpu = bot.peak_rss_mb(), bot.cpu_seconds()
            await bot.stop()
    sends = [
        (s, c)
        for s, c in api.replies()
        if c.method == "sendMessage" and c.params["chat_id"] != asker
    ]
    delivered = [(s, c) for s, c in sends if c.ok]
    chats = [c.params["chat_id"] for _, c in delivered]
    first, last = delivered[0][0], delivered[-1][0]
    replies = len(latencies)
    print(
        json.dumps(
            {
                "bench": "B2",
                "members": args.groups * args.per_group,
                "groups": args.groups,
                "pace": args.pace,
                "delay_ms": args.delay * 1000,
                "expected": expected,
                "delivered": len(delivered),
                "lost": expected - len(set(chats)),
                "doubled": len(chats) - len(set(chats)),
                "too_many_429": api.too_many(),
                "429_by_kind": _too_many_by_kind(api, asker),
                "due_to_last_s": round(last - due, 1),
                "first_to_last_s": round(last - first, 1),
                "rate_per_s": round((len(delivered) + replies) / (last - first), 2),
                "share_of_cap": round((len(delivered) + replies) / (last - first) / 30, 3),
                "reply_p50_ms": round(median(latencies) * 1000, 1),
                "reply_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                "replies": replies,
                "cpu_s": round(cpu, 1),
                "peak_rss_mb": round(rss, 1),
            }
        ),
        flush=True,
    )


def _too_many_by_kind(api: BenchApi, asker: int) -> dict[str, int]:
    """Which limit the 429s came from: private chats (about 1 a second each), groups, or
    the asking member's replies; the overall 30 a second shows in all of them."""
    kinds: dict[str, int] = {}
    for call in api.calls:
        if call.error_code != 429:
            continue
        chat = int(call.params.get("chat_id", 0))
        kind = "asker" if chat == asker else "group" if chat < 0 else "private"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


async def _ask_while_sending(api: BenchApi, asker: int, expected: int) -> list[float]:
    latencies: list[float] = []
    limit = time.perf_counter() + expected / 20 + 120
    while time.perf_counter() < limit:
        delivered = api.delivered.total() - api.delivered[asker]
        if delivered >= expected:
            break
        await asyncio.sleep(1)
        seen = api.delivered[asker]
        started = time.perf_counter()
        api.queue([api.private_message(asker, "/start")])
        try:
            async with asyncio.timeout(30):
                await api.wait_for_delivery(asker, seen + 1)
        except TimeoutError:
            pass  # counted as 30 s
        if delivered:  # only while the round is going out
            latencies.append(time.perf_counter() - started)
    return latencies


async def startup(args: argparse.Namespace) -> None:
    async with BenchApi() as api:
        community = build_world(api, args.groups, args.per_group, 0)
        async with fresh_storage(args.engine, None) as url:
            seeding = time.perf_counter()
            await seed_store(url, community, meetups=False)
            planned = await plan_round(url, community, args.meetups, True)
            seeded = time.perf_counter() - seeding
            results = []
            for _ in range(args.rounds):
                launched = time.perf_counter()
                bot = await BotProcess.start(api, "vertaisbot", "--storage", url)
                ready = time.perf_counter() - launched
                await asyncio.sleep(12)  # the first planning run (after 10 s) re-arms
                results.append((ready, bot.ready_after, bot.peak_rss_mb(), bot.cpu_seconds()))
                await bot.stop()
    for ready, inside, rss, cpu in results:
        print(
            json.dumps(
                {
                    "bench": "B3",
                    "engine": args.engine,
                    "members": args.groups * args.per_group,
                    "groups": args.groups,
                    "meetups": args.groups * args.meetups,
                    "pending_reminders": planned,
                    "seed_s": round(seeded, 1),
                    "launch_to_ready_s": round(ready, 2),
                    "ready_inside_process_s": inside,
                    "peak_rss_mb_after_first_planning": round(rss, 1),
                    "cpu_s_first_14s": round(cpu, 1),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("round", "startup"))
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--per-group", type=int, default=50)
    parser.add_argument("--meetups", type=int, default=10)
    parser.add_argument("--pace", type=float, default=28)  # the production default
    parser.add_argument("--delay", type=float, default=0.05)  # the round trip to Telegram
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    arguments = parser.parse_args()
    asyncio.run(fanout(arguments) if arguments.what == "round" else startup(arguments))
