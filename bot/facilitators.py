"""Who may run a group: checked in one place."""

from __future__ import annotations

from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.context import BotContext


async def is_facilitator(context: BotContext, user_id: int, group_id: int | None) -> bool:
    """Organisation admins everywhere; a group's Telegram administrators in that group.

    Asked from Telegram each time, so a permission is never decided on stale data.
    """
    if user_id in context.settings.bot.admins:
        return True
    if group_id is None:
        return False
    try:
        member = await context.bot.get_chat_member(group_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
