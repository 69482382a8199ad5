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
Frequency = Literal["weekly", "biweekly", "monthly"]  # how a meetup series repeats
FREQUENCIES: tuple[Frequency, ...] = ("weekly", "biweekly", "monthly")
RsvpAnswer = Literal["yes", "maybe", "no"]
RSVP_ANSWERS: tuple[RsvpAnswer, ...] = ("yes", "maybe", "no")
Audience = Literal["group", "private"]  # a reminder in the group, or to one member privately
AUDIENCES: tuple[Audience, ...] = ("group", "private")
# Group reminders by default: a day and two hours before a meetup.
DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (1440, 120)
# A rules text is in one of the bot's languages, or in EVERY_LANGUAGE: the same text for all.
EVERY_LANGUAGE = "*"
RULES_LANGUAGES: tuple[str, ...] = ("fi", "sv", "se", "en", EVERY_LANGUAGE)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"  # a naive local wall time, as meetups store it


def is_chat_kind(value: object) -> TypeGuard[ChatKind]:
    return value in CHAT_KINDS


def is_join_via(value: object) -> TypeGuard[JoinVia]:
    return value in JOIN_VIAS


def is_frequency(value: object) -> TypeGuard[Frequency]:
    return value in FREQUENCIES


def is_rsvp_answer(value: object) -> TypeGuard[RsvpAnswer]:
    return value in RSVP_ANSWERS


def is_audience(value: object) -> TypeGuard[Audience]:
    return value in AUDIENCES


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


def to_local_text(at: datetime) -> str:
    """A naive local wall time in whole minutes as 'YYYY-MM-DDTHH:MM'."""
    if at.tzinfo is not None:
        raise ValueError("a meetup's local start is a naive wall time, not an aware datetime")
    if at.second or at.microsecond:
        raise ValueError(f"a meetup's local start is in whole minutes, not {at.isoformat()}")
    return at.isoformat(timespec="minutes")


def from_local_text(value: str) -> datetime:
    return datetime.strptime(value, LOCAL_TIME_FORMAT)


def to_minutes(duration: timedelta) -> int:
    """A positive duration in whole minutes."""
    if duration <= timedelta(0) or duration % _MINUTE:
        raise ValueError(
            f"a meetup's duration is a positive number of whole minutes, not {duration}"
        )
    return duration // _MINUTE


def offsets_to_text(minutes: Iterable[int]) -> str:
    """Reminder offsets (minutes before, 0 or more) as stored: unique, largest first."""
    unique = set()
    for value in minutes:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"a reminder offset is a whole number of minutes ≥ 0, not {value!r}")
        unique.add(value)
    return ",".join(str(value) for value in sorted(unique, reverse=True))


