"""Anonymous posts: written privately, approved in the staff chat, posted without any name."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.emulator import BotApiEmulator
from bot.settings import Settings
from tests.harness import Harness

HEADING = "A member asks anonymously:"
SECRET_NAMES = ("Milla-Secret", "milla_secret", "Onni-Secret", "onni_secret")


@dataclass
class Scene:
    group: int
    staff: int
    host: int  # a facilitator: administrator of the group and of the staff chat
    cohost: int  # another administrator of the staff chat
    helper: int  # in the staff chat, but not one of its administrators
    member: int
    other: int


@pytest.fixture
def settings(api: BotApiEmulator, db_url: str, admin: int) -> Settings:
    return Settings(
        telegram={"api_base_url": api.base_url},
        storage={"url": db_url},
        bot={"admins": [admin]},
        asking={"anonymous_posts_per_day": 2, "max_length": 200, "retention_days": 30},
    )


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    host = bot.api.add_user(first_name="Host", language_code="en", started=True)
    cohost = bot.api.add_user(first_name="Cohost", language_code="en", started=True)
    helper = bot.api.add_user(first_name="Helper", language_code="en", started=True)
    member = bot.api.add_user(first_name="Milla-Secret", language_code="en", started=True)
    other = bot.api.add_user(first_name="Onni-Secret", language_code="en", started=True)
    bot.api.world.user(member).username = "milla_secret"
    bot.api.world.user(other).username = "onni_secret"
    group = bot.api.add_group(members=[member, other], admins=[host], owner=admin)
    staff = bot.api.add_group(title="Staff", members=[helper], admins=[host, cohost], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.store.chats.register(staff, "staff", "Lappi", "en", bot.clock.now())
    bot.api.clear_calls()
    return Scene(group, staff, host, cohost, helper, member, other)


def button(bot: Harness, message: dict[str, Any], action: str) -> str:
    """The callback data of the message's button for ``action``."""
    (data,) = [
        b["callback_data"]
        for b in bot.buttons(message)
        if b.get("callback_data", "").startswith(f"anon:{action}:")
    ]
    return str(data)


async def write(bot: Harness, user: int, text: str) -> dict[str, Any]:
    """/anon, then the text: returns the bot's next question or preview."""
    await bot.private(user, "/anon")
    await bot.private(user, text)
    return bot.last(user)


async def send(bot: Harness, scene: Scene, user: int, text: str) -> dict[str, Any]:
    """Write and send a post; returns its message in the staff chat."""
    preview = await write(bot, user, text)
    await bot.press(user, preview, button(bot, preview, "send"))
    return bot.last(scene.staff)


async def press_stale(bot: Harness, user: int, message: dict[str, Any], data: str) -> None:
    """A button still on someone's screen after the bot changed the message."""
    await bot.deliver(bot.api.press_button(user, message, data, forged=True))


def assert_anonymous(bot: Harness, scene: Scene) -> None:
    for call in bot.calls_into(scene.group, scene.staff):
        for name in SECRET_NAMES:
            assert name not in call
        for user in (scene.member, scene.other):
            assert not re.search(rf"(?<!\d){user}(?!\d)", call)


async def test_a_post_waits_for_approval_and_appears_without_a_name(
    bot: Harness, scene: Scene
) -> None:
    await bot.private(scene.member, "/anon")
    assert bot.last(scene.member)["text"].startswith("Write your post as your next message")
    await bot.private(scene.member, "Is it normal to miss my foster family?")
    preview = bot.last(scene.member)
    assert preview["text"].startswith("Here is your post for “Peer group”:")
    assert f"{HEADING}\n\nIs it normal to miss my foster family?" in preview["text"]
    assert "A facilitator reads it first" in preview["text"]
    await bot.press(scene.member, preview, button(bot, preview, "send"))
    assert bot.last(scene.member)["text"].startswith("Thank you! 💛 Your post waits")
    assert bot.api.sent_messages(scene.group) == []
    staff_post = bot.last(scene.staff)
    assert "Is it normal to miss my foster family?" in staff_post["text"]
    await bot.press(scene.host, staff_post, button(bot, staff_post, "ok"))
    (posted,) = bot.api.sent_messages(scene.group)
    assert posted["text"] == f"{HEADING}\n\nIs it normal to miss my foster family?"
    assert "✅ Approved" in bot.last(scene.staff)["text"]
    assert bot.buttons(bot.last(scene.staff)) == []
    told = bot.last(scene.member)["text"]
    assert told.startswith("Your anonymous post “Is it normal to miss my foster family?” is now")
    assert f"/{posted['message_id']}" in told  # a link to the post
    assert_anonymous(bot, scene)


