"""Anonymous posts: /anon, the writer's choices and preview, then approval or posting at once.

Flow: /anon (or /anon TEXT) in private → the text → the group (and forum topic) → a
preview with Send / Cancel → a facilitator approves it in the staff chat (unless the group
turned approval off) → the group sees "A member asks anonymously:" and the text.
The staff side is in handlers.anon_review, recording forum topics in handlers.group_topics.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import ChatMemberRestricted, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import telegram_length
from handlers import anon_review, group_topics
from handlers.anon_review import PostPress, parse_press
from handlers.inputs import add_input_consumer
from handlers.moderation_common import staff_chat_for
from handlers.privately import answer_privately, too_long_text
from handlers.start import add_deep_link
from storage import Chat
from storage.anon_posts import AnonPost
from storage.inputs import PendingInput

log = logging.getLogger(__name__)
INPUT = DEEP_LINK = "anon"
DAY = timedelta(days=1)
PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
Step = tuple[str, InlineKeyboardMarkup | None]


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("anon", on_anon))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^anon:"))
    add_deep_link(app, DEEP_LINK, _deep_anon)
    add_input_consumer(app, INPUT, _take_awaited_text)
    anon_review.register(app)
    group_topics.register(app)


def next_allowed(sent: list[datetime], per_day: int) -> datetime | None:
    """When the member may send again, given the sending times of the last 24 hours."""
    if len(sent) < per_day:
        return None
    return sorted(sent)[len(sent) - per_day] + DAY


# --- texts -----------------------------------------------------------------------------------


def write_text(t: Translator, max_length: int) -> str:
    return t.gettext(
        "Write your post as your next message here. I post it in your group as “A member "
        "asks anonymously:” – without your name. You see a preview before it goes anywhere.\n\n"
        "At most {max} characters.",
        max=max_length,
    )


def limit_text(t: Translator, per_day: int, allowed_at: datetime) -> str:
    return t.ngettext(
        "You can send {n} anonymous post in 24 hours, and you have sent it. "
        "You can send the next one after {time}.",
        "You can send {n} anonymous posts in 24 hours, and you have sent them. "
        "You can send the next one after {time}.",
        per_day,
        time=t.datetime(allowed_at),
    )


def no_group_text(t: Translator) -> str:
    return t.gettext(
        "I can post only in a peer group you are a member of, and I did not find you in one."
    )


def _stale(t: Translator) -> str:
    return t.gettext("This post was already sent or cancelled.")


# --- starting: the text ----------------------------------------------------------------------


async def on_anon(update: Update, context: BotContext) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    parts = (message.text or "").split(maxsplit=1)
    # In a group the text is not taken: the member is shown the private way instead.
    if chat.type == ChatType.PRIVATE and len(parts) == 2:
        await take_post_text(update, context, parts[1])
        return
    await invite_to_write(update, context)


async def _deep_anon(update: Update, context: BotContext, _argument: str) -> None:
    await invite_to_write(update, context)


async def _take_awaited_text(update: Update, context: BotContext, _awaited: PendingInput) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await take_post_text(update, context, message.text)


async def invite_to_write(update: Update, context: BotContext) -> None:
    """Ask for the post privately (from a group too); its text is awaited for a while."""
    user = update.effective_user
    if user is None:
        return
    asking = context.settings.asking
    allowed_at = await _limit_reached(context, user.id)
    if allowed_at is not None:
        text = partial_text(limit_text, asking.anonymous_posts_per_day, allowed_at)
        await answer_privately(update, context, text, deep_link=DEEP_LINK)
        return
    text = partial_text(write_text, asking.max_length)
    if await answer_privately(update, context, text, deep_link=DEEP_LINK):
        await context.store.inputs.expect(user.id, INPUT, None, context.clock.now())


def partial_text(
    render: Callable[..., str], *values: object
) -> Callable[[Translator], tuple[str, None, None]]:
    """A text for answer_privately, rendered in the member's language."""
    return lambda t: (render(t, *values), None, None)


async def _limit_reached(context: BotContext, user_id: int) -> datetime | None:
    now = context.clock.now()
    sent = await context.store.anon_posts.sent_since(user_id, now - DAY)
    return next_allowed(sent, context.settings.asking.anonymous_posts_per_day)


