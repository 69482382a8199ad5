"""What the repositories return: small frozen records, and UTC timestamp conversion.

Only what a feature needs is stored: no names, no usernames, no message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeGuard

from storage.database import Row

ChatKind = Literal["peer_group", "staff"]
CHAT_KINDS: tuple[ChatKind, ...] = ("peer_group", "staff")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def is_chat_kind(value: object) -> TypeGuard[ChatKind]:
    return value in CHAT_KINDS


def to_timestamp(at: datetime) -> int:
    """An aware datetime as whole Unix seconds (fractions are dropped)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("storage needs an aware datetime (UTC), not a naive one")
    return (at - _EPOCH) // _SECOND


def from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _optional_time(value: int | None) -> datetime | None:
    return None if value is None else from_timestamp(value)


@dataclass(frozen=True, slots=True)
class Member:
    """A person who has talked to the bot privately."""

    user_id: int
    language: str | None  # fi, sv, se or en; None = not chosen yet
    started_at: datetime | None  # first /start
    reachable: bool  # may the bot message them privately

    @classmethod
    def _from_row(cls, row: Row) -> Member:
        return cls(
            user_id=int(row["user_id"]),
            language=row["language"],
            started_at=_optional_time(row["started_at"]),
            reachable=bool(row["reachable"]),
        )


@dataclass(frozen=True, slots=True)
class Chat:
    """A registered group: a peer group or a staff group."""

    chat_id: int
    kind: ChatKind
    region: str
    language: str | None
    registered_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> Chat:
        kind = row["kind"]
        if not is_chat_kind(kind):
            raise ValueError(f"unknown chat kind in the database: {kind!r}")
        return cls(
            chat_id=int(row["chat_id"]),
            kind=kind,
            region=row["region"],
            language=row["language"],
            registered_at=from_timestamp(row["registered_at"]),
        )
