"""Anonymous questions to the facilitators: asked privately, answered without names.

Anonymity is asserted, not assumed: every Bot API call to a staff chat is searched for the
asker's id, first name and username.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.emulator import BotApiEmulator
from bot.emulator.model import MemberState
from bot.settings import AskingSettings, Settings
from handlers.crisis import crisis_text
from handlers.questions import in_office_hours
from storage.questions import Question
from tests.harness import Harness

SECRETS = ("Sirkku-Secret", "sirkku_secret_77", "Otto-Hidden", "otto_hidden_88")
HOST_NAME = "Host-Facilitator"
HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def settings(api: BotApiEmulator, db_url: str, admin: int) -> Settings:
    return Settings(
        telegram={"api_base_url": api.base_url},
        storage={"url": db_url},
        bot={"admins": [admin]},
        asking={"max_length": 120, "open_questions_per_member": 2, "questions_per_day": 3},
    )


@dataclass
class Region:
    group: int
    staff: int
    host: int  # a facilitator: administrator of the peer group and the staff chat


@dataclass
class Scene:
    lappi: Region
    asker: int
    other: int  # a second asker in the same region
    intern: int  # in the staff chat, but not an administrator


async def make_region(
    bot: Harness,
    admin: int,
    name: str,
    members: list[int],
    *,
    forum: bool = False,
    agreed: bool = True,
    staff_members: tuple[int, ...] = (),
) -> Region:
    host = bot.api.add_user(first_name=HOST_NAME, language_code="en", started=True)
    bot.set_username(host, "host_facilitator")
    group = bot.api.add_group(title=f"Peer {name}", members=members, admins=[host], owner=admin)
    staff = bot.api.add_group(
        title=f"Staff {name}", admins=[host], owner=admin, forum=forum, members=staff_members
    )
    await bot.store.chats.register(group, "peer_group", name, "en", bot.clock.now())
    await bot.store.chats.register(staff, "staff", name, "en", bot.clock.now())
    for member in members if agreed else []:
        await bot.store.joins.record_consent(member, group, 0, bot.clock.now())
    return Region(group, staff, host)


def new_member(bot: Harness, first_name: str, username: str) -> int:
    user = bot.api.add_user(first_name=first_name, language_code="en", started=True)
    bot.set_username(user, username)
    return user


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    asker = new_member(bot, "Sirkku-Secret", "sirkku_secret_77")
    other = new_member(bot, "Otto-Hidden", "otto_hidden_88")
    intern = bot.api.add_user(first_name="Intern", language_code="en", started=True)
    lappi = await make_region(bot, admin, "Lappi", [asker, other], staff_members=(intern,))
    return Scene(lappi, asker, other, intern)


def button(bot: Harness, message: dict[str, Any], label: str) -> str:
    for candidate in bot.buttons(message):
        if candidate["text"] == label:
            data: str = candidate["callback_data"]
            return data
    raise AssertionError(f"no button {label!r} in {bot.buttons(message)}")


async def tap(bot: Harness, user: int, message: dict[str, Any], label: str) -> None:
    await bot.press(user, message, button(bot, message, label))


async def ask(bot: Harness, user: int, text: str, *, named: bool = False) -> dict[str, Any]:
    """Ask and send; returns the staff chat's message about the question."""
    await bot.private(user, f"/ask {text}")
    preview = bot.last(user)
    await tap(bot, user, preview, "Send with my name" if named else "Send anonymously")
    return next(
        m
        for m in reversed(bot.api.sent_messages())
        if m["text"].startswith("Question #") and text in m["text"]
    )


def question_posts(bot: Harness, chat: int) -> list[dict[str, Any]]:
    return [m for m in bot.api.sent_messages(chat) if m["text"].startswith("Question #")]


def last_alert(bot: Harness) -> str:
    text: str = bot.api.calls_to("answerCallbackQuery")[-1].params.get("text", "")
    return text


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _ints(v)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in _ints(v)]
    return []


def assert_staff_never_saw(
    bot: Harness, staff_chats: set[int], user: int, words: tuple[str, ...]
) -> None:
    """No call to a staff chat carries the person's id, names or username."""
    calls = [c for c in bot.api.calls if c.params.get("chat_id") in staff_chats]
    assert calls, "the test should have made calls to the staff chat"
    for call in calls:
        blob = json.dumps(call.params, default=str, ensure_ascii=False)
        for word in words:
            assert word not in blob, f"{word!r} leaked in {call.method}"
        assert user not in _ints(call.params), f"the asker's id leaked in {call.method}"
        assert not re.search(rf"(?<!\d){user}(?!\d)", blob), f"id in the text of {call.method}"


