"""Crisis words: a group's words that bring the writer the help lines privately (off by default).

Nothing is said in the group. The writer gets the help lines in their own language, and the
region's staff chat gets a link to the message: never its text, never who wrote it.

A word matches whole words and words that begin with it, case-insensitively, in any script:
"apu" matches "Apua!" and "apuun" but not "lapun". Finnish and Sámi add endings to words, so
the base form catches the inflected ones. A phrase ("en jaksa") matches with any spacing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from telegram import Message, Update
from telegram.ext import MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.crisis import crisis_text
from handlers.moderation_common import post_to_staff
from storage import Chat

log = logging.getLogger(__name__)
# Its own group: flood protection and the commands own the earlier ones.
CRISIS_GROUP = 8
KIND = "crisis words"  # the staff chat's topic (handlers.moderation_common.TOPICS)
GROUP_TEXTS = (
    filters.ChatType.GROUPS
    & filters.UpdateType.MESSAGE
    & (filters.TEXT | filters.CAPTION)
    & ~filters.COMMAND
)


def register(app: BotApplication) -> None:
    app.add_handler(MessageHandler(GROUP_TEXTS, on_group_message), group=CRISIS_GROUP)


def word_pattern(word: str) -> re.Pattern[str]:
    """The start of a word (no letter or digit before it); any ending may follow."""
    parts = [re.escape(part) for part in word.casefold().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts))


def find_crisis_word(text: str, words: Iterable[str]) -> str | None:
    """The first of ``words`` found in ``text``, or None."""
    folded = text.casefold()
    for word in words:
        if word.strip() and word_pattern(word).search(folded):
            return word
    return None


def help_for_writer(t: Translator) -> str:
    return t.gettext("Just in case, here is where you can get help. 💛") + "\n\n" + crisis_text(t)


def staff_notice(t: Translator, group: Chat, where: str, reached: bool) -> str:
    notice = t.gettext(
        "A message in the peer group of {region} has one of the group's crisis words: {where}",
        region=group.region,
        where=where,
    )
    if reached:
        told = t.gettext("I sent the writer the help lines privately.")
    else:
        told = t.gettext(
            "I could not send the writer the help lines privately: they have not started a "
            "chat with me, or they have blocked me."
        )
    return f"{notice}\n{told}"


async def on_group_message(update: Update, context: BotContext) -> None:
    message, user, group = update.message, update.effective_user, context.registered_chat
    if message is None or user is None or group is None or group.kind != "peer_group":
        return
    if not group.crisis_words or user.is_bot or message.sender_chat is not None:
        return  # off, or a bot, an anonymous administrator or a channel
    text = message.text or message.caption or ""
    if find_crisis_word(text, group.crisis_words) is None:
        return
    if await is_facilitator(context, user.id, group.chat_id):
        return  # facilitators talk about these things on purpose
    await respond(context, group, user.id, message)


async def respond(context: BotContext, group: Chat, user_id: int, message: Message) -> None:
    reached = await send_private(context, user_id, help_for_writer(context.member_t))
    link = message.link

    def render(t: Translator) -> str:
        where = link or t.gettext("message number {id}", id=message.message_id)
        return staff_notice(t, group, where, reached)

    await post_to_staff(context, group, render, kind=KIND)
    log.info("crisis_word_noticed reached=%s", reached)
