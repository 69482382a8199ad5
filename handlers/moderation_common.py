"""What every facilitator command shares: durations, targets, quiet deletes, the staff chat."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.facilitators import is_facilitator, sent_as_the_group
from bot.i18n import N_, Translator
from bot.messaging import send_private
from bot.rights import Right, is_missing_right, report_missing_right
from storage import Chat, Store

log = logging.getLogger(__name__)
_DURATION = re.compile(r"^(\d{1,4})(m|min|h|d|w)$", re.IGNORECASE)
_ID = re.compile(r"-?[0-9]{1,19}")
MAX_ID = 2**63 - 1  # what a BIGINT column holds; Telegram's ids are much smaller
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
# Telegram treats restrictions longer than 366 days as forever; we refuse instead.
MAX_DURATION = timedelta(days=366)


@dataclass(frozen=True)
class FacilitatorPress:
    """A facilitator pressed ACTION on a preview of DRAFT in CHAT (rules, meetups)."""

    query: CallbackQuery
    action: str
    draft_id: str
    chat_id: int


async def facilitator_press(update: Update, context: BotContext) -> FacilitatorPress | None:
    """Parse `kind:action:draft` from a preview button; others get a polite refusal."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    parts = query.data.split(":", 2)
    if len(parts) != 3 or query.message is None:
        await query.answer(context.t.gettext("This button no longer works."))
        return None
    chat_id = query.message.chat.id
    if not await is_facilitator(context, query.from_user.id, chat_id):
        await query.answer(only_facilitators_text(context.member_t), show_alert=True)
        return None
    return FacilitatorPress(query, parts[1], parts[2], chat_id)


async def edit_pressed(
    query: CallbackQuery, text: str | None, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Change the message whose button was pressed: its text, or (text None) its buttons.

    A double tap asks for the same change twice, and Telegram refuses the second one as
    "not modified": that is no error.
    """
    try:
        if text is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
        log.info("edit_skipped reason=not_modified")


def only_facilitators_text(t: Translator) -> str:
    return t.gettext("Only the group's facilitators can do that, so nothing was changed.")


def parse_duration(word: str) -> timedelta | None:
    """30m, 2h, 1d, 1w (and 45min); None if the word is not a duration we accept."""
    match = _DURATION.match(word.strip())
    if match is None:
        return None
    duration = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])
    return duration if timedelta(0) < duration <= MAX_DURATION else None


def parse_id(text: str) -> int | None:
    """A chat or user id, typed or carried in button data; None for anything else.

    ASCII digits only (``isdigit`` accepts "²", which ``int`` refuses) and only what the
    database can hold, so a forged number is a refusal, never an error.
    """
    if _ID.fullmatch(text) is None:
        return None
    value = int(text)
    return value if abs(value) <= MAX_ID else None


def looks_like_duration(word: str) -> bool:
    return bool(re.match(r"^\d+[a-z]+$", word, re.IGNORECASE))


@dataclass(frozen=True)
class Target:
    user_id: int | None  # None: no member named (no reply, no id)
    words: list[str]  # what is left of the arguments: duration and reason
    message_id: int | None = None  # the replied message, for /del and /report
    message_date_age: timedelta | None = None


def find_target(message: Message, args: list[str], now_timestamp: float) -> Target:
    """The member a command is about: the author of the replied message, or a user id."""
    replied = message.reply_to_message
    if replied is not None:
        author = None if replied.sender_chat is not None else replied.from_user
        age = timedelta(seconds=max(0.0, now_timestamp - replied.date.timestamp()))
        return Target(author.id if author else None, args, replied.message_id, age)
    user_id = parse_id(args[0]) if args else None
    if user_id is not None and user_id > 0:
        return Target(user_id, args[1:])
    return Target(None, args)


async def delete_quietly(context: BotContext, message: Message) -> None:
    """Remove a message that should leave no trace; a missing right is reported once."""
    try:
        await message.delete()
    except TelegramError as exc:
        if is_missing_right(exc):
            await report_missing_right(context, message.chat_id, Right.DELETE)
        log.info("message_not_deleted reason=%s", type(exc).__name__)


# Facilitator commands and reports leave no trace in the group.
delete_command = delete_quietly


async def tell_facilitator(
    context: BotContext, user_id: int | None, chat_id: int, text: str
) -> None:
    """Privately if possible; otherwise in the group, where only the facilitator's words are."""
    if user_id is not None and await send_private(context, user_id, text):
        return
    await context.bot.send_message(chat_id, text)


async def staff_chat_for(store: Store, group: Chat) -> Chat | None:
    staff = [c for c in await store.chats.list("staff") if c.region == group.region]
    return staff[0] if staff else None


TOPICS = {
    "moderation": N_("Moderation log"),
    "reports": N_("Reports"),
    "meetups": N_("Meetups"),
    "anonymous posts": N_("Anonymous posts"),
    "crisis words": N_("Crisis words"),
}


async def post_to_staff(
    context: BotContext,
    group: Chat,
    render: Callable[[Translator], str],
    *,
    kind: str,
) -> Message | None:
    """The region's staff chat hears about it, in its language and, in a forum, its topic."""
    staff = await staff_chat_for(context.store, group)
    if staff is None:
        return None
    text = render(context.translator(staff.language))
    try:
        thread = await chat_topic(context, staff, kind)
        return await context.bot.send_message(
            staff.chat_id, text, message_thread_id=thread or None
        )
    except TelegramError as exc:
        log.warning("staff_post_failed reason=%s", type(exc).__name__)
        return None


async def chat_topic(context: BotContext, chat: Chat, kind: str) -> int:
    """The forum topic for this kind of post, created on first use; 0 when it is no forum."""
    known = await context.store.chats.forum_topic(chat.chat_id, kind)
    if known is not None:
        return known
    info = await context.bot.get_chat(chat.chat_id)
    thread = 0
    if info.is_forum:
        name = context.translator(chat.language).gettext(TOPICS[kind])
        topic = await context.bot.create_forum_topic(chat.chat_id, name)
        thread = topic.message_thread_id
    return await context.store.chats.set_forum_topic(chat.chat_id, kind, thread)


@dataclass(frozen=True)
class StaffReply:
    """Someone in a staff chat replied with text to one of the bot's own messages there."""

    message: Message
    text: str
    staff: Chat
    replied_message_id: int


def staff_reply_to_bot(update: Update, context: BotContext) -> StaffReply | None:
    """The reply, if the update is one; features then look up what the replied message is."""
    message, staff = update.effective_message, context.registered_chat
    if message is None or message.text is None or staff is None or staff.kind != "staff":
        return None
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    return StaffReply(message, message.text, staff, replied.message_id)


async def by_staff_facilitator(context: BotContext, message: Message, chat_id: int) -> bool:
    """Whether a staff-chat message comes from its facilitators (an anonymous one counts)."""
    if sent_as_the_group(message):
        return True
    user = message.from_user
    return user is not None and await is_facilitator(context, user.id, chat_id)
