"""Facilitator commands: /warn, /pause, /remove and their undo, /warns, /del."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from bot.facilitators import ADMIN_STATUSES, is_facilitator, sent_as_the_group
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_actions import Request
from handlers.moderation_common import (
    Target,
    delete_command,
    find_target,
    only_facilitators_text,
    tell_facilitator,
)
from handlers.moderation_performers import PERFORMERS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    action: str
    needs_member: bool = True  # False: /del works on any message
    removes: bool = False  # pauses or removes someone: permission is checked live


COMMANDS = {
    "warn": Command("warn"),
    "unwarn": Command("unwarn"),
    "warns": Command("warns"),
    "pause": Command("pause", removes=True),
    "mute": Command("pause", removes=True),
    "unpause": Command("unpause"),
    "unmute": Command("unpause"),
    "remove": Command("remove", removes=True),
    "ban": Command("remove", removes=True),
    "unremove": Command("unremove"),
    "unban": Command("unremove"),
    "del": Command("delete", needs_member=False),
}
NOT_PRESENT = ("left", "kicked")
_COMMAND = re.compile(r"/([A-Za-z0-9_]+)")
REPORTS_KEPT = timedelta(days=30)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(list(COMMANDS), on_command))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            housekeeping,
            interval=timedelta(hours=1),
            first=timedelta(minutes=5),
            name="moderation-housekeeping",
        )


async def housekeeping(context: BotContext) -> None:
    """Keep only what is still needed: counters and drafts are short-lived by design."""
    store, now = context.store, context.clock.now()
    await store.warnings.purge_expired(now)
    await store.flood.purge_before(now - timedelta(hours=1))
    await store.reports.purge_events_before(now - timedelta(days=1))
    await store.reports.purge_before(now - REPORTS_KEPT)
    await store.rules.drop_drafts_before(now - timedelta(days=1))


def command_name(text: str) -> str:
    """`/Pause@bot, 2h` -> "pause": Telegram's command ends where its letters and digits do."""
    match = _COMMAND.match(text)
    return match.group(1).lower() if match else ""


async def on_command(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None or message.text is None:
        return
    group = context.registered_chat
    if chat.type == ChatType.PRIVATE or group is None or group.kind != "peer_group":
        await message.reply_text(context.t.gettext("Use this command in a peer group."))
        return
    command = COMMANDS[command_name(message.text)]
    await delete_command(context, message)
    anonymous = sent_as_the_group(message)
    if not anonymous and not await is_facilitator(
        context, user.id, chat.id, fresh=command.removes
    ):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        log.info("moderation_refused action=%s", command.action)
        return
    actor = None if anonymous else user.id
    target = find_target(message, list(context.args or []), context.clock.now().timestamp())
    problem = await target_problem(context, command, target, chat.id)
    if problem is not None:
        await tell_facilitator(context, actor, chat.id, problem(context.member_t))
        return
    request = Request(group, actor, target, context.member_t)
    await PERFORMERS[command.action](context, request)


# A reason to do nothing, rendered later in the facilitator's language.
Problem = Callable[[Translator], str]


async def target_problem(
    context: BotContext, command: Command, target: Target, chat_id: int
) -> Problem | None:
    if not command.needs_member:
        if target.message_id is None:
            return lambda t: t.gettext("Reply to the message you want to delete.")
        return None
    if target.user_id is None:
        return _no_target_text
    if target.user_id == context.bot.id:
        return lambda t: t.gettext("I can't do that to myself.")
    if target.user_id in context.settings.bot.admins:
        return _facilitator_target_text
    try:
        status = (await context.bot.get_chat_member(chat_id, target.user_id)).status
    except TelegramError:
        status = "left"
    if status in ADMIN_STATUSES:
        return _facilitator_target_text
    if status in NOT_PRESENT and command.action in ("warn", "pause", "unpause"):
        return lambda t: t.gettext("That member is no longer in the group.")
    return None


def _no_target_text(t: Translator) -> str:
    return t.gettext(
        "Reply to the member's message with the command, or give their user id, "
        "for example: /pause 2h or /pause 123456789 2h"
    )


def _facilitator_target_text(t: Translator) -> str:
    return t.gettext("Facilitators can't be warned, paused or removed with these commands.")
