"""Anonymous questions: /ask, the staff chat's answers, /answer, blocking without reveal.

The member writes privately; the region's staff chat sees "Question #17" and the text, and
the member's name only if they chose to show it (taken from the update, never stored).
Facilitators answer by replying to the bot's messages about the question, or with
/answer 17 TEXT; the member gets the answer without the facilitator's name and can reply.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from telegram import (
    CallbackQuery,
    ChatMemberRestricted,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import Translator
from bot.messaging import deliver_private, send_private, telegram_length
from bot.settings import AskingSettings
from handlers.crisis import crisis_text
from handlers.inputs import add_input_consumer, add_private_text_route
from handlers.moderation_common import (
    by_staff_facilitator,
    delete_quietly,
    only_facilitators_text,
    parse_id,
    staff_reply_to_bot,
    tell_facilitator,
)
from handlers.privately import answer_privately, too_long_text
from handlers.start import add_deep_link
from storage import Chat, Store
from storage.inputs import PendingInput
from storage.questions import NO_REGION, ClosedBy, Question, SendOutcome

log = logging.getLogger(__name__)
ASK, ASK_REPLY = "ask", "ask-reply"  # what the bot waits for (storage.inputs purposes)
STAFF_REPLY_GROUP = 5  # facilitators' replies in the staff chat; group 0 belongs to others
RETENTION_JOB = "question-retention"
ANSWER_LIMIT = 3500  # a facilitator's answer, in Telegram's UTF-16 units, with room to spare
_ID = re.compile(r"^[A-Za-z0-9_-]{12}$")
_CODE = re.compile(r"^[A-Za-z0-9]{4,12}$")
PRESENT_STATUSES = (
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
)

# What to say to the member: text and buttons (or a ForceReply), in their language.
Say = tuple[str, InlineKeyboardMarkup | ForceReply | None]
Render = Callable[[Translator], Say]


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("ask", on_ask))
    app.add_handler(CommandHandler("answer", on_answer))
    app.add_handler(CommandHandler("unblock", on_unblock))
    app.add_handler(CommandHandler("blocks", on_blocks))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^q:"))
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            on_staff_reply,
        ),
        group=STAFF_REPLY_GROUP,
    )
    add_deep_link(app, "ask", _deep_ask)
    add_input_consumer(app, ASK, on_question_text)
    add_input_consumer(app, ASK_REPLY, on_reply_text)
    add_private_text_route(app, route_member_reply)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            apply_retention,
            interval=timedelta(days=1),
            first=timedelta(minutes=5),
            name=RETENTION_JOB,
        )


# --- rules without Telegram ----------------------------------------------------------------


def in_office_hours(now: datetime, asking: AskingSettings, zone: ZoneInfo) -> bool:
    """Whether facilitators are at work at ``now`` (office days and hours, local time)."""
    local = now.astimezone(zone)
    return (
        local.isoweekday() in asking.office_days
        and asking.office_hours_start <= local.time() < asking.office_hours_end
    )


def shown_name(user: User) -> str:
    """First name and @username: only when the member chose to show them."""
    return f"{user.first_name} (@{user.username})" if user.username else user.first_name


def after_command(text: str | None, pieces: int = 1) -> list[str]:
    """What follows a command, in at most ``pieces``: words, the last one the rest as written."""
    return (text or "").split(maxsplit=pieces)[1:]


class Obstacle(Enum):
    NO_GROUP = "no-group"
    NO_STAFF = "no-staff"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Regions:
    """Where the member can ask now; else why not (and which regions that is about)."""

    open: list[str]
    obstacle: Obstacle | None = None
    named: tuple[str, ...] = ()


async def askable_regions(context: BotContext, user_id: int) -> Regions:
    store = context.store
    regions = await member_regions(context, user_id)
    if not regions:
        return Regions([], Obstacle.NO_GROUP)
    staffed = {c.region for c in await store.chats.list("staff")}
    with_staff = [r for r in regions if r in staffed]
    if not with_staff:
        return Regions([], Obstacle.NO_STAFF, tuple(regions))
    free = [r for r in with_staff if not await store.questions.is_blocked(r, user_id)]
    return Regions(free) if free else Regions([], Obstacle.BLOCKED, tuple(with_staff))


async def member_regions(context: BotContext, user_id: int) -> list[str]:
    """Regions of the peer groups the member agreed to; else of those they are in."""
    groups = await context.store.chats.list("peer_group")
    agreed = {c.chat_id for c in await context.store.joins.consents_of(user_id)}
    mine = [g for g in groups if g.chat_id in agreed]
    if not mine:
        mine = [g for g in groups if await _is_member(context, g.chat_id, user_id)]
    return sorted({g.region for g in mine})


async def _is_member(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in PRESENT_STATUSES


async def staff_chat_of(store: Store, region: str) -> Chat | None:
    staff = [c for c in await store.chats.list("staff") if c.region == region]
    return staff[0] if staff else None


# --- texts ---------------------------------------------------------------------------------


def help_now(t: Translator) -> str:
    return t.gettext("If you need help now, /crisis lists help lines that are open day and night.")


def obstacle_text(t: Translator, regions: Regions) -> str:
    if regions.obstacle is Obstacle.NO_STAFF:
        text = t.gettext(
            "The facilitators of {regions} can't receive questions through me yet – sorry! "
            "You can ask them at a meetup or in your group.",
            regions=", ".join(regions.named),
        )
    elif regions.obstacle is Obstacle.BLOCKED:
        return t.gettext(
            "I can't pass on your questions at the moment. 💛 If you need help, /crisis lists "
            "help lines that are open day and night, and /contacts has the aftercare contacts "
            "of your area."
        )
    else:
        text = t.gettext(
            "I couldn't find a peer group you belong to, so I don't know which facilitators to "
            "ask. If you have just joined, please agree to the group's rules first and then try "
            "/ask again."
        )
    return f"{text}\n\n{help_now(t)}"


def limit_text(t: Translator, outcome: SendOutcome, asking: AskingSettings) -> str:
    if outcome is SendOutcome.TOO_MANY_OPEN:
        return t.ngettext(
            "You have {n} open question, which is the most at a time. When you close it (the "
            "button under an answer), you can ask again.",
            "You have {n} open questions, which is the most at a time. When you close one (the "
            "button under an answer), you can ask again.",
            asking.open_questions_per_member,
        )
    if outcome is SendOutcome.BLOCKED:
        return obstacle_text(t, Regions([], Obstacle.BLOCKED))
    limit = t.ngettext(
        "You have sent {n} question in the last 24 hours, which is the limit. You can ask "
        "again later.",
        "You have sent {n} questions in the last 24 hours, which is the limit. You can ask "
        "again later.",
        asking.questions_per_day,
    )
    return f"{limit}\n\n{help_now(t)}"


def preview_text(t: Translator, region: str, body: str) -> str:
    return t.gettext(
        "Your question to the facilitators of {region}:\n\n{text}\n\n"
        "How do you want to send it? Anonymously, nobody sees who asked.",
        region=region,
        text=body,
    )


def receipt_text(t: Translator, number: int, asking: AskingSettings, at_work: bool) -> str:
    text = t.ngettext(
        "Your question #{number} is on its way to the facilitators. 💛 They usually answer "
        "within {n} hour. Their answer comes here, and you can reply to it.",
        "Your question #{number} is on its way to the facilitators. 💛 They usually answer "
        "within {n} hours. Their answer comes here, and you can reply to it.",
        asking.usual_response_hours,
        number=number,
    )
    if at_work:
        return text
    away = t.gettext(
        "The facilitators are not at work right now, so the answer may take a little longer. "
        "If you need someone to talk to now:"
    )
    return f"{text}\n\n{away}\n\n{crisis_text(t)}"


def staff_question_text(t: Translator, number: int, name: str | None, body: str) -> str:
    if name is None:
        title = t.gettext("Question #{number} – anonymous", number=number)
    else:
        title = t.gettext("Question #{number} from {name}", number=number, name=name)
    how = t.gettext(
        "Reply to this message to answer. The asker sees your answer, never your name."
    )
    return f"{title}\n\n{body}\n\n{how}"


def member_closed_text(t: Translator, number: int, by: ClosedBy, days: int) -> str:
    if by == "member":
        text = t.gettext("Question #{number} is closed.", number=number)
    elif by == "expired":
        text = t.ngettext(
            "Your question #{number} was closed because there were no new messages for {n} day.",
            "Your question #{number} was closed because there were no new messages for {n} days.",
            days,
            number=number,
        )
    else:
        text = t.gettext("The facilitators closed your question #{number}.", number=number)
    more = t.gettext("Thank you for asking! 💛 /ask if you want to ask something else.")
    return f"{text} {more}"


def staff_closed_text(t: Translator, number: int, by: ClosedBy, days: int) -> str:
    if by == "member":
        return t.gettext("#{number} was closed by the asker.", number=number)
    if by == "expired":
        return t.ngettext(
            "#{number} was closed after {n} day without messages.",
            "#{number} was closed after {n} days without messages.",
            days,
            number=number,
        )
    return t.gettext("#{number} was closed by a facilitator.", number=number)


def stale_text(t: Translator) -> str:
    return t.gettext("This button no longer works.")


# --- buttons -------------------------------------------------------------------------------


def _button(text: str, action: str, question_id: str, extra: str = "") -> InlineKeyboardButton:
    data = f"q:{action}:{question_id}" + (f":{extra}" if extra else "")
    return InlineKeyboardButton(text, callback_data=data)


def preview_buttons(t: Translator, question_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t.gettext("Send anonymously"), "send", question_id)],
            [_button(t.gettext("Send with my name"), "name", question_id)],
            [_button(t.gettext("Cancel"), "cancel", question_id)],
        ]
    )


def region_buttons(t: Translator, question_id: str, regions: list[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(region, "rg", question_id, str(i))] for i, region in enumerate(regions)]
        + [[_button(t.gettext("Cancel"), "cancel", question_id)]]
    )


def answer_buttons(t: Translator, question_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t.gettext("Reply"), "reply", question_id),
                _button(t.gettext("Close question"), "close", question_id),
            ]
        ]
    )


def receipt_buttons(t: Translator, question_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(t.gettext("Close question"), "close", question_id)]])


def staff_buttons(t: Translator, question_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(t.gettext("Answer"), "how", question_id),
                _button(t.gettext("Close"), "sclose", question_id),
                _button(t.gettext("Block sender"), "block", question_id),
            ]
        ]
    )


def block_confirm_buttons(t: Translator, question_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t.gettext("Yes, block the sender"), "blockyes", question_id)],
            [_button(t.gettext("Don't block"), "blockno", question_id)],
        ]
    )


# --- asking --------------------------------------------------------------------------------


async def begin_asking(context: BotContext, user_id: int, text: str | None) -> Render:
    """/ask, /ask TEXT, or the awaited text: what to tell the member, after doing it."""
    store, now, asking = context.store, context.clock.now(), context.settings.asking
    regions = await askable_regions(context, user_id)
    if regions.obstacle is not None:
        return lambda t: (obstacle_text(t, regions), None)
    limit = await limit_reached(store, user_id, now, asking)
    if limit is not None:
        return lambda t: (limit_text(t, limit, asking), None)
    if not text:
        await store.inputs.expect(user_id, ASK, None, now)
        return lambda t: (ask_prompt(t), ForceReply(input_field_placeholder=t.gettext("Question")))
    length = telegram_length(text)
    if length > asking.max_length:
        await store.inputs.expect(user_id, ASK, None, now)
        return lambda t: (too_long_text(t, length, asking.max_length), None)
    region = regions.open[0] if len(regions.open) == 1 else None
    draft = await store.questions.create_draft(user_id, region, text, now)
    if region is None:
        return lambda t: (
            t.gettext("Which region's facilitators should get your question?"),
            region_buttons(t, draft.question_id, regions.open),
        )
    return lambda t: (preview_text(t, region, text), preview_buttons(t, draft.question_id))


async def limit_reached(
    store: Store, user_id: int, now: datetime, asking: AskingSettings
) -> SendOutcome | None:
    """Which limit keeps the member from asking now (sending checks again, atomically)."""
    open_now, last_day = await store.questions.usage(user_id, now)
    if open_now >= asking.open_questions_per_member:
        return SendOutcome.TOO_MANY_OPEN
    if last_day >= asking.questions_per_day:
        return SendOutcome.TOO_MANY_TODAY
    return None


def ask_prompt(t: Translator) -> str:
    return t.gettext(
        "Write your question in one message. 💛 Only the facilitators of your region read it, "
        "and they don't see who asked unless you choose to show your name. You see it once "
        "more before it is sent."
    )


async def on_ask(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    words = after_command(message.text)
    render = await begin_asking(context, user.id, words[0] if words else None)
    if chat.type == ChatType.PRIVATE:
        text, markup = render(context.t)
        await message.reply_text(text, reply_markup=markup)
        return

    def inline_only(t: Translator) -> tuple[str, InlineKeyboardMarkup | None, None]:
        text, markup = render(t)
        return text, markup if isinstance(markup, InlineKeyboardMarkup) else None, None

    await answer_privately(update, context, inline_only, deep_link="ask")


async def _deep_ask(update: Update, context: BotContext, _argument: str) -> None:
    if update.effective_user is None or update.effective_message is None:
        return
    text, markup = (await begin_asking(context, update.effective_user.id, None))(context.t)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def on_question_text(update: Update, context: BotContext, _awaited: PendingInput) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    text, markup = (await begin_asking(context, user.id, message.text))(context.t)
    await message.reply_text(text, reply_markup=markup)


# --- the member's buttons ------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    query: CallbackQuery
    action: str
    question: Question
    extra: str


Action = Callable[[BotContext, Press], Awaitable[None]]


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    action = parts[1] if len(parts) in (3, 4) else ""
    question = None
    if (action in MEMBER_ACTIONS or action in STAFF_ACTIONS) and _ID.match(parts[2]):
        question = await context.store.questions.get(parts[2])
    if question is None:
        await query.answer(stale_text(context.t))
        return
    press = Press(query, action, question, parts[3] if len(parts) == 4 else "")
    if action in MEMBER_ACTIONS:
        if question.asker_id != query.from_user.id:
            await query.answer(stale_text(context.t))  # someone else's: nothing to say about it
            return
        await MEMBER_ACTIONS[action](context, press)
        return
    if await staff_may_press(context, press):
        await STAFF_ACTIONS[action](context, press)


async def _choose_region(context: BotContext, press: Press) -> None:
    question, query = press.question, press.query
    regions = (await askable_regions(context, query.from_user.id)).open
    index = int(press.extra) if press.extra.isdigit() else len(regions)
    chosen = None
    if question.status == "draft" and index < len(regions):
        chosen = await context.store.questions.choose_region(
            question.question_id, query.from_user.id, regions[index]
        )
    body = await _question_body(context.store, question.question_id)
    if chosen is None or body is None:
        await query.answer(stale_text(context.t))
        return
    await query.answer()
    await _show(
        context,
        query,
        preview_text(context.t, chosen.region, body),
        preview_buttons(context.t, question.question_id),
    )


async def _cancel(context: BotContext, press: Press) -> None:
    query = press.query
    if not await context.store.questions.delete_draft(
        press.question.question_id, query.from_user.id
    ):
        await query.answer(stale_text(context.t))
        return
    await query.answer()
    await _show(context, query, context.t.gettext("Cancelled. Nothing was sent."))


async def _send(context: BotContext, press: Press) -> None:
    await send_question(context, press.query, press.question, show_name=press.action == "name")


async def _reply_button(context: BotContext, press: Press) -> None:
    question, query, t = press.question, press.query, context.t
    if not question.is_open:
        await query.answer(t.gettext("This question is already closed."))
        return
    await context.store.inputs.expect(
        query.from_user.id, ASK_REPLY, question.question_id, context.clock.now()
    )
    await query.answer()
    await context.bot.send_message(
        query.from_user.id,
        t.gettext(
            "Write your reply about question #{number}. The facilitators see it, not your name.",
            number=question.number,
        ),
        reply_markup=ForceReply(input_field_placeholder=t.gettext("Reply")),
    )


async def _member_close(context: BotContext, press: Press) -> None:
    query = press.query
    closed = await context.store.questions.close(
        press.question.question_id, "member", context.clock.now(), asker_id=query.from_user.id
    )
    if closed is None:
        await query.answer(context.t.gettext("This question is already closed."))
        return
    await query.answer()
    await _remove_buttons(query)
    await tell_closed(context, closed, "member")


MEMBER_ACTIONS: dict[str, Action] = {
    "rg": _choose_region,
    "send": _send,
    "name": _send,
    "cancel": _cancel,
    "reply": _reply_button,
    "close": _member_close,
}


async def _question_body(store: Store, question_id: str) -> str | None:
    messages = await store.questions.messages(question_id)
    return messages[0].body if messages else None


async def send_question(
    context: BotContext, query: CallbackQuery, question: Question, *, show_name: bool
) -> None:
    """Number the draft, post it to the staff chat, and give the member the receipt."""
    store, t, asking, user = context.store, context.t, context.settings.asking, query.from_user
    body = await _question_body(store, question.question_id)
    if question.status != "draft" or question.region == NO_REGION or body is None:
        await query.answer(stale_text(t))
        return
    staff = await staff_chat_of(store, question.region)
    if staff is None:
        await query.answer()
        regions = Regions([], Obstacle.NO_STAFF, (question.region,))
        await send_private(context, user.id, obstacle_text(t, regions))
        return
    result = await store.questions.send(
        question.question_id,
        user.id,
        show_name=show_name,
        staff_chat_id=staff.chat_id,
        now=context.clock.now(),
        open_limit=asking.open_questions_per_member,
        day_limit=asking.questions_per_day,
    )
    sent = result.question
    if result.outcome is SendOutcome.GONE:  # pressed twice, or an older preview
        await query.answer(stale_text(t))
        return
    await query.answer()
    if sent is None or sent.number is None:
        await send_private(context, user.id, limit_text(t, result.outcome, asking))
        return
    name = shown_name(user) if show_name else None
    if not await post_question(context, staff, sent, body, name):
        await store.questions.unsend(sent.question_id)
        await send_private(
            context,
            user.id,
            t.gettext(
                "I couldn't reach the facilitators right now, so nothing was sent. Please try "
                "again in a moment – your question is still here."
            ),
        )
        return
    await _confirm_sent(context, query, sent, body)
    log.info("question_sent named=%s", show_name)


async def _confirm_sent(
    context: BotContext, query: CallbackQuery, sent: Question, body: str
) -> None:
    t, asking, number = context.t, context.settings.asking, sent.number or 0
    how = t.gettext("Sent with your name.") if sent.show_name else t.gettext("Sent anonymously.")
    try:
        await query.edit_message_text(
            t.gettext("Your question #{number}:", number=number) + f"\n\n{body}\n\n✓ {how}"
        )
    except TelegramError as exc:
        log.info("question_preview_not_edited reason=%s", type(exc).__name__)
    at_work = in_office_hours(context.clock.now(), asking, context.settings.bot.zone)
    receipt = await deliver_private(
        context,
        query.from_user.id,
        receipt_text(t, number, asking, at_work),
        receipt_buttons(t, sent.question_id),
    )
    if receipt is not None:
        await context.store.questions.set_member_message(sent.question_id, 1, receipt.message_id)


async def post_question(
    context: BotContext, staff: Chat, question: Question, body: str, name: str | None
) -> bool:
    """The question in the staff chat (in a topic of its own in a forum); whether it got there."""
    t, number = context.translator(staff.language), question.number or 0
    thread = await _question_topic(
        context, staff.chat_id, t.gettext("Question #{number}", number=number)
    )
    if thread:
        await context.store.questions.set_staff_thread(question.question_id, thread)
    try:
        posted = await context.bot.send_message(
            staff.chat_id,
            staff_question_text(t, number, name, body),
            reply_markup=staff_buttons(t, question.question_id),
            message_thread_id=thread or None,
        )
    except TelegramError as exc:
        log.warning("question_not_posted reason=%s", type(exc).__name__)
        return False
    await context.store.questions.set_staff_message(question.question_id, 1, posted.message_id)
    return True


async def _question_topic(context: BotContext, chat_id: int, name: str) -> int:
    """A new forum topic for the question; 0 if the chat is no forum or it can't be made."""
    try:
        if not (await context.bot.get_chat(chat_id)).is_forum:
            return 0
        return (await context.bot.create_forum_topic(chat_id, name)).message_thread_id
    except TelegramError as exc:  # e.g. no right to manage topics: the general topic will do
        log.warning("question_topic_not_made reason=%s", type(exc).__name__)
        return 0


