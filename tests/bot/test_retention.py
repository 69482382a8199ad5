"""The daily retention round and what an erasure leaves behind in Telegram."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import Harness

JOB = "privacy-retention"
DAY = timedelta(days=1)


async def test_last_use_is_kept_to_the_day(bot: Harness):
    user = bot.api.add_user(language_code="en")
    await bot.private(user, "/start")
    first = await bot.store.members.get(user)
    assert first is not None
    assert first.last_seen_at == bot.clock.now()
    bot.clock.advance(timedelta(hours=5))
    await bot.private(user, "/help")
    same_day = await bot.store.members.get(user)
    assert same_day is not None
    assert same_day.last_seen_at == first.last_seen_at  # no write for every message
    bot.clock.advance(DAY)
    await bot.private(user, "/help")
    later = await bot.store.members.get(user)
    assert later is not None
    assert later.last_seen_at == bot.clock.now()


async def test_members_gone_quiet_and_in_no_group_are_erased(bot: Harness, admin: int):
    quiet = bot.api.add_user(language_code="en")
    in_group = bot.api.add_user(language_code="en")
    recent = bot.api.add_user(language_code="en")
    group = bot.api.add_group(members=[in_group], owner=admin)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    for user in (quiet, in_group):
        await bot.private(user, "/start")
        await bot.store.rsvps.subscribe(user, group, bot.clock.now())
    await bot.store.joins.record_consent(in_group, group, 0, bot.clock.now())
    bot.clock.advance(timedelta(days=100))
    await bot.private(recent, "/start")
    bot.clock.advance(timedelta(days=81))  # quiet: 181 days, recent: 81 days

    await bot.run_job(JOB)

    assert await bot.store.members.get(quiet) is None
    assert await bot.store.rsvps.subscriptions_of(quiet) == []
    assert await bot.store.members.get(in_group) is not None
    assert await bot.store.rsvps.subscriptions_of(in_group) == [group]
    assert await bot.store.members.get(recent) is not None
    # Erased quietly: the bot does not write to someone who has gone.
    assert bot.api.sent_messages(quiet)[-1]["text"].startswith("Hi, and welcome!")


async def test_old_moderation_log_entries_go_and_reasons_go_sooner(bot: Harness, admin: int):
    group = bot.api.add_group(owner=admin)
    ref = await bot.store.refs.ref_for(admin)
    now = bot.clock.now()
    old = await bot.store.audit.record(group, now - timedelta(days=366), ref, "warn", reason="a")
    middle = await bot.store.audit.record(group, now - timedelta(days=91), ref, "warn", reason="b")
    fresh = await bot.store.audit.record(group, now - timedelta(days=89), ref, "warn", reason="c")

    await bot.run_job(JOB)

    assert await bot.store.audit.get(old.entry_id) is None
    kept = await bot.store.audit.get(middle.entry_id)
    assert kept is not None
    assert (kept.action, kept.reason) == ("warn", None)
    latest = await bot.store.audit.get(fresh.entry_id)
    assert latest is not None
    assert latest.reason == "c"


async def test_erasure_tells_the_staff_about_withdrawn_questions(bot: Harness, admin: int):
    member = bot.api.add_user(first_name="Asker-Name", language_code="en")
    staff = bot.api.add_group(title="Staff", owner=admin)
    await bot.store.chats.register(staff, "staff", "Lappi", "en", bot.clock.now())
    await bot.private(member, "/start")
    at = int(bot.clock.now().timestamp())
    await bot.store.db.execute(
        """
        INSERT INTO questions (question_id, region, number, asker_id, status, created_at,
            asked_at, last_activity_at, staff_chat_id)
        VALUES ('q1', 'Lappi', 17, $1, 'open', $2, $2, $2, $3)
        """,
        member,
        at,
        staff,
    )
    await bot.private(member, "/forgetme")
    await bot.press(member, bot.last(member), "forget:yes")
    (notice,) = bot.api.sent_messages(staff)
    assert notice["text"].startswith("Question #17 was withdrawn")
    assert "Asker-Name" not in notice["text"]
    assert str(member) not in notice["text"]
    row = await bot.store.db.fetchrow("SELECT asker_id, status FROM questions")
    assert row is not None
    assert (row["asker_id"], row["status"]) == (None, "closed")
