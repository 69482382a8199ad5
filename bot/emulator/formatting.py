"""Message text helpers: UTF-16 offsets, bot command entities and parse_mode=HTML."""

from __future__ import annotations

import html
import re
from typing import Any

# Telegram detects commands anywhere in the text, not just at the start.
_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


class EntityParseError(ValueError):
    """Text cannot be parsed with the given parse_mode (Telegram: "can't parse entities")."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities for every ``/command`` or ``/command@bot`` in ``text``."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _COMMAND_RE.finditer(text)
    ]


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """The part of ``text`` an entity covers (offsets are in UTF-16 code units)."""
    raw = text.encode("utf-16-le")
    start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
    return raw[start:end].decode("utf-16-le")


def mentions(text: str, username: str) -> bool:
    return re.search(rf"@{re.escape(username)}\b", text, re.IGNORECASE) is not None


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip Telegram's HTML subset into plain text plus entities (a simplified parser)."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        if source[i] == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                offset = len(source[:i].encode())
                raise EntityParseError(f'Unsupported start tag "" at byte offset {offset}')
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if closing:
                _close_tag(name, stack, entities, pos16, len(source[:i].encode()))
            else:
                stack.append((name, pos16, _open_tag(name, attrs, len(source[:i].encode()))))
            i = match.end()
            continue
        entity = _ENTITY_RE.match(source, i) if source[i] == "&" else None
        piece = html.unescape(entity.group()) if entity else source[i]
        i = entity.end() if entity else i + 1
        out.append(piece)
        pos16 += utf16_len(piece)
    if stack:
        raise EntityParseError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _open_tag(name: str, attrs: str, byte_offset: int) -> dict[str, Any]:
    values = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR_RE.finditer(attrs)
    }
    if name == "a" and "href" in values:
        return {"type": "text_link", "url": values["href"]}
    if name == "span" and values.get("class") == "tg-spoiler":
        return {"type": "spoiler"}
    if name == "tg-emoji" and "emoji-id" in values:
        return {"type": "custom_emoji", "custom_emoji_id": values["emoji-id"]}
    if name in _SIMPLE_TAGS:
        kind = _SIMPLE_TAGS[name]
        if name == "blockquote" and "expandable" in attrs:
            kind = "expandable_blockquote"
        entity: dict[str, Any] = {"type": kind}
        if name == "code" and values.get("class", "").startswith("language-"):
            entity["language"] = values["class"].removeprefix("language-")
        return entity
    raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset}')


def _close_tag(
    name: str,
    stack: list[tuple[str, int, dict[str, Any]]],
    entities: list[dict[str, Any]],
    pos16: int,
    byte_offset: int,
) -> None:
    if not stack or stack[-1][0] != name:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {byte_offset}, expected "</'
            f'{stack[-1][0] if stack else ""}>", found "</{name}>"'
        )
    _, start, entity = stack.pop()
    if entity["type"] == "code" and stack and stack[-1][2]["type"] == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        if "language" in entity:
            stack[-1][2]["language"] = entity["language"]
        return
    if pos16 > start:
        entities.append({**entity, "offset": start, "length": pos16 - start})
