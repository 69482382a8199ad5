"""/setup: an organisation admin registers a group as a peer group or as a staff chat."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from bot.settings import LANGUAGES
from storage import Chat, ChatKind
from storage.chats import ChatRepository

log = logging.getLogger(__name__)
_REGION = re.compile(r"^\w[\w .'-]{0,39}$")
_KINDS: dict[str, ChatKind] = {"group": "peer_group", "staff": "staff"}


class Outcome(Enum):
    REGISTERED = "registered"
    SHOW = "show"
    NOT_ADMIN = "not-admin"
    NOT_IN_GROUP = "not-in-group"
    USAGE = "usage"
    BAD_REGION = "bad-region"


@dataclass(frozen=True)
class SetupResult:
    outcome: Outcome
    chat: Chat | None = None


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("setup", on_setup))


def parse_region(words: list[str]) -> tuple[str, str | None] | None:
    """REGION [LANGUAGE] -> (region, language); None if the region is not a plain name."""
    language = None
    if len(words) >= 2 and words[-1].lower() in LANGUAGES:
        language = words[-1].lower()
        words = words[:-1]
    region = " ".join(words).strip()
    if not _REGION.match(region):
        return None
    return region, language


async def setup_chat(
    chats: ChatRepository,
    *,
    is_admin: bool,
    in_group: bool,
    chat_id: int,
    args: list[str],
    now: datetime,
) -> SetupResult:
    """The whole /setup rule, free of Telegram types."""
    if not is_admin:
        return SetupResult(Outcome.NOT_ADMIN)
    if not in_group:
        return SetupResult(Outcome.NOT_IN_GROUP)
    if not args:
        return SetupResult(Outcome.SHOW, await chats.get(chat_id))
    kind = _KINDS.get(args[0].lower())
    if kind is None or len(args) < 2:
        return SetupResult(Outcome.USAGE)
    parsed = parse_region(args[1:])
    if parsed is None:
        return SetupResult(Outcome.BAD_REGION)
    region, language = parsed
    chat = await chats.register(chat_id, kind, region, language, now)
    return SetupResult(Outcome.REGISTERED, chat)


async def on_setup(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    result = await setup_chat(
        context.store.chats,
        is_admin=user.id in context.settings.bot.admins,
        in_group=chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        chat_id=chat.id,
        args=list(context.args or []),
        now=context.clock.now(),
    )
    if result.outcome is Outcome.NOT_ADMIN:
        # Nothing happens in the group; the person hears why, privately.
        await send_private(context, user.id, refusal_text(context.member_t))
        log.info("setup_refused")
        return
    t = context.translator(result.chat.language) if result.chat else context.t
    text = outcome_text(t, result)
    if result.outcome is Outcome.REGISTERED:
        log.info("chat_registered kind=%s", result.chat.kind if result.chat else "-")
        missing = await missing_rights_text(context, chat.id, t)
        text = f"{text}\n\n{missing}" if missing else text
    await message.reply_text(text)


def refusal_text(t: Translator) -> str:
    return t.gettext(
        "Only an organisation admin can register groups, so nothing was changed. "
        "If this group should be registered, please ask your organisation's admin."
    )


def outcome_text(t: Translator, result: SetupResult) -> str:
    usage = t.gettext(
        "Use /setup group REGION in a peer group, or /setup staff REGION in the facilitators' "
        "chat. For example: /setup group Lappi. You can add the group's language at the end: "
        "/setup group Lappi sv"
    )
    chat = result.chat
    if result.outcome is Outcome.NOT_IN_GROUP:
        return t.gettext("Send /setup in the group you want to register, not here.")
    if result.outcome is Outcome.BAD_REGION:
        return (
            t.gettext(
                "A region name can have letters, numbers, spaces and hyphens, "
                "at most 40 characters."
            )
            + "\n\n"
            + usage
        )
    if result.outcome is Outcome.USAGE:
        return usage
    if chat is None:
        return t.gettext("This chat is not registered yet.") + "\n\n" + usage
    if chat.kind == "staff":
        status = t.gettext(
            "This chat is the staff chat of the region {region}.", region=chat.region
        )
    else:
        status = t.gettext(
            "This group is a peer group of the region {region}.", region=chat.region
        )
    if result.outcome is Outcome.REGISTERED:
        return t.gettext("Done! ✅") + " " + status
    return status


async def missing_rights_text(context: BotContext, chat_id: int, t: Translator) -> str | None:
    """Tell the admin if the bot still lacks the administrator rights it needs here."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except TelegramError:
        return None
    if me.status == ChatMemberStatus.ADMINISTRATOR:
        return None
    return t.gettext(
        "Please make me an administrator of this group, with the rights to delete messages, "
        "ban users and invite users. Without them I cannot keep the group safe."
    )
