"""The joining and rules decisions on their own, without Telegram."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translations
from handlers.joining import JoinButton, membership_change, parse_button
from handlers.rules import DEFAULT_RULES, RulesRequest, parse_setrules, rules_body
from storage import Rules

GROUP = -1001234567890


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (f"join:ok:{GROUP}:3", JoinButton("ok", GROUP, "3")),
        (f"join:no:{GROUP}", JoinButton("no", GROUP)),
        (f"join:lang:se:{GROUP}", JoinButton("lang", GROUP, "se")),
        (f"join:lang:de:{GROUP}", None),
        (f"join:ok:{GROUP}:-1", None),
        ("join:ok:abc:1", None),
        ("join:no:", None),
        ("join", None),
        ("", None),
    ],
)
def test_button_data_is_parsed_strictly(data: str, expected: JoinButton | None):
    assert parse_button(data) == expected


@pytest.mark.parametrize(
    ("old", "old_member", "new", "new_member", "expected"),
    [
        ("left", False, "member", True, "joined"),
        ("kicked", False, "member", True, "joined"),
        ("left", False, "restricted", True, "joined"),
        ("member", True, "left", False, "left"),
        ("restricted", True, "left", False, "left"),
        ("member", True, "kicked", False, "left"),
        ("restricted", True, "restricted", False, "left"),
        ("restricted", True, "member", True, "released"),
        ("member", True, "restricted", True, None),  # the bot muting a newcomer
        ("member", True, "administrator", True, None),
        ("left", False, "kicked", False, None),
    ],
)
def test_membership_changes(
    old: str, old_member: bool, new: str, new_member: bool, expected: str | None
):
    assert membership_change(old, old_member, new, new_member) == expected


def test_setrules_parsing_keeps_newlines_and_reads_the_language():
    assert parse_setrules("sv Var snäll.\nLyssna.", None, "fi") == RulesRequest(
        "sv", "Var snäll.\nLyssna."
    )
    assert parse_setrules("all One text", None, "fi") == RulesRequest("*", "One text")
    assert parse_setrules("Ole kiltti.", None, "fi") == RulesRequest("fi", "Ole kiltti.")
    assert parse_setrules("en", "From the reply", "fi") == RulesRequest("en", "From the reply")
    assert parse_setrules("", None, "fi") is None
    assert parse_setrules("se   ", None, "fi") is None


def test_rules_text_falls_back_sensibly():
    translations = Translations.load(ZoneInfo("Europe/Helsinki"))
    sv, en = translations("sv"), translations("en")
    assert rules_body(en, Rules(GROUP, 0, {}), "fi") == DEFAULT_RULES
    assert rules_body(sv, Rules(GROUP, 0, {}), "fi") == sv.gettext(DEFAULT_RULES)
    custom = Rules(GROUP, 2, {"fi": "Suomeksi", "*": "Common"})
    assert rules_body(sv, custom, "fi") == "Common"
    assert rules_body(en, Rules(GROUP, 1, {"fi": "Suomeksi"}), "fi") == "Suomeksi"
    assert rules_body(en, Rules(GROUP, 1, {"sv": "Svenska", "en": "English"}), "fi") == "English"
