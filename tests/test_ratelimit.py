"""Telegram's limits are on messages: moderation and edits never wait behind them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.ratelimit import MessageRateLimiter, sends_a_message

GROUP = -100123


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


async def spin(turns: int = 50) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def test_only_messages_wait_for_a_groups_budget() -> None:
    # One message a minute into a group, no overall limit: the second message has to wait.
    limiter = MessageRateLimiter(overall_max_rate=0, group_max_rate=1, group_time_period=60)
    await limiter.initialize()
    done: list[str] = []

    def call(endpoint: str) -> asyncio.Task[Any]:
        async def callback(*_args: Any, **_kwargs: Any) -> bool:
            done.append(endpoint)
            return True

        data = {"chat_id": GROUP, "message_id": 1}
        return asyncio.create_task(limiter.process_request(callback, (), {}, endpoint, data, None))

    first = call("sendMessage")
    moderation = [call("deleteMessage") for _ in range(5)] + [call("restrictChatMember")]
    await spin()
    assert first.done()
    assert all(task.done() for task in moderation)
    second = call("sendMessage")
    await spin()
    assert not second.done()  # the group's message budget is spent
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    assert done.count("deleteMessage") == 5
    await limiter.shutdown()
