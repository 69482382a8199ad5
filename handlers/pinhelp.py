"""/pinhelp: a pinned group message whose buttons open the private chat.

The buttons are links (deep links), not callbacks: they work for every member, also for one
who never wrote to the bot, and pressing one shows nothing in the group. A new /pinhelp
replaces the previous help message when it is still the group's latest pin (Telegram tells
only the latest one, and nothing about it is stored).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler
from telegram.helpers import create_deep_linked_url

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator, sent_as_the_group
from bot.i18n import Translator
from bot.messaging import send_private
from bot.rights import Right, is_missing_right, report_missing_right
from handlers.moderation_common import delete_quietly, only_facilitators_text
from storage import Chat

log = logging.getLogger(__name__)
# The private-chat features the buttons open (handlers.contacts, .questions, .crisis).
DEEP_LINKS = ("contacts", "ask", "crisis")


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("pinhelp", on_pinhelp))


def help_text(t: Translator) -> str:
    return t.gettext("Need something? Ask me privately – nobody in the group sees it. 💛")


def help_buttons(t: Translator, bot_username: str) -> InlineKeyboardMarkup:
    names = (t.gettext("Contacts"), t.gettext("Ask anonymously"), t.gettext("Crisis help"))
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(name, url=create_deep_linked_url(bot_username, link))]
            for name, link in zip(names, DEEP_LINKS, strict=True)
        ]
    )


def is_help_message(message: Message | None, bot_id: int, bot_username: str) -> bool:
    """One of ours: sent by the bot, with exactly the help buttons' links."""
    if message is None or message.from_user is None or message.from_user.id != bot_id:
        return False
    markup = message.reply_markup
    urls = {b.url for row in markup.inline_keyboard for b in row} if markup else set()
    return urls == {create_deep_linked_url(bot_username, link) for link in DEEP_LINKS}


async def on_pinhelp(update: Update, context: BotContext) -> None:
    user, message, group = update.effective_user, update.effective_message, context.registered_chat
    if user is None or message is None:
        return
    if group is None or group.kind != "peer_group":
        await message.reply_text(context.t.gettext("Use /pinhelp in a peer group."))
        return
    await delete_quietly(context, message)
    if not sent_as_the_group(message) and not await is_facilitator(
        context, user.id, group.chat_id
    ):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        return
    await pin_help(context, group)


async def pin_help(context: BotContext, group: Chat) -> None:
    """Post the help message quietly and pin it; the previous one goes when this is pinned."""
    previous = await _pinned_help(context, group.chat_id)
    try:
        sent = await context.bot.send_message(
            group.chat_id,
            help_text(context.t),
            reply_markup=help_buttons(context.t, context.bot.username),
            disable_notification=True,
        )
        await context.bot.pin_chat_message(
            group.chat_id, sent.message_id, disable_notification=True
        )
    except TelegramError as exc:
        if is_missing_right(exc):
            await report_missing_right(context, group.chat_id, Right.PIN)
        log.info("help_not_pinned reason=%s", type(exc).__name__)
        return
    await context.store.chats.clear_missing_right(group.chat_id, Right.PIN.name)
    if previous is not None:
        await _remove(context, previous)


async def _pinned_help(context: BotContext, chat_id: int) -> Message | None:
    try:
        pinned = (await context.bot.get_chat(chat_id)).pinned_message
    except TelegramError as exc:
        log.info("pinned_message_unknown reason=%s", type(exc).__name__)
        return None
    own = is_help_message(pinned, context.bot.id, context.bot.username)
    return pinned if own else None


async def _remove(context: BotContext, message: Message) -> None:
    try:
        await context.bot.unpin_chat_message(message.chat_id, message.message_id)
        await context.bot.delete_message(message.chat_id, message.message_id)
    except TelegramError as exc:  # an old message may be past deleting: unpinned is enough
        log.info("old_help_not_removed reason=%s", type(exc).__name__)
