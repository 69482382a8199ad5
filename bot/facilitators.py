"""Who may run a group: checked in one place, with a cache that never decides a removal."""

from __future__ import annotations

from telegram import Message
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.context import BotContext

ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def is_facilitator(
    context: BotContext, user_id: int, group_id: int | None, *, fresh: bool = False
) -> bool:
    """Organisation admins everywhere; a group's Telegram administrators in that group.

    With ``fresh`` (any decision that pauses or removes someone), Telegram is asked
    directly; otherwise the cached administrator list may say yes.
    """
    if user_id in context.settings.bot.admins:
        return True
    if group_id is None:
        return False
    if not fresh and await context.store.facilitators.is_cached_facilitator(group_id, user_id):
        # Only a "yes" is trusted from the cache; demotions reach it as chat_member updates.
        return True
    return await _ask_telegram(context, user_id, group_id)


async def _ask_telegram(context: BotContext, user_id: int, group_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(group_id, user_id)
    except TelegramError:
        return False
    is_admin = member.status in ADMIN_STATUSES
    store, now = context.store.facilitators, context.clock.now()
    if is_admin:
        await store.add(group_id, user_id, now)
    else:
        await store.remove(group_id, user_id)
    return is_admin


def sent_as_the_group(message: Message) -> bool:
    """Anonymous administrators post as the group itself."""
    return message.sender_chat is not None and message.sender_chat.id == message.chat_id


async def refresh_facilitators(context: BotContext, group_id: int) -> frozenset[int]:
    """Replace the cached list with Telegram's current administrators (people only)."""
    admins = await context.bot.get_chat_administrators(group_id)
    people = frozenset(a.user.id for a in admins if not a.user.is_bot)
    await context.store.facilitators.replace(group_id, people, context.clock.now())
    return people
