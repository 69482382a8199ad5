"""/modlog in the staff chat: recent actions of the region's groups, with undo."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from handlers.moderation_actions import Request, log_line, record
from handlers.moderation_common import Target, only_facilitators_text, parse_id
from handlers.moderation_performers import lift_pause, lift_removal
from storage import AuditEntry

UNDO_PREFIX = "modlog:undo:"
UNDOES = {
    "warn": "unwarn",
    "pause": "unpause",
    "auto_pause": "unpause",
    "flood_pause": "unpause",
    "remove": "unremove",
}
DEFAULT_ENTRIES, MAX_ENTRIES = 10, 30


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("modlog", on_modlog))
    app.add_handler(CallbackQueryHandler(on_undo, pattern=f"^{UNDO_PREFIX}"))


def entry_count(args: list[str]) -> int:
    count = parse_id(args[0]) if args else None
    return DEFAULT_ENTRIES if count is None or count < 0 else max(1, min(MAX_ENTRIES, count))


async def on_modlog(update: Update, context: BotContext) -> None:
    message, staff = update.effective_message, context.registered_chat
    if message is None:
        return
    if staff is None or staff.kind != "staff":
        await message.reply_text(context.t.gettext("Use /modlog in your region's staff chat."))
        return
    groups = [
        c.chat_id for c in await context.store.chats.list("peer_group") if c.region == staff.region
    ]
    entries = await context.store.audit.recent(groups, entry_count(list(context.args or [])))
    if not entries:
        await message.reply_text(context.t.gettext("No moderation actions yet."))
        return
    await message.reply_text(
        "\n".join(
            f"{i}. {log_line(context.t, e, staff.region)}" for i, e in enumerate(entries, 1)
        ),
        reply_markup=undo_buttons(context, entries),
    )


def undo_buttons(context: BotContext, entries: list[AuditEntry]) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            context.t.gettext("Undo {number}", number=i),
            callback_data=f"{UNDO_PREFIX}{e.entry_id}",
        )
        for i, e in enumerate(entries, 1)
        if e.action in UNDOES and e.undone_at is None and e.target_ref
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(rows) if rows else None


async def on_undo(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    store = context.store
    entry = await store.audit.get(query.data.removeprefix(UNDO_PREFIX))
    group = await store.chats.get(entry.chat_id) if entry else None
    if entry is None or group is None or entry.undone_at is not None or entry.action not in UNDOES:
        await query.answer(context.t.gettext("This button no longer works."))
        return
    if not await is_facilitator(context, query.from_user.id, group.chat_id, fresh=True):
        await query.answer(only_facilitators_text(context.t), show_alert=True)
        return
    user_id = await store.refs.user_for(entry.target_ref) if entry.target_ref else None
    if user_id is None:
        await query.answer(
            context.t.gettext("The member's data has been erased, so this can't be undone here."),
            show_alert=True,
        )
        return
    request = Request(group, query.from_user.id, Target(user_id, []), context.t)
    if not await undo(context, request, entry):
        await query.answer()
        return
    await store.audit.mark_undone(entry.entry_id, context.clock.now())
    await record(context, request, UNDOES[entry.action])
    await query.answer(context.t.gettext("Undone."))


async def undo(context: BotContext, request: Request, entry: AuditEntry) -> bool:
    """The inverse action; False (and nothing recorded) if Telegram refused."""
    if entry.action == "warn":
        assert request.target.user_id is not None
        return await context.store.warnings.remove_last(
            request.group.chat_id, request.target.user_id, context.clock.now()
        )
    if entry.action == "remove":
        return await lift_removal(context, request)
    return await lift_pause(context, request)
