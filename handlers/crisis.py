"""/crisis: help lines at once, privately, in the member's language, 112 first."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.privately import answer_privately
from handlers.start import add_deep_link
from handlers.stats import count_crisis_view

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
    await count_crisis_view(context)
    await answer_privately(
        update, context, lambda t: (crisis_text(t), None, None), deep_link="crisis"
    )


async def on_crisis_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await count_crisis_view(context)
    await send_private(context, query.from_user.id, crisis_text(context.member_t))


async def _deep_crisis(update: Update, context: BotContext, _argument: str) -> None:
    if update.effective_message is not None:
        await count_crisis_view(context)
        await update.effective_message.reply_text(crisis_text(context.t))
