"""Per-group options a facilitator can change, and tidying Telegram's join/leave notices."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import send_private
from bot.rights import Right, is_missing_right, report_missing_right
from handlers.rules import only_facilitators_text
from storage import Chat
from storage.chats import ChatRepository

log = logging.getLogger(__name__)
OPTIONS = {"gate": "join_gate", "tidy": "hide_service_messages"}
SWITCH = {"on": True, "off": False}
SERVICE_NOTICES = (
    tg_filters.StatusUpdate.NEW_CHAT_MEMBERS | tg_filters.StatusUpdate.LEFT_CHAT_MEMBER
)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("groupsettings", on_groupsettings))
    app.add_handler(MessageHandler(SERVICE_NOTICES, on_service_notice))


async def change_option(chats: ChatRepository, chat_id: int, args: list[str]) -> Chat | None:
    """`gate on|off` or `tidy on|off`; None when the words are not one of those."""
    if len(args) != 2 or args[0].lower() not in OPTIONS or args[1].lower() not in SWITCH:
        return None
    option = {OPTIONS[args[0].lower()]: SWITCH[args[1].lower()]}
    return await chats.set_options(chat_id, **option)


def settings_text(t: Translator, chat: Chat) -> str:
    def state(value: bool) -> str:
        return t.gettext("on") if value else t.gettext("off")

    return t.gettext(
        "Settings of this group:\n"
        "gate – newcomers read and agree to the rules before writing: {gate}\n"
        "tidy – remove Telegram's “joined” and “left” notices: {tidy}\n\n"
        "Change one like this: /groupsettings gate off",
        gate=state(chat.join_gate),
        tidy=state(chat.hide_service_messages),
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
    try:
        await message.delete()
    except TelegramError as exc:
        if is_missing_right(exc):
            await report_missing_right(context, message.chat_id, Right.DELETE)
        log.info("service_notice_kept reason=%s", type(exc).__name__)
