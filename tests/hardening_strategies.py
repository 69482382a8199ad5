"""Hypothesis strategies and update builders for the hardening tests (tests/test_hardening.py).

Everything here is plain data: texts people might type (or paste), the words commands and
buttons are made of, and Telegram updates that are unusual but possible. The strategies
that need the running bot's ids take them as arguments, so nothing here knows a scene.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotApplication
from bot.emulator import BotApiEmulator
from bot.emulator.formatting import command_entities
from bot.emulator.schema import Schema, SchemaError
from storage import Store

Json = dict[str, Any]

# Telegram's limits: a message's text and a button's data.
MAX_TEXT_UNITS = 4096  # UTF-16 code units
MAX_CALLBACK_BYTES = 64

# Looks like SQL, markup or a format string: must be stored and shown exactly as typed.
TRICKY_TEXTS = (
    "'; DROP TABLE members; --",
    "Robert'); DROP TABLE chats;--",
    "1' OR '1'='1",
    "$1 $2 ? :name",
    "<b>bold</b>",
    '<a href="tg://user?id=1">x</a>',
    "<script>alert(1)</script>",
    "<i>unclosed",
    "*bold* _italic_ `code`",
    "```\npre\n```",
    "[x](tg://user?id=1)",
    "||spoiler|| ~strike~ >quote",
    "&amp; &lt; &#60; &nbsp",
    "{region} {0} {} {title!r}",
    "%s %d %(name)s",
    "\\ \\\\ \\n",
    "@everyone @vertaisbot_test_bot",
    "https://t.me/vertaisbot_test_bot?start=rules-1",
)

# Characters that break naive code: zero-width and direction marks, combining marks,
# astral emoji (two UTF-16 units), Sámi letters, digits that are not ASCII.
ODD_CHARACTERS = (
    "\u200b",
    "\u200d",
    "\u200e\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "e\u0301",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\r\n",
    "\t",
    "\x7f",
    "\x1b",
    "\U0001f600",
    "\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f1eb\U0001f1ee",
    "ŋđŧčž",
    "\u0663",
    "²",
    "\uff19",
    "\U0001d518\U0001d52b\U0001d526",
    "\ufffd",
)

# Words the commands and buttons understand, so random arguments reach the deeper paths.
KNOWN_WORDS = (
    "on",
    "off",
    "all",
    "fi",
    "sv",
    "se",
    "en",
    "group",
    "staff",
    "add",
    "cancel",
    "edit",
    "calendar",
    "weekly",
    "monthly",
    "tue",
    "ma",
    "3.12.",
    "31.2.",
    "29.2.2027",
    "17:00",
    "25:61",
    "|",
    "-",
    "30m",
    "2h",
    "1d",
    "1w",
    "0m",
    "99999w",
    "45min",
    "https://meet.example/a",
    "http://x",
    "title",
    "place",
    "link",
    "notes",
    "when",
    "gate",
    "tidy",
    "notice",
    "flood",
    "reminders",
    "yes",
    "no",
    "Lappi",
)

# Numbers as people (and forgers) write them: huge, negative, doubled signs, other scripts.
NUMBER_WORDS = (
    "0",
    "-0",
    "--5",
    "+5",
    "1e9",
    "²",
    "١٢",
    "\uff19",
    "Ⅻ",
    "0x10",
    "9" * 30,
    "-" + "9" * 30,
    "9223372036854775808",
    "-9223372036854775809",
    "4294967296",
    "253402300800",
)

# Telegram sends UTF-8, so never a lone surrogate. NUL is left out too: PostgreSQL cannot
# store it in a text column, and it is unclear whether Telegram ever delivers one.
_SAFE_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, units: int = MAX_TEXT_UNITS) -> str:
    """The longest prefix of ``text`` Telegram would still deliver (never half an emoji)."""
    kept, used = [], 0
    for char in text:
        used += utf16_units(char)
        if used > units:
            break
        kept.append(char)
    return "".join(kept)


def numbers() -> SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBER_WORDS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    )


def odd_texts(max_size: int = 60) -> SearchStrategy[str]:
    """Short texts of any (deliverable) Unicode, with markup, SQL and odd characters mixed in."""
    piece = st.one_of(
        st.text(_SAFE_CHARACTERS, max_size=12),
        st.sampled_from(TRICKY_TEXTS),
        st.sampled_from(ODD_CHARACTERS),
        st.sampled_from(KNOWN_WORDS),
        numbers(),
    )
    return st.lists(piece, max_size=6).map(" ".join).map(lambda text: text[:max_size])


def huge_texts() -> SearchStrategy[str]:
    """Texts up to Telegram's limit, in units that are one or two UTF-16 units wide."""
    unit = st.sampled_from(("a", "ä", "\U0001f600", "\u200b", "<b>", "' ", "e\u0301", "ŋ"))
    return st.builds(
        lambda piece, size: clip(piece * size), unit, st.integers(3000, MAX_TEXT_UNITS)
    )


