"""Reading the rules, changing them, and agreeing to a new version."""

from __future__ import annotations

import pytest

from handlers.rules import DEFAULT_RULES, RULES_SUMMARY
from tests.harness import Harness


@pytest.fixture
async def group(bot: Harness, admin: int) -> int:
    chat_id = bot.api.add_group(title="Peer group", members=[admin], owner=admin)
    await bot.store.chats.register(chat_id, "peer_group", "Lappi", "en", bot.clock.now())
    return chat_id


async def member_of(bot: Harness, group: int, language: str = "en") -> int:
    """A member who started the bot, joined by request and agreed to the rules."""
    user = bot.api.add_user(language_code=language)
    await bot.private(user, "/start")
    await bot.deliver(bot.api.join_request(group, user))
    await bot.press(user, bot.last(user), f"join:ok:{group}:0")
    await bot.flush()
    return user


async def test_rules_in_a_group_summary_and_private_link(bot: Harness, group: int, admin: int):
    await bot.group(group, admin, "/rules")
    answer = bot.last(group)
    assert answer["text"] == RULES_SUMMARY
    (link,) = bot.buttons(answer)
    assert link["url"].endswith(f"?start=rules-{group}")


async def test_rules_in_private_show_the_members_groups(bot: Harness, group: int):
    user = await member_of(bot, group, "sv")
    await bot.private(user, "/rules")
    text = bot.last(user)["text"]
    assert "Lappi" in text
    assert bot.translations("sv").gettext(DEFAULT_RULES) in text
    stranger = bot.api.add_user(language_code="en")
    await bot.private(stranger, "/rules")
    assert bot.last(stranger)["text"] == DEFAULT_RULES
    await bot.private(stranger, f"/start rules-{group}")
    assert DEFAULT_RULES in bot.last(stranger)["text"]


async def test_setrules_preview_publish_and_reconsent(bot: Harness, group: int, admin: int):
    user = await member_of(bot, group)
    bot.api.clear_calls()
    await bot.group(group, admin, "/setrules all Be kind.\nListen.\nKeep secrets safe.")
    preview = bot.last(group)
    assert "Be kind.\nListen.\nKeep secrets safe." in preview["text"]
    assert (await bot.store.rules.current(group)).version == 0
    publish = next(b for b in bot.buttons(preview) if b["callback_data"].startswith("rules:pub"))
    await bot.press(admin, preview, publish["callback_data"])
    assert (await bot.store.rules.current(group)).version == 1
    assert bot.last(group)["text"] == "The group's rules have been updated. Read them with /rules."
    request = bot.last(user)
    assert "Keep secrets safe." in request["text"]
    assert "nobody is removed" in request["text"]
    await bot.press(user, request, f"rules:ack:{group}:1")
    consent = await bot.store.joins.consent(user, group)
    assert consent is not None
    assert consent.rules_version == 1
    assert bot.api.calls_to("banChatMember") == []


async def test_publish_button_works_once_and_only_for_facilitators(
    bot: Harness, group: int, admin: int
):
    user = await member_of(bot, group)
    await bot.group(group, admin, "/setrules en New rules here.")
    preview = bot.last(group)
    data = next(b["callback_data"] for b in bot.buttons(preview) if "pub" in b["callback_data"])
    await bot.press(user, preview, data)
    assert (await bot.store.rules.current(group)).version == 0
    await bot.press(admin, preview, data)
    await bot.deliver(bot.api.press_button(admin, preview, data, forged=True))  # a double tap
    assert (await bot.store.rules.current(group)).version == 1
    assert bot.api.calls_to("answerCallbackQuery")[-1].params["text"] == (
        "This button no longer works."
    )


async def test_setrules_by_reply_in_one_language(bot: Harness, group: int, admin: int):
    await bot.group(group, admin, "Ole ystävällinen. Kuuntele muita.")
    original = bot.api.messages(group)[-1]
    update = bot.api.group_message(
        group, admin, "/setrules fi", reply_to_message_id=original["message_id"]
    )
    await bot.deliver(update)
    preview = bot.last(group)
    data = next(b["callback_data"] for b in bot.buttons(preview) if "pub" in b["callback_data"])
    await bot.press(admin, preview, data)
    rules = await bot.store.rules.current(group)
    assert dict(rules.texts) == {"fi": "Ole ystävällinen. Kuuntele muita."}


async def test_setrules_without_text_or_too_long_explains(bot: Harness, group: int, admin: int):
    await bot.group(group, admin, "/setrules")
    assert "/setrules fi" in bot.last(group)["text"]
    await bot.group(group, admin, "/setrules en " + "x" * 3600)
    assert "At most 3500 characters" in bot.last(group)["text"]


async def test_stale_rules_acknowledgement_changes_nothing(bot: Harness, group: int, admin: int):
    user = await member_of(bot, group)
    await bot.store.rules.publish(group, "en", "Version one.", bot.clock.now())
    await bot.store.rules.publish(group, "en", "Version two.", bot.clock.now())
    await bot.deliver(
        bot.api.press_button(user, bot.last(user), f"rules:ack:{group}:1", forged=True)
    )
    consent = await bot.store.joins.consent(user, group)
    assert consent is not None
    assert consent.rules_version == 0
