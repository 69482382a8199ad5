"""Occurrences and reminder times across daylight-saving changes, in more than one zone.

Helsinki in 2026: clocks go 03:00 → 04:00 on 29 March and 04:00 → 03:00 on 25 October
(UTC+2 in winter, UTC+3 in summer). New York: 02:00 → 03:00 on 8 March, 02:00 → 01:00 on
1 November (UTC-5 / UTC-4).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.meetup_parsing import Frequency, MeetupDraft, Recurrence, parse_meetup
from handlers.meetup_schedule import (
    QuietHours,
    local_to_utc,
    occurrences,
    reminder_plan,
    reminder_time,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
NIGHT = QuietHours(time(22), time(8))
DAY = timedelta(days=1)
WEEKLY_MON = Recurrence(Frequency.WEEKLY, 0)
WEEKLY_SUN = Recurrence(Frequency.WEEKLY, 6)
BIWEEKLY_THU = Recurrence(Frequency.BIWEEKLY, 3)
FIRST_TUE = Recurrence(Frequency.MONTHLY, 1, 1)
LAST_FRI = Recurrence(Frequency.MONTHLY, 4, -1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(moment: datetime, zone: ZoneInfo = HELSINKI) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def year_2026(start: datetime, recurrence: Recurrence, zone: ZoneInfo) -> list[datetime]:
    return occurrences(start, recurrence, zone, utc(2026, 1, 1), utc(2027, 1, 1))


@pytest.mark.parametrize(
    ("start", "recurrence", "expected"),
    [
        # Monday 17:00 is 15:00 UTC in winter and 14:00 UTC in summer.
        (
            datetime(2026, 3, 16, 17),
            WEEKLY_MON,
            [
                utc(2026, 3, 16, 15),
                utc(2026, 3, 23, 15),
                utc(2026, 3, 30, 14),
                utc(2026, 4, 6, 14),
            ],
        ),
        (
            datetime(2026, 10, 12, 17),
            WEEKLY_MON,
            [
                utc(2026, 10, 12, 14),
                utc(2026, 10, 19, 14),
                utc(2026, 10, 26, 15),
                utc(2026, 11, 2, 15),
            ],
        ),
        # Sundays at 03:30 meet the changes themselves: the gap moves that Sunday to 04:30,
        # the repeated hour takes its first 03:30; the week after is 03:30 again.
        (
            datetime(2026, 3, 22, 3, 30),
            WEEKLY_SUN,
            [
                utc(2026, 3, 22, 1, 30),
                utc(2026, 3, 29, 1, 30),
                utc(2026, 4, 5, 0, 30),
                utc(2026, 4, 12, 0, 30),
            ],
        ),
        (
            datetime(2026, 10, 18, 3, 30),
            WEEKLY_SUN,
            [
                utc(2026, 10, 18, 0, 30),
                utc(2026, 10, 25, 0, 30),
                utc(2026, 11, 1, 1, 30),
                utc(2026, 11, 8, 1, 30),
            ],
        ),
        (
            datetime(2026, 10, 15, 18),
            BIWEEKLY_THU,
            [
                utc(2026, 10, 15, 15),
                utc(2026, 10, 29, 16),
                utc(2026, 11, 12, 16),
                utc(2026, 11, 26, 16),
            ],
        ),
    ],
)
def test_four_occurrences_across_a_change(
    start: datetime, recurrence: Recurrence, expected: list[datetime]
):
    until = expected[-1] + timedelta(minutes=1)
    assert occurrences(start, recurrence, HELSINKI, start.replace(tzinfo=UTC) - DAY, until) == (
        expected
    )


def test_the_moved_sunday_is_at_04_30_local():
    found = occurrences(
        datetime(2026, 3, 22, 3, 30), WEEKLY_SUN, HELSINKI, utc(2026, 3, 28), utc(2026, 3, 30)
    )
    assert [local(moment) for moment in found] == [datetime(2026, 3, 29, 4, 30)]


@pytest.mark.parametrize(
    ("zone", "winter_hour", "summer_hour", "summer"),
    [
        (HELSINKI, 15, 14, (datetime(2026, 3, 29), datetime(2026, 10, 25))),
        (NEW_YORK, 22, 21, (datetime(2026, 3, 8), datetime(2026, 11, 1))),
        (UTC_ZONE, 17, 17, (datetime(2026, 3, 29), datetime(2026, 10, 25))),
    ],
)
def test_a_weekly_meetup_keeps_its_wall_time_all_year(
    zone: ZoneInfo, winter_hour: int, summer_hour: int, summer: tuple[datetime, datetime]
):
    found = year_2026(datetime(2026, 1, 5, 17), WEEKLY_MON, zone)
    assert len(found) == 52
    for moment in found:
        wall = local(moment, zone)
        assert (wall.weekday(), wall.time()) == (0, time(17))
        in_summer = summer[0] <= wall < summer[1]
        assert moment.hour == (summer_hour if in_summer else winter_hour)


def test_new_york_changes_on_its_own_dates():
    # 9 March: New York is already on summer time, Helsinki not yet.
    window = (utc(2026, 3, 1), utc(2026, 3, 10))
    start = datetime(2026, 3, 2, 17)
    assert occurrences(start, WEEKLY_MON, NEW_YORK, *window) == [
        utc(2026, 3, 2, 22),
        utc(2026, 3, 9, 21),
    ]
    assert occurrences(start, WEEKLY_MON, HELSINKI, *window) == [
        utc(2026, 3, 2, 15),
        utc(2026, 3, 9, 15),
    ]


FIRST_TUESDAYS = [(1, 6), (2, 3), (3, 3), (4, 7), (5, 5), (6, 2), (7, 7), (8, 4), (9, 1),
                  (10, 6), (11, 3), (12, 1)]  # fmt: skip
LAST_FRIDAYS = [(1, 30), (2, 27), (3, 27), (4, 24), (5, 29), (6, 26), (7, 31), (8, 28),
                (9, 25), (10, 30), (11, 27), (12, 25)]  # fmt: skip


@pytest.mark.parametrize(
    ("recurrence", "start", "days"),
    [
        (FIRST_TUE, datetime(2026, 1, 6, 17), FIRST_TUESDAYS),
        (LAST_FRI, datetime(2026, 1, 30, 17), LAST_FRIDAYS),
    ],
)
def test_monthly_over_a_year(recurrence: Recurrence, start: datetime, days: list[tuple[int, int]]):
    found = year_2026(start, recurrence, HELSINKI)
    assert [local(moment) for moment in found] == [
        datetime(2026, month, day, 17) for month, day in days
    ]
    # 27 March and 30 October fall outside summer time; 6 October inside it.
    summer = datetime(2026, 3, 29), datetime(2026, 10, 25)
    assert [moment.hour for moment in found] == [
        14 if summer[0] <= local(moment) < summer[1] else 15 for moment in found
    ]


@pytest.mark.parametrize(
    ("start", "recurrence", "after", "until", "expected"),
    [
        # A series that began years ago keeps its day and, every other week, its phase.
        (
            datetime(2020, 1, 2, 18),
            BIWEEKLY_THU,
            utc(2026, 10, 1),
            utc(2026, 11, 1),
            # 2464 days (176 fortnights) after the first.
            [utc(2026, 10, 1, 15), utc(2026, 10, 15, 15), utc(2026, 10, 29, 16)],
        ),
        (
            datetime(2020, 1, 7, 17),
            FIRST_TUE,
            utc(2026, 12, 1),
            utc(2027, 1, 1),
            [utc(2026, 12, 1, 15)],
        ),
        # `after` is inclusive, `until` exclusive.
        (
            datetime(2026, 12, 7, 17),
            WEEKLY_MON,
            utc(2026, 12, 7, 15),
            utc(2026, 12, 21, 15),
            [utc(2026, 12, 7, 15), utc(2026, 12, 14, 15)],
        ),
        (
            datetime(2026, 12, 7, 17),
            WEEKLY_MON,
            utc(2026, 12, 7, 15, 0, 1),
            utc(2026, 12, 21, 15, 0, 1),
            [utc(2026, 12, 14, 15), utc(2026, 12, 21, 15)],
        ),
        # Nothing before the first occurrence.
        (
            datetime(2026, 12, 7, 17),
            WEEKLY_MON,
            utc(2026, 11, 1),
            utc(2026, 12, 8),
            [utc(2026, 12, 7, 15)],
        ),
        # A one-off meetup.
        (
            datetime(2026, 12, 3, 17),
            None,
            utc(2026, 12, 1),
            utc(2026, 12, 4),
            [utc(2026, 12, 3, 15)],
        ),
        (datetime(2026, 12, 3, 17), None, utc(2026, 12, 3, 15, 1), utc(2026, 12, 4), []),
        (datetime(2026, 12, 3, 17), None, utc(2026, 12, 1), utc(2026, 12, 3, 15), []),
        (datetime(2026, 12, 7, 17), WEEKLY_MON, utc(2026, 12, 8), utc(2026, 12, 8), []),
    ],
)
def test_occurrence_windows(
    start: datetime,
    recurrence: Recurrence | None,
    after: datetime,
    until: datetime,
    expected: list[datetime],
):
    assert occurrences(start, recurrence, HELSINKI, after, until) == expected


def test_a_biweekly_series_from_years_ago_stays_in_phase():
    start = datetime(2020, 1, 2, 18)
    found = occurrences(start, BIWEEKLY_THU, HELSINKI, utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(found) == 26
    for moment in found:
        wall = local(moment)
        assert (wall - start).days % 14 == 0
        assert wall.time() == time(18)


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        (HELSINKI, datetime(2026, 3, 29, 2, 59), utc(2026, 3, 29, 0, 59)),
        (HELSINKI, datetime(2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0)),  # gap: 04:00
        (HELSINKI, datetime(2026, 3, 29, 3, 30), utc(2026, 3, 29, 1, 30)),  # gap: 04:30
        (HELSINKI, datetime(2026, 3, 29, 4, 0), utc(2026, 3, 29, 1, 0)),
        (HELSINKI, datetime(2026, 10, 25, 2, 59), utc(2026, 10, 24, 23, 59)),
        (HELSINKI, datetime(2026, 10, 25, 3, 30), utc(2026, 10, 25, 0, 30)),  # first of two
        (HELSINKI, datetime(2026, 10, 25, 4, 0), utc(2026, 10, 25, 2, 0)),
        (NEW_YORK, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30)),  # gap: 03:30
        (NEW_YORK, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),  # first of two
        (UTC_ZONE, datetime(2026, 3, 29, 3, 30), utc(2026, 3, 29, 3, 30)),
    ],
)
def test_local_to_utc_gap_and_fold(zone: ZoneInfo, wall: datetime, expected: datetime):
    assert local_to_utc(wall, zone) == expected


def test_a_non_existent_03_30_becomes_04_30_and_an_ambiguous_one_the_first():
    assert local(local_to_utc(datetime(2026, 3, 29, 3, 30), HELSINKI)) == datetime(
        2026, 3, 29, 4, 30
    )
    first = local_to_utc(datetime(2026, 10, 25, 3, 30), HELSINKI)
    assert first.astimezone(HELSINKI).utcoffset() == timedelta(hours=3)


def test_local_to_utc_wants_a_naive_time():
    with pytest.raises(ValueError, match="naive"):
        local_to_utc(utc(2026, 3, 29, 3, 30), HELSINKI)


@pytest.mark.parametrize(
    ("occurrence", "offset", "expected_local"),
    [
        # Whole days keep the wall time, whatever happened to the clocks in between.
        (utc(2026, 3, 30, 14), DAY, datetime(2026, 3, 29, 17)),  # Monday after the change
        (utc(2026, 3, 29, 14), DAY, datetime(2026, 3, 28, 17)),  # only 23 real hours
        (utc(2026, 10, 25, 15), DAY, datetime(2026, 10, 24, 17)),  # 25 real hours
        (utc(2026, 3, 30, 14), 7 * DAY, datetime(2026, 3, 23, 17)),
        (utc(2026, 11, 2, 15), 2 * DAY, datetime(2026, 10, 31, 17)),
        # Other offsets are real durations: 2 hours before 04:30 on the spring night is 01:30.
        (utc(2026, 3, 29, 1, 30), timedelta(hours=2), datetime(2026, 3, 29, 1, 30)),
        (utc(2026, 3, 30, 14), timedelta(hours=25), datetime(2026, 3, 29, 16)),
        (utc(2026, 3, 30, 14), timedelta(0), datetime(2026, 3, 30, 17)),
    ],
)
def test_reminder_offsets(occurrence: datetime, offset: timedelta, expected_local: datetime):
    due = reminder_time(occurrence, offset, HELSINKI, None)
    assert due.tzinfo is UTC
    assert local(due) == expected_local


@pytest.mark.parametrize(
    ("occurrence", "offset"),
    [
        (utc(2026, 3, 29, 1, 30), timedelta(hours=2)),  # 04:30 → 01:30 local, 3 wall hours
        (utc(2026, 10, 25, 2, 30), timedelta(hours=2)),  # 04:30 → 03:30 local, 1 wall hour
        (utc(2026, 3, 29, 4), timedelta(hours=6)),
        (utc(2026, 10, 25, 4), timedelta(minutes=90)),
    ],
)
def test_two_hours_before_is_two_real_hours_across_a_change(
    occurrence: datetime, offset: timedelta
):
    assert occurrence - reminder_time(occurrence, offset, HELSINKI, None) == offset


def test_a_day_before_a_monday_after_the_change_is_sunday_17_local():
    monday = occurrences(
        datetime(2026, 3, 23, 17), WEEKLY_MON, HELSINKI, utc(2026, 3, 30), utc(2026, 3, 31)
    )
    assert monday == [utc(2026, 3, 30, 14)]
    assert reminder_time(monday[0], DAY, HELSINKI, None) == utc(2026, 3, 29, 14)


@pytest.mark.parametrize(
    ("zone", "occurrence", "offset", "expected"),
    [
        (UTC_ZONE, utc(2026, 3, 30, 17), DAY, utc(2026, 3, 29, 17)),
        (UTC_ZONE, utc(2026, 10, 26, 17), DAY, utc(2026, 10, 25, 17)),
        # New York's Monday after its change: a day before is 17:00 EDT on the Sunday.
        (NEW_YORK, utc(2026, 3, 9, 21), DAY, utc(2026, 3, 8, 21)),
        # Its change Sundays: 17:00 on the Saturday, 23 and 25 real hours before.
        (NEW_YORK, utc(2026, 3, 8, 21), DAY, utc(2026, 3, 7, 22)),
        (NEW_YORK, utc(2026, 11, 1, 22), DAY, utc(2026, 10, 31, 21)),
        # Helsinki's change Sunday is an ordinary one in New York: 24 real hours.
        (NEW_YORK, utc(2026, 3, 29, 21), DAY, utc(2026, 3, 28, 21)),
    ],
)
def test_day_offsets_in_other_zones(
    zone: ZoneInfo, occurrence: datetime, offset: timedelta, expected: datetime
):
    assert reminder_time(occurrence, offset, zone, None) == expected


@pytest.mark.parametrize(
    ("wall", "moved"),
    [
        (datetime(2026, 12, 10, 5), datetime(2026, 12, 9, 21, 30)),
        (datetime(2026, 12, 9, 23), datetime(2026, 12, 9, 21, 30)),
        (datetime(2026, 12, 10, 0), datetime(2026, 12, 9, 21, 30)),
        (datetime(2026, 12, 9, 22), datetime(2026, 12, 9, 21, 30)),
        (datetime(2026, 12, 10, 7, 59), datetime(2026, 12, 9, 21, 30)),
        (datetime(2026, 12, 10, 8), datetime(2026, 12, 10, 8)),
        (datetime(2026, 12, 9, 21, 59), datetime(2026, 12, 9, 21, 59)),
        (datetime(2026, 12, 9, 12), datetime(2026, 12, 9, 12)),
        # Across the changes: 21:30 on the evening before, in that evening's offset.
        (datetime(2026, 3, 29, 5), datetime(2026, 3, 28, 21, 30)),
        (datetime(2026, 10, 25, 5), datetime(2026, 10, 24, 21, 30)),
    ],
)
def test_quiet_hours_move_a_reminder_earlier(wall: datetime, moved: datetime):
    due = local_to_utc(wall, HELSINKI)
    assert local(reminder_time(due, timedelta(0), HELSINKI, NIGHT)) == moved


def test_quiet_hours_with_real_offsets():
    meetup = local_to_utc(datetime(2026, 12, 10, 7), HELSINKI)
    evening = utc(2026, 12, 9, 19, 30)  # 21:30 local
    assert reminder_time(meetup, timedelta(hours=2), HELSINKI, NIGHT) == evening  # 05:00
    assert reminder_time(meetup, timedelta(hours=8), HELSINKI, NIGHT) == evening  # 23:00
    assert reminder_time(meetup, DAY, HELSINKI, NIGHT) == evening - DAY  # 07:00 the day before
    assert reminder_time(meetup, timedelta(hours=12), HELSINKI, NIGHT) == meetup - timedelta(
        hours=12
    )


@pytest.mark.parametrize(
    ("quiet", "wall", "moved"),
    [
        (QuietHours(time(1), time(6)), datetime(2026, 12, 10, 3), datetime(2026, 12, 10, 0, 30)),
        (QuietHours(time(1), time(6)), datetime(2026, 12, 10, 6), datetime(2026, 12, 10, 6)),
        (
            QuietHours(time(1), time(6)),
            datetime(2026, 12, 10, 0, 59),
            datetime(2026, 12, 10, 0, 59),
        ),
        (QuietHours(time(22), time(22)), datetime(2026, 12, 10, 3), datetime(2026, 12, 10, 3)),
    ],
)
def test_other_quiet_hours(quiet: QuietHours, wall: datetime, moved: datetime):
    due = local_to_utc(wall, HELSINKI)
    assert local(reminder_time(due, timedelta(0), HELSINKI, quiet)) == moved


def test_quiet_hours_in_new_york_and_utc():
    for zone in (NEW_YORK, UTC_ZONE):
        due = local_to_utc(datetime(2026, 11, 1, 1, 30), zone)  # New York's repeated hour
        moved = reminder_time(due, timedelta(0), zone, NIGHT)
        assert local(moved, zone) == datetime(2026, 10, 31, 21, 30)


@pytest.mark.parametrize("zone", [HELSINKI, NEW_YORK, UTC_ZONE])
def test_a_reminder_is_never_later_and_never_at_night(zone: ZoneInfo):
    # Every quarter hour over both change weekends of each zone.
    for first in (utc(2026, 3, 7), utc(2026, 3, 28), utc(2026, 10, 24), utc(2026, 10, 31)):
        for quarter in range(4 * 24 * 3):
            due = first + quarter * timedelta(minutes=15)
            moved = reminder_time(due, timedelta(0), zone, NIGHT)
            assert moved <= due
            assert time(8) <= local(moved, zone).time() < time(22)


def test_reminder_plan_is_sorted_and_distinct():
    meetup = utc(2026, 12, 10, 15)  # 17:00 local
    offsets = [timedelta(hours=2), DAY, timedelta(0), DAY, timedelta(minutes=30)]
    assert reminder_plan(meetup, offsets, HELSINKI, None, utc(2026, 12, 1)) == [
        meetup - DAY,
        meetup - timedelta(hours=2),
        meetup - timedelta(minutes=30),
        meetup,
    ]


def test_reminder_plan_merges_reminders_that_quiet_hours_move_together():
    meetup = local_to_utc(datetime(2026, 12, 10, 7), HELSINKI)
    offsets = [timedelta(hours=2), timedelta(hours=8), timedelta(minutes=30)]
    assert reminder_plan(meetup, offsets, HELSINKI, NIGHT, utc(2026, 12, 1)) == [
        utc(2026, 12, 9, 19, 30)
    ]


def test_reminder_plan_keeps_times_already_past():
    meetup = utc(2026, 12, 10, 15)
    later = utc(2026, 12, 10, 14)
    assert reminder_plan(meetup, [DAY, timedelta(hours=2)], HELSINKI, None, later) == [
        meetup - DAY,
        meetup - timedelta(hours=2),
    ]


def test_a_parsed_series_through_the_spring_change():
    draft = parse_meetup("weekly tue 17:00 | Pizza", datetime(2026, 3, 20, 12))
    assert isinstance(draft, MeetupDraft)
    found = occurrences(draft.start, draft.recurrence, HELSINKI, utc(2026, 3, 20), utc(2026, 4, 8))
    assert found == [utc(2026, 3, 24, 15), utc(2026, 3, 31, 14), utc(2026, 4, 7, 14)]
    assert [reminder_time(moment, DAY, HELSINKI, NIGHT) for moment in found] == [
        utc(2026, 3, 23, 15),
        utc(2026, 3, 30, 14),
        utc(2026, 4, 6, 14),
    ]
