"""Moderation storage: facilitators, member refs, warnings, audit log, reports, flood counts.

Every test runs on both engines. Chat options and moving a group are in test_chats.py.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest

from storage import AuditEntry, Report, Store
from storage.models import to_timestamp

GROUP = -1001234567890
OTHER_GROUP = -1001111111111
STAFF = -1009876543210
USER = 2**40 + 7
OTHER_USER = 2**40 + 8
FACILITATOR = 2**40 + 9
TOKEN = re.compile(r"[A-Za-z0-9_-]{12}")
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# --- facilitators ----------------------------------------------------------------------------


async def test_nothing_cached_is_empty_and_has_no_time(store: Store) -> None:
    assert await store.facilitators.cached(GROUP) == (frozenset(), None)
    assert await store.facilitators.is_cached_facilitator(GROUP, USER) is False


async def test_replace_makes_the_list_exactly_the_given_ids(store: Store, now: datetime) -> None:
    await store.facilitators.replace(GROUP, [USER, OTHER_USER, USER], now)
    assert await store.facilitators.cached(GROUP) == (frozenset({USER, OTHER_USER}), now)
    later = now + HOUR
    await store.facilitators.replace(GROUP, iter([OTHER_USER, FACILITATOR]), later)
    assert await store.facilitators.cached(GROUP) == (frozenset({OTHER_USER, FACILITATOR}), later)
    assert await store.facilitators.is_cached_facilitator(GROUP, USER) is False
    assert await store.facilitators.is_cached_facilitator(GROUP, FACILITATOR) is True
    await store.facilitators.replace(GROUP, [], later)
    assert await store.facilitators.cached(GROUP) == (frozenset(), None)


async def test_each_group_has_its_own_list(store: Store, now: datetime) -> None:
    await store.facilitators.replace(GROUP, [USER], now)
    await store.facilitators.replace(OTHER_GROUP, [OTHER_USER], now + HOUR)
    await store.facilitators.replace(GROUP, [FACILITATOR], now)
    assert await store.facilitators.cached(OTHER_GROUP) == (frozenset({OTHER_USER}), now + HOUR)
    assert await store.facilitators.is_cached_facilitator(OTHER_GROUP, FACILITATOR) is False
    assert await store.facilitators.is_cached_facilitator(GROUP, OTHER_USER) is False


async def test_add_and_remove_change_one_facilitator(store: Store, now: datetime) -> None:
    await store.facilitators.replace(GROUP, [USER], now)
    await store.facilitators.add(GROUP, OTHER_USER, now + HOUR)
    # The oldest refresh time is the one to judge the whole list by.
    assert await store.facilitators.cached(GROUP) == (frozenset({USER, OTHER_USER}), now)
    await store.facilitators.add(GROUP, USER, now + 2 * HOUR)  # confirmed again: refreshed
    assert await store.facilitators.cached(GROUP) == (frozenset({USER, OTHER_USER}), now + HOUR)
    assert await store.facilitators.remove(GROUP, OTHER_USER) is True
    assert await store.facilitators.remove(GROUP, OTHER_USER) is False
    assert await store.facilitators.cached(GROUP) == (frozenset({USER}), now + 2 * HOUR)
    assert await store.facilitators.is_cached_facilitator(GROUP, OTHER_USER) is False


async def test_add_to_an_empty_cache(store: Store, now: datetime) -> None:
    await store.facilitators.add(GROUP, USER, now)
    assert await store.facilitators.cached(GROUP) == (frozenset({USER}), now)
    assert await store.facilitators.is_cached_facilitator(GROUP, USER) is True


async def test_concurrent_replacements_do_not_mix(store: Store, now: datetime) -> None:
    lists = [frozenset({USER, OTHER_USER}), frozenset({FACILITATOR}), frozenset({USER + 100})]
    await asyncio.gather(
        *(store.facilitators.replace(GROUP, ids, now) for ids in lists * 4),
        *(store.facilitators.replace(OTHER_GROUP, ids, now) for ids in lists * 4),
    )
    assert (await store.facilitators.cached(GROUP))[0] in lists
    assert (await store.facilitators.cached(OTHER_GROUP))[0] in lists


# --- member refs -----------------------------------------------------------------------------


async def test_ref_for_makes_one_opaque_ref_per_member(store: Store) -> None:
    ref = await store.refs.ref_for(USER)
    assert TOKEN.fullmatch(ref)
    assert str(USER) not in ref
    assert await store.refs.ref_for(USER) == ref
    other = await store.refs.ref_for(OTHER_USER)
    assert other != ref
    assert await store.refs.user_for(ref) == USER
    assert await store.refs.user_for(other) == OTHER_USER
    assert await store.refs.user_for("no-such-ref") is None


async def test_forget_unlinks_the_ref(store: Store) -> None:
    ref = await store.refs.ref_for(USER)
    other = await store.refs.ref_for(OTHER_USER)
    assert await store.refs.forget(USER) is True
    assert await store.refs.forget(USER) is False
    assert await store.refs.user_for(ref) is None
    assert await store.refs.user_for(other) == OTHER_USER
    # A later ref is a new one: nothing ties it to the forgotten entries.
    new = await store.refs.ref_for(USER)
    assert new != ref
    assert await store.refs.user_for(new) == USER


async def test_concurrent_ref_for_gives_one_ref(store: Store) -> None:
    refs = await asyncio.gather(*(store.refs.ref_for(USER) for _ in range(20)))
    assert len(set(refs)) == 1
    assert await store.db.fetchval("SELECT COUNT(*) FROM member_refs") == 1


async def test_two_instances_get_the_same_ref(db_url: str, now: datetime) -> None:
    first, second = await Store.open(db_url), await Store.open(db_url)
    try:
        await first.migrate(now)
        refs = await asyncio.gather(
            *(instance.refs.ref_for(USER) for instance in [first, second] * 10)
        )
    finally:
        await first.close()
        await second.close()
    assert len(set(refs)) == 1


# --- warnings --------------------------------------------------------------------------------


async def test_add_returns_the_active_warnings(store: Store, now: datetime) -> None:
    month = now + timedelta(days=30)
    assert await store.warnings.add(GROUP, USER, now, month) == 1
    assert await store.warnings.add(GROUP, USER, now + HOUR, month) == 2
    assert await store.warnings.add(GROUP, OTHER_USER, now, month) == 1
    assert await store.warnings.add(OTHER_GROUP, USER, now, month) == 1
    assert await store.warnings.add(GROUP, USER, now + 2 * HOUR, month) == 3
    assert await store.warnings.active(GROUP, USER, now + 2 * HOUR) == 3
    assert await store.warnings.active(GROUP, OTHER_USER, now) == 1
    assert await store.warnings.active(OTHER_GROUP, OTHER_USER, now) == 0


async def test_a_warning_counts_until_it_expires(store: Store, now: datetime) -> None:
    expires = now + DAY
    await store.warnings.add(GROUP, USER, now, expires)
    assert await store.warnings.active(GROUP, USER, expires - SECOND) == 1
    assert await store.warnings.active(GROUP, USER, expires) == 0  # expired at expires_at
    # An expired warning does not count towards a new one.
    assert await store.warnings.add(GROUP, USER, expires, expires + DAY) == 1
    assert await store.warnings.active(GROUP, USER, expires - SECOND) == 2
    assert await store.warnings.active(GROUP, USER, expires + DAY) == 0


async def test_a_warning_that_is_already_expired_does_not_count(
    store: Store, now: datetime
) -> None:
    assert await store.warnings.add(GROUP, USER, now, now) == 0
    assert await store.warnings.add(GROUP, USER, now, now - SECOND) == 0
    assert await store.warnings.active(GROUP, USER, now - 2 * SECOND) == 2
    assert await store.warnings.active(GROUP, USER, now) == 0


async def test_remove_last_takes_back_the_newest_active_one(store: Store, now: datetime) -> None:
    await store.warnings.add(GROUP, USER, now, now + 10 * DAY)
    await store.warnings.add(GROUP, USER, now + DAY, now + 2 * DAY)  # newest, expires first
    await store.warnings.add(GROUP, OTHER_USER, now + DAY, now + 10 * DAY)
    assert await store.warnings.remove_last(GROUP, USER, now + DAY + HOUR) is True
    rows = await store.db.fetch(
        "SELECT given_at FROM warnings WHERE chat_id = $1 AND user_id = $2", GROUP, USER
    )
    assert rows == [{"given_at": to_timestamp(now)}]
    assert await store.warnings.active(GROUP, OTHER_USER, now + DAY) == 1


async def test_remove_last_skips_expired_warnings(store: Store, now: datetime) -> None:
    await store.warnings.add(GROUP, USER, now, now + 10 * DAY)
    await store.warnings.add(GROUP, USER, now + DAY, now + 2 * DAY)
    later = now + 3 * DAY  # the newest one has expired: the older, still active one goes
    assert await store.warnings.remove_last(GROUP, USER, later) is True
    assert await store.warnings.active(GROUP, USER, now + DAY) == 1
    assert await store.warnings.remove_last(GROUP, USER, later) is False
    assert await store.warnings.remove_last(OTHER_GROUP, USER, later) is False
    assert await store.warnings.remove_last(GROUP, USER, now + DAY) is True  # still active then


async def test_clear_deletes_all_of_a_members_warnings(store: Store, now: datetime) -> None:
    await store.warnings.add(GROUP, USER, now, now + DAY)
    await store.warnings.add(GROUP, USER, now, now + 2 * DAY)
    await store.warnings.add(GROUP, USER, now - 2 * DAY, now - DAY)  # expired, still stored
    await store.warnings.add(GROUP, OTHER_USER, now, now + DAY)
    await store.warnings.add(OTHER_GROUP, USER, now, now + DAY)
    assert await store.warnings.clear(GROUP, USER) == 3
    assert await store.warnings.clear(GROUP, USER) == 0
    assert await store.warnings.active(GROUP, USER, now - 3 * DAY) == 0
    assert await store.warnings.active(GROUP, OTHER_USER, now) == 1
    assert await store.warnings.active(OTHER_GROUP, USER, now) == 1


async def test_purge_expired_deletes_from_expires_at_on(store: Store, now: datetime) -> None:
    await store.warnings.add(GROUP, USER, now - DAY, now - SECOND)
    await store.warnings.add(GROUP, OTHER_USER, now - DAY, now)  # expires exactly now
    await store.warnings.add(OTHER_GROUP, USER, now - DAY, now + SECOND)
    assert await store.warnings.purge_expired(now) == 2
    assert await store.warnings.purge_expired(now) == 0
    assert await store.db.fetchval("SELECT COUNT(*) FROM warnings") == 1
    assert await store.warnings.active(OTHER_GROUP, USER, now) == 1


async def test_concurrent_warnings_each_see_the_others(store: Store, now: datetime) -> None:
    counts = await asyncio.gather(
        *(store.warnings.add(GROUP, USER, now, now + DAY) for _ in range(6))
    )
    assert sorted(counts) == [1, 2, 3, 4, 5, 6]


async def test_concurrent_remove_last_removes_one_each(store: Store, now: datetime) -> None:
    for minutes in range(3):
        await store.warnings.add(GROUP, USER, now + timedelta(minutes=minutes), now + DAY)
    removed = await asyncio.gather(
        *(store.warnings.remove_last(GROUP, USER, now + HOUR) for _ in range(4))
    )
    assert sorted(removed) == [False, True, True, True]
    assert await store.warnings.active(GROUP, USER, now) == 0


# --- audit log -------------------------------------------------------------------------------


async def test_record_stores_and_returns_the_entry(store: Store, now: datetime) -> None:
    entry = await store.audit.record(
        GROUP,
        now,
        "actor-ref",
        "mute",
        target_ref="target-ref",
        duration_seconds=3600,
        reason="Toistuva kiusaaminen; 'lainaus' $1",
    )
    assert TOKEN.fullmatch(entry.entry_id)
    assert entry == AuditEntry(
        entry.entry_id,
        GROUP,
        now,
        "actor-ref",
        "mute",
        "target-ref",
        3600,
        "Toistuva kiusaaminen; 'lainaus' $1",
        None,
    )
    assert await store.audit.get(entry.entry_id) == entry
    assert await store.audit.get("no-such-entry") is None


async def test_record_without_the_optional_parts(store: Store, now: datetime) -> None:
    entry = await store.audit.record(GROUP, now, "actor-ref", "refresh_facilitators")
    assert entry == AuditEntry(
        entry.entry_id, GROUP, now, "actor-ref", "refresh_facilitators", None, None, None, None
    )
    assert await store.audit.get(entry.entry_id) == entry


async def test_recent_is_newest_first_across_the_given_groups(store: Store, now: datetime) -> None:
    first = await store.audit.record(GROUP, now, "a", "warn", target_ref="t")
    second = await store.audit.record(OTHER_GROUP, now + SECOND, "a", "mute", target_ref="t")
    elsewhere = await store.audit.record(STAFF, now + 2 * SECOND, "a", "ban", target_ref="t")
    third = await store.audit.record(GROUP, now + HOUR, "b", "unwarn", target_ref="t")
    assert await store.audit.recent([GROUP, OTHER_GROUP], 10) == [third, second, first]
    assert await store.audit.recent([OTHER_GROUP, GROUP, GROUP], 2) == [third, second]
    assert await store.audit.recent([GROUP], 10) == [third, first]
    assert await store.audit.recent([STAFF], 1) == [elsewhere]
    assert await store.audit.recent([GROUP], 0) == []
    assert await store.audit.recent([], 10) == []
    assert await store.audit.recent([-1], 10) == []


async def test_recent_with_many_groups(store: Store, now: datetime) -> None:
    groups = [GROUP - n for n in range(15)]
    for n, chat_id in enumerate(groups):
        await store.audit.record(chat_id, now + n * SECOND, "a", "warn")
    recent = await store.audit.recent(groups, 12)
    assert [entry.chat_id for entry in recent] == groups[::-1][:12]


async def test_mark_undone_is_true_once(store: Store, now: datetime) -> None:
    entry = await store.audit.record(GROUP, now, "a", "ban", target_ref="t")
    later = now + HOUR
    assert await store.audit.mark_undone(entry.entry_id, later) is True
    assert await store.audit.mark_undone(entry.entry_id, later + HOUR) is False
    undone = await store.audit.get(entry.entry_id)
    assert undone is not None
    assert undone.undone_at == later
    assert await store.audit.mark_undone("no-such-entry", later) is False


async def test_mark_undone_is_true_once_even_when_concurrent(store: Store, now: datetime) -> None:
    entry = await store.audit.record(GROUP, now, "a", "mute", target_ref="t")
    results = await asyncio.gather(
        *(store.audit.mark_undone(entry.entry_id, now + n * SECOND) for n in range(10))
    )
    assert results.count(True) == 1


# --- reports: the rate limit -----------------------------------------------------------------


async def _events(store: Store) -> int:
    return int(await store.db.fetchval("SELECT COUNT(*) FROM report_events"))


async def test_the_report_limit_counts_the_last_hour(store: Store, now: datetime) -> None:
    for n in range(3):
        assert await store.reports.try_count_report("r", now + n * 10 * SECOND, 3) is True
    assert await store.reports.try_count_report("r", now + HOUR - SECOND, 3) is False
    assert await _events(store) == 3  # a refused report is not counted
    # Exactly an hour later the first report no longer counts, so there is room for one.
    assert await store.reports.try_count_report("r", now + HOUR, 3) is True
    assert await store.reports.try_count_report("r", now + HOUR, 3) is False
    assert await store.reports.try_count_report("r", now + HOUR + 10 * SECOND, 3) is True
    assert await _events(store) == 5


async def test_the_report_limit_is_per_member(store: Store, now: datetime) -> None:
    assert await store.reports.try_count_report("r", now, 1) is True
    assert await store.reports.try_count_report("r", now, 1) is False
    assert await store.reports.try_count_report("s", now, 1) is True
    assert await store.reports.try_count_report("r", now, 2) is True  # a higher limit
    assert await store.reports.try_count_report("t", now, 0) is False
    assert await _events(store) == 3


async def test_concurrent_reports_do_not_exceed_the_limit(store: Store, now: datetime) -> None:
    results = await asyncio.gather(
        *(store.reports.try_count_report("r", now, 3) for _ in range(10))
    )
    assert results.count(True) == 3
    assert await _events(store) == 3


async def test_purge_events_before_the_cutoff(store: Store, now: datetime) -> None:
    await store.reports.try_count_report("r", now - HOUR, 10)
    await store.reports.try_count_report("s", now - SECOND, 10)
    await store.reports.try_count_report("r", now, 10)  # at the cutoff: kept
    assert await store.reports.purge_events_before(now) == 2
    assert await store.reports.purge_events_before(now) == 0
    assert await _events(store) == 1


# --- reports ---------------------------------------------------------------------------------


async def test_the_first_report_makes_the_report(store: Store, now: datetime) -> None:
    report, new = await store.reports.add(GROUP, 5, "r1", now)
    assert new is True
    assert TOKEN.fullmatch(report.report_id)
    assert report == Report(report.report_id, GROUP, 5, now, 1, None, None)
    assert await store.reports.get(report.report_id) == report
    assert await store.reports.get("no-such-report") is None


async def test_later_reports_of_the_message_merge(store: Store, now: datetime) -> None:
    first, _ = await store.reports.add(GROUP, 5, "r1", now)
    again, new = await store.reports.add(GROUP, 5, "r1", now + HOUR)
    assert (again, new) == (first, False)  # the same reporter counts once
    second, new = await store.reports.add(GROUP, 5, "r2", now + HOUR)
    assert new is True
    assert second == Report(first.report_id, GROUP, 5, now, 2, None, None)
    other_message, _ = await store.reports.add(GROUP, 6, "r1", now)
    other_group, _ = await store.reports.add(OTHER_GROUP, 5, "r1", now)
    ids = {first.report_id, other_message.report_id, other_group.report_id}
    assert len(ids) == 3
    assert other_message.reporters == other_group.reporters == 1


async def test_concurrent_reporters_are_all_counted(store: Store, now: datetime) -> None:
    results = await asyncio.gather(
        *(store.reports.add(GROUP, 5, ref, now) for ref in ("r1", "r2", "r3"))
    )
    assert {report.report_id for report, _ in results} == {results[0][0].report_id}
    assert all(new for _, new in results)
    assert sorted(report.reporters for report, _ in results) == [1, 2, 3]
    stored = await store.reports.get(results[0][0].report_id)
    assert stored is not None
    assert stored.reporters == 3


async def test_one_reporter_many_times_at_once_counts_once(store: Store, now: datetime) -> None:
    results = await asyncio.gather(*(store.reports.add(GROUP, 5, "r1", now) for _ in range(8)))
    assert [new for _, new in results].count(True) == 1
    assert {report.reporters for report, _ in results} == {1}


async def test_two_instances_reporting_at_once(db_url: str, now: datetime) -> None:
    first, second = await Store.open(db_url), await Store.open(db_url)
    try:
        await first.migrate(now)
        results = await asyncio.gather(
            *(
                instance.reports.add(GROUP, 5, f"r{n}", now)
                for n, instance in enumerate([first, second] * 3)
            )
        )
    finally:
        await first.close()
        await second.close()
    assert len({report.report_id for report, _ in results}) == 1
    assert sorted(report.reporters for report, _ in results) == [1, 2, 3, 4, 5, 6]


async def test_set_staff_message(store: Store, now: datetime) -> None:
    report, _ = await store.reports.add(GROUP, 5, "r1", now)
    assert await store.reports.set_staff_message(report.report_id, STAFF, 99) is True
    assert await store.reports.get(report.report_id) == Report(
        report.report_id, GROUP, 5, now, 1, STAFF, 99
    )
    merged, _ = await store.reports.add(GROUP, 5, "r2", now)
    assert (merged.staff_chat_id, merged.staff_message_id, merged.reporters) == (STAFF, 99, 2)
    assert await store.reports.set_staff_message("no-such-report", STAFF, 99) is False


async def test_purge_reports_before_the_cutoff(store: Store, now: datetime) -> None:
    old, _ = await store.reports.add(GROUP, 5, "r1", now - DAY)
    await store.reports.add(GROUP, 5, "r2", now)
    kept, _ = await store.reports.add(GROUP, 6, "r1", now)
    assert await store.reports.purge_before(now) == 1
    assert await store.reports.purge_before(now) == 0
    assert await store.reports.get(old.report_id) is None
    assert await store.reports.get(kept.report_id) == kept
    # Its reporters went with it: reporting the message again starts a new report.
    assert await store.db.fetchval("SELECT COUNT(*) FROM report_reporters") == 1
    again, new = await store.reports.add(GROUP, 5, "r1", now)
    assert (new, again.reporters, again.first_at) == (True, 1, now)


# --- flood counts ----------------------------------------------------------------------------


async def test_messages_are_counted_in_a_window(store: Store, now: datetime) -> None:
    assert await store.flood.count_message(GROUP, USER, now, 10) == 1
    assert await store.flood.count_message(GROUP, USER, now, 10) == 2
    assert await store.flood.count_message(GROUP, USER, now + 9 * SECOND, 10) == 3
    assert await store.flood.count_message(GROUP, OTHER_USER, now, 10) == 1
    assert await store.flood.count_message(OTHER_GROUP, USER, now, 10) == 1


async def test_the_window_restarts_after_its_length(store: Store, now: datetime) -> None:
    assert await store.flood.count_message(GROUP, USER, now, 10) == 1
    assert await store.flood.count_message(GROUP, USER, now + 5 * SECOND, 10) == 2
    # Ten seconds after the window started, a new window starts with this message.
    restart = now + 10 * SECOND
    assert await store.flood.count_message(GROUP, USER, restart, 10) == 1
    assert await store.flood.count_message(GROUP, USER, restart + 9 * SECOND, 10) == 2
    assert await store.flood.count_message(GROUP, USER, restart + 10 * SECOND, 10) == 1
    assert await store.flood.count_message(GROUP, USER, now + HOUR, 10) == 1
    row = await store.db.fetchrow(
        "SELECT window_start, messages FROM flood_counts WHERE chat_id = $1 AND user_id = $2",
        GROUP,
        USER,
    )
    assert row == {"window_start": to_timestamp(now + HOUR), "messages": 1}


async def test_the_window_length_is_the_callers(store: Store, now: datetime) -> None:
    assert await store.flood.count_message(GROUP, USER, now, 60) == 1
    assert await store.flood.count_message(GROUP, USER, now + 30 * SECOND, 60) == 2
    assert await store.flood.count_message(GROUP, USER, now + 40 * SECOND, 30) == 1


async def test_concurrent_messages_are_all_counted(store: Store, now: datetime) -> None:
    counts = await asyncio.gather(
        *(store.flood.count_message(GROUP, USER, now, 10) for _ in range(10))
    )
    assert sorted(counts) == list(range(1, 11))


async def test_a_window_needs_a_length(store: Store, now: datetime) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await store.flood.count_message(GROUP, USER, now, 0)


async def test_purge_counts_before_the_cutoff(store: Store, now: datetime) -> None:
    await store.flood.count_message(GROUP, USER, now - HOUR, 10)
    await store.flood.count_message(GROUP, OTHER_USER, now - SECOND, 10)
    await store.flood.count_message(OTHER_GROUP, USER, now, 10)  # at the cutoff: kept
    assert await store.flood.purge_before(now) == 2
    assert await store.flood.purge_before(now) == 0
    assert await store.flood.count_message(OTHER_GROUP, USER, now, 10) == 2
    assert await store.flood.count_message(GROUP, USER, now, 10) == 1


# --- schema ----------------------------------------------------------------------------------


async def test_the_moderation_indexes_exist(store: Store) -> None:
    if store.db.engine == "sqlite":
        sql = "SELECT name AS index_name FROM sqlite_master WHERE type = 'index'"
    else:
        sql = "SELECT indexname AS index_name FROM pg_indexes WHERE schemaname = current_schema()"
    names = {row["index_name"] for row in await store.db.fetch(sql)}
    assert {"warnings_by_member", "audit_log_by_chat", "report_events_by_reporter"} <= names
