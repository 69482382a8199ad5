"""The migrated schema, column by column, on both engines.

This list is deliberately explicit: adding a table or a column makes this test fail until
the list is updated. New columns that can hold personal data must be covered by export and
erasure — check that before you add them here.
"""

from __future__ import annotations

from storage import Store

# table -> [(column, declared type, nullable)] in column order
EXPECTED_SCHEMA: dict[str, list[tuple[str, str, bool]]] = {
    "anon_posts": [
        ("post_id", "text", False),
        ("user_id", "bigint", True),
        ("chat_id", "bigint", True),
        ("thread_id", "bigint", True),
        ("body", "text", True),
        ("status", "text", False),
        ("created_at", "bigint", False),
        ("decided_at", "bigint", True),
        ("staff_chat_id", "bigint", True),
        ("staff_message_id", "bigint", True),
        ("group_message_id", "bigint", True),
    ],
    "checkin_answers": [
        ("meetup_id", "text", False),
        ("starts_at", "bigint", False),
        ("question", "text", False),
        ("answer", "text", False),
        ("count", "integer", False),
    ],
    "checkin_optouts": [
        ("user_id", "bigint", False),
        ("since", "bigint", False),
    ],
    "checkin_tokens": [
        ("checkin_id", "text", False),
        ("token", "text", False),
        ("question", "text", False),
    ],
    "group_counts": [
        ("day", "text", False),
        ("chat_id", "bigint", False),
        ("region", "text", False),
        ("metric", "text", False),
        ("count", "integer", False),
    ],
    "held_meetups": [
        ("meetup_id", "text", False),
        ("starts_at", "bigint", False),
        ("chat_id", "bigint", False),
        ("region", "text", False),
        ("coming", "integer", False),
        ("maybe", "integer", False),
        ("checkin_id", "text", False),
        ("checkin_secret", "text", True),
        ("checkin_due_at", "bigint", False),
        ("checkin_closes_at", "bigint", False),
        ("checkin_sent_at", "bigint", True),
    ],
    "contact_texts": [
        ("contact_id", "text", False),
        ("language", "text", False),
        ("title", "text", False),
        ("hours", "text", True),
        ("notes", "text", True),
    ],
    "contacts": [
        ("contact_id", "text", False),
        ("region", "text", False),
        ("municipality", "text", True),
        ("phone", "text", True),
        ("email", "text", True),
        ("web", "text", True),
        ("source", "text", True),
        ("verified_on", "text", True),
        ("position", "integer", False),
        ("updated_at", "bigint", False),
    ],
    "daily_counts": [
        ("day", "text", False),
        ("metric", "text", False),
        ("region", "text", False),
        ("count", "integer", False),
    ],
    "group_topics": [
        ("chat_id", "bigint", False),
        ("thread_id", "bigint", False),
        ("title", "text", False),
        ("closed", "boolean", False),
    ],
    "member_places": [
        ("user_id", "bigint", False),
        ("region", "text", False),
        ("municipality", "text", True),
        ("chosen_at", "bigint", False),
    ],
    "pending_inputs": [
        ("user_id", "bigint", False),
        ("purpose", "text", False),
        ("subject", "text", True),
        ("created_at", "bigint", False),
    ],
    "question_blocks": [
        ("block_id", "text", False),
        ("region", "text", False),
        ("user_id", "bigint", False),
        ("question_number", "integer", True),
        ("blocked_at", "bigint", False),
    ],
    "question_messages": [
        ("question_id", "text", False),
        ("seq", "integer", False),
        ("author", "text", False),
        ("body", "text", True),
        ("at", "bigint", False),
        ("staff_message_id", "bigint", True),
        ("member_message_id", "bigint", True),
    ],
    "questions": [
        ("question_id", "text", False),
        ("region", "text", False),
        ("number", "integer", True),
        ("asker_id", "bigint", True),
        ("show_name", "boolean", False),
        ("status", "text", False),
        ("created_at", "bigint", False),
        ("asked_at", "bigint", True),
        ("first_answer_at", "bigint", True),
        ("last_activity_at", "bigint", False),
        ("closed_at", "bigint", True),
        ("closed_by", "text", True),
        ("staff_chat_id", "bigint", True),
        ("staff_thread_id", "bigint", True),
    ],
    "audit_log": [
        ("entry_id", "text", False),
        ("chat_id", "bigint", False),
        ("at", "bigint", False),
        ("actor_ref", "text", False),
        ("action", "text", False),
        ("target_ref", "text", True),
        ("duration_seconds", "bigint", True),
        ("reason", "text", True),
        ("undone_at", "bigint", True),
    ],
    "chats": [
        ("chat_id", "bigint", False),
        ("kind", "text", False),
        ("region", "text", False),
        ("language", "text", True),
        ("registered_at", "bigint", False),
        ("join_gate", "boolean", False),
        ("hide_service_messages", "boolean", False),
        ("public_warn_notice", "boolean", False),
        ("flood_messages", "integer", True),
        ("flood_seconds", "integer", False),
        ("reminder_offsets", "text", False),
        ("anon_approval", "boolean", False),
        ("crisis_words", "text", False),
    ],
    "consents": [
        ("user_id", "bigint", False),
        ("chat_id", "bigint", False),
        ("rules_version", "integer", False),
        ("agreed_at", "bigint", False),
    ],
    "facilitators": [
        ("chat_id", "bigint", False),
        ("user_id", "bigint", False),
        ("refreshed_at", "bigint", False),
    ],
    "flood_counts": [
        ("chat_id", "bigint", False),
        ("user_id", "bigint", False),
        ("window_start", "bigint", False),
        ("messages", "integer", False),
    ],
    "meetup_drafts": [
        ("draft_id", "text", False),
        ("chat_id", "bigint", False),
        ("payload", "text", False),
        ("created_at", "bigint", False),
    ],
    "meetups": [
        ("meetup_id", "text", False),
        ("chat_id", "bigint", False),
        ("title", "text", False),
        ("place", "text", True),
        ("online", "boolean", False),
        ("online_link", "text", True),
        ("notes", "text", True),
        ("start_local", "text", False),
        ("zone", "text", False),
        ("duration_minutes", "integer", False),
        ("frequency", "text", True),
        ("weekday", "integer", True),
        ("week_of_month", "integer", True),
        ("created_at", "bigint", False),
        ("cancelled_at", "bigint", True),
    ],
    "member_refs": [
        ("ref", "text", False),
        ("user_id", "bigint", False),
    ],
    "members": [
        ("user_id", "bigint", False),
        ("language", "text", True),
        ("started_at", "bigint", True),
        ("reachable", "boolean", False),
        ("app_language", "text", True),
        ("last_seen_at", "bigint", True),
    ],
    "missing_rights": [
        ("chat_id", "bigint", False),
        ("right_name", "text", False),
        ("noted_at", "bigint", False),
    ],
    "occurrence_cancellations": [
        ("meetup_id", "text", False),
        ("starts_at", "bigint", False),
        ("cancelled_at", "bigint", False),
    ],
    "pending_joins": [
        ("user_id", "bigint", False),
        ("chat_id", "bigint", False),
        ("via", "text", False),
        ("since", "bigint", False),
        ("welcome_message_id", "bigint", True),
    ],
    "reminder_subscriptions": [
        ("user_id", "bigint", False),
        ("chat_id", "bigint", False),
        ("since", "bigint", False),
    ],
    "reminders": [
        ("reminder_id", "text", False),
        ("meetup_id", "text", False),
        ("starts_at", "bigint", False),
        ("audience", "text", False),
        ("user_id", "bigint", False),
        ("due_at", "bigint", False),
        ("claimed_until", "bigint", True),
        ("sent_at", "bigint", True),
        ("skipped_at", "bigint", True),
    ],
    "report_events": [
        ("reporter_ref", "text", False),
        ("at", "bigint", False),
    ],
    "report_reporters": [
        ("report_id", "text", False),
        ("reporter_ref", "text", False),
    ],
    "reports": [
        ("report_id", "text", False),
        ("chat_id", "bigint", False),
        ("message_id", "bigint", False),
        ("first_at", "bigint", False),
        ("reporters", "integer", False),
        ("staff_chat_id", "bigint", True),
        ("staff_message_id", "bigint", True),
    ],
    "rsvps": [
        ("meetup_id", "text", False),
        ("starts_at", "bigint", False),
        ("user_id", "bigint", False),
        ("answer", "text", False),
        ("remind", "boolean", False),
        ("answered_at", "bigint", False),
    ],
    "rules_drafts": [
        ("draft_id", "text", False),
        ("chat_id", "bigint", False),
        ("language", "text", False),
        ("body", "text", False),
        ("created_at", "bigint", False),
    ],
    "rules_texts": [
        ("chat_id", "bigint", False),
        ("version", "integer", False),
        ("language", "text", False),
        ("body", "text", False),
    ],
    "rules_versions": [
        ("chat_id", "bigint", False),
        ("version", "integer", False),
        ("created_at", "bigint", False),
    ],
    "schema_version": [
        ("version", "integer", False),
        ("description", "text", False),
        ("applied_at", "bigint", False),
    ],
    "chat_topics": [
        ("chat_id", "bigint", False),
        ("kind", "text", False),
        ("thread_id", "bigint", False),
    ],
    "unregistered_chats": [
        ("chat_id", "bigint", False),
        ("first_seen_at", "bigint", False),
    ],
    "warnings": [
        ("warning_id", "text", False),
        ("chat_id", "bigint", False),
        ("user_id", "bigint", False),
        ("given_at", "bigint", False),
        ("expires_at", "bigint", False),
    ],
}

