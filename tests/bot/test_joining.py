"""Joining a peer group: rules read privately, agreement, and no public traces."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.goodbye import crisis_help
from handlers.rules import DEFAULT_RULES
from tests.harness import Harness


@pytest.fixture
async def group(bot: Harness, admin: int) -> int:
    """A registered peer group of Lappi (in Finnish), the admin as its owner."""
    chat_id = bot.api.add_group(title="Lapin vertaisryhmä", members=[admin], owner=admin)
    await bot.store.chats.register(chat_id, "peer_group", "Lappi", "fi", bot.clock.now())
    return chat_id


@pytest.fixture
async def staff(bot: Harness, admin: int) -> int:
    chat_id = bot.api.add_group(title="Staff", members=[admin], owner=admin)
    await bot.store.chats.register(chat_id, "staff", "Lappi", "en", bot.clock.now())
    return chat_id


def button(bot: Harness, message: dict[str, Any], starts: str) -> str:
    for candidate in bot.buttons(message):
        data = candidate.get("callback_data", "")
        if data.startswith(starts):
            return str(data)
    raise AssertionError(f"no button {starts!r} in {bot.buttons(message)}")


def group_calls(bot: Harness, chat_id: int) -> list[Any]:
    return [c for c in bot.api.calls if c.params.get("chat_id") == chat_id]


def assert_nothing_personal_in_group(bot: Harness, chat_id: int, first_name: str) -> None:
    for call in group_calls(bot, chat_id):
        text = str(call.params)
        assert first_name not in text, call
        assert "agree" not in text.lower(), call  # nobody's consent is announced


async def test_join_request_read_rules_agree_and_get_in(bot: Harness, group: int):
    user = bot.api.add_user(first_name="Aino-Private", language_code="fi")
    await bot.deliver(bot.api.join_request(group, user))
    invitation = bot.last(user)
    assert DEFAULT_RULES not in invitation["text"]  # shown in Finnish, not in English
    assert bot.translations("fi").gettext(DEFAULT_RULES) in invitation["text"]
    await bot.press(user, invitation, button(bot, invitation, "join:ok:"))
    (approve,) = bot.api.calls_to("approveChatJoinRequest")
    assert approve.ok
    assert (approve.params["chat_id"], approve.params["user_id"]) == (group, user)
    consent = await bot.store.joins.consent(user, group)
    assert consent is not None
    assert consent.rules_version == 0
    assert await bot.store.joins.pending(user, group) is None
    assert bot.api.member_status(group, user) == "member"
    await bot.flush()  # Telegram's join notice and chat_member update
    assert bot.api.calls_to("restrictChatMember") == []  # already agreed: no gate again
    assert_nothing_personal_in_group(bot, group, "Aino-Private")


async def test_language_switch_during_the_request(bot: Harness, group: int):
    user = bot.api.add_user(language_code="en")
    await bot.deliver(bot.api.join_request(group, user))
    invitation = bot.last(user)
    assert DEFAULT_RULES in invitation["text"]
    await bot.press(user, invitation, f"join:lang:sv:{group}")
    swedish = bot.api.calls_to("editMessageText")[-1].params
    assert bot.translations("sv").gettext(DEFAULT_RULES) in swedish["text"]
    member = await bot.store.members.get(user)
    assert member is not None
    assert member.language == "sv"
    await bot.press(user, bot.last(user), f"join:ok:{group}:0")
    assert bot.api.calls_to("approveChatJoinRequest")[-1].ok


async def test_not_now_declines_kindly(bot: Harness, group: int):
    user = bot.api.add_user(language_code="en")
    await bot.deliver(bot.api.join_request(group, user))
    await bot.press(user, bot.last(user), f"join:no:{group}")
    assert bot.api.calls_to("declineChatJoinRequest")[-1].ok
    edited = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert "ask again with the same invite link" in edited
    assert await bot.store.joins.pending(user, group) is None
    assert group_calls(bot, group) == bot.api.calls_to("declineChatJoinRequest")


async def test_unanswered_request_is_declined_quietly_after_a_day(bot: Harness, group: int):
    user = bot.api.add_user()
    await bot.deliver(bot.api.join_request(group, user))
    bot.clock.advance(timedelta(hours=23))
    await bot.run_job("decline-expired-join-requests")
    assert bot.api.calls_to("declineChatJoinRequest") == []
    bot.clock.advance(timedelta(hours=2))
    await bot.run_job("decline-expired-join-requests")
    (decline,) = bot.api.calls_to("declineChatJoinRequest")
    assert decline.params["user_id"] == user
    assert bot.api.sent_messages(group) == []


async def test_same_request_twice_and_two_groups_at_once(bot: Harness, group: int, admin: int):
    other = bot.api.add_group(title="Toinen", members=[admin], owner=admin)
    await bot.store.chats.register(other, "peer_group", "Lappi", "fi", bot.clock.now())
    user = bot.api.add_user(language_code="en")
    await bot.deliver(bot.api.join_request(group, user))
    await bot.deliver(bot.api.join_request(group, user))
    await bot.deliver(bot.api.join_request(other, user))
    assert len(await bot.store.joins.pending_of(user)) == 2
    first = bot.api.sent_messages(user)[0]
    await bot.press(user, first, f"join:ok:{group}:0")
    second_tap = bot.api.press_button(user, first, f"join:ok:{group}:0", forged=True)
    await bot.deliver(second_tap)  # a quick second tap, before the buttons were gone
    assert [c.params["chat_id"] for c in bot.api.calls_to("approveChatJoinRequest")] == [group]
    assert bot.api.calls_to("answerCallbackQuery")[-1].params["text"] == (
        "This button no longer works."
    )
    assert await bot.store.joins.pending(user, other) is not None


async def test_withdrawn_request_is_explained(bot: Harness, group: int):
    user = bot.api.add_user(language_code="en")
    await bot.deliver(bot.api.join_request(group, user))
    bot.api.fail_next(
        "approveChatJoinRequest", error_code=400, description="Bad Request: HIDE_REQUESTER_MISSING"
    )
    await bot.press(user, bot.last(user), f"join:ok:{group}:0")
    edited = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert edited.startswith("This request is no longer open")
    assert await bot.store.joins.consent(user, group) is None


async def test_member_who_blocked_the_bot_is_declined_later_without_errors(
    bot: Harness, group: int
):
    user = bot.api.add_user()
    bot.api.set_blocked(user)
    await bot.deliver(bot.api.join_request(group, user))
    assert bot.api.sent_messages(user) == []
    bot.clock.advance(timedelta(days=2))
    await bot.run_job("decline-expired-join-requests")
    assert bot.api.calls_to("declineChatJoinRequest")[-1].ok


async def test_arrival_is_muted_welcomed_anonymously_then_let_in(bot: Harness, group: int):
    user = bot.api.add_user(first_name="Eetu-Private", language_code="en", started=True)
    await bot.deliver_all(bot.api.user_joins(group, user))
    (mute,) = bot.api.calls_to("restrictChatMember")
    assert mute.params["permissions"]["can_send_messages"] is False
    notice_deleted = bot.api.calls_to("deleteMessage")
    assert len(notice_deleted) == 1  # Telegram's "joined" notice names the person
    welcome = bot.last(group)
    (link,) = bot.buttons(welcome)
    assert link["url"].endswith(f"?start=join-{group}")
    await bot.private(user, f"/start join-{group}")
    invitation = bot.last(user)
    await bot.press(user, invitation, button(bot, invitation, "join:ok:"))
    unmute = bot.api.calls_to("restrictChatMember")[-1]
    assert unmute.params["permissions"]["can_send_messages"] is True
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert welcome["message_id"] in deleted
    assert bot.api.member_status(group, user) == "member"
    assert await bot.store.joins.consent(user, group) is not None
    await bot.flush()
    assert_nothing_personal_in_group(bot, group, "Eetu-Private")


async def test_facilitator_can_let_someone_in_without_the_bot(
    bot: Harness, group: int, admin: int
):
    user = bot.api.add_user()
    await bot.deliver_all(bot.api.user_joins(group, user))
    welcome = bot.last(group)
    await bot.deliver(bot.api.admin_lifts_restriction(group, user, admin))
    assert await bot.store.joins.pending(user, group) is None
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert welcome["message_id"] in deleted
    await bot.private(user, f"/start join-{group}")
    assert bot.last(user)["text"].startswith(
        bot.translations("fi").gettext(
            "This link is not waiting for you anymore. If you can't write in a group, "
            "ask its facilitator."
        )
    )


async def test_gate_and_tidying_can_be_switched_off(bot: Harness, group: int, admin: int):
    await bot.group(group, admin, "/groupsettings gate off")
    await bot.group(group, admin, "/groupsettings tidy off")
    chat = await bot.store.chats.get(group)
    assert chat is not None
    assert (chat.join_gate, chat.hide_service_messages) == (False, False)
    user = bot.api.add_user()
    bot.api.clear_calls()
    await bot.deliver_all(bot.api.user_joins(group, user))
    await bot.deliver(bot.api.join_request(group, bot.api.add_user()))
    assert bot.api.calls == []


async def test_only_facilitators_change_settings(bot: Harness, admin: int):
    user = bot.api.add_user(language_code="en", started=True)
    chat_id = bot.api.add_group(members=[admin, user], owner=admin)
    await bot.store.chats.register(chat_id, "peer_group", "Lappi", "fi", bot.clock.now())
    await bot.group(chat_id, user, "/groupsettings gate off")
    chat = await bot.store.chats.get(chat_id)
    assert chat is not None
    assert chat.join_gate
    assert bot.api.sent_messages(chat_id) == []
    assert (
        bot.last(user)["text"]
        == "Only the group's facilitators can do that, so nothing was changed."
    )


async def test_missing_right_is_told_to_the_staff_chat_once(bot: Harness, admin: int, staff: int):
    rights = {"can_delete_messages": True, "can_restrict_members": False}
    chat_id = bot.api.add_group(members=[admin], owner=admin, bot_rights=rights)
    await bot.store.chats.register(chat_id, "peer_group", "Lappi", "fi", bot.clock.now())
    await bot.deliver_all(bot.api.user_joins(chat_id, bot.api.add_user()))
    await bot.deliver_all(bot.api.user_joins(chat_id, bot.api.add_user()))
    notices = bot.api.sent_messages(staff)
    assert len(notices) == 1
    assert "“Ban users”" in notices[0]["text"]
    assert "Lappi" in notices[0]["text"]


async def test_tampered_join_buttons_change_nothing(bot: Harness, group: int, admin: int):
    user = bot.api.add_user(language_code="en")
    await bot.deliver(bot.api.join_request(group, user))
    invitation = bot.last(user)
    stranger_group = bot.api.add_group(members=[admin], owner=admin)
    for data in (
        f"join:ok:{stranger_group}:0",
        f"join:ok:{group}:not-a-number",
        "join:lang:xx:1",
        "join:",
        f"join:ok:{group}:0:extra",
    ):
        await bot.deliver(bot.api.press_button(user, invitation, data, forged=True))
        answer = bot.api.calls_to("answerCallbackQuery")[-1]
        assert answer.params["text"] == "This button no longer works."
    assert bot.api.calls_to("approveChatJoinRequest") == []
    assert await bot.store.joins.pending(user, group) is not None


async def test_old_rules_version_in_a_button_shows_the_new_rules(bot: Harness, group: int):
    user = bot.api.add_user(language_code="en")
    await bot.deliver(bot.api.join_request(group, user))
    await bot.store.rules.publish(group, "*", "Be kind. That is all.", bot.clock.now())
    await bot.press(user, bot.last(user), f"join:ok:{group}:0")
    assert bot.api.calls_to("approveChatJoinRequest") == []
    assert "Be kind. That is all." in bot.api.calls_to("editMessageText")[-1].params["text"]
    await bot.press(user, bot.last(user), f"join:ok:{group}:1")
    assert bot.api.calls_to("approveChatJoinRequest")[-1].ok
    consent = await bot.store.joins.consent(user, group)
    assert consent is not None
    assert consent.rules_version == 1


async def test_goodbye_offers_help_and_explains_the_data(bot: Harness, group: int):
    user = bot.api.add_user(language_code="en", started=True)
    await bot.private(user, "/start")
    await bot.deliver(bot.api.join_request(group, user))
    await bot.press(user, bot.last(user), f"join:ok:{group}:0")
    await bot.flush()
    await bot.deliver_all(bot.api.user_leaves(group, user))
    goodbye = bot.last(user)
    assert crisis_help(bot.translations("en")) in goodbye["text"]
    assert "09 2525 0111" in goodbye["text"]
    await bot.press(user, goodbye, "bye:data")
    assert bot.last(user)["text"].startswith("What I keep about you")
    assert await bot.store.joins.consent(user, group) is None
    assert len(bot.api.calls_to("deleteMessage")) == 2  # Telegram's "joined" and "left" notices


async def test_no_goodbye_to_someone_who_never_started_the_bot(bot: Harness, admin: int):
    user = bot.api.add_user()
    chat_id = bot.api.add_group(members=[admin, user], owner=admin)
    await bot.store.chats.register(chat_id, "peer_group", "Lappi", "fi", bot.clock.now())
    await bot.deliver_all(bot.api.user_leaves(chat_id, user))
    assert bot.api.sent_messages(user) == []
