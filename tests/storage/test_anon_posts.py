"""Anonymous posts and forum topics in storage; every test runs on both engines."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

from storage import Store
from storage.anon_posts import AnonPost

GROUP = -1001234567890
OTHER_GROUP = -1001111111111
STAFF = -1009876543210
USER = 2**40 + 7
OTHER_USER = 2**40 + 8
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def sent_draft(store: Store, now: datetime, *, approval: bool = True) -> AnonPost:
    draft = await store.anon_posts.add_draft(USER, "Is it normal to feel this way?", now)
    await store.anon_posts.choose_place(draft.post_id, USER, GROUP, None)
    sent = await store.anon_posts.submit(draft.post_id, USER, now, 3, approval=approval)
    assert sent.post is not None
    return sent.post


async def test_a_draft_belongs_to_its_writer_and_has_no_group_yet(
    store: Store, now: datetime
) -> None:
    draft = await store.anon_posts.add_draft(USER, "Hello", now)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", draft.post_id)
    assert (draft.user_id, draft.chat_id, draft.status, draft.body) == (
        USER,
        None,
        "draft",
        "Hello",
    )
    assert await store.anon_posts.get(draft.post_id) == draft
    assert await store.anon_posts.get("nothing!") is None


async def test_only_the_writer_chooses_the_place_of_a_draft(store: Store, now: datetime) -> None:
    draft = await store.anon_posts.add_draft(USER, "Hello", now)
    assert await store.anon_posts.choose_place(draft.post_id, OTHER_USER, GROUP, None) is None
    placed = await store.anon_posts.choose_place(draft.post_id, USER, GROUP, 17)
    assert placed is not None
    assert (placed.chat_id, placed.thread_id) == (GROUP, 17)


async def test_a_draft_without_a_group_cannot_be_sent(store: Store, now: datetime) -> None:
    draft = await store.anon_posts.add_draft(USER, "Hello", now)
    sent = await store.anon_posts.submit(draft.post_id, USER, now, 3, approval=True)
    assert sent.post is None
    assert not sent.over_limit


async def test_sending_waits_for_approval_or_is_claimed_for_posting(
    store: Store, now: datetime
) -> None:
    waiting = await sent_draft(store, now)
    assert (waiting.status, waiting.decided_at) == ("pending", None)
    direct = await sent_draft(store, now, approval=False)
    assert (direct.status, direct.decided_at) == ("posted", now)


async def test_a_draft_is_sent_once_and_only_by_its_writer(store: Store, now: datetime) -> None:
    draft = await store.anon_posts.add_draft(USER, "Hello", now)
    await store.anon_posts.choose_place(draft.post_id, USER, GROUP, None)
    other = await store.anon_posts.submit(draft.post_id, OTHER_USER, now, 3, approval=True)
    assert other.post is None
    first, second = await asyncio.gather(
        store.anon_posts.submit(draft.post_id, USER, now, 3, approval=True),
        store.anon_posts.submit(draft.post_id, USER, now, 3, approval=True),
    )
    assert [first.post is None, second.post is None].count(False) == 1


async def test_the_daily_limit_is_a_rolling_day_of_sent_posts(store: Store, now: datetime) -> None:
    for _ in range(2):
        await sent_draft(store, now)
    cancelled = await store.anon_posts.add_draft(USER, "never mind", now)
    await store.anon_posts.cancel(cancelled.post_id, USER, now)
    third = await store.anon_posts.add_draft(USER, "one more", now + HOUR)
    await store.anon_posts.choose_place(third.post_id, USER, GROUP, None)
    refused = await store.anon_posts.submit(third.post_id, USER, now + HOUR, 2, approval=True)
    assert refused.over_limit
    assert (await store.anon_posts.get(third.post_id)).status == "draft"  # type: ignore[union-attr]
    assert await store.anon_posts.sent_since(USER, now - DAY) == [now, now]
    later = now + DAY
    accepted = await store.anon_posts.submit(third.post_id, USER, later, 2, approval=True)
    assert accepted.post is not None
    assert accepted.post.created_at == later  # counted from sending


async def test_concurrent_sending_cannot_pass_the_limit(store: Store, now: datetime) -> None:
    drafts = []
    for _ in range(4):
        draft = await store.anon_posts.add_draft(USER, "Hello", now)
        await store.anon_posts.choose_place(draft.post_id, USER, GROUP, None)
        drafts.append(draft)
    results = await asyncio.gather(
        *(store.anon_posts.submit(d.post_id, USER, now, 2, approval=True) for d in drafts)
    )
    assert sum(r.post is not None for r in results) == 2
    assert sum(r.over_limit for r in results) == 2


async def test_a_waiting_post_is_decided_once(store: Store, now: datetime) -> None:
    post = await sent_draft(store, now)
    assert await store.anon_posts.set_staff_message(post.post_id, STAFF, 55)
    approved, rejected = await asyncio.gather(
        store.anon_posts.approve(post.post_id, now + HOUR),
        store.anon_posts.reject(post.post_id, now + HOUR),
    )
    assert [approved, rejected].count(None) == 1
    decided = await store.anon_posts.get(post.post_id)
    assert decided is not None
    assert decided.status in ("posted", "rejected")
    assert decided.decided_at == now + HOUR
    assert await store.anon_posts.approve(post.post_id, now) is None
    assert await store.anon_posts.cancel(post.post_id, USER, now) is None


async def test_a_failed_posting_waits_again_or_becomes_a_draft(
    store: Store, now: datetime
) -> None:
    post = await sent_draft(store, now)
    await store.anon_posts.set_staff_message(post.post_id, STAFF, 55)
    await store.anon_posts.approve(post.post_id, now)
    assert await store.anon_posts.undo_approval(post.post_id)
    assert (await store.anon_posts.get(post.post_id)).status == "pending"  # type: ignore[union-attr]
    direct = await sent_draft(store, now, approval=False)
    assert not await store.anon_posts.undo_approval(direct.post_id)
    assert await store.anon_posts.back_to_draft(direct.post_id)
    again = await store.anon_posts.get(direct.post_id)
    assert again is not None
    assert (again.status, again.decided_at) == ("draft", None)
    published = await sent_draft(store, now, approval=False)
    await store.anon_posts.set_published(published.post_id, 99)
    assert not await store.anon_posts.back_to_draft(published.post_id)
    assert (await store.anon_posts.get(published.post_id)).group_message_id == 99  # type: ignore[union-attr]


async def test_the_writer_may_withdraw_a_draft_or_a_waiting_post(
    store: Store, now: datetime
) -> None:
    post = await sent_draft(store, now)
    assert await store.anon_posts.cancel(post.post_id, OTHER_USER, now) is None
    cancelled = await store.anon_posts.cancel(post.post_id, USER, now + HOUR)
    assert cancelled is not None
    assert (cancelled.status, cancelled.decided_at) == ("cancelled", now + HOUR)
    assert await store.anon_posts.set_staff_message(post.post_id, STAFF, 1) is False


async def test_a_rejection_is_told_once_by_reply_button_or_timeout(
    store: Store, now: datetime
) -> None:
    post = await sent_draft(store, now)
    await store.anon_posts.set_staff_message(post.post_id, STAFF, 55)
    assert await store.anon_posts.awaiting_reason(STAFF, 55) is None  # still waiting
    rejected = await store.anon_posts.reject(post.post_id, now)
    assert rejected is not None
    assert rejected.awaits_reason
    found = await store.anon_posts.awaiting_reason(STAFF, 55)
    assert found is not None
    assert found.post_id == post.post_id
    assert await store.anon_posts.awaiting_reason(STAFF, 56) is None
    assert await store.anon_posts.take_unexplained(now) == []  # not old enough
    taken, again = await asyncio.gather(
        store.anon_posts.take_rejection(post.post_id),
        store.anon_posts.take_rejection(post.post_id),
    )
    assert [taken, again].count(None) == 1
    assert await store.anon_posts.awaiting_reason(STAFF, 55) is None
    assert await store.anon_posts.take_unexplained(now + DAY) == []


async def test_unexplained_rejections_are_taken_with_their_staff_message(
    store: Store, now: datetime
) -> None:
    post = await sent_draft(store, now)
    await store.anon_posts.set_staff_message(post.post_id, STAFF, 55)
    await store.anon_posts.reject(post.post_id, now)
    (taken,) = await store.anon_posts.take_unexplained(now + HOUR)
    assert (taken.post_id, taken.staff_chat_id, taken.staff_message_id) == (
        post.post_id,
        STAFF,
        55,
    )
    assert await store.anon_posts.take_unexplained(now + HOUR) == []
    assert await store.anon_posts.take_rejection(post.post_id) is None


async def test_retention_erases_decided_posts_and_old_drafts(store: Store, now: datetime) -> None:
    old = await sent_draft(store, now, approval=False)
    waiting = await sent_draft(store, now)
    cancelled = await store.anon_posts.add_draft(USER, "not this", now)
    await store.anon_posts.cancel(cancelled.post_id, USER, now)
    later = now + 30 * DAY
    fresh_draft = await store.anon_posts.add_draft(USER, "thinking", later - HOUR)
    stale_draft = await store.anon_posts.add_draft(USER, "forgotten", now)
    changed = await store.anon_posts.erase_old(later - 29 * DAY, later - DAY)
    assert changed == 3  # two decided ones erased, one old draft deleted
    for post_id in (old.post_id, cancelled.post_id):
        erased = await store.anon_posts.get(post_id)
        assert erased is not None
        assert (erased.user_id, erased.body) == (None, None)
    kept = await store.anon_posts.get(waiting.post_id)
    assert kept is not None
    assert (kept.user_id, kept.body) == (USER, waiting.body)  # not decided yet
    assert await store.anon_posts.get(stale_draft.post_id) is None
    assert await store.anon_posts.get(fresh_draft.post_id) is not None
    assert await store.anon_posts.erase_old(later, later - DAY) == 0


async def test_recently_decided_posts_are_kept(store: Store, now: datetime) -> None:
    post = await sent_draft(store, now, approval=False)
    assert await store.anon_posts.erase_old(now - DAY, now - DAY) == 0
    assert (await store.anon_posts.get(post.post_id)).body is not None  # type: ignore[union-attr]


# --- forum topics ----------------------------------------------------------------------------


async def test_topics_are_recorded_renamed_closed_and_reopened(store: Store) -> None:
    topics = store.topics
    created = await topics.record(GROUP, 5, title="Chat")
    assert created is not None
    assert (created.title, created.closed) == ("Chat", False)
    await topics.record(GROUP, 9, title="Studies")
    await topics.record(OTHER_GROUP, 5, title="Elsewhere")
    await topics.record(GROUP, 5, title="Free chat")
    assert [t.title for t in await topics.open_topics(GROUP)] == ["Free chat", "Studies"]
    closed = await topics.record(GROUP, 9, closed=True)
    assert closed is not None
    assert closed.closed
    assert [t.thread_id for t in await topics.open_topics(GROUP)] == [5]
    await topics.record(GROUP, 9, title="Studies and work")  # renaming keeps it closed
    assert (await topics.get(GROUP, 9)).closed  # type: ignore[union-attr]
    await topics.record(GROUP, 9, closed=False)
    assert [t.thread_id for t in await topics.open_topics(GROUP)] == [5, 9]


async def test_an_unknown_topic_needs_a_title(store: Store) -> None:
    assert await store.topics.record(GROUP, 7, closed=True) is None
    assert await store.topics.get(GROUP, 7) is None
    learned = await store.topics.record(GROUP, 7, title="Old topic", closed=True)
    assert learned is not None
    assert learned.closed
    assert await store.topics.open_topics(GROUP) == []
    assert await store.topics.forget(GROUP, 7)
    assert not await store.topics.forget(GROUP, 7)
