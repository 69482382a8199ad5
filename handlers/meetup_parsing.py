"""Reading what a facilitator types after `/meetup add`, in Finnish, Swedish, Sámi or English.

The input is `when | title | place | online link | notes`. Nothing here talks to Telegram or
the database, and nothing here is user-facing: errors are `ParseError` values for the caller
to translate.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from fractions import Fraction
from typing import TypeAlias, TypeVar
from urllib.parse import urlsplit

TITLE_MAX = 100
# With these, every meetup text (card, preview, confirmation) fits in one Telegram message.
PLACE_MAX = 200
LINK_MAX = 1000
NOTES_MAX = 500
DEFAULT_DURATION = timedelta(hours=2)
# Longer than this is more likely a typo ("20h" for "20:00") than a meetup.
DURATION_MAX = timedelta(hours=24)


class ParseError(Enum):
    EMPTY = "empty"
    NO_TITLE = "no_title"
    TITLE_TOO_LONG = "title_too_long"
    PLACE_TOO_LONG = "place_too_long"
    LINK_TOO_LONG = "link_too_long"
    NO_WHEN = "no_when"
    BAD_DATE = "bad_date"
    IMPOSSIBLE_DATE = "impossible_date"
    BAD_TIME = "bad_time"
    WEEKDAY_MISMATCH = "weekday_mismatch"
    IN_THE_PAST = "in_the_past"
    BAD_LINK = "bad_link"
    NOTES_TOO_LONG = "notes_too_long"
    BAD_RECURRENCE = "bad_recurrence"
    BAD_DURATION = "bad_duration"


class Frequency(Enum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Recurrence:
    """Every week, every other week, or the Nth (-1 = last) weekday of each month."""

    frequency: Frequency
    weekday: int  # 0 = Monday
    week_of_month: int | None = None  # 1..4 or -1; only for MONTHLY

    def __post_init__(self) -> None:
        # Stored recurrences come back through here too; a bad one must fail loudly.
        monthly = self.frequency is Frequency.MONTHLY
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} is not 0..6")
        if monthly != (self.week_of_month in (1, 2, 3, 4, -1)):
            raise ValueError(f"week_of_month {self.week_of_month} for {self.frequency}")


@dataclass(frozen=True)
class MeetupDraft:
    title: str
    start: datetime  # naive local wall time of the first occurrence
    duration: timedelta
    place: str | None
    online: bool  # online only: the place was "online", "verkossa", ...
    online_link: str | None
    notes: str | None
    recurrence: Recurrence | None


def parse_meetup(
    text: str, now_local: datetime, language: str | None = None
) -> MeetupDraft | ParseError:
    """Parse `when | title | place | link | notes`; `language` only settles "ma" (see below)."""
    if not text.strip():
        return ParseError.EMPTY
    fields = [field.strip() for field in text.split("|", 4)]
    fields += [""] * (5 - len(fields))
    when_text, title, place, link, notes = fields
    when = parse_when(when_text, now_local, language)
    if isinstance(when, ParseError):
        return when
    title, place = _one_line(title), _one_line(place)
    error = _check_fields(title, place, link, notes)
    if error is not None:
        return error
    start, recurrence, duration = when
    online = _fold(place).rstrip(".") in ONLINE_WORDS
    return MeetupDraft(
        title=title,
        start=start,
        duration=duration,
        place=None if online or not place else place,
        online=online,
        online_link=link or None,
        notes=notes or None,
        recurrence=recurrence,
    )


def parse_when(
    text: str, now_local: datetime, language: str | None = None
) -> tuple[datetime, Recurrence | None, timedelta] | ParseError:
    """Parse the part before the first `|`: start (naive local), recurrence and duration.

    `language` is the group's language; it only decides what "ma" means in a recurrence
    (Monday in Finnish, Tuesday in Sámi) when the other words do not tell.
    """
    words = [word.rstrip(",") for word in text.split() if word.rstrip(",")]
    if not words:
        return ParseError.NO_WHEN
    tokens = _tokenize(words)
    error = _token_error(tokens)
    if error is not None:
        return error
    known = [token for token in tokens if not isinstance(token, (ParseError, _Unknown))]
    at = _the_time(known)
    if _is_recurring(known):
        return _recurring(known, at, now_local, language)
    return _one_off(known, at, now_local)


def weekday_in_month(year: int, month: int, weekday: int, week: int) -> date:
    """The `week`th (1..4) or last (-1) `weekday` of a month."""
    if week > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


# --- Words -------------------------------------------------------------------------------


def _fold(word: str) -> str:
    """Lower case without diacritics, so "lávvardat", "lavvardat" and "LÁVVARDAT" all match."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Sámi letters that do not decompose; people without a Sámi keyboard type these.
    return plain.translate(str.maketrans("ŋđŧ", "ndt"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


ONLINE_WORDS = frozenset(map(_fold, ["online", "verkossa", "etänä", "på nätet", "neahtas"]))

_FREQUENCY_PHRASES: dict[Frequency, dict[str, Sequence[str]]] = {
    Frequency.WEEKLY: {
        "fi": ["viikoittain", "joka viikko"],
        "sv": ["varje vecka", "veckovis"],
        "se": ["juohke vahku"],
        "en": ["weekly", "every week", "each week"],
    },
    Frequency.BIWEEKLY: {
        "fi": ["joka toinen viikko", "kahden viikon välein"],
        "sv": ["varannan vecka", "var annan vecka"],
        "se": ["juohke nuppi vahku", "juohke nubbi vahku"],
        "en": [
            "every two weeks",
            "every 2 weeks",
            "every other week",
            "every second week",
            "biweekly",
            "fortnightly",
        ],
    },
    Frequency.MONTHLY: {
        "fi": ["kuukausittain", "joka kuukausi"],
        "sv": ["varje månad", "månadsvis"],
        "se": ["juohke mánu", "juohke mánnu"],
        "en": ["monthly", "every month", "each month"],
    },
}

# "every tuesday" is weekly; "every last friday" is monthly.
_EVERY = {"fi": ["joka"], "sv": ["varje"], "se": ["juohke"], "en": ["every", "each"]}

_ORDINALS: dict[int, dict[str, Sequence[str]]] = {
    1: {
        "fi": ["ensimmäinen", "ensimmäisenä"],
        "sv": ["första"],
        "se": ["vuosttaš"],
        "en": ["first", "1st"],
    },
    2: {"fi": ["toinen", "toisena"], "sv": ["andra"], "se": ["nubbi"], "en": ["second", "2nd"]},
    3: {
        "fi": ["kolmas", "kolmantena"],
        "sv": ["tredje"],
        "se": ["goalmmát"],
        "en": ["third", "3rd"],
    },
    4: {
        "fi": ["neljäs", "neljäntenä"],
        "sv": ["fjärde"],
        "se": ["njealját"],
        "en": ["fourth", "4th"],
    },
    -1: {"fi": ["viimeinen", "viimeisenä"], "sv": ["sista"], "se": ["maŋimuš"], "en": ["last"]},
}

# Short forms must match exactly; "ma" is Monday in Finnish but Tuesday in Sámi.
_WEEKDAY_SHORT = {
    "fi": ["ma", "ti", "ke", "to", "pe", "la", "su"],
    "sv": ["mån", "tis", "ons", "tor", "fre", "lör", "sön"],
    "se": ["vu", "ma", "ga", "du", "be", "lá", "so"],
    "en": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}
# Three-letter Sámi abbreviations in common use ("maŋ" is Tuesday; Swedish "mån" folds to
# "man" too, so the language of the other words decides, as with "ma").
_WEEKDAY_SHORT_SAMI = {"se": ["vuo", "maŋ", "gas", "duo", "bea", "láv", "sot"]}
# Stems match with a short ending: "tiistaisin", "tisdagar", "tuesdays", "maŋŋebárgga".
_WEEKDAY_STEMS = {
    "fi": [
        "maanantai",
        "tiistai",
        "keskiviikko",
        "torstai",
        "perjantai",
        "lauantai",
        "sunnuntai",
    ],
    "sv": ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"],
    "se": ["vuossár", "maŋŋebár", "gaskavahk", "duorasta", "bearjada", "lávvarda", "sotnabeaiv"],
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
}
_STEM_ENDING_MAX = 4

_TIME_MARKERS = frozenset(["klo", "kello", "kl", "at", "dii", "@"])

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d*)")
_DAY_MONTH = re.compile(r"(\d{1,2})\.(\d{1,2})")  # "3.12": a date or a time, by position
_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")
_DURATION = re.compile(r"(\d+(?:[.,]\d+)?)(h|min)")


def _phrases(table: Mapping[str, Sequence[str]]) -> Iterable[tuple[tuple[str, ...], str]]:
    for language, phrases in table.items():
        for phrase in phrases:
            yield tuple(_fold(phrase).split()), language


# --- Tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frequency:
    frequency: Frequency
    language: str


@dataclass(frozen=True)
class _Every:
    language: str


@dataclass(frozen=True)
class _Ordinal:
    week: int
    language: str


@dataclass(frozen=True)
class _Weekday:
    by_language: tuple[tuple[str, int], ...]  # Finnish first: it decides when nothing else does


@dataclass(frozen=True)
class _Marker:
    pass


@dataclass(frozen=True)
class _Date:
    day: int
    month: int
    year: int | None


@dataclass(frozen=True)
class _Time:
    value: time


@dataclass(frozen=True)
class _Duration:
    value: timedelta


@dataclass(frozen=True)
class _Unknown:
    word: str


_Known: TypeAlias = _Frequency | _Every | _Ordinal | _Weekday | _Marker | _Date | _Time | _Duration
_Token: TypeAlias = _Known | _Unknown | ParseError
_T = TypeVar("_T")

_FREQUENCIES = {
    words: _Frequency(frequency, language)
    for frequency, table in _FREQUENCY_PHRASES.items()
    for words, language in _phrases(table)
}
_LONGEST_PHRASE = max(len(words) for words in _FREQUENCIES)
_EVERY_WORDS = {words[0]: _Every(language) for words, language in _phrases(_EVERY)}
_ORDINAL_WORDS = {
    words[0]: _Ordinal(week, language)
    for week, table in _ORDINALS.items()
    for words, language in _phrases(table)
}


def _weekday_table(*tables: Mapping[str, Sequence[str]]) -> dict[str, _Weekday]:
    found: dict[str, list[tuple[str, int]]] = {}
    for table in tables:
        for language, names in table.items():
            for weekday, name in enumerate(names):
                found.setdefault(_fold(name), []).append((language, weekday))
    return {name: _Weekday(tuple(pairs)) for name, pairs in found.items()}


_WEEKDAY_WORDS = _weekday_table(_WEEKDAY_SHORT, _WEEKDAY_SHORT_SAMI)
_WEEKDAY_STEM_WORDS = _weekday_table(_WEEKDAY_STEMS)


def _tokenize(words: list[str]) -> list[_Token]:
    folded = [_fold(word) for word in words]
    tokens: list[_Token] = []
    index = 0
    while index < len(folded):
        phrase = _frequency_at(folded, index)
        if phrase is not None:
            tokens.append(phrase[0])
            index += phrase[1]
            continue
        tokens.append(_word_token(folded, index))
        index += 1
    return tokens


def _frequency_at(words: list[str], index: int) -> tuple[_Frequency, int] | None:
    for length in range(_LONGEST_PHRASE, 0, -1):
        found = _FREQUENCIES.get(tuple(words[index : index + length]))
        if found is not None:
            return found, length
    return None


def _word_token(words: list[str], index: int) -> _Token:
    word = words[index].rstrip(".")  # "ke.", "kl.", "dii."
    for table in (_EVERY_WORDS, _ORDINAL_WORDS, _WEEKDAY_WORDS):
        if word in table:
            return table[word]
    if word in _TIME_MARKERS:
        return _Marker()
    if word[:1].isdigit():
        return _number_token(words[index], _time_follows(words[index + 1 :]))
    return _weekday_by_stem(word) or _Unknown(word)


def _weekday_by_stem(word: str) -> _Weekday | None:
    for stem, weekday in _WEEKDAY_STEM_WORDS.items():
        if word.startswith(stem) and len(word) - len(stem) <= _STEM_ENDING_MAX:
            return weekday
    return None


def _time_follows(rest: list[str]) -> bool:
    """Whether a time comes later: then a "3.12" before it is a date, not 03:12."""
    return any(word.rstrip(".") in _TIME_MARKERS or _TIME.fullmatch(word) for word in rest)


def _number_token(word: str, time_follows: bool) -> _Token:
    if match := _ISO_DATE.fullmatch(word):
        return _Date(int(match[3]), int(match[2]), int(match[1]))
    if match := _DOTTED_DATE.fullmatch(word):
        return _dotted_date(match)
    if time_follows and (match := _DAY_MONTH.fullmatch(word)):
        return _Date(int(match[1]), int(match[2]), None)
    if match := _TIME.fullmatch(word):
        return _time(int(match[1]), int(match[2] or 0))
    if match := _DURATION.fullmatch(word):
        return _duration(match[1], match[2])
    return _malformed_number(word)


def _dotted_date(match: re.Match[str]) -> _Date | ParseError:
    year = match[3]
    if len(year) not in (0, 2, 4):
        return ParseError.BAD_DATE
    full_year = None if not year else int(year) + (2000 if len(year) == 2 else 0)
    return _Date(int(match[1]), int(match[2]), full_year)


def _time(hour: int, minute: int) -> _Time | ParseError:
    if hour > 23 or minute > 59:
        return ParseError.BAD_TIME
    return _Time(time(hour, minute))


def _duration(amount: str, unit: str) -> _Duration | ParseError:
    # Fractions keep "1,1h" exact, so only truly fractional minutes are refused.
    minutes = Fraction(amount.replace(",", ".")) * (60 if unit == "h" else 1)
    if minutes.denominator != 1 or not 0 < minutes <= DURATION_MAX / timedelta(minutes=1):
        return ParseError.BAD_DURATION
    return _Duration(timedelta(minutes=int(minutes)))


def _malformed_number(word: str) -> ParseError:
    """Name the part that a number shaped like no known token most resembles."""
    if word.endswith(("h", "min")):
        return ParseError.BAD_DURATION
    if ":" in word:
        return ParseError.BAD_TIME
    if "-" in word or "/" in word or word.count(".") >= 2:
        return ParseError.BAD_DATE
    return ParseError.BAD_TIME


# --- Meaning -----------------------------------------------------------------------------


def _token_error(tokens: list[_Token]) -> ParseError | None:
    for token in tokens:
        if isinstance(token, ParseError):
            return token
    if not any(isinstance(token, _Unknown) for token in tokens):
        return _placement_error(tokens)
    if _is_recurring(tokens):
        return ParseError.BAD_RECURRENCE
    if any(isinstance(token, _Date) for token in tokens):
        return ParseError.BAD_DATE
    return ParseError.NO_WHEN


def _placement_error(tokens: list[_Token]) -> ParseError | None:
    """A time marker needs a time right after it; a duration needs one right before it."""
    for index, token in enumerate(tokens):
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if isinstance(token, _Marker) and not isinstance(after, _Time):
            return ParseError.BAD_TIME
        if isinstance(token, _Duration) and not isinstance(before, _Time):
            return ParseError.BAD_DURATION
    return None


def _is_recurring(tokens: Sequence[_Token]) -> bool:
    return any(isinstance(token, (_Frequency, _Every, _Ordinal)) for token in tokens)


def _of_type(tokens: list[_Known], kind: type[_T]) -> list[_T]:
    return [token for token in tokens if isinstance(token, kind)]


def _the_time(tokens: list[_Known]) -> time | ParseError:
    times = _of_type(tokens, _Time)
    return times[0].value if len(times) == 1 else ParseError.BAD_TIME


def _the_duration(tokens: list[_Known]) -> timedelta | ParseError:
    durations = _of_type(tokens, _Duration)
    if len(durations) > 1:
        return ParseError.BAD_DURATION
    return durations[0].value if durations else DEFAULT_DURATION


def _one_off(
    tokens: list[_Known], at: time | ParseError, now: datetime
) -> tuple[datetime, None, timedelta] | ParseError:
    dates = _of_type(tokens, _Date)
    if len(dates) != 1:
        return ParseError.BAD_DATE if dates else ParseError.NO_WHEN
    day = _resolve_date(dates[0], now.date())
    if isinstance(day, ParseError):
        return day
    if any(day.weekday() not in dict(w.by_language).values() for w in _of_type(tokens, _Weekday)):
        return ParseError.WEEKDAY_MISMATCH
    if isinstance(at, ParseError):
        return at
    duration = _the_duration(tokens)
    if isinstance(duration, ParseError):
        return duration
    start = datetime.combine(day, at)
    return ParseError.IN_THE_PAST if start < now else (start, None, duration)


def _resolve_date(found: _Date, today: date) -> date | ParseError:
    if not (1 <= found.day <= 31 and 1 <= found.month <= 12):
        return ParseError.BAD_DATE
    year = found.year
    if year is None:
        # "3.12." is the coming 3 December: this year unless that day has passed.
        passed = (found.month, found.day) < (today.month, today.day)
        year = today.year + 1 if passed else today.year
    try:
        return date(year, found.month, found.day)
    except ValueError:
        return ParseError.IMPOSSIBLE_DATE


def _recurring(
    tokens: list[_Known], at: time | ParseError, now: datetime, language: str | None
) -> tuple[datetime, Recurrence, timedelta] | ParseError:
    recurrence = _recurrence(tokens, language)
    if isinstance(recurrence, ParseError):
        return recurrence
    if isinstance(at, ParseError):
        return at
    duration = _the_duration(tokens)
    if isinstance(duration, ParseError):
        return duration
    return first_occurrence(recurrence, at, now), recurrence, duration


def _recurrence(tokens: list[_Known], language: str | None) -> Recurrence | ParseError:
    said = _of_type(tokens, _Frequency)
    every = _of_type(tokens, _Every)
    ordinals = _of_type(tokens, _Ordinal)
    weekdays = _of_type(tokens, _Weekday)
    if len(said) + len(every) != 1 or len(ordinals) > 1 or len(weekdays) != 1:
        return ParseError.BAD_RECURRENCE
    if _of_type(tokens, _Date):
        return ParseError.BAD_RECURRENCE
    if every and ordinals and ordinals[0].week == 2:
        # "every second tuesday": every other week, or the month's second? Refuse to guess.
        return ParseError.BAD_RECURRENCE
    frequency = (
        said[0].frequency if said else (Frequency.MONTHLY if ordinals else Frequency.WEEKLY)
    )
    if (frequency is Frequency.MONTHLY) != bool(ordinals):
        return ParseError.BAD_RECURRENCE
    speakers: list[_Frequency | _Every | _Ordinal] = [*said, *every, *ordinals]
    context = [token.language for token in speakers]
    weekday = _pick_weekday(weekdays[0], [*context, language or ""])
    return Recurrence(frequency, weekday, ordinals[0].week if ordinals else None)


def _pick_weekday(word: _Weekday, languages: list[str]) -> int:
    """Read an ambiguous short form ("ma") in the language of the other words, else Finnish."""
    days = dict(word.by_language)
    for language in languages:
        if language in days:
            return days[language]
    return word.by_language[0][1]


def first_occurrence(recurrence: Recurrence, at: time, now: datetime) -> datetime:
    """The first occurrence at or after `now` (naive local); today counts if `at` is ahead."""
    if recurrence.frequency is Frequency.MONTHLY:
        return _first_monthly(recurrence, at, now)
    ahead = (recurrence.weekday - now.weekday()) % 7
    candidate = datetime.combine(now.date() + timedelta(days=ahead), at)
    return candidate if candidate >= now else candidate + timedelta(days=7)


def _first_monthly(recurrence: Recurrence, at: time, now: datetime) -> datetime:
    week = recurrence.week_of_month
    assert week is not None  # Recurrence guarantees it for MONTHLY
    year, month = now.year, now.month
    candidate = datetime.combine(weekday_in_month(year, month, recurrence.weekday, week), at)
    if candidate >= now:
        return candidate
    year, month = next_month(year, month)
    return datetime.combine(weekday_in_month(year, month, recurrence.weekday, week), at)


# --- Fields ------------------------------------------------------------------------------


def _check_fields(title: str, place: str, link: str, notes: str) -> ParseError | None:
    if not title:
        return ParseError.NO_TITLE
    if len(title) > TITLE_MAX:
        return ParseError.TITLE_TOO_LONG
    if len(place) > PLACE_MAX:
        return ParseError.PLACE_TOO_LONG
    if len(link) > LINK_MAX:
        return ParseError.LINK_TOO_LONG
    if link and not _is_https_link(link):
        return ParseError.BAD_LINK
    if len(notes) > NOTES_MAX:
        return ParseError.NOTES_TOO_LONG
    return None


def _is_https_link(link: str) -> bool:
    # Only https: a meeting link is as good as a key to the meeting; it must not travel openly.
    if not link.lower().startswith("https://") or any(char.isspace() for char in link):
        return False
    try:
        return bool(urlsplit(link).hostname)
    except ValueError:
        return False