async def test_the_text_may_come_with_the_command(bot: Harness, scene: Scene) -> None:
    await bot.private(scene.member, "/anon Does anyone else\nfeel tired all the time?")
    preview = bot.last(scene.member)
    assert f"{HEADING}\n\nDoes anyone else\nfeel tired all the time?" in preview["text"]


async def test_without_approval_the_post_goes_at_once(bot: Harness, scene: Scene) -> None:
    await bot.group(scene.group, scene.host, "/groupsettings anon approval off")
    assert "anon approval – anonymous posts wait" in bot.last(scene.group)["text"]
    chat = await bot.store.chats.get(scene.group)
    assert chat is not None
    assert chat.anon_approval is False
    bot.api.clear_calls()
    preview = await write(bot, scene.member, "Hello everyone")
    assert "I post it at once" in preview["text"]
    await bot.press(scene.member, preview, button(bot, preview, "send"))
    (posted,) = bot.api.sent_messages(scene.group)
    assert posted["text"] == f"{HEADING}\n\nHello everyone"
    assert bot.api.sent_messages(scene.staff) == []
    assert bot.last(scene.member)["text"].startswith("Your anonymous post “Hello everyone” is")
    assert_anonymous(bot, scene)
    await bot.group(scene.group, scene.host, "/groupsettings anon approval on")
    assert (await bot.store.chats.get(scene.group)).anon_approval  # type: ignore[union-attr]


async def test_only_facilitators_change_the_approval(bot: Harness, scene: Scene) -> None:
    await bot.group(scene.group, scene.member, "/groupsettings anon approval off")
    assert (await bot.store.chats.get(scene.group)).anon_approval  # type: ignore[union-attr]
    assert bot.last(scene.member)["text"].startswith("Only the group's facilitators")


async def test_a_rejection_reason_reaches_the_writer_and_nobody_else(
    bot: Harness, scene: Scene
) -> None:
    first = await send(bot, scene, scene.member, "Post of the first member")
    second = await send(bot, scene, scene.other, "Post of the second member")
    bot.api.clear_calls()
    await bot.press(scene.host, first, button(bot, first, "no"))
    prompt = bot.last(scene.staff)
    assert prompt["message_id"] == first["message_id"]
    assert "Reply to this message with a short reason" in prompt["text"]
    assert bot.api.sent_messages(scene.member) == []  # told only with the reason
    reply = bot.api.group_message(
        scene.staff,
        scene.cohost,
        "Please ask this privately",
        reply_to_message_id=first["message_id"],
    )
    await bot.deliver(reply)
    told = bot.last(scene.member)["text"]
    assert told.startswith("Your anonymous post “Post of the first member” was not posted.")
    assert "The facilitator's reason: Please ask this privately" in told
    assert "Cohost" not in told
    assert bot.api.sent_messages(scene.other) == []
    assert bot.api.sent_messages(scene.group) == []
    assert bot.last(scene.staff)["text"] == "Thank you – I sent your reason to the writer."
    edited = [
        m for m in bot.api.sent_messages(scene.staff) if m["message_id"] == first["message_id"]
    ]
    assert edited[-1]["text"].endswith("✖️ Not posted. The writer got your reason.")
    # A second reply is only a reply: the writer was told once.
    again = bot.api.group_message(
        scene.staff, scene.host, "Another thought", reply_to_message_id=first["message_id"]
    )
    await bot.deliver(again)
    assert len(bot.api.sent_messages(scene.member)) == 1
    await bot.press(scene.host, second, button(bot, second, "ok"))
    assert bot.api.sent_messages(scene.group)[-1]["text"].endswith("Post of the second member")
    assert_anonymous(bot, scene)


async def test_replies_that_are_no_reasons_are_left_alone(bot: Harness, scene: Scene) -> None:
    waiting = await send(bot, scene, scene.member, "Still waiting")
    bot.api.clear_calls()
    # A reply to a waiting post (not rejected) and a non-facilitator's reply change nothing.
    await bot.deliver(
        bot.api.group_message(
            scene.staff, scene.host, "Looks fine?", reply_to_message_id=waiting["message_id"]
        )
    )
    await bot.press(scene.host, waiting, button(bot, waiting, "no"))
    await bot.deliver(
        bot.api.group_message(
            scene.staff, scene.helper, "My reason", reply_to_message_id=waiting["message_id"]
        )
    )
    assert bot.api.sent_messages(scene.member) == []
    post = await bot.store.anon_posts.awaiting_reason(scene.staff, waiting["message_id"])
    assert post is not None


