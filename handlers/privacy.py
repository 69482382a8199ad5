"""Members' own controls: what is kept (/privacy), a copy (/mydata), erase all (/forgetme)."""

from __future__ import annotations

import json
import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from bot.settings import Settings
from handlers.moderation_common import delete_quietly
from storage import ErasureReport

log = logging.getLogger(__name__)
ERASE, KEEP, ASK = "forget:yes", "forget:no", "forget:ask"


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("privacy", on_privacy))
    app.add_handler(CommandHandler("mydata", on_mydata))
    app.add_handler(CommandHandler("forgetme", on_forgetme))
    app.add_handler(CallbackQueryHandler(on_forget_button, pattern=r"^forget:(yes|no|ask)\Z"))


def privacy_text(t: Translator, settings: Settings) -> str:
    return t.gettext(
        "What I keep about you, and why:\n"
        "• your Telegram id, the language you chose (and your app's language), when you "
        "first started me, the day you last used me and whether I can message you – to "
        "talk with you\n"
        "• which groups' rules you agreed to, and when – so you are not asked again\n"
        "• your answers to meetups and whether you want reminders – so only those who "
        "asked get them\n"
        "• reminders of the rules a facilitator gave you – they expire after "
        "{warning_days} days\n"
        "• the region you chose for contacts – to show you the right ones\n"
        "• your anonymous questions and posts, with the answers – facilitators see your "
        "name only if you choose so; the texts and the link to you are erased "
        "{question_days} days after a question is closed\n\n"
        "If you have left all groups and not used me for {inactive_days} days, I erase "
        "everything about you. The moderation log shows a code, not a name, and is "
        "erased after {audit_days} days.\n\n"
        "I never keep your name, your username or your messages in the groups. "
        "Facilitators never see who reported a message.\n\n"
        "Telegram itself sees your groups and messages; I can't change that.\n\n"
        "/mydata – a file with everything I keep about you\n"
        "/forgetme – erase all of it",
        warning_days=settings.moderation.warning_expiry_days,
        question_days=settings.asking.retention_days,
        inactive_days=settings.privacy.inactive_member_days,
        audit_days=settings.privacy.audit_log_days,
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
    await _answer_privately(update, context, privacy_text(context.member_t, context.settings))


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
    if query is None or query.data not in (ERASE, KEEP, ASK):
        return
    t = context.member_t
    await query.answer()
    if query.data == ASK:
        await send_private(context, query.from_user.id, confirm_text(t), confirm_buttons(t))
        return
    if query.data == KEEP:
        await _edit_once(query, t.gettext("Nothing was erased."))
        return
    report = await context.store.privacy.erase(query.from_user.id, context.clock.now())
    await clear_traces(context, report)
    log.info("member_erased")
    await _edit_once(
        query,
        t.gettext(
            "Done. Everything I kept about you is erased. If you write to me again, "
            "I start from scratch."
        ),
    )


async def _edit_once(query: CallbackQuery, text: str) -> None:
    """A second tap on the same button finds the text already there: nothing to change."""
    try:
        await query.edit_message_text(text)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def clear_traces(context: BotContext, report: ErasureReport) -> None:
    """After an erasure: remove what the bot left in Telegram about the member, and tell the
    facilitators that open questions were withdrawn (without saying more)."""
    for chat_id, message_id in [*report.pending_welcomes, *report.published_posts]:
        try:
            await context.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:
            log.info("message_not_deleted reason=%s", type(exc).__name__)
    for staff_chat_id, message_id in report.withdrawn_posts:
        staff = await context.store.chats.get(staff_chat_id)
        t = context.translator(staff.language if staff else None)
        try:
            await context.bot.edit_message_text(
                t.gettext("This anonymous post was withdrawn."),
                chat_id=staff_chat_id,
                message_id=message_id,
            )
        except TelegramError as exc:
            log.info("withdrawn_post_not_edited reason=%s", type(exc).__name__)
    for question in report.withdrawn_questions:
        if question.staff_chat_id is None:
            continue
        staff = await context.store.chats.get(question.staff_chat_id)
        t = context.translator(staff.language if staff else None)
        try:
            await context.bot.send_message(
                question.staff_chat_id,
                t.gettext(
                    "Question #{number} was withdrawn: the person who asked it erased their "
                    "data. It is closed.",
                    number=question.number,
                ),
                message_thread_id=question.staff_thread_id or None,
            )
        except TelegramError as exc:
            log.info("withdrawal_not_told reason=%s", type(exc).__name__)
