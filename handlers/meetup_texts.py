"""How a meetup reads: in a group, in private, in a reminder. Counts, never names."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from handlers.meetup_parsing import ParseError
from storage.models import Meetup, RsvpAnswer, RsvpCounts

ANSWERS: dict[str, RsvpAnswer] = {"y": "yes", "m": "maybe", "n": "no"}


def when_text(t: Translator, starts_at: datetime) -> str:
    return t.datetime(starts_at)


def place_text(t: Translator, meetup: Meetup) -> str:
    if meetup.place:
        return meetup.place + (" " + t.gettext("(also online)") if meetup.online else "")
    return t.gettext("Online") if meetup.online else t.gettext("Place to be announced")


def meetup_card(t: Translator, meetup: Meetup, starts_at: datetime, counts: RsvpCounts) -> str:
    lines = [f"📅 {meetup.title}", f"🕔 {when_text(t, starts_at)}", f"📍 {place_text(t, meetup)}"]
    if meetup.notes:
        lines.append(f"ℹ️ {meetup.notes}")
    lines.append(
        t.gettext(
            "Coming: {yes} · Maybe: {maybe} · Can't come: {no}",
            yes=counts.yes,
            maybe=counts.maybe,
            no=counts.no,
        )
    )
    return "\n".join(lines)


def rsvp_buttons(t: Translator, meetup_id: str, starts_at: datetime) -> InlineKeyboardMarkup:
    stamp = int(starts_at.timestamp())
    labels = {"y": t.gettext("I'm coming"), "m": t.gettext("Maybe"), "n": t.gettext("Can't come")}
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=f"rsvp:{meetup_id}:{stamp}:{key}")
                for key, label in labels.items()
            ]
        ]
    )


def group_reminder(t: Translator, meetup: Meetup, starts_at: datetime, late: bool) -> str:
    head = t.gettext("Reminder: our meetup is coming up! 💛")
    if late:
        head += " " + t.gettext("(This reminder comes a little late.)")
    lines = [
        head,
        f"📅 {meetup.title}",
        f"🕔 {when_text(t, starts_at)}",
        f"📍 {place_text(t, meetup)}",
    ]
    if meetup.notes:
        lines.append(f"ℹ️ {meetup.notes}")
    return "\n".join(lines)


def private_reminder(
    t: Translator, meetup: Meetup, starts_at: datetime, late: bool, *, with_link: bool
) -> str:
    text = t.gettext(
        "Reminder: {title} is on {when}. 📍 {place}",
        title=meetup.title,
        when=when_text(t, starts_at),
        place=place_text(t, meetup),
    )
    if meetup.online_link and with_link:
        text += "\n" + t.gettext("Online: {link}", link=meetup.online_link)
    if late:
        text += "\n" + t.gettext("(This reminder comes a little late.)")
    return text + "\n\n" + t.gettext("Still coming? You can change your answer below.")


def parse_error_text(t: Translator, error: ParseError) -> str:
    example = t.gettext(
        "For example: /meetup add 3.12. 17:00 | Pizza and a chat | Rovaniemi library | "
        "https://meet.example/abc — or for a series: /meetup add weekly tue 17:00 | Peer evening"
    )
    reasons = {
        ParseError.EMPTY: t.gettext("Tell me when and what."),
        ParseError.NO_TITLE: t.gettext("The meetup needs a name after the first |."),
        ParseError.TITLE_TOO_LONG: t.gettext("The name can be at most 100 characters."),
        ParseError.PLACE_TOO_LONG: t.gettext("The place can be at most 200 characters."),
        ParseError.LINK_TOO_LONG: t.gettext("The online link can be at most 1000 characters."),
        ParseError.NO_WHEN: t.gettext("I need a date and a time, or a weekday for a series."),
        ParseError.BAD_DATE: t.gettext("I don't understand that date."),
        ParseError.IMPOSSIBLE_DATE: t.gettext("That date doesn't exist."),
        ParseError.BAD_TIME: t.gettext("I don't understand that time."),
        ParseError.WEEKDAY_MISMATCH: t.gettext("The weekday doesn't match the date."),
        ParseError.IN_THE_PAST: t.gettext("That moment has already passed."),
        ParseError.BAD_LINK: t.gettext("The online link must start with https://"),
        ParseError.NOTES_TOO_LONG: t.gettext("The notes can be at most 500 characters."),
        ParseError.BAD_RECURRENCE: t.gettext("I don't understand how often it repeats."),
        ParseError.BAD_DURATION: t.gettext("I don't understand that duration."),
    }
    return f"{reasons[error]}\n\n{example}"
