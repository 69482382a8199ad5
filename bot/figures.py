"""Monthly figures per group and region, with small numbers suppressed.

Every figure counts people's actions, never people by name. Still, in a small group "1 member
left in March" can point at someone, so a figure of 1 to THRESHOLD - 1 is shown as "<5"
(primary suppression), and a figure that would let a reader subtract their way to such a
number (a region total minus the groups shown, a period total minus the months shown, all
answers minus the other answers) is hidden as well (complementary suppression, shown as
".."). Zero is shown: it says that nothing happened, not who did.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage import Store
from storage.checkins import QUESTIONS
from storage.figures import AskedQuestion, CheckinCount, GroupCount, HeldCount, RegionCount

# Figures below this are shown as "<5". bot/settings.py could make it a setting; until then
# it is the same for everyone (5 is the usual threshold in Finnish social statistics).
THRESHOLD = 5
COMPLEMENTARY = ".."
REGION = "region"  # the scope of a region's own figures and totals
TOTAL = "total"  # the period of a figure over all the months asked for

MEMBERS = "members"  # a snapshot: the groups' members at the month's last count
MEETUPS_HELD = "meetups_held"  # events, not people: never suppressed
SIGNUPS = "signups"
QUESTIONS_ASKED = "questions_asked"
QUESTIONS_ANSWERED = "questions_answered"
MEDIAN_HOURS = "median_first_answer_hours"  # shown only with enough answered questions
# Counted per region only (see storage.counts and storage.questions).
REGION_ONLY = frozenset({QUESTIONS_ASKED, QUESTIONS_ANSWERED, MEDIAN_HOURS})
NEVER_SUPPRESSED = frozenset({MEETUPS_HELD})
NOT_ADDITIVE = frozenset({MEMBERS, MEDIAN_HOURS})
BASE_REGION_COUNTS = frozenset({"contact_views", "crisis_views"})
# Always in a table, zero if nothing was counted.
BASE_METRICS: tuple[str, ...] = (
    MEMBERS,
    "joined",
    "left",
    "consents",
    MEETUPS_HELD,
    SIGNUPS,
    QUESTIONS_ASKED,
    QUESTIONS_ANSWERED,
    *sorted(BASE_REGION_COUNTS),
)
# The order of the figures in tables, then the rest by name.
ORDER = (
    MEMBERS,
    "joined",
    "left",
    "consents",
    MEETUPS_HELD,
    SIGNUPS,
    QUESTIONS_ASKED,
    QUESTIONS_ANSWERED,
    MEDIAN_HOURS,
    "contact_views",
    "crisis_views",
)

Key = tuple[str, str, str]  # (scope: REGION or a group's id, period: YYYY-MM or TOTAL, metric)


def checkin_metric(question: str, answer: str | None = None) -> str:
    """ "checkin:how" (all answers to the question) or "checkin:how:5"."""
    return f"checkin:{question}" if answer is None else f"checkin:{question}:{answer}"


# --- months ---------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    """'2026-03' → (2026, 3); ValueError for anything else."""
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError(f"a month is written YYYY-MM, not {text!r}")
    if not 1 <= int(month) <= 12:
        raise ValueError(f"there is no month {text!r}")
    return int(year), int(month)


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included."""
    year, month = parse_month(first)
    end = parse_month(last)
    if (year, month) > end:
        raise ValueError(f"{first} is after {last}")
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def last_months(today: date, count: int) -> list[str]:
    """The ``count`` months up to and including the one of ``today``."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def month_of(moment: datetime | date, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone) if isinstance(moment, datetime) else moment
    return f"{local.year:04d}-{local.month:02d}"


def month_bounds(months: Sequence[str], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first moment of the first month and the first moment after the last, local."""
    year, month = parse_month(months[0])
    start = datetime(year, month, 1, tzinfo=zone)
    year, month = parse_month(months[-1])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return start, datetime(year, month, 1, tzinfo=zone)


# --- the raw material -----------------------------------------------------------------------


@dataclass(frozen=True)
class RawFigures:
    """What a region's figures are computed from; all of it anonymous."""

    region: str
    months: list[str]
    zone: ZoneInfo
    groups: list[int] = field(default_factory=list)
    group_counts: list[GroupCount] = field(default_factory=list)
    region_counts: list[RegionCount] = field(default_factory=list)
    held: list[HeldCount] = field(default_factory=list)
    checkins: list[CheckinCount] = field(default_factory=list)
    questions: list[AskedQuestion] = field(default_factory=list)


