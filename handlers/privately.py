"""Answers that must not be seen in a group: the command vanishes, the answer comes privately."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.helpers import create_deep_linked_url

from bot.context import BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import delete_quietly

# What to send, rendered in the member's language: text, buttons, entities (may be None).
PrivateAnswer = tuple[str, InlineKeyboardMarkup | None, Sequence[MessageEntity] | None]


async def answer_privately(
    update: Update,
    context: BotContext,
    render: Callable[[Translator], PrivateAnswer],
    *,
    deep_link: str,
) -> bool:
    """Answer in the private chat; whether the member got the answer.

    In a group the command message is deleted at once. If the member cannot be reached
    privately yet, the group gets one neutral button that opens the private chat through
    the deep link ``deep_link`` and says nothing about what was asked.
    """
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE:
        text, markup, entities = render(context.t)
        await message.reply_text(text, reply_markup=markup, entities=entities)
        return True
    await delete_quietly(context, message)
    text, markup, entities = render(context.member_t)
    if await send_private(context, user.id, text, markup, entities):
        return True
    await offer_private_chat(context, chat.id, deep_link)
    return False


async def offer_private_chat(context: BotContext, chat_id: int, deep_link: str) -> None:
    """One neutral button in the group that opens the private chat."""
    url = create_deep_linked_url(context.bot.username, deep_link)
    button = InlineKeyboardButton(context.t.gettext("Open a private chat"), url=url)
    await context.bot.send_message(
        chat_id,
        context.t.gettext("You can write to me privately here:"),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


def too_long_text(t: Translator, length: int, limit: int) -> str:
    """A text the member wrote is over the limit: refused whole, never cut."""
    return t.gettext(
        "Your message is {length} characters long and the limit is {limit}, so nothing was "
        "sent or cut. Please send a shorter version – I'm waiting for it.",
        length=length,
        limit=limit,
    )