async def test_rejecting_without_a_reason(bot: Harness, scene: Scene) -> None:
    staff_post = await send(bot, scene, scene.member, "Maybe not")
    await bot.press(scene.host, staff_post, button(bot, staff_post, "no"))
    prompt = bot.last(scene.staff)
    await bot.press(scene.host, prompt, button(bot, prompt, "bare"))
    told = bot.last(scene.member)["text"]
    assert told.startswith("Your anonymous post “Maybe not” was not posted.")
    assert "reason" not in told
    assert bot.last(scene.staff)["text"].endswith("The writer was told, without a reason.")
    await press_stale(bot, scene.host, prompt, button(bot, prompt, "bare"))
    assert bot.answers()[-1] == "This button no longer works."


async def test_an_unexplained_rejection_reaches_the_writer_after_an_hour(
    bot: Harness, scene: Scene
) -> None:
    staff_post = await send(bot, scene, scene.member, "Forgotten one")
    await bot.press(scene.host, staff_post, button(bot, staff_post, "no"))
    bot.api.clear_calls()
    bot.clock.advance(timedelta(minutes=30))
    await bot.run_job("anon-post-reasons")
    assert bot.api.sent_messages(scene.member) == []
    bot.clock.advance(timedelta(minutes=31))
    await bot.run_job("anon-post-reasons")
    assert bot.last(scene.member)["text"].startswith("Your anonymous post “Forgotten one” was not")
    assert bot.last(scene.staff)["text"].endswith("The writer was told, without a reason.")
    await bot.run_job("anon-post-reasons")
    assert len(bot.api.sent_messages(scene.member)) == 1


async def test_only_the_staff_chats_facilitators_decide(bot: Harness, scene: Scene) -> None:
    staff_post = await send(bot, scene, scene.member, "Decide me")
    await bot.press(scene.helper, staff_post, button(bot, staff_post, "ok"))
    assert bot.answers()[-1].startswith("Only the group's facilitators")
    post_id = button(bot, staff_post, "ok").split(":")[2]
    # The writer forging a facilitator's button in the private chat.
    preview = bot.api.sent_messages(scene.member)[-1]
    await bot.deliver(
        bot.api.press_button(scene.member, preview, f"anon:ok:{post_id}", forged=True)
    )
    assert bot.answers()[-1] == "This button no longer works."
    post = await bot.store.anon_posts.get(post_id)
    assert post is not None
    assert post.status == "pending"
    assert bot.api.sent_messages(scene.group) == []


async def test_tampered_buttons_are_refused(bot: Harness, scene: Scene) -> None:
    preview = await write(bot, scene.member, "Mine")
    send_data = button(bot, preview, "send")
    post_id = send_data.split(":")[2]
    other_preview = await write(bot, scene.other, "Theirs")
    for data in (
        f"anon:send:{post_id}",  # someone else's post
        f"anon:cancel:{post_id}",
        "anon:send:AAAAAAAA",  # no such post
        "anon:send:../../etc",  # not an id at all
        "anon:drop:" + post_id,  # no such action
        f"anon:g:{post_id}:-100123",
    ):
        answered = len(bot.answers())
        await bot.deliver(bot.api.press_button(scene.other, other_preview, data, forged=True))
        assert bot.answers()[answered:] == ["This button no longer works."], data
    foreign = bot.api.add_group(title="Elsewhere", members=[scene.member])
    await bot.store.chats.register(foreign, "staff", "Lappi", "en", bot.clock.now())
    forged = f"anon:g:{post_id}:{foreign}"  # a group that is no peer group of the member
    await bot.deliver(bot.api.press_button(scene.member, preview, forged, forged=True))
    assert bot.answers()[-1] == "This button no longer works."
    for forged in (
        f"anon:t:{post_id}:12345",  # a topic that does not exist
        f"anon:t:{post_id}:9999999999999999999",  # more than a database number holds
        f"anon:g:{post_id}:-9999999999999999999",
        f"anon:t:{post_id}:٣",  # a digit, but not one Telegram uses
    ):
        answered = len(bot.answers())
        await bot.deliver(bot.api.press_button(scene.member, preview, forged, forged=True))
        assert bot.answers()[answered:] == ["This button no longer works."], forged
    post = await bot.store.anon_posts.get(post_id)
    assert post is not None
    assert (post.status, post.chat_id, post.thread_id) == ("draft", scene.group, None)
    await bot.press(scene.member, preview, send_data)
    await press_stale(bot, scene.member, preview, send_data)  # pressed twice
    assert bot.answers()[-1] == "This post was already sent or cancelled."
    assert (
        len(await bot.store.anon_posts.sent_since(scene.member, bot.clock.now() - timedelta(1)))
        == 1
    )