async def load_figures(store: Store, region: str, months: list[str], zone: ZoneInfo) -> RawFigures:
    """Everything the region's figures for ``months`` need, read from storage."""
    start, until = month_bounds(months, zone)
    first_day, last_day = start.date(), (until - timedelta(days=1)).date()
    groups = [c.chat_id for c in await store.chats.list("peer_group") if c.region == region]
    figures = store.figures
    return RawFigures(
        region=region,
        months=months,
        zone=zone,
        groups=groups,
        group_counts=await figures.group_counts(region, first_day, last_day),
        region_counts=await figures.region_counts(region, first_day, last_day),
        held=await figures.held(region, start, until),
        checkins=await figures.checkin_counts(region, start, until),
        questions=await figures.questions(region, start, until),
    )


# --- computing ------------------------------------------------------------------------------


def compute(raw: RawFigures) -> dict[Key, float]:
    """Every figure of the region and its groups, per month and for the whole period."""
    values: dict[Key, float] = defaultdict(int)
    months = set(raw.months)
    groups = {str(g) for g in raw.groups}
    _add_group_counts(values, raw, months, groups)
    for held in raw.held:
        month, group = month_of(held.starts_at, raw.zone), str(held.chat_id)
        groups.add(group)
        values[(group, month, MEETUPS_HELD)] += 1
        values[(group, month, SIGNUPS)] += held.coming
    for answer in raw.checkins:
        month, group = month_of(answer.starts_at, raw.zone), str(answer.chat_id)
        groups.add(group)
        values[(group, month, checkin_metric(answer.question, answer.answer))] += answer.count
        values[(group, month, checkin_metric(answer.question))] += answer.count
    for count in raw.region_counts:
        values[(REGION, month_of(count.day, raw.zone), count.metric)] += count.count
    _add_questions(values, raw)
    for metric in BASE_METRICS:
        values.setdefault((REGION, raw.months[0], metric), 0)
    region_only = REGION_ONLY | BASE_REGION_COUNTS | {c.metric for c in raw.region_counts}
    _fill_grid(values, raw.months, sorted(groups, key=int), region_only)
    return dict(values)


def _add_group_counts(
    values: dict[Key, float], raw: RawFigures, months: set[str], groups: set[str]
) -> None:
    latest: dict[tuple[str, str], date] = {}
    for count in raw.group_counts:
        month, group = month_of(count.day, raw.zone), str(count.chat_id)
        if month not in months:
            continue
        groups.add(group)
        if count.metric == MEMBERS:
            # A snapshot: the month's last one counts.
            if latest.get((group, month), date.min) <= count.day:
                latest[(group, month)] = count.day
                values[(group, month, MEMBERS)] = count.count
        else:
            values[(group, month, count.metric)] += count.count


def _add_questions(values: dict[Key, float], raw: RawFigures) -> None:
    waits: dict[str, list[float]] = defaultdict(list)
    for question in raw.questions:
        month = month_of(question.asked_at, raw.zone)
        values[(REGION, month, QUESTIONS_ASKED)] += 1
        if question.first_answer_at is not None:
            values[(REGION, month, QUESTIONS_ANSWERED)] += 1
            wait = (question.first_answer_at - question.asked_at).total_seconds() / 3600
            waits[month].append(wait)
            waits[TOTAL].append(wait)
    for period, hours in waits.items():
        values[(REGION, period, MEDIAN_HOURS)] = round(statistics.median(hours), 1)


def _fill_grid(
    values: dict[Key, float], months: list[str], groups: list[str], region_only: AbstractSet[str]
) -> None:
    """Zeros where nothing was counted; region sums of the groups; period totals."""
    metrics = {metric for _, _, metric in values}
    for metric in metrics:
        scopes = [REGION] if metric in region_only else [REGION, *groups]
        for scope in scopes:
            for month in months:
                if metric != MEDIAN_HOURS:
                    values.setdefault((scope, month, metric), 0)
        if metric not in region_only:
            for month in months:
                values[(REGION, month, metric)] = sum(values[(g, month, metric)] for g in groups)
        for scope in scopes:
            if metric == MEMBERS:
                values[(scope, TOTAL, metric)] = values[(scope, months[-1], metric)]
            elif metric != MEDIAN_HOURS:
                values[(scope, TOTAL, metric)] = sum(values[(scope, m, metric)] for m in months)


