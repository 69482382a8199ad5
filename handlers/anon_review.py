"""Anonymous posts, the facilitators' side: approval in the staff chat, posting, retention.

The staff chat sees the text and where it goes, never who wrote it. A rejection reason is a
reply to the post's staff message; the writer hears the words, never the facilitator's name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import (
    by_staff_facilitator,
    chat_topic,
    only_facilitators_text,
    staff_reply_to_bot,
)
from storage import Chat
from storage.anon_posts import AnonPost

log = logging.getLogger(__name__)
KIND = "anonymous posts"  # the staff chat's topic (handlers.moderation_common.TOPICS)
# Replies in staff chats; group 0 belongs to the commands.
REASON_GROUP = 6
REASON_REPLIES = (
    filters.ChatType.GROUPS
    & filters.UpdateType.MESSAGE
    & filters.REPLY
    & filters.TEXT
    & ~filters.COMMAND
)
RETENTION_JOB, REASONS_JOB = "anon-post-retention", "anon-post-reasons"
# A rejection nobody explained within this time reaches the writer without a reason.
REASON_WAIT = timedelta(hours=1)
DRAFT_MAX_AGE = timedelta(days=1)
MAX_REASON = 1000
SNIPPET_LENGTH = 40
_PRESS = re.compile(r"^anon:([a-z]{1,6}):([A-Za-z0-9_-]{8})(?::(-?[0-9]{1,19}))?$")
MAX_ID = 2**63 - 1  # what a BIGINT column holds: a bigger forged number is refused


def register(app: BotApplication) -> None:
    app.add_handler(MessageHandler(REASON_REPLIES, on_reason_reply), group=REASON_GROUP)
    if app.job_queue is None:
        return
    app.job_queue.run_repeating(
        erase_old_posts, interval=timedelta(days=1), first=timedelta(minutes=5), name=RETENTION_JOB
    )
    app.job_queue.run_repeating(
        tell_unexplained_rejections,
        interval=timedelta(minutes=10),
        first=timedelta(minutes=1),
        name=REASONS_JOB,
    )


@dataclass(frozen=True)
class PostPress:
    """A press of `anon:ACTION:POST[:VALUE]`; VALUE is a group or topic id."""

    action: str
    post_id: str
    value: int | None


def parse_press(data: str | None) -> PostPress | None:
    match = _PRESS.match(data or "")
    if match is None:
        return None
    value = None if match.group(3) is None else int(match.group(3))
    if value is not None and abs(value) > MAX_ID:
        return None
    return PostPress(match.group(1), match.group(2), value)


# --- texts -----------------------------------------------------------------------------------


def anonymous_post_text(t: Translator, body: str) -> str:
    """The post as the group sees it: never a name."""
    return t.gettext("A member asks anonymously:") + "\n\n" + body


def snippet(body: str | None) -> str:
    text = " ".join((body or "").split())
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1].rstrip() + "…"


def published_text(t: Translator, body: str | None, link: str | None) -> str:
    text = t.gettext("Your anonymous post “{start}” is now in the group. 💛", start=snippet(body))
    return f"{text}\n{link}" if link else text


def rejected_text(t: Translator, body: str | None, reason: str | None) -> str:
    parts = [t.gettext("Your anonymous post “{start}” was not posted.", start=snippet(body))]
    if reason:
        parts.append(t.gettext("The facilitator's reason: {reason}", reason=reason))
    parts.append(t.gettext("You can write a new one with /anon whenever you like. 💛"))
    return "\n\n".join(parts)


async def place_name(
    context: BotContext, t: Translator, chat_id: int | None, thread_id: int | None
) -> str:
    """“Group” or “Group › Topic”, for the writer's preview and for the staff chat."""
    group = await context.store.chats.get(chat_id) if chat_id is not None else None
    title = None
    if group is not None:
        try:
            title = (await context.bot.get_chat(group.chat_id)).title
        except TelegramError as exc:
            log.info("group_title_unknown reason=%s", type(exc).__name__)
    region = group.region if group else "?"
    name = f"“{title}”" if title else t.gettext("the peer group of {region}", region=region)
    topic = await context.store.topics.get(chat_id, thread_id) if chat_id and thread_id else None
    return f"{name} › “{topic.title}”" if topic else name


async def staff_text(context: BotContext, t: Translator, post: AnonPost, outcome: str) -> str:
    where = await place_name(context, t, post.chat_id, post.thread_id)
    body = post.body if post.body is not None else t.gettext("(the text has been erased)")
    heading = t.gettext("An anonymous post for {where}:", where=where)
    return f"{heading}\n\n{body}\n\n{outcome}"


