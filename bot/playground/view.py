"""What the page shows: every chat as its people see it now, as plain JSON.

Texts go out as they are; the page puts them into the document as text, never as HTML.
"""

from __future__ import annotations

from typing import Any

from bot.playground.world import Playground

Json = dict[str, Any]
LINK_ENTITIES = frozenset({"text_link", "url"})
SERVICE_KINDS = (
    ("new_chat_members", "joined"),
    ("left_chat_member", "left"),
    ("pinned_message", "pinned"),
    ("forum_topic_created", "topic"),
)


def snapshot(playground: Playground) -> Json:
    """The whole world for the page: people, chats with their messages, the bot's time."""
    personas = playground.personas.values()
    chats = [
        chat_view(playground, p.user_id, "private", p.first_name, owner=p.key) for p in personas
    ]
    for chat_id, kind in ((playground.group_id, "group"), (playground.staff_id, "staff")):
        title = playground.api.world.group(chat_id).title or ""
        chats.append(chat_view(playground, chat_id, kind, title))
    return {
        "now": playground.clock.now().timestamp(),
        "zone": playground.zone.key,
        "bot": {"username": playground.api.bot_username},
        "personas": [persona_view(playground, p.key) for p in personas],
        "chats": chats,
        "notices": notices(playground),
    }


def persona_view(playground: Playground, key: str) -> Json:
    persona = playground.persona(key)
    group = playground.api.world.group(playground.group_id)
    return {
        "key": key,
        "name": persona.first_name,
        "language": persona.language,
        "role": persona.role,
        "id": persona.user_id,
        "group": playground.api.member_status(playground.group_id, persona.user_id),
        "requested": persona.user_id in group.join_requests,
    }


def chat_view(
    playground: Playground, chat_id: int, kind: str, title: str, owner: str | None = None
) -> Json:
    people = {p.user_id: p.key for p in playground.personas.values()}
    present: list[str] = []
    if kind != "private":
        group = playground.api.world.group(chat_id)
        present = [key for uid, key in people.items() if group.member(uid).present]
    pinned = set(playground.api.pinned(chat_id)) if kind != "private" else set()
    messages = [
        message_view(playground, m, people, m["message_id"] in pinned)
        for m in playground.api.messages(chat_id)
    ]
    return {
        "id": chat_id,
        "kind": kind,
        "title": title,
        "owner": owner,
        "present": present,
        "messages": messages,
    }


def message_view(
    playground: Playground, message: Json, people: dict[int, str], pinned: bool
) -> Json:
    sender = message.get("from", {})
    text = message.get("text") or message.get("caption") or ""
    entities = message.get("entities") or message.get("caption_entities") or []
    view: Json = {
        "id": message["message_id"],
        "date": message["date"],
        "from": {
            "name": sender.get("first_name", ""),
            "persona": people.get(sender.get("id", 0)),
            "bot": sender.get("id") == playground.api.bot_id,
        },
        "text": text,
        "links": [_link(e) for e in entities if e["type"] in LINK_ENTITIES],
        "buttons": _buttons(message),
        "pinned": pinned,
        "edited": "edit_date" in message,
    }
    replied = message.get("reply_to_message")
    if replied is not None:
        view["reply_to"] = {
            "id": replied["message_id"],
            "name": replied.get("from", {}).get("first_name", ""),
            "text": (replied.get("text") or replied.get("caption") or "")[:120],
        }
    document = message.get("document")
    if document is not None:
        view["document"] = {
            "name": document.get("file_name", "document"),
            "url": f"/api/documents/{document['file_unique_id']}",
        }
    for field, kind in SERVICE_KINDS:
        if field in message:
            view["service"] = kind
    return view


def _link(entity: Json) -> Json:
    link = {"offset": entity["offset"], "length": entity["length"]}
    if entity["type"] == "text_link":
        link["url"] = entity["url"]
    return link


def _buttons(message: Json) -> list[list[Json]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [
        [
            {"text": b["text"], "data": b["callback_data"]}
            if "callback_data" in b
            else {"text": b["text"], "url": b.get("url", "")}
            for b in row
        ]
        for row in rows
    ]


def notices(playground: Playground) -> list[Json]:
    """Short answers to button taps (Telegram shows them as a toast), newest last."""
    shown = []
    for n, call in enumerate(playground.api.calls_to("answerCallbackQuery")):
        text = call.params.get("text")
        chat_id = playground.queries.get(str(call.params.get("callback_query_id")))
        if call.ok and text and chat_id is not None:
            shown.append({"n": n, "chat": chat_id, "text": text})
    return shown[-20:]
