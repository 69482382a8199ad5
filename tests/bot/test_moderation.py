"""Facilitator actions: private, calm and accountable; reports that never name the reporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.harness import Harness


@dataclass
class Scene:
    group: int
    staff: int
    host: int  # the group's Telegram administrator: a facilitator
    member: int
    other: int


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    host = bot.api.add_user(first_name="Host", language_code="en", started=True)
    member = bot.api.add_user(first_name="Milla-Private", language_code="en", started=True)
    other = bot.api.add_user(first_name="Onni-Private", language_code="en", started=True)
    group = bot.api.add_group(
        title="Peer group", members=[member, other], admins=[host], owner=admin
    )
    staff = bot.api.add_group(title="Staff", members=[host], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.store.chats.register(staff, "staff", "Lappi", "en", bot.clock.now())
    for user in (host, member, other):
        await bot.private(user, "/start")
    bot.api.clear_calls()
    return Scene(group, staff, host, member, other)


async def say(bot: Harness, scene: Scene, user: int, text: str) -> dict[str, Any]:
    update = bot.api.group_message(scene.group, user, text)
    await bot.deliver(update)
    return dict(update["message"])


async def command(
    bot: Harness, scene: Scene, actor: int, text: str, reply_to: dict[str, Any]
) -> None:
    update = bot.api.group_message(
        scene.group, actor, text, reply_to_message_id=reply_to["message_id"]
    )
    await bot.deliver(update)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert update["message"]["message_id"] in deleted, "the command message must be deleted"


def texts_to(bot: Harness, chat_id: int) -> list[str]:
    return bot.texts(chat_id)


async def test_warn_is_private_with_a_neutral_line_in_the_group(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "something unkind")
    await command(bot, scene, scene.host, "/warn please be kind", said)
    private = bot.last(scene.member)["text"]
    assert private.startswith("A facilitator reminds you of the group's rules.")
    assert "please be kind" in private
    (group_line,) = texts_to(bot, scene.group)
    assert group_line == "A facilitator gave a private reminder of our rules."
    (log_line,) = texts_to(bot, scene.staff)
    assert "Warning" in log_line
    assert "please be kind" in log_line
    for call in bot.api.calls:
        if call.params.get("chat_id") in (scene.group, scene.staff):
            assert "Milla-Private" not in str(call.params)
            assert str(scene.member) not in str(call.params.get("text", ""))


async def test_non_facilitator_is_refused_privately(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hello")
    await command(bot, scene, scene.other, "/warn", said)
    assert texts_to(bot, scene.group) == []
    assert bot.last(scene.other)["text"] == (
        "Only the group's facilitators can do that, so nothing was changed."
    )
    assert bot.api.sent_messages(scene.member) == []


async def test_reaching_the_warning_limit_pauses_and_warnings_expire(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/warn", said)
    await command(bot, scene, scene.host, "/warn", said)
    bot.clock.advance(timedelta(days=31))  # both expired
    await command(bot, scene, scene.host, "/warn", said)
    assert bot.api.calls_to("restrictChatMember") == []
    await command(bot, scene, scene.host, "/warn", said)
    await command(bot, scene, scene.host, "/warn", said)
    (pause,) = bot.api.calls_to("restrictChatMember")
    assert pause.params["permissions"]["can_send_messages"] is False
    until = bot.clock.now() + timedelta(hours=24)
    assert pause.params["until_date"] == int(until.timestamp())
    assert "for 1 day" in bot.last(scene.member)["text"]


async def test_warns_and_unwarn_answer_the_facilitator_only(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/warn", said)
    await command(bot, scene, scene.host, "/warns", said)
    assert bot.last(scene.host)["text"] == "The member has 1 active warning."
    await command(bot, scene, scene.host, "/unwarn", said)
    assert bot.last(scene.host)["text"] == (
        "Removed the latest warning. The member has 0 active warnings."
    )


async def test_pause_and_unpause_with_durations(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/pause 2h cool down a bit", said)
    pause = bot.api.calls_to("restrictChatMember")[-1]
    assert pause.params["until_date"] == int((bot.clock.now() + timedelta(hours=2)).timestamp())
    assert "for 2 hours" in bot.last(scene.member)["text"]
    assert "cool down a bit" in bot.last(scene.member)["text"]
    await command(bot, scene, scene.host, "/unmute", said)
    lifted = bot.api.calls_to("restrictChatMember")[-1]
    assert lifted.params["permissions"]["can_send_messages"] is True
    assert bot.api.member_status(scene.group, scene.member) != "restricted"
    await command(bot, scene, scene.host, "/mute", said)
    default = bot.api.calls_to("restrictChatMember")[-1]
    assert default.params["until_date"] == int((bot.clock.now() + timedelta(hours=1)).timestamp())


async def test_unknown_duration_explains_and_does_nothing(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/pause 5x", said)
    assert bot.last(scene.host)["text"].startswith("I don't understand that duration")
    assert bot.api.calls_to("restrictChatMember") == []
    assert await bot.store.audit.recent([scene.group], 10) == []


async def test_remove_for_a_while_and_let_back(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/ban 1d", said)
    ban = bot.api.calls_to("banChatMember")[-1]
    assert ban.params["until_date"] == int((bot.clock.now() + timedelta(days=1)).timestamp())
    assert bot.last(scene.member)["text"].startswith("A facilitator removed you")
    await bot.group(scene.group, scene.host, f"/unremove {scene.member}")
    assert bot.api.calls_to("unbanChatMember")[-1].params["only_if_banned"] is True


async def test_facilitators_and_the_bot_are_protected(bot: Harness, scene: Scene, admin: int):
    host_message = await say(bot, scene, scene.host, "hi")
    await command(bot, scene, scene.host, "/pause", host_message)
    assert "Facilitators can't be warned" in bot.last(scene.host)["text"]
    await bot.group(scene.group, scene.host, f"/remove {bot.api.bot_id}")
    assert bot.last(scene.host)["text"] == "I can't do that to myself."
    await bot.group(scene.group, scene.host, f"/remove {admin}")
    assert "Facilitators can't be warned" in bot.last(scene.host)["text"]
    assert bot.api.calls_to("banChatMember") == []


async def test_missing_target_and_member_who_left(bot: Harness, scene: Scene):
    await bot.group(scene.group, scene.host, "/warn")
    assert bot.last(scene.host)["text"].startswith("Reply to the member's message")
    said = await say(bot, scene, scene.member, "bye")
    await bot.deliver_all(bot.api.user_leaves(scene.group, scene.member))
    await command(bot, scene, scene.host, "/pause", said)
    assert bot.last(scene.host)["text"] == "That member is no longer in the group."


async def test_delete_a_message_and_the_48_hour_limit(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "oops")
    await command(bot, scene, scene.host, "/del", said)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert said["message_id"] in deleted
    old = await say(bot, scene, scene.other, "long ago")
    bot.clock.advance(timedelta(hours=49))
    await command(bot, scene, scene.host, "/del", old)
    assert "only for 48 hours" in bot.last(scene.host)["text"]


async def test_missing_restrict_right_is_explained(bot: Harness, admin: int):
    host = bot.api.add_user(language_code="en", started=True)
    member = bot.api.add_user(language_code="en")
    rights = {"can_delete_messages": True, "can_restrict_members": False}
    group = bot.api.add_group(members=[member], admins=[host], owner=admin, bot_rights=rights)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.private(host, "/start")
    update = bot.api.group_message(group, member, "hi")
    await bot.deliver(update)
    reply = bot.api.group_message(
        group, host, "/pause 1h", reply_to_message_id=update["message"]["message_id"]
    )
    await bot.deliver(reply)
    assert "“Ban users”" in bot.last(host)["text"]
    assert await bot.store.audit.recent([group], 5) == []


async def test_reports_are_anonymous_merged_and_rate_limited(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "something bad")
    await command(bot, scene, scene.other, "/report", said)
    await command(bot, scene, scene.host, "/report", said)
    await command(bot, scene, scene.other, "/report", said)  # the same reporter again
    alerts = [c for c in bot.api.calls_to("sendMessage") if c.params["chat_id"] == scene.staff]
    assert len(alerts) == 1  # one alert, edited as more reports come
    edited = bot.api.calls_to("editMessageText")[-1].params
    assert "reported 2 times" in edited["text"]
    assert f"/{said['message_id']}" in edited["text"]
    assert bot.last(scene.other)["text"].startswith("Thank you for telling us.")
    for call in bot.api.calls:
        if call.params.get("chat_id") == scene.staff:
            assert "Onni-Private" not in str(call.params)
            assert str(scene.other) not in str(call.params)
    for n in range(5):
        message = await say(bot, scene, scene.member, f"message {n}")
        await command(bot, scene, scene.other, "/report", message)
    assert bot.last(scene.other)["text"].startswith("You have reported many messages")
    bot.clock.advance(timedelta(hours=1, seconds=1))
    message = await say(bot, scene, scene.member, "later")
    await command(bot, scene, scene.other, "/report", message)
    assert bot.last(scene.other)["text"].startswith("Thank you for telling us.")


async def test_modlog_lists_actions_and_undoes_a_pause(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/pause 1d", said)
    await bot.group(scene.staff, scene.host, "/modlog")
    log = bot.last(scene.staff)
    assert "Pause" in log["text"]
    assert "1 day" in log["text"]
    (undo,) = bot.buttons(log)
    await bot.press(scene.host, log, undo["callback_data"])
    lifted = bot.api.calls_to("restrictChatMember")[-1]
    assert lifted.params["permissions"]["can_send_messages"] is True
    assert bot.api.calls_to("answerCallbackQuery")[-1].params["text"] == "Undone."
    await bot.deliver(bot.api.press_button(scene.host, log, undo["callback_data"], forged=True))
    assert bot.api.calls_to("answerCallbackQuery")[-1].params["text"] == (
        "This button no longer works."
    )


async def test_facilitator_cache_follows_telegram(bot: Harness, scene: Scene):
    await bot.group(scene.group, scene.host, "/refresh")
    assert bot.api.calls_to("getChatAdministrators")
    assert await bot.store.facilitators.is_cached_facilitator(scene.group, scene.host)
    await bot.deliver(bot.api.admin_changed(scene.group, scene.host, promoted=False))
    assert not await bot.store.facilitators.is_cached_facilitator(scene.group, scene.host)
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/warn", said)
    assert bot.last(scene.host)["text"].startswith("Only the group's facilitators")


async def test_flood_protection_pauses_briefly_and_tells_staff(bot: Harness, scene: Scene):
    await bot.group(scene.group, scene.host, "/groupsettings flood 3 10")
    for n in range(4):
        await say(bot, scene, scene.member, f"spam {n}")
    (pause,) = bot.api.calls_to("restrictChatMember")
    assert pause.params["user_id"] == scene.member
    assert any("too many messages" in text for text in texts_to(bot, scene.staff))
    bot.clock.advance(timedelta(seconds=11))
    await say(bot, scene, scene.other, "calm")
    assert len(bot.api.calls_to("restrictChatMember")) == 1


async def test_anonymous_administrators_are_recognised(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    update = bot.api.group_message(
        scene.group,
        scene.host,
        "/pause 30m",
        reply_to_message_id=said["message_id"],
        as_group=True,
    )
    await bot.deliver(update)
    pause = bot.api.calls_to("restrictChatMember")[-1]
    assert pause.params["user_id"] == scene.member
    (entry,) = await bot.store.audit.recent([scene.group], 5)
    assert entry.actor_ref == "group"


async def test_a_forum_staff_chat_gets_one_topic_per_kind(bot: Harness, admin: int):
    host = bot.api.add_user(language_code="en", started=True)
    member = bot.api.add_user(language_code="en", started=True)
    group = bot.api.add_group(members=[member], admins=[host], owner=admin)
    staff = bot.api.add_group(members=[host], owner=admin, forum=True)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.store.chats.register(staff, "staff", "Lappi", "en", bot.clock.now())
    said = bot.api.group_message(group, member, "one")
    await bot.deliver(said)
    for text in ("/warn", "/pause 1h", "/report"):
        await bot.deliver(
            bot.api.group_message(
                group, host, text, reply_to_message_id=said["message"]["message_id"]
            )
        )
    topics = [c.params["name"] for c in bot.api.calls_to("createForumTopic")]
    assert topics == ["Moderation log", "Reports"]
    threads = [m.get("message_thread_id") for m in bot.api.sent_messages(staff)]
    assert len(threads) == 3
    assert threads[0] == threads[1] != threads[2]


async def test_housekeeping_forgets_expired_counters(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.host, "/warn", said)
    bot.clock.advance(timedelta(days=31))
    await bot.run_job("moderation-housekeeping")
    assert await bot.store.warnings.clear(scene.group, scene.member) == 0


@pytest.mark.parametrize(
    "text",
    [
        "/warn",
        "/unwarn",
        "/warns",
        "/pause 1h",
        "/mute",
        "/unpause",
        "/unmute",
        "/remove",
        "/ban",
        "/unremove",
        "/unban",
        "/del",
        "/refresh",
    ],
)
async def test_every_command_is_refused_to_members(bot: Harness, scene: Scene, text: str):
    said = await say(bot, scene, scene.member, "hm")
    await command(bot, scene, scene.other, text, said)
    assert bot.last(scene.other)["text"] == (
        "Only the group's facilitators can do that, so nothing was changed."
    )
    assert texts_to(bot, scene.group) == []
    assert texts_to(bot, scene.staff) == []
    assert bot.api.sent_messages(scene.member) == []
    for method in ("restrictChatMember", "banChatMember", "unbanChatMember"):
        assert bot.api.calls_to(method) == []
    assert await bot.store.audit.recent([scene.group], 5) == []


async def test_a_telegram_error_leaves_nothing_half_done(bot: Harness, scene: Scene):
    said = await say(bot, scene, scene.member, "hm")
    bot.api.fail_next(
        "banChatMember", error_code=400, description="Bad Request: PARTICIPANT_ID_INVALID"
    )
    await command(bot, scene, scene.host, "/remove", said)
    assert bot.last(scene.host)["text"] == "Telegram did not accept that, so nothing was changed."
    assert await bot.store.audit.recent([scene.group], 5) == []
    assert texts_to(bot, scene.staff) == []
    assert bot.api.sent_messages(scene.member) == []
