"""Reading `/meetup add` lines in four languages, without Telegram."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from handlers.meetup_parsing import (
    Frequency,
    MeetupDraft,
    ParseError,
    Recurrence,
    parse_meetup,
    parse_when,
    weekday_in_month,
)

# Sunday 29 November 2026, noon. 3 December 2026 is a Thursday.
NOW = datetime(2026, 11, 29, 12, 0)
TWO_HOURS = timedelta(hours=2)
WEEKLY, BIWEEKLY, MONTHLY = Frequency.WEEKLY, Frequency.BIWEEKLY, Frequency.MONTHLY


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute)


DEC_3_17 = at(12, 3, 17)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("3.12. 17:00", DEC_3_17),
        ("3.12. 17.00", DEC_3_17),
        ("3.12. 17", DEC_3_17),
        ("3.12. klo 17", DEC_3_17),
        ("3.12. kello 17", DEC_3_17),
        ("3.12. kl. 17", DEC_3_17),
        ("3.12. kl 17", DEC_3_17),
        ("3.12. at 17", DEC_3_17),
        ("3.12. dii. 17", DEC_3_17),
        ("3.12. @ 17", DEC_3_17),
        ("3.12.2026 klo 17", DEC_3_17),
        ("3.12.26 17:00", DEC_3_17),
        ("03.12.2026 17:00", DEC_3_17),
        ("2026-12-03 17.00", DEC_3_17),
        ("2026-12-3 17", DEC_3_17),
        ("3.12 17:00", DEC_3_17),  # no trailing dot: a date, because a time follows
        ("3.12, klo 17", DEC_3_17),
        ("  3.12.   17:00  ", DEC_3_17),
        ("3.12. klo 17.30", at(12, 3, 17, 30)),
        ("3.12. 0:05", at(12, 3, 0, 5)),
        ("3.12. 23:59", at(12, 3, 23, 59)),
        # A leading weekday in every language, matching Thursday 3 December.
        ("to 3.12. klo 17", DEC_3_17),
        ("to. 3.12. klo 17", DEC_3_17),
        ("torstai 3.12. 17", DEC_3_17),
        ("torstaina 3.12. 17", DEC_3_17),
        ("TORSTAI 3.12. 17", DEC_3_17),
        ("tor 3.12. kl 17", DEC_3_17),
        ("torsdag 3.12. kl. 17", DEC_3_17),
        ("du 3.12. dii. 17", DEC_3_17),
        ("duorastat 3.12. 17", DEC_3_17),
        ("duorastaga 3.12. 17", DEC_3_17),
        ("thu 3.12. at 17", DEC_3_17),
        ("Thu. 3.12. 17", DEC_3_17),
        ("Thursday 3.12. 17", DEC_3_17),
        # "3.12." is the coming one: next year once the day has passed, not before.
        ("1.3. 10:00", at(3, 1, 10, year=2027)),
        ("28.11. 18", at(11, 28, 18, year=2027)),
        ("29.11. 18", at(11, 29, 18)),
        ("29.11. 12:00", NOW),  # exactly now is not past
        ("1.1. 0", at(1, 1, 0, year=2027)),
    ],
)
def test_one_off_dates_and_times(text: str, start: datetime):
    assert parse_when(text, NOW) == (start, None, TWO_HOURS)


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("3.12. 17", TWO_HOURS),
        ("3.12. 17 2h", TWO_HOURS),
        ("3.12. 17:00 90min", timedelta(minutes=90)),
        ("3.12. klo 17 1,5h", timedelta(minutes=90)),
        ("3.12. klo 17 1.5h", timedelta(minutes=90)),
        ("3.12. 17 45min", timedelta(minutes=45)),
        ("3.12. 17 1.1h", timedelta(minutes=66)),
        ("3.12. 17 24h", timedelta(hours=24)),
        ("3.12. 17 3H", timedelta(hours=3)),
        ("weekly tue 17:00 1h", timedelta(hours=1)),
    ],
)
def test_duration_token_after_the_time(text: str, duration: timedelta):
    parsed = parse_when(text, NOW)
    assert isinstance(parsed, tuple)
    assert parsed[2] == duration


def weekly(weekday: int) -> Recurrence:
    return Recurrence(WEEKLY, weekday)


def monthly(weekday: int, week: int) -> Recurrence:
    return Recurrence(MONTHLY, weekday, week)


# First occurrences from Sunday 29 November 2026 at noon.
MON, TUE, THU = at(11, 30, 17), at(12, 1, 17), at(12, 3, 18)
FIRST_TUE, LAST_FRI, SECOND_WED = at(12, 1, 17), at(12, 25, 18), at(12, 9, 18)
THIRD_SAT, FOURTH_SUN = at(12, 19, 12), at(12, 27, 12)


@pytest.mark.parametrize(
    ("text", "recurrence", "start"),
    [
        # English
        ("weekly tue 17:00", weekly(1), TUE),
        ("every week tuesday 17", weekly(1), TUE),
        ("each week tue 17", weekly(1), TUE),
        ("every tuesday 17", weekly(1), TUE),
        ("tuesdays weekly 17", weekly(1), TUE),
        ("Weekly Mon at 17", weekly(0), MON),
        ("biweekly thu 18", Recurrence(BIWEEKLY, 3), THU),
        ("every two weeks thu 18", Recurrence(BIWEEKLY, 3), THU),
        ("every 2 weeks thu 18", Recurrence(BIWEEKLY, 3), THU),
        ("every other week thursday 18", Recurrence(BIWEEKLY, 3), THU),
        ("fortnightly thursdays 18", Recurrence(BIWEEKLY, 3), THU),
        ("monthly first tue 17:00", monthly(1, 1), FIRST_TUE),
        ("every month last fri 18", monthly(4, -1), LAST_FRI),
        ("every last friday 18", monthly(4, -1), LAST_FRI),
        ("every first tuesday 17", monthly(1, 1), FIRST_TUE),
        ("monthly second wed 18", monthly(2, 2), SECOND_WED),
        ("monthly 3rd sat 12", monthly(5, 3), THIRD_SAT),
        ("monthly fourth sun 12", monthly(6, 4), FOURTH_SUN),
        # Finnish
        ("viikoittain ti 17", weekly(1), TUE),
        ("joka viikko tiistaisin klo 17", weekly(1), TUE),
        ("joka tiistai klo 17", weekly(1), TUE),
        ("viikoittain maanantaisin 17", weekly(0), MON),
        ("joka toinen viikko to klo 18", Recurrence(BIWEEKLY, 3), THU),
        ("joka toinen viikko torstaisin klo 18", Recurrence(BIWEEKLY, 3), THU),
        ("kahden viikon välein to 18", Recurrence(BIWEEKLY, 3), THU),
        ("kuukausittain ensimmäinen ti 17", monthly(1, 1), FIRST_TUE),
        ("joka kuukausi viimeinen perjantai 18", monthly(4, -1), LAST_FRI),
        ("kuukausittain toinen keskiviikko 18", monthly(2, 2), SECOND_WED),
        ("kuukausittain kolmas la 12", monthly(5, 3), THIRD_SAT),
        ("kuukausittain neljäs sunnuntai 12", monthly(6, 4), FOURTH_SUN),
        ("kuukausittain viimeinen pe klo 18", monthly(4, -1), LAST_FRI),
        # Swedish
        ("varje vecka tisdag kl 17", weekly(1), TUE),
        ("varje vecka tis 17", weekly(1), TUE),
        ("varje tisdag kl. 17", weekly(1), TUE),
        ("varje vecka måndagar 17", weekly(0), MON),
        ("varannan vecka tor 18", Recurrence(BIWEEKLY, 3), THU),
        ("varannan vecka torsdagar kl 18", Recurrence(BIWEEKLY, 3), THU),
        ("varje månad första tis 17", monthly(1, 1), FIRST_TUE),
        ("varje månad sista fredag 18", monthly(4, -1), LAST_FRI),
        ("varje månad andra ons 18", monthly(2, 2), SECOND_WED),
        ("varje månad tredje lör 12", monthly(5, 3), THIRD_SAT),
        ("varje månad fjärde sön 12", monthly(6, 4), FOURTH_SUN),
        ("varje manad sista fre 18", monthly(4, -1), LAST_FRI),  # without the ring
        # Northern Sámi
        ("juohke vahku maŋŋebárga 17", weekly(1), TUE),
        ("juohke vahku ma dii. 17", weekly(1), TUE),  # Sámi "ma" is Tuesday
        ("juohke vahku vuossárga 17", weekly(0), MON),
        ("juohke nuppi vahku duorastat 18", Recurrence(BIWEEKLY, 3), THU),
        ("juohke nuppi vahku du 18", Recurrence(BIWEEKLY, 3), THU),
        ("juohke mánu vuosttaš maŋŋebárga 17", monthly(1, 1), FIRST_TUE),
        ("juohke mánu maŋimuš bearjadat 18", monthly(4, -1), LAST_FRI),
        ("juohke mánu nubbi gaskavahkku 18", monthly(2, 2), SECOND_WED),
        ("juohke mánu goalmmát lávvardat 12", monthly(5, 3), THIRD_SAT),
        ("juohke mánu njealját sotnabeaivi 12", monthly(6, 4), FOURTH_SUN),
        ("JUOHKE MANU MANIMUS BE 18", monthly(4, -1), LAST_FRI),  # typed without Sámi letters
        # Today counts while the time is still ahead (it is Sunday noon).
        ("weekly sun 17", weekly(6), at(11, 29, 17)),
        ("weekly sun 12:00", weekly(6), NOW),
        ("weekly sun 11:59", weekly(6), at(12, 6, 11, 59)),
        ("monthly last sun 12", monthly(6, -1), NOW),
        ("monthly last sun 11", monthly(6, -1), at(12, 27, 11)),
        ("monthly first mon 17", monthly(0, 1), at(12, 7, 17)),
    ],
)
def test_recurrences(text: str, recurrence: Recurrence, start: datetime):
    assert parse_when(text, NOW) == (start, recurrence, TWO_HOURS)


WEEKDAY_NAMES = {
    "fi": (
        "viikoittain",
        [
            "ma ti ke to pe la su",
            "maanantai tiistai keskiviikko torstai perjantai lauantai sunnuntai",
            "maanantaisin tiistaisin keskiviikkoisin torstaisin perjantaisin lauantaisin "
            "sunnuntaisin",
        ],
    ),
    "sv": (
        "varje vecka",
        [
            "mån tis ons tor fre lör sön",
            "måndag tisdag onsdag torsdag fredag lördag söndag",
            "måndagar tisdagar onsdagar torsdagar fredagar lördagar söndagar",
        ],
    ),
    "se": (
        "juohke vahku",
        [
            "vu ma ga du be lá so",
            "vuossárga maŋŋebárga gaskavahkku duorastat bearjadat lávvardat sotnabeaivi",
        ],
    ),
    "en": (
        "weekly",
        [
            "mon tue wed thu fri sat sun",
            "monday tuesday wednesday thursday friday saturday sunday",
            "mondays tuesdays wednesdays thursdays fridays saturdays sundays",
        ],
    ),
}


@pytest.mark.parametrize(
    ("language", "frequency", "name", "weekday"),
    [
        (language, frequency, name, weekday)
        for language, (frequency, lines) in WEEKDAY_NAMES.items()
        for line in lines
        for weekday, name in enumerate(line.split())
    ],
)
def test_every_weekday_name(language: str, frequency: str, name: str, weekday: int):
    for text in (f"{frequency} {name} 17", f"{frequency} {name.upper()}. 17"):
        parsed = parse_when(text, NOW)
        assert isinstance(parsed, tuple), text
        assert parsed[1] == weekly(weekday), text
        assert parsed[0].weekday() == weekday


@pytest.mark.parametrize(
    ("text", "language", "weekday"),
    [
        ("weekly ma 17", None, 0),  # Finnish unless told otherwise
        ("weekly ma 17", "fi", 0),
        ("weekly ma 17", "se", 1),  # the group speaks Sámi
        ("juohke vahku ma 17", None, 1),  # the other words are Sámi
        ("juohke vahku ma 17", "fi", 1),
        ("viikoittain ma 17", "se", 0),  # the other words are Finnish
        ("monthly vuosttaš ma 17", None, 1),
    ],
)
def test_ma_is_read_in_the_language_of_the_other_words(
    text: str, language: str | None, weekday: int
):
    parsed = parse_when(text, NOW, language)
    assert isinstance(parsed, tuple)
    assert parsed[1] is not None
    assert parsed[1].weekday == weekday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ma 30.11. 17", at(11, 30, 17)),  # Monday in Finnish
        ("ma 1.12. 17", at(12, 1, 17)),  # Tuesday in Sámi
        ("ma 2.12. 17", ParseError.WEEKDAY_MISMATCH),
        ("la 5.12. 17", at(12, 5, 17)),
        ("lá 5.12. 17", at(12, 5, 17)),
    ],
)
def test_ambiguous_short_weekday_with_a_date_accepts_either_reading(
    text: str, expected: datetime | ParseError
):
    parsed = parse_when(text, NOW)
    start = parsed if isinstance(parsed, ParseError) else parsed[0]
    assert start == expected


LINK = "https://meet.example/abc"


def test_the_full_example():
    text = f"3.12. 17:00 | Pizza and a chat | Rovaniemi library, Jorma Eton tie 6 | {LINK}"
    assert parse_meetup(text, NOW) == MeetupDraft(
        title="Pizza and a chat",
        start=DEC_3_17,
        duration=TWO_HOURS,
        place="Rovaniemi library, Jorma Eton tie 6",
        online=False,
        online_link=LINK,
        notes=None,
        recurrence=None,
    )


def test_a_recurring_meetup_with_notes_that_contain_bars():
    text = "weekly tue 17:00 90min | Games night | Kemi youth centre | | Bring snacks | or not"
    assert parse_meetup(text, NOW) == MeetupDraft(
        title="Games night",
        start=TUE,
        duration=timedelta(minutes=90),
        place="Kemi youth centre",
        online=False,
        online_link=None,
        notes="Bring snacks | or not",
        recurrence=weekly(1),
    )


@pytest.mark.parametrize(
    "place",
    [
        "online",
        "Online",
        "ONLINE.",
        "verkossa",
        "Verkossa",
        "etänä",
        "ETÄNÄ",
        "etana",
        "på nätet",
        "På  nätet",
        "neahtas",
    ],
)
def test_online_words_mean_online_only(place: str):
    draft = parse_meetup(f"to 3.12. klo 17.30 | Title | {place} | {LINK}", NOW)
    assert isinstance(draft, MeetupDraft)
    assert (draft.online, draft.place, draft.online_link) == (True, None, LINK)


@pytest.mark.parametrize(
    ("text", "place", "link", "notes"),
    [
        ("3.12. 17 | T", None, None, None),
        ("3.12. 17 | T |", None, None, None),
        ("3.12. 17 | T |  Sodankylä   library ", "Sodankylä library", None, None),
        ("3.12. 17 | T | online library", "online library", None, None),
        (f"3.12. 17 | T | | {LINK}", None, LINK, None),
        (f"3.12. 17 | T | Inari | {LINK} | ", "Inari", LINK, None),
        ("3.12. 17 | T | Inari | | Ask Aino\nat the door", "Inari", None, "Ask Aino\nat the door"),
        ("3.12. 17 | T | | | " + "n" * 500, None, None, "n" * 500),
    ],
)
def test_optional_fields(text: str, place: str | None, link: str | None, notes: str | None):
    draft = parse_meetup(text, NOW)
    assert isinstance(draft, MeetupDraft)
    assert (draft.place, draft.online, draft.online_link, draft.notes) == (
        place,
        False,
        link,
        notes,
    )


def test_title_is_one_line_and_may_be_100_characters():
    draft = parse_meetup("3.12. 17 |  Pizza \n and   chat  ", NOW)
    assert isinstance(draft, MeetupDraft)
    assert draft.title == "Pizza and chat"
    long = parse_meetup("3.12. 17 | " + "t" * 100, NOW)
    assert isinstance(long, MeetupDraft)


E = ParseError


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", E.EMPTY),
        ("   ", E.EMPTY),
        ("\n", E.EMPTY),
        ("| Title", E.NO_WHEN),
        ("  | Title", E.NO_WHEN),
        ("Pizza | Title", E.NO_WHEN),
        ("ti 17 | Title", E.NO_WHEN),  # a weekday is no date
        ("huomenna 17 | Title", E.NO_WHEN),
        ("3.12. 17", E.NO_TITLE),
        ("3.12. 17 |", E.NO_TITLE),
        ("3.12. 17 |   | Rovaniemi", E.NO_TITLE),
        ("3.12. 17 | " + "t" * 101, E.TITLE_TOO_LONG),
        ("3.13. 17 | T", E.BAD_DATE),
        ("32.12. 17 | T", E.BAD_DATE),
        ("0.12. 17 | T", E.BAD_DATE),
        ("3.12.202 17 | T", E.BAD_DATE),
        ("3/12 17 | T", E.BAD_DATE),
        ("2026-13-01 17 | T", E.BAD_DATE),
        ("3.12. 4.12. 17 | T", E.BAD_DATE),
        ("foo 3.12. 17 | T", E.BAD_DATE),
        ("31.2. 17 | T", E.IMPOSSIBLE_DATE),
        ("29.2.2027 17 | T", E.IMPOSSIBLE_DATE),
        ("29.2. 17 | T", E.IMPOSSIBLE_DATE),  # the coming 29 February would be in 2027
        ("31.11.2026 17 | T", E.IMPOSSIBLE_DATE),
        ("2026-02-30 17 | T", E.IMPOSSIBLE_DATE),
        ("3.12. | T", E.BAD_TIME),
        ("3.12. klo | T", E.BAD_TIME),
        ("3.12. 24:00 | T", E.BAD_TIME),
        ("3.12. 17:60 | T", E.BAD_TIME),
        ("3.12. 17:5 | T", E.BAD_TIME),
        ("3.12. 1700 | T", E.BAD_TIME),
        ("3.12. 17 18 | T", E.BAD_TIME),
        ("3.12. klo pe 17 | T", E.BAD_TIME),
        ("weekly tue | T", E.BAD_TIME),
        ("ke 3.12. klo 17.30 | T | online", E.WEEKDAY_MISMATCH),  # 3.12.2026 is a Thursday
        ("monday 3.12. 17 | T", E.WEEKDAY_MISMATCH),
        ("mån 3.12. 17 | T", E.WEEKDAY_MISMATCH),
        ("vuossárga 3.12. 17 | T", E.WEEKDAY_MISMATCH),
        ("to pe 3.12. 17 | T", E.WEEKDAY_MISMATCH),
        ("1.11.2026 17 | T", E.IN_THE_PAST),
        ("2025-12-03 17:00 | T", E.IN_THE_PAST),
        ("29.11. 11:59 | T", E.IN_THE_PAST),  # today has not passed, its 11:59 has
        (f"3.12. 17 | T | P | {LINK.replace('https', 'http')}", E.BAD_LINK),
        ("3.12. 17 | T | P | meet.example/abc", E.BAD_LINK),
        ("3.12. 17 | T | P | https://", E.BAD_LINK),
        ("3.12. 17 | T | P | https://meet example/abc", E.BAD_LINK),
        ("3.12. 17 | T | P | ftp://meet.example", E.BAD_LINK),
        ("3.12. 17 | T | P | | " + "n" * 501, E.NOTES_TOO_LONG),
        ("weekly 17 | T", E.BAD_RECURRENCE),
        ("monthly tue 17 | T", E.BAD_RECURRENCE),
        ("weekly first tue 17 | T", E.BAD_RECURRENCE),
        ("biweekly last tue 17 | T", E.BAD_RECURRENCE),
        ("weekly monthly tue 17 | T", E.BAD_RECURRENCE),
        ("weekly tue 3.12. 17 | T", E.BAD_RECURRENCE),
        ("every second tue 17 | T", E.BAD_RECURRENCE),  # every other week, or the 2nd?
        ("first tue 17 | T", E.BAD_RECURRENCE),
        ("weekly tue wed 17 | T", E.BAD_RECURRENCE),
        ("weekly tuesdy 17 | T", E.BAD_RECURRENCE),
        ("every 17 | T", E.BAD_RECURRENCE),
        ("monthly first second tue 17 | T", E.BAD_RECURRENCE),
        ("3.12. 17 0h | T", E.BAD_DURATION),
        ("3.12. 17 0min | T", E.BAD_DURATION),
        ("3.12. 17 25h | T", E.BAD_DURATION),
        ("3.12. 17 99999999999999h | T", E.BAD_DURATION),
        ("3.12. 17 1.33h | T", E.BAD_DURATION),  # 79.8 minutes
        ("3.12. 2h 17 | T", E.BAD_DURATION),
        ("3.12. 17 2h 3h | T", E.BAD_DURATION),
        ("2h 3.12. 17 | T", E.BAD_DURATION),
    ],
)
def test_errors(text: str, error: ParseError):
    assert parse_meetup(text, NOW) == error


def test_when_is_read_before_the_other_fields():
    # The caller reports one problem at a time, the first the facilitator typed.
    assert parse_meetup("31.2. 17 | " + "t" * 101, NOW) == E.IMPOSSIBLE_DATE
    assert parse_when("", NOW) == E.NO_WHEN


@pytest.mark.parametrize(
    ("frequency", "weekday", "week"),
    [
        (WEEKLY, 7, None),
        (WEEKLY, -1, None),
        (WEEKLY, 1, 1),
        (BIWEEKLY, 1, -1),
        (MONTHLY, 1, None),
        (MONTHLY, 1, 5),
        (MONTHLY, 1, 0),
    ],
)
def test_a_recurrence_must_make_sense(frequency: Frequency, weekday: int, week: int | None):
    with pytest.raises(ValueError, match="week"):
        Recurrence(frequency, weekday, week)


@pytest.mark.parametrize(
    ("year", "month", "weekday", "week", "expected"),
    [
        (2026, 12, 1, 1, date(2026, 12, 1)),  # the 1st itself
        (2026, 12, 0, 1, date(2026, 12, 7)),
        (2026, 12, 0, 4, date(2026, 12, 28)),
        (2026, 12, 3, -1, date(2026, 12, 31)),  # the last day itself
        (2026, 12, 4, -1, date(2026, 12, 25)),
        (2026, 2, 5, 4, date(2026, 2, 28)),
        (2028, 2, 1, -1, date(2028, 2, 29)),  # leap year
        (2027, 2, 6, -1, date(2027, 2, 28)),
    ],
)
def test_weekday_in_month(year: int, month: int, weekday: int, week: int, expected: date):
    assert weekday_in_month(year, month, weekday, week) == expected


def test_sami_three_letter_weekdays_read_in_sami_context():
    now = datetime(2026, 11, 29, 12, 0)
    parsed = parse_meetup("juohke vahku maŋ 17:00 | Guoibmeeahket", now)
    assert isinstance(parsed, MeetupDraft)
    assert parsed.recurrence is not None
    assert parsed.recurrence.weekday == 1  # Tuesday, not Swedish "mån"
    swedish = parse_meetup("varje vecka mån 17:00 | Kamratkväll", now)
    assert isinstance(swedish, MeetupDraft)
    assert swedish.recurrence is not None
    assert swedish.recurrence.weekday == 0
