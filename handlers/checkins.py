"""After-meetup check-ins: a few anonymous questions the morning after, opt-in.

Asked: those who said they were coming and have private reminders on (for the meetup, or
for the group), unless they said /checkins off. Answers become counts per occurrence; who
answered is known only as keyed tokens until the round closes (see storage.checkins).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from bot.settings import Settings
from handlers.meetup_schedule import QuietHours, local_to_utc
from handlers.reminders import upcoming
from storage import Meetup, Store
from storage.checkins import QUESTIONS, AnswerOutcome, HeldMeetup

log = logging.getLogger(__name__)
ROUND_JOB = "checkin-round"
CHECKIN_TIME = time(9, 0)  # local, the morning after the meetup
WINDOW = timedelta(days=3)  # how long answers are taken; then nothing links them to anyone
LOOKBACK = timedelta(days=2)  # occurrences noticed late (say, after a restart) still count
RATING_EMOJI = ("😞", "🙁", "😐", "🙂", "😄")
ORDER = list(QUESTIONS)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("checkins", on_checkins_command))
    app.add_handler(CallbackQueryHandler(on_answer, pattern=r"^ci:"))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            checkin_round,
            interval=timedelta(minutes=10),
            first=timedelta(seconds=15),
            name=ROUND_JOB,
        )


# --- when ------------------------------------------------------------------------------------


def checkin_due(meetup: Meetup, starts_at: datetime, quiet: QuietHours) -> datetime:
    """09:00 local on the day after the meetup ends; later if quiet hours last longer."""
    zone = ZoneInfo(meetup.zone)
    ended = (starts_at + meetup.duration).astimezone(zone)
    wall = datetime.combine(ended.date() + timedelta(days=1), CHECKIN_TIME)
    if quiet.period_start(wall) is not None:
        wall = datetime.combine(wall.date(), quiet.end)
    return local_to_utc(wall, zone)


async def record_held(store: Store, settings: Settings, now: datetime) -> int:
    """Note the occurrences that have started (with their round); how many were new."""
    quiet = QuietHours(settings.meetups.quiet_hours_start, settings.meetups.quiet_hours_end)
    chats = {c.chat_id: c for c in await store.chats.list("peer_group")}
    noted = 0
    for meetup in await store.meetups.for_chats(list(chats), include_cancelled=True):
        cancelled = await store.meetups.cancelled_occurrences(meetup.meetup_id)
        for starts_at in upcoming(meetup, now - LOOKBACK, now + timedelta(seconds=1)):
            if starts_at in cancelled or _called_off(meetup, starts_at):
                continue
            counts = await store.rsvps.counts(meetup.meetup_id, starts_at)
            due = checkin_due(meetup, starts_at, quiet)
            noted += await store.checkins.record_held(
                meetup.meetup_id,
                starts_at,
                meetup.chat_id,
                chats[meetup.chat_id].region,
                coming=counts.yes,
                maybe=counts.maybe,
                due_at=due,
                closes_at=due + WINDOW,
            )
    return noted


def _called_off(meetup: Meetup, starts_at: datetime) -> bool:
    return meetup.cancelled_at is not None and meetup.cancelled_at <= starts_at


async def checkin_round(context: BotContext) -> None:
    store, now = context.store, context.clock.now()
    noted = await record_held(store, context.settings, now)
    asked = 0
    for held in await store.checkins.claim_due(now):
        asked += await ask(context, held)
    closed = await store.checkins.close_due(now)
    if noted or asked or closed:
        log.info("checkins held=%d asked=%d closed=%d", noted, asked, closed)


# --- asking ----------------------------------------------------------------------------------


async def audience(store: Store, held: HeldMeetup) -> list[int]:
    """Said yes, have private reminders on, and have not turned check-ins off."""
    subscribers = set(await store.rsvps.subscribers(held.chat_id))
    coming = await store.rsvps.attendees(held.meetup_id, held.starts_at, answers=("yes",))
    wanted = [r.user_id for r in coming if r.remind or r.user_id in subscribers]
    return [user_id for user_id in wanted if not await store.checkins.is_off(user_id)]


async def ask(context: BotContext, held: HeldMeetup) -> int:
    store = context.store
    meetup = await store.meetups.get(held.meetup_id)
    if meetup is None:
        return 0
    members = await audience(store, held)
    await store.checkins.invite(held.checkin_id, members)
    asked = 0
    for user_id in members:
        t = context.member_translator(await store.members.get(user_id))
        text = intro_text(t, meetup.title) + "\n\n" + question_text(t, ORDER[0])
        asked += await send_private(context, user_id, text, buttons(t, held.checkin_id, ORDER[0]))
    return asked


def intro_text(t: Translator, title: str) -> str:
    return t.gettext(
        "Thanks for coming to {title}! 💛 Three quick questions. Nobody sees who answered "
        "what, and you can skip any of them. (/checkins off stops these.)",
        title=title,
    )


def question_text(t: Translator, question: str) -> str:
    if question == "how":
        return t.gettext("How was the meetup?")
    if question == "less_alone":
        return t.gettext("Did you feel less alone afterwards?")
    return t.gettext("Will you come again?")


def buttons(t: Translator, checkin_id: str, question: str) -> InlineKeyboardMarkup:
    def button(label: str, answer: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"ci:{checkin_id}:{question}:{answer}")

    skip = [button(t.gettext("Skip"), "skip")]
    if question == "how":
        ratings = [button(RATING_EMOJI[i - 1], str(i)) for i in range(1, 6)]
        return InlineKeyboardMarkup([ratings, skip])
    words = {
        "yes": t.gettext("Yes"),
        "a_bit": t.gettext("A bit"),
        "maybe": t.gettext("Maybe"),
        "no": t.gettext("No"),
    }
    answers = [button(words[a], a) for a in QUESTIONS[question] if a != "skip"]
    return InlineKeyboardMarkup([answers, skip])


# --- answering -------------------------------------------------------------------------------


def parse_press(data: str) -> tuple[str, str, str] | None:
    """ci:CHECKIN:QUESTION:ANSWER → (checkin id, question, answer); None if not valid."""
    parts = data.split(":")
    if len(parts) != 4 or parts[3] not in QUESTIONS.get(parts[2], ()):
        return None
    return parts[1], parts[2], parts[3]


async def on_answer(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    t = context.member_t
    press = parse_press(query.data or "")
    if press is None:
        await query.answer(t.gettext("This button no longer works."))
        return
    checkin_id, question, answer = press
    outcome = await context.store.checkins.answer(
        checkin_id, query.from_user.id, question, answer, context.clock.now()
    )
    if outcome is AnswerOutcome.CLOSED:
        await query.answer(t.gettext("This check-in has closed. Thank you anyway! 💛"))
    elif outcome is AnswerOutcome.NOT_ASKED:
        await query.answer(t.gettext("This button no longer works."))
    elif outcome is AnswerOutcome.ALREADY_ANSWERED:
        await query.answer(t.gettext("You already answered this one. Thank you!"))
    else:
        await query.answer()
        await _next_question(query, t, checkin_id, question)


async def _next_question(
    query: CallbackQuery, t: Translator, checkin_id: str, question: str
) -> None:
    position = ORDER.index(question) + 1
    if position < len(ORDER):
        following = ORDER[position]
        await query.edit_message_text(
            question_text(t, following), reply_markup=buttons(t, checkin_id, following)
        )
    else:
        await query.edit_message_text(
            t.gettext("Thank you! Your answers were counted anonymously. 💛")
        )


# --- opting out ------------------------------------------------------------------------------


async def on_checkins_command(update: Update, context: BotContext) -> None:
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return
    t = context.t
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(t.gettext("Use /checkins in a private chat with me."))
        return
    choice = (context.args or [""])[0].lower()
    if choice in ("on", "off"):
        await context.store.checkins.set_off(user.id, choice == "off", context.clock.now())
    if choice == "off":
        text = t.gettext("Check-ins are off. I won't ask how meetups went.")
    elif choice == "on":
        text = t.gettext(
            "Check-ins are on. The morning after a meetup you said you'd come to, I'll ask "
            "three quick, anonymous questions – if your reminders are on (/reminders on)."
        )
    else:
        text = t.gettext(
            "/checkins on – three anonymous questions the morning after a meetup\n"
            "/checkins off – no questions after meetups"
        )
    await message.reply_text(text)
