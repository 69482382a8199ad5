"""/meetup add|cancel and /meetups: facilitators plan, everyone sees what is coming."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator, sent_as_the_group
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.meetup_calendar import calendar_file
from handlers.meetup_changes import cancel_meetup, edit_meetup
from handlers.meetup_parsing import MeetupDraft, ParseError, parse_meetup
from handlers.meetup_texts import meetup_card, parse_error_text, rsvp_buttons
from handlers.moderation_common import (
    delete_command,
    facilitator_press,
    only_facilitators_text,
)
from handlers.reminders import plan_meetup, upcoming
from storage import Chat, Meetup, Store

log = logging.getLogger(__name__)
LISTED = 3
LOOK_AHEAD = timedelta(days=120)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("meetup", on_meetup))
    app.add_handler(CommandHandler("meetups", on_meetups))
    app.add_handler(CallbackQueryHandler(on_draft_button, pattern=r"^meetup:(ok|no):"))


def draft_payload(draft: MeetupDraft) -> str:
    recurrence = draft.recurrence
    return json.dumps(
        {
            "title": draft.title,
            "start": draft.start.isoformat(),
            "minutes": int(draft.duration.total_seconds() // 60),
            "place": draft.place,
            "online": draft.online,
            "link": draft.online_link,
            "notes": draft.notes,
            "frequency": recurrence.frequency.name.lower() if recurrence else None,
            "weekday": recurrence.weekday if recurrence else None,
            "week_of_month": recurrence.week_of_month if recurrence else None,
        }
    )


async def create_from_payload(
    store: Store, chat: Chat, payload: str, zone: str, now: datetime
) -> Meetup:
    data: dict[str, Any] = json.loads(payload)
    return await store.meetups.create(
        chat.chat_id,
        title=data["title"],
        place=data["place"],
        online=data["online"],
        online_link=data["link"],
        notes=data["notes"],
        start_local=datetime.fromisoformat(data["start"]),
        zone=zone,
        duration=timedelta(minutes=data["minutes"]),
        frequency=data["frequency"],
        weekday=data["weekday"],
        week_of_month=data["week_of_month"],
        at=now,
    )


def _rest_after(text: str, words: int) -> str:
    parts = text.split(maxsplit=words)
    return parts[words] if len(parts) > words else ""


async def on_meetup(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    group = context.registered_chat
    if chat is None or user is None or message is None or message.text is None:
        return
    if chat.type == ChatType.PRIVATE or group is None or group.kind != "peer_group":
        await message.reply_text(context.t.gettext("Use /meetup in a peer group."))
        return
    if not sent_as_the_group(message) and not await is_facilitator(context, user.id, chat.id):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        return
    action = (context.args or [""])[0].lower()
    if action == "add":
        await delete_command(context, message)  # it may hold the online link
        await add_meetup(context, group, _rest_after(message.text, 2))
    elif action == "cancel":
        await cancel_meetup(update, context, group, list(context.args or [])[1:])
    elif action == "edit":
        await message.reply_text(await edit_meetup(context, group, message.text))
    else:
        await message.reply_text(parse_error_text(context.t, ParseError.EMPTY))


async def add_meetup(context: BotContext, group: Chat, text: str) -> None:
    zone = context.settings.bot.zone
    now_local = context.clock.now().astimezone(zone).replace(tzinfo=None)
    parsed = parse_meetup(text, now_local)
    if isinstance(parsed, ParseError):
        await context.bot.send_message(group.chat_id, parse_error_text(context.t, parsed))
        return
    draft = await context.store.meetups.add_draft(
        group.chat_id, draft_payload(parsed), context.clock.now()
    )
    await context.bot.send_message(
        group.chat_id,
        preview_text(context.t, parsed, zone),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        context.t.gettext("Confirm"), callback_data=f"meetup:ok:{draft.draft_id}"
                    ),
                    InlineKeyboardButton(
                        context.t.gettext("Cancel"), callback_data=f"meetup:no:{draft.draft_id}"
                    ),
                ]
            ]
        ),
    )


def preview_text(t: Translator, draft: MeetupDraft, zone: Any) -> str:
    when = t.datetime(draft.start.replace(tzinfo=zone))
    lines = [t.gettext("New meetup – is this right?"), f"📅 {draft.title}", f"🕔 {when}"]
    if draft.recurrence is not None:
        lines.append("🔁 " + repeat_text(t, draft.recurrence.frequency.name.lower()))
    place = draft.place or (t.gettext("Online") if draft.online else None)
    if place:
        lines.append(f"📍 {place}")
    if draft.online_link:
        lines.append("🔗 " + t.gettext("Online link saved: shown only to those who are coming."))
    if draft.notes:
        lines.append(f"ℹ️ {draft.notes}")
    return "\n".join(lines)


def repeat_text(t: Translator, frequency: str) -> str:
    return {
        "weekly": t.gettext("every week"),
        "biweekly": t.gettext("every two weeks"),
        "monthly": t.gettext("every month, on the same weekday"),
    }[frequency]


async def on_draft_button(update: Update, context: BotContext) -> None:
    press = await facilitator_press(update, context)
    if press is None:
        return
    query, action, chat_id = press.query, press.action, press.chat_id
    draft = await context.store.meetups.take_draft(press.draft_id, chat_id)
    group = await context.store.chats.get(chat_id)
    if draft is None or group is None or draft.chat_id != chat_id:
        await query.answer(context.t.gettext("This button no longer works."))
        return
    await query.answer()
    if action == "no":
        await query.edit_message_text(context.t.gettext("Cancelled: no meetup was added."))
        return
    now = context.clock.now()
    meetup = await create_from_payload(
        context.store, group, draft.payload, context.settings.bot.timezone, now
    )
    await plan_meetup(context.store, context.settings, meetup, now)
    log.info("meetup_created")
    await query.edit_message_text(
        context.t.gettext(
            "Added! 💛 Its code is {code} (for /meetup cancel).", code=meetup.meetup_id
        )
    )
    await show_next(context, group, meetup, chat_id)


async def show_next(context: BotContext, group: Chat, meetup: Meetup, chat_id: int) -> bool:
    now = context.clock.now()
    cancelled = await context.store.meetups.cancelled_occurrences(meetup.meetup_id)
    for starts_at in upcoming(meetup, now, now + LOOK_AHEAD):
        if starts_at in cancelled:
            continue
        counts = await context.store.rsvps.counts(meetup.meetup_id, starts_at)
        await context.bot.send_message(
            chat_id,
            meetup_card(context.translator(group.language), meetup, starts_at, counts),
            reply_markup=rsvp_buttons(context.t, meetup.meetup_id, starts_at),
        )
        return True
    return False


async def next_occurrences(
    store: Store, chat_ids: list[int], now: datetime, limit: int
) -> list[tuple[datetime, Meetup]]:
    """The coming occurrences of these groups' meetups, soonest first."""
    found: list[tuple[datetime, Meetup]] = []
    for meetup in await store.meetups.for_chats(chat_ids):
        cancelled = await store.meetups.cancelled_occurrences(meetup.meetup_id)
        found += [
            (s, meetup)
            for s in upcoming(meetup, now, now + LOOK_AHEAD)[:limit]
            if s not in cancelled
        ]
    return sorted(found, key=lambda pair: pair[0])[:limit]


