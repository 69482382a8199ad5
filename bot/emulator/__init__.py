"""A Telegram Bot API emulator for tests: a real HTTP server checked against the API schema."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import DEFAULT_TOKEN, ApiError, StoredDocument
    from .schema import Schema, SchemaError, UploadedFile
    from .server import ApiCall, BotApiEmulator

# Imported lazily so that ``python -m bot.emulator.schema`` does not import itself twice.
_EXPORTS = {
    "DEFAULT_TOKEN": "model",
    "ApiError": "model",
    "StoredDocument": "model",
    "Schema": "schema",
    "SchemaError": "schema",
    "UploadedFile": "schema",
    "ApiCall": "server",
    "BotApiEmulator": "server",
}

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "Schema",
    "SchemaError",
    "StoredDocument",
    "UploadedFile",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
