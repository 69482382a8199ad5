"""/start with its deep links, and /help for members and facilitators, in private and groups."""

from __future__ import annotations

import re
from enum import Enum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot.context import BotApplication, BotContext, DeepLinkHandler, services_of
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import send_private

_PAYLOAD = re.compile(r"^([A-Za-z0-9_]{1,32})(?:-([A-Za-z0-9_-]{0,31}))?$")
HELP_BUTTON = "help:show"


class Audience(Enum):
    MEMBER_PRIVATE = "member-private"
    MEMBER_GROUP = "member-group"
    FACILITATOR_PRIVATE = "facilitator-private"
    FACILITATOR_GROUP = "facilitator-group"


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("help", on_help))
    app.add_handler(CallbackQueryHandler(on_help_button, pattern=f"^{HELP_BUTTON}$"))
    add_deep_link(app, "help", _deep_help)


def add_deep_link(app: BotApplication, name: str, handler: DeepLinkHandler) -> None:
    """Let a feature own the /start payloads NAME and NAME-ARGUMENT."""
    services_of(app).deep_links[name] = handler


def route_payload(payload: str, known: set[str]) -> tuple[str, str] | None:
    """Split a /start payload into (feature, argument); None if it names no feature."""
    match = _PAYLOAD.match(payload)
    if match is None or match.group(1) not in known:
        return None
    return match.group(1), match.group(2) or ""


def audience(*, in_group: bool, facilitator: bool) -> Audience:
    if facilitator:
        return Audience.FACILITATOR_GROUP if in_group else Audience.FACILITATOR_PRIVATE
    return Audience.MEMBER_GROUP if in_group else Audience.MEMBER_PRIVATE


async def on_start(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    if chat is None or update.message is None:
        return
    if chat.type != ChatType.PRIVATE:
        await on_help(update, context)
        return
    payload = context.args[0] if context.args else ""
    routed = route_payload(payload, set(context.services.deep_links))
    if routed is not None:
        name, argument = routed
        await context.services.deep_links[name](update, context, argument)
        return
    await update.message.reply_text(
        welcome_text(context.t), reply_markup=welcome_buttons(context.t)
    )


def welcome_text(t: Translator) -> str:
    return t.gettext(
        # No word of the group's theme: a lock-screen preview must not reveal it.
        "Hi, and welcome! 💛 I am the helper of your peer group.\n\n"
        "What you write to me here is private: nobody in the group sees it.\n\n"
        "Here you can choose the language I use with you, and /help tells what you can do."
    )


def welcome_buttons(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("Choose language"), callback_data="lang:menu")],
            [InlineKeyboardButton(t.gettext("What can I do here?"), callback_data=HELP_BUTTON)],
            # Handled in handlers.crisis; one tap from the very first message.
            [InlineKeyboardButton(t.gettext("Crisis help"), callback_data="crisis:show")],
        ]
    )


async def on_help(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    in_group = chat.type != ChatType.PRIVATE
    facilitator = await is_facilitator(context, user.id, chat.id if in_group else None)
    who = audience(in_group=in_group, facilitator=facilitator)
    markup = None
    if who is Audience.MEMBER_GROUP:
        url = create_deep_linked_url(context.bot.username, "help")
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(context.t.gettext("Open a private chat"), url=url)]]
        )
    await message.reply_text(help_text(context.t, who), reply_markup=markup)


async def on_help_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    if query.data != HELP_BUTTON:
        # PTB gives a press without any data to the first button handler there is: this one.
        await query.answer(context.t.gettext("This button no longer works."))
        return
    await query.answer()
    facilitator = await is_facilitator(context, update.effective_user.id, None)
    who = audience(in_group=False, facilitator=facilitator)
    await send_private(context, update.effective_user.id, help_text(context.t, who))


async def _deep_help(update: Update, context: BotContext, _argument: str) -> None:
    await on_help(update, context)


def help_text(t: Translator, who: Audience) -> str:
    member_private = t.gettext(
        "Here is what you can do with me:\n"
        "/start – the welcome message\n"
        "/rules – the rules of your group\n"
        "/meetups – coming meetups; /reminders on|off – reminders if you want them\n"
        "/language – choose the language I use with you\n"
        "/contacts – phone numbers and places that help, near you\n"
        "/ask – a question to the facilitators, anonymously if you like\n"
        "/anon – a post to your group without your name\n"
        "/crisis – help lines, day and night\n"
        "/checkins on|off – a few short questions the morning after a meetup\n"
        "/privacy, /mydata, /forgetme – what I keep about you, a copy, erase it\n"
        "/help – this list\n\n"
        "Everything here stays between you and me."
    )
    if who is Audience.MEMBER_PRIVATE:
        return member_private
    if who is Audience.MEMBER_GROUP:
        return t.gettext(
            "I am this group's helper. Write to me in a private chat: there you can choose your "
            "language and see what I can do. Nobody in the group sees it."
        )
    facilitator = t.gettext(
        "For facilitators:\n"
        "/setup group REGION – register this group as a peer group of the region "
        "(organisation admins only)\n"
        "/setup staff REGION – register this chat as the region's staff chat\n"
        "/setup – show how this chat is registered\n"
        "/setrules – change the group's rules (group administrators)\n"
        "/groupsettings – joining gate, join notices, reminder notice, flood protection, "
        "anonymous posts, crisis words\n"
        "/pinhelp – pin a message whose buttons open help privately\n\n"
        "Reply to a member's message with:\n"
        "/warn [reason] – a private reminder of the rules\n"
        "/pause [30m|2h|1d|1w] [reason] – no posting for a while; /unpause lifts it\n"
        "/remove [duration] [reason] – remove from the group; /unremove lets back\n"
        "/del – delete the message; /warns, /unwarn – count or remove warnings\n"
        "/refresh – update the list of facilitators\n"
        "In the staff chat: /modlog [N] – recent actions, with undo\n\n"
        "Meetups:\n"
        "/meetup add 3.12. 17:00 | Name | Place | https://link – add (a preview comes first)\n"
        "/meetup add weekly tue 17:00 | Name – a series\n"
        "/meetup edit CODE when|title|place|link|notes VALUE, /meetup cancel CODE [date]\n\n"
        "Questions and contacts (staff chat or private):\n"
        "Reply to a question to answer it, or /answer N text\n"
        "/contact list|add|edit|remove – your region's contacts\n"
        "/stats [groups] [months] – anonymous figures of your region\n"
        "/blocks, /unblock CODE – blocked askers (organisation admins)"
    )
    if who is Audience.FACILITATOR_PRIVATE:
        return f"{member_private}\n\n{facilitator}"
    return facilitator