# --- the member's replies ------------------------------------------------------------------


async def route_member_reply(update: Update, context: BotContext) -> bool:
    """A reply to one of the bot's messages about the member's question goes to the staff."""
    user, message = update.effective_user, update.effective_message
    replied = message.reply_to_message if message else None
    if user is None or message is None or replied is None or replied.from_user is None:
        return False
    if replied.from_user.id != context.bot.id:
        return False
    question = await context.store.questions.by_member_message(user.id, replied.message_id)
    if question is None:
        return False
    await context.store.inputs.cancel(user.id, ASK_REPLY)
    await relay_member_reply(context, message, question)
    return True


async def on_reply_text(update: Update, context: BotContext, awaited: PendingInput) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or awaited.subject is None:
        return
    question = await context.store.questions.get(awaited.subject)
    if question is None or question.asker_id != user.id:
        await message.reply_text(
            context.t.gettext("That question is gone. /ask starts a new one.")
        )
        return
    await relay_member_reply(context, message, question)


async def relay_member_reply(context: BotContext, message: Message, question: Question) -> None:
    t, text, limit = context.t, message.text or "", context.settings.asking.max_length
    if not question.is_open:
        await message.reply_text(
            t.gettext(
                "Question #{number} is closed, so I didn't pass this on. "
                "/ask starts a new question.",
                number=question.number,
            )
        )
        return
    if telegram_length(text) > limit:
        await context.store.inputs.expect(
            message.chat_id, ASK_REPLY, question.question_id, context.clock.now()
        )
        await message.reply_text(too_long_text(t, telegram_length(text), limit))
        return
    posted = await tell_staff(
        context,
        question,
        lambda st: st.gettext(
            "#{number} – the asker replied:\n\n{text}", number=question.number, text=text
        ),
    )
    if posted is None:
        await message.reply_text(
            t.gettext("I couldn't reach the facilitators right now. Please try again in a moment.")
        )
        return
    confirmation = await message.reply_text(
        t.gettext("Sent to the facilitators (question #{number}).", number=question.number)
    )
    await context.store.questions.add_message(
        question.question_id,
        "member",
        text,
        context.clock.now(),
        staff_message_id=posted.message_id,
        member_message_id=confirmation.message_id,
    )


