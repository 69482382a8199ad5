"""What the repositories return: small frozen records, and UTC timestamp conversion.

Only what a feature needs is stored: no names, no usernames, no message text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from types import MappingProxyType
from typing import Final, Literal, TypeGuard

from storage.database import Row

ChatKind = Literal["peer_group", "staff"]
CHAT_KINDS: tuple[ChatKind, ...] = ("peer_group", "staff")
JoinVia = Literal["request", "arrival"]  # a join request, or someone who simply arrived
JOIN_VIAS: tuple[JoinVia, ...] = ("request", "arrival")
# A rules text is in one of the bot's languages, or in EVERY_LANGUAGE: the same text for all.
EVERY_LANGUAGE = "*"
RULES_LANGUAGES: tuple[str, ...] = ("fi", "sv", "se", "en", EVERY_LANGUAGE)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def is_chat_kind(value: object) -> TypeGuard[ChatKind]:
    return value in CHAT_KINDS


def is_join_via(value: object) -> TypeGuard[JoinVia]:
    return value in JOIN_VIAS


def to_timestamp(at: datetime) -> int:
    """An aware datetime as whole Unix seconds (fractions are dropped)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("storage needs an aware datetime (UTC), not a naive one")
    return (at - _EPOCH) // _SECOND


def from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _optional_time(value: int | None) -> datetime | None:
    return None if value is None else from_timestamp(value)


def _optional_int(value: int | None) -> int | None:
    return None if value is None else int(value)


class Unset(Enum):
    """The type of UNSET: "leave this as it is", where None is a value of its own."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True, slots=True)
class Member:
    """A person who has talked to the bot privately."""

    user_id: int
    language: str | None  # fi, sv, se or en; None = not chosen yet
    started_at: datetime | None  # first /start
    reachable: bool  # may the bot message them privately
    app_language: str | None = None  # their Telegram app's language, if one we speak

    @classmethod
    def _from_row(cls, row: Row) -> Member:
        return cls(
            user_id=int(row["user_id"]),
            language=row["language"],
            started_at=_optional_time(row["started_at"]),
            reachable=bool(row["reachable"]),
            app_language=row["app_language"],
        )


@dataclass(frozen=True, slots=True)
class Chat:
    """A registered group: a peer group or a staff group."""

    chat_id: int
    kind: ChatKind
    region: str
    language: str | None
    registered_at: datetime
    join_gate: bool = True  # new members must agree to the rules first
    hide_service_messages: bool = True  # delete the "X joined/left" messages
    public_warn_notice: bool = True  # say in the group that someone was warned
    flood_messages: int | None = None  # at most this many messages per flood_seconds; None = off
    flood_seconds: int = 10

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
            join_gate=bool(row["join_gate"]),
            hide_service_messages=bool(row["hide_service_messages"]),
            public_warn_notice=bool(row["public_warn_notice"]),
            flood_messages=_optional_int(row["flood_messages"]),
            flood_seconds=int(row["flood_seconds"]),
        )


@dataclass(frozen=True, slots=True)
class Rules:
    """A published version of a group's rules.

    ``texts`` maps a language (fi, sv, se, en, or ``*`` for every language) to the text.
    Version 0 is the default rules: they have no texts of their own.
    """

    chat_id: int
    version: int
    texts: Mapping[str, str]

    def text_for(self, language: str | None) -> str | None:
        """The text in ``language``, else the ``*`` text, else None (no such text)."""
        if language is not None and language in self.texts:
            return self.texts[language]
        return self.texts.get(EVERY_LANGUAGE)

    @classmethod
    def _from_rows(cls, chat_id: int, version: int, rows: Iterable[Row]) -> Rules:
        texts = {row["language"]: row["body"] for row in rows if row["language"] is not None}
        return cls(
            chat_id=chat_id, version=version, texts=MappingProxyType(dict(sorted(texts.items())))
        )


@dataclass(frozen=True, slots=True)
class RulesDraft:
    """A rules text waiting for its author to confirm it; ``draft_id`` goes into a button."""

    draft_id: str
    chat_id: int
    language: str
    body: str
    created_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> RulesDraft:
        return cls(
            draft_id=row["draft_id"],
            chat_id=int(row["chat_id"]),
            language=row["language"],
            body=row["body"],
            created_at=from_timestamp(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class Consent:
    """A member agreed to a group's rules: who, which group, which version, when. Nothing else."""

    user_id: int
    chat_id: int
    rules_version: int
    agreed_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> Consent:
        return cls(
            user_id=int(row["user_id"]),
            chat_id=int(row["chat_id"]),
            rules_version=int(row["rules_version"]),
            agreed_at=from_timestamp(row["agreed_at"]),
        )


@dataclass(frozen=True, slots=True)
class PendingJoin:
    """Someone who asked to join, or arrived in, a gated group and has not agreed yet."""

    user_id: int
    chat_id: int
    via: JoinVia
    since: datetime
    welcome_message_id: int | None  # the group message that greeted them, to delete later

    @classmethod
    def _from_row(cls, row: Row) -> PendingJoin:
        via = row["via"]
        if not is_join_via(via):
            raise ValueError(f"unknown join kind in the database: {via!r}")
        message_id = row["welcome_message_id"]
        return cls(
            user_id=int(row["user_id"]),
            chat_id=int(row["chat_id"]),
            via=via,
            since=from_timestamp(row["since"]),
            welcome_message_id=None if message_id is None else int(message_id),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A moderation action in a group, for facilitators to review and undo.

    People appear only as opaque member refs (see RefRepository): forgetting a member's ref
    unlinks these entries from them. ``reason`` is the facilitator's short reason, if any.
    """

    entry_id: str  # URL-safe, 12 characters: fits in a button's callback data
    chat_id: int
    at: datetime
    actor_ref: str
    action: str
    target_ref: str | None
    duration_seconds: int | None  # of a mute or a ban; None = not timed
    reason: str | None
    undone_at: datetime | None

    @classmethod
    def _from_row(cls, row: Row) -> AuditEntry:
        return cls(
            entry_id=row["entry_id"],
            chat_id=int(row["chat_id"]),
            at=from_timestamp(row["at"]),
            actor_ref=row["actor_ref"],
            action=row["action"],
            target_ref=row["target_ref"],
            duration_seconds=_optional_int(row["duration_seconds"]),
            reason=row["reason"],
            undone_at=_optional_time(row["undone_at"]),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """A group message that members reported to the facilitators; who reported is not here."""

    report_id: str  # URL-safe, 12 characters: fits in a button's callback data
    chat_id: int
    message_id: int
    first_at: datetime  # the first report of the message
    reporters: int  # how many different members reported it
    staff_chat_id: int | None  # where the facilitators were told, once they were
    staff_message_id: int | None

    @classmethod
    def _from_row(cls, row: Row) -> Report:
        return cls(
            report_id=row["report_id"],
            chat_id=int(row["chat_id"]),
            message_id=int(row["message_id"]),
            first_at=from_timestamp(row["first_at"]),
            reporters=int(row["reporters"]),
            staff_chat_id=_optional_int(row["staff_chat_id"]),
            staff_message_id=_optional_int(row["staff_message_id"]),
        )
