"""/report: any member flags a message; the facilitators see the message, never the reporter."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers.moderation_common import delete_command, post_to_staff
from storage import Chat, Report

log = logging.getLogger(__name__)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("report", on_report))


async def on_report(update: Update, context: BotContext) -> None:
    user, message, group = update.effective_user, update.effective_message, context.registered_chat
    if user is None or message is None:
        return
    if group is None or group.kind != "peer_group":
        await message.reply_text(
            context.t.gettext(
                "Use /report in your group, as a reply to the message you want to report."
            )
        )
        return
    await delete_command(context, message)  # at once: nobody sees who reported
    t = context.member_t
    replied = message.reply_to_message
    if replied is None:
        await send_private(
            context,
            user.id,
            t.gettext(
                "To report a message, reply to it with /report. Only the facilitators see the "
                "message, and they don't see who reported it."
            ),
        )
        return
    store, now = context.store, context.clock.now()
    reporter = await store.refs.ref_for(user.id)
    if not await store.reports.try_count_report(
        reporter, now, context.settings.moderation.reports_per_hour
    ):
        await send_private(
            context,
            user.id,
            t.gettext(
                "You have reported many messages in a short time. Please try again later, or "
                "write to a facilitator directly."
            ),
        )
        return
    report, new_reporter = await store.reports.add(
        group.chat_id, replied.message_id, reporter, now
    )
    if new_reporter:
        await alert_staff(context, group, report, replied)
    await send_private(
        context,
        user.id,
        t.gettext(
            "Thank you for telling us. 💛 The facilitators will look at it; they don't see who "
            "reported it."
        ),
    )
    log.info("message_reported")


def alert_text(t: Translator, group: Chat, report: Report, replied: Message) -> str:
    where = replied.link or t.gettext("message number {id}", id=replied.message_id)
    return t.ngettext(
        "A message in the peer group of {region} was reported once: {where}",
        "A message in the peer group of {region} was reported {n} times: {where}",
        report.reporters,
        region=group.region,
        where=where,
    )


async def alert_staff(context: BotContext, group: Chat, report: Report, replied: Message) -> None:
    """One alert per message; more reports only raise its count."""
    if report.staff_chat_id is not None and report.staff_message_id is not None:
        staff = await context.store.chats.get(report.staff_chat_id)
        text = alert_text(
            context.translator(staff.language if staff else None), group, report, replied
        )
        try:
            await context.bot.edit_message_text(
                text, report.staff_chat_id, report.staff_message_id
            )
            return
        except TelegramError as exc:
            log.info("report_alert_not_updated reason=%s", type(exc).__name__)
    posted = await post_to_staff(
        context, group, lambda t: alert_text(t, group, report, replied), kind="reports"
    )
    if posted is not None:
        await context.store.reports.set_staff_message(
            report.report_id, posted.chat_id, posted.message_id
        )
