"""A reminder round: starts at a steady pace, a few sends under way at once, each sent once."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.context import services_of
from bot.emulator import ApiError
from handlers import reminders
from handlers.reminders import IN_FLIGHT, LEASE, SWEEP_JOB
from tests.bot.test_meetups import Scene, add_meetup
from tests.harness import Harness, running_bot

MEMBERS = IN_FLIGHT + 3  # more reminders due than may be under way at once


@dataclass
class Audience:
    group: int
    members: list[int]

    @property
    def everyone(self) -> list[int]:
        return [self.group, *self.members]


@pytest.fixture
async def audience(bot: Harness, admin: int) -> Audience:
    """A group's day-before reminder and those of MEMBERS subscribers, all due now."""
    host = bot.api.add_user(language_code="en", started=True)
    members = [bot.api.add_user(language_code="en", started=True) for _ in range(MEMBERS)]
    group = bot.api.add_group(members=members, admins=[host], owner=admin)
    now = bot.clock.now()
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", now)
    for user in members:  # straight into storage: fewer messages than /start and /reminders
        await bot.store.members.mark_started(user, now)
        await bot.store.rsvps.subscribe(user, group, now)
    await add_meetup(bot, Scene(group, host, members), "3.12. 17:00 | Pizza | Library")
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    bot.api.clear_calls()
    return Audience(group, members)


def reminders_received(bot: Harness) -> Counter[int]:
    """How many messages each chat got since the audience was set up: only reminders."""
    return Counter(c.params["chat_id"] for c in bot.api.calls_to("sendMessage") if c.ok)


