"""When meetups happen and when to remind about them, right across daylight-saving changes.

A meetup keeps its local wall time: 17:00 is 17:00 in winter and in summer, so its UTC time
moves. Meetups are stored as naive local wall times; everything returned here is aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.meetup_parsing import Frequency, Recurrence, next_month, weekday_in_month

_DAY = timedelta(days=1)
# A reminder that would land in quiet hours goes out this long before they begin.
QUIET_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class QuietHours:
    """Local hours without private reminders, e.g. 22:00–08:00 (may span midnight)."""

    start: time
    end: time

    def period_start(self, wall: datetime) -> datetime | None:
        """When the quiet period containing the naive local `wall` began, or None if outside."""
        moment = wall.time()
        if self.start == self.end:
            return None
        if self.start < self.end:
            inside = self.start <= moment < self.end
            return datetime.combine(wall.date(), self.start) if inside else None
        if moment >= self.start:
            return datetime.combine(wall.date(), self.start)
        if moment < self.end:
            return datetime.combine(wall.date() - _DAY, self.start)
        return None


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time as aware UTC.

    A time in the spring-forward gap moves forward by the gap (03:30 → 04:30); an ambiguous
    time in the fall-back hour is its first instance.
    """
    if local.tzinfo is not None:
        raise ValueError("expected a naive local wall time")
    # fold=0 reads the wall time with the offset in force before a transition (PEP 495): in a
    # gap that lands the gap's length later, in an overlap it is the earlier instant.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def occurrences(
    start: datetime,
    recurrence: Recurrence | None,
    zone: ZoneInfo,
    after: datetime,
    until: datetime,
) -> list[datetime]:
    """Every occurrence starting at or after `after` and before `until`, as aware UTC.

    `start` is the naive local wall time of the first occurrence; every later one keeps it.
    """
    found = []
    near = after.astimezone(zone).replace(tzinfo=None)
    for wall in _wall_times(start, recurrence, near):
        moment = local_to_utc(wall, zone)
        # Occurrences are days apart, so their UTC order is their local order.
        if moment >= until:
            break
        if moment >= after:
            found.append(moment)
    return found


def _wall_times(
    start: datetime, recurrence: Recurrence | None, near: datetime
) -> Iterator[datetime]:
    """Local wall times of the occurrences from `start`, skipping most of those before `near`."""
    if recurrence is None:
        yield start
    elif recurrence.frequency is Frequency.MONTHLY:
        yield from _monthly(start, recurrence, near)
    else:
        step = timedelta(days=7 if recurrence.frequency is Frequency.WEEKLY else 14)
        # Jump close to `near` instead of walking from a start years ago; keeping one step in
        # hand covers the difference between local and UTC. Wall-clock steps keep the time.
        current = start + max(0, (near - start) // step - 1) * step
        while True:
            yield current
            current += step


def _monthly(start: datetime, recurrence: Recurrence, near: datetime) -> Iterator[datetime]:
    week = recurrence.week_of_month
    assert week is not None  # Recurrence guarantees it for MONTHLY
    month_before_near = (near.year, near.month - 1) if near.month > 1 else (near.year - 1, 12)
    year, month = max((start.year, start.month), month_before_near)
    while True:
        day = weekday_in_month(year, month, recurrence.weekday, week)
        wall = datetime.combine(day, start.time())
        if wall >= start:
            yield wall
        year, month = next_month(year, month)


def reminder_time(
    occurrence: datetime, offset: timedelta, zone: ZoneInfo, quiet: QuietHours | None
) -> datetime:
    """When to remind `offset` before an occurrence (aware), as aware UTC.

    Whole days are calendar days ("a day before" a 17:00 meetup is 17:00 the day before, even
    across a clock change); other offsets are real durations. A reminder falling in quiet hours
    moves earlier, to QUIET_MARGIN before they begin, never later into the night.
    """
    due = _before(occurrence, offset, zone)
    if quiet is None:
        return due
    began = quiet.period_start(due.astimezone(zone).replace(tzinfo=None))
    if began is None:
        return due
    # min(): should a clock change fall just then, the moved time must still not be later.
    return min(local_to_utc(began - QUIET_MARGIN, zone), due)


def _before(occurrence: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    if offset and offset % _DAY == timedelta(0):
        wall = occurrence.astimezone(zone).replace(tzinfo=None)
        return local_to_utc(wall - offset, zone)
    return (occurrence - offset).astimezone(UTC)


def reminder_plan(
    occurrence: datetime,
    offsets: Sequence[timedelta],
    zone: ZoneInfo,
    quiet: QuietHours | None,
    now: datetime,
) -> list[datetime]:
    """The sorted, distinct reminder times of one occurrence.

    Times already past `now` are kept on purpose: the dispatcher decides what is too late.
    """
    return sorted({reminder_time(occurrence, offset, zone, quiet) for offset in offsets})