# --- the staff chat ------------------------------------------------------------------------


async def staff_may_press(context: BotContext, press: Press) -> bool:
    """Only facilitators of the question's own staff chat, and only while it is open."""
    query, question = press.query, press.question
    chat_id = query.message.chat.id if query.message else None
    if chat_id is None or chat_id != question.staff_chat_id:
        await query.answer(stale_text(context.t))
        return False
    fresh = press.action == "blockyes"  # blocking is a decision about a person: ask Telegram
    if not await is_facilitator(context, query.from_user.id, chat_id, fresh=fresh):
        await query.answer(only_facilitators_text(context.t), show_alert=True)
        return False
    if not question.is_open:
        await query.answer(context.t.gettext("This question is already closed."))
        return False
    return True


async def _explain_answering(context: BotContext, press: Press) -> None:
    await press.query.answer(
        context.t.gettext(
            "To answer, reply to this message, or write /answer {number} and your text. "
            "The asker sees your answer, never your name.",
            number=press.question.number,
        ),
        show_alert=True,
    )


async def _staff_close(context: BotContext, press: Press) -> None:
    closed = await context.store.questions.close(
        press.question.question_id, "facilitator", context.clock.now()
    )
    await press.query.answer()
    if closed is not None:
        await tell_closed(context, closed, "facilitator")


