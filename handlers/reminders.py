"""Reminders: planned in storage, claimed atomically, sent at a steady pace, never twice.

Storage is the source of truth. A sweep every half minute sends what is due; planning
re-runs every few hours (and at start) to reach further into recurring series. Only one
instance dispatches at a time; the atomic claim prevents doubles even without that.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.context import BotApplication, BotContext
from bot.messaging import send_private
from bot.ratelimit import sending_in_bulk
from bot.settings import Settings
from handlers.meetup_parsing import Frequency, Recurrence
from handlers.meetup_schedule import QuietHours, occurrences, reminder_plan
from handlers.meetup_texts import group_reminder, private_reminder, rsvp_buttons
from handlers.moderation_common import chat_topic
from storage import Meetup, Reminder, Store

log = logging.getLogger(__name__)
SWEEP_JOB, PLAN_JOB = "send-due-reminders", "plan-reminders"
LEASE = timedelta(minutes=2)
BATCH = 200
LATE_AFTER = timedelta(minutes=10)
# Sends under way at once: enough that a slow round trip to Telegram does not slow the pace,
# few enough that little is already on its way when Telegram asks for a pause.
IN_FLIGHT = 8
# A delivery still going after this is given up well before its claim lapses: a send that
# hangs can neither hold up the round nor go out again while it may still arrive.
DELIVERY_TIMEOUT = LEASE / 2


def register(app: BotApplication) -> None:
    if app.job_queue is None:
        return
    app.job_queue.run_repeating(
        send_due_reminders,
        interval=timedelta(seconds=30),
        first=timedelta(seconds=5),
        name=SWEEP_JOB,
        # A large round outlasts the interval: the next sweep then sees the round going and
        # returns, instead of the scheduler warning every 30 s that it skipped one.
        job_kwargs={"max_instances": 2},
    )
    app.job_queue.run_repeating(
        plan_all_reminders,
        interval=timedelta(hours=3),
        first=timedelta(seconds=10),
        name=PLAN_JOB,
    )


def recurrence_of(meetup: Meetup) -> Recurrence | None:
    if meetup.frequency is None or meetup.weekday is None:
        return None
    return Recurrence(Frequency[meetup.frequency.upper()], meetup.weekday, meetup.week_of_month)


def upcoming(meetup: Meetup, after: datetime, until: datetime) -> list[datetime]:
    return occurrences(
        meetup.start_local, recurrence_of(meetup), ZoneInfo(meetup.zone), after, until
    )


async def plan_meetup(store: Store, settings: Settings, meetup: Meetup, now: datetime) -> int:
    """Plan every reminder of a meetup's coming occurrences (idempotent)."""
    chat = await store.chats.get(meetup.chat_id)
    if chat is None or meetup.cancelled_at is not None:
        return 0
    zone, config = ZoneInfo(meetup.zone), settings.meetups
    quiet = QuietHours(config.quiet_hours_start, config.quiet_hours_end)
    group_offsets = [timedelta(minutes=m) for m in chat.reminder_offsets]
    private_offsets = [timedelta(minutes=m) for m in config.private_reminder_offsets_minutes]
    cancelled = await store.meetups.cancelled_occurrences(meetup.meetup_id)
    subscribers = set(await store.rsvps.subscribers(meetup.chat_id))
    planned = 0
    horizon = now + timedelta(days=config.planning_horizon_days)
    for starts_at in upcoming(meetup, now, horizon):
        if starts_at in cancelled:
            continue
        for due in reminder_plan(starts_at, group_offsets, zone, None, now):
            planned += await store.reminders.plan(meetup.meetup_id, starts_at, "group", None, due)
        for user_id in await private_audience(store, meetup, starts_at, subscribers):
            for due in reminder_plan(starts_at, private_offsets, zone, quiet, now):
                planned += await store.reminders.plan(
                    meetup.meetup_id, starts_at, "private", user_id, due
                )
    return planned


async def private_audience(
    store: Store, meetup: Meetup, starts_at: datetime, subscribers: set[int]
) -> set[int]:
    """Those who asked: subscribers of the group, and sign-ups with reminders on."""
    answers = {
        r.user_id: r
        for r in await store.rsvps.attendees(
            meetup.meetup_id, starts_at, answers=("yes", "maybe", "no")
        )
    }
    wanted = subscribers | {uid for uid, r in answers.items() if r.remind}
    return {uid for uid in wanted if uid not in answers or answers[uid].answer != "no"}


async def replan_group_reminders(context: BotContext, chat_id: int) -> None:
    """The group's reminder times changed: withdraw what was planned and plan again."""
    store, now = context.store, context.clock.now()
    for meetup in await store.meetups.for_chats([chat_id]):
        await store.reminders.withdraw(meetup.meetup_id, None, "group", now=now)
        await plan_meetup(store, context.settings, meetup, now)


async def plan_all_reminders(context: BotContext) -> None:
    store, now = context.store, context.clock.now()
    chats = [c.chat_id for c in await store.chats.list("peer_group")]
    planned = 0
    for meetup in await store.meetups.for_chats(chats):
        planned += await plan_meetup(store, context.settings, meetup, now)
    if planned:
        log.info("reminders_planned count=%d", planned)


async def send_due_reminders(context: BotContext) -> None:
    """Claim what is due and send it, leaving headroom in Telegram's limit for replies."""
    services = context.services
    if services.reminder_round.locked():
        return  # a round is still going out from this process
    async with services.reminder_round:
        leadership = services.reminder_leadership
        if leadership is not None and not await leadership.try_acquire():
            return
        await send_round(context)