def waiting_outcome(t: Translator) -> str:
    return t.gettext(
        "Nobody here sees who wrote it. Approve it and I post it in the group; reject it and "
        "the writer hears your reason, never your name."
    )


def reason_prompt(t: Translator) -> str:
    return t.gettext(
        "✖️ Not posted. Reply to this message with a short reason for the writer: they see "
        "your words, never your name. Without a reply in an hour, I tell them without a reason."
    )


def decision_buttons(t: Translator, post_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("✅ Approve"), callback_data=f"anon:ok:{post_id}"),
                InlineKeyboardButton(t.gettext("✖️ Reject"), callback_data=f"anon:no:{post_id}"),
            ]
        ]
    )


# --- the staff chat --------------------------------------------------------------------------


async def ask_staff(context: BotContext, post: AnonPost, staff: Chat) -> Message | None:
    """Post the waiting post to the staff chat with its buttons; None if that failed."""
    t = context.translator(staff.language)
    try:
        thread = await chat_topic(context, staff, KIND)
        sent = await context.bot.send_message(
            staff.chat_id,
            await staff_text(context, t, post, waiting_outcome(t)),
            message_thread_id=thread or None,
            reply_markup=decision_buttons(t, post.post_id),
        )
    except TelegramError as exc:
        log.warning("anon_post_staff_failed reason=%s", type(exc).__name__)
        return None
    await context.store.anon_posts.set_staff_message(post.post_id, sent.chat_id, sent.message_id)
    return sent


async def refresh_staff_message(
    context: BotContext,
    post: AnonPost,
    where: tuple[int, int],
    outcome: Callable[[Translator], str],
    markup: Callable[[Translator], InlineKeyboardMarkup] | None = None,
) -> None:
    """Show in the post's staff message (chat id, message id) what became of it."""
    chat_id, message_id = where
    staff = await context.store.chats.get(chat_id)
    t = context.translator(staff.language if staff else None)
    text = await staff_text(context, t, post, outcome(t))
    try:
        await context.bot.edit_message_text(
            text, chat_id, message_id, reply_markup=markup(t) if markup else None
        )
    except TelegramError as exc:
        log.info("anon_post_staff_not_updated reason=%s", type(exc).__name__)


async def on_staff_press(update: Update, context: BotContext, press: PostPress) -> None:
    """Approve, Reject, or tell the writer without a reason; by this staff chat's facilitators."""
    query = update.callback_query
    if query is None:
        return
    post = await context.store.anon_posts.get(press.post_id)
    if post is None or not _at_staff_message(query, post):
        await query.answer(context.member_t.gettext("This button no longer works."))
        return
    assert post.staff_chat_id is not None  # _at_staff_message checked it
    if not await is_facilitator(context, query.from_user.id, post.staff_chat_id):
        await query.answer(only_facilitators_text(context.member_t), show_alert=True)
        return
    await query.answer(await STAFF_ACTIONS[press.action](context, post))


def _at_staff_message(query: CallbackQuery, post: AnonPost) -> bool:
    message = query.message
    return (
        message is not None
        and post.staff_message_id is not None
        and (message.chat.id, message.message_id) == (post.staff_chat_id, post.staff_message_id)
    )


def _already_decided(context: BotContext) -> str:
    return context.member_t.gettext("This post has already been decided.")


async def approve(context: BotContext, post: AnonPost) -> str | None:
    decided = await context.store.anon_posts.approve(post.post_id, context.clock.now())
    if decided is None:
        return _already_decided(context)
    sent = await publish(context, decided)
    if sent is None:
        await context.store.anon_posts.undo_approval(post.post_id)
        return context.member_t.gettext(
            "I could not post it in the group just now. Please try again in a while."
        )
    where = (decided.staff_chat_id or 0, decided.staff_message_id or 0)
    link = sent.link
    await refresh_staff_message(context, decided, where, partial(_approved_outcome, link=link))
    await tell_writer(context, decided, partial(published_text, body=decided.body, link=link))
    return None


def _approved_outcome(t: Translator, link: str | None) -> str:
    text = t.gettext("✅ Approved: it is in the group now.")
    return f"{text}\n{link}" if link else text


async def reject(context: BotContext, post: AnonPost) -> str | None:
    decided = await context.store.anon_posts.reject(post.post_id, context.clock.now())
    if decided is None:
        return _already_decided(context)
    where = (decided.staff_chat_id or 0, decided.staff_message_id or 0)
    await refresh_staff_message(context, decided, where, reason_prompt, _bare_button(post.post_id))
    return None


