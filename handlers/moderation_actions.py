"""What each facilitator action does: Telegram first, then the record, then the kind words."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import ChatPermissions
from telegram.error import TelegramError

from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.messaging import send_private
from bot.rights import Right, is_missing_right, report_missing_right
from handlers.moderation_common import (
    Target,
    looks_like_duration,
    parse_duration,
    post_to_staff,
    tell_facilitator,
)
from handlers.stats import count_group_event
from storage import AuditEntry, Chat

log = logging.getLogger(__name__)
MUTED = ChatPermissions.no_permissions()
DELETE_LIMIT = timedelta(hours=48)  # Telegram lets bots delete others' messages this long
ACTION_LABELS = {
    "warn": N_("Warning"),
    "unwarn": N_("Warning removed"),
    "pause": N_("Pause"),
    "auto_pause": N_("Automatic pause (warning limit)"),
    "flood_pause": N_("Automatic pause (too many messages)"),
    "unpause": N_("Pause lifted"),
    "remove": N_("Removal"),
    "unremove": N_("Removal lifted"),
    "delete": N_("Message deleted"),
}


@dataclass(frozen=True)
class Request:
    group: Chat
    actor_id: int | None  # None: an anonymous administrator
    target: Target
    t: Translator  # the facilitator's language


class Refused(Exception):
    """Telegram refused; the facilitator has been told and nothing was recorded."""


async def telegram(
    context: BotContext, request: Request, call: Awaitable[object], right: Right
) -> None:
    """Run one Telegram call; on refusal tell the facilitator (and staff, for a right)."""
    try:
        await call
    except TelegramError as exc:
        if is_missing_right(exc):
            await report_missing_right(context, request.group.chat_id, right)
            text = request.t.gettext(
                "I lack the administrator right “{right}” in this group, so nothing was done. "
                "The facilitators have been told.",
                right=request.t.gettext(right.value),
            )
        else:
            text = request.t.gettext("Telegram did not accept that, so nothing was changed.")
        if request.actor_id != context.bot.id:  # the bot's own actions have nobody to tell
            await tell_facilitator(context, request.actor_id, request.group.chat_id, text)
        log.info("moderation_failed reason=%s", type(exc).__name__)
        raise Refused from exc


async def record(
    context: BotContext,
    request: Request,
    action: str,
    *,
    duration: timedelta | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Write the audit entry (opaque ids only) and show it in the region's staff chat."""
    store, now = context.store, context.clock.now()
    actor_ref = await actor_reference(context, request.actor_id)
    target_id = request.target.user_id
    entry = await store.audit.record(
        request.group.chat_id,
        now,
        actor_ref,
        action,
        target_ref=await store.refs.ref_for(target_id) if target_id else None,
        duration_seconds=int(duration.total_seconds()) if duration else None,
        reason=reason,
    )
    await count_group_event(context, request.group.chat_id, f"moderation:{action}")
    region = request.group.region
    await post_to_staff(
        context, request.group, lambda t: log_line(t, entry, region), kind="moderation"
    )
    log.info("moderation action=%s", action)
    return entry


async def actor_reference(context: BotContext, actor_id: int | None) -> str:
    if actor_id is None:
        return "group"  # an anonymous administrator
    if actor_id == context.bot.id:
        return "bot"
    return await context.store.refs.ref_for(actor_id)


def log_line(t: Translator, entry: AuditEntry, region: str) -> str:
    """One line of the moderation log; people appear only as short opaque ids."""
    parts = [
        t.gettext(ACTION_LABELS.get(entry.action, entry.action)),
        t.gettext("peer group of {region}", region=region),
    ]
    if entry.target_ref:
        parts.append(t.gettext("member #{ref}", ref=entry.target_ref[:6]))
    if entry.duration_seconds:
        parts.append(describe_duration(t, timedelta(seconds=entry.duration_seconds)))
    if entry.reason:
        parts.append(t.gettext("reason: {reason}", reason=entry.reason))
    parts.append(t.gettext("by #{ref}", ref=entry.actor_ref[:6]))
    if entry.undone_at is not None:
        parts.append(t.gettext("undone"))
    return " · ".join([t.time(entry.at), *parts])


def describe_duration(t: Translator, duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    if minutes % (60 * 24) == 0:
        days = minutes // (60 * 24)
        return t.ngettext("{n} day", "{n} days", days)
    if minutes % 60 == 0:
        return t.ngettext("{n} hour", "{n} hours", minutes // 60)
    return t.ngettext("{n} minute", "{n} minutes", minutes)


def split_duration(
    words: list[str], default: timedelta | None
) -> tuple[timedelta | None, str | None] | None:
    """[DURATION] [REASON…] -> (duration, reason); None if the first word is a bad duration."""
    if words and looks_like_duration(words[0]):
        duration = parse_duration(words[0])
        if duration is None:
            return None
        words = words[1:]
    else:
        duration = default
    reason = " ".join(words).strip()[:300] or None
    return duration, reason


async def tell_member(
    context: BotContext, user_id: int, render: Callable[[Translator], str]
) -> None:
    """Privately, in the member's own language; silence if the bot cannot reach them."""
    member = await context.store.members.get(user_id)
    if member is not None:
        await send_private(context, user_id, render(context.member_translator(member)))


def talk_to_us(t: Translator) -> str:
    return t.gettext(
        "If you want to talk about it, you can write to your group's facilitator privately. "
        "This is about one moment, not about you as a person. 💛"
    )


async def bad_duration(context: BotContext, request: Request) -> None:
    await tell_facilitator(
        context,
        request.actor_id,
        request.group.chat_id,
        request.t.gettext(
            "I don't understand that duration. Use for example 30m, 2h, 1d or 1w (at most a year)."
        ),
    )
