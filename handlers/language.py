"""/language: each member picks the language the bot uses with them."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot.context import BotApplication, BotContext
from bot.i18n import LANGUAGE_NAMES
from bot.settings import LANGUAGES
from handlers.moderation_common import edit_pressed
from handlers.start import add_deep_link
from storage.members import MemberRepository

PREFIX = "lang:"


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("language", on_language))
    app.add_handler(CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"))
    add_deep_link(app, "language", _deep_language)


async def choose_language(members: MemberRepository, user_id: int, code: str) -> str | None:
    """Store a member's language; None when the code is not one we speak (tampered data)."""
    if code not in LANGUAGES:
        return None
    await members.set_language(user_id, code)
    return code


def language_buttons() -> InlineKeyboardMarkup:
    # Each language is named in itself, so anyone finds their own.
    rows = [
        [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=f"{PREFIX}{code}")]
        for code in LANGUAGES
    ]
    return InlineKeyboardMarkup(rows)


async def on_language(update: Update, context: BotContext) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    if chat.type != ChatType.PRIVATE:
        url = create_deep_linked_url(context.bot.username, "language")
        button = InlineKeyboardButton(context.t.gettext("Open a private chat"), url=url)
        await message.reply_text(
            context.t.gettext("You can choose your language in a private chat with me."),
            reply_markup=InlineKeyboardMarkup([[button]]),
        )
        return
    await show_menu(context, chat.id)


async def show_menu(context: BotContext, chat_id: int) -> None:
    await context.bot.send_message(
        chat_id,
        context.t.gettext("Which language should I use with you?"),
        reply_markup=language_buttons(),
    )


async def _deep_language(update: Update, context: BotContext, _argument: str) -> None:
    if update.effective_chat is not None:
        await show_menu(context, update.effective_chat.id)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    code = query.data.removeprefix(PREFIX)
    if code == "menu":
        await query.answer()
        await show_menu(context, query.from_user.id)
        return
    chosen = await choose_language(context.store.members, query.from_user.id, code)
    if chosen is None:
        await query.answer(context.t.gettext("This button no longer works. Try /language again."))
        return
    t = context.translator(chosen)
    await query.answer()
    if query.message is not None and query.message.chat.type == ChatType.PRIVATE:
        # Each catalogue names its own language in this sentence.
        await edit_pressed(query, t.gettext("Done! From now on I will write to you in English."))
