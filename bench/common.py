"""Shared by the benchmarks: a deterministic world, seeded storage, and bot processes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.api import BenchApi
from storage import Store

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Community:
    """Members in groups, one meetup per group with a group message carrying RSVP buttons."""

    groups: list[int] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)  # group -> members
    newcomers: list[int] = field(default_factory=list)  # not yet in any group
    meetups: dict[int, tuple[str, int]] = field(default_factory=dict)  # group -> (id, stamp)
    buttons: dict[int, dict[str, Any]] = field(default_factory=dict)  # group -> message


def build_world(api: BenchApi, groups: int, per_group: int, newcomers: int) -> Community:
    """The same ids every time: the emulator numbers users and groups in creation order."""
    community = Community()
    languages = ("fi", "en", "sv", "fi")
    facilitator = api.add_user("Facilitator", "fi", started=True)
    for g in range(groups):
        people = [api.add_user("Member", languages[i % 4], started=True) for i in range(per_group)]
        group = api.add_group(
            f"Group {g}", members=people, admins=[facilitator], owner=facilitator
        )
        community.groups.append(group)
        community.members[group] = people
    community.newcomers = [api.add_user("Newcomer", "fi", started=True) for _ in range(newcomers)]
    return community


async def seed_store(url: str, community: Community, *, meetups: bool = True) -> None:
    """Register the groups and members (and one coming meetup per group) in storage."""
    store = await Store.open(url)
    try:
        now = datetime.now(UTC)
        await store.migrate(now)
        for group in community.groups:
            await store.chats.register(group, "peer_group", "Lappi", "fi", now)
            for user in community.members[group]:
                await store.members.mark_started(user, now)
                await store.joins.record_consent(user, group, 0, now)
            if meetups:
                await create_meetup(store, group, now + timedelta(days=30), now)
    finally:
        await store.close()


async def create_meetup(store: Store, group: int, starts: datetime, now: datetime) -> str:
    local = starts.astimezone().replace(tzinfo=None, minute=0, second=0, microsecond=0)
    meetup = await store.meetups.create(
        group,
        title="Bench meetup",
        place="Library",
        start_local=local,
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        at=now,
    )
    return meetup.meetup_id


async def post_buttons(api: BenchApi, url: str, community: Community) -> None:
    """A message with RSVP buttons in every group, as a group reminder would leave it."""
    store = await Store.open(url)
    try:
        for meetup in await store.meetups.for_chats(community.groups):
            stamp = await _first_start(meetup)
            if stamp is None:
                continue
            community.meetups[meetup.chat_id] = (meetup.meetup_id, stamp)
            keys = ("y", "m", "n")
            markup = {
                "inline_keyboard": [
                    [
                        {"text": k, "callback_data": f"rsvp:{meetup.meetup_id}:{stamp}:{k}"}
                        for k in keys
                    ]
                ]
            }
            call = await api.call(
                "sendMessage",
                {
                    "chat_id": str(meetup.chat_id),
                    "text": "Reminder",
                    "reply_markup": json.dumps(markup),
                },
            )
            community.buttons[meetup.chat_id] = call.result
    finally:
        await store.close()


async def _first_start(meetup: Any) -> int | None:
    from handlers.reminders import upcoming

    now = datetime.now(UTC)
    dates = upcoming(meetup, now, now + timedelta(days=60))
    return int(dates[0].timestamp()) if dates else None


# -- storage templates --------------------------------------------------------------------


@asynccontextmanager
async def fresh_storage(engine: str, template: str | None) -> AsyncIterator[str]:
    """A storage URL for one run: a copy of the template file or database."""
    if engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="vertaisbot-bench-")
        target = Path(folder) / "bench.db"
        if template:
            shutil.copy(template, target)
        try:
            yield f"sqlite:///{target}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"vertaisbot_bench_run_{os.getpid()}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        source = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{source}')
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def make_template(engine: str, build: Any) -> str:
    """Seed once, copy per run: returns a file path (SQLite) or a database name."""
    if engine == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="vertaisbot-tpl-")) / "template.db"
        await build(f"sqlite:///{path}")
        return str(path)
    import asyncpg

    name = f"vertaisbot_bench_tpl_{os.getpid()}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await build(POSTGRES.rsplit("/", 1)[0] + f"/{name}")
    return name


async def drop_template(engine: str, template: str) -> None:
    if engine == "sqlite":
        shutil.rmtree(Path(template).parent, ignore_errors=True)
        return
    import asyncpg

    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    finally:
        await admin.close()


# -- bot processes ------------------------------------------------------------------------


class BotProcess:
    """One bot under test in its own process; CPU time and peak RSS read from /proc."""

    def __init__(self, process: asyncio.subprocess.Process, report: str) -> None:
        self.process = process
        self.report = report
        self.ready_after = 0.0

    @classmethod
    async def start(cls, api: BenchApi, kind: str, *options: str) -> BotProcess:
        report = tempfile.mktemp(prefix="vertaisbot-order-", suffix=".json")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bots",
            kind,
            api.base_url,
            api.token,
            "--report",
            report,
            *options,
            *_profile_option(kind),
            stdout=asyncio.subprocess.PIPE,
        )
        bot = cls(process, report)
        assert process.stdout is not None
        async with asyncio.timeout(60):
            while not (line := (await process.stdout.readline()).decode()).startswith("ready"):
                if not line:
                    raise RuntimeError(f"{kind} exited before it was ready")
        bot.ready_after = float(line.split()[1])
        return bot

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def stop(self) -> dict[str, int]:
        self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        return _take_report(self.report)


def _profile_option(kind: str) -> list[str]:
    """BENCH_PROFILE=DIR profiles the PTB-based bots (much slower while it runs)."""
    folder = os.environ.get("BENCH_PROFILE")
    if not folder or kind == "aiogram":
        return []
    return ["--profile", str(Path(folder) / f"{kind}-{time.time_ns()}.prof")]


def _take_report(path: str) -> dict[str, int]:
    try:
        figures: dict[str, int] = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        figures = {}
    Path(path).unlink(missing_ok=True)
    return figures


async def wait_quiet(api: BenchApi, quiet: float = 1.0, limit: float = 900.0) -> None:
    """Until every queued update was fetched and no call came for ``quiet`` seconds."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
        if not api.world.updates and time.perf_counter() - _last_reply(api) > quiet:
            return
    raise TimeoutError("the bot did not finish in time")


def _last_reply(api: BenchApi) -> float:
    for stamp, call in zip(reversed(api.stamps), reversed(api.calls), strict=False):
        if call.method != "getUpdates":
            return stamp
    return 0.0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
