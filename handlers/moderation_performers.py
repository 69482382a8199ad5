"""The facilitator actions themselves, one function each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import ChatPermissions

from bot.context import BotContext
from bot.i18n import Translator
from bot.rights import Right
from handlers.moderation_actions import (
    DELETE_LIMIT,
    MUTED,
    Refused,
    Request,
    bad_duration,
    describe_duration,
    record,
    split_duration,
    talk_to_us,
    telegram,
    tell_member,
)
from handlers.moderation_common import tell_facilitator


def _member(request: Request) -> int:
    user_id = request.target.user_id
    assert user_id is not None  # checked before any performer runs
    return user_id


async def warn(context: BotContext, request: Request) -> None:
    settings, now = context.settings.moderation, context.clock.now()
    user_id = _member(request)
    reason = " ".join(request.target.words).strip()[:300] or None
    expires = now + timedelta(days=settings.warning_expiry_days)
    active = await context.store.warnings.add(request.group.chat_id, user_id, now, expires)
    await record(context, request, "warn", reason=reason)
    await tell_member(context, user_id, lambda t: warn_text(t, reason))
    if request.group.public_warn_notice:
        t = context.translator(request.group.language)
        await context.bot.send_message(
            request.group.chat_id, t.gettext("A facilitator gave a private reminder of our rules.")
        )
    if active >= settings.warning_limit:
        await context.store.warnings.clear(request.group.chat_id, user_id)
        await pause_member(
            context, request, timedelta(hours=settings.limit_pause_hours), None, "auto_pause"
        )


def warn_text(t: Translator, reason: str | None) -> str:
    text = t.gettext("A facilitator reminds you of the group's rules.")
    if reason:
        text += " " + t.gettext("The reason: {reason}", reason=reason)
    return f"{text}\n\n{talk_to_us(t)}"


async def unwarn(context: BotContext, request: Request) -> None:
    user_id, now = _member(request), context.clock.now()
    removed = await context.store.warnings.remove_last(request.group.chat_id, user_id, now)
    left = await context.store.warnings.active(request.group.chat_id, user_id, now)
    if removed:
        await record(context, request, "unwarn")
    await _tell_count(context, request, left, removed)


async def warns(context: BotContext, request: Request) -> None:
    now = context.clock.now()
    count = await context.store.warnings.active(request.group.chat_id, _member(request), now)
    await _tell_count(context, request, count, False)


async def _tell_count(context: BotContext, request: Request, count: int, removed: bool) -> None:
    t = request.t
    text = t.ngettext(
        "The member has {n} active warning.", "The member has {n} active warnings.", count
    )
    if removed:
        text = t.gettext("Removed the latest warning.") + " " + text
    await tell_facilitator(context, request.actor_id, request.group.chat_id, text)


async def pause(context: BotContext, request: Request) -> None:
    default = timedelta(minutes=context.settings.moderation.default_pause_minutes)
    parsed = split_duration(request.target.words, default)
    if parsed is None or parsed[0] is None:
        await bad_duration(context, request)
        return
    await pause_member(context, request, parsed[0], parsed[1], "pause")


async def pause_member(
    context: BotContext, request: Request, duration: timedelta, reason: str | None, action: str
) -> None:
    """Mute until a moment: Telegram ends the pause by itself, even if the bot is down."""
    user_id = _member(request)
    until = context.clock.now() + duration
    call = context.bot.restrict_chat_member(
        request.group.chat_id, user_id, MUTED, until_date=until
    )
    try:
        await telegram(context, request, call, Right.RESTRICT)
    except Refused:
        return
    await record(context, request, action, duration=duration, reason=reason)
    await tell_member(context, user_id, lambda t: pause_text(t, duration, reason))


def pause_text(t: Translator, duration: timedelta, reason: str | None) -> str:
    text = t.gettext(
        "You can't write in the group for {duration}. After that you can write again by yourself.",
        duration=describe_duration(t, duration),
    )
    if reason:
        text += " " + t.gettext("The reason: {reason}", reason=reason)
    return f"{text}\n\n{talk_to_us(t)}"


async def unpause(context: BotContext, request: Request) -> None:
    if await lift_pause(context, request):
        await record(context, request, "unpause")


async def lift_pause(context: BotContext, request: Request) -> bool:
    user_id = _member(request)
    group = await context.bot.get_chat(request.group.chat_id)
    permissions = group.permissions or ChatPermissions.all_permissions()
    call = context.bot.restrict_chat_member(request.group.chat_id, user_id, permissions)
    try:
        await telegram(context, request, call, Right.RESTRICT)
    except Refused:
        return False
    await tell_member(
        context, user_id, lambda t: t.gettext("You can write in the group again. 💛")
    )
    return True


async def remove(context: BotContext, request: Request) -> None:
    parsed = split_duration(request.target.words, None)
    if parsed is None:
        await bad_duration(context, request)
        return
    duration, reason = parsed
    until = context.clock.now() + duration if duration else None
    user_id = _member(request)
    call = context.bot.ban_chat_member(request.group.chat_id, user_id, until_date=until)
    try:
        await telegram(context, request, call, Right.RESTRICT)
    except Refused:
        return
    await record(context, request, "remove", duration=duration, reason=reason)
    await tell_member(context, user_id, lambda t: removal_text(t, reason))


def removal_text(t: Translator, reason: str | None) -> str:
    text = t.gettext("A facilitator removed you from the peer group.")
    if reason:
        text += " " + t.gettext("The reason: {reason}", reason=reason)
    return f"{text}\n\n{talk_to_us(t)}"


async def unremove(context: BotContext, request: Request) -> None:
    if await lift_removal(context, request):
        await record(context, request, "unremove")


async def lift_removal(context: BotContext, request: Request) -> bool:
    user_id = _member(request)
    call = context.bot.unban_chat_member(request.group.chat_id, user_id, only_if_banned=True)
    try:
        await telegram(context, request, call, Right.RESTRICT)
    except Refused:
        return False
    await tell_member(
        context,
        user_id,
        lambda t: t.gettext(
            "You are welcome back to the peer group. Ask a facilitator for the link."
        ),
    )
    return True


async def delete(context: BotContext, request: Request) -> None:
    target = request.target
    assert target.message_id is not None  # checked before any performer runs
    if target.message_date_age is not None and target.message_date_age > DELETE_LIMIT:
        await tell_facilitator(
            context,
            request.actor_id,
            request.group.chat_id,
            request.t.gettext(
                "Telegram lets me delete messages only for 48 hours. Please delete this one "
                "yourself in Telegram."
            ),
        )
        return
    call = context.bot.delete_message(request.group.chat_id, target.message_id)
    try:
        await telegram(context, request, call, Right.DELETE)
    except Refused:
        return
    await record(context, request, "delete")
    if target.user_id is not None:
        await tell_member(context, target.user_id, deleted_text)


def deleted_text(t: Translator) -> str:
    return (
        t.gettext("A facilitator removed one of your messages from the group.")
        + "\n\n"
        + talk_to_us(t)
    )


PERFORMERS: dict[str, Callable[[BotContext, Request], Awaitable[None]]] = {
    "warn": warn,
    "unwarn": unwarn,
    "warns": warns,
    "pause": pause,
    "unpause": unpause,
    "remove": remove,
    "unremove": unremove,
    "delete": delete,
}
