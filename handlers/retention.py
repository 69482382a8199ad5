"""The daily retention round: what has been kept long enough is erased (see PRIVACY.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.context import BotApplication, BotContext
from handlers.privacy import clear_traces

log = logging.getLogger(__name__)
JOB_NAME = "privacy-retention"
# A member who asked the bot for something and then went quiet stops waiting after a day.
PENDING_INPUT_DAYS = 1
# Sign-ups are kept a while after the meetup (facilitators look back at attendance);
# delivered reminders only until no replanning can need them.
SIGNUPS_KEPT = timedelta(days=60)
REMINDERS_KEPT = timedelta(days=7)


def register(app: BotApplication) -> None:
    if app.job_queue is not None:
        # Soon after start, then daily: a restart never skips a day.
        app.job_queue.run_repeating(
            run_retention, interval=timedelta(days=1), first=timedelta(minutes=5), name=JOB_NAME
        )


@dataclass(frozen=True, slots=True)
class RetentionReport:
    members_erased: int
    audit_entries_deleted: int
    audit_reasons_blanked: int
    pending_inputs_dropped: int
    signups_deleted: int
    reminders_deleted: int


async def run_retention(context: BotContext) -> None:
    report = await apply_retention(context, context.clock.now())
    log.info(
        "retention_done members=%d audit_deleted=%d reasons_blanked=%d inputs=%d "
        "signups=%d reminders=%d",
        report.members_erased,
        report.audit_entries_deleted,
        report.audit_reasons_blanked,
        report.pending_inputs_dropped,
        report.signups_deleted,
        report.reminders_deleted,
    )


async def apply_retention(context: BotContext, now: datetime) -> RetentionReport:
    """Erase members gone quiet, old moderation-log entries and reasons, stale waits, old
    sign-ups and delivered reminders."""
    store, privacy = context.store, context.settings.privacy
    erased = 0
    cutoff = now - timedelta(days=privacy.inactive_member_days)
    # In batches, so one round never holds a long transaction.
    while quiet := await store.members.gone_quiet(cutoff, limit=200):
        for user_id in quiet:
            await clear_traces(context, await store.privacy.erase(user_id, now))
            erased += 1
    return RetentionReport(
        members_erased=erased,
        audit_entries_deleted=await store.audit.purge_before(
            now - timedelta(days=privacy.audit_log_days)
        ),
        audit_reasons_blanked=await store.audit.blank_reasons_before(
            now - timedelta(days=privacy.audit_reason_days)
        ),
        pending_inputs_dropped=await store.inputs.purge_before(
            now - timedelta(days=PENDING_INPUT_DAYS)
        ),
        signups_deleted=await store.rsvps.purge_before(now - SIGNUPS_KEPT),
        reminders_deleted=await store.reminders.purge_sent_before(now - REMINDERS_KEPT),
    )
