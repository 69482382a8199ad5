"""The private half of joining: the newcomer's buttons and the link from the group welcome."""

from __future__ import annotations

import logging

from telegram import ChatPermissions, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.rights import Right, is_missing_right, report_missing_right
from handlers.joining import (
    PREFIX,
    JoinButton,
    forget_pending,
    invitation_text,
    join_buttons,
    parse_button,
)
from handlers.moderation_common import edit_pressed, parse_id
from handlers.start import add_deep_link
from handlers.stats import count_group_event
from storage import PendingJoin

log = logging.getLogger(__name__)


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"))
    add_deep_link(app, "join", _deep_join)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    button = parse_button(query.data or "")
    pending = (
        await context.store.joins.pending(query.from_user.id, button.chat_id) if button else None
    )
    if button is None or pending is None:
        # Tampered, stale, or for a group this person never asked to join.
        await query.answer(context.t.gettext("This button no longer works."))
        return
    if button.action == "lang":
        await switch_language(update, context, button, pending)
    elif button.action == "ok":
        await agree(update, context, button, pending)
    else:
        await not_now(update, context, pending)


async def switch_language(
    update: Update, context: BotContext, button: JoinButton, pending: PendingJoin
) -> None:
    query = update.callback_query
    if query is None:
        return
    await context.store.members.set_language(query.from_user.id, button.value)
    await query.answer()
    await show_invitation_again(update, context, context.translator(button.value), pending)


async def show_invitation_again(
    update: Update, context: BotContext, t: Translator, pending: PendingJoin
) -> None:
    """Redraw the invitation in place: in another language, or with newer rules."""
    query = update.callback_query
    store = context.store
    chat = await store.chats.get(pending.chat_id)
    if query is None or chat is None:
        return
    version = (await store.rules.current(chat.chat_id)).version
    await edit_pressed(
        query,
        await invitation_text(store, chat, t),
        join_buttons(t, chat.chat_id, version, request=pending.via == "request"),
    )


async def agree(
    update: Update, context: BotContext, button: JoinButton, pending: PendingJoin
) -> None:
    query = update.callback_query
    if query is None:
        return
    current = (await context.store.rules.current(button.chat_id)).version
    if int(button.value) != current:
        await query.answer(
            context.t.gettext("The rules have just changed. Here is the new version.")
        )
        await show_invitation_again(update, context, context.t, pending)
        return
    outcome = await let_in(context, pending)
    if outcome != "in":
        await query.answer()
        if outcome == "gone":
            await forget_pending(context, pending.user_id, pending.chat_id)
        await edit_pressed(query, let_in_failed_text(context.t, outcome))
        return
    await context.store.joins.record_consent(
        pending.user_id, pending.chat_id, current, context.clock.now()
    )
    for metric in ("joined", "consents"):
        await count_group_event(context, pending.chat_id, metric)
    await forget_pending(context, pending.user_id, pending.chat_id)
    log.info("join_completed via=%s", pending.via)
    await query.answer()
    await edit_pressed(
        query,
        context.t.gettext(
            "Welcome in! 💛 You can now take part in the group. The rules are always here: /rules"
        ),
    )


async def let_in(context: BotContext, pending: PendingJoin) -> str:
    """Approve the request or lift the arrival restriction: 'in', 'gone' or 'no-right'."""
    try:
        if pending.via == "request":
            await context.bot.approve_chat_join_request(pending.chat_id, pending.user_id)
        else:
            group = await context.bot.get_chat(pending.chat_id)
            await context.bot.restrict_chat_member(
                pending.chat_id,
                pending.user_id,
                group.permissions or ChatPermissions.all_permissions(),
            )
    except TelegramError as exc:
        log.info("let_in_failed via=%s reason=%s", pending.via, type(exc).__name__)
        return await _why_not_in(context, pending, exc)
    return "in"


async def _why_not_in(context: BotContext, pending: PendingJoin, error: TelegramError) -> str:
    text = error.message.lower()
    if "user_already_participant" in text:
        return "in"  # approved meanwhile, by another tap or by a facilitator
    if is_missing_right(error):
        right = Right.INVITE if pending.via == "request" else Right.RESTRICT
        await report_missing_right(context, pending.chat_id, right)
        return "no-right"
    return "gone"  # withdrawn, already declined, or the person left


def let_in_failed_text(t: Translator, outcome: str) -> str:
    if outcome == "gone":
        return t.gettext(
            "This request is no longer open. If you still want to join, ask again with the "
            "group's invite link."
        )
    return t.gettext(
        "I could not let you in just now. The group's facilitators have been told; "
        "please try again a little later."
    )


async def not_now(update: Update, context: BotContext, pending: PendingJoin) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    if pending.via == "request":
        await forget_pending(context, pending.user_id, pending.chat_id)
        try:
            await context.bot.decline_chat_join_request(pending.chat_id, pending.user_id)
        except TelegramError as exc:
            log.info("decline_skipped reason=%s", type(exc).__name__)
        await edit_pressed(
            query,
            context.t.gettext(
                "That's fine. 💛 Whenever you want to join, ask again with the same invite link."
            ),
        )
        return
    await edit_pressed(
        query,
        context.t.gettext(
            "That's fine. 💛 Take your time: you can read the rules and agree later from the "
            "button in the group."
        ),
    )


async def _deep_join(update: Update, context: BotContext, argument: str) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    chat_id = parse_id(argument) or 0
    pending = await context.store.joins.pending(user.id, chat_id)
    chat = await context.store.chats.get(chat_id)
    if pending is None or chat is None:
        await message.reply_text(
            context.t.gettext(
                "This link is not waiting for you anymore. If you can't write in a group, "
                "ask its facilitator."
            )
        )
        return
    version = (await context.store.rules.current(chat_id)).version
    await message.reply_text(
        await invitation_text(context.store, chat, context.t),
        reply_markup=join_buttons(context.t, chat_id, version, request=pending.via == "request"),
    )
