"""B1: a realistic mix of updates through vertaisbot, paired with bare PTB and aiogram echo bots.

    python -m bench.interactive [--updates N] [--slow-updates N] [--paced-updates N]
                                [--rounds R] [--engines sqlite,postgresql] [--bots ...]

Per round and bot (each bot a fresh process, vertaisbot on a fresh copy of seeded storage):
saturation on loopback, saturation with 50 ms per Bot API call, and a paced 100 updates/s
run for latency. Prints one JSON line per run and a table of medians at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import random
import time
from typing import Any

from bench.api import BenchApi
from bench.common import (
    BotProcess,
    Community,
    build_world,
    drop_template,
    fresh_storage,
    make_template,
    median,
    percentile,
    post_buttons,
    seed_store,
    wait_quiet,
)

GROUPS, PER_GROUP, NEWCOMERS = 50, 40, 600
PRIVATE_COMMANDS = ("/start", "/help", "/meetups", "/rules", "/privacy", "/reminders")
GROUP_COMMANDS = ("/meetups", "/rules")


def make_mix(api: BenchApi, community: Community, count: int, seed: int = 7) -> list[list[Any]]:
    """Update producers (not yet run): 30 % private commands, 5 % private texts, 15 % RSVP
    presses, 40 % group messages, 5 % group commands, 5 % joins (two updates each)."""
    rng = random.Random(seed)
    newcomers = list(community.newcomers)
    plan: list[list[Any]] = []
    produced = 0
    while produced < count:
        group = rng.choice(community.groups)
        member = rng.choice(community.members[group])
        roll = rng.random()
        if roll < 0.30:
            plan.append(["private", member, rng.choice(PRIVATE_COMMANDS)])
        elif roll < 0.35:
            plan.append(["private", member, f"hello #{produced}"])
        elif roll < 0.50 and group in community.buttons:
            meetup, stamp = community.meetups[group]
            data = f"rsvp:{meetup}:{stamp}:{rng.choice('ymn')}"
            plan.append(["press", member, group, data])
        elif roll < 0.90:
            plan.append(["group", group, member, f"good morning everyone #{produced}"])
        elif roll < 0.95:
            plan.append(["group", group, member, rng.choice(GROUP_COMMANDS)])
        elif newcomers:
            plan.append(["join", group, newcomers.pop()])
            produced += 1
        else:
            continue
        produced += 1
    return plan


def produce(api: BenchApi, community: Community, step: list[Any]) -> list[dict[str, Any]]:
    kind = step[0]
    if kind == "private":
        return [api.private_message(step[1], step[2])]
    if kind == "press":
        return [api.press_button(step[1], community.buttons[step[2]], step[3])]
    if kind == "group":
        return [api.group_message(step[1], step[2], step[3])]
    return api.user_joins(step[1], step[2])


def chat_of(update: dict[str, Any]) -> int:
    for key in ("message", "chat_member", "my_chat_member"):
        if key in update:
            return int(update[key]["chat"]["id"])
    return int(update["callback_query"]["message"]["chat"]["id"])


async def drive(api: BenchApi, community: Community, plan: list[list[Any]], pace: float) -> int:
    """Queue the updates, all at once (pace 0) or ``pace`` a second; returns how many."""
    queued = 0
    started = time.perf_counter()
    for index, step in enumerate(plan):
        if pace:
            await asyncio.sleep(max(0.0, started + index / pace - time.perf_counter()))
        updates = produce(api, community, step)
        api.queue(updates)
        queued += len(updates)
    return queued


def order_violations(api: BenchApi, since: int) -> int:
    """Replies that came back out of their chat's order: echoes carry #n, buttons their id."""
    query_order = {
        u["callback_query"]["id"]: (chat_of(u), u["update_id"])
        for u in api.updates_log
        if "callback_query" in u
    }
    last: dict[int, int] = {}
    broken = 0
    for call in api.calls[since:]:
        key: tuple[int, int] | None = None
        if call.method == "answerCallbackQuery":
            key = query_order.get(call.params.get("callback_query_id"))
        elif call.method == "sendMessage" and "#" in str(call.params.get("text", "")):
            tail = str(call.params["text"]).rsplit("#", 1)[1]
            if tail.isdigit():
                key = (int(call.params["chat_id"]), int(tail))
        if key is None:
            continue
        chat, position = key
        if position < last.get(chat, -1):
            broken += 1
        last[chat] = max(position, last.get(chat, -1))
    return broken


def latencies(api: BenchApi, since: int) -> list[float]:
    """Per update: from being queued to the bot's first call about that chat."""
    pushes: dict[int, list[tuple[float, int]]] = collections.defaultdict(list)
    queries: dict[str, int] = {}
    for update in api.updates_log:
        if update["update_id"] in api.pushed:
            chat = chat_of(update)
            pushes[chat].append((api.pushed[update["update_id"]], update["update_id"]))
            if "callback_query" in update:
                queries[update["callback_query"]["id"]] = chat
    answered: dict[int, float] = {}
    for stamp, call in api.replies()[since:]:
        chat_id = call.params.get("chat_id")
        if call.method == "answerCallbackQuery":
            chat_id = queries.get(call.params.get("callback_query_id", ""))
        if not isinstance(chat_id, int):
            continue
        before = [p for p in pushes.get(chat_id, []) if p[0] <= stamp]
        if before and before[-1][1] not in answered:
            answered[before[-1][1]] = stamp - before[-1][0]
    return list(answered.values())


