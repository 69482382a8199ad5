"""Forum topics of peer groups, learned from what Telegram shows (it cannot list them).

Service messages say when a topic is created, renamed, closed or reopened. A message in a
topic also carries the topic's first message, so topics made before the bot came are learned
as soon as someone writes in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update
from telegram.ext import MessageHandler, filters

from bot.context import BotApplication, BotContext

# Its own group: recording never stops a message from reaching the other features.
TOPIC_GROUP = 7
TOPIC_NEWS = (
    filters.StatusUpdate.FORUM_TOPIC_CREATED
    | filters.StatusUpdate.FORUM_TOPIC_EDITED
    | filters.StatusUpdate.FORUM_TOPIC_CLOSED
    | filters.StatusUpdate.FORUM_TOPIC_REOPENED
)


def register(app: BotApplication) -> None:
    app.add_handler(
        MessageHandler(
            filters.ChatType.SUPERGROUP
            & filters.UpdateType.MESSAGE
            & (TOPIC_NEWS | filters.IS_TOPIC_MESSAGE),
            on_topic_message,
        ),
        group=TOPIC_GROUP,
    )


@dataclass(frozen=True)
class TopicNews:
    """What a message tells about its topic; None fields tell nothing."""

    title: str | None  # the topic's current title
    closed: bool | None
    first_title: str | None  # the title it was created with, from the topic's first message


def topic_news(message: Message) -> TopicNews:
    origin = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    first_title = origin.name if origin else None
    if message.forum_topic_created:
        return TopicNews(message.forum_topic_created.name, False, None)
    if message.forum_topic_edited:
        # Only the icon may have changed: then there is no name.
        return TopicNews(message.forum_topic_edited.name or None, None, first_title)
    if message.forum_topic_closed:
        return TopicNews(None, True, first_title)
    if message.forum_topic_reopened:
        return TopicNews(None, False, first_title)
    return TopicNews(None, None, first_title)


async def on_topic_message(update: Update, context: BotContext) -> None:
    message, group = update.message, context.registered_chat
    if message is None or group is None or group.kind != "peer_group":
        return
    thread = message.message_thread_id
    if thread is None:
        return
    news, topics = topic_news(message), context.store.topics
    if news.title is not None:
        await topics.record(group.chat_id, thread, title=news.title, closed=news.closed)
        return
    known = await topics.get(group.chat_id, thread)
    if known is None and news.first_title is not None:
        # Learned late: the first title may be out of date, a later rename corrects it.
        await topics.record(group.chat_id, thread, title=news.first_title, closed=news.closed)
    elif known is not None and news.closed is not None and news.closed != known.closed:
        await topics.record(group.chat_id, thread, closed=news.closed)
