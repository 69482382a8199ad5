"""A member's plain private messages: replies routed to their feature, or awaited texts.

Features register here instead of adding their own private-text handlers, so that exactly
one place decides who gets a message: first the routes (a reply to a feature's message),
then whatever the bot is waiting for (storage.inputs), else a short pointer to /help.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import BotApplication, BotContext, InputConsumer, PrivateTextRoute, services_of

# An awaited text older than this is not taken any more: the member has moved on.
INPUT_MAX_AGE = timedelta(hours=2)


def register(app: BotApplication) -> None:
    app.add_handler(
        MessageHandler(
            # Only messages to the bot itself: not edits, not a business account's customers.
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & filters.TEXT
            & ~filters.COMMAND
            & ~filters.VIA_BOT,
            on_private_text,
        )
    )


def add_private_text_route(app: BotApplication, route: PrivateTextRoute) -> None:
    services_of(app).private_text_routes.append(route)


def add_input_consumer(app: BotApplication, purpose: str, consumer: InputConsumer) -> None:
    services_of(app).input_consumers[purpose] = consumer


async def on_private_text(update: Update, context: BotContext) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    for route in context.services.private_text_routes:
        if await route(update, context):
            return
    awaited = await context.store.inputs.take(user.id, context.clock.now(), INPUT_MAX_AGE)
    if awaited is not None:
        consumer = context.services.input_consumers.get(awaited.purpose)
        if consumer is not None:
            await consumer(update, context, awaited)
            return
    await message.reply_text(
        context.t.gettext(
            "I only understand commands here. /help shows what you can do, "
            "/ask sends a question to the facilitators."
        )
    )
