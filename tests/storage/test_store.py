"""The Store and the package's public names."""

from __future__ import annotations

from datetime import datetime

import pytest

import storage
from storage import LATEST_VERSION, Store
from storage.audit import AuditRepository
from storage.chats import ChatRepository
from storage.facilitators import FacilitatorRepository
from storage.flood import FloodRepository
from storage.joins import JoinRepository
from storage.meetups import MeetupRepository
from storage.members import MemberRepository
from storage.refs import RefRepository
from storage.reminders import ReminderRepository
from storage.reports import ReportRepository
from storage.rsvps import RsvpRepository
from storage.rules import RulesRepository
from storage.warnings import WarningRepository


def test_the_package_exports_its_api() -> None:
    for name in (
        "Database",
        "Store",
        "Member",
        "Chat",
        "ChatKind",
        "Rules",
        "RulesDraft",
        "Consent",
        "PendingJoin",
        "JoinVia",
        "AuditEntry",
        "Report",
        "Meetup",
        "StoredMeetupDraft",
        "Frequency",
        "Rsvp",
        "RsvpAnswer",
        "RsvpCounts",
        "Reminder",
        "Audience",
        "Leadership",
        "DatabaseTooNew",
        "IntegrityError",
        "LATEST_VERSION",
    ):
        assert name in storage.__all__
        assert hasattr(storage, name)


@pytest.mark.empty_database
async def test_open_migrate_and_close(db_url: str, now: datetime, engine: str) -> None:
    store = await Store.open(db_url)
    try:
        assert store.db.engine == engine
        assert isinstance(store.members, MemberRepository)
        assert isinstance(store.chats, ChatRepository)
        assert isinstance(store.rules, RulesRepository)
        assert isinstance(store.joins, JoinRepository)
        assert isinstance(store.facilitators, FacilitatorRepository)
        assert isinstance(store.refs, RefRepository)
        assert isinstance(store.warnings, WarningRepository)
        assert isinstance(store.audit, AuditRepository)
        assert isinstance(store.reports, ReportRepository)
        assert isinstance(store.flood, FloodRepository)
        assert isinstance(store.meetups, MeetupRepository)
        assert isinstance(store.rsvps, RsvpRepository)
        assert isinstance(store.reminders, ReminderRepository)
        assert await store.migrate(now) == list(range(1, LATEST_VERSION + 1))
        assert await store.migrate(now) == []
    finally:
        await store.close()


async def test_data_survives_reopening(db_url: str, now: datetime) -> None:
    async with await Store.open(db_url) as store:
        await store.migrate(now)
        await store.members.set_language(42, "en")
        await store.chats.register(-1001234567890, "staff", "Uusimaa", "fi", now)
    async with await Store.open(db_url) as store:
        assert await store.migrate(now) == []
        member = await store.members.get(42)
        assert member is not None
        assert member.language == "en"
        assert [chat.chat_id for chat in await store.chats.list()] == [-1001234567890]
