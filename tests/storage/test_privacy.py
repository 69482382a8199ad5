"""PrivacyRepository: a member's data export and erasure, and the column coverage, both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage import PERSONAL_COLUMNS, ErasureReport, Store, privacy
from storage.checkins import token_for
from storage.privacy import CLASSIFICATIONS, OPAQUE, WithdrawnQuestion
from tests.storage.test_schema import _schema

GROUP = -1001234567890
OTHER_GROUP = -1001111111111
STAFF = -1009876543210
UNREGISTERED = -1005555555555
MEMBER_A = 2**40 + 7
MEMBER_B = 2**40 + 8
FACILITATOR = 2**40 + 9
REPORTED_MESSAGE = 4242
OTHER_REPORTED_MESSAGE = 4343
WELCOME_A = 501
WELCOME_B = 502
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
FIRST = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # an occurrence's start, UTC
SECOND = FIRST + WEEK


def _iso(at: datetime) -> str:
    return at.isoformat()


# --- coverage ----------------------------------------------------------------------------------


async def test_every_column_of_the_schema_is_classified(store: Store) -> None:
    schema = await _schema(store)
    actual = {table: [name for name, _, _ in columns] for table, columns in schema.items()}
    unclassified = sorted(
        f"{table}.{column}"
        for table, columns in actual.items()
        for column in columns
        if column not in PERSONAL_COLUMNS.get(table, {})
    )
    assert unclassified == [], "decide how export() and erase() cover these columns"
    unknown = sorted(
        f"{table}.{column}"
        for table, columns in PERSONAL_COLUMNS.items()
        for column in columns
        if column not in actual.get(table, [])
    )
    assert unknown == [], "PERSONAL_COLUMNS names columns the schema does not have"


def test_every_classification_is_a_known_one() -> None:
    for table, columns in PERSONAL_COLUMNS.items():
        for column, classification in columns.items():
            assert classification in CLASSIFICATIONS, f"{table}.{column}: {classification!r}"


# --- data about two members --------------------------------------------------------------------


async def _fill(store: Store, now: datetime) -> dict[str, Any]:
    """Put something in every table, about member A and about member B; return ids."""
    await store.chats.register(GROUP, "peer_group", "uusimaa", "fi", now)
    await store.chats.register(OTHER_GROUP, "peer_group", "uusimaa", "fi", now)
    await store.chats.register(STAFF, "staff", "uusimaa", "fi", now)
    await store.chats.first_sighting(UNREGISTERED, now)
    await store.chats.first_missing_right(GROUP, "can_delete_messages", now)
    await store.chats.set_forum_topic(STAFF, "reports", 7)
    await store.rules.publish(GROUP, "fi", "Ole kiltti.", now)
    await store.rules.add_draft(GROUP, "en", "Be kind.", now)

    for user in (MEMBER_A, MEMBER_B):
        await store.members.mark_started(user, now)
        await store.members.set_language(user, "fi")
        await store.members.set_app_language(user, "sv")
        await store.joins.record_consent(user, GROUP, 1, now)
        await store.warnings.add(GROUP, user, now, now + WEEK)
        await store.flood.count_message(GROUP, user, now, 10)
        await store.facilitators.add(OTHER_GROUP, user, now)
        await store.rsvps.subscribe(user, GROUP, now)
    await store.members.set_reachable(MEMBER_B, False)
    await store.joins.record_consent(MEMBER_A, OTHER_GROUP, 0, now + HOUR)
    await store.joins.start_pending(MEMBER_A, STAFF, "request", now)
    await store.joins.set_welcome_message(MEMBER_A, STAFF, WELCOME_A)
    await store.joins.start_pending(MEMBER_A, UNREGISTERED, "arrival", now)  # no welcome
    await store.joins.start_pending(MEMBER_B, STAFF, "arrival", now)
    await store.joins.set_welcome_message(MEMBER_B, STAFF, WELCOME_B)
    await store.facilitators.add(GROUP, FACILITATOR, now)

    ref_a = await store.refs.ref_for(MEMBER_A)
    ref_b = await store.refs.ref_for(MEMBER_B)
    ref_f = await store.refs.ref_for(FACILITATOR)
    about_a = await store.audit.record(GROUP, now, ref_f, "warn", target_ref=ref_a, reason="x")
    await store.audit.record(GROUP, now + HOUR, ref_f, "mute", target_ref=ref_a)
    await store.audit.record(GROUP, now, ref_f, "warn", target_ref=ref_b)
    by_a = await store.audit.record(OTHER_GROUP, now, ref_a, "ban", target_ref=ref_b)
    for ref in (ref_a, ref_b):
        assert await store.reports.try_count_report(ref, now, 5)
        await store.reports.add(GROUP, REPORTED_MESSAGE, ref, now)
    assert await store.reports.try_count_report(ref_a, now + HOUR, 5)
    report, _ = await store.reports.add(GROUP, OTHER_REPORTED_MESSAGE, ref_a, now + HOUR)
    await store.reports.set_staff_message(report.report_id, STAFF, 99)
    told = await store.reports.get(report.report_id)
    await _fill_asking(store, now)

    meetup = await store.meetups.create(
        GROUP,
        title="Fika",
        start_local=datetime(2026, 12, 3, 18, 30),
        zone="Europe/Helsinki",
        duration=2 * HOUR,
        frequency="weekly",
        weekday=3,
        at=now,
    )
    await store.meetups.add_draft(GROUP, '{"title": "Bowling"}', now)
    await store.meetups.cancel_occurrence(meetup.meetup_id, FIRST + 4 * WEEK, now)
    await store.rsvps.answer(meetup.meetup_id, FIRST, MEMBER_A, "yes", now, remind=True)
    await store.rsvps.answer(meetup.meetup_id, SECOND, MEMBER_A, "maybe", now)
    await store.rsvps.answer(meetup.meetup_id, FIRST, MEMBER_B, "no", now)
    await store.reminders.plan(meetup.meetup_id, FIRST, "group", None, FIRST - DAY)
    for user in (MEMBER_A, MEMBER_B):
        await store.reminders.plan(meetup.meetup_id, FIRST, "private", user, FIRST - 2 * HOUR)
    # An earlier private reminder of A's, already sent.
    await store.reminders.plan(meetup.meetup_id, FIRST, "private", MEMBER_A, now - HOUR)
    [sent] = await store.reminders.claim_due(now, HOUR, 10)
    assert await store.reminders.mark_sent(sent.reminder_id, now)
    checkin_id = await _fill_checkins(store, meetup.meetup_id, now)
    return {
        "checkin_id": checkin_id,
        "meetup": meetup,
        "ref_a": ref_a,
        "ref_b": ref_b,
        "about_a": about_a,
        "by_a": by_a,
        "report": told,
    }


async def _fill_checkins(store: Store, meetup_id: str, now: datetime) -> str:
    """A's check-ins are off; both were asked after a meetup and A answered once."""
    await store.checkins.set_off(MEMBER_A, True, now)
    await store.checkins.record_held(
        meetup_id, FIRST, GROUP, "uusimaa", coming=1, maybe=0, due_at=now, closes_at=now + DAY
    )
    [held] = await store.checkins.claim_due(now)
    await store.checkins.invite(held.checkin_id, [MEMBER_A, MEMBER_B])
    await store.checkins.answer(held.checkin_id, MEMBER_A, "how", "5", now)
    await store.figures.count(now.date(), GROUP, "uusimaa", "joined")
    return held.checkin_id