async def only_question(bot: Harness) -> Question:
    rows = await bot.store.db.fetch("SELECT question_id FROM questions WHERE status <> 'draft'")
    (row,) = rows
    question = await bot.store.questions.get(row["question_id"])
    assert question is not None
    return question


# --- asking ----------------------------------------------------------------------------------


async def test_asking_anonymously_from_prompt_to_receipt(bot: Harness, scene: Scene):
    await bot.private(scene.asker, "/ask")
    prompt = bot.api.calls_to("sendMessage")[-1].params
    assert prompt["text"].startswith("Write your question in one message.")
    assert prompt["reply_markup"]["force_reply"] is True
    reply = bot.api.private_message(
        scene.asker,
        "Is it normal to feel lonely\nafter moving out?",
        reply_to_message_id=bot.last(scene.asker)["message_id"],
    )
    await bot.deliver(reply)
    preview = bot.last(scene.asker)
    assert "Is it normal to feel lonely\nafter moving out?" in preview["text"]
    assert [b["text"] for b in bot.buttons(preview)] == [
        "Send anonymously",
        "Send with my name",
        "Cancel",
    ]
    assert bot.api.sent_messages(scene.lappi.staff) == []  # nothing before the choice
    await tap(bot, scene.asker, preview, "Send anonymously")
    (post,) = question_posts(bot, scene.lappi.staff)
    assert post["text"].startswith(
        "Question #1 – anonymous\n\nIs it normal to feel lonely\nafter moving out?"
    )
    assert [b["text"] for b in bot.buttons(post)] == ["Answer", "Close", "Block sender"]
    receipt = bot.last(scene.asker)["text"]
    assert receipt.startswith("Your question #1 is on its way to the facilitators.")
    assert "within 24 hours" in receipt
    edited = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert edited.endswith("✓ Sent anonymously.")
    question = await only_question(bot)
    assert (question.number, question.show_name, question.asker_id) == (1, False, scene.asker)
    assert_staff_never_saw(bot, {scene.lappi.staff}, scene.asker, SECRETS)