async def send_schedule(context: BotContext, user_id: int, chat_ids: list[int]) -> None:
    """The whole schedule as one calendar file, privately and without online links."""
    meetups = await context.store.meetups.for_chats(chat_ids)
    cancelled = {
        m.meetup_id: await context.store.meetups.cancelled_occurrences(m.meetup_id)
        for m in meetups
    }
    data = calendar_file(meetups, cancelled, with_links=False)
    try:
        await context.bot.send_document(user_id, data, filename="meetups.ics")
    except (Forbidden, BadRequest):
        log.info("schedule_not_sent reason=unreachable")


async def on_meetups(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    group = context.registered_chat
    if chat.type == ChatType.PRIVATE:
        chat_ids = [c.chat_id for c in await context.store.joins.consents_of(user.id)]
    elif group is not None and group.kind == "peer_group":
        chat_ids = [group.chat_id]
    else:
        return
    if context.args and context.args[0].lower() == "calendar":
        await send_schedule(context, user.id, chat_ids)
        return
    now = context.clock.now()
    coming = await next_occurrences(context.store, chat_ids, now, LISTED if chat_ids else 0)
    if not coming:
        await message.reply_text(context.t.gettext("No meetups are planned yet."))
        return
    for starts_at, meetup in coming:
        counts = await context.store.rsvps.counts(meetup.meetup_id, starts_at)
        await message.reply_text(
            meetup_card(context.t, meetup, starts_at, counts),
            reply_markup=rsvp_buttons(context.t, meetup.meetup_id, starts_at),
        )
