"""The cached list of each group's facilitators: kept current from Telegram's own updates."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ChatMemberHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.facilitators import ADMIN_STATUSES, is_facilitator, refresh_facilitators
from bot.messaging import send_private
from handlers.moderation_common import delete_command, only_facilitators_text

log = logging.getLogger(__name__)
# Its own group: the joining handlers see the same chat_member updates.
CACHE_GROUP = 2


def register(app: BotApplication) -> None:
    app.add_handler(
        ChatMemberHandler(on_admin_change, ChatMemberHandler.CHAT_MEMBER), group=CACHE_GROUP
    )
    app.add_handler(CommandHandler("refresh", on_refresh))


async def on_admin_change(update: Update, context: BotContext) -> None:
    change = update.chat_member
    if change is None or context.registered_chat is None:
        return
    user = change.new_chat_member.user
    was_admin = change.old_chat_member.status in ADMIN_STATUSES
    is_admin = change.new_chat_member.status in ADMIN_STATUSES
    if is_admin and not was_admin and not user.is_bot:
        await context.store.facilitators.add(change.chat.id, user.id, context.clock.now())
    elif was_admin and not is_admin:
        await context.store.facilitators.remove(change.chat.id, user.id)


async def on_refresh(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None or context.registered_chat is None:
        return
    await delete_command(context, message)
    if not await is_facilitator(context, user.id, chat.id, fresh=True):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        return
    try:
        people = await refresh_facilitators(context, chat.id)
    except TelegramError as exc:
        log.info("refresh_failed reason=%s", type(exc).__name__)
        return
    await send_private(
        context,
        user.id,
        context.member_t.ngettext(
            "Updated: this group has {n} facilitator.",
            "Updated: this group has {n} facilitators.",
            len(people),
        ),
    )