async def test_the_name_is_shown_only_when_chosen_and_never_stored(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Can I ask for my social worker's number?", named=True)
    assert post["text"].startswith("Question #1 from Sirkku-Secret (@sirkku_secret_77)")
    assert str(scene.asker) not in post["text"]
    await ask(bot, scene.other, "Second question")
    second = question_posts(bot, scene.lappi.staff)[-1]
    assert second["text"].startswith("Question #2 – anonymous")
    dump = json.dumps(await bot.store.privacy.export(scene.asker), ensure_ascii=False)
    assert "Sirkku" not in dump
    assert "sirkku" not in dump


async def test_cancel_sends_nothing(bot: Harness, scene: Scene):
    await bot.private(scene.asker, "/ask Maybe not")
    await tap(bot, scene.asker, bot.last(scene.asker), "Cancel")
    assert bot.api.calls_to("editMessageText")[-1].params["text"] == "Cancelled. Nothing was sent."
    assert bot.api.sent_messages(scene.lappi.staff) == []
    assert await bot.store.db.fetch("SELECT question_id FROM questions") == []


async def test_asking_in_a_group_continues_privately(bot: Harness, scene: Scene, admin: int):
    command = bot.api.group_message(scene.lappi.group, scene.asker, "/ask")
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted
    assert bot.last(scene.asker)["text"].startswith("Write your question in one message.")
    stranger = bot.api.add_user(first_name="Stranger", language_code="en")
    bot.api.world.group(scene.lappi.group).members[stranger] = MemberState("member")
    await bot.group(scene.lappi.group, stranger, "/ask")
    (neutral,) = bot.api.sent_messages(scene.lappi.group)
    (link,) = bot.buttons(neutral)
    assert link["url"].endswith("?start=ask")
    await bot.private(stranger, "/start ask")
    assert bot.last(stranger)["text"].startswith("Write your question in one message.")
    for call in bot.api.calls:
        if call.params.get("chat_id") == scene.lappi.group:
            assert "question" not in json.dumps(call.params).lower()


async def test_membership_without_agreement_is_found_in_telegram(bot: Harness, admin: int):
    member = new_member(bot, "Sirkku-Secret", "sirkku_secret_77")
    region = await make_region(bot, admin, "Lappi", [member], agreed=False)
    await bot.private(member, "/ask Hello?")
    assert button(bot, bot.last(member), "Send anonymously").startswith("q:send:")
    assert any(c.params["chat_id"] == region.group for c in bot.api.calls_to("getChatMember"))


async def test_no_group_and_no_staff_chat_are_said_honestly(bot: Harness, admin: int):
    loner = new_member(bot, "Sirkku-Secret", "sirkku_secret_77")
    await bot.private(loner, "/ask Hello?")
    text = bot.last(loner)["text"]
    assert text.startswith("I couldn't find a peer group you belong to")
    assert "/crisis" in text
    group = bot.api.add_group(members=[loner], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Kainuu", "en", bot.clock.now())
    await bot.private(loner, "/ask Hello?")
    text = bot.last(loner)["text"]
    assert text.startswith("The facilitators of Kainuu can't receive questions through me yet")
    assert "/crisis" in text
    assert await bot.store.db.fetch("SELECT question_id FROM questions") == []


async def test_a_member_of_several_regions_chooses(bot: Harness, scene: Scene, admin: int):
    paijat = await make_region(bot, admin, "Päijät-Häme", [scene.asker])
    await bot.private(scene.asker, "/ask Where do I apply for housing?")
    choice = bot.last(scene.asker)
    assert choice["text"] == "Which region's facilitators should get your question?"
    assert [b["text"] for b in bot.buttons(choice)] == ["Lappi", "Päijät-Häme", "Cancel"]
    await tap(bot, scene.asker, choice, "Päijät-Häme")
    preview = bot.api.calls_to("editMessageText")[-1].params
    assert preview["text"].startswith("Your question to the facilitators of Päijät-Häme:")
    await tap(bot, scene.asker, bot.api.messages(scene.asker)[-1], "Send anonymously")
    assert question_posts(bot, paijat.staff)[0]["text"].startswith("Question #1 – anonymous")
    assert question_posts(bot, scene.lappi.staff) == []


# --- answers and replies ---------------------------------------------------------------------


async def test_answers_and_replies_reach_the_right_person_only(bot: Harness, scene: Scene):
    first = await ask(bot, scene.asker, "First asker's question")
    second = await ask(bot, scene.other, "Second asker's question")
    other_before = len(bot.api.sent_messages(scene.other))
    bot.clock.advance(timedelta(minutes=30))
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff,
            scene.lappi.host,
            "Yes, that is very normal.",
            reply_to_message_id=first["message_id"],
        )
    )
    answer = bot.last(scene.asker)
    assert answer["text"] == (
        "A facilitator answered your question #1:\n\nYes, that is very normal."
    )
    assert [b["text"] for b in bot.buttons(answer)] == ["Reply", "Close question"]
    assert HOST_NAME not in json.dumps(bot.api.sent_messages(scene.asker))
    assert "host_facilitator" not in json.dumps(bot.api.sent_messages(scene.asker))
    assert len(bot.api.sent_messages(scene.other)) == other_before
    assert bot.last(scene.lappi.staff)["text"] == "Sent to the asker of #1."
    question = await bot.store.questions.get(await _qid(bot, 1))
    assert question is not None
    assert question.first_answer_at == bot.clock.now()

    # The first asker replies to the answer; the second to their receipt.
    await bot.deliver(
        bot.api.private_message(
            scene.asker, "Thank you!", reply_to_message_id=answer["message_id"]
        )
    )
    relayed = bot.last(scene.lappi.staff)
    assert relayed["text"] == "#1 – the asker replied:\n\nThank you!"
    assert relayed["reply_to_message"]["message_id"] == first["message_id"]
    receipt = next(
        m
        for m in bot.api.sent_messages(scene.other)
        if m["text"].startswith("Your question #2 is on its way")
    )
    await bot.deliver(
        bot.api.private_message(
            scene.other, "One more thing", reply_to_message_id=receipt["message_id"]
        )
    )
    assert bot.last(scene.lappi.staff)["text"] == "#2 – the asker replied:\n\nOne more thing"
    assert bot.last(scene.lappi.staff)["reply_to_message"]["message_id"] == second["message_id"]

    # /answer by number; a reply to the bot's relayed message also answers.
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer 2 Ask away!")
    assert bot.last(scene.other)["text"].endswith("#2:\n\nAsk away!")
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff,
            scene.lappi.host,
            "You're welcome.",
            reply_to_message_id=relayed["message_id"],
        )
    )
    assert bot.last(scene.asker)["text"].endswith("#1:\n\nYou're welcome.")
    assert "Ask away!" not in json.dumps(bot.api.sent_messages(scene.asker))
    assert "You're welcome." not in json.dumps(bot.api.sent_messages(scene.other))
    assert_staff_never_saw(bot, {scene.lappi.staff}, scene.asker, SECRETS)
    assert_staff_never_saw(bot, {scene.lappi.staff}, scene.other, SECRETS)


