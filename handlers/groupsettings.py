"""Per-group options a facilitator can change, and tidying Telegram's join/leave notices."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.ext import CommandHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import delete_quietly, only_facilitators_text, parse_duration
from handlers.reminders import replan_group_reminders
from storage import Chat
from storage.chats import ChatRepository

log = logging.getLogger(__name__)
OPTIONS = {
    "gate": "join_gate",
    "tidy": "hide_service_messages",
    "notice": "public_warn_notice",
}
FLOOD_DEFAULT_SECONDS = 10
MAX_REMINDER_OFFSET = timedelta(days=14)
MAX_CRISIS_WORDS = 30
MAX_CRISIS_WORD_LENGTH = 40
SWITCH = {"on": True, "off": False}
SERVICE_NOTICES = (
    tg_filters.StatusUpdate.NEW_CHAT_MEMBERS | tg_filters.StatusUpdate.LEFT_CHAT_MEMBER
)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("groupsettings", on_groupsettings))
    app.add_handler(MessageHandler(SERVICE_NOTICES, on_service_notice))


async def change_option(chats: ChatRepository, chat_id: int, args: list[str]) -> Chat | None:
    """`gate|tidy|notice on|off`, `flood N SECONDS`, `flood off`, `anon approval on|off`,
    `crisis words WORD, WORD` or `crisis words off`; None for anything else."""
    words = [word.lower() for word in args]
    if len(words) == 2 and words[0] in OPTIONS and words[1] in SWITCH:
        option: dict[str, Any] = {OPTIONS[words[0]]: SWITCH[words[1]]}
        return await chats.set_options(chat_id, **option)
    if len(words) == 3 and words[:2] == ["anon", "approval"] and words[2] in SWITCH:
        return await chats.set_options(chat_id, anon_approval=SWITCH[words[2]])
    if words[:2] == ["crisis", "words"]:
        crisis_words = parse_crisis_words(" ".join(args[2:]))
        return (
            None
            if crisis_words is None
            else await chats.set_options(chat_id, crisis_words=crisis_words)
        )
    if words and words[0] == "reminders":
        return await _set_reminders(chats, chat_id, words[1:])
    if words == ["flood", "off"]:
        return await chats.set_flood(chat_id, None, FLOOD_DEFAULT_SECONDS)
    if (
        len(words) == 3
        and words[0] == "flood"
        and _plain_number(words[1])
        and _plain_number(words[2])
    ):
        messages, seconds = int(words[1]), int(words[2])
        if 2 <= messages <= 100 and 1 <= seconds <= 3600:
            return await chats.set_flood(chat_id, messages, seconds)
    return None


async def _set_reminders(chats: ChatRepository, chat_id: int, words: list[str]) -> Chat | None:
    """`reminders 24h 2h` (up to three, within two weeks) or `reminders off`."""
    if words == ["off"]:
        return await chats.set_reminder_offsets(chat_id, [])
    offsets = [parse_duration(word) for word in words]
    if not 1 <= len(offsets) <= 3 or any(o is None or o > MAX_REMINDER_OFFSET for o in offsets):
        return None
    minutes = [int(o.total_seconds() // 60) for o in offsets if o is not None]
    return await chats.set_reminder_offsets(chat_id, minutes)


def parse_crisis_words(text: str) -> list[str] | None:
    """`WORD, WORD, …` (a word may be a phrase) or `off` (an empty list); None if unusable."""
    if text.strip().lower() == "off":
        return []
    words = [" ".join(part.split()) for part in text.split(",")]
    words = [word for word in words if word]
    if not 1 <= len(words) <= MAX_CRISIS_WORDS:
        return None
    if any(len(word) > MAX_CRISIS_WORD_LENGTH or not re.search(r"\w", word) for word in words):
        return None
    return words


def settings_text(t: Translator, chat: Chat) -> str:
    def state(value: bool) -> str:
        return t.gettext("on") if value else t.gettext("off")

    flood = (
        t.gettext(
            "{messages} messages in {seconds} seconds",
            messages=chat.flood_messages,
            seconds=chat.flood_seconds,
        )
        if chat.flood_messages
        else state(False)
    )
    return t.gettext(
        "Settings of this group:\n"
        "gate – newcomers read and agree to the rules before writing: {gate}\n"
        "tidy – remove Telegram's “joined” and “left” notices: {tidy}\n"
        "notice – a neutral line in the group when someone gets a reminder: {notice}\n"
        "flood – pause someone briefly who sends more than: {flood}\n"
        "reminders – meetup reminders in the group, before the meetup: {reminders}\n"
        "anon approval – anonymous posts wait for a facilitator's approval: {anon}\n"
        "crisis words – the help lines privately to whoever writes one: {crisis}\n\n"
        "Change one like this: /groupsettings gate off, /groupsettings flood 5 10, "
        "/groupsettings reminders 24h 2h, /groupsettings anon approval off, or "
        "/groupsettings crisis words WORD, WORD (I tell you the words privately)",
        gate=state(chat.join_gate),
        tidy=state(chat.hide_service_messages),
        notice=state(chat.public_warn_notice),
        flood=flood,
        reminders=", ".join(_offset_text(t, m) for m in chat.reminder_offsets) or state(False),
        anon=state(chat.anon_approval),
        crisis=_crisis_words_state(t, chat) or state(False),
    )


def _crisis_words_state(t: Translator, chat: Chat) -> str:
    """How many words, never which: the group sees this."""
    if not chat.crisis_words:
        return ""
    return t.ngettext("on, {n} word", "on, {n} words", len(chat.crisis_words))


def crisis_words_text(t: Translator, chat: Chat) -> str:
    """The words themselves, for the facilitator privately."""
    if not chat.crisis_words:
        return t.gettext(
            "Crisis words are off in this group. Turn them on with "
            "/groupsettings crisis words WORD, WORD, … in the group."
        )
    return t.gettext(
        "Crisis words of the group: {words}\n\n"
        "When someone writes one of them in the group, I send them the help lines privately "
        "and tell the staff chat where the message is – never what it says or who wrote it. "
        "A word also matches with an ending (help → helpless). Nothing is said in the group.\n\n"
        "Change them with /groupsettings crisis words WORD, WORD, … or turn them off with "
        "/groupsettings crisis words off.",
        words=", ".join(chat.crisis_words),
    )


def crisis_words_usage(t: Translator) -> str:
    return t.gettext(
        "Write the words after /groupsettings crisis words, separated by commas, for example: "
        "/groupsettings crisis words suicide, self-harm, I can't go on\n"
        "Up to {count} words or phrases, each at most {length} characters.",
        count=MAX_CRISIS_WORDS,
        length=MAX_CRISIS_WORD_LENGTH,
    )


def _offset_text(t: Translator, minutes: int) -> str:
    if minutes % 60:
        return t.ngettext("{n} minute", "{n} minutes", minutes)
    return t.ngettext("{n} hour", "{n} hours", minutes // 60)


async def on_groupsettings(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    registered = context.registered_chat
    if chat is None or user is None or message is None:
        return
    if registered is None or registered.kind != "peer_group":
        await message.reply_text(context.t.gettext("Use /groupsettings in a peer group."))
        return
    if not await is_facilitator(context, user.id, chat.id):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        return
    args = list(context.args or [])
    if [word.lower() for word in args[:2]] == ["crisis", "words"]:
        await change_crisis_words(context, message, registered, args)
        return
    changed = await change_option(context.store.chats, chat.id, args) if args else registered
    if changed is None:
        await message.reply_text(settings_text(context.t, registered))
        return
    if args and args[0].lower() == "reminders":
        await replan_group_reminders(context, chat.id)
    await message.reply_text(settings_text(context.t, changed))


async def change_crisis_words(
    context: BotContext, message: Message, registered: Chat, args: list[str]
) -> None:
    """The words stay between the facilitators and the bot: the group sees only how many."""
    user = message.from_user
    await delete_quietly(context, message)
    changed = await change_option(context.store.chats, registered.chat_id, args)
    if len(args) > 2 and changed is None:
        text = crisis_words_usage(context.member_t)
    else:
        text = crisis_words_text(context.member_t, changed or registered)
    if user is not None and await send_private(context, user.id, text):
        return
    await context.bot.send_message(
        registered.chat_id, settings_text(context.t, changed or registered)
    )


async def on_service_notice(update: Update, context: BotContext) -> None:
    """Telegram's "X joined" notices name people; in these groups that is nobody's business."""
    message = update.effective_message
    registered = context.registered_chat
    if message is None or registered is None or not registered.hide_service_messages:
        return
    await delete_quietly(context, message)


def _plain_number(word: str) -> bool:
    """0–9 only: str.isdigit() also accepts digits like '²' that int() refuses."""
    return word.isascii() and word.isdigit()
