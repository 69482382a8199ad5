"""Storage: SQLite or PostgreSQL behind one API. All SQL of the project lives in this package."""

from storage.database import Connection, Database, Engine, IntegrityError, Row
from storage.migrations import LATEST_VERSION, DatabaseTooNew
from storage.models import (
    AuditEntry,
    Chat,
    ChatKind,
    Consent,
    JoinVia,
    Member,
    PendingJoin,
    Report,
    Rules,
    RulesDraft,
)
from storage.store import Store

__all__ = [
    "LATEST_VERSION",
    "AuditEntry",
    "Chat",
    "ChatKind",
    "Connection",
    "Consent",
    "Database",
    "DatabaseTooNew",
    "Engine",
    "IntegrityError",
    "JoinVia",
    "Member",
    "PendingJoin",
    "Report",
    "Row",
    "Rules",
    "RulesDraft",
    "Store",
]
