"""Registering groups, unregistered groups, and groups that change their id."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import Harness

LEAVE_JOB = "leave-unregistered-groups"


async def test_admin_registers_a_peer_group(bot: Harness, admin: int):
    group = bot.api.add_group(members=[admin], admins=[admin])
    await bot.group(group, admin, "/setup group Lappi en")
    chat = await bot.store.chats.get(group)
    assert chat is not None
    assert (chat.kind, chat.region, chat.language) == ("peer_group", "Lappi", "en")
    assert bot.last(group)["text"].startswith(
        "Done! ✅ This group is a peer group of the region Lappi"
    )


async def test_admin_registers_a_staff_chat_and_sees_it(bot: Harness, admin: int):
    group = bot.api.add_group(members=[admin], admins=[admin])
    await bot.group(group, admin, "/setup staff Päijät-Häme")
    chat = await bot.store.chats.get(group)
    assert chat is not None
    assert (chat.kind, chat.region) == ("staff", "Päijät-Häme")
    await bot.group(group, admin, "/setup")
    assert "Päijät-Häme" in bot.last(group)["text"]


async def test_setup_asks_for_rights_the_bot_lacks(bot: Harness, admin: int):
    group = bot.api.add_group(members=[admin], bot_admin=False)
    await bot.group(group, admin, "/setup group Lappi en")
    assert "Please make me an administrator" in bot.last(group)["text"]


async def test_setup_with_bad_words_explains_with_an_example(bot: Harness, admin: int):
    group = bot.api.add_group(members=[admin])
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.group(group, admin, "/setup party Lappi")
    assert "For example: /setup group Lappi" in bot.last(group)["text"]
    await bot.group(group, admin, "/setup group <script>")
    assert bot.last(group)["text"].startswith("A region name can have letters")
    chat = await bot.store.chats.get(group)
    assert chat is not None
    assert chat.region == "Lappi"


async def test_setup_in_private_says_where_to_use_it(bot: Harness, admin: int):
    await bot.private(admin, "/setup group Lappi")
    assert bot.last(admin)["text"] == "Send /setup in the group you want to register, not here."


async def test_others_are_refused_privately_and_nothing_happens(bot: Harness, admin: int):
    member = bot.api.add_user(language_code="en")
    group = bot.api.add_group(members=[member, admin], admins=[member])
    await bot.private(member, "/start")
    bot.api.clear_calls()
    await bot.group(group, member, "/setup group Lappi")
    assert await bot.store.chats.get(group) is None
    assert bot.api.sent_messages(group) == []
    assert bot.last(member)["text"].startswith("Only an organisation admin can register groups")


async def test_refusal_to_someone_the_bot_cannot_reach_is_silent(bot: Harness):
    stranger = bot.api.add_user()
    group = bot.api.add_group(members=[stranger])
    await bot.group(group, stranger, "/setup group Lappi")
    assert bot.api.sent_messages(group) == []
    assert bot.api.sent_messages(stranger) == []
    assert await bot.store.chats.get(group) is None


async def test_unregistered_group_gets_one_note_then_silence_then_the_bot_leaves(
    bot: Harness, admin: int
):
    member = bot.api.add_user()
    group = bot.api.add_group(members=[member, admin], bot_member=False)
    await bot.deliver(bot.api.bot_added_to_group(group, member))
    assert len(bot.api.sent_messages(group)) == 1
    assert "/setup group" in bot.last(group)["text"]
    await bot.group(group, member, "/help")
    await bot.group(group, member, "hello?")
    assert len(bot.api.sent_messages(group)) == 1
    bot.clock.advance(timedelta(hours=23))
    await bot.run_job(LEAVE_JOB)
    assert bot.api.calls_to("leaveChat") == []
    bot.clock.advance(timedelta(hours=2))
    await bot.run_job(LEAVE_JOB)
    assert [c.params["chat_id"] for c in bot.api.calls_to("leaveChat")] == [group]
    await bot.run_job(LEAVE_JOB)
    assert len(bot.api.calls_to("leaveChat")) == 1


async def test_registering_in_time_keeps_the_bot(bot: Harness, admin: int):
    group = bot.api.add_group(members=[admin], bot_member=False)
    await bot.deliver(bot.api.bot_added_to_group(group, admin))
    await bot.group(group, admin, "/setup group Lappi")
    bot.clock.advance(timedelta(days=2))
    await bot.run_job(LEAVE_JOB)
    assert bot.api.calls_to("leaveChat") == []


async def test_group_that_becomes_a_supergroup_keeps_its_registration(bot: Harness, admin: int):
    group = bot.api.add_group(supergroup=False, members=[admin])
    await bot.group(group, admin, "/setup group Lappi sv")
    new_id, updates = bot.api.migrate_to_supergroup(group)
    for update in updates:
        await bot.deliver(update)
    assert await bot.store.chats.get(group) is None
    moved = await bot.store.chats.get(new_id)
    assert moved is not None
    assert (moved.region, moved.language) == ("Lappi", "sv")
    bot.api.clear_calls()
    await bot.group(new_id, admin, "/setup")
    assert "Lappi" in bot.last(new_id)["text"]
