"""Sending to a member privately, remembering when Telegram says we cannot."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Message, MessageEntity
from telegram.error import BadRequest, Forbidden

from bot.context import BotContext

log = logging.getLogger(__name__)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): what limits and entity offsets use."""
    return len(text.encode("utf-16-le")) // 2


async def send_private(
    context: BotContext,
    user_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    entities: Sequence[MessageEntity] | None = None,
) -> bool:
    """Send a private message; False (and no retry loop) if the member cannot be reached."""
    return await deliver_private(context, user_id, text, reply_markup, entities) is not None


async def deliver_private(
    context: BotContext,
    user_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    entities: Sequence[MessageEntity] | None = None,
) -> Message | None:
    """Like send_private, but return the message sent (None if the member is unreachable)."""
    member = await context.store.members.get(user_id)
    if member is not None and not member.reachable:
        log.info("private_send_skipped reason=unreachable")
        return None
    try:
        sent = await context.bot.send_message(
            user_id, text, reply_markup=reply_markup, entities=entities
        )
    except (Forbidden, BadRequest) as exc:
        if isinstance(exc, BadRequest) and "chat not found" not in exc.message.lower():
            raise
        if member is not None:
            await context.store.members.set_reachable(user_id, False)
        log.info("private_send_failed reason=%s", type(exc).__name__)
        return None
    return sent