def offsets_from_text(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split(",") if part.strip())


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
    last_seen_at: datetime | None = None  # when they last used the bot (to the day)

    @classmethod
    def _from_row(cls, row: Row) -> Member:
        return cls(
            user_id=int(row["user_id"]),
            language=row["language"],
            started_at=_optional_time(row["started_at"]),
            reachable=bool(row["reachable"]),
            app_language=row["app_language"],
            last_seen_at=_optional_time(row["last_seen_at"]),
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
    # Group reminders of meetups: minutes before the start, largest first; () = none.
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    anon_approval: bool = True  # anonymous posts wait for a facilitator's approval
    crisis_words: tuple[str, ...] = ()  # words that bring the author the help lines; () = off

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
            reminder_offsets=offsets_from_text(row["reminder_offsets"]),
            anon_approval=bool(row["anon_approval"]),
            crisis_words=crisis_words_from_text(row["crisis_words"]),
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


@dataclass(frozen=True, slots=True)
class Meetup:
    """A meetup of a group, or a series of them; no attendees are kept here.

    ``start_local`` is the naive wall time of the first occurrence in the IANA zone ``zone``.
    A series (``frequency`` not None) repeats as ``weekday`` and ``week_of_month`` say, in
    the caller's terms. A cancelled meetup is cancelled as a whole series.
    """

    meetup_id: str  # URL-safe, 12 characters: fits in a button's callback data
    chat_id: int
    title: str
    place: str | None
    online: bool
    online_link: str | None
    notes: str | None
    start_local: datetime  # naive
    zone: str
    duration: timedelta  # whole minutes
    frequency: Frequency | None
    weekday: int | None
    week_of_month: int | None
    created_at: datetime
    cancelled_at: datetime | None

    @classmethod
    def _from_row(cls, row: Row) -> Meetup:
        frequency = row["frequency"]
        if frequency is not None and not is_frequency(frequency):
            raise ValueError(f"unknown meetup frequency in the database: {frequency!r}")
        return cls(
            meetup_id=row["meetup_id"],
            chat_id=int(row["chat_id"]),
            title=row["title"],
            place=row["place"],
            online=bool(row["online"]),
            online_link=row["online_link"],
            notes=row["notes"],
            start_local=from_local_text(row["start_local"]),
            zone=row["zone"],
            duration=timedelta(minutes=int(row["duration_minutes"])),
            frequency=frequency,
            weekday=_optional_int(row["weekday"]),
            week_of_month=_optional_int(row["week_of_month"]),
            created_at=from_timestamp(row["created_at"]),
            cancelled_at=_optional_time(row["cancelled_at"]),
        )


@dataclass(frozen=True, slots=True)
class StoredMeetupDraft:
    """A meetup preview waiting for Confirm; ``payload`` is the caller's JSON."""

    draft_id: str  # URL-safe, 12 characters: fits in a button's callback data
    chat_id: int
    payload: str
    created_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> StoredMeetupDraft:
        return cls(
            draft_id=row["draft_id"],
            chat_id=int(row["chat_id"]),
            payload=row["payload"],
            created_at=from_timestamp(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class Rsvp:
    """A member's answer for one occurrence (``starts_at``, UTC) of a meetup."""

    meetup_id: str
    starts_at: datetime
    user_id: int
    answer: RsvpAnswer
    remind: bool  # send them a private reminder of this occurrence
    answered_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> Rsvp:
        answer = row["answer"]
        if not is_rsvp_answer(answer):
            raise ValueError(f"unknown RSVP answer in the database: {answer!r}")
        return cls(
            meetup_id=row["meetup_id"],
            starts_at=from_timestamp(row["starts_at"]),
            user_id=int(row["user_id"]),
            answer=answer,
            remind=bool(row["remind"]),
            answered_at=from_timestamp(row["answered_at"]),
        )


@dataclass(frozen=True, slots=True)
class RsvpCounts:
    """How many answered yes, maybe and no for one occurrence."""

    yes: int = 0
    maybe: int = 0
    no: int = 0


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder of one occurrence, due at ``due_at``: in the group, or to one member.

    A sender claims it until ``claimed_until``, then marks it sent or skipped.
    """

    reminder_id: str
    meetup_id: str
    starts_at: datetime
    audience: Audience
    user_id: int | None  # None for a group reminder
    due_at: datetime
    claimed_until: datetime | None
    sent_at: datetime | None
    skipped_at: datetime | None

    @classmethod
    def _from_row(cls, row: Row) -> Reminder:
        audience = row["audience"]
        if not is_audience(audience):
            raise ValueError(f"unknown reminder audience in the database: {audience!r}")
        return cls(
            reminder_id=row["reminder_id"],
            meetup_id=row["meetup_id"],
            starts_at=from_timestamp(row["starts_at"]),
            audience=audience,
            user_id=None if audience == "group" else int(row["user_id"]),
            due_at=from_timestamp(row["due_at"]),
            claimed_until=_optional_time(row["claimed_until"]),
            sent_at=_optional_time(row["sent_at"]),
            skipped_at=_optional_time(row["skipped_at"]),
        )


def crisis_words_to_text(words: Iterable[str]) -> str:
    """Crisis words as stored: lower case, unique, comma-separated, in the order given."""
    seen: list[str] = []
    for word in words:
        cleaned = " ".join(word.split()).lower().replace(",", " ").strip()
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return ",".join(seen)


def crisis_words_from_text(text: str) -> tuple[str, ...]:
    return tuple(word for word in text.split(",") if word)
