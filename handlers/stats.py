"""Figures for facilitators: /stats in the staff chat, with small numbers suppressed.

A staff chat sees its own region only. Everything shown comes from anonymous counts (see
bot.figures); the counting hooks in other features call count_group_event().
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.charts import question_names, render_chart
from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.figures import (
    MEDIAN_HOURS,
    REGION,
    TOTAL,
    FigureTable,
    checkin_metric,
    figure_table,
    last_months,
    load_figures,
)
from bot.i18n import Translator
from handlers.moderation_common import only_facilitators_text

log = logging.getLogger(__name__)
SNAPSHOT_JOB = "figures-snapshot"
DEFAULT_MONTHS, MAX_MONTHS = 6, 24


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("stats", on_stats))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            snapshot_members,
            interval=timedelta(hours=6),
            first=timedelta(seconds=30),
            name=SNAPSHOT_JOB,
        )


async def count_group_event(context: BotContext, chat_id: int, metric: str) -> None:
    """Count one anonymous event ("joined", "moderation:warn", ...) of a peer group today."""
    chat = await context.store.chats.get(chat_id)
    if chat is None or chat.kind != "peer_group":
        return
    day = context.clock.now().astimezone(context.settings.bot.zone).date()
    await context.store.figures.count(day, chat_id, chat.region, metric)


async def count_crisis_view(context: BotContext) -> None:
    """Crisis help was shown: counted for the group's region, or "" in a private chat."""
    chat = context.registered_chat
    day = context.clock.now().astimezone(context.settings.bot.zone).date()
    await context.store.counts.add(day, "crisis_views", chat.region if chat else "")


async def snapshot_members(context: BotContext) -> None:
    """Today's number of members (who agreed to the rules) of every peer group."""
    store = context.store
    day = context.clock.now().astimezone(context.settings.bot.zone).date()
    for chat in await store.chats.list("peer_group"):
        members = len(await store.joins.consenting_members(chat.chat_id))
        await store.figures.set_value(day, chat.chat_id, chat.region, "members", members)


def parse_arguments(args: list[str]) -> tuple[bool, int] | None:
    """(per group?, months) from "[region|groups] [months]"; None for anything else."""
    per_group, months = False, DEFAULT_MONTHS
    for word in (a.lower() for a in args):
        if word.isdigit() and 1 <= int(word) <= MAX_MONTHS:
            months = int(word)
        elif word in ("group", "groups"):
            per_group = True
        elif word != "region":
            return None
    return per_group, months


async def on_stats(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, context.registered_chat
    if message is None or user is None:
        return
    t = context.t
    if chat is None or chat.kind != "staff":
        await message.reply_text(t.gettext("Use /stats in your region's staff chat."))
        return
    if not await is_facilitator(context, user.id, chat.chat_id):
        await message.reply_text(only_facilitators_text(t))
        return
    parsed = parse_arguments(context.args or [])
    if parsed is None:
        await message.reply_text(usage_text(t))
        return
    per_group, count = parsed
    today = context.clock.now().astimezone(context.settings.bot.zone).date()
    raw = await load_figures(
        context.store, chat.region, last_months(today, count), context.settings.bot.zone
    )
    table = figure_table(raw)
    text = summary_text(t, table, REGION, chat.region)
    if per_group:
        for scope in table.scopes()[1:]:
            title = await _group_title(context, int(scope))
            text += "\n\n" + summary_text(t, table, scope, title)
    await message.reply_text(text + "\n\n" + legend_text(t))
    chart = await asyncio.to_thread(render_chart, t, table)
    await message.reply_photo(chart, caption=t.gettext("Figures for {region}", region=chat.region))
    log.info("stats_shown months=%d per_group=%s", count, per_group)


async def _group_title(context: BotContext, chat_id: int) -> str:
    try:
        title = (await context.bot.get_chat(chat_id)).title
    except TelegramError:
        title = None
    return title or str(chat_id)


def usage_text(t: Translator) -> str:
    return t.gettext(
        "/stats – the region's figures for the last 6 months\n"
        "/stats 12 – for the last 12 months (at most 24)\n"
        "/stats groups – each group too"
    )


def legend_text(t: Translator) -> str:
    return t.gettext(
        "<5: fewer than five. ..: hidden, so that a small number can't be worked out "
        "from the others."
    )


def summary_text(t: Translator, table: FigureTable, scope: str, name: str) -> str:
    """The period's figures of the region (or one group) in a few lines."""

    def shown(metric: str) -> str:
        return table.shown((scope, TOTAL, metric)) or "0"

    lines = [
        t.gettext(
            "📊 {name}, {first} – {last}", name=name, first=table.months[0], last=table.months[-1]
        ),
        t.gettext(
            "Members: {members} (joined {joined}, left {left}, agreed to the rules {consents})",
            members=shown("members"),
            joined=shown("joined"),
            left=shown("left"),
            consents=shown("consents"),
        ),
        t.gettext(
            "Meetups held: {held} · said they were coming: {coming}",
            held=shown("meetups_held"),
            coming=shown("signups"),
        ),
        _checkin_line(t, table, scope),
    ]
    if scope == REGION:
        lines += _region_lines(t, table)
    moderation = [
        f"{metric.split(':', 1)[1]} {table.shown((scope, TOTAL, metric))}"
        for metric in table.metrics()
        if metric.startswith("moderation:") and (scope, TOTAL, metric) in table.values
    ]
    if moderation:
        lines.append(t.gettext("Moderation: {actions}", actions=", ".join(moderation)))
    return "\n".join(lines)


def _checkin_line(t: Translator, table: FigureTable, scope: str) -> str:
    names = question_names(t)

    def answer(question: str, value: str) -> str:
        return table.shown((scope, TOTAL, checkin_metric(question, value))) or "0"

    return t.gettext(
        "After meetups: {answers} answers. {less_alone}: yes {yes}, a bit {a_bit}, no {no}",
        answers=table.shown((scope, TOTAL, checkin_metric("how"))) or "0",
        less_alone=names["less_alone"],
        yes=answer("less_alone", "yes"),
        a_bit=answer("less_alone", "a_bit"),
        no=answer("less_alone", "no"),
    )


def _region_lines(t: Translator, table: FigureTable) -> list[str]:
    def shown(metric: str) -> str:
        return table.shown((REGION, TOTAL, metric)) or "0"

    median = table.shown((REGION, TOTAL, MEDIAN_HOURS))
    return [
        t.gettext(
            "Questions: {asked} asked, {answered} answered, first answer in {hours} h (median)",
            asked=shown("questions_asked"),
            answered=shown("questions_answered"),
            hours=median if median else "–",
        ),
        t.gettext(
            "Contact directory opened: {contacts} · crisis help opened: {crisis}",
            contacts=shown("contact_views"),
            crisis=shown("crisis_views"),
        ),
    ]
