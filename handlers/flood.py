"""Flood protection: too many messages too fast pauses the sender briefly (off by default)."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import MessageHandler
from telegram.ext import filters as tg_filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator, sent_as_the_group
from handlers.moderation_actions import Request
from handlers.moderation_common import Target
from handlers.moderation_performers import pause_member

# Its own group, so counting never stops a message from reaching the other features.
FLOOD_GROUP = 3


def register(app: BotApplication) -> None:
    app.add_handler(
        MessageHandler(tg_filters.ChatType.GROUPS & ~tg_filters.StatusUpdate.ALL, on_message),
        group=FLOOD_GROUP,
    )


def crossed_limit(count: int, limit: int) -> bool:
    """True exactly once per window: for the first message over the limit."""
    return count == limit + 1


async def on_message(update: Update, context: BotContext) -> None:
    group, user, message = context.registered_chat, update.effective_user, update.message
    if group is None or group.flood_messages is None or user is None or message is None:
        return
    if user.is_bot or sent_as_the_group(message):
        return
    count = await context.store.flood.count_message(
        group.chat_id, user.id, context.clock.now(), group.flood_seconds
    )
    if not crossed_limit(count, group.flood_messages):
        return
    if await is_facilitator(context, user.id, group.chat_id):
        return
    minutes = context.settings.moderation.flood_pause_minutes
    request = Request(group, context.bot.id, Target(user.id, []), context.t)
    await pause_member(context, request, timedelta(minutes=minutes), None, "flood_pause")
