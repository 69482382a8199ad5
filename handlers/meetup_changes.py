"""Cancelling a meetup or one of its dates: everyone who signed up hears it privately."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.meetup_parsing import LINK_MAX, PLACE_MAX, ParseError, parse_when
from handlers.meetup_texts import parse_error_text, place_text, rsvp_buttons
from handlers.reminders import plan_meetup, upcoming
from storage import Chat, Meetup

log = logging.getLogger(__name__)
_LOOK_AHEAD = timedelta(days=366)


async def cancel_meetup(update: Update, context: BotContext, group: Chat, args: list[str]) -> None:
    """`/meetup cancel CODE [DATE] [reason]`: the whole series, or one date of it."""
    message = update.effective_message
    assert message is not None
    meetup = await context.store.meetups.get(args[0]) if args else None
    if meetup is None or meetup.chat_id != group.chat_id or meetup.cancelled_at is not None:
        await message.reply_text(
            context.t.gettext(
                "I can't find that meetup. Use the code I gave when it was added, for example: "
                "/meetup cancel CODE, or /meetup cancel CODE 3.12. for one date."
            )
        )
        return
    now = context.clock.now()
    one_date, reason_words = await _one_date(context, meetup, args[1:])
    reason = " ".join(reason_words).strip()[:300] or None
    if one_date is None:
        dates = upcoming(meetup, now, now + _LOOK_AHEAD)
        await context.store.meetups.cancel(meetup.meetup_id, now)
        await context.store.reminders.withdraw(meetup.meetup_id, now=now)
    else:
        dates = [one_date]
        await context.store.meetups.cancel_occurrence(meetup.meetup_id, one_date, now)
        await context.store.reminders.withdraw(meetup.meetup_id, one_date, now=now)
    notified = 0
    for starts_at in dates:
        notified += await tell_attendees(context, meetup, starts_at, reason)
    log.info("meetup_cancelled dates=%d notified=%d", len(dates), notified)
    await message.reply_text(cancelled_text(context.t, meetup, one_date))


async def _one_date(
    context: BotContext, meetup: Meetup, words: list[str]
) -> tuple[datetime | None, list[str]]:
    """A date right after the code picks one occurrence of a series."""
    if not words or meetup.frequency is None:
        return None, words
    zone = context.settings.bot.zone
    now_local = context.clock.now().astimezone(zone).replace(tzinfo=None)
    local_time = meetup.start_local.strftime("%H:%M")
    parsed = parse_when(f"{words[0]} {local_time}", now_local)
    if isinstance(parsed, tuple):
        start = parsed[0].replace(tzinfo=zone)
        for occurrence in upcoming(meetup, context.clock.now(), context.clock.now() + _LOOK_AHEAD):
            if occurrence == start.astimezone(occurrence.tzinfo):
                return occurrence, words[1:]
    return None, words


async def tell_attendees(
    context: BotContext, meetup: Meetup, starts_at: datetime, reason: str | None
) -> int:
    told = 0
    for rsvp in await context.store.rsvps.attendees(meetup.meetup_id, starts_at):
        member = await context.store.members.get(rsvp.user_id)
        if member is None:
            continue
        t = context.member_translator(member)
        told += await send_private(
            context, rsvp.user_id, cancel_notice(t, meetup, starts_at, reason)
        )
    return told


def cancel_notice(t: Translator, meetup: Meetup, starts_at: datetime, reason: str | None) -> str:
    text = t.gettext(
        "Sorry – the meetup “{title}” on {when} is cancelled.",
        title=meetup.title,
        when=t.datetime(starts_at),
    )
    if reason:
        text += " " + t.gettext("The reason: {reason}", reason=reason)
    return text


def cancelled_text(t: Translator, meetup: Meetup, one_date: datetime | None) -> str:
    if one_date is None:
        return t.gettext(
            "Cancelled: “{title}”. Those who signed up were told privately.", title=meetup.title
        )
    return t.gettext(
        "Cancelled: “{title}” on {when}. Those who signed up were told privately.",
        title=meetup.title,
        when=t.datetime(one_date),
    )


EDITABLE = ("title", "place", "link", "notes", "when")


async def edit_meetup(context: BotContext, group: Chat, text: str) -> str:
    """`/meetup edit CODE [DATE] FIELD VALUE`; returns the answer for the facilitator.

    With a DATE, only that date of a series changes: it becomes a meetup of its own.
    """
    words = text.split(maxsplit=3)[2:]  # CODE and the rest, after "/meetup edit"
    meetup = await context.store.meetups.get(words[0]) if words else None
    if meetup is None or meetup.chat_id != group.chat_id or meetup.cancelled_at is not None:
        return edit_usage(context.t)
    rest = words[1].split() if len(words) > 1 else []
    one_date, rest = await _one_date(context, meetup, rest)
    field = rest[0].lower() if rest else ""
    if field not in EDITABLE:
        return edit_usage(context.t)
    value = " ".join(words[1].split(maxsplit=(2 if one_date else 1))[(2 if one_date else 1) :])
    changes = await _changes(context, field, value.strip())
    if isinstance(changes, str):
        return changes
    if one_date is not None:
        if changes.get("frequency"):
            return edit_usage(context.t)
        return await _edit_one_date(context, meetup, one_date, changes)
    return await _edit_series(context, meetup, changes, moved=field == "when")


async def _edit_series(
    context: BotContext, meetup: Meetup, changes: dict[str, Any], *, moved: bool
) -> str:
    now = context.clock.now()
    before = upcoming(meetup, now, now + _LOOK_AHEAD)[:3]
    updated = await context.store.meetups.update(meetup.meetup_id, **changes)
    if updated is None:
        return edit_usage(context.t)
    if moved:
        await context.store.reminders.withdraw(meetup.meetup_id, now=now)
    await plan_meetup(context.store, context.settings, updated, now)
    for starts_at in before:
        await tell_changed(context, updated, starts_at, moved=moved)
    return context.t.gettext("Changed. Those who signed up were told privately.")


async def _edit_one_date(
    context: BotContext, series: Meetup, starts_at: datetime, changes: dict[str, Any]
) -> str:
    """That date leaves the series and becomes its own meetup; its sign-ups go along."""
    store, now = context.store, context.clock.now()
    local = starts_at.astimezone(ZoneInfo(series.zone)).replace(tzinfo=None)
    fields: dict[str, Any] = {
        "title": series.title,
        "place": series.place,
        "online": series.online,
        "online_link": series.online_link,
        "notes": series.notes,
        "start_local": local,
        "zone": series.zone,
        "duration": series.duration,
    }
    fields.update(
        {k: v for k, v in changes.items() if k not in ("frequency", "weekday", "week_of_month")}
    )
    single = await store.meetups.create(series.chat_id, at=now, **fields)
    await store.meetups.cancel_occurrence(series.meetup_id, starts_at, now)
    await store.reminders.withdraw(series.meetup_id, starts_at, now=now)
    new_start = upcoming(single, now, now + _LOOK_AHEAD)[:1]
    if new_start:
        # The sign-ups move along, so nobody has to answer again.
        await store.rsvps.move(series.meetup_id, starts_at, single.meetup_id, new_start[0])
        await plan_meetup(store, context.settings, single, now)
        await tell_changed(context, single, new_start[0], moved=False)
    return context.t.gettext(
        "Changed that date only. Its new code is {code}. Those who signed up were told privately.",
        code=single.meetup_id,
    )


async def _changes(context: BotContext, field: str, value: str) -> dict[str, Any] | str:
    t = context.t
    if field == "when":
        zone = context.settings.bot.zone
        now_local = context.clock.now().astimezone(zone).replace(tzinfo=None)
        parsed = parse_when(value, now_local)
        if isinstance(parsed, ParseError):
            return parse_error_text(t, parsed)
        start, recurrence, duration = parsed
        return {
            "start_local": start,
            "duration": duration,
            "frequency": recurrence.frequency.name.lower() if recurrence else None,
            "weekday": recurrence.weekday if recurrence else None,
            "week_of_month": recurrence.week_of_month if recurrence else None,
        }
    if field == "title" and not 0 < len(value) <= 100:
        return parse_error_text(t, ParseError.NO_TITLE if not value else ParseError.TITLE_TOO_LONG)
    if field == "place" and len(value) > PLACE_MAX:
        return parse_error_text(t, ParseError.PLACE_TOO_LONG)
    if field == "link" and len(value) > LINK_MAX:
        return parse_error_text(t, ParseError.LINK_TOO_LONG)
    if field == "link" and value not in ("", "-") and not value.startswith("https://"):
        return parse_error_text(t, ParseError.BAD_LINK)
    if field == "notes" and len(value) > 500:
        return parse_error_text(t, ParseError.NOTES_TOO_LONG)
    column = {"link": "online_link"}.get(field, field)
    return {column: None if value in ("", "-") and field != "title" else value}


def edit_usage(t: Translator) -> str:
    return t.gettext(
        "Use: /meetup edit CODE title|place|link|notes|when NEW VALUE, for example "
        "/meetup edit CODE when 4.12. 18:00 or /meetup edit CODE place Lahti library. "
        "With a date after the code, only that date of a series changes: "
        "/meetup edit CODE 8.12. when 9.12. 18:00. A dash (-) empties the place, link or notes."
    )


async def tell_changed(
    context: BotContext, meetup: Meetup, starts_at: datetime, *, moved: bool
) -> None:
    """Those who signed up hear what changed; after a series moves, they may answer again."""
    now = context.clock.now()
    new = upcoming(meetup, now, now + _LOOK_AHEAD)[:1]
    for rsvp in await context.store.rsvps.attendees(meetup.meetup_id, starts_at):
        member = await context.store.members.get(rsvp.user_id)
        if member is None:
            continue
        t = context.member_translator(member)
        text = t.gettext(
            "The meetup “{title}” has changed. 📍 {place}",
            title=meetup.title,
            place=place_text(t, meetup),
        )
        if new:
            text += "\n🕔 " + t.datetime(new[0])
        markup = None
        if moved and new:
            text += "\n" + t.gettext(
                "The time changed, so please tell again whether you are coming."
            )
            markup = rsvp_buttons(t, meetup.meetup_id, new[0])
        await send_private(context, rsvp.user_id, text, markup)
