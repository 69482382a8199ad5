"""The Store: one Database and the repositories that use it."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from storage.anon_posts import AnonPostRepository
from storage.audit import AuditRepository
from storage.chats import ChatRepository
from storage.checkins import CheckinRepository
from storage.contacts import ContactRepository
from storage.counts import DailyCountRepository
from storage.database import Database
from storage.facilitators import FacilitatorRepository
from storage.figures import FigureRepository
from storage.flood import FloodRepository
from storage.health import HealthRepository
from storage.inputs import InputRepository
from storage.joins import JoinRepository
from storage.leadership import Leadership
from storage.meetups import MeetupRepository
from storage.members import MemberRepository
from storage.migrations import migrate
from storage.privacy import PrivacyRepository
from storage.questions import QuestionRepository
from storage.refs import RefRepository
from storage.reminders import ReminderRepository
from storage.reports import ReportRepository
from storage.rsvps import RsvpRepository
from storage.rules import RulesRepository
from storage.topics import GroupTopicRepository
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
        self.meetups = MeetupRepository(db)
        self.rsvps = RsvpRepository(db)
        self.reminders = ReminderRepository(db)
        self.privacy = PrivacyRepository(db)
        self.counts = DailyCountRepository(db)
        self.inputs = InputRepository(db)
        self.contacts = ContactRepository(db)
        self.questions = QuestionRepository(db)
        self.anon_posts = AnonPostRepository(db)
        self.topics = GroupTopicRepository(db)
        self.health = HealthRepository(db)
        self.checkins = CheckinRepository(db)
        self.figures = FigureRepository(db)
        self._leaderships: dict[str, Leadership] = {}

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to the database at ``url``. Call migrate() before using the repositories."""
        return cls(await Database.connect(url))

    async def migrate(self, now: datetime) -> list[int]:
        """Bring the schema up to date; return the migration versions applied."""
        return await migrate(self.db, now)

    def leadership(self, name: str) -> Leadership:
        """Who of several instances leads the job ``name``; the same object for each name."""
        if name not in self._leaderships:
            self._leaderships[name] = Leadership(self.db, name)
        return self._leaderships[name]

    async def close(self) -> None:
        """Close the database; a leadership this instance holds ends with it."""
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