async def _ask_block(context: BotContext, press: Press) -> None:
    await press.query.answer(
        context.t.gettext("The sender stays anonymous. Blocking stops their questions here.")
    )
    await _set_buttons(press.query, block_confirm_buttons(context.t, press.question.question_id))


async def _keep(context: BotContext, press: Press) -> None:
    await press.query.answer()
    await _set_buttons(press.query, staff_buttons(context.t, press.question.question_id))


async def _block(context: BotContext, press: Press) -> None:
    store, now, question = context.store, context.clock.now(), press.question
    block = await store.questions.block(question.question_id, now)
    closed = await store.questions.close(question.question_id, "facilitator", now)
    await press.query.answer()
    if block is None:
        return
    await tell_staff(
        context,
        question,
        lambda t: t.gettext(
            "The sender of #{number} can no longer send questions. Block code {code}; an "
            "organisation admin can lift it with /unblock {code}",
            number=question.number,
            code=block.block_id,
        ),
    )
    log.info("question_sender_blocked")
    if closed is not None:
        await tell_closed(context, closed, "facilitator", staff=False)


STAFF_ACTIONS: dict[str, Action] = {
    "how": _explain_answering,
    "sclose": _staff_close,
    "block": _ask_block,
    "blockno": _keep,
    "blockyes": _block,
}


