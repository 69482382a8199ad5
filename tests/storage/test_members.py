"""MemberRepository, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import Member, Store

USER = 2**40 + 7  # Telegram user ids do not fit in 32 bits


async def test_an_unknown_member_is_none(store: Store) -> None:
    assert await store.members.get(USER) is None


async def test_set_language_creates_then_updates(store: Store) -> None:
    await store.members.set_language(USER, "fi")
    assert await store.members.get(USER) == Member(USER, "fi", None, False)
    await store.members.set_language(USER, "se")
    assert await store.members.get(USER) == Member(USER, "se", None, False)
    await store.members.set_language(USER, None)
    assert await store.members.get(USER) == Member(USER, None, None, False)


async def test_mark_started_creates_a_reachable_member(store: Store, now: datetime) -> None:
    member = await store.members.mark_started(USER, now)
    assert member == Member(USER, None, now, True)
    assert await store.members.get(USER) == member


async def test_mark_started_keeps_the_first_start(store: Store, now: datetime) -> None:
    await store.members.set_language(USER, "sv")
    first = await store.members.mark_started(USER, now)
    await store.members.set_reachable(USER, False)
    again = await store.members.mark_started(USER, now + timedelta(days=3))
    assert again == Member(USER, "sv", now, True)
    assert first.started_at == again.started_at == now


async def test_set_reachable_creates_and_toggles(store: Store, now: datetime) -> None:
    await store.members.set_reachable(USER, False)
    assert await store.members.get(USER) == Member(USER, None, None, False)
    await store.members.mark_started(USER, now)
    await store.members.set_reachable(USER, False)
    assert await store.members.get(USER) == Member(USER, None, now, False)
    await store.members.set_reachable(USER, True)
    member = await store.members.get(USER)
    assert member is not None
    assert member.reachable is True  # a bool, also on SQLite


async def test_delete_erases_only_that_member(store: Store, now: datetime) -> None:
    await store.members.mark_started(USER, now)
    await store.members.mark_started(USER + 1, now)
    assert await store.members.delete(USER) is True
    assert await store.members.get(USER) is None
    assert await store.members.delete(USER) is False
    assert await store.members.get(USER + 1) is not None


async def test_times_come_back_as_aware_utc(store: Store) -> None:
    helsinki_summer = timezone(timedelta(hours=3))
    at = datetime(2026, 6, 21, 23, 30, 15, 999_000, tzinfo=helsinki_summer)
    member = await store.members.mark_started(USER, at)
    assert member.started_at == at.replace(microsecond=0)
    assert member.started_at is not None
    assert member.started_at.tzinfo is UTC
    assert member.started_at.hour == 20


async def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        await store.members.mark_started(USER, datetime(2026, 1, 1))
    assert await store.members.get(USER) is None


def test_members_are_frozen() -> None:
    member = Member(USER, "fi", None, True)
    with pytest.raises(AttributeError):
        member.language = "en"  # type: ignore[misc]
