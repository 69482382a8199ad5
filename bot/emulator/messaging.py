"""Bot API methods about the bot itself, updates, messages, callbacks and commands."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

from .access import ChatAccess, Params
from .formatting import EntityParseError, parse_html, utf16_len
from .markdown import parse_markdown
from .model import ApiError, ChatState, Json, StoredDocument, bad, without_reply
from .schema import UploadedFile
from .world import World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_BUTTON_NON_ACTIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


class RateLimiter:
    """Telegram's broadcast limits: 30 messages/s overall, 20 messages/min per group."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._all: collections.deque[float] = collections.deque()
        self._groups: dict[int, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )

    def check(self, chat: ChatState) -> None:
        """Count one message into ``chat``, or raise 429 without counting it."""
        now = self._clock()
        _expire(self._all, now - 1.0)
        if len(self._all) >= 30:
            raise _too_many(self._all[0] + 1.0 - now)
        window = self._groups[chat.id] if chat.is_group else None
        if window is not None:
            _expire(window, now - 60.0)
            if len(window) >= 20:
                raise _too_many(window[0] + 60.0 - now)
            window.append(now)
        self._all.append(now)


def _expire(window: collections.deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


class MessageMethods(ChatAccess):
    """getMe, getUpdates, webhooks, sending, editing, deleting, callbacks, commands, files."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.rate = RateLimiter(world.clock)
        self._poll_generation = 0

    # -- bot and updates --

    def get_me(self, p: Params) -> Json:
        w = self.world
        flags = {
            "can_join_groups": True,
            "can_read_all_group_messages": w.can_read_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        known = w.schema.type_fields("User")
        return {**w.bot.to_api(), **{k: v for k, v in flags.items() if k in known}}

    async def get_updates(self, p: Params) -> list[Json]:
        w = self.world
        if w.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            w.allowed_updates = frozenset(p["allowed_updates"]) or None
        self._poll_generation += 1
        w.notify()  # an older long poll must now end with 409
        w.confirm(p.get("offset"))
        limit = min(max(p.get("limit", 100), 1), 100)
        timeout = max(p.get("timeout", 0), 0)
        return await self._long_poll(self._poll_generation, limit, timeout)

    async def _long_poll(self, generation: int, limit: int, seconds: float) -> list[Json]:
        w = self.world
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = w.update_event
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = w.pending(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return batch
            await self._wait(event, remaining)

    async def _wait(self, event: asyncio.Event, seconds: float) -> None:
        w = self.world
        w.pollers += 1
        w.poller_waiting.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        finally:
            w.pollers -= 1
            if not w.pollers:
                w.poller_waiting.clear()

    def set_webhook(self, p: Params) -> bool:
        w = self.world
        w.webhook_url = p["url"]
        w.webhook_secret = p.get("secret_token", "")
        if "allowed_updates" in p:
            w.allowed_updates = frozenset(p["allowed_updates"]) or None
        if p.get("drop_pending_updates"):
            w.updates.clear()
        return True

    def delete_webhook(self, p: Params) -> bool:
        self.world.webhook_url = ""
        if p.get("drop_pending_updates"):
            self.world.updates.clear()
        return True

    def get_webhook_info(self, p: Params) -> Json:
        w = self.world
        info: Json = {
            "url": w.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(w.updates),
        }
        if w.allowed_updates is not None:
            info["allowed_updates"] = sorted(w.allowed_updates)
        return info

    # -- sending --

    def send_message(self, p: Params) -> Json:
        chat = self.writable_chat(p["chat_id"])
        text, entities = _formatted(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not text:
            raise bad("message text is empty")
        if utf16_len(text) > 4096:
            raise bad("message is too long")
        content: Json = {"text": text}
        if entities:
            content["entities"] = entities
        content.update(self._message_extras(chat, p))
        self.rate.check(chat)
        return self.world.store_message(chat, self.world.bot, content)

    def send_document(self, p: Params) -> Json:
        w = self.world
        chat = self.writable_chat(p["chat_id"])
        document = self._document(p["document"])
        caption, entities = _formatted(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities")
        )
        if utf16_len(caption) > 1024:
            raise bad("message caption is too long")
        content: Json = {"document": document.to_api()}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        content.update(self._message_extras(chat, p))
        self.rate.check(chat)
        message = w.store_message(chat, w.bot, content)
        document.chat_id, document.message_id = chat.id, message["message_id"]
        w.documents.append(document)
        return message

    def send_photo(self, p: Params) -> Json:
        w = self.world
        chat = self.writable_chat(p["chat_id"])
        photo = p["photo"]
        if not isinstance(photo, UploadedFile):
            raise bad("wrong remote file identifier specified: only uploads are modelled")
        width, height = _image_size(photo.data)
        caption, entities = _formatted(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities")
        )
        if utf16_len(caption) > 1024:
            raise bad("message caption is too long")
        n = w.serial()
        size = {"file_id": f"photo-{n}", "file_unique_id": f"photo-u{n}"}
        content: Json = {"photo": [{**size, "width": width, "height": height}]}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        content.update(self._message_extras(chat, p))
        self.rate.check(chat)
        return w.store_message(chat, w.bot, content)

    def _document(self, value: UploadedFile | str) -> StoredDocument:
        w = self.world
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad("file must be non-empty")
            name, mime, data = value.filename or "document", value.content_type, value.data
        else:
            known = next((d for d in w.documents if d.file_id == value), None)
            if known is not None:
                return StoredDocument(**vars(known))
            if not value.startswith(("http://", "https://")):
                raise bad("wrong file identifier/HTTP URL specified")
            name = value.rstrip("/").rsplit("/", 1)[-1] or "document"
            mime, data = "application/octet-stream", b""
        n = w.serial()
        return StoredDocument(f"BQACAgQAAx0E-emu-{n}", f"AgAD-emu-{n}", name, mime, data)

    def send_chat_action(self, p: Params) -> bool:
        self.writable_chat(p["chat_id"])
        return True

    def _message_extras(self, chat: ChatState, p: Params) -> Json:
        extras: Json = {}
        thread = p.get("message_thread_id")
        if thread is not None and chat.is_forum:
            extras.update(message_thread_id=thread, is_topic_message=True)
        reply = p.get("reply_parameters")
        if reply is not None:
            target = self.chat(reply.get("chat_id", chat.id))
            replied = target.messages.get(reply["message_id"])
            if replied is not None:
                extras["reply_to_message"] = without_reply(replied)
            elif not reply.get("allow_sending_without_reply"):
                raise bad("message to be replied not found")
        markup = p.get("reply_markup")
        if markup is not None and "inline_keyboard" in markup:
            _check_inline_keyboard(markup)
            if markup["inline_keyboard"]:
                extras["reply_markup"] = markup
        return extras

    # -- editing and deleting --

    def _own_message(self, p: Params) -> tuple[ChatState, Json]:
        if "inline_message_id" in p:
            raise bad("MESSAGE_ID_INVALID")
        if "chat_id" not in p or "message_id" not in p:
            raise bad("message identifier is not specified")
        chat = self.writable_chat(p["chat_id"])
        message = chat.messages.get(p["message_id"])
        if message is None:
            raise bad("message to edit not found")
        if message.get("from", {}).get("id") != self.world.bot.id:
            raise bad("message can't be edited")
        return chat, message

    def edit_message_text(self, p: Params) -> Json:
        _, message = self._own_message(p)
        text, entities = _formatted(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not text:
            raise bad("message text is empty")
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        markup = _inline_markup(p.get("reply_markup"))
        current = (message["text"], message.get("entities"), message.get("reply_markup"))
        if current == (text, entities or None, markup):
            raise bad(NOT_MODIFIED)
        message["text"] = text
        _set_optional(message, "entities", entities or None)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        _set_optional(message, "reply_markup", markup)
        message["edit_date"] = self.world.now()
        return copy.deepcopy(message)

    def edit_message_reply_markup(self, p: Params) -> Json:
        _, message = self._own_message(p)
        markup = _inline_markup(p.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise bad(NOT_MODIFIED)
        _set_optional(message, "reply_markup", markup)
        message["edit_date"] = self.world.now()
        return copy.deepcopy(message)

    def _check_deletable(self, chat: ChatState, message: Json) -> None:
        w = self.world
        own = message.get("from", {}).get("id") == w.bot.id
        if chat.is_group and not own and not w.has_right(chat, w.bot.id, "can_delete_messages"):
            raise bad("message can't be deleted")

    def delete_message(self, p: Params) -> bool:
        chat = self.visible_chat(p["chat_id"])
        message = chat.messages.get(p["message_id"])
        if message is None:
            raise bad("message to delete not found")
        self._check_deletable(chat, message)
        _delete(chat, p["message_id"])
        return True

    def delete_messages(self, p: Params) -> bool:
        chat = self.visible_chat(p["chat_id"])
        ids = p["message_ids"]
        if not 1 <= len(ids) <= 100:
            raise bad("message_ids must contain 1-100 identifiers")
        found = [i for i in ids if i in chat.messages]
        for message_id in found:  # check all first: Telegram deletes all or nothing
            self._check_deletable(chat, chat.messages[message_id])
        for message_id in found:
            _delete(chat, message_id)
        return True

    def answer_callback_query(self, p: Params) -> bool:
        queries = self.world.callback_queries
        query_id = p["callback_query_id"]
        if queries.get(query_id, True):
            raise bad(QUERY_INVALID)
        queries[query_id] = True
        return True

    # -- commands --

    def _commands_key(self, p: Params) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        if "chat_id" in scope:
            self.chat(scope["chat_id"])
        language = p.get("language_code", "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    def set_my_commands(self, p: Params) -> bool:
        commands = p["commands"]
        if len(commands) > 100:
            raise bad("too many commands specified")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(command["command"]):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise bad("command description must be non-empty")
        key = self._commands_key(p)
        if commands:
            self.world.commands[key] = copy.deepcopy(commands)
        else:
            self.world.commands.pop(key, None)
        return True

    def get_my_commands(self, p: Params) -> list[Json]:
        return copy.deepcopy(self.world.commands.get(self._commands_key(p), []))

    def delete_my_commands(self, p: Params) -> bool:
        self.world.commands.pop(self._commands_key(p), None)
        return True

    def get_file(self, p: Params) -> Json:
        document = next((d for d in self.world.documents if d.file_id == p["file_id"]), None)
        if document is None:
            raise bad("invalid file_id")
        return {
            "file_id": document.file_id,
            "file_unique_id": document.file_unique_id,
            "file_size": len(document.data),
            "file_path": document.file_path,
        }


_PARSERS: dict[str, Callable[[str], tuple[str, list[Json]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown,
    "markdown": functools.partial(parse_markdown, legacy=True),
}


def _formatted(
    text: str | None, parse_mode: str | None, entities: list[Json] | None
) -> tuple[str, list[Json]]:
    """Apply parse_mode (explicit entities win); Telegram strips surrounding whitespace."""
    text = text or ""
    if entities is not None or not parse_mode:
        return _strip(text, list(entities or []))
    parser = _PARSERS.get(parse_mode.lower())
    if parser is None:
        raise bad(f"unsupported parse_mode {parse_mode}")
    try:
        return _strip(*parser(text))
    except EntityParseError as exc:
        raise bad(f"can't parse entities: {exc}") from None


def _strip(text: str, entities: list[Json]) -> tuple[str, list[Json]]:
    stripped = text.strip()
    shift = utf16_len(text) - utf16_len(text.lstrip())
    end = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def _check_inline_keyboard(markup: Json) -> None:
    for row in markup["inline_keyboard"]:
        for button in row:
            actions = set(button) - _BUTTON_NON_ACTIONS
            if len(actions) != 1:
                raise bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise bad("BUTTON_DATA_INVALID")


def _inline_markup(markup: Json | None) -> Json | None:
    if markup is None or not markup.get("inline_keyboard"):
        return None
    _check_inline_keyboard(markup)
    return markup


def _set_optional(message: Json, key: str, value: Any) -> None:
    if value is None:
        message.pop(key, None)
    else:
        message[key] = value


def _delete(chat: ChatState, message_id: int) -> None:
    del chat.messages[message_id]
    if message_id in chat.pinned:
        chat.pinned.remove(message_id)


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG upload; Telegram refuses anything else as a photo."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            marker, length = data[index + 1], int.from_bytes(data[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height = int.from_bytes(data[index + 5 : index + 7], "big")
                return int.from_bytes(data[index + 7 : index + 9], "big"), height
            index += 2 + length
    raise bad("IMAGE_PROCESS_FAILED")
