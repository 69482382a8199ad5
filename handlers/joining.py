"""The way in: read the rules privately, agree, get in. No names or consents in the group."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import ChatPermissions, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ChatJoinRequestHandler, ChatMemberHandler
from telegram.helpers import create_deep_linked_url

from bot.context import BotApplication, BotContext
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.rights import Right, is_missing_right, report_missing_right
from bot.settings import LANGUAGES
from handlers.goodbye import say_goodbye
from handlers.moderation_common import parse_id
from handlers.rules import group_rules_text
from handlers.stats import count_group_event
from storage import Chat, PendingJoin, Store

log = logging.getLogger(__name__)
PREFIX = "join:"
MUTED = ChatPermissions.no_permissions()
EXPIRY_CHECK_INTERVAL = timedelta(minutes=10)
PRESENT = {
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.RESTRICTED,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
}
GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}


def register(app: BotApplication) -> None:
    app.add_handler(ChatJoinRequestHandler(on_join_request))
    app.add_handler(ChatMemberHandler(on_member_change, ChatMemberHandler.CHAT_MEMBER))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            decline_expired_requests,
            interval=EXPIRY_CHECK_INTERVAL,
            first=timedelta(minutes=2),
            name="decline-expired-join-requests",
        )


@dataclass(frozen=True)
class JoinButton:
    action: str  # "ok", "no" or "lang"
    chat_id: int
    value: str = ""  # rules version for "ok", language for "lang"


def parse_button(data: str) -> JoinButton | None:
    """join:ok:CHAT:VERSION, join:no:CHAT, join:lang:CODE:CHAT; None for anything else."""
    parts = data.split(":")
    # isascii: "²" is a digit to isdigit() but not to int().
    if len(parts) == 4 and parts[1] == "ok" and parts[3].isascii() and parts[3].isdigit():
        action, chat, value = "ok", parse_id(parts[2]), parts[3]
    elif len(parts) == 3 and parts[1] == "no":
        action, chat, value = "no", parse_id(parts[2]), ""
    elif len(parts) == 4 and parts[1] == "lang" and parts[2] in LANGUAGES:
        action, chat, value = "lang", parse_id(parts[3]), parts[2]
    else:
        return None
    return JoinButton(action, chat, value) if chat is not None else None


def membership_change(old: str, old_member: bool, new: str, new_member: bool) -> str | None:
    """'joined', 'left' or 'released' (a facilitator lifted the restriction); else None."""
    was_in = old in PRESENT and (old != ChatMemberStatus.RESTRICTED or old_member)
    is_in = new in PRESENT and (new != ChatMemberStatus.RESTRICTED or new_member)
    if is_in and not was_in:
        return "joined"
    if was_in and (new in GONE or not is_in):
        return "left"
    if old == ChatMemberStatus.RESTRICTED and new == ChatMemberStatus.MEMBER:
        return "released"
    return None


async def gate_applies(store: Store, chat: Chat | None, user_id: int) -> int | None:
    """The rules version a newcomer must agree to, or None if they may simply come in."""
    if chat is None or chat.kind != "peer_group" or not chat.join_gate:
        return None
    rules = await store.rules.current(chat.chat_id)
    consent = await store.joins.consent(user_id, chat.chat_id)
    if consent is not None and consent.rules_version == rules.version:
        return None
    return rules.version


def join_buttons(
    t: Translator, chat_id: int, version: int, *, request: bool
) -> InlineKeyboardMarkup:
    languages = [
        InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=f"{PREFIX}lang:{code}:{chat_id}")
        for code in LANGUAGES
    ]
    agree = t.gettext("I agree – let me in") if request else t.gettext("I agree")
    return InlineKeyboardMarkup(
        [
            languages[:2],
            languages[2:],
            [InlineKeyboardButton(agree, callback_data=f"{PREFIX}ok:{chat_id}:{version}")],
            [InlineKeyboardButton(t.gettext("Not now"), callback_data=f"{PREFIX}no:{chat_id}")],
        ]
    )


async def invitation_text(store: Store, chat: Chat, t: Translator) -> str:
    intro = t.gettext(
        "Hi! 👋 Before you take part in the peer group, please read its rules. "
        "You can change the language with the buttons below."
    )
    rules = await group_rules_text(store, chat, t)
    return f"{intro}\n\n{rules}\n\n" + t.gettext("Do you agree to follow these rules?")


async def on_join_request(update: Update, context: BotContext) -> None:
    request = update.chat_join_request
    chat = context.registered_chat
    if request is None or chat is None:
        return
    version = await gate_applies(context.store, chat, request.from_user.id)
    if version is None:
        return  # gate off: the group's facilitators decide in Telegram
    now = context.clock.now()
    await context.store.joins.start_pending(request.from_user.id, chat.chat_id, "request", now)
    t = context.member_t
    try:
        await context.bot.send_message(
            request.user_chat_id,
            await invitation_text(context.store, chat, t),
            reply_markup=join_buttons(t, chat.chat_id, version, request=True),
        )
    except (Forbidden, BadRequest) as exc:
        log.info("join_invitation_failed reason=%s", type(exc).__name__)


async def on_member_change(update: Update, context: BotContext) -> None:
    change = update.chat_member
    if change is None or change.new_chat_member.user.is_bot:
        return
    old, new = change.old_chat_member, change.new_chat_member
    kind = membership_change(
        old.status,
        bool(getattr(old, "is_member", True)),
        new.status,
        bool(getattr(new, "is_member", True)),
    )
    user_id = new.user.id
    if kind == "joined" and new.status not in (
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    ):
        await on_arrival(context, user_id)
    elif kind == "left":
        await on_departure(context, user_id, new.status == ChatMemberStatus.LEFT)
    elif kind == "released" and change.from_user.id != context.bot.id:
        await forget_pending(context, user_id, change.chat.id)


async def on_arrival(context: BotContext, user_id: int) -> None:
    chat = context.registered_chat
    version = await gate_applies(context.store, chat, user_id)
    if chat is None or version is None:
        return
    try:
        await context.bot.restrict_chat_member(chat.chat_id, user_id, MUTED)
    except TelegramError as exc:
        if is_missing_right(exc):
            await report_missing_right(context, chat.chat_id, Right.RESTRICT)
        log.info("arrival_not_restricted reason=%s", type(exc).__name__)
        return
    await context.store.joins.start_pending(user_id, chat.chat_id, "arrival", context.clock.now())
    url = create_deep_linked_url(context.bot.username, f"join-{chat.chat_id}")
    button = InlineKeyboardButton(context.t.gettext("Read the rules"), url=url)
    welcome = await context.bot.send_message(
        chat.chat_id,
        # Nobody is named: joining a group like this is private.
        context.t.gettext(
            "Welcome to the group! 👋 Please read our rules in a private chat with me first – "
            "tap the button. After that you can write here."
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )
    await context.store.joins.set_welcome_message(user_id, chat.chat_id, welcome.message_id)


async def forget_pending(context: BotContext, user_id: int, chat_id: int) -> None:
    """The join is over (done, withdrawn or decided by a facilitator): tidy its traces."""
    pending = await context.store.joins.take_pending(user_id, chat_id)
    if pending is not None and pending.welcome_message_id is not None:
        await _delete_quietly(context, chat_id, pending.welcome_message_id)


async def _delete_quietly(context: BotContext, chat_id: int, message_id: int) -> None:
    try:
        await context.bot.delete_message(chat_id, message_id)
    except TelegramError as exc:
        if is_missing_right(exc):
            await report_missing_right(context, chat_id, Right.DELETE)
        log.info("delete_skipped reason=%s", type(exc).__name__)


async def on_departure(context: BotContext, user_id: int, by_themselves: bool) -> None:
    chat = context.registered_chat
    if chat is None:
        return
    await forget_pending(context, user_id, chat.chat_id)
    if await context.store.joins.withdraw_consent(user_id, chat.chat_id):
        await count_group_event(context, chat.chat_id, "left")
    if by_themselves:
        await say_goodbye(context, user_id, context.member_t)


async def decline_expired_requests(context: BotContext) -> None:
    """Requests nobody answered are declined quietly: nothing is said in the group."""
    hours = context.settings.bot.join_request_timeout_hours
    cutoff = context.clock.now() - timedelta(hours=hours)
    for pending in await context.store.joins.take_requests_since_before(cutoff):
        await _decline_quietly(context, pending)


async def _decline_quietly(context: BotContext, pending: PendingJoin) -> None:
    try:
        await context.bot.decline_chat_join_request(pending.chat_id, pending.user_id)
    except TelegramError as exc:
        log.info("decline_skipped reason=%s", type(exc).__name__)
