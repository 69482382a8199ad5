"""Language choice, plural rules and local times (across daylight-saving changes)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translations, resolve_language

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize(
    ("stored", "app", "expected"),
    [
        ("sv", "en", "sv"),  # the member's own choice wins
        (None, "en", "en"),
        (None, "en-GB", "en"),
        (None, "sv_FI", "sv"),
        (None, "se", "se"),
        (None, "de", "fi"),  # a language we do not speak: the default
        (None, None, "fi"),
        ("xx", None, "fi"),  # a stored value we no longer know is ignored
    ],
)
def test_language_resolution(stored: str | None, app: str | None, expected: str):
    assert resolve_language(stored, app, "fi") == expected


def test_sami_has_singular_dual_and_plural():
    plural = Translations.load(HELSINKI)("se").catalogue.plural
    assert [plural(n) for n in (1, 2, 3, 5, 11)] == [0, 1, 2, 2, 2]


def test_plural_chooses_the_right_form():
    t = Translations.load(HELSINKI)("en")
    message = ("{n} hour", "{n} hours")
    assert t.ngettext(*message, 1) == "1 hour"
    assert t.ngettext(*message, 24) == "24 hours"


@pytest.mark.parametrize(
    ("moment", "local"),
    [
        # Spring forward in Helsinki: 03:00 local became 04:00 on 29 March 2026.
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "2.30"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "4.30"),
        # Fall back: 04:00 local became 03:00 on 25 October 2026.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "3.30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "3.30"),
        (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), "4.30"),
    ],
)
def test_times_are_shown_in_helsinki_time_across_dst(moment: datetime, local: str):
    t = Translations.load(HELSINKI)("fi")
    assert t.time(moment) == local


def test_dates_follow_the_language_and_the_configured_zone():
    moment = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # already 1 January in Helsinki
    helsinki = Translations.load(HELSINKI)
    assert helsinki("fi").datetime(moment) == "1. tammikuuta 2027 0.30"
    assert helsinki("en").datetime(moment) == "January 1, 2027 12:30\u202fAM"
    assert helsinki("sv").date(moment) == "1 januari 2027"
    in_utc = Translations.load(ZoneInfo("UTC"))
    assert in_utc("fi").datetime(moment) == "31. joulukuuta 2026 22.30"
