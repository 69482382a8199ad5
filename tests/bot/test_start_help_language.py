"""/start, /help and /language, driven through the real Application."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.emulator import BotApiEmulator
from handlers.start import Audience, help_text, welcome_text
from tests.conftest import make_settings
from tests.harness import Harness, running_bot


async def test_start_welcomes_in_the_app_language_and_remembers_the_member(bot: Harness):
    user = bot.api.add_user(language_code="en")
    await bot.private(user, "/start")
    welcome = bot.last(user)
    assert welcome["text"].startswith("Hi, and welcome!")
    assert [b["callback_data"] for b in bot.buttons(welcome)] == [
        "lang:menu",
        "help:show",
        "crisis:show",
    ]
    member = await bot.store.members.get(user)
    assert member is not None
    assert member.reachable
    assert member.started_at == bot.clock.now()
    assert member.language is None  # nothing chosen yet
    assert member.app_language == "en"  # for messages the bot starts later


async def test_unsupported_app_language_falls_back_to_finnish(bot: Harness):
    user = bot.api.add_user(language_code="de")
    await bot.private(user, "/start")
    assert bot.last(user)["text"] == welcome_text(bot.translations("fi"))


async def test_first_start_time_is_kept(bot: Harness):
    user = bot.api.add_user()
    await bot.private(user, "/start")
    first = bot.clock.now()
    bot.clock.advance(timedelta(days=3))
    await bot.private(user, "/start")
    member = await bot.store.members.get(user)
    assert member is not None
    assert member.started_at == first


async def test_deep_links_route_to_their_feature_and_unknown_ones_welcome(bot: Harness):
    user = bot.api.add_user(language_code="en")
    await bot.private(user, "/start language")
    assert bot.last(user)["text"] == "Which language should I use with you?"
    await bot.private(user, "/start help")
    assert bot.last(user)["text"].startswith("Here is what you can do with me")
    await bot.private(user, "/start no-such-thing")
    assert bot.last(user)["text"].startswith("Hi, and welcome!")
    await bot.private(user, "/start " + "x" * 64)
    assert bot.last(user)["text"].startswith("Hi, and welcome!")


async def test_member_help_in_private_has_no_facilitator_commands(bot: Harness):
    member = bot.api.add_user(language_code="en")
    await bot.private(member, "/help")
    assert "/setup" not in bot.last(member)["text"]


async def test_admin_help_in_private_lists_setup(
    api: BotApiEmulator, tmp_path: Path, clock: ManualClock
):
    admin = api.add_user(language_code="en")
    settings = make_settings(api, f"sqlite:///{tmp_path}/a.db", admins=[admin])
    async with running_bot(settings, api, clock) as bot:
        await bot.private(admin, "/help")
        text = bot.last(admin)["text"]
    assert "/language" in text
    assert "/setup group REGION" in text


async def test_help_in_a_group_points_members_to_a_private_chat(bot: Harness, admin: int):
    member = bot.api.add_user(language_code="en")
    group = bot.api.add_group(members=[member, admin])
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.group(group, member, "/help")
    answer = bot.last(group)
    assert answer["text"].startswith("I am this group's helper")
    (button,) = bot.buttons(answer)
    assert button["url"] == f"https://t.me/{bot.api.bot_username}?start=help"


async def test_help_in_a_group_for_its_telegram_admin(bot: Harness):
    owner = bot.api.add_user()
    group = bot.api.add_group(members=[owner], admins=[owner])
    await bot.store.chats.register(group, "peer_group", "Lappi", "sv", bot.clock.now())
    await bot.group(group, owner, "/help")
    assert bot.last(group)["text"] == help_text(bot.translations("sv"), Audience.FACILITATOR_GROUP)


async def test_language_choice_is_used_at_once_and_survives_a_restart(
    api: BotApiEmulator, db_url: str, clock: ManualClock
):
    settings = make_settings(api, db_url)
    user = api.add_user(language_code="fi")
    async with running_bot(settings, api, clock) as bot:
        await bot.private(user, "/language")
        menu = bot.last(user)
        assert [b["text"] for b in bot.buttons(menu)] == [
            "Suomi",
            "Svenska",
            "Davvisámegiella",
            "English",
        ]
        await bot.press(user, menu, "lang:sv")
        assert api.calls_to("answerCallbackQuery")[-1].ok
        edited = api.calls_to("editMessageText")[-1]
        swedish = bot.translations("sv")
        assert edited.params["text"] == swedish.gettext(
            "Done! From now on I will write to you in English."
        )
        assert edited.params["text"] != "Done! From now on I will write to you in English."
    async with running_bot(settings, api, clock) as bot:
        await bot.private(user, "/start")
        assert bot.last(user)["text"] == welcome_text(bot.translations("sv"))


async def test_tampered_language_button_changes_nothing(bot: Harness):
    user = bot.api.add_user(language_code="en")
    await bot.private(user, "/language")
    forged = bot.api.press_button(user, bot.last(user), "lang:xx'; DROP TABLE x", forged=True)
    await bot.deliver(forged)
    answer = bot.api.calls_to("answerCallbackQuery")[-1]
    assert answer.params["text"] == "This button no longer works. Try /language again."
    member = await bot.store.members.get(user)
    assert member is not None
    assert member.language is None


async def test_language_in_a_group_answers_with_a_private_link(bot: Harness):
    user = bot.api.add_user(language_code="en")
    group = bot.api.add_group(members=[user])
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.group(group, user, "/language")
    (button,) = bot.buttons(bot.last(group))
    assert button["url"].endswith("?start=language")


async def test_sami_speaker_gets_sami(bot: Harness):
    user = bot.api.add_user(language_code="se")
    await bot.private(user, "/start")
    welcome = bot.last(user)["text"]
    assert welcome == welcome_text(bot.translations("se"))
    assert welcome not in {welcome_text(bot.translations(code)) for code in ("fi", "sv", "en")}