_SQLITE_COLUMNS = """
    SELECT m.name AS table_name, c.name AS column_name, lower(c.type) AS data_type,
           c."notnull" = 0 AS nullable
    FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS c
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
    ORDER BY m.name, c.cid
"""

_POSTGRES_COLUMNS = """
    SELECT table_name, column_name, data_type, is_nullable = 'YES' AS nullable
    FROM information_schema.columns
    WHERE table_schema = current_schema()
    ORDER BY table_name, ordinal_position
"""


async def _schema(store: Store) -> dict[str, list[tuple[str, str, bool]]]:
    sql = _SQLITE_COLUMNS if store.db.engine == "sqlite" else _POSTGRES_COLUMNS
    schema: dict[str, list[tuple[str, str, bool]]] = {}
    for row in await store.db.fetch(sql):
        column = (row["column_name"], row["data_type"], bool(row["nullable"]))
        schema.setdefault(row["table_name"], []).append(column)
    return schema


async def test_the_schema_is_exactly_the_expected_one(store: Store) -> None:
    assert await _schema(store) == EXPECTED_SCHEMA


async def test_nothing_identifying_is_stored(store: Store) -> None:
    # Contacts are services' numbers, entered by facilitators; no member has a phone column.
    columns = {
        name
        for table, table_columns in (await _schema(store)).items()
        if table != "contacts"
        for name, _, _ in table_columns
    }
    for forbidden in ("name", "first_name", "last_name", "username", "text", "phone"):
        assert forbidden not in columns


async def test_sign_ups_and_reminders_hold_ids_and_times_only(store: Store) -> None:
    # What a member did about a meetup: ids, an answer, a choice and times; nothing else.
    schema = await _schema(store)
    assert [name for name, _, _ in schema["rsvps"]] == [
        "meetup_id",
        "starts_at",
        "user_id",
        "answer",
        "remind",
        "answered_at",
    ]
    assert [name for name, _, _ in schema["reminder_subscriptions"]] == [
        "user_id",
        "chat_id",
        "since",
    ]
    assert {kind for _, kind, _ in schema["reminders"]} == {"text", "bigint"}
    assert not any("user" in name for name, _, _ in schema["meetups"])
