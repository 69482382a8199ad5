"""The last line of defence: no update can crash the bot, and errors never leak personal data."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.context import BotContext, services_of

log = logging.getLogger("vertaisbot.errors")


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    services_of(context.application).metrics.errors += 1
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden) and isinstance(update, Update):
        await _mark_unreachable(update, context)
        log.info("update_skipped update_id=%s reason=forbidden", update_id)
        return
    # BadRequest is a NetworkError subclass in PTB, but it means our request was wrong.
    if isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest):
        log.warning("update_failed update_id=%s reason=%s", update_id, type(error).__name__)
        return
    log.error(
        "update_failed update_id=%s error=%s",
        update_id,
        type(error).__name__,
        exc_info=error if not isinstance(error, TelegramError) else None,
    )
    if isinstance(update, Update):
        await _apologise(update, context)


async def _mark_unreachable(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        await context.store.members.set_reachable(chat.id, False)


async def _apologise(update: Update, context: BotContext) -> None:
    """Only in private: a group should not hear about one member's hiccup."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    try:
        # The error handler gets a fresh context, so the language is looked up again here.
        t = context.member_translator(await context.store.members.get(chat.id))
        await context.bot.send_message(
            chat.id, t.gettext("Sorry, something went wrong on my side. Please try again.")
        )
    except Exception:
        log.warning("apology_failed update_id=%s", update.update_id)
