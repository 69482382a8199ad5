"""Anonymous figures: per-group daily counts, and the raw material of the monthly figures.

group_counts holds counts per (local) day, group and metric ("joined", "left",
"moderation:warn", ...) and snapshots ("members"), never an id of a person. The read methods
return what one region's figures are computed from (see bot.figures); all of it anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.database import Database
from storage.models import from_timestamp, to_timestamp


@dataclass(frozen=True, slots=True)
class GroupCount:
    day: date
    chat_id: int
    metric: str
    count: int


@dataclass(frozen=True, slots=True)
class RegionCount:
    day: date
    metric: str
    count: int


@dataclass(frozen=True, slots=True)
class HeldCount:
    """One held occurrence: when, which group, and how many said they were coming."""

    starts_at: datetime
    chat_id: int
    coming: int


@dataclass(frozen=True, slots=True)
class CheckinCount:
    starts_at: datetime
    chat_id: int
    question: str
    answer: str
    count: int


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    asked_at: datetime
    first_answer_at: datetime | None


class FigureRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def count(
        self, day: date, chat_id: int, region: str, metric: str, amount: int = 1
    ) -> None:
        """Count ``amount`` more of ``metric`` in the group on the (local) ``day``."""
        await self._db.execute(
            """
            INSERT INTO group_counts (day, chat_id, region, metric, count)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (day, chat_id, metric) DO UPDATE SET
                count = group_counts.count + excluded.count, region = excluded.region
            """,
            day.isoformat(),
            chat_id,
            region,
            metric,
            amount,
        )

    async def set_value(
        self, day: date, chat_id: int, region: str, metric: str, value: int
    ) -> None:
        """A snapshot: ``metric`` of the group is ``value`` on ``day`` (the last one counts)."""
        await self._db.execute(
            """
            INSERT INTO group_counts (day, chat_id, region, metric, count)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (day, chat_id, metric) DO UPDATE SET
                count = excluded.count, region = excluded.region
            """,
            day.isoformat(),
            chat_id,
            region,
            metric,
            value,
        )

    async def group_counts(self, region: str, first: date, last: date) -> list[GroupCount]:
        """The region's group counts from ``first`` to ``last`` (days, both included)."""
        rows = await self._db.fetch(
            """
            SELECT day, chat_id, metric, count FROM group_counts
            WHERE region = $1 AND day >= $2 AND day <= $3
            ORDER BY day, chat_id, metric
            """,
            region,
            first.isoformat(),
            last.isoformat(),
        )
        return [
            GroupCount(
                date.fromisoformat(r["day"]), int(r["chat_id"]), r["metric"], int(r["count"])
            )
            for r in rows
        ]

    async def region_counts(self, region: str, first: date, last: date) -> list[RegionCount]:
        """The region's anonymous daily counts (contact views, crisis views, ...)."""
        rows = await self._db.fetch(
            """
            SELECT day, metric, count FROM daily_counts
            WHERE region = $1 AND day >= $2 AND day <= $3
            ORDER BY day, metric
            """,
            region,
            first.isoformat(),
            last.isoformat(),
        )
        return [
            RegionCount(date.fromisoformat(r["day"]), r["metric"], int(r["count"])) for r in rows
        ]

    async def held(self, region: str, first: datetime, until: datetime) -> list[HeldCount]:
        """The region's occurrences held from ``first`` until (not including) ``until``."""
        rows = await self._db.fetch(
            """
            SELECT starts_at, chat_id, coming FROM held_meetups
            WHERE region = $1 AND starts_at >= $2 AND starts_at < $3
            ORDER BY starts_at, chat_id
            """,
            region,
            to_timestamp(first),
            to_timestamp(until),
        )
        return [
            HeldCount(from_timestamp(r["starts_at"]), int(r["chat_id"]), int(r["coming"]))
            for r in rows
        ]

    async def checkin_counts(
        self, region: str, first: datetime, until: datetime
    ) -> list[CheckinCount]:
        """Check-in answer counts of the region's occurrences held in the period."""
        rows = await self._db.fetch(
            """
            SELECT h.starts_at, h.chat_id, a.question, a.answer, a.count
            FROM checkin_answers AS a JOIN held_meetups AS h
                ON h.meetup_id = a.meetup_id AND h.starts_at = a.starts_at
            WHERE h.region = $1 AND h.starts_at >= $2 AND h.starts_at < $3
            ORDER BY h.starts_at, h.chat_id, a.question, a.answer
            """,
            region,
            to_timestamp(first),
            to_timestamp(until),
        )
        return [
            CheckinCount(
                from_timestamp(r["starts_at"]),
                int(r["chat_id"]),
                r["question"],
                r["answer"],
                int(r["count"]),
            )
            for r in rows
        ]

    async def questions(
        self, region: str, first: datetime, until: datetime
    ) -> list[AskedQuestion]:
        """When the region's questions of the period were asked and first answered."""
        rows = await self._db.fetch(
            """
            SELECT asked_at, first_answer_at FROM questions
            WHERE region = $1 AND asked_at IS NOT NULL AND asked_at >= $2 AND asked_at < $3
            ORDER BY asked_at
            """,
            region,
            to_timestamp(first),
            to_timestamp(until),
        )
        return [
            AskedQuestion(
                from_timestamp(r["asked_at"]),
                None if r["first_answer_at"] is None else from_timestamp(r["first_answer_at"]),
            )
            for r in rows
        ]
