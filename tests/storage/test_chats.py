"""ChatRepository, on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from storage import Chat, Consent, IntegrityError, PendingJoin, Report, Rules, Store
from storage.migrations import MIGRATIONS, migrate
from storage.models import to_timestamp

GROUP = -1001234567890  # supergroup ids are beyond 32 bits
OLD_GROUP = -456789012  # a basic group, before it became a supergroup
STAFF = -1009876543210
USER = 2**40 + 7


async def test_an_unknown_chat_is_none(store: Store) -> None:
    assert await store.chats.get(GROUP) is None


async def test_register_stores_and_returns_the_chat(store: Store, now: datetime) -> None:
    chat = await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert chat == Chat(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert await store.chats.get(GROUP) == chat


async def test_registering_again_updates_the_registration(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    later = now + timedelta(days=1)
    chat = await store.chats.register(GROUP, "staff", "Lappi", None, later)
    assert chat == Chat(GROUP, "staff", "Lappi", None, later)
    assert await store.chats.get(GROUP) == chat
    assert await store.chats.list() == [chat]


async def test_an_unknown_kind_is_refused(store: Store, now: datetime) -> None:
    bad_kind: Any = "party"
    with pytest.raises(ValueError, match="peer_group, staff"):
        await store.chats.register(GROUP, bad_kind, "Uusimaa", "fi", now)
    assert await store.chats.get(GROUP) is None


async def test_the_database_itself_refuses_an_unknown_kind(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await store.db.execute(
            "INSERT INTO chats (chat_id, kind, region, registered_at) VALUES ($1, $2, $3, $4)",
            GROUP,
            "party",
            "Uusimaa",
            0,
        )


async def test_registering_removes_the_unregistered_row(store: Store, now: datetime) -> None:
    assert await store.chats.first_sighting(GROUP, now) is True
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert await store.chats.take_unregistered_seen_before(now + timedelta(days=365)) == []


async def test_unregister(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert await store.chats.unregister(GROUP) is True
    assert await store.chats.get(GROUP) is None
    assert await store.chats.unregister(GROUP) is False


async def test_list_is_ordered_by_region_then_id(store: Store, now: datetime) -> None:
    await store.chats.register(-3, "peer_group", "Pirkanmaa", "fi", now)
    await store.chats.register(-1, "staff", "Uusimaa", "fi", now)
    await store.chats.register(-5, "peer_group", "Uusimaa", "sv", now)
    await store.chats.register(-2, "peer_group", "Lappi", "se", now)
    listed = await store.chats.list()
    assert [(c.region, c.chat_id) for c in listed] == [
        ("Lappi", -2),
        ("Pirkanmaa", -3),
        ("Uusimaa", -5),
        ("Uusimaa", -1),
    ]
    assert [c.chat_id for c in await store.chats.list("peer_group")] == [-2, -3, -5]
    assert [c.chat_id for c in await store.chats.list(kind="staff")] == [-1]


async def test_list_of_nothing_is_empty(store: Store) -> None:
    assert await store.chats.list() == []
    assert await store.chats.list("staff") == []


async def test_count_by_kind_includes_every_kind(store: Store, now: datetime) -> None:
    assert await store.chats.count_by_kind() == {"peer_group": 0, "staff": 0}
    await store.chats.register(-1, "peer_group", "Uusimaa", "fi", now)
    await store.chats.register(-2, "peer_group", "Lappi", "se", now)
    await store.chats.register(-3, "staff", "Uusimaa", None, now)
    assert await store.chats.count_by_kind() == {"peer_group": 2, "staff": 1}


# --- move ------------------------------------------------------------------------------------


async def test_move_keeps_the_whole_registration(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.get(OLD_GROUP) is None
    assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Kainuu", "sv", now)


async def test_move_is_idempotent(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.move(OLD_GROUP, GROUP) is False
    assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Kainuu", "sv", now)
    assert await store.chats.count_by_kind() == {"peer_group": 1, "staff": 0}


async def test_move_of_an_unknown_chat_does_nothing(store: Store, now: datetime) -> None:
    await store.chats.register(STAFF, "staff", "Uusimaa", "fi", now)
    assert await store.chats.move(OLD_GROUP, GROUP) is False
    assert await store.chats.move(STAFF, STAFF) is False
    assert await store.chats.list() == [Chat(STAFF, "staff", "Uusimaa", "fi", now)]


async def test_move_onto_a_registered_id_keeps_the_newer_registration(
    store: Store, now: datetime
) -> None:
    later = now + timedelta(hours=1)
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.register(GROUP, "peer_group", "Lappi", None, later)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.get(OLD_GROUP) is None
    # The newer registration wins; the language it lacked comes from the old one.
    assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Lappi", "sv", later)


async def test_move_removes_a_sighting_of_the_new_id(store: Store, now: datetime) -> None:
    # The bot saw the new supergroup before it heard about the migration.
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    assert await store.chats.first_sighting(GROUP, now) is True
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.take_unregistered_seen_before(now + timedelta(days=365)) == []
    assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Kainuu", "sv", now)


async def test_move_carries_an_unregistered_group(store: Store, now: datetime) -> None:
    assert await store.chats.first_sighting(OLD_GROUP, now) is True
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.move(OLD_GROUP, GROUP) is False
    # Already seen under its old id: no second one-time note, and the clock keeps running.
    assert await store.chats.first_sighting(GROUP, now + timedelta(days=1)) is False
    assert await store.chats.first_sighting(OLD_GROUP, now + timedelta(days=1)) is True
    await store.chats.forget_unregistered(OLD_GROUP)
    assert await store.chats.take_unregistered_seen_before(now + timedelta(seconds=1)) == [GROUP]


async def test_move_of_a_sighting_keeps_the_earliest_one(store: Store, now: datetime) -> None:
    assert await store.chats.first_sighting(OLD_GROUP, now) is True
    assert await store.chats.first_sighting(GROUP, now + timedelta(hours=2)) is True
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.take_unregistered_seen_before(now + timedelta(hours=1)) == [GROUP]


async def test_move_of_a_sighting_onto_a_registered_id(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Lappi", "fi", now)
    assert await store.chats.first_sighting(OLD_GROUP, now) is True
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.take_unregistered_seen_before(now + timedelta(days=365)) == []
    assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Lappi", "fi", now)


# --- unregistered groups -------------------------------------------------------------------


async def test_first_sighting_is_true_once(store: Store, now: datetime) -> None:
    assert await store.chats.first_sighting(GROUP, now) is True
    assert await store.chats.first_sighting(GROUP, now + timedelta(minutes=1)) is False
    assert await store.chats.first_sighting(GROUP - 1, now) is True


async def test_first_sighting_is_true_once_even_when_concurrent(
    store: Store, now: datetime
) -> None:
    results = await asyncio.gather(*(store.chats.first_sighting(GROUP, now) for _ in range(20)))
    assert results.count(True) == 1


async def test_a_registered_group_is_never_sighted(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "staff", "Uusimaa", "fi", now)
    assert await store.chats.first_sighting(GROUP, now) is False
    assert await store.chats.take_unregistered_seen_before(now + timedelta(days=365)) == []


async def test_forget_unregistered_allows_a_new_first_sighting(
    store: Store, now: datetime
) -> None:
    await store.chats.first_sighting(GROUP, now)
    await store.chats.forget_unregistered(GROUP)
    await store.chats.forget_unregistered(GROUP)  # forgetting twice is fine
    assert await store.chats.take_unregistered_seen_before(now + timedelta(days=1)) == []
    assert await store.chats.first_sighting(GROUP, now) is True


async def test_take_returns_groups_seen_before_the_cutoff_once(
    store: Store, now: datetime
) -> None:
    await store.chats.first_sighting(-3, now - timedelta(days=3))
    await store.chats.first_sighting(-1, now - timedelta(days=2))
    await store.chats.first_sighting(-2, now)  # exactly at the cutoff: not before it
    await store.chats.first_sighting(-4, now + timedelta(days=1))
    assert await store.chats.take_unregistered_seen_before(now) == [-3, -1]
    assert await store.chats.take_unregistered_seen_before(now) == []
    later = now + timedelta(days=2)
    assert await store.chats.take_unregistered_seen_before(later) == [-4, -2]


async def test_concurrent_takes_share_out_each_group_once(store: Store, now: datetime) -> None:
    ids = [GROUP - n for n in range(10)]
    for chat_id in ids:
        await store.chats.first_sighting(chat_id, now)
    cutoff = now + timedelta(seconds=1)
    taken = await asyncio.gather(
        *(store.chats.take_unregistered_seen_before(cutoff) for _ in range(4))
    )
    flat = [chat_id for batch in taken for chat_id in batch]
    assert sorted(flat) == sorted(ids)


async def test_a_registered_group_is_never_taken(store: Store, now: datetime) -> None:
    # Even if a sighting row slipped in for a registered group, it is not handed out.
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    await store.db.execute(
        "INSERT INTO unregistered_chats (chat_id, first_seen_at) VALUES ($1, $2)", GROUP, 0
    )
    assert await store.chats.take_unregistered_seen_before(now) == []
    assert await store.db.fetchval("SELECT COUNT(*) FROM unregistered_chats") == 0


# --- options -------------------------------------------------------------------------------


async def test_a_new_registration_has_the_default_options(store: Store, now: datetime) -> None:
    chat = await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert chat.join_gate is True  # a bool, also on SQLite
    assert chat.hide_service_messages is True
    assert await store.chats.get(GROUP) == Chat(
        GROUP, "peer_group", "Uusimaa", "fi", now, True, True
    )


async def test_set_options_changes_only_the_given_options(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    chat = await store.chats.set_options(GROUP, join_gate=False)
    assert chat == Chat(GROUP, "peer_group", "Uusimaa", "fi", now, False, True)
    assert chat.join_gate is False
    chat = await store.chats.set_options(GROUP, hide_service_messages=False)
    assert chat == Chat(GROUP, "peer_group", "Uusimaa", "fi", now, False, False)
    chat = await store.chats.set_options(GROUP, join_gate=True, hide_service_messages=True)
    assert chat == Chat(GROUP, "peer_group", "Uusimaa", "fi", now, True, True)
    assert await store.chats.set_options(GROUP) == chat  # nothing given: nothing changes
    assert await store.chats.get(GROUP) == chat


async def test_set_options_of_an_unregistered_chat_is_none(store: Store, now: datetime) -> None:
    await store.chats.register(STAFF, "staff", "Uusimaa", "fi", now)
    assert await store.chats.set_options(GROUP, join_gate=False) is None
    assert await store.chats.get(GROUP) is None
    assert await store.chats.get(STAFF) == Chat(STAFF, "staff", "Uusimaa", "fi", now)


async def test_registering_again_keeps_the_options(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    await store.chats.set_options(GROUP, join_gate=False, hide_service_messages=False)
    later = now + timedelta(days=1)
    chat = await store.chats.register(GROUP, "peer_group", "Lappi", "se", later)
    assert chat == Chat(GROUP, "peer_group", "Lappi", "se", later, False, False)
    # Unregistering forgets them: the next registration is a new one.
    await store.chats.unregister(GROUP)
    chat = await store.chats.register(GROUP, "peer_group", "Lappi", "se", later)
    assert (chat.join_gate, chat.hide_service_messages) == (True, True)


@pytest.mark.empty_database
async def test_groups_registered_before_the_options_get_the_defaults(
    db_url: str, now: datetime
) -> None:
    async with await Store.open(db_url) as store:
        await migrate(store.db, now, migrations=MIGRATIONS[:1])
        await store.db.execute(
            "INSERT INTO chats (chat_id, kind, region, language, registered_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            GROUP,
            "peer_group",
            "Uusimaa",
            "fi",
            to_timestamp(now),
        )
        assert 2 in await store.migrate(now)
        assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Uusimaa", "fi", now)


# --- move: options, rules, consents, pending joins, missing rights ------------------------


async def test_move_carries_the_options(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.set_options(OLD_GROUP, join_gate=False, hide_service_messages=False)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.get(GROUP) == Chat(
        GROUP, "peer_group", "Kainuu", "sv", now, False, False
    )


async def test_move_onto_a_registered_id_keeps_its_options(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.set_options(OLD_GROUP, join_gate=False, hide_service_messages=False)
    await store.chats.register(GROUP, "peer_group", "Lappi", "fi", now)
    await store.chats.set_options(GROUP, hide_service_messages=False)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.get(GROUP) == Chat(
        GROUP, "peer_group", "Lappi", "fi", now, True, False
    )


async def test_move_carries_rules_consents_pending_joins_and_more(
    store: Store, now: datetime
) -> None:
    later = now + timedelta(minutes=5)
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.rules.publish(OLD_GROUP, "sv", "Var snälla.", now)
    await store.rules.publish(OLD_GROUP, "fi", "Ole kiltti.", later)
    draft = await store.rules.add_draft(OLD_GROUP, "en", "Be kind.", now)
    consent = await store.joins.record_consent(USER, OLD_GROUP, 2, later)
    pending = await store.joins.start_pending(USER + 1, OLD_GROUP, "request", now)
    await store.joins.set_welcome_message(USER + 1, OLD_GROUP, 77)
    assert await store.chats.first_missing_right(OLD_GROUP, "can_delete_messages", now) is True

    assert await store.chats.move(OLD_GROUP, GROUP) is True

    assert await store.rules.current(GROUP) == Rules(
        GROUP, 2, {"fi": "Ole kiltti.", "sv": "Var snälla."}
    )
    assert await store.rules.get(GROUP, 1) == Rules(GROUP, 1, {"sv": "Var snälla."})
    assert await store.rules.take_draft(draft.draft_id, GROUP) == replace(draft, chat_id=GROUP)
    assert await store.joins.consent(USER, GROUP) == replace(consent, chat_id=GROUP)
    assert await store.joins.pending(USER + 1, GROUP) == replace(
        pending, chat_id=GROUP, welcome_message_id=77
    )
    assert await store.chats.first_missing_right(GROUP, "can_delete_messages", now) is False
    # Nothing is left under the old id, and a second move finds nothing.
    assert await store.rules.current(OLD_GROUP) == Rules(OLD_GROUP, 0, {})
    assert await store.joins.consents_of(USER) == [replace(consent, chat_id=GROUP)]
    assert [p.chat_id for p in await store.joins.pending_of(USER + 1)] == [GROUP]
    assert await store.chats.first_missing_right(OLD_GROUP, "can_delete_messages", now) is True
    await store.chats.clear_missing_right(OLD_GROUP, "can_delete_messages")
    assert await store.chats.move(OLD_GROUP, GROUP) is False


async def test_move_of_rows_alone_reports_them(store: Store, now: datetime) -> None:
    # Not registered, but something was kept under the old id.
    await store.joins.record_consent(USER, OLD_GROUP, 0, now)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.joins.consenting_members(GROUP) == [USER]
    assert await store.chats.move(OLD_GROUP, GROUP) is False


async def test_move_skips_rows_the_new_id_already_has(store: Store, now: datetime) -> None:
    later = now + timedelta(hours=1)
    await store.rules.publish(OLD_GROUP, "fi", "Vanha 1", now)
    await store.rules.publish(OLD_GROUP, "fi", "Vanha 2", now)
    await store.rules.publish(GROUP, "sv", "Ny 1", later)
    await store.joins.record_consent(USER, OLD_GROUP, 2, now)
    await store.joins.record_consent(USER + 1, OLD_GROUP, 2, now)
    await store.joins.record_consent(USER, GROUP, 1, later)
    await store.joins.start_pending(USER + 2, OLD_GROUP, "arrival", now)
    await store.joins.start_pending(USER + 2, GROUP, "request", later)
    await store.chats.first_missing_right(OLD_GROUP, "can_invite_users", now)
    await store.chats.first_missing_right(GROUP, "can_invite_users", later)

    assert await store.chats.move(OLD_GROUP, GROUP) is True

    # The new id's rows win; the old id's other rows join them.
    assert await store.rules.get(GROUP, 1) == Rules(GROUP, 1, {"sv": "Ny 1"})
    assert await store.rules.get(GROUP, 2) == Rules(GROUP, 2, {"fi": "Vanha 2"})
    assert await store.joins.consents_of(USER) == [Consent(USER, GROUP, 1, later)]
    assert await store.joins.consents_of(USER + 1) == [Consent(USER + 1, GROUP, 2, now)]
    assert await store.joins.pending_of(USER + 2) == [
        PendingJoin(USER + 2, GROUP, "request", later, None)
    ]
    missing = await store.db.fetch("SELECT chat_id, noted_at FROM missing_rights")
    assert missing == [{"chat_id": GROUP, "noted_at": to_timestamp(later)}]
    # And nothing is left behind under the old id, in any table.
    for table in ("rules_versions", "rules_texts", "consents", "pending_joins"):
        count = await store.db.fetchval(
            f"SELECT COUNT(*) FROM {table} WHERE chat_id = $1", OLD_GROUP
        )
        assert count == 0, table


# --- missing rights ------------------------------------------------------------------------


async def test_first_missing_right_is_true_once(store: Store, now: datetime) -> None:
    assert await store.chats.first_missing_right(GROUP, "can_delete_messages", now) is True
    later = now + timedelta(hours=1)
    assert await store.chats.first_missing_right(GROUP, "can_delete_messages", later) is False
    # Another right, or another group, is news of its own.
    assert await store.chats.first_missing_right(GROUP, "can_invite_users", now) is True
    assert await store.chats.first_missing_right(STAFF, "can_delete_messages", now) is True


async def test_first_missing_right_is_true_once_even_when_concurrent(
    store: Store, now: datetime
) -> None:
    results = await asyncio.gather(
        *(store.chats.first_missing_right(GROUP, "can_restrict_members", now) for _ in range(20))
    )
    assert results.count(True) == 1


async def test_clearing_a_missing_right_makes_it_news_again(store: Store, now: datetime) -> None:
    await store.chats.first_missing_right(GROUP, "can_delete_messages", now)
    await store.chats.first_missing_right(GROUP, "can_invite_users", now)
    await store.chats.clear_missing_right(GROUP, "can_delete_messages")
    await store.chats.clear_missing_right(GROUP, "can_delete_messages")  # twice is fine
    assert await store.chats.first_missing_right(GROUP, "can_delete_messages", now) is True
    assert await store.chats.first_missing_right(GROUP, "can_invite_users", now) is False


# --- moderation options ----------------------------------------------------------------------


async def test_a_new_registration_has_the_default_moderation_options(
    store: Store, now: datetime
) -> None:
    chat = await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert chat.public_warn_notice is True  # a bool, also on SQLite
    assert (chat.flood_messages, chat.flood_seconds) == (None, 10)
    assert chat == Chat(GROUP, "peer_group", "Uusimaa", "fi", now, True, True, True, None, 10)


async def test_set_options_changes_the_moderation_options(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    base = Chat(GROUP, "peer_group", "Uusimaa", "fi", now)
    chat = await store.chats.set_options(GROUP, public_warn_notice=False)
    assert chat == replace(base, public_warn_notice=False)
    chat = await store.chats.set_options(GROUP, flood_messages=5, flood_seconds=30)
    assert chat == replace(base, public_warn_notice=False, flood_messages=5, flood_seconds=30)
    # Leaving flood_messages out leaves it; None switches flood protection off.
    chat = await store.chats.set_options(GROUP, join_gate=False, public_warn_notice=True)
    assert chat == replace(base, join_gate=False, flood_messages=5, flood_seconds=30)
    chat = await store.chats.set_options(GROUP, flood_messages=None)
    assert chat == replace(base, join_gate=False, flood_seconds=30)
    assert await store.chats.get(GROUP) == chat


async def test_set_flood_sets_both_or_switches_off(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    chat = await store.chats.set_flood(GROUP, 8, 15)
    assert chat is not None
    assert (chat.flood_messages, chat.flood_seconds) == (8, 15)
    chat = await store.chats.set_flood(GROUP, None, 15)
    assert chat is not None
    assert (chat.flood_messages, chat.flood_seconds) == (None, 15)
    assert await store.chats.set_flood(OLD_GROUP, 8, 15) is None


async def test_flood_limits_must_be_positive(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    with pytest.raises(ValueError, match="flood_messages"):
        await store.chats.set_options(GROUP, flood_messages=0)
    with pytest.raises(ValueError, match="flood_seconds"):
        await store.chats.set_flood(GROUP, 5, 0)
    assert await store.chats.get(GROUP) == Chat(GROUP, "peer_group", "Uusimaa", "fi", now)


async def test_registering_again_keeps_the_moderation_options(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    await store.chats.set_options(
        GROUP, public_warn_notice=False, flood_messages=6, flood_seconds=20
    )
    later = now + timedelta(days=1)
    chat = await store.chats.register(GROUP, "peer_group", "Lappi", "se", later)
    assert chat == Chat(GROUP, "peer_group", "Lappi", "se", later, True, True, False, 6, 20)


@pytest.mark.empty_database
async def test_groups_registered_before_moderation_get_the_defaults(
    db_url: str, now: datetime
) -> None:
    async with await Store.open(db_url) as store:
        await migrate(store.db, now, migrations=MIGRATIONS[:2])
        await store.db.execute(
            "INSERT INTO chats (chat_id, kind, region, language, registered_at, join_gate)"
            " VALUES ($1, $2, $3, $4, $5, FALSE)",
            GROUP,
            "peer_group",
            "Uusimaa",
            "fi",
            to_timestamp(now),
        )
        assert 3 in await store.migrate(now)
        assert await store.chats.get(GROUP) == Chat(
            GROUP, "peer_group", "Uusimaa", "fi", now, False, True, True, None, 10
        )


# --- move: moderation options and rows -------------------------------------------------------


async def test_move_carries_the_moderation_options(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.set_options(
        OLD_GROUP, public_warn_notice=False, flood_messages=4, flood_seconds=8
    )
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.get(GROUP) == Chat(
        GROUP, "peer_group", "Kainuu", "sv", now, True, True, False, 4, 8
    )


async def test_move_onto_a_registered_id_keeps_its_moderation_options(
    store: Store, now: datetime
) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.set_options(OLD_GROUP, public_warn_notice=False, flood_messages=4)
    await store.chats.register(GROUP, "peer_group", "Lappi", "fi", now)
    await store.chats.set_flood(GROUP, 9, 30)
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    assert await store.chats.get(GROUP) == Chat(
        GROUP, "peer_group", "Lappi", "fi", now, True, True, True, 9, 30
    )


async def test_move_carries_the_moderation_rows(store: Store, now: datetime) -> None:
    later = now + timedelta(minutes=5)
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.facilitators.replace(OLD_GROUP, [USER, USER + 1], now)
    await store.warnings.add(OLD_GROUP, USER + 2, now, now + timedelta(days=30))
    entry = await store.audit.record(OLD_GROUP, now, "actor", "warn", target_ref="target")
    report, _ = await store.reports.add(OLD_GROUP, 10, "r1", now)
    await store.reports.add(OLD_GROUP, 10, "r2", later)
    await store.reports.set_staff_message(report.report_id, STAFF, 99)
    await store.flood.count_message(OLD_GROUP, USER + 2, now, 10)

    assert await store.chats.move(OLD_GROUP, GROUP) is True

    assert await store.facilitators.cached(GROUP) == (frozenset({USER, USER + 1}), now)
    assert await store.warnings.add(GROUP, USER + 2, later, now + timedelta(days=30)) == 2
    assert await store.audit.get(entry.entry_id) == replace(entry, chat_id=GROUP)
    assert await store.audit.recent([GROUP], 5) == [replace(entry, chat_id=GROUP)]
    moved = Report(report.report_id, GROUP, 10, now, 2, STAFF, 99)
    assert await store.reports.get(report.report_id) == moved
    assert await store.reports.add(GROUP, 10, "r2", later) == (moved, False)
    assert await store.flood.count_message(GROUP, USER + 2, now, 10) == 2
    # Nothing is left under the old id, and a second move finds nothing.
    assert await store.facilitators.cached(OLD_GROUP) == (frozenset(), None)
    assert await store.warnings.active(OLD_GROUP, USER + 2, now) == 0
    assert await store.audit.recent([OLD_GROUP], 5) == []
    assert await store.flood.count_message(OLD_GROUP, USER + 2, now, 10) == 1
    await store.flood.purge_before(now + timedelta(hours=1))
    assert await store.chats.move(OLD_GROUP, GROUP) is False


async def test_move_of_moderation_rows_alone_reports_them(store: Store, now: datetime) -> None:
    # Not registered, but something was kept under the old id: one table at a time.
    adds: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("facilitators", lambda: store.facilitators.add(OLD_GROUP, USER, now)),
        ("warnings", lambda: store.warnings.add(OLD_GROUP, USER, now, now + timedelta(days=1))),
        ("audit_log", lambda: store.audit.record(OLD_GROUP, now, "actor", "mute")),
        ("reports", lambda: store.reports.add(OLD_GROUP, 10, "r1", now)),
        ("flood_counts", lambda: store.flood.count_message(OLD_GROUP, USER, now, 10)),
    ]
    for table, add in adds:
        await add()
        assert await store.chats.move(OLD_GROUP, GROUP) is True, table
        assert await store.chats.move(OLD_GROUP, GROUP) is False, table
        count = await store.db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE chat_id = $1", GROUP)
        assert count == 1, table


async def test_move_keeps_the_new_ids_moderation_rows(store: Store, now: datetime) -> None:
    later = now + timedelta(hours=1)
    await store.facilitators.replace(OLD_GROUP, [USER, USER + 1], now)
    await store.facilitators.replace(GROUP, [USER + 1, USER + 3], later)
    old_report, _ = await store.reports.add(OLD_GROUP, 10, "r1", now)
    await store.reports.add(OLD_GROUP, 10, "r2", now)
    other_report, _ = await store.reports.add(OLD_GROUP, 11, "r1", now)
    new_report, _ = await store.reports.add(GROUP, 10, "r3", later)
    await store.flood.count_message(OLD_GROUP, USER, now, 10)
    await store.flood.count_message(OLD_GROUP, USER + 1, now, 10)
    await store.flood.count_message(GROUP, USER, later, 10)

    assert await store.chats.move(OLD_GROUP, GROUP) is True

    # A cached list is never merged: the old id's facilitators do not join the new group's.
    assert await store.facilitators.cached(GROUP) == (frozenset({USER + 1, USER + 3}), later)
    # The new id's report of the same message wins; the old one goes, with its reporters.
    assert await store.reports.get(new_report.report_id) == new_report
    assert await store.reports.get(old_report.report_id) is None
    assert await store.reports.get(other_report.report_id) == replace(other_report, chat_id=GROUP)
    assert (
        await store.db.fetchval(
            "SELECT COUNT(*) FROM report_reporters WHERE report_id = $1", old_report.report_id
        )
        == 0
    )
    counts = await store.db.fetch(
        "SELECT user_id, window_start, messages FROM flood_counts WHERE chat_id = $1"
        " ORDER BY user_id",
        GROUP,
    )
    assert counts == [
        {"user_id": USER, "window_start": to_timestamp(later), "messages": 1},
        {"user_id": USER + 1, "window_start": to_timestamp(now), "messages": 1},
    ]
    for table in ("facilitators", "warnings", "audit_log", "reports", "flood_counts"):
        count = await store.db.fetchval(
            f"SELECT COUNT(*) FROM {table} WHERE chat_id = $1", OLD_GROUP
        )
        assert count == 0, table


async def test_move_of_a_staff_group_forgets_its_report_messages(
    store: Store, now: datetime
) -> None:
    await store.chats.register(OLD_GROUP, "staff", "Kainuu", "fi", now)
    report, _ = await store.reports.add(GROUP, 10, "r1", now)
    await store.reports.set_staff_message(report.report_id, OLD_GROUP, 99)
    assert await store.chats.move(OLD_GROUP, STAFF) is True
    # The old message cannot be edited under the new id: the next report tells them afresh.
    assert await store.reports.get(report.report_id) == report
    assert await store.chats.move(OLD_GROUP, STAFF) is False


async def test_chat_topics_are_remembered_once_and_reset_by_registration(
    store: Store, now: datetime
):
    chat_id = STAFF
    await store.chats.register(chat_id, "staff", "Lappi", None, now)
    assert await store.chats.forum_topic(chat_id, "reports") is None
    assert await store.chats.set_forum_topic(chat_id, "reports", 17) == 17
    assert await store.chats.set_forum_topic(chat_id, "reports", 99) == 17  # the first one wins
    assert await store.chats.set_forum_topic(chat_id, "moderation", 0) == 0
    assert await store.chats.forum_topic(chat_id, "moderation") == 0
    await store.chats.register(chat_id, "staff", "Lappi", None, now)
    assert await store.chats.forum_topic(chat_id, "reports") is None


# --- meetup options and rows -----------------------------------------------------------------


async def test_a_new_registration_has_the_default_reminder_offsets(
    store: Store, now: datetime
) -> None:
    chat = await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    assert chat.reminder_offsets == (1440, 120)
    assert chat == Chat(GROUP, "peer_group", "Uusimaa", "fi", now)


async def test_set_reminder_offsets(store: Store, now: datetime) -> None:
    base = await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    # Stored unique, largest first.
    chat = await store.chats.set_reminder_offsets(GROUP, [30, 2880, 30, 0])
    assert chat == replace(base, reminder_offsets=(2880, 30, 0))
    assert await store.chats.get(GROUP) == chat
    chat = await store.chats.set_reminder_offsets(GROUP, ())  # no group reminders
    assert chat == replace(base, reminder_offsets=())
    assert await store.chats.get(GROUP) == chat
    # Leaving them out of set_options leaves them; giving them there sets them.
    chat = await store.chats.set_options(GROUP, join_gate=False)
    assert chat == replace(base, join_gate=False, reminder_offsets=())
    chat = await store.chats.set_options(GROUP, reminder_offsets=(60,))
    assert chat == replace(base, join_gate=False, reminder_offsets=(60,))
    assert await store.chats.set_reminder_offsets(OLD_GROUP, [60]) is None


@pytest.mark.parametrize("bad", [[-1], [True], [1.5], ["60"]])
async def test_reminder_offsets_are_whole_minutes(store: Store, now: datetime, bad: Any) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    with pytest.raises(ValueError, match="reminder offset"):
        await store.chats.set_reminder_offsets(GROUP, bad)
    chat = await store.chats.get(GROUP)
    assert chat is not None
    assert chat.reminder_offsets == (1440, 120)


async def test_registering_again_keeps_the_reminder_offsets(store: Store, now: datetime) -> None:
    await store.chats.register(GROUP, "peer_group", "Uusimaa", "fi", now)
    await store.chats.set_reminder_offsets(GROUP, [90])
    chat = await store.chats.register(GROUP, "peer_group", "Lappi", "se", now)
    assert chat.reminder_offsets == (90,)


@pytest.mark.empty_database
async def test_groups_registered_before_meetups_get_the_default_offsets(
    db_url: str, now: datetime
) -> None:
    async with await Store.open(db_url) as store:
        await migrate(store.db, now, migrations=MIGRATIONS[:3])
        await store.db.execute(
            "INSERT INTO chats (chat_id, kind, region, language, registered_at, flood_messages)"
            " VALUES ($1, $2, $3, $4, $5, 7)",
            GROUP,
            "peer_group",
            "Uusimaa",
            "fi",
            to_timestamp(now),
        )
        assert 4 in await store.migrate(now)
        assert await store.chats.get(GROUP) == Chat(
            GROUP, "peer_group", "Uusimaa", "fi", now, flood_messages=7
        )


async def test_move_carries_the_reminder_offsets(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.set_reminder_offsets(OLD_GROUP, [45])
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    chat = await store.chats.get(GROUP)
    assert chat is not None
    assert chat.reminder_offsets == (45,)
    # Onto a registered id, that id's offsets win, like its other options.
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    await store.chats.set_reminder_offsets(OLD_GROUP, [10])
    assert await store.chats.move(OLD_GROUP, GROUP) is True
    chat = await store.chats.get(GROUP)
    assert chat is not None
    assert chat.reminder_offsets == (45,)


async def test_move_carries_meetups_drafts_and_subscriptions(store: Store, now: datetime) -> None:
    await store.chats.register(OLD_GROUP, "peer_group", "Kainuu", "sv", now)
    meetup = await store.meetups.create(
        OLD_GROUP,
        title="Fika",
        start_local=datetime(2026, 12, 3, 18, 0),
        zone="Europe/Helsinki",
        duration=timedelta(hours=2),
        at=now,
    )
    starts_at = now + timedelta(days=4)
    await store.rsvps.answer(meetup.meetup_id, starts_at, USER, "yes", now)
    assert await store.reminders.plan(meetup.meetup_id, starts_at, "group", None, now)
    draft = await store.meetups.add_draft(OLD_GROUP, '{"title": "Fika"}', now)
    await store.rsvps.subscribe(USER, OLD_GROUP, now)
    await store.rsvps.subscribe(USER + 1, OLD_GROUP, now)
    await store.rsvps.subscribe(USER + 1, GROUP, now + timedelta(hours=1))

    assert await store.chats.move(OLD_GROUP, GROUP) is True

    assert await store.meetups.get(meetup.meetup_id) == replace(meetup, chat_id=GROUP)
    assert await store.meetups.for_chats([OLD_GROUP]) == []
    assert (await store.rsvps.counts(meetup.meetup_id, starts_at)).yes == 1
    assert len(await store.reminders.pending_for(meetup.meetup_id)) == 1
    assert await store.meetups.take_draft(draft.draft_id, GROUP) == replace(draft, chat_id=GROUP)
    assert await store.rsvps.subscribers(GROUP) == [USER, USER + 1]
    assert await store.rsvps.subscribers(OLD_GROUP) == []
    # The new id's subscription wins (it is the newer one).
    since = await store.db.fetchval(
        "SELECT since FROM reminder_subscriptions WHERE user_id = $1", USER + 1
    )
    assert since == to_timestamp(now + timedelta(hours=1))
    assert await store.chats.move(OLD_GROUP, GROUP) is False


async def test_move_of_meetup_rows_alone_reports_them(store: Store, now: datetime) -> None:
    adds: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        (
            "meetups",
            lambda: store.meetups.create(
                OLD_GROUP,
                title="Walk",
                start_local=datetime(2026, 12, 5, 12, 0),
                zone="Europe/Helsinki",
                duration=timedelta(hours=1),
                at=now,
            ),
        ),
        ("meetup_drafts", lambda: store.meetups.add_draft(OLD_GROUP, "{}", now)),
        ("reminder_subscriptions", lambda: store.rsvps.subscribe(USER, OLD_GROUP, now)),
    ]
    for table, add in adds:
        await add()
        assert await store.chats.move(OLD_GROUP, GROUP) is True, table
        assert await store.chats.move(OLD_GROUP, GROUP) is False, table
        count = await store.db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE chat_id = $1", GROUP)
        assert count == 1, table
