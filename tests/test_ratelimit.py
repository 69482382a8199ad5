"""The bot keeps Telegram's message limits itself: sliding windows on messages only."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import MessageRateLimiter, Turns, sending_in_bulk, sends_a_message

GROUP = -100123


Log = list[tuple[float, str, int]]


class FakeTime:
    """A clock that moves only when someone sleeps: nothing waits for real."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # as build_application does
    return FakeTime()


def limiter_for(fake_time: FakeTime, **options: Any) -> MessageRateLimiter:
    return MessageRateLimiter(clock=fake_time.clock, sleep=fake_time.sleep, **options)


async def send(
    limiter: MessageRateLimiter,
    fake_time: FakeTime,
    endpoint: str,
    chat_id: int,
    log: Log,
    fail_first: list[int] | None = None,
) -> Any:
    async def callback(*_args: Any, **_kwargs: Any) -> bool:
        if fail_first:
            fail_first.pop()
            raise RetryAfter(timedelta(seconds=2))
        log.append((fake_time.now, endpoint, chat_id))
        return True

    return await limiter.process_request(
        callback, (), {}, endpoint, {"chat_id": chat_id, "text": "x"}, None
    )


def most_in_any_window(times: list[float], period: float) -> int:
    # Half-open windows, as Telegram's second is; the margin absorbs float rounding.
    return max(sum(1 for t in times if start <= t < start + period - 1e-9) for start in times)


@pytest.mark.parametrize(
    ("endpoint", "counted"),
    [
        ("sendMessage", True),
        ("sendPhoto", True),
        ("sendDocument", True),
        ("copyMessage", True),
        ("forwardMessages", True),
        ("sendChatAction", False),
        ("deleteMessage", False),
        ("restrictChatMember", False),
        ("editMessageText", False),
        ("answerCallbackQuery", False),
    ],
)
def test_what_counts_as_a_message(endpoint: str, counted: bool) -> None:
    assert sends_a_message(endpoint) is counted


async def test_messages_go_evenly_never_more_than_29_in_any_second(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time), Log()
    await asyncio.gather(
        *(send(limiter, fake_time, "sendMessage", 1000 + n, log) for n in range(100))
    )
    times = [t for t, _, _ in log]
    assert len(times) == 100
    assert most_in_any_window(times, 1.0) == 29
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 29)  # no bursts that could come back a second later
    assert max(times) == pytest.approx(99 / 29)  # and no more waiting than needed


async def test_a_late_wake_up_does_not_go_out_beside_the_next(fake_time: FakeTime) -> None:
    on_time, log = fake_time.sleep, Log()
    stalls = [0.05]  # the event loop is busy once, for 50 ms

    async def sleep_held_back(seconds: float) -> None:
        await on_time(seconds + (stalls.pop() if stalls else 0.0))

    limiter = MessageRateLimiter(clock=fake_time.clock, sleep=sleep_held_back)
    await asyncio.gather(
        *(send(limiter, fake_time, "sendMessage", 1000 + n, log) for n in range(40))
    )
    times = [t for t, _, _ in log]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 29 - 1e-9
    assert most_in_any_window(times, 1.0) <= 29
    assert max(times) == pytest.approx(39 / 29 + 0.05)  # the stall is not paid twice


async def test_a_reply_does_not_wait_behind_messages_sent_in_bulk(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time), Log()

    async def in_bulk(chat_id: int) -> None:
        with sending_in_bulk():
            await send(limiter, fake_time, "sendMessage", chat_id, log)

    round_ = [asyncio.create_task(in_bulk(1000 + n)) for n in range(10)]
    await asyncio.sleep(0)  # the round's messages are waiting
    await send(limiter, fake_time, "sendMessage", 7, log)
    await asyncio.gather(*round_)
    chats = [chat for _, _, chat in log]
    assert chats.index(7) <= 2  # behind at most the one whose turn it was
    assert sorted(chats) == [7, *range(1000, 1010)]
    gaps = [later - earlier for (earlier, _, _), (later, _, _) in itertools.pairwise(log)]
    assert min(gaps) == pytest.approx(1 / 29)  # still one pace for all