def _bare_button(post_id: str) -> Callable[[Translator], InlineKeyboardMarkup]:
    def render(t: Translator) -> InlineKeyboardMarkup:
        text = t.gettext("Tell them without a reason")
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(text, callback_data=f"anon:bare:{post_id}")]]
        )

    return render


async def reject_without_reason(context: BotContext, post: AnonPost) -> str | None:
    where = (post.staff_chat_id or 0, post.staff_message_id or 0)
    taken = await context.store.anon_posts.take_rejection(post.post_id)
    if taken is None:
        return _already_decided(context)
    await tell_writer(context, taken, partial(rejected_text, body=taken.body, reason=None))
    await refresh_staff_message(context, taken, where, _told_without_reason)
    return None


def _told_without_reason(t: Translator) -> str:
    return t.gettext("✖️ Not posted. The writer was told, without a reason.")


STAFF_ACTIONS: dict[str, Callable[[BotContext, AnonPost], Awaitable[str | None]]] = {
    "ok": approve,
    "no": reject,
    "bare": reject_without_reason,
}


async def on_reason_reply(update: Update, context: BotContext) -> None:
    """A facilitator's reply to a rejected post's staff message: the reason for the writer."""
    reply = staff_reply_to_bot(update, context)
    if reply is None or update.message is None:
        return
    message, staff_chat_id = reply.message, reply.staff.chat_id
    post = await context.store.anon_posts.awaiting_reason(staff_chat_id, reply.replied_message_id)
    if post is None or not await by_staff_facilitator(context, message, staff_chat_id):
        return
    reason = reply.text.strip()
    if len(reason) > MAX_REASON:
        await message.reply_text(
            context.t.gettext(
                "Please keep the reason under {max} characters and reply again.", max=MAX_REASON
            )
        )
        return
    await _send_reason(context, message, post, reason)


async def _send_reason(context: BotContext, message: Message, post: AnonPost, reason: str) -> None:
    where = (post.staff_chat_id or 0, post.staff_message_id or 0)
    taken = await context.store.anon_posts.take_rejection(post.post_id)
    if taken is None:
        return
    told = await tell_writer(
        context, taken, partial(rejected_text, body=taken.body, reason=reason)
    )
    await refresh_staff_message(context, taken, where, _told_the_reason)
    if told:
        answer = context.t.gettext("Thank you – I sent your reason to the writer.")
    else:
        answer = context.t.gettext("I could not reach the writer: they may have blocked me.")
    await message.reply_text(answer)


def _told_the_reason(t: Translator) -> str:
    return t.gettext("✖️ Not posted. The writer got your reason.")


# --- posting and telling the writer ----------------------------------------------------------


async def publish(context: BotContext, post: AnonPost) -> Message | None:
    """Post it in its group (and topic) without any name; None if Telegram refused."""
    group = await context.store.chats.get(post.chat_id) if post.chat_id is not None else None
    if group is None or post.body is None:
        return None
    t = context.translator(group.language)
    try:
        sent = await context.bot.send_message(
            group.chat_id, anonymous_post_text(t, post.body), message_thread_id=post.thread_id
        )
    except TelegramError as exc:
        if post.thread_id is not None and "thread not found" in exc.message.lower():
            await context.store.topics.forget(group.chat_id, post.thread_id)
        log.warning("anon_post_not_published reason=%s", type(exc).__name__)
        return None
    await context.store.anon_posts.set_published(post.post_id, sent.message_id)
    log.info("anon_post_published")
    return sent


async def tell_writer(
    context: BotContext, post: AnonPost, render: Callable[[Translator], str]
) -> bool:
    """Privately, in the writer's language; False if they are erased or unreachable."""
    if post.user_id is None:
        return False
    member = await context.store.members.get(post.user_id)
    return await send_private(context, post.user_id, render(context.member_translator(member)))


# --- jobs ------------------------------------------------------------------------------------


async def erase_old_posts(context: BotContext) -> None:
    """Decided posts lose writer and text after the retention period; old drafts go."""
    now = context.clock.now()
    days = context.settings.asking.retention_days
    changed = await context.store.anon_posts.erase_old(
        now - timedelta(days=days), now - DRAFT_MAX_AGE
    )
    log.info("anon_posts_retention changed=%d", changed)


async def tell_unexplained_rejections(context: BotContext) -> None:
    """Nobody gave a reason in time: the writer still hears that it was not posted."""
    posts = await context.store.anon_posts.take_unexplained(context.clock.now() - REASON_WAIT)
    for post in posts:
        await tell_writer(context, post, partial(rejected_text, body=post.body, reason=None))
        if post.staff_chat_id is not None and post.staff_message_id is not None:
            where = (post.staff_chat_id, post.staff_message_id)
            await refresh_staff_message(context, post, where, _told_without_reason)