async def _qid(bot: Harness, number: int, region: str = "Lappi") -> str:
    question = await bot.store.questions.by_number(region, number)
    assert question is not None
    return question.question_id


async def test_the_reply_button_waits_for_the_reply(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "My question")
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff,
            scene.lappi.host,
            "An answer",
            reply_to_message_id=post["message_id"],
        )
    )
    await tap(bot, scene.asker, bot.last(scene.asker), "Reply")
    prompt = bot.api.calls_to("sendMessage")[-1].params
    assert prompt["text"].startswith("Write your reply about question #1.")
    assert prompt["reply_markup"]["force_reply"] is True
    await bot.private(scene.asker, "A follow-up")
    assert bot.last(scene.lappi.staff)["text"] == "#1 – the asker replied:\n\nA follow-up"
    assert bot.last(scene.asker)["text"] == "Sent to the facilitators (question #1)."
    texts = [m.body for m in await bot.store.questions.messages(await _qid(bot, 1))]
    assert texts == ["My question", "An answer", "A follow-up"]


async def test_the_answer_button_explains_both_ways(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Hello")
    await tap(bot, scene.lappi.host, post, "Answer")
    call = bot.api.calls_to("answerCallbackQuery")[-1].params
    assert call["show_alert"] is True
    assert "reply to this message" in call["text"]
    assert "/answer 1" in call["text"]
    assert len(call["text"]) <= 200


async def test_only_facilitators_of_that_staff_chat_answer(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Hello")
    before = len(bot.api.sent_messages(scene.asker))
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff,
            scene.intern,
            "Not an answer",
            reply_to_message_id=post["message_id"],
        )
    )
    await bot.group(scene.lappi.staff, scene.intern, "/answer 1 Not an answer")
    assert bot.last(scene.lappi.staff)["text"] == (
        "Only the group's facilitators can do that, so nothing was changed."
    )
    await tap(bot, scene.intern, post, "Close")
    assert last_alert(bot) == "Only the group's facilitators can do that, so nothing was changed."
    await tap(bot, scene.intern, post, "Block sender")
    assert len(bot.api.sent_messages(scene.asker)) == before
    assert (await only_question(bot)).is_open
    assert await bot.store.questions.blocks() == []
    # The facilitators' own talk (not a reply to the bot) is not sent either.
    await bot.group(scene.lappi.staff, scene.lappi.host, "Who takes this one?")
    assert len(bot.api.sent_messages(scene.asker)) == before


async def test_regions_are_isolated(bot: Harness, scene: Scene, admin: int):
    northerner = scene.asker
    southerner = new_member(bot, "Otto-Hidden", "otto_hidden_88")
    paijat = await make_region(bot, admin, "Päijät-Häme", [southerner])
    north_post = await ask(bot, northerner, "Northern question")
    south_post = await ask(bot, southerner, "Southern question")
    assert north_post["chat"]["id"] == scene.lappi.staff
    assert south_post["chat"]["id"] == paijat.staff
    assert north_post["text"].startswith("Question #1")
    assert south_post["text"].startswith("Question #1")
    assert "Northern" not in json.dumps(bot.api.sent_messages(paijat.staff))
    await bot.group(paijat.staff, paijat.host, "/answer 1 For the south")
    assert bot.last(southerner)["text"].endswith("For the south")
    assert "For the south" not in json.dumps(bot.api.sent_messages(northerner))
    # A facilitator of another region cannot act on this region's question.
    north_id = await _qid(bot, 1)
    await bot.deliver(
        bot.api.press_button(paijat.host, south_post, f"q:sclose:{north_id}", forged=True)
    )
    assert last_alert(bot) == "This button no longer works."
    assert (await bot.store.questions.get(north_id)).is_open  # type: ignore[union-attr]
    assert_staff_never_saw(bot, {scene.lappi.staff, paijat.staff}, northerner, SECRETS)
    assert_staff_never_saw(bot, {scene.lappi.staff, paijat.staff}, southerner, SECRETS)


async def test_an_unreachable_asker_is_reported_to_the_facilitators(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Hello")
    bot.api.set_blocked(scene.asker)
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff, scene.lappi.host, "Answer", reply_to_message_id=post["message_id"]
        )
    )
    assert bot.last(scene.lappi.staff)["text"].startswith(
        "I couldn't deliver the answer to #1: the asker can't be reached"
    )
    question = await only_question(bot)
    assert question.is_open
    assert question.first_answer_at is None


