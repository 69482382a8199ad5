"""parse_mode=MarkdownV2 (and legacy Markdown): plain text plus entities, or Telegram's error.

A simplified parser: it knows escapes, bold/italic/underline/strikethrough/spoiler markers,
inline code, pre blocks, links, custom emoji and ``>`` block quotes, and rejects unescaped
reserved characters the way Telegram does - the most common MarkdownV2 bug in bots.
"""

from __future__ import annotations

from typing import Any

from .formatting import EntityParseError, utf16_len

_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MARKERS = {
    "__": "underline",
    "||": "spoiler",
    "*": "bold",
    "_": "italic",
    "~": "strikethrough",
}
_LEGACY_MARKERS = {"*": "bold", "_": "italic"}
_NAMES = {
    "underline": "Underline",
    "spoiler": "Spoiler",
    "bold": "Bold",
    "italic": "Italic",
    "strikethrough": "Strikethrough",
    "[": "TextUrl",
    "![": "CustomEmoji",
}


def parse_markdown(source: str, *, legacy: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 (``legacy=False``) or the old Markdown mode."""
    return _Parser(source, legacy).parse()


class _Parser:
    def __init__(self, source: str, legacy: bool) -> None:
        self.src = source
        self.legacy = legacy
        self.i = 0
        self.out: list[str] = []
        self.pos = 0  # UTF-16 offset in the output
        self.open: list[tuple[str, int, int]] = []  # (marker, output offset, byte offset)
        self.entities: list[dict[str, Any]] = []
        self.quote_start: int | None = None

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.i < len(self.src):
            self._step()
        self._end_quote()
        if self.open:
            marker, _, byte = self.open[-1]
            name = _NAMES.get(_MARKERS.get(marker, marker), marker)
            raise EntityParseError(f"Can't find end of {name} entity at byte offset {byte}")
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    # -- helpers --

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.pos += utf16_len(text)

    def _byte(self) -> int:
        return len(self.src[: self.i].encode())

    def _entity(self, start: int, kind: str, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def _find(self, token: str, start: int) -> int:
        """Index of the next unescaped ``token`` from ``start``, or -1."""
        j = start
        while j < len(self.src):
            if self.src[j] == "\\" and not self.legacy:
                j += 2
                continue
            if self.src.startswith(token, j):
                return j
            j += 1
        return -1

    def _unescape(self, text: str) -> str:
        if self.legacy:
            return text
        out, j = [], 0
        while j < len(text):
            if text[j] == "\\" and j + 1 < len(text):
                j += 1
            out.append(text[j])
            j += 1
        return "".join(out)

    # -- scanning --

    def _step(self) -> None:
        src, i = self.src, self.i
        char = src[i]
        if char == "\\" and not self.legacy and i + 1 < len(src):
            self._emit(src[i + 1])
            self.i += 2
        elif char == "`":
            self._code()
        elif char == "[" or (src.startswith("![", i) and not self.legacy):
            opener = "![" if char == "!" else "["
            self.open.append((opener, self.pos, self._byte()))
            self.i += len(opener)
        elif char == "]" and self.open and self.open[-1][0] in ("[", "!["):
            self._link_end()
        elif marker := self._marker():
            self._toggle(marker)
        elif char == ">" and not self.legacy and (i == 0 or src[i - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.pos
            self.i += 1
        elif char in _RESERVED and not self.legacy:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            if char == "\n" and not src.startswith(">", i + 1):
                self._end_quote()
            self._emit(char)
            self.i += 1

    def _marker(self) -> str | None:
        markers = _LEGACY_MARKERS if self.legacy else _MARKERS
        return next((m for m in markers if self.src.startswith(m, self.i)), None)

    def _toggle(self, marker: str) -> None:
        self.i += len(marker)
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == marker:
                _, start, _ = self.open.pop(index)
                self._entity(start, _MARKERS[marker])
                return
        self.open.append((marker, self.pos, self._byte() - len(marker)))

    def _code(self) -> None:
        fence = "```" if self.src.startswith("```", self.i) else "`"
        start_byte = self._byte()
        end = self._find(fence, self.i + len(fence))
        if end < 0:
            kind = "Pre" if fence == "```" else "Code"
            raise EntityParseError(f"Can't find end of {kind} entity at byte offset {start_byte}")
        body = self.src[self.i + len(fence) : end]
        extra: dict[str, Any] = {}
        if fence == "```":
            first, newline, rest = body.partition("\n")
            if newline and first and not any(c.isspace() for c in first):
                body, extra = rest, {"language": first}
        start = self.pos
        self._emit(self._unescape(body))
        self._entity(start, "pre" if fence == "```" else "code", **extra)
        self.i = end + len(fence)

    def _link_end(self) -> None:
        marker, start, byte = self.open.pop()
        if not self.src.startswith("(", self.i + 1):
            if self.legacy:
                self._emit("]")
                self.i += 1
                return
            raise EntityParseError(
                f"Can't find end of {_NAMES[marker]} entity at byte offset {byte}"
            )
        close = self._find(")", self.i + 2)
        if close < 0:
            raise EntityParseError(
                f"Can't find end of URL for {_NAMES[marker]} at byte offset {byte}"
            )
        url = self._unescape(self.src[self.i + 2 : close])
        self.i = close + 1
        if marker == "![":
            self._entity(start, "custom_emoji", custom_emoji_id=url.rpartition("id=")[2])
        else:
            self._entity(start, "text_link", url=url)

    def _end_quote(self) -> None:
        if self.quote_start is not None:
            self._entity(self.quote_start, "blockquote")
            self.quote_start = None