async def _fill_asking(store: Store, now: datetime) -> None:
    """Contacts, places, questions, blocks and anonymous posts, by plain SQL."""
    db, at = store.db, int(now.timestamp())
    await db.execute(
        "INSERT INTO contacts (contact_id, region, phone, updated_at) VALUES ('c1', 'uusimaa', "
        "'040 123', $1)",
        at,
    )
    await db.execute(
        "INSERT INTO contact_texts (contact_id, language, title) VALUES ('c1', 'fi', 'Ohjaaja')"
    )
    await db.execute(
        "INSERT INTO daily_counts VALUES ('2026-11-29', 'contact_views', 'uusimaa', 3)"
    )
    await db.execute("INSERT INTO group_topics VALUES ($1, 5, 'Chat', FALSE)", GROUP)
    question = """
        INSERT INTO questions (question_id, region, number, asker_id, show_name, status,
            created_at, asked_at, last_activity_at, closed_at, closed_by, staff_chat_id)
        VALUES ($1, 'uusimaa', $2, $3, $4, $5, $6, $7, $6, $8, $9, $10)
    """
    message = "INSERT INTO question_messages VALUES ($1, $2, $3, $4, $5, $6, $7)"
    post = """
        INSERT INTO anon_posts (post_id, user_id, chat_id, body, status, created_at,
            staff_chat_id, staff_message_id, group_message_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    """
    for number, (user, tag) in enumerate(((MEMBER_A, "a"), (MEMBER_B, "b")), start=1):
        await db.execute(
            "INSERT INTO member_places VALUES ($1, 'lappi', 'Rovaniemi', $2)", user, at
        )
        await db.execute("INSERT INTO pending_inputs VALUES ($1, 'ask', NULL, $2)", user, at)
        await db.execute(
            question, f"q-{tag}", number, user, tag == "b", "open", at, at, None, None, STAFF
        )
        await db.execute(message, f"q-{tag}", 1, "member", f"Kysymys {tag}", at, 60 + number, 50)
        await db.execute(message, f"q-{tag}", 2, "facilitator", "Vastaus", at, None, 51)
        await db.execute(
            post, f"p-{tag}", user, GROUP, f"Viesti {tag}", "posted", at, STAFF, 70 + number, 90
        )
    await db.execute(
        question, "q-a-draft", None, MEMBER_A, False, "draft", at, None, None, None, None
    )
    await db.execute(message, "q-a-draft", 1, "member", "Luonnos", at, None, None)
    await db.execute(
        question, "q-a-closed", 3, MEMBER_A, False, "closed", at, at, at, "member", STAFF
    )
    await db.execute(message, "q-a-closed", 1, "member", "Vanha", at, 63, 52)
    await db.execute(
        "INSERT INTO question_blocks VALUES ('b1', 'uusimaa', $1, 3, $2)", MEMBER_A, at
    )
    await db.execute(
        post, "p-a-waiting", MEMBER_A, GROUP, "Odottaa", "pending", at, STAFF, 80, None
    )


