"""Per-group options a facilitator can change, and tidying Telegram's join/leave notices."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import delete_quietly, only_facilitators_text
from storage import Chat
from storage.chats import ChatRepository

log = logging.getLogger(__name__)
OPTIONS = {
    "gate": "join_gate",
    "tidy": "hide_service_messages",
    "notice": "public_warn_notice",
}
FLOOD_DEFAULT_SECONDS = 10
SWITCH = {"on": True, "off": False}
SERVICE_NOTICES = (
    tg_filters.StatusUpdate.NEW_CHAT_MEMBERS | tg_filters.StatusUpdate.LEFT_CHAT_MEMBER
)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("groupsettings", on_groupsettings))
    app.add_handler(MessageHandler(SERVICE_NOTICES, on_service_notice))


async def change_option(chats: ChatRepository, chat_id: int, args: list[str]) -> Chat | None:
    """`gate|tidy|notice on|off`, `flood N SECONDS` or `flood off`; None for anything else."""
    words = [word.lower() for word in args]
    if len(words) == 2 and words[0] in OPTIONS and words[1] in SWITCH:
        option: dict[str, Any] = {OPTIONS[words[0]]: SWITCH[words[1]]}
        return await chats.set_options(chat_id, **option)
    if words == ["flood", "off"]:
        return await chats.set_flood(chat_id, None, FLOOD_DEFAULT_SECONDS)
    if len(words) == 3 and words[0] == "flood" and words[1].isdigit() and words[2].isdigit():
        messages, seconds = int(words[1]), int(words[2])
        if 2 <= messages <= 100 and 1 <= seconds <= 3600:
            return await chats.set_flood(chat_id, messages, seconds)
    return None


def settings_text(t: Translator, chat: Chat) -> str:
    def state(value: bool) -> str:
        return t.gettext("on") if value else t.gettext("off")

    flood = (
        t.gettext(
            "{messages} messages in {seconds} seconds",
            messages=chat.flood_messages,
            seconds=chat.flood_seconds,
        )
        if chat.flood_messages
        else state(False)
    )
    return t.gettext(
        "Settings of this group:\n"
        "gate – newcomers read and agree to the rules before writing: {gate}\n"
        "tidy – remove Telegram's “joined” and “left” notices: {tidy}\n"
        "notice – a neutral line in the group when someone gets a reminder: {notice}\n"
        "flood – pause someone briefly who sends more than: {flood}\n\n"
        "Change one like this: /groupsettings gate off, or /groupsettings flood 5 10",
        gate=state(chat.join_gate),
        tidy=state(chat.hide_service_messages),
        notice=state(chat.public_warn_notice),
        flood=flood,
    )


async def on_groupsettings(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    registered = context.registered_chat
    if chat is None or user is None or message is None:
        return
    if registered is None or registered.kind != "peer_group":
        await message.reply_text(context.t.gettext("Use /groupsettings in a peer group."))
        return
    if not await is_facilitator(context, user.id, chat.id):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        return
    args = list(context.args or [])
    changed = await change_option(context.store.chats, chat.id, args) if args else registered
    if changed is None:
        await message.reply_text(settings_text(context.t, registered))
        return
    await message.reply_text(settings_text(context.t, changed))


async def on_service_notice(update: Update, context: BotContext) -> None:
    """Telegram's "X joined" notices name people; in these groups that is nobody's business."""
    message = update.effective_message
    registered = context.registered_chat
    if message is None or registered is None or not registered.hide_service_messages:
        return
    await delete_quietly(context, message)
