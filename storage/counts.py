"""Anonymous daily counts (contact-directory views, crisis-help views, …): no ids, ever."""

from __future__ import annotations

from datetime import date

from storage.database import Database


class DailyCountRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, day: date, metric: str, region: str, amount: int = 1) -> None:
        """Count ``amount`` more of ``metric`` in ``region`` on the (local) ``day``."""
        await self._db.execute(
            """
            INSERT INTO daily_counts (day, metric, region, count) VALUES ($1, $2, $3, $4)
            ON CONFLICT (day, metric, region) DO UPDATE SET
                count = daily_counts.count + excluded.count
            """,
            day.isoformat(),
            metric,
            region,
            amount,
        )

    async def get(self, day: date, metric: str, region: str) -> int:
        value = await self._db.fetchval(
            "SELECT count FROM daily_counts WHERE day = $1 AND metric = $2 AND region = $3",
            day.isoformat(),
            metric,
            region,
        )
        return 0 if value is None else int(value)

    async def between(self, metric: str, first: date, last: date) -> list[tuple[date, str, int]]:
        """(day, region, count) of ``metric`` from ``first`` to ``last``, both included."""
        rows = await self._db.fetch(
            """
            SELECT day, region, count FROM daily_counts
            WHERE metric = $1 AND day >= $2 AND day <= $3
            ORDER BY day, region
            """,
            metric,
            first.isoformat(),
            last.isoformat(),
        )
        return [(date.fromisoformat(r["day"]), r["region"], int(r["count"])) for r in rows]
