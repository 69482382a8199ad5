"""/pinhelp: a quiet, pinned message whose buttons open the private chat."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.emulator.model import DEFAULT_BOT_RIGHTS
from handlers.moderation_common import only_facilitators_text
from handlers.pinhelp import help_text
from tests.harness import Harness


@dataclass
class Scene:
    group: int
    staff: int
    host: int
    member: int


async def make_scene(bot: Harness, admin: int, *, can_pin: bool = True, lang: str = "en") -> Scene:
    host = bot.api.add_user(first_name="Host", language_code="en", started=True)
    member = bot.api.add_user(first_name="Member", language_code="en", started=True)
    rights = {**DEFAULT_BOT_RIGHTS, "can_pin_messages": can_pin}
    group = bot.api.add_group(members=[member], admins=[host], owner=admin, bot_rights=rights)
    staff = bot.api.add_group(title="Staff", admins=[host], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", lang, bot.clock.now())
    await bot.store.chats.register(staff, "staff", "Lappi", "en", bot.clock.now())
    bot.api.clear_calls()
    return Scene(group, staff, host, member)


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    return await make_scene(bot, admin)


async def pinhelp(bot: Harness, scene: Scene, user: int) -> None:
    command = bot.api.group_message(scene.group, user, "/pinhelp")
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted, "the command must disappear"


async def test_the_help_message_is_posted_and_pinned_quietly(bot: Harness, scene: Scene) -> None:
    await pinhelp(bot, scene, scene.host)
    (posted,) = bot.api.sent_messages(scene.group)
    assert posted["text"] == "Need something? Ask me privately – nobody in the group sees it. 💛"
    buttons = bot.buttons(posted)
    assert [b["text"] for b in buttons] == ["Contacts", "Ask anonymously", "Crisis help"]
    username = bot.api.bot_username
    assert [b["url"] for b in buttons] == [
        f"https://t.me/{username}?start=contacts",
        f"https://t.me/{username}?start=ask",
        f"https://t.me/{username}?start=crisis",
    ]
    (send,) = bot.api.calls_to("sendMessage")
    assert send.params["disable_notification"] is True
    (pin,) = bot.api.calls_to("pinChatMessage")
    assert pin.params["disable_notification"] is True
    assert bot.api.pinned(scene.group) == [posted["message_id"]]
    assert bot.api.sent_messages(scene.staff) == []


async def test_pinning_again_replaces_the_previous_help(bot: Harness, scene: Scene) -> None:
    await pinhelp(bot, scene, scene.host)
    first = bot.last(scene.group)
    await pinhelp(bot, scene, scene.host)
    second = bot.last(scene.group)
    assert bot.api.pinned(scene.group) == [second["message_id"]]
    remaining = [m["message_id"] for m in bot.api.messages(scene.group)]
    assert first["message_id"] not in remaining
    assert second["message_id"] in remaining


async def test_someone_elses_pin_is_left_alone(bot: Harness, scene: Scene) -> None:
    update = bot.api.group_message(scene.group, scene.host, "Meetup on Friday!")
    await bot.deliver(update)
    bot.api.world.group(scene.group).pinned.append(update["message"]["message_id"])
    await pinhelp(bot, scene, scene.host)
    assert bot.api.pinned(scene.group) == [
        update["message"]["message_id"],
        bot.last(scene.group)["message_id"],
    ]


async def test_a_missing_pin_right_is_reported_once(bot: Harness, admin: int) -> None:
    scene = await make_scene(bot, admin, can_pin=False)
    await pinhelp(bot, scene, scene.host)
    assert bot.api.pinned(scene.group) == []
    (notice,) = bot.api.sent_messages(scene.staff)
    assert "“Pin messages”" in notice["text"]
    await pinhelp(bot, scene, scene.host)
    assert len(bot.api.sent_messages(scene.staff)) == 1


async def test_members_are_refused_privately(bot: Harness, scene: Scene) -> None:
    await pinhelp(bot, scene, scene.member)
    assert bot.api.sent_messages(scene.group) == []
    assert bot.api.calls_to("pinChatMessage") == []
    assert bot.last(scene.member)["text"] == only_facilitators_text(bot.translations("en"))


async def test_the_help_speaks_the_groups_language(bot: Harness, admin: int) -> None:
    scene = await make_scene(bot, admin, lang="sv")
    await pinhelp(bot, scene, scene.host)
    sv = bot.translations("sv")
    posted = bot.last(scene.group)
    assert posted["text"] == help_text(sv)
    assert bot.buttons(posted)[2]["text"] == sv.gettext("Crisis help")


async def test_pinhelp_outside_a_peer_group(bot: Harness, scene: Scene) -> None:
    await bot.private(scene.host, "/pinhelp")
    assert bot.last(scene.host)["text"] == "Use /pinhelp in a peer group."