class HeldSends:
    """The emulator's before_answer hook: holds every sendMessage open until let go."""

    def __init__(self) -> None:
        self.held: list[asyncio.Future[None]] = []
        self.most_at_once = 0
        self.letting_all_through = False
        self._arrived = asyncio.Condition()

    async def __call__(self, method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage" or self.letting_all_through:
            return
        answer = asyncio.get_running_loop().create_future()
        self.held.append(answer)
        self.most_at_once = max(self.most_at_once, len(self.held))
        async with self._arrived:
            self._arrived.notify_all()
        await answer

    async def until_held(self, count: int) -> None:
        async with asyncio.timeout(5), self._arrived:
            await self._arrived.wait_for(lambda: len(self.held) >= count)

    def let_one_go(self) -> None:
        self.held.pop(0).set_result(None)

    def let_all_go(self) -> None:
        self.letting_all_through = True
        while self.held:
            self.let_one_go()


@pytest.fixture
def held(bot: Harness) -> Iterator[HeldSends]:
    sends = HeldSends()
    bot.api.before_answer = sends
    yield sends
    sends.let_all_go()  # so that a failed test does not leave the bot waiting


async def test_sends_overlap_but_never_more_than_in_flight(
    bot: Harness, audience: Audience, held: HeldSends
):
    sweep = asyncio.create_task(bot.run_job(SWEEP_JOB))
    await held.until_held(IN_FLIGHT)
    for _ in range(MEMBERS + 1 - IN_FLIGHT):
        held.let_one_go()  # one answered: one more starts
        await held.until_held(IN_FLIGHT)
    assert not sweep.done()
    held.let_all_go()
    await sweep
    assert held.most_at_once == IN_FLIGHT
    assert reminders_received(bot) == Counter(audience.everyone)


class FakePace:
    """Monotonic seconds that move only while the round sleeps (and when it stalls)."""

    def __init__(self, stall_after: int, stall: float) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        self._stall_after, self._stall = stall_after, stall

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if len(self.waits) == self._stall_after:
            self.now += self._stall  # e.g. the event loop was busy elsewhere


async def test_starts_are_spaced_by_the_pace_even_after_a_stall(
    bot: Harness, audience: Audience, settings: Any, clock: Any
):
    pace = FakePace(stall_after=3, stall=1.0)
    # Without the rate limiter: it would pace the sends on the same fake clock as well.
    async with running_bot(settings, bot.api, clock, rate_limiter=False) as unlimited:
        services = services_of(unlimited.app)
        services.sleep, services.monotonic = pace.sleep, pace.monotonic
        await unlimited.run_job(SWEEP_JOB)
    interval = 1 / services.settings.meetups.reminders_per_second
    # The first starts at once; the stall (in the third wait) makes the next one's time
    # pass, so it goes at once, and then the pace goes on: no burst to catch up.
    expected = [0.0, interval, interval, 0.0] + [interval] * (MEMBERS - 3)
    assert pace.waits == pytest.approx(expected)
    assert reminders_received(bot) == Counter(audience.everyone)


class PauseWatch(logging.Handler):
    """Sees the round's reminders_paused warning as it is logged."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("reminders_paused"):
            self.messages.append(record.getMessage())
            self.seen.set()


@pytest.fixture
def pauses() -> Iterator[PauseWatch]:
    watch, logger = PauseWatch(), logging.getLogger("handlers.reminders")
    logger.addHandler(watch)
    yield watch
    logger.removeHandler(watch)


async def test_a_429_stops_new_starts_and_the_next_sweep_sends_the_rest(
    bot: Harness, audience: Audience, held: HeldSends, pauses: PauseWatch
):
    arrived: list[int] = []

    async def refuse_the_third(method: str, params: dict[str, Any]) -> None:
        """The third chat sent to is refused every time: PTB's retries give up, the round
        sees RetryAfter; the other sends are held open."""
        if method != "sendMessage":
            return
        if (chat := params["chat_id"]) not in arrived:
            arrived.append(chat)
        if chat in arrived[2:3]:
            raise ApiError(429, "Too Many Requests: retry after 3", {"retry_after": 3})
        await held(method, params)

    bot.api.before_answer = refuse_the_third
    sweep = asyncio.create_task(bot.run_job(SWEEP_JOB))
    await held.until_held(IN_FLIGHT - 1)
    async with asyncio.timeout(5):
        await pauses.seen.wait()
    held.let_all_go()  # those started before the 429 finish
    await sweep
    assert len(arrived) == IN_FLIGHT  # none started after the 429
    first_round = reminders_received(bot)
    assert first_round == Counter(arrived[:2] + arrived[3:])
    assert pauses.messages == ["reminders_paused retry_after=0:00:03"]

    # Their claims were handed back: the next sweep sends them without waiting out the lease.
    bot.api.before_answer = None
    await bot.run_job(SWEEP_JOB)
    assert reminders_received(bot) == Counter(audience.everyone)


async def test_one_failed_delivery_does_not_stop_the_others(
    bot: Harness, audience: Audience, caplog: pytest.LogCaptureFixture
):
    refused: list[int] = []

    async def refuse_the_first_private_send(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage" and params["chat_id"] > 0 and not refused:
            refused.append(params["chat_id"])
            raise ApiError(400, "Bad Request: something nobody expected")

    bot.api.before_answer = refuse_the_first_private_send
    await bot.run_job(SWEEP_JOB)
    assert reminders_received(bot) == Counter(set(audience.everyone) - set(refused))
    failures = [r for r in caplog.records if r.message.startswith("reminder_failed")]
    assert [(r.levelname, r.message) for r in failures] == [
        ("ERROR", "reminder_failed reason=BadRequest")  # no ids, no texts
    ]

    bot.clock.advance(LEASE + timedelta(minutes=1))  # its claim lapsed
    await bot.run_job(SWEEP_JOB)
    assert reminders_received(bot) == Counter(audience.everyone)


async def test_a_delivery_that_hangs_is_given_up_and_sent_again_later(
    bot: Harness, audience: Audience, caplog: pytest.LogCaptureFixture, monkeypatch: Any
):
    hung, never = asyncio.Event(), asyncio.get_running_loop().create_future()
    answer_of = bot.store.rsvps.get

    async def hang_once(*args: Any) -> Any:
        if not hung.is_set():
            hung.set()
            await never
        return await answer_of(*args)

    monkeypatch.setattr(bot.store.rsvps, "get", hang_once)
    others_sent, marked = asyncio.Event(), list[bool]()
    mark_sent = bot.store.reminders.mark_sent

    async def counting_mark_sent(*args: Any) -> bool:
        marked.append(await mark_sent(*args))
        if len(marked) == len(audience.everyone) - 1:
            others_sent.set()
        return marked[-1]

    monkeypatch.setattr(bot.store.reminders, "mark_sent", counting_mark_sent)
    sweep = asyncio.create_task(bot.run_job(SWEEP_JOB))
    async with asyncio.timeout(5):
        await asyncio.gather(hung.wait(), others_sent.wait())
    # Only the hung delivery is left: move the event loop's clock past its time limit.
    loop, ahead = asyncio.get_running_loop(), reminders.DELIVERY_TIMEOUT.total_seconds() + 1
    monkeypatch.setattr(loop, "time", lambda real=loop.time: real() + ahead)
    async with asyncio.timeout(5):
        await sweep  # the round ends: the hung delivery does not hold it
    failures = [r for r in caplog.records if r.message.startswith("reminder_failed")]
    assert [(r.levelname, r.message) for r in failures] == [
        ("ERROR", "reminder_failed reason=TimeoutError")
    ]
    assert failures[0].exc_info is not None  # where it hung

    bot.clock.advance(LEASE + timedelta(minutes=1))
    await bot.run_job(SWEEP_JOB)
    assert reminders_received(bot) == Counter(audience.everyone)


async def test_a_sweep_during_a_long_round_returns_quietly(bot: Harness):
    (sweep,) = bot.app.job_queue.get_jobs_by_name(SWEEP_JOB)  # type: ignore[union-attr]
    # The scheduler may start the next sweep while a round goes out (it then sees the
    # round and returns), rather than log a warning every 30 s.
    assert sweep.job.max_instances == 2
    async with bot.context().services.reminder_round:
        await bot.run_job(SWEEP_JOB)  # returns at once instead of waiting for the round