def relations(values: dict[Key, float], months: Sequence[str]) -> list[tuple[Key, list[Key]]]:
    """(total, parts) for every sum a reader could subtract from."""
    found: list[tuple[Key, list[Key]]] = []
    scopes = sorted({scope for scope, _, _ in values})
    groups = [s for s in scopes if s != REGION]
    metrics = sorted({metric for _, _, metric in values} - NEVER_SUPPRESSED - {MEDIAN_HOURS})
    periods = [*months, TOTAL]
    for metric in metrics:
        if metric not in NOT_ADDITIVE:
            for scope in scopes:
                if (scope, TOTAL, metric) in values:
                    found.append(((scope, TOTAL, metric), [(scope, m, metric) for m in months]))
        parts_of = [g for g in groups if (g, months[0], metric) in values]
        if parts_of:
            for period in periods:
                parts = [(g, period, metric) for g in parts_of]
                found.append(((REGION, period, metric), parts))
        if metric.count(":") == 1 and metric.startswith("checkin:"):
            answers = QUESTIONS.get(metric.split(":")[1], ())
            for scope in scopes:
                for period in periods:
                    parts = [(scope, period, f"{metric}:{a}") for a in answers]
                    if (scope, period, metric) in values:
                        found.append(((scope, period, metric), [p for p in parts if p in values]))
    return found


def suppress(
    values: dict[Key, float],
    sums: Iterable[tuple[Key, list[Key]]],
    threshold: int = THRESHOLD,
) -> tuple[set[Key], set[Key]]:
    """(small, complementary): the figures below ``threshold``, and those hidden so that
    no small one can be worked out from a sum and the figures shown."""
    small = {
        key
        for key, value in values.items()
        if key[2] not in NEVER_SUPPRESSED and key[2] != MEDIAN_HOURS and 0 < value < threshold
    }
    hidden, extra = set(small), set()
    sums = list(sums)
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            cells = [total, *parts]
            if sum(1 for cell in cells if cell in hidden) != 1:
                continue
            # One hidden figure in a sum: the others would give it away.
            shown = [p for p in parts if p not in hidden and values.get(p, 0) > 0]
            pick = min(shown, key=lambda p: (values[p], p)) if shown else total
            if pick in hidden:
                continue
            hidden.add(pick)
            extra.add(pick)
            changed = True
    return small, extra


@dataclass(frozen=True)
class FigureTable:
    """Figures with suppression decided: what may be shown, and how."""

    region: str
    months: list[str]
    values: dict[Key, float]
    small: set[Key]
    complementary: set[Key]
    threshold: int = THRESHOLD

    def hidden(self, key: Key) -> bool:
        if key[2] == MEDIAN_HOURS:
            answered = (key[0], key[1], QUESTIONS_ANSWERED)
            return self.values.get(answered, 0) < self.threshold or answered in self.small
        return key in self.small or key in self.complementary

    def shown(self, key: Key) -> str:
        """The figure as text: a number, "<5", ".." or "" (nothing to show)."""
        if key not in self.values:
            return ""
        if key in self.small:
            return f"<{self.threshold}"
        if self.hidden(key):
            return COMPLEMENTARY
        value = self.values[key]
        return f"{value:g}" if isinstance(value, float) else str(value)

    def number(self, key: Key) -> float | None:
        """The figure if it may be shown; None if hidden or missing (for charts)."""
        if key not in self.values or self.hidden(key):
            return None
        return self.values[key]

    def scopes(self) -> list[str]:
        groups = sorted({s for s, _, _ in self.values if s != REGION}, key=int)
        return [REGION, *(str(g) for g in groups)]

    def metrics(self) -> list[str]:
        present = {m for _, _, m in self.values}
        known = [m for m in ORDER if m in present]
        return known + sorted(present - set(ORDER))

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(scope, period, metric, shown value) for every figure, in a stable order."""
        found = []
        for scope in self.scopes():
            for period in [*self.months, TOTAL]:
                for metric in self.metrics():
                    if (scope, period, metric) in self.values:
                        found.append((scope, period, metric, self.shown((scope, period, metric))))
        return found


def figure_table(raw: RawFigures, threshold: int = THRESHOLD) -> FigureTable:
    """The region's figures with small and subtractable numbers hidden."""
    values = compute(raw)
    small, extra = suppress(values, relations(values, raw.months), threshold)
    return FigureTable(raw.region, raw.months, values, small, extra, threshold)
