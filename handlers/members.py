"""Who is speaking and in which language we answer; whether we can reach them privately."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ChatMemberHandler, TypeHandler

from bot.context import BotApplication, BotContext
from bot.i18n import resolve_language
from storage import Member
from storage.members import MemberRepository

IDENTIFY_GROUP = -2
PRIVATE_STATUS_GROUP = 1
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
# Last use is kept to the day: finer would cost a write per update and say more than needed.
ACTIVITY_RESOLUTION = timedelta(days=1)


def register(app: BotApplication) -> None:
    app.add_handler(TypeHandler(Update, identify), group=IDENTIFY_GROUP)
    # Its own group, so the group-membership handler in handlers.chats also sees these updates.
    app.add_handler(
        ChatMemberHandler(on_private_status, ChatMemberHandler.MY_CHAT_MEMBER),
        group=PRIVATE_STATUS_GROUP,
    )


async def note_private_contact(
    members: MemberRepository,
    user_id: int,
    member: Member | None,
    now: datetime,
    app_language: str | None,
) -> Member:
    """A person writing to the bot privately has started it, so we can reach them.

    Their app language is kept too, for messages the bot starts on its own (reminders).
    """
    spoken = resolve_language(None, app_language, "") or None
    if member is None or not member.reachable or member.started_at is None:
        member = await members.mark_started(user_id, now)
    if member.app_language != spoken:
        await members.set_app_language(user_id, spoken)
        member = await members.get(user_id) or member
    return member


async def _note_activity(members: MemberRepository, member: Member | None, now: datetime) -> None:
    """Remember, to the day, when a stored member last used the bot (for retention)."""
    if member is None:
        return
    if member.last_seen_at is None or now - member.last_seen_at >= ACTIVITY_RESOLUTION:
        await members.touch(member.user_id, now)


def reply_language(
    *,
    in_group: bool,
    member_language: str | None,
    app_language: str | None,
    chat_language: str | None,
    default: str,
) -> str:
    """Private answers follow the member; messages in a group follow the group."""
    if in_group:
        return chat_language or default
    return resolve_language(member_language, app_language, default)


async def identify(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    members = context.store.members
    in_group = chat is not None and chat.type in GROUP_TYPES
    if user is not None and not user.is_bot:
        context.member = await members.get(user.id)
        writes_privately = update.message is not None or update.callback_query is not None
        if chat is not None and chat.type == ChatType.PRIVATE and writes_privately:
            context.member = await note_private_contact(
                members, user.id, context.member, context.clock.now(), user.language_code
            )
        await _note_activity(members, context.member, context.clock.now())
    if chat is not None and in_group:
        context.registered_chat = await context.store.chats.get(chat.id)
    default = context.settings.bot.default_language
    member_language = context.member.language if context.member else None
    app_language = user.language_code if user else None
    context.member_language = resolve_language(member_language, app_language, default)
    context.language = reply_language(
        in_group=in_group,
        member_language=member_language,
        app_language=app_language,
        chat_language=context.registered_chat.language if context.registered_chat else None,
        default=default,
    )


async def on_private_status(update: Update, context: BotContext) -> None:
    """Blocking the bot makes a member unreachable; unblocking makes them reachable again."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
    await context.store.members.set_reachable(change.chat.id, not blocked)
