"""The safer-space rules: read them (/rules), change them (/setrules), agree to a new version."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator
from bot.i18n import N_, Translator
from bot.messaging import send_private, telegram_length
from bot.settings import LANGUAGES
from handlers.moderation_common import (
    edit_pressed,
    facilitator_press,
    only_facilitators_text,
    parse_id,
)
from handlers.start import add_deep_link
from storage import Chat, Rules, Store

log = logging.getLogger(__name__)
MAX_RULES_LENGTH = 3500  # leaves room for the welcome around them in one Telegram message
ALL_LANGUAGES = "*"

DEFAULT_RULES = N_(
    "Our group's safer-space rules 💛\n\n"
    "1. Everyone is of equal worth. We treat each other with respect.\n"
    "2. No discrimination, harassment or hate – not in the group, not in private messages.\n"
    "3. We don't assume anything about anyone's background, gender, sexuality, health "
    "or family.\n"
    "4. We respect boundaries. Everyone decides what they share about themselves.\n"
    "5. There is room for everyone. Just reading and being quiet is fine too.\n"
    "6. What is said here stays here: no screenshots, no forwarding, and never share "
    "anyone's details or placement history.\n"
    "7. We don't judge, and we don't give advice nobody asked for.\n"
    "8. We take care with heavy topics and don't glorify self-harm or substances.\n"
    "9. Don't be a bystander: if something feels wrong, tell a facilitator privately.\n"
    "10. Mistakes and questions are allowed. We learn together.\n"
    "11. This is peer support, not therapy. In a crisis, help is there day and night: "
    "MIELI Crisis Helpline 09 2525 0111, and 112 in an emergency.\n"
    "12. If the rules are broken, a facilitator first reminds you privately, then may pause "
    "your posting for a while, and only after that remove you from the group."
)
RULES_SUMMARY = N_(
    "The short version of our rules: respect and equal worth, no judging, what is said here "
    "stays here, everyone decides what they share, no harassment, and take care of yourself "
    "and others. Read the whole rules privately in your own language:"
)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("rules", on_rules))
    app.add_handler(CommandHandler("setrules", on_setrules))
    app.add_handler(CallbackQueryHandler(on_draft_button, pattern=r"^rules:(pub|drop):"))
    app.add_handler(CallbackQueryHandler(on_ack_button, pattern=r"^rules:ack:"))
    add_deep_link(app, "rules", _deep_rules)


def rules_body(t: Translator, rules: Rules, group_language: str | None) -> str:
    """The text a member reads: their language, else the common text, else the group's."""
    if rules.version == 0 or not rules.texts:
        return t.gettext(DEFAULT_RULES)
    for language in (t.language, ALL_LANGUAGES, group_language):
        if language and language in rules.texts:
            return rules.texts[language]
    return next(iter(rules.texts.values()))


@dataclass(frozen=True)
class RulesRequest:
    language: str  # one of LANGUAGES, or ALL_LANGUAGES
    body: str


def parse_setrules(
    text_after_command: str, replied_text: str | None, default: str
) -> RulesRequest | None:
    """`/setrules [fi|sv|se|en|all] TEXT`, or the same as a reply to the text. Newlines kept."""
    text = text_after_command.strip()
    first = text.split(maxsplit=1)[0].lower() if text else ""
    language = default
    if first in LANGUAGES or first == "all":
        language = ALL_LANGUAGES if first == "all" else first
        text = text[len(first) :].strip()
    body = text or (replied_text or "").strip()
    if not body:
        return None
    return RulesRequest(language, body)


