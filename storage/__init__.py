"""Storage: SQLite or PostgreSQL behind one API. All SQL of the project lives in this package."""

from storage.database import Connection, Database, Engine, IntegrityError, Row
from storage.leadership import Leadership
from storage.migrations import LATEST_VERSION, DatabaseTooNew
from storage.models import (
    Audience,
    AuditEntry,
    Chat,
    ChatKind,
    Consent,
    Frequency,
    JoinVia,
    Meetup,
    Member,
    PendingJoin,
    Reminder,
    Report,
    Rsvp,
    RsvpAnswer,
    RsvpCounts,
    Rules,
    RulesDraft,
    StoredMeetupDraft,
)
from storage.privacy import PERSONAL_COLUMNS, ErasureReport
from storage.store import Store

__all__ = [
    "LATEST_VERSION",
    "PERSONAL_COLUMNS",
    "Audience",
    "AuditEntry",
    "Chat",
    "ChatKind",
    "Connection",
    "Consent",
    "Database",
    "DatabaseTooNew",
    "Engine",
    "ErasureReport",
    "Frequency",
    "IntegrityError",
    "JoinVia",
    "Leadership",
    "Meetup",
    "Member",
    "PendingJoin",
    "Reminder",
    "Report",
    "Row",
    "Rsvp",
    "RsvpAnswer",
    "RsvpCounts",
    "Rules",
    "RulesDraft",
    "Store",
    "StoredMeetupDraft",
]