async def test_a_turn_passes_on_when_its_waiter_is_cancelled() -> None:
    turns, order = Turns(), list[str]()

    async def take(name: str, bulk: bool) -> None:
        async with turns.turn(bulk):
            order.append(name)
            await asyncio.sleep(0)

    async with turns.turn(bulk=False):
        first = asyncio.create_task(take("first", bulk=True))
        gone = asyncio.create_task(take("gone", bulk=False))
        last = asyncio.create_task(take("last", bulk=True))
        await asyncio.sleep(0)  # all three wait
        gone.cancel()
    await asyncio.gather(first, last)
    assert order == ["first", "last"]
    assert gone.cancelled()

    # Handed the turn and cancelled before it ran: the turn goes on to the next one.
    async with turns.turn(bulk=False):
        handed = asyncio.create_task(take("handed", bulk=False))
        after = asyncio.create_task(take("after", bulk=False))
        await asyncio.sleep(0)
    handed.cancel()  # its turn has just been handed to it
    await asyncio.wait_for(after, 1)
    assert order[-1] == "after"
    async with asyncio.timeout(1), turns.turn(bulk=True):
        pass  # free again


async def test_a_quiet_moment_does_not_save_up_a_burst(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time), Log()
    await send(limiter, fake_time, "sendMessage", 1, log)
    fake_time.now += 10.0
    await asyncio.gather(*(send(limiter, fake_time, "sendMessage", 2 + n, log) for n in range(5)))
    times = [t - 10.0 for t, _, _ in log[1:]]
    assert times == pytest.approx([n / 29 for n in range(5)])


async def test_a_group_gets_20_messages_a_minute(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time), Log()
    for _ in range(25):  # one after another: the skipped clock has one "now" for all waiters
        await send(limiter, fake_time, "sendMessage", GROUP, log)
    times = [t for t, _, _ in log]
    assert max(times[:20]) < 1.0  # only the even pace between them
    assert min(times[20:]) >= 60.0
    assert most_in_any_window(times, 60.0) == 20


async def test_moderation_never_waits_behind_the_message_budget(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time, per_second=10**9), Log()
    await asyncio.gather(*(send(limiter, fake_time, "sendMessage", GROUP, log) for _ in range(20)))
    budget_spent_at = fake_time.now
    for endpoint in ("deleteMessage", "restrictChatMember", "editMessageText"):
        await send(limiter, fake_time, endpoint, GROUP, log)
    assert fake_time.now == budget_spent_at  # none of these waited for the group's budget
    moderation = [endpoint for _, endpoint, _ in log[20:]]
    assert moderation == ["deleteMessage", "restrictChatMember", "editMessageText"]


async def test_after_a_429_everyone_waits_then_it_is_retried(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time), Log()
    unlucky = asyncio.create_task(send(limiter, fake_time, "sendMessage", 1, log, [1]))
    await asyncio.sleep(0)
    others = [send(limiter, fake_time, "deleteMessage", GROUP, log) for _ in range(3)]
    await asyncio.gather(unlucky, *others)
    assert [round(t, 1) for t, e, _ in log if e == "sendMessage"] == [2.1]
    assert len(log) == 4
    assert min(t for t, _, _ in log) == pytest.approx(2.1)  # nobody went during the pause


async def test_a_429_that_does_not_end_is_raised_after_the_retries(fake_time: FakeTime) -> None:
    limiter, log = limiter_for(fake_time, max_retries=2), Log()
    with pytest.raises(RetryAfter):
        await send(limiter, fake_time, "sendMessage", 1, log, [1, 1, 1])
    assert log == []
    assert fake_time.now == pytest.approx(4.2)  # waited out twice, then gave up