def _after_command(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def on_rules(update: Update, context: BotContext) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or update.effective_user is None:
        return
    if chat.type != ChatType.PRIVATE:
        url = create_deep_linked_url(context.bot.username, f"rules-{chat.id}")
        button = InlineKeyboardButton(context.t.gettext("Read the rules"), url=url)
        await message.reply_text(
            context.t.gettext(RULES_SUMMARY), reply_markup=InlineKeyboardMarkup([[button]])
        )
        return
    for text in await member_rules(context.store, update.effective_user.id, context.t):
        await message.reply_text(text)


async def member_rules(store: Store, user_id: int, t: Translator) -> list[str]:
    """The rules of every group the member agreed to or is joining; the defaults if none."""
    chat_ids = [c.chat_id for c in await store.joins.consents_of(user_id)]
    chat_ids += [p.chat_id for p in await store.joins.pending_of(user_id)]
    texts = []
    for chat_id in dict.fromkeys(chat_ids):
        chat = await store.chats.get(chat_id)
        if chat is not None:
            texts.append(await group_rules_text(store, chat, t))
    return texts or [t.gettext(DEFAULT_RULES)]


async def group_rules_text(store: Store, chat: Chat, t: Translator) -> str:
    rules = await store.rules.current(chat.chat_id)
    heading = t.gettext("Rules of the peer group of {region}:", region=chat.region)
    return f"{heading}\n\n{rules_body(t, rules, chat.language)}"


async def _deep_rules(update: Update, context: BotContext, argument: str) -> None:
    message = update.effective_message
    chat = await context.store.chats.get(_chat_id(argument)) if _chat_id(argument) else None
    if message is None:
        return
    if chat is None or chat.kind != "peer_group":
        await message.reply_text(context.t.gettext(DEFAULT_RULES))
        return
    await message.reply_text(await group_rules_text(context.store, chat, context.t))


def _chat_id(argument: str) -> int:
    return parse_id(argument) or 0


async def on_setrules(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    if chat.type == ChatType.PRIVATE or context.registered_chat is None:
        await message.reply_text(
            context.t.gettext("Use /setrules in the group whose rules you want to change.")
        )
        return
    if not await is_facilitator(context, user.id, chat.id):
        await send_private(context, user.id, only_facilitators_text(context.member_t))
        return
    replied = message.reply_to_message.text if message.reply_to_message else None
    default = context.registered_chat.language or context.settings.bot.default_language
    request = parse_setrules(_after_command(message), replied, default)
    # Telegram counts UTF-16 units: an emoji is two.
    if request is None or telegram_length(request.body) > MAX_RULES_LENGTH:
        await message.reply_text(setrules_usage(context.t, MAX_RULES_LENGTH))
        return
    draft = await context.store.rules.add_draft(
        chat.id, request.language, request.body, context.clock.now()
    )
    await message.reply_text(
        preview_text(context.t, request) + "\n\n" + request.body,
        reply_markup=draft_buttons(context.t, draft.draft_id),
    )


def setrules_usage(t: Translator, limit: int) -> str:
    return t.gettext(
        "Write the new rules after the command, or reply to a message that has them: "
        "/setrules fi YOUR TEXT (or sv, se, en, or all for every language). "
        "At most {limit} characters.",
        limit=limit,
    )


def preview_text(t: Translator, request: RulesRequest) -> str:
    if request.language == ALL_LANGUAGES:
        return t.gettext("New rules for every language. Publish them?")
    return t.gettext(
        "New rules in the language {language}. Publish them?", language=request.language
    )


def draft_buttons(t: Translator, draft_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Publish"), callback_data=f"rules:pub:{draft_id}"),
                InlineKeyboardButton(t.gettext("Cancel"), callback_data=f"rules:drop:{draft_id}"),
            ]
        ]
    )


async def on_draft_button(update: Update, context: BotContext) -> None:
    press = await facilitator_press(update, context)
    if press is None:
        return
    query, action, chat_id = press.query, press.action, press.chat_id
    draft = await context.store.rules.take_draft(press.draft_id, chat_id)
    if draft is None or draft.chat_id != chat_id:
        await query.answer(context.t.gettext("This button no longer works."))
        return
    await query.answer()
    if action == "drop":
        await query.edit_message_text(context.t.gettext("Cancelled. The rules stay as they were."))
        return
    rules = await context.store.rules.publish(
        chat_id, draft.language, draft.body, context.clock.now()
    )
    log.info("rules_published version=%d", rules.version)
    await query.edit_message_text(
        context.t.gettext(
            "Published. The group's rules are now version {version}.", version=rules.version
        )
    )
    await announce_new_rules(context, chat_id, rules.version)


async def announce_new_rules(context: BotContext, chat_id: int, version: int) -> None:
    """One short note in the group; a kind private request to read them to each member."""
    await context.bot.send_message(
        chat_id, context.t.gettext("The group's rules have been updated. Read them with /rules.")
    )
    chat = await context.store.chats.get(chat_id)
    if chat is None:
        return
    for user_id in await context.store.joins.consenting_members(chat_id):
        member = await context.store.members.get(user_id)
        if member is None or not member.reachable:
            continue
        t = context.member_translator(member)
        text = (
            t.gettext(
                "Your group's rules have changed a little. Please read them "
                "when you have a moment – nobody is removed for not answering."
            )
            + "\n\n"
            + await group_rules_text(context.store, chat, t)
        )
        button = InlineKeyboardButton(
            t.gettext("I have read them"), callback_data=f"rules:ack:{chat_id}:{version}"
        )
        await send_private(context, user_id, text, InlineKeyboardMarkup([[button]]))


async def on_ack_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    recorded = await acknowledge_rules(
        context.store, query.from_user.id, query.data, context.clock.now()
    )
    if not recorded:
        await query.answer(context.t.gettext("This button no longer works."))
        return
    await query.answer(context.t.gettext("Thank you! 💛"))
    await edit_pressed(query, None)


async def acknowledge_rules(store: Store, user_id: int, data: str, now: datetime) -> bool:
    """Record agreement to the current rules; stale or tampered data changes nothing."""
    parts = data.split(":")
    version = parse_id(parts[3]) if len(parts) == 4 else None
    if version is None:
        return False
    chat_id = _chat_id(parts[2])
    if await store.joins.consent(user_id, chat_id) is None:
        return False
    if (await store.rules.current(chat_id)).version != version:
        return False
    await store.joins.record_consent(user_id, chat_id, version, now)
    return True
