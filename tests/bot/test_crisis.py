"""Crisis help: at once, privately, in the member's own language, 112 first."""

from __future__ import annotations

from handlers.crisis import crisis_text
from tests.harness import Harness


async def test_crisis_in_private_in_the_members_language(bot: Harness):
    user = bot.api.add_user(language_code="sv")
    await bot.private(user, "/crisis")
    text = bot.last(user)["text"]
    assert text == crisis_text(bot.translations("sv"))
    assert text.index("112") < text.index("09 2525 0111")


async def test_crisis_button_in_the_welcome(bot: Harness):
    user = bot.api.add_user(language_code="en")
    await bot.private(user, "/start")
    welcome = bot.last(user)
    await bot.press(user, welcome, "crisis:show")
    assert bot.last(user)["text"].startswith("If you or someone else is in danger right now")


async def test_crisis_in_a_group_leaves_no_trace(bot: Harness, admin: int):
    reachable = bot.api.add_user(first_name="Hidden-Name", language_code="en")
    stranger = bot.api.add_user(first_name="Other-Name", language_code="en")
    group = bot.api.add_group(members=[reachable, stranger], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.private(reachable, "/start")
    command = bot.api.group_message(group, reachable, "/crisis")
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted
    assert bot.api.sent_messages(group) == []
    assert bot.last(reachable)["text"].startswith("If you or someone else")
    await bot.group(group, stranger, "/crisis")  # never started the bot
    (neutral,) = bot.api.sent_messages(group)
    assert neutral["text"] == "You can write to me privately here:"
    assert "crisis" not in neutral["text"].lower()
    (button,) = bot.buttons(neutral)
    assert button["url"].endswith("?start=crisis")
    for call in bot.api.calls:
        if call.params.get("chat_id") == group:
            assert "Other-Name" not in str(call.params)
            assert "Hidden-Name" not in str(call.params)
