"""/crisis: help lines at once, privately, in the member's language, 112 first."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import delete_quietly
from handlers.start import add_deep_link

CRISIS_BUTTON = "crisis:show"


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("crisis", on_crisis))
    app.add_handler(CallbackQueryHandler(on_crisis_button, pattern=f"^{CRISIS_BUTTON}$"))
    add_deep_link(app, "crisis", _deep_crisis)


def crisis_text(t: Translator) -> str:
    # National services open to everyone in Finland; 112 first, because it is for danger now.
    return t.gettext(
        "If you or someone else is in danger right now, call 112.\n\n"
        "Someone to talk to:\n"
        "• MIELI Crisis Helpline 09 2525 0111 – day and night\n"
        "• Sekasin chat for ages 12–29: sekasin247.fi\n"
        "• Nollalinja 080 005 005 – violence in close relationships, day and night\n"
        "• Victim Support Finland 116 006\n"
        "• Urgent health advice 116 117\n\n"
        "You are not alone. 💛"
    )


async def on_crisis(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    if chat.type == ChatType.PRIVATE:
        await message.reply_text(crisis_text(context.t))
        return
    await delete_quietly(context, message)  # nobody in the group needs to know
    if await send_private(context, user.id, crisis_text(context.member_t)):
        return
    # Not reachable yet: one neutral button that says nothing about what was asked.
    url = create_deep_linked_url(context.bot.username, "crisis")
    button = InlineKeyboardButton(context.t.gettext("Open a private chat"), url=url)
    await context.bot.send_message(
        chat.id,
        context.t.gettext("You can write to me privately here:"),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def on_crisis_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await send_private(context, query.from_user.id, crisis_text(context.member_t))


async def _deep_crisis(update: Update, context: BotContext, _argument: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(crisis_text(context.t))