async def test_answer_command_mistakes_are_explained(bot: Harness, scene: Scene):
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer")
    assert bot.last(scene.lappi.staff)["text"].startswith("Write /answer, the question's number")
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer 9 Hello")
    assert bot.last(scene.lappi.staff)["text"] == "There is no question #9 in Lappi."
    for odd in ("²", "99999999999999999999999"):  # digits int() refuses, or too big
        await bot.group(scene.lappi.staff, scene.lappi.host, f"/answer {odd} Hello")
        assert bot.last(scene.lappi.staff)["text"].startswith("Write /answer, the question's")
    post = await ask(bot, scene.asker, "Hello")
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff, scene.lappi.host, "x" * 3501, reply_to_message_id=post["message_id"]
        )
    )
    assert bot.last(scene.lappi.staff)["text"].startswith(
        "Your answer is 3501 characters long and the limit is 3500, so nothing was sent."
    )
    # In the peer group an answer must not stay visible: it goes, the facilitator is told.
    mistaken = bot.api.group_message(scene.lappi.group, scene.lappi.host, "/answer 1 Private!")
    await bot.deliver(mistaken)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert mistaken["message"]["message_id"] in deleted
    assert bot.api.sent_messages(scene.lappi.group) == []
    assert bot.last(scene.lappi.host)["text"] == "Use /answer in your region's staff chat."
    assert not any(t.endswith("Private!") for t in bot.texts(scene.asker))


async def test_an_unreachable_staff_chat_keeps_the_draft(bot: Harness, scene: Scene):
    await bot.private(scene.asker, "/ask Hello?")
    preview = bot.last(scene.asker)
    bot.api.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was kicked from the chat"
    )
    await tap(bot, scene.asker, preview, "Send anonymously")
    assert bot.last(scene.asker)["text"].startswith("I couldn't reach the facilitators right now")
    (row,) = await bot.store.db.fetch("SELECT status, number FROM questions")
    assert (row["status"], row["number"]) == ("draft", None)
    await tap(bot, scene.asker, preview, "Send anonymously")
    assert question_posts(bot, scene.lappi.staff)[0]["text"].startswith("Question #1")