may_answer = by_staff_facilitator


async def on_staff_reply(update: Update, context: BotContext) -> None:
    """A facilitator's reply to the bot's message about a question: the answer."""
    reply = staff_reply_to_bot(update, context)
    if reply is None:
        return
    staff_chat_id = reply.staff.chat_id
    question = await context.store.questions.by_staff_message(
        staff_chat_id, reply.replied_message_id
    )
    if question is None or not await may_answer(context, reply.message, staff_chat_id):
        return  # facilitators' own talk, or someone who may not answer: not for the member
    await deliver_answer(context, question, reply.text, reply.message)


async def on_answer(update: Update, context: BotContext) -> None:
    message, staff, t = update.effective_message, context.registered_chat, context.t
    if message is None:
        return
    if staff is None or staff.kind != "staff":
        await _wrong_place_for_answer(context, message)
        return
    if not await may_answer(context, message, staff.chat_id):
        await message.reply_text(only_facilitators_text(t))
        return
    words = after_command(message.text, 2)
    number = parse_id(words[0].lstrip("#")) if words else None
    if len(words) < 2 or number is None:
        await message.reply_text(
            t.gettext(
                "Write /answer, the question's number and your answer, for example:\n"
                "/answer 17 Hi! Yes, you can ask your aftercare worker for that."
            )
        )
        return
    question = await context.store.questions.by_number(staff.region, number)
    if question is None:
        await message.reply_text(
            t.gettext(
                "There is no question #{number} in {region}.", number=number, region=staff.region
            )
        )
        return
    await deliver_answer(context, question, words[1], message)


