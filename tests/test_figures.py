"""Monthly figures from seeded data, small-number suppression, the chart and the CSV."""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.charts import HEIGHT_PX, WIDTH_PX, render_chart
from bot.figures import (
    COMPLEMENTARY,
    REGION,
    TOTAL,
    RawFigures,
    compute,
    figure_table,
    last_months,
    month_range,
    relations,
    suppress,
)
from bot.i18n import Translations
from bot.stats_cli import CSV_HEADER, to_csv, to_json
from storage.figures import AskedQuestion, CheckinCount, GroupCount, HeldCount, RegionCount

ZONE = ZoneInfo("Europe/Helsinki")
A, B, C = -1001, -1002, -1003  # three groups of the region
MONTHS = ["2026-03", "2026-04"]


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=ZONE).astimezone(UTC)


def seeded() -> RawFigures:
    counts = [
        GroupCount(date(2026, 3, 2), A, "joined", 6),
        GroupCount(date(2026, 3, 20), A, "joined", 1),
        GroupCount(date(2026, 3, 5), B, "joined", 2),
        GroupCount(date(2026, 4, 1), A, "left", 1),
        GroupCount(date(2026, 3, 1), A, "members", 10),
        GroupCount(date(2026, 3, 31), A, "members", 16),  # the month's last snapshot counts
        GroupCount(date(2026, 4, 30), A, "members", 15),
        GroupCount(date(2026, 4, 30), B, "members", 8),
        GroupCount(date(2026, 4, 30), C, "members", 9),
        GroupCount(date(2026, 4, 3), B, "moderation:warn", 1),
    ]
    held = [
        HeldCount(at("2026-03-10"), A, 7),
        HeldCount(at("2026-03-24"), A, 5),
        HeldCount(at("2026-04-07"), B, 3),
        # 23:30 UTC on 31 March is already April in Helsinki.
        HeldCount(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), C, 6),
    ]
    checkins = [
        CheckinCount(at("2026-03-10"), A, "less_alone", "yes", 6),
        CheckinCount(at("2026-03-10"), A, "less_alone", "no", 2),
        CheckinCount(at("2026-03-24"), A, "less_alone", "yes", 4),
        CheckinCount(at("2026-03-10"), A, "how", "5", 8),
    ]
    regional = [
        RegionCount(date(2026, 3, 3), "contact_views", 12),
        RegionCount(date(2026, 4, 3), "contact_views", 2),
        RegionCount(date(2026, 4, 4), "crisis_views", 7),
    ]
    asked = at("2026-03-02", 10)
    questions = [AskedQuestion(asked, asked + timedelta(hours=h)) for h in (1, 2, 3, 10, 30)] + [
        AskedQuestion(at("2026-04-02"), None),
        AskedQuestion(at("2026-04-03"), at("2026-04-04")),
    ]
    return RawFigures(
        region="Lappi",
        months=MONTHS,
        zone=ZONE,
        groups=[A, B, C],
        group_counts=counts,
        region_counts=regional,
        held=held,
        checkins=checkins,
        questions=questions,
    )


def test_figures_match_hand_computed_values() -> None:
    values = compute(seeded())
    a, b, c = str(A), str(B), str(C)
    assert values[(a, "2026-03", "joined")] == 7
    assert values[(REGION, "2026-03", "joined")] == 9
    assert values[(REGION, TOTAL, "joined")] == 9
    assert values[(a, "2026-03", "members")] == 16
    assert values[(REGION, "2026-04", "members")] == 15 + 8 + 9
    assert values[(REGION, TOTAL, "members")] == 32  # the last month, not a sum
    assert values[(a, "2026-03", "meetups_held")] == 2
    assert values[(a, "2026-03", "signups")] == 12
    assert values[(c, "2026-04", "signups")] == 6
    assert values[(REGION, TOTAL, "meetups_held")] == 4
    assert values[(REGION, TOTAL, "signups")] == 21
    assert values[(a, "2026-03", "checkin:less_alone:yes")] == 10
    assert values[(a, "2026-03", "checkin:less_alone")] == 12
    assert values[(REGION, "2026-03", "questions_asked")] == 5
    assert values[(REGION, "2026-03", "questions_answered")] == 5
    assert values[(REGION, "2026-03", "median_first_answer_hours")] == 3.0
    assert values[(REGION, "2026-04", "questions_asked")] == 2
    assert values[(REGION, TOTAL, "median_first_answer_hours")] == 6.5  # (3 + 10) / 2
    assert values[(REGION, TOTAL, "contact_views")] == 14
    assert values[(REGION, "2026-04", "crisis_views")] == 7
    assert (a, "2026-03", "contact_views") not in values  # counted per region only
    assert values[(b, "2026-04", "moderation:warn")] == 1
    assert values[(c, "2026-03", "joined")] == 0


