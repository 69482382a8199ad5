"""After-meetup check-ins through the real Application: who is asked, answers, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.checkins import ROUND_JOB
from tests.harness import Harness

STARTS = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 18:00 in Helsinki
NEXT_MORNING = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # 09:00 in Helsinki


async def _scene(bot: Harness, admin: int) -> dict[str, Any]:
    asked, quiet, opted_out, stranger = (
        bot.api.add_user(language_code="en", started=True) for _ in range(4)
    )
    group = bot.api.add_group(members=[asked, quiet, opted_out], owner=admin)
    for person in (asked, quiet, opted_out):
        await bot.private(person, "/start")  # members who answer meetups have started the bot
    now = bot.clock.now()
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", now)
    meetup = await bot.store.meetups.create(
        group,
        title="Fika",
        start_local=datetime(2026, 12, 1, 18, 0),
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        at=now,
    )
    rsvps = bot.store.rsvps
    await rsvps.answer(meetup.meetup_id, STARTS, asked, "yes", now, remind=True)
    await rsvps.answer(meetup.meetup_id, STARTS, quiet, "yes", now)  # no reminders: not asked
    await rsvps.subscribe(opted_out, group, now)
    await rsvps.answer(meetup.meetup_id, STARTS, opted_out, "yes", now)
    await bot.private(opted_out, "/checkins off")
    assert bot.last(opted_out)["text"] == "Check-ins are off. I won't ask how meetups went."
    bot.api.clear_calls()
    return {"asked": asked, "quiet": quiet, "opted_out": opted_out, "stranger": stranger}


def _data(bot: Harness, message: dict[str, Any], label: str) -> str:
    [button] = [b for b in bot.buttons(message) if b["text"] == label]
    return str(button["callback_data"])


def _last_answer(bot: Harness) -> str | None:
    return bot.api.calls_to("answerCallbackQuery")[-1].params.get("text")


async def test_the_morning_after_those_who_wanted_reminders_are_asked(
    bot: Harness, admin: int
) -> None:
    people = await _scene(bot, admin)
    bot.clock.set(STARTS + timedelta(minutes=5))
    await bot.run_job(ROUND_JOB)
    assert bot.api.sent_messages(people["asked"]) == []  # not yet: the morning after
    bot.clock.set(NEXT_MORNING)
    await bot.run_job(ROUND_JOB)
    await bot.run_job(ROUND_JOB)  # once only
    [question] = bot.api.sent_messages(people["asked"])
    assert question["text"].startswith("Thanks for coming to Fika!")
    assert question["text"].endswith("How was the meetup?")
    assert [b["text"] for b in bot.buttons(question)] == ["😞", "🙁", "😐", "🙂", "😄", "Skip"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in bot.buttons(question))
    assert bot.api.sent_messages(people["quiet"]) == []
    assert bot.api.sent_messages(people["opted_out"]) == []  # turned them off

    user = people["asked"]
    rating = _data(bot, question, "😄")
    await bot.press(user, question, rating)
    second = bot.last(user)
    assert second["text"] == "Did you feel less alone afterwards?"
    # The first question again (a client replaying the old button).
    await bot.deliver(bot.api.press_button(user, second, rating, forged=True))
    assert _last_answer(bot) == "You already answered this one. Thank you!"
    await bot.press(user, bot.last(user), _data(bot, bot.last(user), "Yes"))
    third = bot.last(user)
    assert third["text"] == "Will you come again?"
    await bot.press(user, third, _data(bot, third, "Skip"))
    assert bot.last(user)["text"] == "Thank you! Your answers were counted anonymously. 💛"

    # Someone who was not asked cannot add an answer with forged data.
    stranger = people["stranger"]
    await bot.private(stranger, "/checkins")
    forged = bot.api.press_button(stranger, bot.last(stranger), rating, forged=True)
    await bot.deliver(forged)
    assert _last_answer(bot) == "This button no longer works."
    await bot.deliver(
        bot.api.press_button(stranger, bot.last(stranger), "ci:x:how:9", forged=True)
    )
    assert _last_answer(bot) == "This button no longer works."

    checkin_id = rating.split(":")[1]
    held = await bot.store.checkins.get(checkin_id)
    assert held is not None
    counts = await bot.store.checkins.answer_counts(held.meetup_id, held.starts_at)
    assert {(c.question, c.answer): c.count for c in counts} == {
        ("how", "5"): 1,
        ("less_alone", "yes"): 1,
        ("again", "skip"): 1,
    }
    assert held.coming == 3

    # When the window closes, the tokens and the secret go; late answers are refused kindly.
    bot.clock.set(NEXT_MORNING + timedelta(days=3))
    await bot.run_job(ROUND_JOB)
    assert await bot.store.db.fetchval("SELECT COUNT(*) FROM checkin_tokens") == 0
    late = _data(bot, second, "No")
    await bot.deliver(bot.api.press_button(user, bot.last(user), late, forged=True))
    assert _last_answer(bot) == "This check-in has closed. Thank you anyway! 💛"


async def test_checkins_command_in_private_only(bot: Harness, admin: int) -> None:
    user = bot.api.add_user(language_code="en", started=True)
    group = bot.api.add_group(members=[user], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.group(group, user, "/checkins off")
    assert bot.last(group)["text"] == "Use /checkins in a private chat with me."
    assert not await bot.store.checkins.is_off(user)
    await bot.private(user, "/checkins off")
    await bot.private(user, "/checkins on")
    assert bot.last(user)["text"].startswith("Check-ins are on.")
    assert not await bot.store.checkins.is_off(user)
    await bot.private(user, "/checkins")
    assert bot.last(user)["text"].startswith("/checkins on")
