"""Anonymous questions: drafts, numbering, limits, conversations, blocks and retention.

Every test runs on both engines.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

from storage import Store
from storage.questions import (
    BLOCK_CODE_ALPHABET,
    NO_REGION,
    Question,
    SendOutcome,
    SendResult,
)

ASKER = 2**40 + 1
OTHER = 2**40 + 2
STAFF = -1009876543210
OTHER_STAFF = -1009876543211
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RETENTION = timedelta(days=30)


async def _send(
    store: Store,
    question: Question,
    now: datetime,
    *,
    asker: int = ASKER,
    show_name: bool = False,
    staff: int = STAFF,
    open_limit: int = 100,
    day_limit: int = 100,
) -> SendResult:
    return await store.questions.send(
        question.question_id,
        asker,
        show_name=show_name,
        staff_chat_id=staff,
        now=now,
        open_limit=open_limit,
        day_limit=day_limit,
    )


async def _asked(
    store: Store, now: datetime, *, asker: int = ASKER, region: str = "Lappi", body: str = "q"
) -> Question:
    draft = await store.questions.create_draft(asker, region, body, now)
    result = await _send(store, draft, now, asker=asker)
    assert result.outcome is SendOutcome.SENT
    assert result.question is not None
    return result.question


async def _table(store: Store, sql: str) -> list[dict[str, object]]:
    return [dict(row) for row in await store.db.fetch(sql)]


# --- drafts and sending ----------------------------------------------------------------------


async def test_a_draft_has_no_number_and_keeps_the_text(store: Store, now: datetime) -> None:
    draft = await store.questions.create_draft(ASKER, "Lappi", "Is this normal?", now)
    assert (draft.status, draft.number, draft.asker_id, draft.region) == (
        "draft",
        None,
        ASKER,
        "Lappi",
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", draft.question_id)
    (message,) = await store.questions.messages(draft.question_id)
    assert (message.seq, message.author, message.body) == (1, "member", "Is this normal?")


async def test_a_new_draft_replaces_the_members_older_one(store: Store, now: datetime) -> None:
    old = await store.questions.create_draft(ASKER, "Lappi", "first", now)
    others = await store.questions.create_draft(OTHER, "Lappi", "theirs", now)
    new = await store.questions.create_draft(ASKER, "Lappi", "second", now)
    assert await store.questions.get(old.question_id) is None
    assert await store.questions.get(new.question_id) is not None
    assert await store.questions.get(others.question_id) is not None
    assert not await store.questions.delete_draft(new.question_id, OTHER)
    assert await store.questions.delete_draft(new.question_id, ASKER)
    assert await store.questions.messages(new.question_id) == []


async def test_the_region_is_chosen_before_sending(store: Store, now: datetime) -> None:
    draft = await store.questions.create_draft(ASKER, None, "q", now)
    assert draft.region == NO_REGION
    assert (await _send(store, draft, now)).outcome is SendOutcome.GONE
    assert await store.questions.choose_region(draft.question_id, OTHER, "Lappi") is None
    chosen = await store.questions.choose_region(draft.question_id, ASKER, "Päijät-Häme")
    assert chosen is not None
    assert chosen.region == "Päijät-Häme"
    result = await _send(store, chosen, now)
    assert result.question is not None
    assert result.question.region == "Päijät-Häme"


async def test_numbers_count_per_region_from_one(store: Store, now: datetime) -> None:
    first = await _asked(store, now)
    second = await _asked(store, now, asker=OTHER)
    elsewhere = await _asked(store, now, region="Päijät-Häme")
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.status == "open"
    assert first.asked_at == now
    assert first.staff_chat_id == STAFF
    assert await store.questions.by_number("Lappi", 2) == second
    assert await store.questions.by_number("Päijät-Häme", 2) is None


async def test_only_the_askers_draft_is_sent_and_only_once(store: Store, now: datetime) -> None:
    draft = await store.questions.create_draft(ASKER, "Lappi", "q", now)
    assert (await _send(store, draft, now, asker=OTHER)).outcome is SendOutcome.GONE
    assert (await _send(store, draft, now, show_name=True)).outcome is SendOutcome.SENT
    assert (await _send(store, draft, now)).outcome is SendOutcome.GONE
    sent = await store.questions.get(draft.question_id)
    assert sent is not None
    assert (sent.number, sent.show_name) == (1, True)


async def test_concurrent_sends_never_share_a_number(store: Store, now: datetime) -> None:
    drafts = [
        await store.questions.create_draft(ASKER + n, "Lappi", f"q{n}", now) for n in range(20)
    ]
    results = await asyncio.gather(
        *(_send(store, d, now, asker=ASKER + n) for n, d in enumerate(drafts))
    )
    numbers = sorted(r.question.number for r in results if r.question and r.question.number)
    assert numbers == list(range(1, 21))


async def test_two_instances_never_share_a_number(
    store: Store, db_url: str, now: datetime
) -> None:
    async with await Store.open(db_url) as second:
        drafts = [
            await store.questions.create_draft(ASKER + n, "Lappi", f"q{n}", now) for n in range(16)
        ]
        results = await asyncio.gather(
            *(
                _send(store if n % 2 else second, d, now, asker=ASKER + n)
                for n, d in enumerate(drafts)
            )
        )
    numbers = sorted(r.question.number for r in results if r.question and r.question.number)
    assert numbers == list(range(1, 17))


async def test_a_double_press_sends_once(store: Store, now: datetime) -> None:
    draft = await store.questions.create_draft(ASKER, "Lappi", "q", now)
    results = await asyncio.gather(*(_send(store, draft, now) for _ in range(5)))
    assert [r.outcome for r in results].count(SendOutcome.SENT) == 1
    rows = await _table(store, "SELECT number FROM questions")
    assert rows == [{"number": 1}]


async def test_unsend_makes_a_draft_again(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    assert await store.questions.unsend(question.question_id)
    again = await store.questions.get(question.question_id)
    assert again is not None
    assert (again.status, again.number, again.staff_chat_id) == ("draft", None, None)
    resent = await _send(store, again, now)
    assert resent.question is not None
    assert resent.question.number == 1


# --- limits ----------------------------------------------------------------------------------


async def test_open_questions_are_limited(store: Store, now: datetime) -> None:
    for _ in range(2):
        draft = await store.questions.create_draft(ASKER, "Lappi", "q", now)
        assert (await _send(store, draft, now, open_limit=2)).outcome is SendOutcome.SENT
    draft = await store.questions.create_draft(ASKER, "Lappi", "q", now)
    assert (await _send(store, draft, now, open_limit=2)).outcome is SendOutcome.TOO_MANY_OPEN
    assert await store.questions.usage(ASKER, now) == (2, 2)
    (first, *_) = await _table(store, "SELECT question_id FROM questions WHERE number = 1")
    await store.questions.close(str(first["question_id"]), "member", now)
    assert (await _send(store, draft, now, open_limit=2)).outcome is SendOutcome.SENT


async def test_questions_a_day_are_counted_over_24_hours(store: Store, now: datetime) -> None:
    for n in range(3):
        question = await _asked(store, now + n * HOUR)
        await store.questions.close(question.question_id, "member", now + n * HOUR)
    later = now + 23 * HOUR
    draft = await store.questions.create_draft(ASKER, "Lappi", "q", later)
    assert (await _send(store, draft, later, day_limit=3)).outcome is SendOutcome.TOO_MANY_TODAY
    assert await store.questions.usage(ASKER, later) == (0, 3)
    next_day = now + DAY + timedelta(seconds=1)
    assert (await _send(store, draft, next_day, day_limit=3)).outcome is SendOutcome.SENT


async def test_concurrent_sends_respect_the_limit(store: Store, now: datetime) -> None:
    drafts = []
    for n in range(6):  # one draft at a time per member: make them for different regions
        drafts.append(await store.questions.create_draft(ASKER + n, f"R{n}", "q", now))
    await store.db.execute("UPDATE questions SET asker_id = $1", ASKER)
    results = await asyncio.gather(*(_send(store, d, now, open_limit=2) for d in drafts))
    outcomes = [r.outcome for r in results]
    assert outcomes.count(SendOutcome.SENT) == 2
    assert outcomes.count(SendOutcome.TOO_MANY_OPEN) == 4


# --- the conversation ------------------------------------------------------------------------


async def test_messages_route_by_their_copies(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    await store.questions.set_staff_message(question.question_id, 1, 50)
    await store.questions.set_member_message(question.question_id, 1, 7)
    later = now + HOUR
    answer = await store.questions.add_message(
        question.question_id,
        "facilitator",
        "hello",
        later,
        staff_message_id=52,
        member_message_id=9,
    )
    assert answer is not None
    assert (answer.seq, answer.author, answer.body) == (2, "facilitator", "hello")
    assert await store.questions.by_staff_message(STAFF, 50) is not None
    assert await store.questions.by_staff_message(STAFF, 52) is not None
    assert await store.questions.by_staff_message(OTHER_STAFF, 50) is None  # another chat
    found = await store.questions.by_member_message(ASKER, 9)
    assert found is not None
    assert found.question_id == question.question_id
    assert await store.questions.by_member_message(OTHER, 9) is None  # not their question


async def test_first_answer_is_kept_and_activity_moves(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    qid = question.question_id
    await store.questions.add_message(qid, "member", "more", now + HOUR)
    unanswered = await store.questions.get(qid)
    assert unanswered is not None
    assert unanswered.first_answer_at is None
    assert unanswered.last_activity_at == now + HOUR
    await store.questions.add_message(qid, "facilitator", "a1", now + 2 * HOUR)
    await store.questions.add_message(qid, "facilitator", "a2", now + 3 * HOUR)
    answered = await store.questions.get(qid)
    assert answered is not None
    assert answered.first_answer_at == now + 2 * HOUR
    assert answered.last_activity_at == now + 3 * HOUR
    assert [m.seq for m in await store.questions.messages(qid)] == [1, 2, 3, 4]


async def test_concurrent_messages_get_their_own_places(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    await asyncio.gather(
        *(
            store.questions.add_message(question.question_id, "facilitator", f"a{n}", now)
            for n in range(10)
        )
    )
    assert [m.seq for m in await store.questions.messages(question.question_id)] == list(
        range(1, 12)
    )


async def test_closing_once_and_only_the_askers_own(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    qid = question.question_id
    assert await store.questions.close(qid, "member", now, asker_id=OTHER) is None
    closings = await asyncio.gather(
        *(store.questions.close(qid, "facilitator", now) for _ in range(5))
    )
    closed = [c for c in closings if c is not None]
    assert len(closed) == 1
    assert (closed[0].status, closed[0].closed_by, closed[0].closed_at) == (
        "closed",
        "facilitator",
        now,
    )
    assert await store.questions.add_message(qid, "member", "late", now) is None


# --- blocks ----------------------------------------------------------------------------------


async def test_blocking_stops_the_asker_in_that_region_only(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    block = await store.questions.block(question.question_id, now)
    assert block is not None
    assert re.fullmatch(f"[{BLOCK_CODE_ALPHABET}]{{6}}", block.block_id)
    assert (block.region, block.question_number, block.blocked_at) == ("Lappi", 1, now)
    assert await store.questions.block(question.question_id, now + HOUR) == block  # idempotent
    assert await store.questions.is_blocked("Lappi", ASKER)
    assert not await store.questions.is_blocked("Päijät-Häme", ASKER)
    draft = await store.questions.create_draft(ASKER, "Lappi", "again", now)
    assert (await _send(store, draft, now)).outcome is SendOutcome.BLOCKED
    await _asked(store, now, region="Päijät-Häme")
    await _asked(store, now, asker=OTHER)


async def test_blocks_are_listed_and_lifted_by_code(store: Store, now: datetime) -> None:
    first = await store.questions.block((await _asked(store, now)).question_id, now)
    other = await _asked(store, now, asker=OTHER, region="Päijät-Häme")
    second = await store.questions.block(other.question_id, now)
    assert first is not None
    assert second is not None
    assert await store.questions.blocks() == [first, second]
    assert await store.questions.blocks("Päijät-Häme") == [second]
    assert await store.questions.unblock("NOSUCH") is None
    assert await store.questions.unblock(first.block_id) == first
    assert not await store.questions.is_blocked("Lappi", ASKER)
    assert await store.questions.blocks() == [second]


async def test_a_question_without_asker_cannot_be_blocked(store: Store, now: datetime) -> None:
    question = await _asked(store, now)
    await store.privacy.erase(ASKER, now)
    assert await store.questions.block(question.question_id, now) is None
    assert await store.questions.block("no-such-question", now) is None


# --- retention -------------------------------------------------------------------------------


async def test_quiet_open_questions_expire(store: Store, now: datetime) -> None:
    quiet = await _asked(store, now)
    lively = await _asked(store, now, asker=OTHER)
    await store.questions.add_message(lively.question_id, "member", "hi", now + 10 * DAY)
    later = now + RETENTION + HOUR
    result = await store.questions.expire(later, RETENTION)
    assert [q.question_id for q in result.expired] == [quiet.question_id]
    (expired,) = result.expired
    assert (expired.status, expired.closed_by, expired.closed_at, expired.asker_id) == (
        "closed",
        "expired",
        later,
        ASKER,
    )
    still = await store.questions.get(lively.question_id)
    assert still is not None
    assert still.is_open
    assert (await store.questions.expire(later, RETENTION)).expired == []


async def test_texts_and_asker_are_erased_after_retention(store: Store, now: datetime) -> None:
    question = await _asked(store, now, body="secret words")
    qid = question.question_id
    await store.questions.set_member_message(qid, 1, 7)
    await store.questions.set_staff_message(qid, 1, 50)
    await store.questions.add_message(qid, "facilitator", "answer words", now + HOUR)
    await store.questions.close(qid, "member", now + 2 * HOUR)
    kept = await store.questions.expire(now + 2 * HOUR + RETENTION - HOUR, RETENTION)
    assert kept.erased == 0
    assert (await store.questions.messages(qid))[0].body == "secret words"
    result = await store.questions.expire(now + 2 * HOUR + RETENTION + HOUR, RETENTION)
    assert result.erased == 1
    rows = await _table(
        store,
        "SELECT region, number, asker_id, show_name, status, asked_at, first_answer_at,"
        " closed_at, closed_by FROM questions",
    )
    assert rows == [
        {
            "region": "Lappi",
            "number": 1,
            "asker_id": None,
            "show_name": False if store.db.engine == "postgres" else 0,
            "status": "closed",
            "asked_at": int(now.timestamp()),
            "first_answer_at": int((now + HOUR).timestamp()),
            "closed_at": int((now + 2 * HOUR).timestamp()),
            "closed_by": "member",
        }
    ]
    messages = await _table(
        store, "SELECT body, member_message_id, author FROM question_messages ORDER BY seq"
    )
    assert messages == [
        {"body": None, "member_message_id": None, "author": "member"},
        {"body": None, "member_message_id": None, "author": "facilitator"},
    ]
    assert await store.questions.by_member_message(ASKER, 7) is None
    assert (await store.questions.expire(now + 90 * DAY, RETENTION)).erased == 0


async def test_show_name_is_forgotten_too(store: Store, now: datetime) -> None:
    draft = await store.questions.create_draft(ASKER, "Lappi", "q", now)
    await _send(store, draft, now, show_name=True)
    await store.questions.close(draft.question_id, "facilitator", now)
    assert (await store.questions.expire(now + RETENTION + HOUR, RETENTION)).erased == 1
    erased = await store.questions.get(draft.question_id)
    assert erased is not None
    assert (erased.show_name, erased.asker_id) == (False, None)


async def test_old_drafts_are_deleted(store: Store, now: datetime) -> None:
    old = await store.questions.create_draft(ASKER, "Lappi", "old", now)
    young = await store.questions.create_draft(OTHER, "Lappi", "young", now + 20 * HOUR)
    result = await store.questions.expire(now + DAY + HOUR, RETENTION)
    assert result.drafts_deleted == 1
    assert await store.questions.get(old.question_id) is None
    assert await store.questions.get(young.question_id) is not None
    assert await _table(store, "SELECT body FROM question_messages ORDER BY body") == [
        {"body": "young"}
    ]
