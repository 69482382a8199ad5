"""Members' own data controls: see it, get a copy, erase it."""

from __future__ import annotations

import json

import pytest

from bot.context import services_of
from handlers.privacy import privacy_text
from tests.harness import Harness


@pytest.fixture
async def group(bot: Harness, admin: int) -> int:
    chat_id = bot.api.add_group(members=[], owner=admin)
    await bot.store.chats.register(chat_id, "peer_group", "Lappi", "en", bot.clock.now())
    return chat_id


async def joined_member(bot: Harness, group: int, name: str = "Private-Name") -> int:
    user = bot.api.add_user(first_name=name, language_code="en")
    await bot.private(user, "/start")
    await bot.private(user, "/language")
    await bot.press(user, bot.last(user), "lang:sv")
    await bot.deliver(bot.api.join_request(group, user))
    await bot.press(user, bot.last(user), f"join:ok:{group}:0")
    await bot.flush()
    return user


async def test_privacy_explains_in_private_even_from_a_group(bot: Harness, group: int):
    user = await joined_member(bot, group)
    await bot.private(user, "/privacy")
    assert bot.last(user)["text"] == privacy_text(
        bot.translations("sv"), services_of(bot.app).settings
    )
    command = bot.api.group_message(group, user, "/privacy")
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted
    assert not [t for t in bot.texts(group) if "Telegram" in t]


async def test_mydata_is_a_readable_file_without_names(bot: Harness, group: int):
    user = await joined_member(bot, group)
    await bot.private(user, "/mydata")
    document = bot.api.documents[-1]
    assert document.file_name == "my-data.json"
    data = json.loads(document.data)
    assert data["member"]["language"] == "sv"
    assert [g["group"] for g in data["groups_agreed"]] == [group]
    assert b"Private-Name" not in document.data


async def test_forgetme_erases_everything_after_a_confirmation(
    bot: Harness, group: int, admin: int
):
    user = await joined_member(bot, group)
    other = await joined_member(bot, group, "Other-Name")
    said = bot.api.group_message(group, user, "hello")
    await bot.deliver(said)
    await bot.deliver(
        bot.api.group_message(
            group, admin, "/warn", reply_to_message_id=said["message"]["message_id"]
        )
    )
    (entry,) = await bot.store.audit.recent([group], 5)
    await bot.private(user, "/forgetme")
    confirm = bot.last(user)
    await bot.press(user, confirm, "forget:no")
    assert await bot.store.members.get(user) is not None
    await bot.private(user, "/forgetme")
    await bot.press(user, bot.last(user), "forget:yes")
    done = bot.translations("sv").gettext(
        "Done. Everything I kept about you is erased. If you write to me again, "
        "I start from scratch."
    )
    assert bot.api.calls_to("editMessageText")[-1].params["text"] == done
    assert await bot.store.members.get(user) is None
    assert await bot.store.joins.consent(user, group) is None
    assert await bot.store.warnings.active(group, user, bot.clock.now()) == 0
    assert entry.target_ref is not None
    assert await bot.store.refs.user_for(entry.target_ref) is None
    assert await bot.store.joins.consent(other, group) is not None
    exported = await bot.store.privacy.export(user)
    assert not exported.get("groups_agreed")


async def test_the_goodbye_leads_to_erasure(bot: Harness, group: int):
    user = await joined_member(bot, group)
    await bot.deliver_all(bot.api.user_leaves(group, user))
    await bot.press(user, bot.last(user), "bye:data")
    explanation = bot.last(user)
    (erase,) = bot.buttons(explanation)
    await bot.press(user, explanation, erase["callback_data"])
    await bot.press(user, bot.last(user), "forget:yes")
    assert await bot.store.members.get(user) is None
