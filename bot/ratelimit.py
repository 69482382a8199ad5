"""Telegram's sending limits, applied to what they are about: messages.

PTB's AIORateLimiter holds every call that names a chat to 30 a second, and every call into
a group to 20 a minute. Telegram's limits are on messages sent; deleting a spam message,
restricting a member or updating sign-up counts is not a message, and should not wait
behind a group's message budget while a busy group needs moderating. This limiter counts
only calls that send a message; every call still gets the 429 retries.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.ext import AIORateLimiter

NOT_A_MESSAGE = frozenset({"sendChatAction"})
MESSAGE_PREFIXES = ("send", "copyMessage", "forwardMessage")


def sends_a_message(endpoint: str) -> bool:
    return endpoint.startswith(MESSAGE_PREFIXES) and endpoint not in NOT_A_MESSAGE


class MessageRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if not sends_a_message(endpoint):
            # The chat id is what puts a call under the limits; it is only looked at here,
            # the call itself goes out with its own arguments.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