async def take_post_text(update: Update, context: BotContext, text: str) -> None:
    """The member's post: refused whole if too long, else a draft and the next choice."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    text, t, asking = text.strip(), context.t, context.settings.asking
    if not text:
        await invite_to_write(update, context)
        return
    if telegram_length(text) > asking.max_length:
        await context.store.inputs.expect(user.id, INPUT, None, context.clock.now())
        await message.reply_text(too_long_text(t, telegram_length(text), asking.max_length))
        return
    allowed_at = await _limit_reached(context, user.id)
    if allowed_at is not None:
        await message.reply_text(limit_text(t, asking.anonymous_posts_per_day, allowed_at))
        return
    groups = await member_groups(context, user.id)
    if not groups:
        await message.reply_text(no_group_text(t))
        return
    draft = await context.store.anon_posts.add_draft(user.id, text, context.clock.now())
    step = await group_chosen(context, draft, groups[0]) if len(groups) == 1 else None
    text, markup = step or await group_question(context, draft, groups)
    await message.reply_text(text, reply_markup=markup)


async def member_groups(context: BotContext, user_id: int) -> list[Chat]:
    """The registered peer groups of the member: agreed to their rules, or a member there."""
    agreed = {c.chat_id for c in await context.store.joins.consents_of(user_id)}
    return [
        group
        for group in await context.store.chats.list("peer_group")
        if group.chat_id in agreed or await _is_member(context, group.chat_id, user_id)
    ]


async def _is_member(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in PRESENT


# --- choosing the place, and the preview -----------------------------------------------------


async def group_question(context: BotContext, post: AnonPost, groups: list[Chat]) -> Step:
    t = context.t
    rows = [
        [
            InlineKeyboardButton(
                await anon_review.place_name(context, t, group.chat_id, None),
                callback_data=f"anon:g:{post.post_id}:{group.chat_id}",
            )
        ]
        for group in groups
    ]
    return t.gettext("Which group should your post go to?"), InlineKeyboardMarkup(rows)


async def group_chosen(context: BotContext, post: AnonPost, group: Chat) -> Step | None:
    """The topic question in a forum with known topics, else the preview; None if stale."""
    assert post.user_id is not None  # a draft always has its writer
    store = context.store
    placed = await store.anon_posts.choose_place(post.post_id, post.user_id, group.chat_id, None)
    if placed is None:
        return None
    topics = await store.topics.open_topics(group.chat_id)
    if not topics:
        return await preview(context, placed, group)
    # "General": Telegram's own name for a forum's first topic, which has no thread id.
    choices = [(context.t.gettext("General"), 0)]
    choices += [(topic.title, topic.thread_id) for topic in topics]
    rows = [
        [InlineKeyboardButton(name, callback_data=f"anon:t:{post.post_id}:{thread}")]
        for name, thread in choices
    ]
    return context.t.gettext("Which topic should it go to?"), InlineKeyboardMarkup(rows)


async def preview(context: BotContext, post: AnonPost, group: Chat) -> Step:
    t = context.t
    where = await anon_review.place_name(context, t, post.chat_id, post.thread_id)
    shown = anon_review.anonymous_post_text(context.translator(group.language), post.body or "")
    if group.anon_approval:
        then = t.gettext(
            "A facilitator reads it first, then I post it. Nobody sees it is from you."
        )
    else:
        then = t.gettext("I post it at once when you press Send. Nobody sees it is from you.")
    text = t.gettext("Here is your post for {where}:", where=where) + f"\n\n{shown}\n\n{then}"
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Send"), callback_data=f"anon:send:{post.post_id}"),
                InlineKeyboardButton(
                    t.gettext("Cancel"), callback_data=f"anon:cancel:{post.post_id}"
                ),
            ]
        ]
    )
    return text, markup


# --- the writer's buttons --------------------------------------------------------------------

MemberAction = Callable[[Update, BotContext, AnonPost, PostPress], Awaitable[str | None]]


async def on_button(update: Update, context: BotContext) -> None:
    """Every anon: button; each press is checked against the post it names."""
    query = update.callback_query
    if query is None:
        return
    press = parse_press(query.data)
    if press is not None and press.action in anon_review.STAFF_ACTIONS:
        await anon_review.on_staff_press(update, context, press)
        return
    action = MEMBER_ACTIONS.get(press.action) if press else None
    post = await context.store.anon_posts.get(press.post_id) if press else None
    if press is None or action is None or post is None or post.user_id != query.from_user.id:
        await query.answer(context.t.gettext("This button no longer works."))
        return
    await query.answer(await action(update, context, post, press))


async def _show(update: Update, step: Step) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(step[0], reply_markup=step[1])
    except TelegramError as exc:
        log.info("anon_post_step_not_shown reason=%s", type(exc).__name__)


async def choose_group(
    update: Update, context: BotContext, post: AnonPost, press: PostPress
) -> str | None:
    if post.status != "draft" or post.user_id is None:
        return _stale(context.t)
    groups = await member_groups(context, post.user_id)
    group = next((g for g in groups if g.chat_id == press.value), None)
    step = await group_chosen(context, post, group) if group is not None else None
    if step is None:
        return context.t.gettext("This button no longer works.")
    await _show(update, step)
    return None


async def choose_topic(
    update: Update, context: BotContext, post: AnonPost, press: PostPress
) -> str | None:
    store, t = context.store, context.t
    if post.status != "draft" or post.chat_id is None or post.user_id is None:
        return _stale(t)
    thread = press.value or None
    topic = await store.topics.get(post.chat_id, thread) if thread is not None else None
    group = await store.chats.get(post.chat_id)
    if group is None or (thread is not None and (topic is None or topic.closed)):
        return t.gettext("This button no longer works.")
    placed = await store.anon_posts.choose_place(post.post_id, post.user_id, post.chat_id, thread)
    if placed is None:
        return _stale(t)
    await _show(update, await preview(context, placed, group))
    return None


async def send(
    update: Update, context: BotContext, post: AnonPost, press: PostPress
) -> str | None:
    t = context.t
    group = await context.store.chats.get(post.chat_id) if post.chat_id is not None else None
    if post.status != "draft" or group is None or group.kind != "peer_group":
        return _stale(t)
    if not group.anon_approval:
        return await _post_at_once(update, context, post)
    staff = await staff_chat_for(context.store, group)
    if staff is None:
        return t.gettext(
            "The facilitators of this group cannot receive posts right now. Please try again "
            "later."
        )
    return await _send_for_approval(update, context, post, staff)


async def _submit(
    update: Update, context: BotContext, post: AnonPost, *, approval: bool
) -> AnonPost | None:
    """Send the draft; on the limit the preview says so. None: nothing more to do."""
    assert post.user_id is not None  # only the writer's own draft gets here
    asking, now = context.settings.asking, context.clock.now()
    submission = await context.store.anon_posts.submit(
        post.post_id, post.user_id, now, asking.anonymous_posts_per_day, approval=approval
    )
    if submission.over_limit:
        allowed_at = await _limit_reached(context, post.user_id) or now + DAY
        await _show(
            update, (limit_text(context.t, asking.anonymous_posts_per_day, allowed_at), None)
        )
    return submission.post


async def _send_for_approval(
    update: Update, context: BotContext, post: AnonPost, staff: Chat
) -> str | None:
    t = context.t
    sent = await _submit(update, context, post, approval=True)
    if sent is None:
        return None
    if await anon_review.ask_staff(context, sent, staff) is None:
        await context.store.anon_posts.back_to_draft(post.post_id)
        return t.gettext("I could not send it just now. Please try again in a while.")
    withdraw = InlineKeyboardButton(
        t.gettext("Withdraw it"), callback_data=f"anon:cancel:{post.post_id}"
    )
    text = t.gettext(
        "Thank you! 💛 Your post waits for a facilitator to read it. I tell you here when it "
        "is in the group."
    )
    await _show(update, (text, InlineKeyboardMarkup([[withdraw]])))
    log.info("anon_post_sent_for_approval")
    return None


async def _post_at_once(update: Update, context: BotContext, post: AnonPost) -> str | None:
    claimed = await _submit(update, context, post, approval=False)
    if claimed is None:
        return None
    published = await anon_review.publish(context, claimed)
    if published is None:
        await context.store.anon_posts.back_to_draft(post.post_id)
        return context.t.gettext("I could not post it just now. Please try again in a while.")
    text = anon_review.published_text(context.t, claimed.body, published.link)
    await _show(update, (text, None))
    return None


async def cancel(
    update: Update, context: BotContext, post: AnonPost, press: PostPress
) -> str | None:
    """The writer takes back a draft, or a post still waiting for the facilitators."""
    assert post.user_id is not None
    cancelled = await context.store.anon_posts.cancel(
        post.post_id, post.user_id, context.clock.now()
    )
    if cancelled is None:
        return context.t.gettext("This post was already decided, so it cannot be withdrawn.")
    if cancelled.staff_chat_id is not None and cancelled.staff_message_id is not None:
        where = (cancelled.staff_chat_id, cancelled.staff_message_id)
        await anon_review.refresh_staff_message(context, cancelled, where, _withdrawn)
    await _show(update, (context.t.gettext("Cancelled – nothing was posted."), None))
    return None


def _withdrawn(t: Translator) -> str:
    return t.gettext("The writer withdrew it: nothing was posted.")


MEMBER_ACTIONS: dict[str, MemberAction] = {
    "g": choose_group,
    "t": choose_topic,
    "send": send,
    "cancel": cancel,
}
