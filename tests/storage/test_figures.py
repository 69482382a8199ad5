"""FigureRepository: anonymous per-group counts and what a region's figures are read from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage import Store

GROUP = -1001234567890
OTHER_GROUP = -1001111111111
MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


async def test_counts_add_up_and_snapshots_replace(store: Store) -> None:
    day = date(2026, 3, 5)
    await store.figures.count(day, GROUP, "Lappi", "joined")
    await store.figures.count(day, GROUP, "Lappi", "joined", 2)
    await store.figures.count(day, OTHER_GROUP, "Päijät-Häme", "joined")
    await store.figures.set_value(day, GROUP, "Lappi", "members", 12)
    await store.figures.set_value(day, GROUP, "Lappi", "members", 11)
    found = await store.figures.group_counts("Lappi", date(2026, 3, 1), date(2026, 3, 31))
    assert [(c.day, c.chat_id, c.metric, c.count) for c in found] == [
        (day, GROUP, "joined", 3),
        (day, GROUP, "members", 11),
    ]
    assert await store.figures.group_counts("Lappi", date(2026, 3, 6), date(2026, 4, 1)) == []


async def test_region_counts_read_the_daily_counts(store: Store) -> None:
    await store.counts.add(date(2026, 3, 5), "contact_views", "Lappi", 3)
    await store.counts.add(date(2026, 3, 5), "crisis_views", "")
    found = await store.figures.region_counts("Lappi", date(2026, 3, 1), date(2026, 3, 31))
    assert [(c.day, c.metric, c.count) for c in found] == [(date(2026, 3, 5), "contact_views", 3)]


async def test_held_meetups_and_their_answers_in_a_period(store: Store, now: datetime) -> None:
    starts = MARCH + timedelta(days=9, hours=15)
    for at, chat, region in ((starts, GROUP, "Lappi"), (APRIL, OTHER_GROUP, "Lappi")):
        await store.checkins.record_held(
            "m1", at, chat, region, coming=4, maybe=0, due_at=now, closes_at=now + timedelta(1)
        )
    [held] = [h for h in await store.checkins.claim_due(now) if h.starts_at == starts]
    await store.checkins.invite(held.checkin_id, [1])
    await store.checkins.answer(held.checkin_id, 1, "how", "4", now)
    march = await store.figures.held("Lappi", MARCH, APRIL)
    assert [(h.starts_at, h.chat_id, h.coming) for h in march] == [(starts, GROUP, 4)]
    answers = await store.figures.checkin_counts("Lappi", MARCH, APRIL)
    assert [(a.chat_id, a.question, a.answer, a.count) for a in answers] == [
        (GROUP, "how", "4", 1)
    ]
    assert await store.figures.checkin_counts("Päijät-Häme", MARCH, APRIL) == []


async def test_questions_asked_and_first_answered(store: Store) -> None:
    asked = int((MARCH + timedelta(days=2)).timestamp())
    insert = """
        INSERT INTO questions (question_id, region, number, status, created_at, asked_at,
            first_answer_at, last_activity_at)
        VALUES ($1, $2, $3, 'open', $4, $5, $6, $4)
    """
    await store.db.execute(insert, "q1", "Lappi", 1, asked, asked, asked + 3600)
    await store.db.execute(insert, "q2", "Lappi", 2, asked, asked, None)
    await store.db.execute(insert, "q3", "Lappi", None, asked, None, None)  # a draft
    await store.db.execute(insert, "q4", "Kainuu", 1, asked, asked, None)
    found = await store.figures.questions("Lappi", MARCH, APRIL)
    assert [(q.asked_at, q.first_answer_at) for q in found] == [
        (MARCH + timedelta(days=2), MARCH + timedelta(days=2, hours=1)),
        (MARCH + timedelta(days=2), None),
    ]
