"""When the bot lacks an administrator right, the facilitators hear exactly which, once."""

from __future__ import annotations

import logging
from enum import Enum

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext
from bot.i18n import N_, Translator

log = logging.getLogger(__name__)


class Right(Enum):
    # Names as Telegram's group settings show them to an administrator.
    INVITE = N_("Invite users via link")
    RESTRICT = N_("Ban users")
    DELETE = N_("Delete messages")
    PIN = N_("Pin messages")


_NO_RIGHT_MARKERS = (
    "not enough rights",
    "chat_admin_required",
    "can't be deleted",
    "have no rights",
    "need administrator rights",
)


def is_missing_right(error: TelegramError) -> bool:
    """Telegram's way of saying the bot is not allowed to do this here."""
    text = error.message.lower()
    return isinstance(error, BadRequest | Forbidden) and any(m in text for m in _NO_RIGHT_MARKERS)


def missing_right_text(t: Translator, right: Right) -> str:
    if right is Right.PIN:
        return t.gettext(
            "I need one more administrator right in this group: “{right}”. Without it I "
            "cannot pin the help message. Please add it: group settings → Administrators → me.",
            right=t.gettext(right.value),
        )
    return t.gettext(
        "I need one more administrator right in this group: “{right}”. Without it I cannot "
        "let new members in or keep the group tidy. Please add it: group settings → "
        "Administrators → me.",
        right=t.gettext(right.value),
    )


async def report_missing_right(context: BotContext, chat_id: int, right: Right) -> None:
    """Tell the region's staff chat (or the group itself) once per group and right."""
    store = context.store
    if not await store.chats.first_missing_right(chat_id, right.name, context.clock.now()):
        return
    group = await store.chats.get(chat_id)
    target, language = chat_id, group.language if group else None
    if group is not None:
        staff = [c for c in await store.chats.list("staff") if c.region == group.region]
        if staff:
            target, language = staff[0].chat_id, staff[0].language
    t = context.translator(language)
    text = missing_right_text(t, right)
    if target != chat_id and group is not None:
        text = t.gettext("Peer group of {region}:", region=group.region) + "\n" + text
    try:
        await context.bot.send_message(target, text)
    except TelegramError as exc:
        log.warning("missing_right_notice_failed reason=%s", type(exc).__name__)
    log.info("missing_right right=%s", right.name)