async def test_an_overlong_reply_is_refused_and_awaited(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Hello")
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer 1 Hi!")
    answer = bot.last(scene.asker)
    await bot.deliver(
        bot.api.private_message(scene.asker, "y" * 121, reply_to_message_id=answer["message_id"])
    )
    assert bot.last(scene.asker)["text"].startswith("Your message is 121 characters long")
    await bot.private(scene.asker, "Shorter")
    assert bot.last(scene.lappi.staff)["text"] == "#1 – the asker replied:\n\nShorter"
    assert bot.last(scene.lappi.staff)["reply_to_message"]["message_id"] == post["message_id"]


# --- closing ---------------------------------------------------------------------------------


async def test_the_member_closes_and_both_sides_are_told(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Hello")
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer 1 Hi!")
    answer = bot.last(scene.asker)
    await tap(bot, scene.asker, answer, "Close question")
    assert bot.last(scene.asker)["text"].startswith("Question #1 is closed.")
    assert bot.last(scene.lappi.staff)["text"] == "#1 was closed by the asker."
    question = await only_question(bot)
    assert (question.status, question.closed_by) == ("closed", "member")
    stale = button(bot, answer, "Reply")  # its buttons are gone; an old client may still send
    await bot.deliver(bot.api.press_button(scene.asker, answer, stale, forged=True))
    assert last_alert(bot) == "This question is already closed."
    await bot.deliver(
        bot.api.private_message(scene.asker, "More?", reply_to_message_id=answer["message_id"])
    )
    assert bot.last(scene.asker)["text"].startswith("Question #1 is closed, so I didn't pass")
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer 1 Late")
    assert bot.last(scene.lappi.staff)["text"] == "#1 is closed, so the answer was not sent."
    await bot.deliver(
        bot.api.group_message(
            scene.lappi.staff, scene.lappi.host, "Late", reply_to_message_id=post["message_id"]
        )
    )
    assert not any("Late" in t for t in bot.texts(scene.asker))


async def test_a_facilitator_closes_and_both_sides_are_told(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Hello")
    await tap(bot, scene.lappi.host, post, "Close")
    assert bot.last(scene.asker)["text"].startswith("The facilitators closed your question #1.")
    assert "#1 was closed by a facilitator." in bot.texts(scene.lappi.staff)
    assert bot.api.messages(scene.lappi.staff)[0].get("reply_markup") is None
    await bot.deliver(
        bot.api.press_button(scene.lappi.host, post, button(bot, post, "Close"), forged=True)
    )
    assert last_alert(bot) == "This question is already closed."


# --- blocking --------------------------------------------------------------------------------


async def test_blocking_without_revealing_and_lifting(bot: Harness, scene: Scene, admin: int):
    post = await ask(bot, scene.asker, "Something rude")
    await tap(bot, scene.lappi.host, post, "Block sender")
    confirm = bot.api.messages(scene.lappi.staff)[0]
    assert [b["text"] for b in bot.buttons(confirm)] == ["Yes, block the sender", "Don't block"]
    await tap(bot, scene.lappi.host, confirm, "Don't block")
    kept = bot.api.messages(scene.lappi.staff)[0]
    assert [b["text"] for b in bot.buttons(kept)] == ["Answer", "Close", "Block sender"]
    await tap(bot, scene.lappi.host, kept, "Block sender")
    await tap(
        bot, scene.lappi.host, bot.api.messages(scene.lappi.staff)[0], "Yes, block the sender"
    )
    notice = next(t for t in bot.texts(scene.lappi.staff) if t.startswith("The sender of #1"))
    match = re.fullmatch(
        r"The sender of #1 can no longer send questions\. Block code ([A-Z0-9]{6}); an "
        r"organisation admin can lift it with /unblock \1",
        notice,
    )
    assert match is not None
    code = match.group(1)
    assert bot.last(scene.asker)["text"].startswith("The facilitators closed your question #1.")
    assert_staff_never_saw(bot, {scene.lappi.staff}, scene.asker, SECRETS)

    await bot.private(scene.asker, "/ask Again")
    gentle = bot.last(scene.asker)["text"]
    assert gentle.startswith("I can't pass on your questions at the moment.")
    assert "/crisis" in gentle
    assert HOST_NAME not in gentle
    await ask(bot, scene.other, "The other member can still ask")

    await bot.private(scene.asker, f"/unblock {code}")
    assert bot.last(scene.asker)["text"] == "Only organisation admins can do that."
    await bot.group(scene.lappi.staff, scene.lappi.host, "/blocks")
    assert bot.last(scene.lappi.staff)["text"] == "Only organisation admins can do that."
    await bot.private(admin, "/blocks")
    assert bot.last(admin)["text"].startswith(f"{code} – Lappi, question #1, since ")
    await bot.private(admin, f"/unblock {code.lower()}")
    assert bot.last(admin)["text"] == (
        f"Block {code} is lifted: that person can send questions to Lappi again."
    )
    await bot.private(admin, "/blocks")
    assert bot.last(admin)["text"] == "Nobody is blocked from asking."
    await bot.private(scene.asker, "/ask Again, politely")
    assert bot.buttons(bot.last(scene.asker))


# --- limits ----------------------------------------------------------------------------------


async def test_an_overlong_question_is_refused_whole(bot: Harness, scene: Scene):
    long_text = "ä" * 121
    await bot.private(scene.asker, f"/ask {long_text}")
    assert bot.last(scene.asker)["text"].startswith(
        "Your message is 121 characters long and the limit is 120, so nothing was sent or cut."
    )
    assert await bot.store.db.fetch("SELECT question_id FROM questions") == []
    await bot.private(scene.asker, "A shorter one")  # awaited: no need for /ask again
    assert "A shorter one" in bot.last(scene.asker)["text"]
    assert bot.buttons(bot.last(scene.asker))


async def test_open_and_daily_limits(bot: Harness, scene: Scene):
    await ask(bot, scene.asker, "One")
    await ask(bot, scene.asker, "Two")
    await bot.private(scene.asker, "/ask Three")
    assert bot.last(scene.asker)["text"].startswith(
        "You have 2 open questions, which is the most at a time."
    )
    for number in (1, 2):
        await bot.store.questions.close(await _qid(bot, number), "member", bot.clock.now())
    await ask(bot, scene.asker, "Three")
    await bot.store.questions.close(await _qid(bot, 3), "member", bot.clock.now())
    await bot.private(scene.asker, "/ask Four")
    assert bot.last(scene.asker)["text"].startswith(
        "You have sent 3 questions in the last 24 hours, which is the limit."
    )
    bot.clock.advance(timedelta(hours=24, seconds=1))
    post = await ask(bot, scene.asker, "Four")
    assert post["text"].startswith("Question #4")


async def test_limits_hold_when_an_old_preview_is_pressed(bot: Harness, scene: Scene):
    await bot.private(scene.asker, "/ask One")
    first_preview = bot.last(scene.asker)
    await ask(bot, scene.asker, "Two")
    await ask(bot, scene.other, "Other")
    await tap(bot, scene.asker, first_preview, "Send anonymously")  # replaced by a newer draft
    assert last_alert(bot) == "This button no longer works."
    assert len(question_posts(bot, scene.lappi.staff)) == 2


async def test_concurrent_sends_get_different_numbers(bot: Harness, scene: Scene):
    await bot.private(scene.asker, "/ask First")
    first = bot.last(scene.asker)
    await bot.private(scene.other, "/ask Second")
    second = bot.last(scene.other)
    await asyncio.gather(
        tap(bot, scene.asker, first, "Send anonymously"),
        tap(bot, scene.other, second, "Send anonymously"),
    )
    titles = sorted(
        m["text"].split("–")[0].strip() for m in question_posts(bot, scene.lappi.staff)
    )
    assert titles == ["Question #1", "Question #2"]


# --- buttons that were tampered with ---------------------------------------------------------


async def test_tampered_buttons_change_nothing(bot: Harness, scene: Scene):
    post = await ask(bot, scene.asker, "Mine")
    await bot.private(scene.other, "/ask Theirs")
    theirs = bot.last(scene.other)
    their_draft = button(bot, theirs, "Send anonymously").split(":")[2]
    mine = await _qid(bot, 1)
    receipt = bot.last(scene.asker)
    forged = [
        (scene.asker, receipt, f"q:send:{their_draft}"),  # someone else's draft
        (scene.asker, receipt, "q:send:AAAAAAAAAAAA"),  # no such question
        (scene.asker, receipt, "q:send:../../etc"),
        (scene.asker, receipt, f"q:close:{mine}:x:y"),
        (scene.asker, receipt, f"q:rg:{their_draft}:0"),
        (scene.other, theirs, f"q:close:{mine}"),  # closing another member's question
        (scene.other, theirs, f"q:rg:{their_draft}:99"),
        (scene.asker, receipt, f"q:blockyes:{mine}"),  # a staff action from a private chat
        (scene.asker, receipt, f"q:nope:{mine}"),
    ]
    for user, message, data in forged:
        await bot.deliver(bot.api.press_button(user, message, data, forged=True))
        assert last_alert(bot) == "This button no longer works.", data
    assert (await only_question(bot)).is_open
    assert await bot.store.questions.blocks() == []
    assert len(question_posts(bot, scene.lappi.staff)) == 1
    draft = await bot.store.questions.get(their_draft)
    assert draft is not None
    assert draft.status == "draft"
    await bot.deliver(
        bot.api.press_button(scene.lappi.host, post, f"q:send:{their_draft}", forged=True)
    )
    assert last_alert(bot) == "This button no longer works."
    callbacks = [b["callback_data"] for m in bot.api.sent_messages() for b in bot.buttons(m)]
    assert all(len(d.encode()) <= 64 for d in callbacks if d.startswith("q:"))


# --- forums ----------------------------------------------------------------------------------


async def test_a_forum_staff_chat_gets_a_topic_per_question(bot: Harness, admin: int):
    asker = new_member(bot, "Sirkku-Secret", "sirkku_secret_77")
    region = await make_region(bot, admin, "Lappi", [asker], forum=True)
    post = await ask(bot, asker, "In a topic")
    (topic,) = bot.api.calls_to("createForumTopic")
    assert topic.params["name"] == "Question #1"
    thread = post["message_thread_id"]
    question = await only_question(bot)
    assert question.staff_thread_id == thread
    await bot.deliver(
        bot.api.group_message(
            region.staff,
            region.host,
            "Answer in the topic",
            reply_to_message_id=post["message_id"],
        )
    )
    answer = bot.last(asker)
    assert answer["text"].endswith("Answer in the topic")
    assert bot.last(region.staff)["message_thread_id"] == thread
    await bot.deliver(
        bot.api.private_message(asker, "Thanks", reply_to_message_id=answer["message_id"])
    )
    relayed = bot.last(region.staff)
    assert relayed["text"] == "#1 – the asker replied:\n\nThanks"
    assert relayed["message_thread_id"] == thread
    # /answer written outside the topic: the topic keeps a copy.
    await bot.group(region.staff, region.host, "/answer 1 From the general topic")
    assert bot.last(asker)["text"].endswith("From the general topic")
    copy = bot.last(region.staff)
    assert copy["text"] == "A facilitator answered #1:\n\nFrom the general topic"
    assert copy["message_thread_id"] == thread
    # Talk in the topic that is not a reply to the bot stays among facilitators.
    before = len(bot.api.sent_messages(asker))
    await bot.deliver(
        bot.api.group_message(region.staff, region.host, "Note to self", message_thread_id=thread)
    )
    assert len(bot.api.sent_messages(asker)) == before
    await bot.private(asker, "/ask Second")
    await tap(bot, asker, bot.last(asker), "Send anonymously")
    names = [c.params["name"] for c in bot.api.calls_to("createForumTopic")]
    assert names == ["Question #1", "Question #2"]
    assert_staff_never_saw(bot, {region.staff}, asker, SECRETS)


# --- office hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "at_work"),
    [
        # Friday 23 October 2026, summer time (UTC+3): 06:30 UTC is 09:30 in Helsinki.
        (datetime(2026, 10, 23, 6, 30, tzinfo=UTC), "Europe/Helsinki", True),
        (datetime(2026, 10, 23, 5, 30, tzinfo=UTC), "Europe/Helsinki", False),
        # Monday 26 October 2026, after the change (UTC+2): 06:30 UTC is 08:30 in Helsinki.
        (datetime(2026, 10, 26, 6, 30, tzinfo=UTC), "Europe/Helsinki", False),
        (datetime(2026, 10, 26, 7, 30, tzinfo=UTC), "Europe/Helsinki", True),
        (datetime(2026, 10, 26, 13, 59, tzinfo=UTC), "Europe/Helsinki", True),
        (datetime(2026, 10, 26, 14, 0, tzinfo=UTC), "Europe/Helsinki", False),
        (datetime(2026, 10, 25, 10, 0, tzinfo=UTC), "Europe/Helsinki", False),  # Sunday
        (datetime(2026, 10, 26, 6, 30, tzinfo=UTC), "UTC", False),
        (datetime(2026, 10, 26, 9, 0, tzinfo=UTC), "UTC", True),
        (datetime(2026, 10, 26, 16, 0, tzinfo=UTC), "UTC", False),
    ],
)
def test_office_hours_follow_local_time(moment: datetime, zone: str, at_work: bool):
    assert in_office_hours(moment, AskingSettings(), ZoneInfo(zone)) is at_work


async def test_the_receipt_carries_crisis_help_outside_office_hours(bot: Harness, scene: Scene):
    t = bot.translations("en")
    bot.clock.set(datetime(2026, 10, 23, 9, 30, tzinfo=HELSINKI))  # Friday, summer time
    await ask(bot, scene.asker, "During office hours")
    inside = bot.last(scene.asker)["text"]
    assert crisis_text(t) not in inside
    bot.clock.set(datetime(2026, 10, 26, 8, 30, tzinfo=HELSINKI))  # Monday, winter time
    await ask(bot, scene.other, "Before office hours")
    outside = bot.last(scene.other)["text"]
    assert "The facilitators are not at work right now" in outside
    assert outside.endswith(crisis_text(t))
    assert outside.startswith("Your question #2 is on its way")


# --- retention -------------------------------------------------------------------------------


async def test_retention_erases_texts_and_the_link_to_the_member(bot: Harness, scene: Scene):
    await ask(bot, scene.asker, "A secret question", named=True)
    await bot.group(scene.lappi.staff, scene.lappi.host, "/answer 1 A private answer")
    await tap(bot, scene.asker, bot.last(scene.asker), "Close question")
    bot.clock.advance(timedelta(days=29))
    await bot.run_job("question-retention")
    (kept,) = await bot.store.db.fetch("SELECT asker_id FROM questions")
    assert kept["asker_id"] == scene.asker
    bot.clock.advance(timedelta(days=2))
    await bot.run_job("question-retention")
    rows = await bot.store.db.fetch(
        "SELECT region, number, asker_id, show_name, status, first_answer_at FROM questions"
    )
    assert [(r["region"], r["number"], r["asker_id"], bool(r["show_name"])) for r in rows] == [
        ("Lappi", 1, None, False)
    ]
    assert rows[0]["first_answer_at"] is not None  # the anonymous figures stay
    messages = await bot.store.db.fetch(
        "SELECT body, member_message_id FROM question_messages ORDER BY seq"
    )
    assert [(m["body"], m["member_message_id"]) for m in messages] == [(None, None)] * 2


async def test_quiet_questions_expire_and_both_sides_are_told(bot: Harness, scene: Scene):
    await ask(bot, scene.asker, "Anyone there?")
    await bot.private(scene.other, "/ask Draft only")
    bot.clock.advance(timedelta(days=30, hours=1))
    await bot.run_job("question-retention")
    assert bot.last(scene.asker)["text"].startswith(
        "Your question #1 was closed because there were no new messages for 30 days."
    )
    assert bot.last(scene.lappi.staff)["text"] == "#1 was closed after 30 days without messages."
    question = await only_question(bot)
    assert (question.status, question.closed_by) == ("closed", "expired")
    drafts = await bot.store.db.fetch("SELECT question_id FROM questions WHERE status = 'draft'")
    assert drafts == []
