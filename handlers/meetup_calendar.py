"""Meetups as an iCalendar file that phones open with the right local time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from storage import Meetup

if TYPE_CHECKING:
    from icalendar import Event

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def recurrence_rule(meetup: Meetup) -> dict[str, object] | None:
    """The RRULE for a series, or None for a single meetup."""
    if meetup.frequency is None or meetup.weekday is None:
        return None
    day = _DAYS[meetup.weekday]
    if meetup.frequency == "monthly":
        return {"freq": "monthly", "byday": f"{meetup.week_of_month or 1}{day}"}
    interval = 2 if meetup.frequency == "biweekly" else 1
    return {"freq": "weekly", "interval": interval, "byday": day}


def meetup_event(meetup: Meetup, cancelled: Iterable[datetime], *, with_link: bool) -> Event:
    from icalendar import Event

    zone = ZoneInfo(meetup.zone)
    start = meetup.start_local.replace(tzinfo=zone)
    event = Event()
    event.add("uid", f"{meetup.meetup_id}@vertaisbot")
    event.add("summary", meetup.title)
    event.add("dtstamp", meetup.created_at)
    event.add("dtstart", start)
    event.add("dtend", start + meetup.duration)
    if meetup.place:
        event.add("location", meetup.place)
    description = [
        part for part in (meetup.notes, meetup.online_link if with_link else None) if part
    ]
    if description:
        event.add("description", "\n".join(description))
    rule = recurrence_rule(meetup)
    if rule is not None:
        event.add("rrule", rule)
        for moment in sorted(cancelled):
            event.add("exdate", moment.astimezone(zone))
    return event


def calendar_file(
    meetups: Iterable[Meetup],
    cancelled: Mapping[str, Iterable[datetime]],
    *,
    with_links: bool,
) -> bytes:
    """One .ics for one meetup or a whole schedule; links only for people who are coming."""
    # Loaded on first use: a few megabytes the bot need not carry until someone asks.
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//vertaisbot//meetups//EN")
    calendar.add("version", "2.0")
    for meetup in meetups:
        calendar.add_component(
            meetup_event(meetup, cancelled.get(meetup.meetup_id, ()), with_link=with_links)
        )
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