async def _wrong_place_for_answer(context: BotContext, message: Message) -> None:
    """An answer typed in a peer group must not stay there: it goes, and the author is told."""
    text = context.t.gettext("Use /answer in your region's staff chat.")
    if message.chat.type == ChatType.PRIVATE:
        await message.reply_text(text)
        return
    await delete_quietly(context, message)
    user = message.from_user
    await tell_facilitator(context, user.id if user else None, message.chat_id, text)


async def deliver_answer(
    context: BotContext, question: Question, text: str, message: Message
) -> None:
    """Send a facilitator's answer to the asker, without the facilitator's name."""
    t, number = context.t, question.number
    if not question.is_open or question.asker_id is None:
        await message.reply_text(
            t.gettext("#{number} is closed, so the answer was not sent.", number=number)
        )
        return
    if telegram_length(text) > ANSWER_LIMIT:
        await message.reply_text(
            t.gettext(
                "Your answer is {length} characters long and the limit is {limit}, so nothing "
                "was sent. Please send it in shorter parts.",
                length=telegram_length(text),
                limit=ANSWER_LIMIT,
            )
        )
        return
    member_t = context.member_translator(await context.store.members.get(question.asker_id))
    delivered = await _deliver(
        context,
        question.asker_id,
        member_t.gettext(
            "A facilitator answered your question #{number}:\n\n{text}", number=number, text=text
        ),
        answer_buttons(member_t, question.question_id),
    )
    if delivered is None:
        await message.reply_text(
            t.gettext(
                "I couldn't deliver the answer to #{number}: the asker can't be reached (they may "
                "have stopped me). The question stays open.",
                number=number,
            )
        )
        return
    staff_copy = await _note_answer(context, question, text, message)
    await context.store.questions.add_message(
        question.question_id,
        "facilitator",
        text,
        context.clock.now(),
        staff_message_id=staff_copy.message_id if staff_copy else None,
        member_message_id=delivered.message_id,
    )
    log.info("question_answered")


