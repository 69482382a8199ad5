"""Logging set-up: event names and opaque ids only, and no bot token in any line."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

# Anything shaped like a bot token, even one that is not ours (for example in a traceback).
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
REDACTED = "[redacted-token]"
# Telegram user and chat ids (and anything else this long): at least six digits, not part
# of a word or a decimal number.
_ID_SHAPE = re.compile(r"(?<![\w.])-?\d{6,}(?![\w.])")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


class Pseudonymiser:
    """Replaces ids in log lines by a keyed hash: the same id gives the same pseudonym under
    one key, and nobody without the key can turn a pseudonym back into an id."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def pseudonym(self, value: int | str) -> str:
        digest = hmac.new(self._key, str(value).encode(), hashlib.sha256).hexdigest()
        return f"id-{digest[:12]}"

    def __call__(self, text: str) -> str:
        return _ID_SHAPE.sub(lambda match: self.pseudonym(match.group(0)), text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes secrets from the whole line, traceback included."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        fmt: str | None = None,
        pseudonymise: Pseudonymiser | None = None,
    ) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = tuple(s for s in secrets if s)
        self.pseudonymise = pseudonymise or Pseudonymiser()

    def clean(self, text: str) -> str:
        """The token first (it contains digits), then the ids."""
        return self.pseudonymise(redact(text, self.secrets))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        return self.clean(super().format(record))


class JsonFormatter(RedactingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.clean(json.dumps(entry, ensure_ascii=False))


def configure_logging(
    level: str,
    style: str,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    id_key: str | None = None,
) -> None:
    """Install one redacting, pseudonymising handler on the root logger."""
    handler = logging.StreamHandler(stream or sys.stderr)
    pseudonymise = Pseudonymiser(id_key.encode() if id_key else None)
    formatter = (
        JsonFormatter(secrets, pseudonymise=pseudonymise)
        if style == "json"
        else RedactingFormatter(secrets, pseudonymise=pseudonymise)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The library's debug lines carry whole updates and message texts: never below INFO.
    logging.getLogger("telegram").setLevel(max(root.level, logging.INFO))
    # httpx logs every request URL, and the URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def add_secret(secret: str) -> None:
    """Teach every root handler's formatter one more secret to redact."""
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if isinstance(formatter, RedactingFormatter) and secret:
            formatter.secrets = (*formatter.secrets, secret)
