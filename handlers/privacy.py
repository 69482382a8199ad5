"""Members' own controls: what is kept (/privacy), a copy (/mydata), erase all (/forgetme)."""

from __future__ import annotations

import json
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import delete_quietly

log = logging.getLogger(__name__)
ERASE, KEEP = "forget:yes", "forget:no"


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("privacy", on_privacy))
    app.add_handler(CommandHandler("mydata", on_mydata))
    app.add_handler(CommandHandler("forgetme", on_forgetme))
    app.add_handler(CallbackQueryHandler(on_forget_button, pattern=r"^forget:(yes|no|ask)$"))


def privacy_text(t: Translator) -> str:
    return t.gettext(
        "What I keep about you, and why:\n"
        "• your Telegram id, the language you chose (and your app's language), when you "
        "first started me and whether I can message you – to talk with you\n"
        "• which groups' rules you agreed to, and when – so you are not asked again\n"
        "• your answers to meetups and whether you want reminders – so only those who "
        "asked get them\n"
        "• reminders a facilitator gave you – they expire after 30 days\n\n"
        "I never keep your name, your username or your messages. Facilitators never see "
        "who reported a message, and the moderation log shows a code, not a name.\n\n"
        "Telegram itself sees your groups and messages; I can't change that.\n\n"
        "/mydata – a file with everything I keep about you\n"
        "/forgetme – erase all of it"
    )


def confirm_text(t: Translator) -> str:
    return t.gettext(
        "This erases everything I keep about you: your language, your agreements to the "
        "rules, your meetup answers and reminders, and the rest. It can't be undone. "
        "Your groups in Telegram stay as they are."
    )


def confirm_buttons(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("Erase everything"), callback_data=ERASE)],
            [InlineKeyboardButton(t.gettext("Cancel"), callback_data=KEEP)],
        ]
    )


async def _answer_privately(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """In a group the command disappears and the answer comes privately."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    if chat.type != ChatType.PRIVATE:
        await delete_quietly(context, message)
    await send_private(context, user.id, text, markup)


async def on_privacy(update: Update, context: BotContext) -> None:
    await _answer_privately(update, context, privacy_text(context.member_t))


async def on_forgetme(update: Update, context: BotContext) -> None:
    t = context.member_t
    await _answer_privately(update, context, confirm_text(t), confirm_buttons(t))


async def on_mydata(update: Update, context: BotContext) -> None:
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None:
        return
    if chat.type != ChatType.PRIVATE:
        await delete_quietly(context, message)
    data = await context.store.privacy.export(user.id)
    document = json.dumps(data, ensure_ascii=False, indent=2).encode()
    try:
        await context.bot.send_document(
            user.id,
            document,
            filename="my-data.json",
            caption=context.member_t.gettext("Everything I keep about you."),
        )
    except TelegramError as exc:
        log.info("export_not_sent reason=%s", type(exc).__name__)


async def on_forget_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    t = context.member_t
    await query.answer()
    if query.data == "forget:ask":
        await send_private(context, query.from_user.id, confirm_text(t), confirm_buttons(t))
        return
    if query.data == KEEP:
        await query.edit_message_text(t.gettext("Nothing was erased."))
        return
    report = await context.store.privacy.erase(query.from_user.id, context.clock.now())
    for chat_id, message_id in report.pending_welcomes:
        try:
            await context.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:
            log.info("welcome_not_deleted reason=%s", type(exc).__name__)
    log.info("member_erased")
    await query.edit_message_text(
        t.gettext(
            "Done. Everything I kept about you is erased. If you write to me again, "
            "I start from scratch."
        )
    )