async def send_round(context: BotContext) -> None:
    round_ = _Round(context)
    try:
        # Claim in batches small enough to be sent well within one lease. The claim is atomic:
        # a batch claimed while the last one is still on its way holds none of its reminders.
        while not round_.paused and (
            batch := await context.store.reminders.claim_due(context.clock.now(), LEASE, BATCH)
        ):
            for index, reminder in enumerate(batch):
                await round_.wait_for_turn()
                if round_.paused:
                    round_.not_sent.extend(batch[index:])
                    break
                round_.start(reminder)
    finally:
        # Even when the round is cut short: stopped between send and mark_sent, one goes twice.
        await round_.finish()
        if round_.not_sent:
            # Handed back, so the next sweep sends them once the pause is over rather than
            # after the lease.
            await context.store.reminders.release(round_.not_sent)


class _Round:
    """Deliveries started at a steady pace, a few at once, until Telegram asks for a pause."""

    def __init__(self, context: BotContext) -> None:
        self.context = context
        self.interval = 1 / context.settings.meetups.reminders_per_second
        self.next_start = context.services.monotonic()
        self.free = asyncio.Semaphore(IN_FLIGHT)
        self.under_way: set[asyncio.Task[None]] = set()
        self.paused = False
        self.not_sent: list[Reminder] = []

    async def wait_for_turn(self) -> None:
        services = self.context.services
        await self.free.acquire()
        # A steady pace, not a burst: member replies keep their share of Telegram's limit.
        # The next turn is booked from this one's time, not from when the sleep ended, so
        # waking a little late does not slow the round; after a real stall the pace simply
        # goes on (no burst to catch up).
        now = services.monotonic()
        turn = max(self.next_start, now)
        self.next_start = turn + self.interval
        await services.sleep(turn - now)

    def start(self, reminder: Reminder) -> None:
        task = asyncio.create_task(self._deliver(reminder))
        self.under_way.add(task)
        task.add_done_callback(self.under_way.discard)

    async def finish(self) -> None:
        await asyncio.gather(*self.under_way)

    async def _deliver(self, reminder: Reminder) -> None:
        try:
            # Behind members' replies in Telegram's limit: they are waiting for an answer.
            with sending_in_bulk():
                async with asyncio.timeout(DELIVERY_TIMEOUT.total_seconds()):
                    await deliver(self.context, reminder, self.context.clock.now())
        except RetryAfter as exc:
            # Telegram asks us to slow down: nothing more starts; those under way finish.
            if not self.paused:
                log.warning("reminders_paused retry_after=%s", exc.retry_after)
            self.paused = True
            self.not_sent.append(reminder)
        except Exception as exc:
            # Logged, not raised, so the others go on; its claim lapses and a later sweep
            # tries it again. A bug keeps its traceback, as in the bot's error handler.
            log.error(
                "reminder_failed reason=%s",
                type(exc).__name__,
                exc_info=None if isinstance(exc, TelegramError) else exc,
            )
        finally:
            self.free.release()


async def deliver(context: BotContext, reminder: Reminder, now: datetime) -> None:
    store = context.store
    meetup = await store.meetups.get(reminder.meetup_id)
    cancelled = (
        meetup is None
        or meetup.cancelled_at is not None
        or reminder.starts_at in await store.meetups.cancelled_occurrences(meetup.meetup_id)
    )
    if meetup is None or cancelled or now >= reminder.starts_at:
        await store.reminders.mark_skipped(reminder.reminder_id, now)
        context.services.metrics.count_reminder("skipped")
        log.info("reminder_skipped reason=%s", "cancelled" if cancelled else "started")
        return
    late = now - reminder.due_at > LATE_AFTER
    sent = await (
        _to_group(context, meetup, reminder, late)
        if reminder.audience == "group"
        else _to_member(context, meetup, reminder, late)
    )
    if sent:
        await store.reminders.mark_sent(reminder.reminder_id, now)
        context.services.metrics.count_reminder("late" if late else "sent")
    else:
        await store.reminders.mark_skipped(reminder.reminder_id, now)
        context.services.metrics.count_reminder("skipped")


async def _to_group(context: BotContext, meetup: Meetup, reminder: Reminder, late: bool) -> bool:
    chat = await context.store.chats.get(meetup.chat_id)
    t = context.translator(chat.language if chat else None)
    try:
        thread = await chat_topic(context, chat, "meetups") if chat else 0
        await context.bot.send_message(
            meetup.chat_id,
            group_reminder(t, meetup, reminder.starts_at, late),
            reply_markup=rsvp_buttons(t, meetup.meetup_id, reminder.starts_at),
            message_thread_id=thread or None,
        )
    except (Forbidden, TelegramError) as exc:
        if isinstance(exc, RetryAfter):
            raise
        log.info("group_reminder_failed reason=%s", type(exc).__name__)
        return False
    return True


async def _to_member(context: BotContext, meetup: Meetup, reminder: Reminder, late: bool) -> bool:
    user_id = reminder.user_id
    member = await context.store.members.get(user_id) if user_id else None
    if user_id is None or member is None or not member.reachable:
        return False
    rsvp = await context.store.rsvps.get(meetup.meetup_id, reminder.starts_at, user_id)
    if rsvp is not None and rsvp.answer == "no":
        return False
    t = context.member_translator(member)
    coming = rsvp is not None and rsvp.answer == "yes"
    text = private_reminder(t, meetup, reminder.starts_at, late, with_link=coming)
    return await send_private(
        context, user_id, text, rsvp_buttons(t, meetup.meetup_id, reminder.starts_at)
    )
