"""Meetups and reminders: once, on time, in the right language, only to those who want them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from icalendar import Calendar, vRecur

from tests.harness import Harness

SEND = "send-due-reminders"


@dataclass
class Scene:
    group: int
    host: int
    members: list[int]


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    host = bot.api.add_user(language_code="en", started=True)
    members = [
        bot.api.add_user(first_name=f"Member{n}-Private", language_code=lang, started=True)
        for n, lang in enumerate(("en", "sv", "fi"))
    ]
    group = bot.api.add_group(members=members, admins=[host], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    for user in (host, *members):
        await bot.private(user, "/start")
        await bot.store.joins.record_consent(user, group, 0, bot.clock.now())
    bot.api.clear_calls()
    return Scene(group, host, members)


async def add_meetup(bot: Harness, scene: Scene, text: str) -> dict[str, Any]:
    """Add and confirm; returns the card the bot posted."""
    await bot.group(scene.group, scene.host, f"/meetup add {text}")
    preview = bot.last(scene.group)
    confirm = next(b for b in bot.buttons(preview) if b["callback_data"].startswith("meetup:ok"))
    await bot.press(scene.host, preview, confirm["callback_data"])
    return bot.last(scene.group)


def rsvp(bot: Harness, card: dict[str, Any], key: str) -> str:
    return next(b["callback_data"] for b in bot.buttons(card) if b["callback_data"].endswith(key))


async def test_add_preview_confirm_and_card(bot: Harness, scene: Scene):
    # Now is Sunday 29 November 2026, 12:00 in Helsinki.
    await bot.group(
        scene.group,
        scene.host,
        "/meetup add 3.12. klo 17 | Pizza and a chat | Rovaniemi library | "
        "https://meet.example/abc",
    )
    preview = bot.last(scene.group)
    assert "Pizza and a chat" in preview["text"]
    assert "meet.example" not in preview["text"]  # the link is only ever shown privately
    assert await bot.store.meetups.for_chats([scene.group]) == []
    card = await add_meetup(bot, scene, "3.12. klo 17 | Pizza and a chat | Rovaniemi library")
    assert "Pizza and a chat" in card["text"]
    assert "5:00\u202fPM" in card["text"]  # local time, English format
    assert "Coming: 0 · Maybe: 0 · Can't come: 0" in card["text"]
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    pending = await bot.store.reminders.pending_for(meetup.meetup_id)
    assert {r.audience for r in pending} == {"group"}
    assert len(pending) == 2


async def test_bad_meetups_are_explained_with_an_example(bot: Harness, scene: Scene):
    for text in ("31.2. 17:00 | Title", "1.1.2020 17:00 | Title", "3.12. 17:00", "3.12. | X"):
        await bot.group(scene.group, scene.host, f"/meetup add {text}")
        answer = bot.last(scene.group)["text"]
        assert "For example: /meetup add" in answer
        assert bot.buttons(bot.last(scene.group)) == []
    assert await bot.store.meetups.for_chats([scene.group]) == []


async def test_only_facilitators_add_meetups(bot: Harness, scene: Scene):
    await bot.group(scene.group, scene.members[0], "/meetup add 3.12. 17:00 | Mine")
    assert bot.last(scene.members[0])["text"].startswith("Only the group's facilitators")
    assert bot.api.sent_messages(scene.group) == []


async def test_rsvp_counts_without_names_and_private_details(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library | https://meet.example/x")
    first, second, third = scene.members
    await bot.press(first, card, rsvp(bot, card, ":y"))
    await bot.press(second, card, rsvp(bot, card, ":y"))
    await bot.press(third, card, rsvp(bot, card, ":m"))
    edited = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert "Coming: 2 · Maybe: 1 · Can't come: 0" in edited
    confirmation = bot.last(first)
    assert "https://meet.example/x" in confirmation["text"]
    assert [b["text"] for b in bot.buttons(confirmation)] == ["Add to calendar", "Remind me"]
    for call in bot.api.calls:
        if call.params.get("chat_id") == scene.group:
            assert "Private" not in str(call.params)
            assert "meet.example" not in str(call.params)


async def test_private_reminders_only_to_those_who_chose(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    wants, coming_only, subscriber = scene.members
    await bot.press(wants, card, rsvp(bot, card, ":y"))
    await bot.press(
        wants,
        bot.last(wants),
        next(b["callback_data"] for b in bot.buttons(bot.last(wants)) if b["text"] == "Remind me"),
    )
    await bot.press(coming_only, card, rsvp(bot, card, ":y"))
    await bot.private(subscriber, "/reminders on")
    bot.api.clear_calls()
    # The day before at 17:00 local (15:00 UTC in winter).
    bot.clock.set(datetime(2026, 12, 2, 15, 0, 30, tzinfo=UTC))
    await bot.run_job(SEND)
    assert len(bot.api.sent_messages(scene.group)) == 1  # the group's 24 h reminder
    assert bot.api.sent_messages(wants)[-1]["text"].startswith("Reminder: Pizza")
    assert bot.api.sent_messages(subscriber)[-1]["text"].startswith(reminder_prefix(bot, "fi"))
    assert bot.api.sent_messages(coming_only) == []
    await bot.run_job(SEND)  # nothing is sent twice
    assert len(bot.api.calls_to("sendMessage")) == 3


async def test_quiet_hours_move_a_private_reminder_earlier(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "4.12. 9:00 | Breakfast | Cafe")
    await bot.private(scene.members[0], "/reminders on")
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    private = [
        r
        for r in await bot.store.reminders.pending_for(meetup.meetup_id)
        if r.audience == "private"
    ]
    local = sorted(
        r.due_at.astimezone(bot.translations("fi").zone).strftime("%d %H:%M") for r in private
    )
    assert local == ["03 09:00", "03 21:30"]  # 2 h before would be 07:00: too early
    assert card


async def test_reminders_keep_local_time_across_the_dst_change(bot: Harness, scene: Scene):
    bot.clock.set(datetime(2026, 10, 20, 10, 0, tzinfo=UTC))
    await add_meetup(bot, scene, "weekly mon 17:00 | Peer evening | Library")
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    group = sorted(
        r.due_at
        for r in await bot.store.reminders.pending_for(meetup.meetup_id)
        if r.audience == "group" and r.starts_at.day in (26, 2)
    )
    # Summer: 17:00 = 14:00 UTC; winter (from 25 October): 17:00 = 15:00 UTC.
    assert datetime(2026, 10, 25, 15, 0, tzinfo=UTC) in group  # day before, 17:00 winter
    assert datetime(2026, 10, 26, 13, 0, tzinfo=UTC) in group  # 2 h before, 15:00 local


async def test_late_reminder_is_marked_and_too_late_is_skipped(bot: Harness, scene: Scene):
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")  # 15:00 UTC
    bot.clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))  # the bot was down for 21 h
    await bot.run_job(SEND)
    (late,) = [t for t in bot.texts(scene.group) if t.startswith("Reminder")]
    assert "comes a little late" in late
    bot.clock.set(datetime(2026, 12, 3, 15, 30, tzinfo=UTC))  # down again; it has started
    await bot.run_job(SEND)
    assert len([t for t in bot.texts(scene.group) if t.startswith("Reminder")]) == 1
    bot.clock.set(datetime(2026, 12, 3, 18, 0, tzinfo=UTC))
    await bot.run_job(SEND)  # the skipped one stays skipped
    assert len([t for t in bot.texts(scene.group) if t.startswith("Reminder")]) == 1


async def test_a_crash_after_claiming_loses_nothing(bot: Harness, scene: Scene):
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    claimed = await bot.store.reminders.claim_due(bot.clock.now(), timedelta(minutes=2), 10)
    assert len(claimed) == 1  # this "instance" dies before sending
    await bot.run_job(SEND)
    assert not any(t.startswith("Reminder") for t in bot.texts(scene.group))
    bot.clock.advance(timedelta(minutes=3))  # the lease ran out
    await bot.run_job(SEND)
    await bot.run_job(SEND)
    assert len([t for t in bot.texts(scene.group) if t.startswith("Reminder")]) == 1


def reminder_prefix(bot: Harness, language: str) -> str:
    return (
        bot.translations(language)
        .gettext("Reminder: {title} is on {when}. 📍 {place}")
        .split("{")[0]
    )


async def test_blocked_member_does_not_stop_the_round(bot: Harness, scene: Scene):
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    for user in scene.members:
        await bot.private(user, "/reminders on")
    bot.api.set_blocked(scene.members[0])
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    await bot.run_job(SEND)
    for user, language in zip(scene.members[1:], ("sv", "fi"), strict=True):
        reminders = [t for t in bot.texts(user) if t.startswith(reminder_prefix(bot, language))]
        assert len(reminders) == 1
    member = await bot.store.members.get(scene.members[0])
    assert member is not None
    assert not member.reachable


async def test_cancel_tells_those_who_signed_up_and_withdraws_reminders(
    bot: Harness, scene: Scene
):
    card = await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    await bot.press(scene.members[0], card, rsvp(bot, card, ":y"))
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    await bot.group(scene.group, scene.host, f"/meetup cancel {meetup.meetup_id} rain")
    notice = bot.last(scene.members[0])["text"]
    assert "is cancelled" in notice
    assert "rain" in notice
    assert await bot.store.reminders.pending_for(meetup.meetup_id) == []


async def test_calendar_file_opens_with_the_right_time(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "weekly tue 17:00 | Peer evening | Library")
    user = scene.members[0]
    await bot.press(user, card, rsvp(bot, card, ":y"))
    confirmation = bot.last(user)
    calendar_button = next(b for b in bot.buttons(confirmation) if b["text"] == "Add to calendar")
    await bot.press(user, confirmation, calendar_button["callback_data"])
    document = bot.api.documents[-1]
    calendar = Calendar.from_ical(document.data)
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (17, 0, "Europe/Helsinki")
    rule = cast(vRecur, event["rrule"])
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["BYDAY"] == ["TU"]
    assert calendar.walk("VTIMEZONE")


async def test_edit_tells_those_who_signed_up_and_replans(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    await bot.press(scene.members[0], card, rsvp(bot, card, ":y"))
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    await bot.group(scene.group, scene.host, f"/meetup edit {meetup.meetup_id} when 4.12. 18:00")
    assert bot.last(scene.group)["text"].startswith("Changed.")
    notice = bot.last(scene.members[0])
    assert "please tell again" in notice["text"]
    assert bot.buttons(notice)
    due = sorted(r.due_at for r in await bot.store.reminders.pending_for(meetup.meetup_id))
    assert due == [
        datetime(2026, 12, 3, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 4, 14, 0, tzinfo=UTC),
    ]
    await bot.group(scene.group, scene.host, f"/meetup edit {meetup.meetup_id} link http://x")
    assert "https://" in bot.last(scene.group)["text"]
    await bot.group(scene.group, scene.host, "/meetup edit nothing title X")
    assert bot.last(scene.group)["text"].startswith("Use: /meetup edit")


async def test_group_reminders_go_to_the_meetups_topic_of_a_forum(bot: Harness, admin: int):
    host = bot.api.add_user(language_code="en", started=True)
    group = bot.api.add_group(admins=[host], owner=admin, forum=True)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    scene = Scene(group, host, [])
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    await bot.run_job(SEND)
    (topic,) = bot.api.calls_to("createForumTopic")
    assert topic.params["name"] == "Meetups"
    reminder = bot.api.sent_messages(group)[-1]
    assert reminder["message_thread_id"] == topic.result["message_thread_id"]


async def test_two_instances_send_each_reminder_once(
    bot: Harness, scene: Scene, settings: Any, clock: Any
):
    from tests.harness import running_bot

    for user in scene.members:
        await bot.private(user, "/reminders on")
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    bot.api.clear_calls()
    async with running_bot(settings, bot.api, clock) as second:
        import asyncio

        await asyncio.gather(bot.run_job(SEND), second.run_job(SEND), bot.run_job(SEND))
    reminders = [c for c in bot.api.calls_to("sendMessage") if c.ok]
    assert len(reminders) == 1 + len(scene.members)  # the group, and each subscriber once


async def test_a_429_during_a_round_is_waited_out(bot: Harness, scene: Scene):
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    bot.clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
    bot.api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
    )
    await bot.run_job(SEND)
    assert [t for t in bot.texts(scene.group) if t.startswith("Reminder")]


async def test_whole_schedule_as_a_calendar(bot: Harness, scene: Scene):
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library | https://meet.example/p")
    await add_meetup(bot, scene, "monthly last fri 18:00 | Sauna evening | Lahti")
    await bot.private(scene.members[0], "/meetups calendar")
    calendar = Calendar.from_ical(bot.api.documents[-1].data)
    events = calendar.walk("VEVENT")
    assert sorted(str(e["summary"]) for e in events) == ["Pizza", "Sauna evening"]
    assert b"meet.example" not in bot.api.documents[-1].data


async def test_signups_are_per_date_in_a_series(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "weekly tue 17:00 | Peer evening | Library")
    await bot.press(scene.members[0], card, rsvp(bot, card, ":y"))
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    first, second = [
        s
        for s in (
            datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
            datetime(2026, 12, 8, 15, 0, tzinfo=UTC),
        )
    ]
    assert (await bot.store.rsvps.counts(meetup.meetup_id, first)).yes == 1
    assert (await bot.store.rsvps.counts(meetup.meetup_id, second)).yes == 0
    await bot.group(scene.group, scene.host, f"/meetup cancel {meetup.meetup_id} 8.12.")
    assert second in await bot.store.meetups.cancelled_occurrences(meetup.meetup_id)
    series = await bot.store.meetups.get(meetup.meetup_id)
    assert series is not None
    assert series.cancelled_at is None  # only that one date


async def test_group_reminder_times_can_be_changed(bot: Harness, scene: Scene):
    await add_meetup(bot, scene, "3.12. 17:00 | Pizza | Library")
    await bot.group(scene.group, scene.host, "/groupsettings reminders 3h")
    assert "3 hours" in bot.last(scene.group)["text"]
    (meetup,) = await bot.store.meetups.for_chats([scene.group])
    due = [
        r.due_at
        for r in await bot.store.reminders.pending_for(meetup.meetup_id)
        if r.audience == "group"
    ]
    assert due == [datetime(2026, 12, 3, 12, 0, tzinfo=UTC)]
    await bot.group(scene.group, scene.host, "/groupsettings reminders soon")
    assert bot.last(scene.group)["text"].startswith("Settings of this group")


async def test_one_date_of_a_series_can_change_alone(bot: Harness, scene: Scene):
    card = await add_meetup(bot, scene, "weekly tue 17:00 | Peer evening | Library")
    (series,) = await bot.store.meetups.for_chats([scene.group])
    first = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    await bot.press(scene.members[0], card, rsvp(bot, card, ":y"))
    await bot.group(
        scene.group, scene.host, f"/meetup edit {series.meetup_id} 1.12. when 2.12. 18:00"
    )
    assert bot.last(scene.group)["text"].startswith("Changed that date only.")
    assert first in await bot.store.meetups.cancelled_occurrences(series.meetup_id)
    single = next(
        m
        for m in await bot.store.meetups.for_chats([scene.group])
        if m.meetup_id != series.meetup_id
    )
    moved_to = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert (await bot.store.rsvps.counts(single.meetup_id, moved_to)).yes == 1
    notice = bot.last(scene.members[0])["text"]
    assert "has changed" in notice
    assert "please tell again" not in notice
    await bot.group(scene.group, scene.host, f"/meetup edit {series.meetup_id} 8.12. place Cafe")
    assert bot.last(scene.group)["text"].startswith("Changed that date only.")