async def one_run(
    kind: str, options: list[str], mode: str, updates: int, storage: str | None
) -> dict[str, Any]:
    delay = 0.05 if mode == "slow" else 0.0
    async with BenchApi(delay=delay) as api:
        _log_updates(api)
        community = build_world(api, GROUPS, PER_GROUP, NEWCOMERS)
        if storage:
            await post_buttons(api, storage, community)
        else:
            await _fake_buttons(api, community)
        plan = make_mix(api, community, updates)
        extra = ["--storage", storage] if storage else []
        bot = await BotProcess.start(api, kind, *options, *extra)
        await asyncio.sleep(0.5)  # start-up calls settle
        since = len(api.calls)
        reply_since = len(api.replies())
        cpu = bot.cpu_seconds()
        server_cpu = time.process_time()
        started = time.perf_counter()
        # The server keeps every call; its own garbage collections would show up as the
        # bot's latency.
        gc.collect()
        gc.disable()
        try:
            queued = await drive(api, community, plan, 100.0 if mode == "paced" else 0.0)
            await wait_quiet(api)
        finally:
            gc.enable()
        replies = api.replies()[reply_since:]
        cpu = bot.cpu_seconds() - cpu
        server_cpu = time.process_time() - server_cpu
        rss = bot.peak_rss_mb()
        order = await bot.stop()
        first = api.first_fetch or started
        duration = (replies[-1][0] if replies else time.perf_counter()) - min(first, started)
        result = {
            "bot": kind + ("+" + "+".join(o.strip("-") for o in options) if options else ""),
            "mode": mode,
            "updates": queued,
            "calls": len(replies),
            "updates_per_s": round(queued / duration, 1),
            "cpu_ms_per_update": round(cpu * 1000 / queued, 3),
            # The benchmark's own process: the Bot API server and the update producer.
            "server_cpu_ms_per_update": round(server_cpu * 1000 / queued, 3),
            "peak_rss_mb": round(rss, 1),
            "start_s": bot.ready_after,
            "errors": sum(1 for _, c in replies if not c.ok),
            "order_broken_replies": order_violations(api, since),
            "same_chat_overlaps": order.get("overlaps"),
        }
        if mode == "paced":
            samples = latencies(api, reply_since)
            result["p50_ms"] = round(median(samples) * 1000, 2)
            result["p99_ms"] = round(percentile(samples, 0.99) * 1000, 2)
            result["latency_samples"] = len(samples)
        return result


def _log_updates(api: BenchApi) -> None:
    """Keep every produced update (the world forgets them once the bot confirms them)."""
    world = api.world
    push = world.push_update

    def logged(kind: str, payload: Any, *, deliver: bool = True) -> Any:
        update = push(kind, payload, deliver=deliver)
        api.updates_log.append(update)
        return update

    world.push_update = logged  # type: ignore[method-assign]


async def _fake_buttons(api: BenchApi, community: Community) -> None:
    """Echo bots have no storage: the same buttons with made-up meetup ids."""
    for group in community.groups:
        community.meetups[group] = (f"m{group}", 2_000_000_000)
        data = [f"rsvp:m{group}:2000000000:{k}" for k in "ymn"]
        markup = {"inline_keyboard": [[{"text": d[-1], "callback_data": d} for d in data]]}
        call = await api.call(
            "sendMessage",
            {"chat_id": str(group), "text": "Reminder", "reply_markup": json.dumps(markup)},
        )
        community.buttons[group] = call.result


async def seeded(url: str) -> None:
    async with BenchApi() as api:
        await seed_store(url, build_world(api, GROUPS, PER_GROUP, NEWCOMERS))


BOTS: dict[str, list[str]] = {
    "ptb": [],
    "aiogram": [],
    "vertaisbot": [],  # its defaults: aiohttp, 64 updates at once, each chat in order
    "vertaisbot-httpx": ["--transport", "httpx"],
    "ptb-aiohttp": ["--transport", "aiohttp"],
}


async def main(args: argparse.Namespace) -> None:
    results: list[dict[str, Any]] = []
    for engine in args.engines.split(","):
        template = await make_template(engine, seeded)
        try:
            for _round in range(args.rounds):
                for mode, count in (
                    ("loopback", args.updates),
                    ("slow", args.slow_updates),
                    ("paced", args.paced_updates),
                ):
                    if not count:
                        continue
                    for name in args.bots.split(","):
                        kind = name.split("-")[0]
                        if kind != "vertaisbot" and engine != args.engines.split(",")[0]:
                            continue  # echo bots have no storage: once is enough
                        async with fresh_storage(engine, template) as url:
                            result = await one_run(
                                kind,
                                BOTS[name],
                                mode,
                                count,
                                url if kind == "vertaisbot" else None,
                            )
                        result["bot"] = name + (f"/{engine}" if kind == "vertaisbot" else "")
                        result["round"] = _round
                        print(json.dumps(result), flush=True)
                        results.append(result)
        finally:
            await drop_template(engine, template)
    summarize(results)


def summarize(results: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
    for result in results:
        groups[(result["mode"], result["bot"])].append(result)
    keys = ("updates_per_s", "cpu_ms_per_update", "peak_rss_mb", "p50_ms", "p99_ms")
    print("\nmode | bot | " + " | ".join(keys) + " | order broken | overlaps")
    for (mode, bot), runs in sorted(groups.items()):
        cells = [str(median([r[k] for r in runs if k in r])) for k in keys]
        broken = sum(r["order_broken_replies"] for r in runs)
        overlaps = sum(r.get("same_chat_overlaps") or 0 for r in runs)
        print(f"{mode} | {bot} | " + " | ".join(cells) + f" | {broken} | {overlaps}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--slow-updates", type=int, default=2_000)
    parser.add_argument("--paced-updates", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--bots", default="ptb,aiogram,vertaisbot")
    asyncio.run(main(parser.parse_args()))