# Tables whose rows stay, for anonymous figures, with the member's columns blanked.
UNLINKED_TABLES = ("questions", "question_messages", "anon_posts")
# Check-in tokens name nobody without the round's secret; erase() recomputes A's.
KEYED_TABLES = ("checkin_tokens",)


async def _dump(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in a stable order."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, columns in (await _schema(store)).items():
        rows = await store.db.fetch(f"SELECT * FROM {table}")
        names = [name for name, _, _ in columns]
        tables[table] = sorted((dict(row) for row in rows), key=lambda r: repr(list(r.items())))
        assert all(list(row) == names for row in tables[table])
    return tables


def _mentions(table: str, row: dict[str, Any], user_id: int, ref: str) -> bool:
    """Whether a row names the person: their id in any column, or their ref outside an
    opaque column (an opaque ref stays, unlinked, when erasure forgets the ref)."""
    for column, value in row.items():
        if value == user_id and not isinstance(value, bool):
            return True
        if value == ref and PERSONAL_COLUMNS[table][column] != OPAQUE:
            return True
    return False


# --- export ------------------------------------------------------------------------------------


async def test_export_shows_everything_about_the_member(store: Store, now: datetime) -> None:
    await _fill(store, now)
    exported = await store.privacy.export(MEMBER_A)
    assert json.loads(json.dumps(exported)) == exported  # plain JSON data
    assert exported["member"] == {
        "language": "fi",
        "app_language": "sv",
        "started_at": "2026-11-29T10:00:00+00:00",
        "reachable": True,
        "last_used_the_bot": None,
    }
    assert exported["groups_agreed"] == [
        {"group": GROUP, "rules_version": 1, "agreed_at": _iso(now)},
        {"group": OTHER_GROUP, "rules_version": 0, "agreed_at": _iso(now + HOUR)},
    ]
    assert exported["joining"] == [
        {"group": STAFF, "how": "request", "since": _iso(now)},
        {"group": UNREGISTERED, "how": "arrival", "since": _iso(now)},
    ]
    assert exported["meetup_answers"] == [
        {"meetup": "Fika", "date": _iso(FIRST), "answer": "yes", "reminders": True},
        {"meetup": "Fika", "date": _iso(SECOND), "answer": "maybe", "reminders": False},
    ]
    assert exported["reminder_subscriptions"] == [GROUP]
    # The sent reminder is no longer planned.
    assert exported["planned_reminders"] == [{"meetup": "Fika", "due": _iso(FIRST - 2 * HOUR)}]
    assert exported["warnings"] == [
        {"group": GROUP, "given_at": _iso(now), "expires_at": _iso(now + WEEK)}
    ]
    assert exported["facilitator_of"] == [OTHER_GROUP]
    # Entries about A, not the one A made as a facilitator.
    assert exported["moderation_log_entries_about_you"] == [
        {"time": _iso(now), "action": "warn"},
        {"time": _iso(now + HOUR), "action": "mute"},
    ]
    assert exported["reports_you_made_in_the_last_day"] == 2
    assert exported["checkins_off_since"] == _iso(now)
    assert exported["place_for_contacts"] == {
        "region": "lappi",
        "municipality": "Rovaniemi",
        "chosen_at": _iso(now),
    }
    assert exported["waiting_for_you_to_write"] == {"what": "ask", "since": _iso(now)}
    asked = {"region": "uusimaa", "asked_at": _iso(now), "name_shown": False}
    assert exported["questions"] == [
        {
            **asked,
            "number": 1,
            "status": "open",
            "closed_at": None,
            "messages": [
                {"from": "member", "text": "Kysymys a", "time": _iso(now)},
                {"from": "facilitator", "text": "Vastaus", "time": _iso(now)},
            ],
        },
        {
            **asked,
            "number": 3,
            "status": "closed",
            "closed_at": _iso(now),
            "messages": [{"from": "member", "text": "Vanha", "time": _iso(now)}],
        },
        {
            **asked,
            "number": None,
            "status": "draft",
            "asked_at": None,
            "closed_at": None,
            "messages": [{"from": "member", "text": "Luonnos", "time": _iso(now)}],
        },
    ]
    assert exported["blocked_from_asking"] == [{"region": "uusimaa", "since": _iso(now)}]
    assert exported["anonymous_posts"] == [
        {"group": GROUP, "status": "posted", "written_at": _iso(now), "text": "Viesti a"},
        {"group": GROUP, "status": "pending", "written_at": _iso(now), "text": "Odottaa"},
    ]
    assert set(exported) == {
        "place_for_contacts",
        "waiting_for_you_to_write",
        "questions",
        "blocked_from_asking",
        "anonymous_posts",
        "member",
        "groups_agreed",
        "joining",
        "meetup_answers",
        "reminder_subscriptions",
        "planned_reminders",
        "warnings",
        "facilitator_of",
        "moderation_log_entries_about_you",
        "reports_you_made_in_the_last_day",
        "checkins_off_since",
    }


async def test_export_of_someone_unknown_is_empty_and_makes_no_ref(store: Store) -> None:
    exported = await store.privacy.export(MEMBER_A)
    assert exported["member"] is None
    assert not any(exported.values())
    assert await store.db.fetchval("SELECT COUNT(*) FROM member_refs") == 0


async def test_export_of_a_member_without_a_start_time(store: Store) -> None:
    await store.members.set_language(MEMBER_A, None)
    exported = await store.privacy.export(MEMBER_A)
    assert exported["member"] == {
        "language": None,
        "app_language": None,
        "started_at": None,
        "reachable": False,
        "last_used_the_bot": None,
    }


# --- erasure -----------------------------------------------------------------------------------


async def test_erase_removes_everything_about_the_member_and_only_that(
    store: Store, now: datetime
) -> None:
    ids = await _fill(store, now)
    ref_a, ref_b = ids["ref_a"], ids["ref_b"]
    export_b = await store.privacy.export(MEMBER_B)
    before = await _dump(store)

    report = await store.privacy.erase(MEMBER_A, now)

    assert report == ErasureReport(
        erased_at=now,
        members=1,
        consents=2,
        pending_joins=2,
        rsvps=2,
        reminder_subscriptions=1,
        reminders=2,  # the planned and the sent one
        warnings=1,
        flood_counts=1,
        facilitators=1,
        report_events=2,
        report_reporters=2,
        member_refs=1,
        pending_welcomes=[(STAFF, WELCOME_A)],
        member_places=1,
        pending_inputs=1,
        questions=3,  # the draft deleted, the open and the closed one unlinked
        question_blocks=1,
        anon_posts=2,  # the waiting one deleted, the published one unlinked
        withdrawn_questions=[WithdrawnQuestion("uusimaa", 1, STAFF, None)],
        withdrawn_posts=[(STAFF, 80)],
        published_posts=[(GROUP, 90)],
        checkin_optouts=1,
        checkin_tokens=2,  # asked, and answered one question
    )
    assert report.total == 29
    after = await _dump(store)
    # Exactly the rows that named A are gone; everything else is as it was.
    assert {t: r for t, r in after.items() if t not in UNLINKED_TABLES + KEYED_TABLES} == {
        table: [row for row in rows if not _mentions(table, row, MEMBER_A, ref_a)]
        for table, rows in before.items()
        if table not in UNLINKED_TABLES + KEYED_TABLES
    }
    held = await store.checkins.get(ids["checkin_id"])
    assert held is not None
    secret = await store.db.fetchval(
        "SELECT checkin_secret FROM held_meetups WHERE checkin_id = $1", held.checkin_id
    )
    assert [row["token"] for row in after["checkin_tokens"]] == [token_for(secret, MEMBER_B)]
    questions = {row["question_id"]: row for row in after["questions"]}
    assert set(questions) == {"q-a", "q-b", "q-a-closed"}
    assert [row for row in before["questions"] if row["question_id"] == "q-b"] == [
        questions["q-b"]
    ]
    withdrawn = questions["q-a"]
    assert (withdrawn["asker_id"], withdrawn["status"], withdrawn["closed_by"]) == (
        None,
        "closed",
        "withdrawn",
    )
    assert withdrawn["closed_at"] == int(now.timestamp())
    assert questions["q-a-closed"]["asker_id"] is None
    assert questions["q-a-closed"]["closed_by"] == "member"
    for row in after["question_messages"]:
        if row["question_id"] == "q-b":
            assert row["body"] is not None
        else:
            assert (row["body"], row["member_message_id"]) == (None, None)
    assert len(after["question_messages"]) == len(before["question_messages"]) - 1
    posts = {row["post_id"]: row for row in after["anon_posts"]}
    assert set(posts) == {"p-a", "p-b"}
    assert (posts["p-a"]["user_id"], posts["p-a"]["body"]) == (None, None)
    assert posts["p-b"]["body"] == "Viesti b"
    for table, rows in after.items():
        for row in rows:
            assert not _mentions(table, row, MEMBER_A, ref_a), (table, row)
    assert await store.privacy.export(MEMBER_B) == export_b
    assert await store.refs.user_for(ref_b) == MEMBER_B


async def test_audit_entries_stay_but_no_longer_lead_to_the_member(
    store: Store, now: datetime
) -> None:
    ids = await _fill(store, now)
    await store.privacy.erase(MEMBER_A, now)
    about_a = await store.audit.get(ids["about_a"].entry_id)
    by_a = await store.audit.get(ids["by_a"].entry_id)
    assert about_a == ids["about_a"]
    assert by_a == ids["by_a"]
    assert about_a is not None
    assert about_a.target_ref is not None
    assert by_a is not None
    assert await store.refs.user_for(about_a.target_ref) is None
    assert await store.refs.user_for(by_a.actor_ref) is None
    # A new ref for the same person is a new, unrelated one.
    assert await store.refs.ref_for(MEMBER_A) != ids["ref_a"]


async def test_report_counts_stay_as_they_were(store: Store, now: datetime) -> None:
    ids = await _fill(store, now)
    await store.privacy.erase(MEMBER_A, now)
    assert await store.reports.get(ids["report"].report_id) == ids["report"]
    shared = await store.db.fetchval(
        "SELECT reporters FROM reports WHERE message_id = $1", REPORTED_MESSAGE
    )
    assert shared == 2
    reporters = await store.db.fetch(
        "SELECT reporter_ref FROM report_reporters ORDER BY reporter_ref"
    )
    assert [row["reporter_ref"] for row in reporters] == [ids["ref_b"]]


async def test_erase_is_idempotent_and_export_after_it_is_empty(
    store: Store, now: datetime
) -> None:
    await _fill(store, now)
    await store.privacy.erase(MEMBER_A, now)
    again = await store.privacy.erase(MEMBER_A, now + HOUR)
    assert again.total == 0
    assert again.pending_welcomes == []
    exported = await store.privacy.export(MEMBER_A)
    assert exported["member"] is None
    assert not any(exported.values())


async def test_erasing_someone_never_stored_erases_nothing(store: Store, now: datetime) -> None:
    await _fill(store, now)
    before = await _dump(store)
    report = await store.privacy.erase(FACILITATOR + 1, now)
    assert report.total == 0
    assert await _dump(store) == before


async def test_erase_is_one_transaction(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A failure halfway (here: forgetting the ref) rolls back everything erased before it.
    await _fill(store, now)
    before = await _dump(store)
    original = privacy._delete

    async def failing(conn: Any, sql: str, *args: Any) -> int:
        if "member_refs" in sql:
            raise RuntimeError("the database went away")
        return await original(conn, sql, *args)

    monkeypatch.setattr(privacy, "_delete", failing)
    with pytest.raises(RuntimeError, match="went away"):
        await store.privacy.erase(MEMBER_A, now)
    assert await _dump(store) == before
