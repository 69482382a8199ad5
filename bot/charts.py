"""The figures as a PNG for a phone screen: members and attendance, then check-in answers.

Hidden figures (see bot.figures) are never drawn: their place says "<5" or "..".
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.figures import (
    MEMBERS,
    REGION,
    SIGNUPS,
    TOTAL,
    FigureTable,
    checkin_metric,
)
from bot.i18n import Translator
from storage.checkins import QUESTIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX, HEIGHT_PX, DPI = 1000, 700, 100
FONT = 16
COLOURS = ("#2f6f8f", "#e0913a", "#6aa84f", "#b4a7d6", "#999999", "#c27ba0")


def render_chart(t: Translator, table: FigureTable, scope: str = REGION) -> bytes:
    """A PNG of WIDTH_PX × HEIGHT_PX: members and sign-ups per month, check-in answers."""
    # Loaded on first use: matplotlib costs seconds and tens of MB at start-up otherwise.
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory only
    from matplotlib import pyplot

    with pyplot.rc_context({"font.size": FONT, "axes.titlesize": FONT + 2}):
        figure, (top, bottom) = pyplot.subplots(
            2, 1, figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, height_ratios=(3, 2)
        )
        try:
            _members_and_signups(t, table, scope, top)
            _checkins(t, table, scope, bottom)
            figure.tight_layout()
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI)
        finally:
            pyplot.close(figure)
    return buffer.getvalue()


def _members_and_signups(t: Translator, table: FigureTable, scope: str, axes: Axes) -> None:
    months = table.months
    labels = [m[2:] for m in months]  # 26-03: short enough for twelve months on a phone
    positions = list(range(len(months)))
    signups = [table.number((scope, m, SIGNUPS)) for m in months]
    members = [table.number((scope, m, MEMBERS)) for m in months]
    axes.bar(
        positions,
        [v or 0 for v in signups],
        color=COLOURS[1],
        label=t.gettext("Said they were coming"),
    )
    axes.plot(
        [p for p, v in zip(positions, members, strict=True) if v is not None],
        [v for v in members if v is not None],
        color=COLOURS[0],
        marker="o",
        linewidth=3,
        label=t.gettext("Members"),
    )
    for position, month in zip(positions, months, strict=True):
        mark = table.shown((scope, month, SIGNUPS))
        if table.number((scope, month, SIGNUPS)) is None and mark:
            axes.annotate(mark, (position, 0), ha="center", va="bottom", fontsize=FONT - 2)
    axes.set_xticks(positions, labels)
    axes.set_title(t.gettext("Members and meetup attendance"))
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize=FONT - 3)
    axes.grid(axis="y", alpha=0.3)


def _checkins(t: Translator, table: FigureTable, scope: str, axes: Axes) -> None:
    names = question_names(t)
    rows = list(QUESTIONS)
    for row, question in enumerate(rows):
        left = 0.0
        for index, answer in enumerate(QUESTIONS[question]):
            key = (scope, TOTAL, checkin_metric(question, answer))
            value = table.number(key)
            if value:
                axes.barh(row, value, left=left, color=COLOURS[index % len(COLOURS)])
                axes.text(
                    left + value / 2,
                    row,
                    answer_label(t, question, answer),
                    ha="center",
                    va="center",
                    fontsize=FONT - 4,
                )
                left += value
        hidden = table.shown((scope, TOTAL, checkin_metric(question)))
        if table.number((scope, TOTAL, checkin_metric(question))) is None and hidden:
            axes.text(0, row, f" {hidden}", va="center", fontsize=FONT - 2)
    axes.set_yticks(range(len(rows)), [names[q] for q in rows])
    axes.invert_yaxis()
    axes.set_title(t.gettext("After the meetups (answers, whole period)"))
    axes.grid(axis="x", alpha=0.3)


def question_names(t: Translator) -> dict[str, str]:
    return {
        "how": t.gettext("How was it"),
        "less_alone": t.gettext("Less alone"),
        "again": t.gettext("Coming again"),
    }


def answer_label(t: Translator, question: str, answer: str) -> str:
    """A short label for an answer: the rating 1–5 (the chart font has no emoji), or a word."""
    if question == "how" and answer.isdigit():
        return answer
    words = {
        "yes": t.gettext("yes"),
        "a_bit": t.gettext("a bit"),
        "maybe": t.gettext("maybe"),
        "no": t.gettext("no"),
        "skip": t.gettext("skip"),
    }
    return words.get(answer, answer)
