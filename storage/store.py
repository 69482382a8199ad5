"""The Store: one Database and the repositories that use it."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from storage.audit import AuditRepository
from storage.chats import ChatRepository
from storage.database import Database
from storage.facilitators import FacilitatorRepository
from storage.flood import FloodRepository
from storage.joins import JoinRepository
from storage.members import MemberRepository
from storage.migrations import migrate
from storage.refs import RefRepository
from storage.reports import ReportRepository
from storage.rules import RulesRepository
from storage.warnings import WarningRepository


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.members = MemberRepository(db)
        self.chats = ChatRepository(db)
        self.rules = RulesRepository(db)
        self.joins = JoinRepository(db)
        self.facilitators = FacilitatorRepository(db)
        self.refs = RefRepository(db)
        self.warnings = WarningRepository(db)
        self.audit = AuditRepository(db)
        self.reports = ReportRepository(db)
        self.flood = FloodRepository(db)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to the database at ``url``. Call migrate() before using the repositories."""
        return cls(await Database.connect(url))

    async def migrate(self, now: datetime) -> list[int]:
        """Bring the schema up to date; return the migration versions applied."""
        return await migrate(self.db, now)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