async def test_two_facilitators_at_once_decide_once(bot: Harness, scene: Scene) -> None:
    staff_post = await send(bot, scene, scene.member, "Who wins?")
    bot.api.clear_calls()
    await asyncio.gather(
        bot.press(scene.host, staff_post, button(bot, staff_post, "ok")),
        bot.press(scene.cohost, staff_post, button(bot, staff_post, "no")),
    )
    assert sorted(bot.answers()) == ["", "This post has already been decided."]
    post_id = button(bot, staff_post, "ok").split(":")[2]
    post = await bot.store.anon_posts.get(post_id)
    assert post is not None
    posted = bot.api.sent_messages(scene.group)
    assert len(posted) == (1 if post.status == "posted" else 0)
    await asyncio.gather(
        press_stale(bot, scene.host, staff_post, button(bot, staff_post, "ok")),
        press_stale(bot, scene.cohost, staff_post, button(bot, staff_post, "ok")),
    )
    assert len(bot.api.sent_messages(scene.group)) == len(posted)


async def test_the_writer_may_withdraw_a_waiting_post(bot: Harness, scene: Scene) -> None:
    staff_post = await send(bot, scene, scene.member, "Second thoughts")
    waiting = bot.last(scene.member)
    await bot.press(scene.member, waiting, button(bot, waiting, "cancel"))
    assert bot.last(scene.member)["text"] == "Cancelled – nothing was posted."
    assert bot.last(scene.staff)["text"].endswith("The writer withdrew it: nothing was posted.")
    await press_stale(bot, scene.host, staff_post, button(bot, staff_post, "ok"))
    assert bot.answers()[-1] == "This post has already been decided."
    assert bot.api.sent_messages(scene.group) == []


async def test_a_cancelled_draft_is_never_sent(bot: Harness, scene: Scene) -> None:
    preview = await write(bot, scene.member, "Not now")
    await bot.press(scene.member, preview, button(bot, preview, "cancel"))
    assert bot.last(scene.member)["text"] == "Cancelled – nothing was posted."
    await bot.deliver(
        bot.api.press_button(scene.member, preview, button(bot, preview, "send"), forged=True)
    )
    assert bot.answers()[-1] == "This post was already sent or cancelled."
    assert bot.api.sent_messages(scene.staff) == []


async def test_a_post_that_cannot_be_posted_waits_again(bot: Harness, scene: Scene) -> None:
    staff_post = await send(bot, scene, scene.member, "Try again")
    bot.api.fail_next("sendMessage", error_code=403, description="Forbidden: bot was kicked")
    await bot.press(scene.host, staff_post, button(bot, staff_post, "ok"))
    assert bot.answers()[-1].startswith("I could not post it in the group just now.")
    await bot.press(scene.host, staff_post, button(bot, staff_post, "ok"))
    assert bot.api.sent_messages(scene.group)[-1]["text"].endswith("Try again")


async def test_an_overlong_post_is_refused_whole_and_a_shorter_one_taken(
    bot: Harness, scene: Scene
) -> None:
    await write(bot, scene.member, "x" * 201)
    refusal = bot.last(scene.member)["text"]
    assert refusal.startswith("Your message is 201 characters long and the limit is 200")
    assert "nothing was sent or cut" in refusal
    await bot.private(scene.member, "Short now")  # still awaited
    assert f"{HEADING}\n\nShort now" in bot.last(scene.member)["text"]
    await bot.private(scene.member, "/anon " + "😀" * 101)  # 202 as Telegram counts
    assert bot.last(scene.member)["text"].startswith("Your message is 202 characters long")