def argument_texts() -> SearchStrategy[str]:
    """What follows a command: words it knows, numbers, odd text, or a wall of text."""
    word = st.one_of(
        st.sampled_from(KNOWN_WORDS),
        numbers(),
        st.sampled_from(TRICKY_TEXTS),
        st.sampled_from(ODD_CHARACTERS),
        st.text(_SAFE_CHARACTERS, min_size=1, max_size=10),
    )
    separator = st.sampled_from((" ", "  ", "\n", " | "))
    words = st.lists(st.tuples(separator, word), max_size=7).map(
        lambda pairs: "".join(sep + w for sep, w in pairs)
    )
    return st.one_of(words, words, words, huge_texts().map(lambda text: " " + text))


def command_lines(commands: Sequence[str], bot_username: str) -> SearchStrategy[str]:
    """A command as typed: any case, maybe addressed to a bot, maybe glued to odd characters."""
    name = st.sampled_from(sorted(commands))
    cased = st.tuples(name, st.sampled_from((str.lower, str.upper, str.title))).map(
        lambda pair: pair[1](pair[0])
    )
    addressed = st.sampled_from(("", f"@{bot_username}", "@other_bot", "@"))
    glued = st.sampled_from(("", "", "", ".", "!", ",", "\u200b", "\U0001f600", "-x", "'"))
    return st.builds(
        lambda n, a, g, rest: clip(f"/{n}{a}{g}{rest}"),
        cased,
        addressed,
        glued,
        argument_texts(),
    )


def message_texts(commands: Sequence[str], bot_username: str) -> SearchStrategy[str]:
    """Anything a person might send: mostly commands, also plain and huge texts."""
    plain = st.one_of(odd_texts(), huge_texts()).filter(lambda text: text.strip() != "")
    return st.one_of(command_lines(commands, bot_username), plain)


# --- what the running bot understands ------------------------------------------------------


def _handlers(app: BotApplication) -> Iterable[BaseHandler[Any, Any, Any]]:
    return itertools.chain.from_iterable(app.handlers.values())


def registered_commands(app: BotApplication) -> list[str]:
    """Every command some feature registered with a CommandHandler."""
    found: set[str] = set()
    for handler in _handlers(app):
        if isinstance(handler, CommandHandler):
            found |= set(handler.commands)
    return sorted(found)


def button_patterns(app: BotApplication) -> list[re.Pattern[str]]:
    """The callback-data patterns of every feature's CallbackQueryHandler."""
    patterns = []
    for handler in _handlers(app):
        if isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern):
            patterns.append(handler.pattern)
    return patterns


def literal_prefix(pattern: re.Pattern[str]) -> str:
    """``^rules:(pub|drop):`` -> ``rules:``: the fixed start every matching datum shares."""
    source = pattern.pattern.removeprefix("^")
    match = re.match(r"(?:[A-Za-z0-9_:-]|\\.)*", source)
    return (match.group() if match else "").replace("\\", "")


def _fits(data: str) -> bool:
    return 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES


def tampered_callback_data(
    patterns: Sequence[re.Pattern[str]], issued: Sequence[str]
) -> SearchStrategy[str]:
    """Button data a tampering client could send, for every feature's buttons.

    Four shapes: real data with a part replaced, added, dropped, cut short or glued to
    something; what a feature's own pattern matches followed by anything; a feature's fixed
    prefix with made-up parts (real ids among them); and data for no feature at all.
    """
    real_parts = sorted({p for data in issued for p in data.split(":")[1:]}) or [""]
    part = st.one_of(
        st.sampled_from(real_parts),
        numbers(),
        numbers(),
        st.sampled_from((*KNOWN_WORDS, "", "ok", "pub", "drop", "ack", "undo", "ask", "y", "x")),
        st.text(_SAFE_CHARACTERS, max_size=8),
    )
    parts = st.lists(part, max_size=5).map(":".join)
    mutated = (
        st.sampled_from(sorted(issued)).flatmap(lambda data: _mutations(data, part))
        if issued
        else st.nothing()
    )
    matching = st.one_of(*(st.from_regex(p) for p in patterns)) if patterns else st.nothing()
    prefixes = st.sampled_from([literal_prefix(p) for p in patterns] or [""])
    made_up = st.builds(lambda head, tail: head + tail, prefixes, parts)
    unknown = st.one_of(st.text(_SAFE_CHARACTERS, min_size=1, max_size=20), parts)
    return st.one_of(mutated, mutated, mutated, matching, made_up, unknown).filter(_fits)


def _mutations(data: str, part: SearchStrategy[str]) -> SearchStrategy[str]:
    parts = data.split(":")
    last = max(1, len(parts) - 1)

    def replaced(index: int, value: str) -> str:
        return ":".join([*parts[:index], value, *parts[index + 1 :]])

    return st.one_of(
        st.builds(replaced, st.integers(1, last), part),
        st.builds(lambda value: f"{data}:{value}", part),
        st.just(":".join(parts[:-1])),
        st.integers(1, len(data)).map(lambda n: data[:n]),
        st.sampled_from((" ", "0", "x", ":", "\t", "\n", "\u200b")).map(lambda tail: data + tail),
        st.sampled_from((" ", "0", "\u200b", "-")).map(lambda head: head + data),
    )


def deep_link_payloads(names: Sequence[str], known_parts: Sequence[str]) -> SearchStrategy[str]:
    """``/start`` payloads: real feature names with forged arguments, or anything typed."""
    argument = st.one_of(
        st.sampled_from(list(known_parts) or ["0"]),
        numbers(),
        numbers(),
        st.from_regex(r"[A-Za-z0-9_-]{0,40}", fullmatch=True),
        st.text(_SAFE_CHARACTERS, max_size=20),
    )
    linked = st.builds(
        lambda name, sep, arg: f"{name}{sep}{arg}",
        st.sampled_from(sorted(names)),
        st.sampled_from(("-", "", "--", "_", " ")),
        argument,
    )
    typed = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), odd_texts())
    return st.one_of(linked, linked, typed)


# --- updates -------------------------------------------------------------------------------