async def _deliver(
    context: BotContext, user_id: int, text: str, markup: InlineKeyboardMarkup
) -> Message | None:
    try:
        return await deliver_private(context, user_id, text, markup)
    except TelegramError as exc:
        log.info("answer_not_delivered reason=%s", type(exc).__name__)
        return None


async def _note_answer(
    context: BotContext, question: Question, text: str, message: Message
) -> Message | None:
    """Tell the facilitators it was sent; in a forum the question's topic keeps a copy."""
    t, number = context.t, question.number
    elsewhere = bool(question.staff_thread_id) and (
        message.chat_id != question.staff_chat_id
        or message.message_thread_id != question.staff_thread_id
    )
    try:
        confirmation = await message.reply_text(
            t.gettext("Sent to the asker of #{number}.", number=number)
        )
    except TelegramError as exc:
        log.info("answer_confirmation_failed reason=%s", type(exc).__name__)
        confirmation = None
    if not elsewhere:
        return confirmation
    return await tell_staff(
        context,
        question,
        lambda st: st.gettext(
            "A facilitator answered #{number}:\n\n{text}", number=number, text=text
        ),
    )


# --- telling both sides --------------------------------------------------------------------


async def tell_staff(
    context: BotContext, question: Question, render: Callable[[Translator], str]
) -> Message | None:
    """Post about a question where it lives: its topic, or as a reply to it in the chat."""
    if question.staff_chat_id is None:
        return None
    store = context.store
    staff = await store.chats.get(question.staff_chat_id)
    reply = None
    if not question.staff_thread_id:
        messages = await store.questions.messages(question.question_id)
        first = messages[0].staff_message_id if messages else None
        reply = ReplyParameters(first, allow_sending_without_reply=True) if first else None
    try:
        return await context.bot.send_message(
            question.staff_chat_id,
            render(context.translator(staff.language if staff else None)),
            message_thread_id=question.staff_thread_id or None,
            reply_parameters=reply,
        )
    except TelegramError as exc:
        log.warning("staff_not_told reason=%s", type(exc).__name__)
        return None


