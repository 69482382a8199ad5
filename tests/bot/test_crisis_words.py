"""Crisis words: off by default; the writer gets help privately, the staff chat a link only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from handlers.crisis import crisis_text
from handlers.crisis_words import find_crisis_word
from handlers.groupsettings import parse_crisis_words
from handlers.moderation_common import only_facilitators_text
from tests.harness import Harness


@dataclass
class Scene:
    group: int
    staff: int
    host: int
    member: int


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    host = bot.api.add_user(first_name="Host", language_code="en", started=True)
    member = bot.api.add_user(first_name="Milla-Secret", language_code="sv", started=True)
    bot.api.world.user(member).username = "milla_secret"
    group = bot.api.add_group(members=[member], admins=[host], owner=admin)
    staff = bot.api.add_group(title="Staff", admins=[host], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.store.chats.register(staff, "staff", "Lappi", "en", bot.clock.now())
    bot.api.clear_calls()
    return Scene(group, staff, host, member)


async def set_words(bot: Harness, scene: Scene, words: str) -> None:
    await bot.group(scene.group, scene.host, f"/groupsettings crisis words {words}")
    bot.api.clear_calls()


# --- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("En JAKSA enää", "en jaksa"),  # case and a phrase
        ("en   jaksa", "en jaksa"),  # any spacing
        ("Mietin itsemurhaa", "itsemurha"),  # a Finnish ending
        ("Itsemurhasta puhuminen", "itsemurha"),
        ("(itsemurha)", "itsemurha"),  # punctuation is no letter
        ("apua!", "apu"),
        ("lapun", None),  # not inside a word
        ("kenen jaksamisesta", None),  # "en" inside "kenen" is no word start
        ("ÁHPI dieđus", "áhpi"),  # Sámi letters, upper case
        ("váháhpi", None),
        ("", None),
    ],
)
def test_words_match_word_starts_in_any_case_and_script(text: str, found: str | None) -> None:
    words = ("en jaksa", "itsemurha", "apu", "áhpi")
    assert find_crisis_word(text, words) == found


def test_crisis_words_are_parsed_from_a_comma_list() -> None:
    assert parse_crisis_words("itsemurha, en  jaksa,, Apua ") == ["itsemurha", "en jaksa", "Apua"]
    assert parse_crisis_words("OFF") == []
    assert parse_crisis_words("") is None
    assert parse_crisis_words(", ,") is None
    assert parse_crisis_words("!!!") is None
    assert parse_crisis_words("x" * 41) is None
    assert parse_crisis_words(", ".join(f"w{n}" for n in range(31))) is None


# --- in the group ----------------------------------------------------------------------------


async def test_crisis_words_are_off_by_default(bot: Harness, scene: Scene) -> None:
    await bot.group(scene.group, scene.member, "I want to end my life")
    assert bot.api.calls_to("sendMessage") == []


async def test_a_crisis_word_brings_help_privately_and_a_link_to_the_staff(
    bot: Harness, scene: Scene
) -> None:
    await set_words(bot, scene, "itsemurha, en jaksa")
    update = bot.api.group_message(scene.group, scene.member, "En jaksa enää tätä kaikkea")
    await bot.deliver(update)
    sv = bot.translations("sv")
    (private,) = bot.api.sent_messages(scene.member)
    assert private["text"].endswith(crisis_text(sv))
    (notice,) = bot.api.sent_messages(scene.staff)
    message_id = update["message"]["message_id"]
    assert f"/{message_id}" in notice["text"]
    assert "peer group of Lappi" in notice["text"]
    assert "I sent the writer the help lines privately." in notice["text"]
    assert bot.api.sent_messages(scene.group) == []
    for call in bot.calls_into(scene.group, scene.staff):
        for secret in ("Milla-Secret", "milla_secret", str(scene.member), "jaksa", "tätä"):
            assert secret not in call


async def test_the_staff_hears_when_the_writer_cannot_be_reached(
    bot: Harness, scene: Scene
) -> None:
    await set_words(bot, scene, "apu")
    bot.api.set_blocked(scene.member)
    await bot.group(scene.group, scene.member, "Tarvitsen apua")
    assert "I could not send the writer the help lines" in bot.last(scene.staff)["text"]
    assert bot.api.sent_messages(scene.group) == []


async def test_other_words_bots_anonymous_admins_and_facilitators_are_ignored(
    bot: Harness, scene: Scene, admin: int
) -> None:
    await set_words(bot, scene, "apu")
    await bot.group(scene.group, scene.member, "Lapun kautta kuljetaan")
    await bot.group(scene.group, scene.host, "Apua saa aina, kirjoittakaa minulle")
    await bot.deliver(bot.api.group_message(scene.group, admin, "Apua on tarjolla", as_group=True))
    await bot.group(scene.group, scene.member, "/apu")  # a command is no message to the group
    assert bot.api.calls_to("sendMessage") == []


async def test_turning_crisis_words_off(bot: Harness, scene: Scene) -> None:
    await set_words(bot, scene, "apu")
    await bot.group(scene.group, scene.host, "/groupsettings crisis words off")
    assert bot.last(scene.host)["text"].startswith("Crisis words are off in this group.")
    bot.api.clear_calls()
    await bot.group(scene.group, scene.member, "apua")
    assert bot.api.calls_to("sendMessage") == []


# --- setting them ----------------------------------------------------------------------------


async def test_the_words_stay_between_the_facilitator_and_the_bot(
    bot: Harness, scene: Scene
) -> None:
    command = bot.api.group_message(
        scene.group, scene.host, "/groupsettings crisis words itsemurha, en jaksa"
    )
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted
    assert bot.last(scene.host)["text"].startswith(
        "Crisis words of the group: itsemurha, en jaksa"
    )
    assert bot.api.sent_messages(scene.group) == []
    chat = await bot.store.chats.get(scene.group)
    assert chat is not None
    assert chat.crisis_words == ("itsemurha", "en jaksa")
    await bot.group(scene.group, scene.host, "/groupsettings")
    shown = bot.last(scene.group)["text"]
    assert "crisis words – the help lines privately to whoever writes one: on, 2 words" in shown
    assert "itsemurha" not in shown
    await bot.group(scene.group, scene.host, "/groupsettings crisis words")
    assert bot.last(scene.host)["text"].startswith("Crisis words of the group: itsemurha")


async def test_unusable_words_get_an_example_privately(bot: Harness, scene: Scene) -> None:
    await set_words(bot, scene, "apu")
    await bot.group(scene.group, scene.host, "/groupsettings crisis words !!!, ???")
    assert bot.last(scene.host)["text"].startswith("Write the words after /groupsettings")
    assert (await bot.store.chats.get(scene.group)).crisis_words == ("apu",)  # type: ignore[union-attr]


async def test_an_unreachable_facilitator_sees_only_the_count_in_the_group(
    bot: Harness, scene: Scene
) -> None:
    bot.api.set_blocked(scene.host)
    await bot.group(scene.group, scene.host, "/groupsettings crisis words apu, hätä")
    shown = bot.last(scene.group)["text"]
    assert "on, 2 words" in shown
    assert "hätä" not in shown


async def test_members_cannot_set_crisis_words(bot: Harness, scene: Scene) -> None:
    await bot.group(scene.group, scene.member, "/groupsettings crisis words apu")
    assert (await bot.store.chats.get(scene.group)).crisis_words == ()  # type: ignore[union-attr]
    assert bot.last(scene.member)["text"] == only_facilitators_text(bot.translations("sv"))
