"""A respectful goodbye to a member who left a group, with help that stays one tap away."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.privacy import privacy_text

DATA_BUTTON = "bye:data"


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(on_data_button, pattern=f"^{DATA_BUTTON}$"))


def crisis_help(t: Translator) -> str:
    return t.gettext(
        "If you need someone to talk to, day or night: MIELI Crisis Helpline 09 2525 0111, "
        "or the Sekasin chat at sekasin247.fi (ages 12–29). In an emergency, call 112."
    )


def goodbye_text(t: Translator) -> str:
    return (
        t.gettext(
            "You left the peer group. Thank you for being part of it 💛 "
            "You are welcome back any time."
        )
        + "\n\n"
        + crisis_help(t)
    )


async def say_goodbye(context: BotContext, user_id: int, t: Translator) -> None:
    """Only to members who started the bot; silence for everyone else."""
    member = await context.store.members.get(user_id)
    if member is None or not member.reachable:
        return
    button = InlineKeyboardButton(
        t.gettext("What do you keep about me?"), callback_data=DATA_BUTTON
    )
    await send_private(context, user_id, goodbye_text(t), InlineKeyboardMarkup([[button]]))


async def on_data_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    t = context.member_t
    erase = InlineKeyboardButton(t.gettext("Erase my data"), callback_data="forget:ask")
    await send_private(
        context,
        query.from_user.id,
        privacy_text(t, context.settings),
        InlineKeyboardMarkup([[erase]]),
    )