async def tell_closed(
    context: BotContext, question: Question, by: ClosedBy, *, staff: bool = True
) -> None:
    days, number = context.settings.asking.retention_days, question.number or 0
    await _retire_staff_buttons(context, question)
    if staff:
        await tell_staff(context, question, lambda t: staff_closed_text(t, number, by, days))
    if question.asker_id is None:
        return
    member = await context.store.members.get(question.asker_id)
    t = context.member_translator(member)
    await send_private(context, question.asker_id, member_closed_text(t, number, by, days))


async def _retire_staff_buttons(context: BotContext, question: Question) -> None:
    messages = await context.store.questions.messages(question.question_id)
    first = messages[0].staff_message_id if messages else None
    if question.staff_chat_id is None or first is None:
        return
    try:
        await context.bot.edit_message_reply_markup(question.staff_chat_id, first)
    except TelegramError as exc:
        log.info("staff_buttons_not_removed reason=%s", type(exc).__name__)


async def _show(
    context: BotContext,
    query: CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace the pressed message; if Telegram refuses (too old), send it anew."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:
        log.info("message_not_edited reason=%s", type(exc).__name__)
        await send_private(context, query.from_user.id, text, markup)


async def _remove_buttons(query: CallbackQuery) -> None:
    await _set_buttons(query, None)


async def _set_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_reply_markup(markup)
    except TelegramError as exc:
        log.info("buttons_not_changed reason=%s", type(exc).__name__)


# --- organisation admins: blocks -----------------------------------------------------------


@dataclass(frozen=True)
class AdminCommand:
    message: Message
    region: str | None  # from a staff chat: its region only


async def admin_command(update: Update, context: BotContext) -> AdminCommand | None:
    """An organisation admin's command in private or a staff chat; others are told no."""
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return None
    staff = context.registered_chat
    in_staff = staff is not None and staff.kind == "staff"
    if chat.type != ChatType.PRIVATE and not in_staff:
        await message.reply_text(
            context.t.gettext("Use this in a private chat with me or in a staff chat.")
        )
        return None
    if user.id not in context.settings.bot.admins:
        await message.reply_text(context.t.gettext("Only organisation admins can do that."))
        return None
    return AdminCommand(message, staff.region if staff is not None and in_staff else None)


async def on_unblock(update: Update, context: BotContext) -> None:
    command, t = await admin_command(update, context), context.t
    if command is None:
        return
    message = command.message
    words = after_command(message.text)
    code = words[0].strip().upper() if words else ""
    if not _CODE.match(code):
        await message.reply_text(
            t.gettext("Write /unblock and the block code, for example /unblock K7M2QX.")
        )
        return
    lifted = await context.store.questions.unblock(code)
    if lifted is None:
        await message.reply_text(t.gettext("There is no block with the code {code}.", code=code))
        return
    log.info("question_block_lifted")
    await message.reply_text(
        t.gettext(
            "Block {code} is lifted: that person can send questions to {region} again.",
            code=code,
            region=lifted.region,
        )
    )


async def on_blocks(update: Update, context: BotContext) -> None:
    command, t = await admin_command(update, context), context.t
    if command is None:
        return
    blocks = await context.store.questions.blocks(command.region)
    if not blocks:
        await command.message.reply_text(t.gettext("Nobody is blocked from asking."))
        return
    lines = [
        t.gettext(
            "{code} – {region}, question #{number}, since {date}",
            code=b.block_id,
            region=b.region,
            number=b.question_number or "?",
            date=t.date(b.blocked_at),
        )
        for b in blocks
    ]
    await command.message.reply_text("\n".join(lines))


# --- retention -----------------------------------------------------------------------------


async def apply_retention(context: BotContext) -> None:
    """Daily: close quiet questions, erase old texts and asker links, drop old drafts."""
    days = context.settings.asking.retention_days
    result = await context.store.questions.expire(context.clock.now(), timedelta(days=days))
    for question in result.expired:
        await tell_closed(context, question, "expired")
    log.info(
        "question_retention expired=%d erased=%d drafts=%d",
        len(result.expired),
        result.erased,
        result.drafts_deleted,
    )