async def test_the_daily_limit_is_stated_and_rolls(bot: Harness, scene: Scene) -> None:
    await send(bot, scene, scene.member, "One")
    bot.clock.advance(timedelta(hours=2))
    await send(bot, scene, scene.member, "Two")
    await bot.private(scene.member, "/anon")
    limit = bot.last(scene.member)["text"]
    assert limit.startswith("You can send 2 anonymous posts in 24 hours, and you have sent them.")
    assert "after" in limit
    preview_text = "/anon Three"
    await bot.private(scene.member, preview_text)
    assert bot.last(scene.member)["text"].startswith("You can send 2 anonymous posts")
    bot.clock.advance(timedelta(hours=22, minutes=1))
    await bot.private(scene.member, preview_text)
    assert f"{HEADING}\n\nThree" in bot.last(scene.member)["text"]


async def test_retention_forgets_writer_and_text(bot: Harness, scene: Scene) -> None:
    staff_post = await send(bot, scene, scene.member, "Old news")
    await bot.press(scene.host, staff_post, button(bot, staff_post, "ok"))
    draft_preview = await write(bot, scene.member, "Left as a draft")
    post_id = button(bot, staff_post, "ok").split(":")[2]
    draft_id = button(bot, draft_preview, "send").split(":")[2]
    bot.clock.advance(timedelta(days=2))
    await bot.run_job("anon-post-retention")
    assert await bot.store.anon_posts.get(draft_id) is None
    kept = await bot.store.anon_posts.get(post_id)
    assert kept is not None
    assert (kept.user_id, kept.body) == (scene.member, "Old news")
    bot.clock.advance(timedelta(days=29))
    await bot.run_job("anon-post-retention")
    erased = await bot.store.anon_posts.get(post_id)
    assert erased is not None
    assert (erased.user_id, erased.body, erased.status) == (None, None, "posted")


async def test_in_a_group_anon_opens_the_private_chat(bot: Harness, scene: Scene) -> None:
    command = bot.api.group_message(scene.group, scene.member, "/anon my secret words")
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted
    assert bot.api.sent_messages(scene.group) == []
    assert bot.last(scene.member)["text"].startswith("Write your post as your next message")
    stranger = bot.api.add_user(first_name="Stranger", language_code="en")
    await bot.deliver(bot.api.user_joins(scene.group, stranger)[1])
    await bot.group(scene.group, stranger, "/anon")
    (neutral,) = bot.api.sent_messages(scene.group)
    assert bot.buttons(neutral)[0]["url"].endswith("?start=anon")
    await bot.private(stranger, "/start anon")
    assert bot.last(stranger)["text"].startswith("Write your post as your next message")
    await bot.private(stranger, "I just came")
    assert f"{HEADING}\n\nI just came" in bot.last(stranger)["text"]  # a member there
    assert_anonymous(bot, scene)


async def test_someone_in_no_peer_group_cannot_post(bot: Harness, scene: Scene) -> None:
    outsider = bot.api.add_user(first_name="Outsider", language_code="en", started=True)
    await write(bot, outsider, "Hello?")
    assert bot.last(outsider)["text"].startswith("I can post only in a peer group you are")