def test_small_numbers_are_shown_as_less_than_five() -> None:
    table = figure_table(seeded())
    assert table.shown((str(B), "2026-03", "joined")) == "<5"
    assert table.shown((str(A), "2026-03", "signups")) == "12"
    assert table.shown((str(C), "2026-03", "joined")) == "0"  # nothing happened: shown
    assert table.shown((str(B), "2026-04", "signups")) == "<5"
    assert table.shown((REGION, "2026-04", "contact_views")) == "<5"
    # Meetups are events, not people.
    assert table.shown((str(B), "2026-04", "meetups_held")) == "1"
    # Too few answered questions in April for a median.
    assert table.shown((REGION, "2026-04", "median_first_answer_hours")) == COMPLEMENTARY
    assert table.shown((REGION, "2026-03", "median_first_answer_hours")) == "3"


def test_a_total_minus_the_figures_shown_never_gives_a_small_number() -> None:
    table = figure_table(seeded())
    # March: A joined 7, B joined 2 (<5), region 9. Region minus A would give B's 2.
    region, group_a = (REGION, "2026-03", "joined"), (str(A), "2026-03", "joined")
    assert table.shown((str(B), "2026-03", "joined")) == "<5"
    assert COMPLEMENTARY in (table.shown(region), table.shown(group_a))
    # Check-ins: 12 answers to "less alone" in March, 10 yes, 2 no (<5).
    answers = [(str(A), "2026-03", f"checkin:less_alone:{a}") for a in ("yes", "no")]
    total = (str(A), "2026-03", "checkin:less_alone")
    assert table.shown(answers[1]) == "<5"
    assert COMPLEMENTARY in (table.shown(total), table.shown(answers[0]))
    # And no sum anywhere has exactly one hidden figure.
    for whole, parts in relations(table.values, table.months):
        assert sum(table.hidden(cell) for cell in [whole, *parts]) != 1, (whole, parts)


def test_suppression_of_a_single_small_part() -> None:
    values = {("r", "m", "x"): 20.0, ("a", "m", "x"): 17.0, ("b", "m", "x"): 3.0}
    sums = [(("r", "m", "x"), [("a", "m", "x"), ("b", "m", "x")])]
    small, extra = suppress(values, sums)
    assert small == {("b", "m", "x")}
    assert extra == {("a", "m", "x")}  # the total stays, the other part goes
    values[("c", "m", "x")] = 0.0
    sums = [(("r", "m", "x"), [("a", "m", "x"), ("b", "m", "x"), ("c", "m", "x")])]
    assert suppress(values, sums)[1] == {("a", "m", "x")}
    lonely = {("r", "m", "x"): 3.0, ("a", "m", "x"): 0.0, ("b", "m", "x"): 3.0}
    small, extra = suppress(lonely, [(("r", "m", "x"), [("a", "m", "x"), ("b", "m", "x")])])
    assert small == {("r", "m", "x"), ("b", "m", "x")}
    assert extra == set()


def test_months() -> None:
    assert month_range("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert last_months(date(2026, 2, 10), 3) == ["2025-12", "2026-01", "2026-02"]
    for bad in ("2026-13", "26-01", "2026-1", "soon"):
        with pytest.raises(ValueError, match="month"):
            month_range(bad, "2026-12")
    with pytest.raises(ValueError, match="is after"):
        month_range("2026-05", "2026-04")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("language", ["fi", "sv", "se", "en"])
def test_the_chart_is_a_png_of_the_expected_size(language: str) -> None:
    t = Translations.load(ZONE)(language)
    png = render_chart(t, figure_table(seeded()))
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
    assert png.endswith(b"IEND\xaeB`\x82")


def test_an_empty_period_still_draws() -> None:
    t = Translations.load(ZONE)("en")
    empty = RawFigures(region="Lappi", months=last_months(date(2026, 5, 1), 12), zone=ZONE)
    assert png_size(render_chart(t, figure_table(empty))) == (WIDTH_PX, HEIGHT_PX)


def test_csv_parses_back_and_json_keeps_the_suppression() -> None:
    table = figure_table(seeded())
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert tuple(rows[0]) == CSV_HEADER
    parsed = {(r[1], r[2], r[3]): r[4] for r in rows[1:]}
    assert all(r[0] == "Lappi" for r in rows[1:])
    assert parsed[(str(A), "2026-03", "signups")] == "12"
    assert parsed[(str(B), "2026-03", "joined")] == "<5"
    assert len(parsed) == len(rows) - 1 == len(table.values)
    document = json.loads(to_json(table))
    figures = {(f["scope"], f["month"], f["metric"]): f["value"] for f in document["figures"]}
    assert document["threshold"] == 5
    assert figures[(str(A), "2026-03", "signups")] == 12
    assert figures[(str(B), "2026-03", "joined")] == "<5"
    assert figures[(REGION, "2026-03", "median_first_answer_hours")] == 3
