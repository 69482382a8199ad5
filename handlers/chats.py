"""Groups the bot sits in: registered or not, renamed ids, and leaving unregistered ones."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ChatMemberHandler, MessageHandler, TypeHandler
from telegram.ext import filters as tg_filters

from bot.context import BotApplication, BotContext
from storage.chats import ChatRepository

log = logging.getLogger(__name__)
MIGRATION_GROUP = -3
GATE_GROUP = -1
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED)
LEAVE_CHECK_INTERVAL = timedelta(minutes=30)


def register(app: BotApplication) -> None:
    app.add_handler(
        MessageHandler(tg_filters.StatusUpdate.MIGRATE, on_migration), group=MIGRATION_GROUP
    )
    app.add_handler(TypeHandler(Update, gate_unregistered), group=GATE_GROUP)
    app.add_handler(ChatMemberHandler(on_bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            leave_stale_groups,
            interval=LEAVE_CHECK_INTERVAL,
            first=timedelta(minutes=1),
            name="leave-unregistered-groups",
        )


async def follow_migration(chats: ChatRepository, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: its data moves to the new id (safe to repeat)."""
    return await chats.move(old_chat_id, new_chat_id)


def stale_cutoff(now: datetime, hours: int) -> datetime:
    return now - timedelta(hours=hours)


async def on_migration(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    if await follow_migration(context.store.chats, old, new):
        log.info("chat_migrated")
    raise ApplicationHandlerStop


def _is_setup_command(update: Update) -> bool:
    message = update.message
    words = message.text.split(maxsplit=1) if message is not None and message.text else []
    return bool(words) and words[0].split("@", 1)[0].lower() == "/setup"


async def gate_unregistered(update: Update, context: BotContext) -> None:
    """In a group nobody registered, say once what is needed and otherwise stay quiet."""
    chat = update.effective_chat
    if chat is None or chat.type not in GROUP_TYPES or context.registered_chat is not None:
        return
    if update.my_chat_member is not None or _is_setup_command(update):
        return
    if update.message is not None:
        await note_unregistered_once(context, chat.id)
    raise ApplicationHandlerStop


async def note_unregistered_once(context: BotContext, chat_id: int) -> None:
    if not await context.store.chats.first_sighting(chat_id, context.clock.now()):
        return
    hours = context.settings.bot.leave_unregistered_after_hours
    text = context.t.ngettext(
        "Hello! I help peer-support groups. Before I can do anything here, an organisation "
        "admin must register this group: send /setup group REGION here (or /setup staff REGION "
        "in a facilitators' chat). If nobody registers it within {n} hour, I will leave.",
        "Hello! I help peer-support groups. Before I can do anything here, an organisation "
        "admin must register this group: send /setup group REGION here (or /setup staff REGION "
        "in a facilitators' chat). If nobody registers it within {n} hours, I will leave.",
        hours,
    )
    await context.bot.send_message(chat_id, text)


async def on_bot_membership(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type not in GROUP_TYPES:
        return
    if change.new_chat_member.status not in PRESENT:
        await context.store.chats.forget_unregistered(change.chat.id)
        log.info("bot_left_group")
        return
    if context.registered_chat is None:
        await note_unregistered_once(context, change.chat.id)


async def leave_stale_groups(context: BotContext) -> None:
    """Leave groups that stayed unregistered for too long; each instance claims its own."""
    hours = context.settings.bot.leave_unregistered_after_hours
    cutoff = stale_cutoff(context.clock.now(), hours)
    for chat_id in await context.store.chats.take_unregistered_seen_before(cutoff):
        try:
            await context.bot.leave_chat(chat_id)
        except TelegramError as exc:
            log.info("leave_unregistered_skipped reason=%s", type(exc).__name__)
            continue
        log.info("left_unregistered_group")
