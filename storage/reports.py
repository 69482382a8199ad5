"""Reports: group messages members flagged for the facilitators.

Stored: which message (group and message id), when it was first reported, how many members
reported it, and where the facilitators were told. Reporters appear only as member refs, and
never the message's text.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from storage import locks
from storage.database import Database
from storage.models import Report, to_timestamp

REPORT_ID_BYTES = 9  # 12 URL-safe characters: fits in a button's callback data
RATE_WINDOW_SECONDS = 3600
# Counting a member's reports is serialised per member, so concurrent reports cannot both
# slip under the limit.
RATE_LOCK_NAMESPACE = locks.namespace(b"rprt")
_MAX_ATTEMPTS = 5
_COLUMNS = "report_id, chat_id, message_id, first_at, reporters, staff_chat_id, staff_message_id"


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def try_count_report(self, reporter_ref: str, now: datetime, per_hour: int) -> bool:
        """Count a report against the member's limit of ``per_hour`` per 3600 seconds.

        True (and the report is counted) if the member made fewer than ``per_hour`` reports
        in the last 3600 seconds, that is after ``now - 3600 s``; False, counting nothing,
        otherwise.
        """
        if per_hour <= 0:
            return False
        at = to_timestamp(now)
        async with self._db.transaction("count report") as conn:
            key = locks.key_of(reporter_ref)
            await locks.lock(conn, self._db.engine, RATE_LOCK_NAMESPACE, key)
            recent = await conn.fetchval(
                "SELECT COUNT(*) FROM report_events WHERE reporter_ref = $1 AND at > $2",
                reporter_ref,
                at - RATE_WINDOW_SECONDS,
            )
            if int(recent) >= per_hour:
                return False
            await conn.execute(
                "INSERT INTO report_events (reporter_ref, at) VALUES ($1, $2)", reporter_ref, at
            )
        return True

    async def add(
        self, chat_id: int, message_id: int, reporter_ref: str, at: datetime
    ) -> tuple[Report, bool]:
        """A member reported a message: make its report, or add them to the existing one.

        A member who reported the message already is not counted again. Returns the report
        and whether this reporter was new to it. Safe when several report at once.
        """
        async with self._db.transaction("add report") as conn:
            for _ in range(_MAX_ATTEMPTS):
                # Without a conflict target: an existing report of the message, or (all but
                # impossible) a new id that is already taken, both leave the table as it is.
                await conn.execute(
                    """
                    INSERT INTO reports (report_id, chat_id, message_id, first_at, reporters)
                    VALUES ($1, $2, $3, $4, 0)
                    ON CONFLICT DO NOTHING
                    """,
                    secrets.token_urlsafe(REPORT_ID_BYTES),
                    chat_id,
                    message_id,
                    to_timestamp(at),
                )
                report_id = await conn.fetchval(
                    "SELECT report_id FROM reports WHERE chat_id = $1 AND message_id = $2",
                    chat_id,
                    message_id,
                )
                if report_id is not None:
                    break
            else:
                raise RuntimeError(f"no report could be stored in {_MAX_ATTEMPTS} attempts")
            added = await conn.fetchrow(
                """
                INSERT INTO report_reporters (report_id, reporter_ref) VALUES ($1, $2)
                ON CONFLICT (report_id, reporter_ref) DO NOTHING
                RETURNING report_id
                """,
                report_id,
                reporter_ref,
            )
            if added is not None:
                # An increment, not a recount: it waits for a concurrent one and adds to it.
                row = await conn.fetchrow(
                    f"""
                    UPDATE reports SET reporters = reporters + 1 WHERE report_id = $1
                    RETURNING {_COLUMNS}
                    """,
                    report_id,
                )
            else:
                row = await conn.fetchrow(
                    f"SELECT {_COLUMNS} FROM reports WHERE report_id = $1", report_id
                )
        assert row is not None  # the report was found in this transaction
        return Report._from_row(row), added is not None

    async def get(self, report_id: str) -> Report | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM reports WHERE report_id = $1", report_id
        )
        return None if row is None else Report._from_row(row)

    async def set_staff_message(
        self, report_id: str, staff_chat_id: int, staff_message_id: int
    ) -> bool:
        """Remember the message that told the facilitators; return whether the report exists."""
        row = await self._db.fetchrow(
            """
            UPDATE reports SET staff_chat_id = $2, staff_message_id = $3
            WHERE report_id = $1
            RETURNING report_id
            """,
            report_id,
            staff_chat_id,
            staff_message_id,
        )
        return row is not None

    async def purge_events_before(self, cutoff: datetime) -> int:
        """Delete the rate-limit events before ``cutoff``; return how many there were."""
        rows = await self._db.fetch(
            "DELETE FROM report_events WHERE at < $1 RETURNING reporter_ref",
            to_timestamp(cutoff),
        )
        return len(rows)

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete the reports first made before ``cutoff``, with their reporters; how many."""
        rows = await self._db.fetch(
            "DELETE FROM reports WHERE first_at < $1 RETURNING report_id", to_timestamp(cutoff)
        )
        return len(rows)