class UpdateBuilder:
    """Updates made from the emulator's world, for cases its producers do not cover.

    Messages are stored in the emulated chat (so the bot can reply to and delete them) but
    no membership or permission is checked: a forged or unusual update is the point.
    Schema-valid updates are validated against the Bot API schema; others are raw dicts.
    """

    ANONYMOUS_ADMIN: Json = {  # noqa: RUF012 - Telegram's fixed stand-in sender
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    CHANNEL_BOT: Json = {  # noqa: RUF012
        "id": 136817688,
        "is_bot": True,
        "first_name": "Channel",
        "username": "Channel_Bot",
    }

    def __init__(self, api: BotApiEmulator) -> None:
        self.api = api
        self.world = api.world
        self._raw_ids = itertools.count(10**9)

    def user(self, user_id: int) -> Json:
        if user_id == self.ANONYMOUS_ADMIN["id"]:
            return dict(self.ANONYMOUS_ADMIN)
        return self.world.user(user_id).to_api()

    def chat(self, chat_id: int) -> Json:
        if chat_id > 0:
            return self.world.chat_api(self.world.private_chat(chat_id))
        return self.world.chat_api(self.world.chats[chat_id])

    def channel(self, channel_id: int = -1_009_999_999_999) -> Json:
        return {"id": channel_id, "type": "channel", "title": "Some channel"}

    def valid(self, kind: str, payload: Mapping[str, Any]) -> Json:
        """A schema-checked update, queued like any other (the bot may answer it)."""
        return self.world.push_update(kind, copy.deepcopy(dict(payload)))

    def raw(self, kind: str, payload: Any) -> Json:
        """An update the schema does not know, e.g. a kind from a newer Bot API."""
        return {"update_id": next(self._raw_ids), kind: payload}

    def stored_message(
        self, chat_id: int, sender: Json | None, content: Mapping[str, Any]
    ) -> Json:
        """A message in an emulated chat, from anyone (or no one), without any checks."""
        chat = self.world.chats[chat_id]
        message: Json = {
            "message_id": chat.next_message_id,
            "chat": self.world.chat_api(chat),
            "date": self.world.now(),
            **copy.deepcopy(dict(content)),
        }
        if sender is not None:
            message["from"] = sender
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = copy.deepcopy(message)
        return message

    def text_message(
        self,
        chat_id: int,
        sender: Json | None,
        text: str,
        *,
        reply_to: Mapping[str, Any] | None = None,
        sender_chat: Json | None = None,
        thread_id: int | None = None,
        edited: bool = False,
    ) -> Json:
        content: Json = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = {
                k: copy.deepcopy(v) for k, v in reply_to.items() if k != "reply_to_message"
            }
        if sender_chat is not None:
            content["sender_chat"] = sender_chat
        if thread_id is not None:
            content.update(message_thread_id=thread_id, is_topic_message=True)
        message = self.stored_message(chat_id, sender, content)
        if edited:
            message["edit_date"] = message["date"] + 1
            return self.valid("edited_message", message)
        return self.valid("message", message)

    def press(
        self,
        user_id: int,
        message: Mapping[str, Any],
        data: str,
        *,
        shape: str = "message",
    ) -> Json:
        """A press of a button with ``data`` on ``message``, as the presser saw the message
        (even one they can no longer see: a removed member's old button, say).

        ``shape`` says what Telegram attaches to the press:
        "message": the message itself; "old": only its chat and id, date 0 (Telegram's
        "inaccessible message"); "inline": no message, an inline message id instead.
        """
        query_id = f"{self.world.bot.id}{self.world.serial():010d}"
        self.world.callback_queries[query_id] = False  # so that it can be answered once
        query: Json = {
            "id": query_id,
            "from": self.user(user_id),
            "chat_instance": str(message["chat"]["id"] * 7),
            "data": data,
            # As the person saw it: a second tap may come before the first one's edit.
            "message": copy.deepcopy(dict(message)),
        }
        if shape == "old":
            query["message"] = {
                "chat": message["chat"],
                "message_id": message["message_id"],
                "date": 0,
            }
        elif shape == "inline":
            del query["message"]
            query["inline_message_id"] = "AQAAAE-forged-inline-id"
        return self.valid("callback_query", query)


# --- the database --------------------------------------------------------------------------

_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
_POSTGRES_TABLES = (
    "SELECT table_name AS name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
)


async def dump_tables(store: Store) -> dict[str, list[Json]]:
    """Every row of every table, in a stable order: compare two dumps to see any write."""
    sql = _SQLITE_TABLES if store.db.engine == "sqlite" else _POSTGRES_TABLES
    tables: dict[str, list[Json]] = {}
    for row in await store.db.fetch(sql):
        name = row["name"]
        rows = await store.db.fetch(f"SELECT * FROM {name}")
        tables[name] = sorted((dict(r) for r in rows), key=lambda r: repr(sorted(r.items())))
    return dict(sorted(tables.items()))


def changed_tables(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


# --- update kinds and service messages no feature is built around -----------------------

# Kinds no feature handles: they must change nothing at all.
QUIET_KINDS = (
    "channel_post",
    "edited_channel_post",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "poll",
    "poll_answer",
    "shipping_query",
    "pre_checkout_query",
    "chat_boost",
    "removed_chat_boost",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "purchased_paid_media",
    "guest_message",
    "managed_bot",
    "from_the_future",
)
# Messages the features see but that carry no text, or come from an unusual sender.
ODD_MESSAGES = (
    "sticker",
    "location",
    "dice",
    "contact",
    "photo_with_command_caption",
    "pinned_message",
    "new_chat_title",
    "group_chat_created",
    "forum_topic_edited",
    "video_chat_started",
    "auto_delete_timer",
    "new_bot_members",
    "bot_left",
    "migrate_to_unknown",
    "migrate_from_unknown",
    "automatic_forward",
    "via_bot",
    "no_sender",
    "join_request_from_bot",
)


def odd_update(build: UpdateBuilder, kind: str, chat_id: int, user_id: int, text: str) -> Json:
    """An update of ``kind`` (see QUIET_KINDS and ODD_MESSAGES) in ``chat_id`` from ``user_id``."""
    if kind in QUIET_KINDS:
        return _quiet_update(build, kind, chat_id, user_id, text)
    return _odd_message(build, kind, chat_id, user_id, text)


def _quiet_update(build: UpdateBuilder, kind: str, chat_id: int, user_id: int, text: str) -> Json:
    user, chat, now = build.user(user_id), build.chat(chat_id), build.world.now()
    text = text or "."
    emoji = {"type": "emoji", "emoji": "👍"}
    payloads: dict[str, Json] = {
        "message_reaction": {
            "chat": chat,
            "message_id": 1,
            "user": user,
            "date": now,
            "old_reaction": [],
            "new_reaction": [emoji],
        },
        "message_reaction_count": {
            "chat": chat,
            "message_id": 1,
            "date": now,
            "reactions": [{"type": emoji, "total_count": 3}],
        },
        "inline_query": {"id": "1", "from": user, "query": text[:256], "offset": ""},
        "chosen_inline_result": {"result_id": "1", "from": user, "query": text[:256]},
        "poll": {
            "id": "1",
            "question": text[:300],
            "options": [{"persistent_id": "a", "text": "a", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        },
        "poll_answer": {
            "poll_id": "1",
            "user": user,
            "option_ids": [0],
            "option_persistent_ids": ["a"],
        },
        "shipping_query": {
            "id": "1",
            "from": user,
            "invoice_payload": text,
            "shipping_address": {
                "country_code": "FI",
                "state": "",
                "city": "Rovaniemi",
                "street_line1": text[:100],
                "street_line2": "",
                "post_code": "96100",
            },
        },
        "pre_checkout_query": {
            "id": "1",
            "from": user,
            "currency": "EUR",
            "total_amount": 100,
            "invoice_payload": text,
        },
        "chat_boost": {
            "chat": chat,
            "boost": {
                "boost_id": "1",
                "add_date": now,
                "expiration_date": now + 86400,
                "source": {"source": "premium", "user": user},
            },
        },
        "removed_chat_boost": {
            "chat": chat,
            "boost_id": "1",
            "remove_date": now,
            "source": {"source": "premium", "user": user},
        },
        "business_connection": {
            "id": "biz",
            "user": user,
            "user_chat_id": user_id,
            "date": now,
            "is_enabled": True,
        },
        "deleted_business_messages": {
            "business_connection_id": "biz",
            "chat": build.chat(user_id),
            "message_ids": [1, 2],
        },
        "purchased_paid_media": {"from": user, "paid_media_payload": text},
        "managed_bot": {"user": user, "bot": build.user(build.world.bot.id)},
    }
    if kind in payloads:
        return build.valid(kind, payloads[kind])
    if kind in ("channel_post", "edited_channel_post"):
        post: Json = {"message_id": 1, "date": now, "chat": build.channel(), "text": text}
        post["sender_chat"] = post["chat"]
        if kind == "edited_channel_post":
            post["edit_date"] = now
        return build.valid(kind, post)
    if kind in ("business_message", "edited_business_message", "guest_message"):
        message = {
            "message_id": 1,
            "date": now,
            "chat": build.chat(user_id),
            "from": user,
            "text": text,
            "business_connection_id": "biz",
        }
        return build.valid(kind, message)
    return build.raw(kind, {"id": 1, "from": user, "chat": chat, "text": text})


def _odd_message(build: UpdateBuilder, kind: str, chat_id: int, user_id: int, text: str) -> Json:
    user, now = build.user(user_id), build.world.now()
    other_bot: Json = {"id": 5_000_000_001, "is_bot": True, "first_name": "Other bot"}
    contents: dict[str, Json] = {
        "sticker": {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        "location": {"location": {"latitude": 66.5, "longitude": 25.7}},
        "dice": {"dice": {"emoji": "🎲", "value": 6}},
        "contact": {"contact": {"phone_number": "+358401234567", "first_name": "Someone"}},
        "photo_with_command_caption": {
            "photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}],
            "caption": f"/warn {text}"[:1024],
        },
        "pinned_message": {
            "pinned_message": {"chat": build.chat(chat_id), "message_id": 1, "date": 0}
        },
        "new_chat_title": {"new_chat_title": text[:128] or "x"},
        "group_chat_created": {"group_chat_created": True},
        "forum_topic_edited": {"forum_topic_edited": {"name": text[:128]}},
        "video_chat_started": {"video_chat_started": {}},
        "auto_delete_timer": {
            "message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}
        },
        "new_bot_members": {"new_chat_members": [other_bot, build.user(build.world.bot.id)]},
        "bot_left": {"left_chat_member": other_bot},
        "migrate_to_unknown": {"migrate_to_chat_id": -1_009_000_000_001},
        "migrate_from_unknown": {"migrate_from_chat_id": -9_000_001},
        "automatic_forward": {
            "text": text or ".",
            "sender_chat": build.channel(),
            "is_automatic_forward": True,
            "forward_origin": {
                "type": "channel",
                "date": now,
                "chat": build.channel(),
                "message_id": 7,
            },
        },
        "via_bot": {"text": text or ".", "via_bot": other_bot},
        "no_sender": {"text": text or "."},
    }
    if kind == "join_request_from_bot":
        payload = {
            "chat": build.chat(chat_id),
            "from": other_bot,
            "user_chat_id": other_bot["id"],
            "date": now,
        }
        return build.valid("chat_join_request", payload)
    sender = None if kind in ("no_sender", "automatic_forward") else user
    if kind == "automatic_forward":
        sender = build.CHANNEL_BOT
    message = build.stored_message(chat_id, sender, contents[kind])
    return build.valid("message", message)


# --- updates with optional fields left out ---------------------------------------------

# Abstract Bot API types met in the updates used here, and what they can be.
_ABSTRACT_TYPES = {"MaybeInaccessibleMessage": ("Message", "InaccessibleMessage")}
_ARRAY = "Array of "


def optional_fields(schema: Schema, update: Json) -> list[tuple[str | int, ...]]:
    """The paths of every optional field present in ``update``, by the Bot API schema."""
    found: list[tuple[str | int, ...]] = []
    _walk(schema, "Update", update, (), found)
    return found


def _walk(
    schema: Schema, type_expr: str, value: Any, path: tuple[str | int, ...], found: list[Any]
) -> None:
    if type_expr.startswith(_ARRAY):
        for index, item in enumerate(value if isinstance(value, list) else []):
            _walk(schema, type_expr.removeprefix(_ARRAY), item, (*path, index), found)
        return
    if not isinstance(value, dict):
        return
    for name in _ABSTRACT_TYPES.get(type_expr, (type_expr,)):
        try:
            schema.check(name, value, "")
        except SchemaError:
            continue
        for field_name, (types, required) in schema.type_fields(name).items():
            if field_name in value:
                if not required:
                    found.append((*path, field_name))
                _walk(schema, types[0], value[field_name], (*path, field_name), found)
        return


def without(update: Json, paths: Iterable[tuple[str | int, ...]]) -> Json:
    """A copy of ``update`` with the fields at ``paths`` left out."""
    trimmed = copy.deepcopy(update)
    for path in sorted(paths, key=len, reverse=True):
        parent: Any = trimmed
        for key in path[:-1]:
            try:
                parent = parent[key]
            except (KeyError, IndexError):
                break
        else:
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
    return trimmed