async def test_a_member_of_two_groups_chooses_one(bot: Harness, scene: Scene, admin: int) -> None:
    second = bot.api.add_group(title="Rovaniemi group", members=[scene.member], owner=admin)
    await bot.store.chats.register(second, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.store.joins.record_consent(scene.member, second, 0, bot.clock.now())
    question = await write(bot, scene.member, "Where does this go?")
    assert question["text"] == "Which group should your post go to?"
    names = [b["text"] for b in bot.buttons(question)]
    assert sorted(names) == ["“Peer group”", "“Rovaniemi group”"]
    (choice,) = [b for b in bot.buttons(question) if b["text"] == "“Rovaniemi group”"]
    await bot.press(scene.member, question, choice["callback_data"])
    preview = bot.last(scene.member)
    assert preview["text"].startswith("Here is your post for “Rovaniemi group”:")
    await bot.press(scene.member, preview, button(bot, preview, "send"))
    await bot.press(scene.host, bot.last(scene.staff), button(bot, bot.last(scene.staff), "ok"))
    assert bot.last(second)["text"] == f"{HEADING}\n\nWhere does this go?"
    assert bot.api.sent_messages(scene.group) == []


async def test_no_staff_chat_means_the_post_cannot_be_sent_yet(bot: Harness, scene: Scene) -> None:
    await bot.store.chats.unregister(scene.staff)
    preview = await write(bot, scene.member, "Anyone there?")
    await bot.press(scene.member, preview, button(bot, preview, "send"))
    assert bot.answers()[-1].startswith("The facilitators of this group cannot receive posts")
    post_id = button(bot, preview, "send").split(":")[2]
    assert (await bot.store.anon_posts.get(post_id)).status == "draft"  # type: ignore[union-attr]


# --- forum topics ----------------------------------------------------------------------------


@pytest.fixture
async def forum(bot: Harness, scene: Scene, admin: int) -> int:
    forum = bot.api.add_group(
        title="Forum group", forum=True, members=[scene.member], admins=[scene.host], owner=admin
    )
    await bot.store.chats.register(forum, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.store.joins.record_consent(scene.member, forum, 0, bot.clock.now())
    await bot.store.chats.unregister(scene.group)
    return forum


async def test_topics_are_recorded_from_service_messages(
    bot: Harness, scene: Scene, forum: int, admin: int
) -> None:
    studies = await _new_topic(bot, forum, admin, "Studies")
    chat = await _new_topic(bot, forum, admin, "Free chat")
    await bot.deliver(bot.api.topic_edited(forum, admin, studies, "Studies and work"))
    await bot.deliver(bot.api.topic_edited(forum, admin, chat))  # only the icon
    await bot.deliver(bot.api.topic_closed(forum, admin, chat))
    open_topics = await bot.store.topics.open_topics(forum)
    assert [(t.thread_id, t.title) for t in open_topics] == [(studies, "Studies and work")]
    await bot.deliver(bot.api.topic_reopened(forum, admin, chat))
    assert len(await bot.store.topics.open_topics(forum)) == 2
    assert bot.api.sent_messages(forum) == []


async def test_a_topic_made_before_the_bot_is_learned_from_a_message_in_it(
    bot: Harness, scene: Scene, forum: int, admin: int
) -> None:
    update = bot.api.topic_created(forum, admin, "Old topic")  # the bot did not see it
    thread = update["message"]["message_thread_id"]
    await bot.deliver(bot.api.group_message(forum, scene.member, "hi", reply_to_message_id=thread))
    topic = await bot.store.topics.get(forum, thread)
    assert topic is not None
    assert topic.title == "Old topic"


async def test_topics_are_offered_and_the_post_goes_to_the_chosen_one(
    bot: Harness, scene: Scene, forum: int, admin: int
) -> None:
    studies = await _new_topic(bot, forum, admin, "Studies")
    closed = await _new_topic(bot, forum, admin, "Closed one")
    await bot.deliver(bot.api.topic_closed(forum, admin, closed))
    question = await write(bot, scene.member, "Which school?")
    assert question["text"] == "Which topic should it go to?"
    assert [b["text"] for b in bot.buttons(question)] == ["General", "Studies"]
    post_id = bot.buttons(question)[0]["callback_data"].split(":")[2]
    await bot.press(scene.member, question, f"anon:t:{post_id}:{studies}")
    preview = bot.last(scene.member)
    assert preview["text"].startswith("Here is your post for “Forum group” › “Studies”:")
    forged = button(bot, preview, "send").replace("send", "t") + f":{closed}"
    await bot.deliver(bot.api.press_button(scene.member, preview, forged, forged=True))
    assert bot.answers()[-1] == "This button no longer works."
    await bot.press(scene.member, preview, button(bot, preview, "send"))
    await bot.press(scene.host, bot.last(scene.staff), button(bot, bot.last(scene.staff), "ok"))
    posted = bot.last(forum)
    assert posted["text"] == f"{HEADING}\n\nWhich school?"
    assert posted["message_thread_id"] == studies
    assert "› “Studies”" in bot.last(scene.staff)["text"]


async def test_general_is_the_first_choice(
    bot: Harness, scene: Scene, forum: int, admin: int
) -> None:
    await _new_topic(bot, forum, admin, "Studies")
    question = await write(bot, scene.member, "For everyone")
    general = bot.buttons(question)[0]["callback_data"]
    assert general.endswith(":0")
    await bot.press(scene.member, question, general)
    preview = bot.last(scene.member)
    assert preview["text"].startswith("Here is your post for “Forum group”:")
    await bot.press(scene.member, preview, button(bot, preview, "send"))
    await bot.press(scene.host, bot.last(scene.staff), button(bot, bot.last(scene.staff), "ok"))
    assert "message_thread_id" not in bot.last(forum)


async def _new_topic(bot: Harness, forum: int, admin: int, name: str) -> int:
    update = bot.api.topic_created(forum, admin, name)
    await bot.deliver(update)
    return int(update["message"]["message_thread_id"])
