"""Signing up: coming / maybe / can't come, reminders by choice, and a calendar file."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.meetup_calendar import calendar_file
from handlers.meetup_texts import ANSWERS, meetup_card, place_text
from handlers.moderation_common import edit_pressed, parse_id
from handlers.reminders import plan_meetup, upcoming
from storage import Meetup, Store
from storage.models import RsvpAnswer

log = logging.getLogger(__name__)
# Far beyond any meetup, and safely inside what datetime can hold (forged data goes further).
LAST_STAMP = 2**35


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(on_rsvp, pattern=r"^rsvp:"))
    app.add_handler(CallbackQueryHandler(on_remind_me, pattern=r"^remind:"))
    app.add_handler(CallbackQueryHandler(on_calendar, pattern=r"^ics:"))
    app.add_handler(CommandHandler("reminders", on_reminders))


@dataclass(frozen=True)
class Answer:
    meetup_id: str
    starts_at: datetime
    answer: RsvpAnswer


def parse_answer(data: str) -> Answer | None:
    """rsvp:MEETUP:UNIXTIME:y|m|n; None for anything else."""
    parts = data.split(":")
    stamp = parse_id(parts[2]) if len(parts) == 4 else None
    if stamp is None or not 0 <= stamp <= LAST_STAMP or parts[3] not in ANSWERS:
        return None
    return Answer(parts[1], datetime.fromtimestamp(stamp, UTC), ANSWERS[parts[3]])


async def valid_occurrence(
    store: Store, meetup_id: str, starts_at: datetime, now: datetime
) -> Meetup | None:
    """The meetup, if this really is one of its coming, not cancelled dates."""
    meetup = await store.meetups.get(meetup_id)
    if meetup is None or meetup.cancelled_at is not None or starts_at <= now:
        return None
    if starts_at in await store.meetups.cancelled_occurrences(meetup_id):
        return None
    dates = upcoming(meetup, starts_at, starts_at + timedelta(seconds=1))
    return meetup if starts_at in dates else None


async def on_rsvp(update: Update, context: BotContext) -> None:
    query = update.callback_query
    answer = parse_answer(query.data or "") if query else None
    if query is None:
        return
    now = context.clock.now()
    meetup = (
        await valid_occurrence(context.store, answer.meetup_id, answer.starts_at, now)
        if answer
        else None
    )
    if answer is None or meetup is None:
        await query.answer(context.t.gettext("This meetup is no longer open for answers."))
        return
    user_id = query.from_user.id
    await context.store.rsvps.answer(
        meetup.meetup_id, answer.starts_at, user_id, answer.answer, now
    )
    if answer.answer == "no":
        await context.store.reminders.withdraw(
            meetup.meetup_id, answer.starts_at, "private", user_id, now=now
        )
    counts = await context.store.rsvps.counts(meetup.meetup_id, answer.starts_at)
    t = context.member_t
    await query.answer(
        t.gettext(
            "Thanks! Coming: {yes} · Maybe: {maybe} · Can't come: {no}",
            yes=counts.yes,
            maybe=counts.maybe,
            no=counts.no,
        )
    )
    message = query.message
    if isinstance(message, Message) and message.text and message.text.startswith("📅"):
        card = meetup_card(context.t, meetup, answer.starts_at, counts)
        if card != message.text:
            await edit_pressed(query, card, message.reply_markup)
    if answer.answer == "yes":
        await confirm_privately(context, user_id, meetup, answer.starts_at)


async def confirm_privately(
    context: BotContext, user_id: int, meetup: Meetup, starts_at: datetime
) -> None:
    """The details (and the online link) only in private, with calendar and reminders."""
    member = await context.store.members.get(user_id)
    t = context.member_translator(member)
    text = coming_text(t, meetup, starts_at)
    stamp = int(starts_at.timestamp())
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Add to calendar"), callback_data=f"ics:{meetup.meetup_id}"
                )
            ],
            [
                InlineKeyboardButton(
                    t.gettext("Remind me"), callback_data=f"remind:{meetup.meetup_id}:{stamp}"
                )
            ],
        ]
    )
    await send_private(context, user_id, text, buttons)


def coming_text(t: Translator, meetup: Meetup, starts_at: datetime) -> str:
    text = t.gettext(
        "Great, see you there! 💛\n📅 {title}\n🕔 {when}\n📍 {place}",
        title=meetup.title,
        when=t.datetime(starts_at),
        place=place_text(t, meetup),
    )
    if meetup.online_link:
        text += "\n" + t.gettext("Online: {link}", link=meetup.online_link)
    if meetup.notes:
        text += f"\nℹ️ {meetup.notes}"
    return text + "\n\n" + t.gettext("Reminders are off unless you ask for them.")


async def on_remind_me(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    now = context.clock.now()
    answer = parse_answer(f"rsvp:{parts[1]}:{parts[2]}:y") if len(parts) == 3 else None
    meetup = (
        await valid_occurrence(context.store, answer.meetup_id, answer.starts_at, now)
        if answer
        else None
    )
    if answer is None or meetup is None:
        await query.answer(context.t.gettext("This meetup is no longer open for answers."))
        return
    rsvp = await context.store.rsvps.get(meetup.meetup_id, answer.starts_at, query.from_user.id)
    await context.store.rsvps.answer(
        meetup.meetup_id,
        answer.starts_at,
        query.from_user.id,
        rsvp.answer if rsvp else "yes",
        now,
        remind=True,
    )
    await plan_meetup(context.store, context.settings, meetup, now)
    await query.answer(
        context.t.gettext(
            "I'll remind you the day before and two hours before. /reminders off stops them."
        ),
        show_alert=True,
    )


async def on_calendar(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    meetup = await context.store.meetups.get(query.data.removeprefix("ics:"))
    if meetup is None or meetup.cancelled_at is not None:
        await query.answer(context.t.gettext("This meetup is no longer open for answers."))
        return
    user_id = query.from_user.id
    coming = any(
        r.meetup_id == meetup.meetup_id and r.answer == "yes"
        for r in await context.store.rsvps.of_member(user_id)
    )
    cancelled = await context.store.meetups.cancelled_occurrences(meetup.meetup_id)
    data = calendar_file([meetup], {meetup.meetup_id: cancelled}, with_links=coming)
    await query.answer()
    await context.bot.send_document(user_id, data, filename="meetup.ics")


async def on_reminders(update: Update, context: BotContext) -> None:
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(context.t.gettext("Use /reminders in a private chat with me."))
        return
    choice = (context.args or [""])[0].lower()
    store, now = context.store, context.clock.now()
    if choice == "on":
        groups = [c.chat_id for c in await store.joins.consents_of(user.id)]
        for chat_id in groups:
            await store.rsvps.subscribe(user.id, chat_id, now)
        for meetup in await store.meetups.for_chats(groups):
            await plan_meetup(store, context.settings, meetup, now)
        await message.reply_text(
            context.t.gettext(
                "Reminders are on for all meetups of your groups: the day before and two hours "
                "before, never at night. /reminders off stops them."
            )
        )
    elif choice == "off":
        await reminders_off(store, user.id, now)
        await message.reply_text(context.t.gettext("Reminders are off. I won't send any."))
    else:
        await message.reply_text(
            context.t.gettext(
                "/reminders on – reminders for all meetups of your groups\n"
                "/reminders off – no reminders at all"
            )
        )


async def reminders_off(store: Store, user_id: int, now: datetime) -> None:
    """Stops them at once: subscriptions, per-meetup choices and planned messages."""
    await store.rsvps.unsubscribe(user_id)
    for rsvp in await store.rsvps.of_member(user_id):
        if rsvp.remind:
            await store.rsvps.answer(
                rsvp.meetup_id, rsvp.starts_at, user_id, rsvp.answer, now, remind=False
            )
        await store.reminders.withdraw(rsvp.meetup_id, None, "private", user_id, now=now)
    for chat_id in [c.chat_id for c in await store.joins.consents_of(user_id)]:
        for meetup in await store.meetups.for_chats([chat_id]):
            await store.reminders.withdraw(meetup.meetup_id, None, "private", user_id, now=now)
