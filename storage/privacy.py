"""A member's data: export everything stored about them, and erase it (GDPR access, erasure).

Being a member of a group reveals a child-protection background, so every column of the
schema is classified in PERSONAL_COLUMNS; tests/storage/test_privacy.py fails for a column
that is not. The audit log and report bookkeeping name people only by member ref: erasing the
member_refs row leaves those entries with a ref that nobody can link back to the person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from storage.checkins import forget_tokens
from storage.database import Connection, Database, Row
from storage.models import Consent, Member, PendingJoin, from_timestamp, to_timestamp

log = logging.getLogger(__name__)

# How export() and erase() cover a column.
ERASED: Final = "erased"  # removed by erase(), not shown by export()
EXPORTED: Final = "exported"  # shown by export() and removed by erase()
OPAQUE: Final = "opaque"  # a member ref, unlinked from the person when member_refs goes
NOT_PERSONAL: Final = "not-personal"  # about a group or the bot, not about a person
CLASSIFICATIONS: tuple[str, ...] = (ERASED, EXPORTED, OPAQUE, NOT_PERSONAL)

# Every column of every table. A user_id column counts as exported where export() shows the
# rows it selects: those rows are the member's own.
PERSONAL_COLUMNS: dict[str, dict[str, str]] = {
    "schema_version": {
        "version": NOT_PERSONAL,
        "description": NOT_PERSONAL,
        "applied_at": NOT_PERSONAL,
    },
    "members": {
        "user_id": EXPORTED,
        "language": EXPORTED,
        "started_at": EXPORTED,
        "reachable": EXPORTED,
        "app_language": EXPORTED,
        "last_seen_at": EXPORTED,
    },
    "chats": {
        "chat_id": NOT_PERSONAL,
        "kind": NOT_PERSONAL,
        "region": NOT_PERSONAL,
        "language": NOT_PERSONAL,
        "registered_at": NOT_PERSONAL,
        "join_gate": NOT_PERSONAL,
        "hide_service_messages": NOT_PERSONAL,
        "public_warn_notice": NOT_PERSONAL,
        "flood_messages": NOT_PERSONAL,
        "flood_seconds": NOT_PERSONAL,
        "reminder_offsets": NOT_PERSONAL,
        "anon_approval": NOT_PERSONAL,
        "crisis_words": NOT_PERSONAL,
    },
    "unregistered_chats": {
        "chat_id": NOT_PERSONAL,
        "first_seen_at": NOT_PERSONAL,
    },
    "rules_versions": {
        "chat_id": NOT_PERSONAL,
        "version": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
    "rules_texts": {
        "chat_id": NOT_PERSONAL,
        "version": NOT_PERSONAL,
        "language": NOT_PERSONAL,
        "body": NOT_PERSONAL,
    },
    "rules_drafts": {
        "draft_id": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "language": NOT_PERSONAL,
        "body": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
    "consents": {
        "user_id": EXPORTED,
        "chat_id": EXPORTED,
        "rules_version": EXPORTED,
        "agreed_at": EXPORTED,
    },
    "pending_joins": {
        "user_id": EXPORTED,
        "chat_id": EXPORTED,
        "via": EXPORTED,
        "since": EXPORTED,
        "welcome_message_id": ERASED,  # returned by erase(), for deleting the message
    },
    "missing_rights": {
        "chat_id": NOT_PERSONAL,
        "right_name": NOT_PERSONAL,
        "noted_at": NOT_PERSONAL,
    },
    "chat_topics": {
        "chat_id": NOT_PERSONAL,
        "kind": NOT_PERSONAL,
        "thread_id": NOT_PERSONAL,
    },
    "facilitators": {
        "chat_id": EXPORTED,
        "user_id": EXPORTED,
        "refreshed_at": ERASED,
    },
    "member_refs": {
        "ref": ERASED,
        "user_id": ERASED,
    },
    "warnings": {
        "warning_id": ERASED,
        "chat_id": EXPORTED,
        "user_id": EXPORTED,
        "given_at": EXPORTED,
        "expires_at": EXPORTED,
    },
    # Entries stay: what facilitators did in a group. export() shows the time and action of
    # those about the member while their ref still links to them.
    "audit_log": {
        "entry_id": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "at": NOT_PERSONAL,
        "actor_ref": OPAQUE,
        "action": NOT_PERSONAL,
        "target_ref": OPAQUE,
        "duration_seconds": NOT_PERSONAL,
        "reason": NOT_PERSONAL,  # the facilitator's words; stays with the unlinked entry
        "undone_at": NOT_PERSONAL,
    },
    # A reported message and how many reported it: the count is anonymous and stays.
    "reports": {
        "report_id": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "message_id": NOT_PERSONAL,
        "first_at": NOT_PERSONAL,
        "reporters": NOT_PERSONAL,
        "staff_chat_id": NOT_PERSONAL,
        "staff_message_id": NOT_PERSONAL,
    },
    "report_reporters": {
        "report_id": ERASED,
        "reporter_ref": ERASED,
    },
    "report_events": {
        "reporter_ref": ERASED,
        "at": EXPORTED,  # as a count
    },
    "flood_counts": {
        "chat_id": ERASED,
        "user_id": ERASED,
        "window_start": ERASED,
        "messages": ERASED,
    },
    "meetups": {
        "meetup_id": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "title": NOT_PERSONAL,
        "place": NOT_PERSONAL,
        "online": NOT_PERSONAL,
        "online_link": NOT_PERSONAL,
        "notes": NOT_PERSONAL,
        "start_local": NOT_PERSONAL,
        "zone": NOT_PERSONAL,
        "duration_minutes": NOT_PERSONAL,
        "frequency": NOT_PERSONAL,
        "weekday": NOT_PERSONAL,
        "week_of_month": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
        "cancelled_at": NOT_PERSONAL,
    },
    "meetup_drafts": {
        "draft_id": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "payload": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
    "occurrence_cancellations": {
        "meetup_id": NOT_PERSONAL,
        "starts_at": NOT_PERSONAL,
        "cancelled_at": NOT_PERSONAL,
    },
    "rsvps": {
        "meetup_id": EXPORTED,  # as the meetup's title
        "starts_at": EXPORTED,
        "user_id": EXPORTED,
        "answer": EXPORTED,
        "remind": EXPORTED,
        "answered_at": ERASED,
    },
    "reminder_subscriptions": {
        "user_id": EXPORTED,
        "chat_id": EXPORTED,
        "since": ERASED,
    },
    # Group reminders (user_id 0) are not personal; a member's private ones are erased.
    "reminders": {
        "reminder_id": ERASED,
        "meetup_id": EXPORTED,  # as the meetup's title
        "starts_at": ERASED,
        "audience": ERASED,
        "user_id": EXPORTED,
        "due_at": EXPORTED,
        "claimed_until": ERASED,
        "sent_at": ERASED,
        "skipped_at": ERASED,
    },
    # Services' contact details, entered by facilitators: about services, not members.
    "contacts": {
        "contact_id": NOT_PERSONAL,
        "region": NOT_PERSONAL,
        "municipality": NOT_PERSONAL,
        "phone": NOT_PERSONAL,
        "email": NOT_PERSONAL,
        "web": NOT_PERSONAL,
        "source": NOT_PERSONAL,
        "verified_on": NOT_PERSONAL,
        "position": NOT_PERSONAL,
        "updated_at": NOT_PERSONAL,
    },
    "contact_texts": {
        "contact_id": NOT_PERSONAL,
        "language": NOT_PERSONAL,
        "title": NOT_PERSONAL,
        "hours": NOT_PERSONAL,
        "notes": NOT_PERSONAL,
    },
    "member_places": {
        "user_id": EXPORTED,
        "region": EXPORTED,
        "municipality": EXPORTED,
        "chosen_at": EXPORTED,
    },
    "daily_counts": {
        "day": NOT_PERSONAL,
        "metric": NOT_PERSONAL,
        "region": NOT_PERSONAL,
        "count": NOT_PERSONAL,
    },
    "pending_inputs": {
        "user_id": EXPORTED,
        "purpose": EXPORTED,
        "subject": ERASED,
        "created_at": EXPORTED,
    },
    # A question's row stays for the anonymous figures once asker_id and the texts are gone.
    "questions": {
        "question_id": NOT_PERSONAL,
        "region": EXPORTED,
        "number": EXPORTED,
        "asker_id": EXPORTED,
        "show_name": EXPORTED,
        "status": EXPORTED,
        "created_at": NOT_PERSONAL,
        "asked_at": EXPORTED,
        "first_answer_at": NOT_PERSONAL,
        "last_activity_at": NOT_PERSONAL,
        "closed_at": EXPORTED,
        "closed_by": NOT_PERSONAL,
        "staff_chat_id": NOT_PERSONAL,
        "staff_thread_id": NOT_PERSONAL,
    },
    "question_messages": {
        "question_id": NOT_PERSONAL,
        "seq": NOT_PERSONAL,
        "author": EXPORTED,
        "body": EXPORTED,
        "at": EXPORTED,
        "staff_message_id": NOT_PERSONAL,
        "member_message_id": ERASED,
    },
    "question_blocks": {
        "block_id": ERASED,
        "region": EXPORTED,
        "user_id": EXPORTED,
        "question_number": ERASED,
        "blocked_at": EXPORTED,
    },
    # A published post stays in the group (Telegram keeps it); the row forgets its author.
    "anon_posts": {
        "post_id": NOT_PERSONAL,
        "user_id": EXPORTED,
        "chat_id": EXPORTED,
        "thread_id": NOT_PERSONAL,
        "body": EXPORTED,
        "status": EXPORTED,
        "created_at": EXPORTED,
        "decided_at": NOT_PERSONAL,
        "staff_chat_id": NOT_PERSONAL,
        "staff_message_id": NOT_PERSONAL,
        "group_message_id": NOT_PERSONAL,
    },
    "group_topics": {
        "chat_id": NOT_PERSONAL,
        "thread_id": NOT_PERSONAL,
        "title": NOT_PERSONAL,
        "closed": NOT_PERSONAL,
    },
    # /checkins off: exported as the member's choice.
    "checkin_optouts": {
        "user_id": EXPORTED,
        "since": EXPORTED,
    },
    # Held meetups and check-in answers are counts: nobody's id is in them.
    "held_meetups": {
        "meetup_id": NOT_PERSONAL,
        "starts_at": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "region": NOT_PERSONAL,
        "coming": NOT_PERSONAL,
        "maybe": NOT_PERSONAL,
        "checkin_id": NOT_PERSONAL,
        "checkin_secret": NOT_PERSONAL,
        "checkin_due_at": NOT_PERSONAL,
        "checkin_closes_at": NOT_PERSONAL,
        "checkin_sent_at": NOT_PERSONAL,
    },
    # Keyed hashes of a member's id while a check-in round is open; erase() recomputes and
    # deletes them (the round's own close deletes them all anyway).
    "checkin_tokens": {
        "checkin_id": ERASED,
        "token": ERASED,
        "question": ERASED,
    },
    "checkin_answers": {
        "meetup_id": NOT_PERSONAL,
        "starts_at": NOT_PERSONAL,
        "question": NOT_PERSONAL,
        "answer": NOT_PERSONAL,
        "count": NOT_PERSONAL,
    },
    "group_counts": {
        "day": NOT_PERSONAL,
        "chat_id": NOT_PERSONAL,
        "region": NOT_PERSONAL,
        "metric": NOT_PERSONAL,
        "count": NOT_PERSONAL,
    },
}

_PENDING_REMINDER = "sent_at IS NULL AND skipped_at IS NULL"


@dataclass(frozen=True, slots=True)
class WithdrawnQuestion:
    """An open question erased with its asker's data; the staff chat is told."""

    region: str
    number: int
    staff_chat_id: int | None
    staff_thread_id: int | None


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What erase() removed: rows per table, and the welcome messages left in groups."""

    erased_at: datetime
    members: int
    consents: int
    pending_joins: int
    rsvps: int
    reminder_subscriptions: int
    reminders: int
    warnings: int
    flood_counts: int
    facilitators: int
    report_events: int
    report_reporters: int
    member_refs: int
    # (chat_id, message_id) of the welcome messages of the erased pending joins: delete them.
    pending_welcomes: list[tuple[int, int]]
    member_places: int = 0
    pending_inputs: int = 0
    questions: int = 0  # drafts deleted, and sent ones unlinked from the member
    question_blocks: int = 0
    anon_posts: int = 0  # drafts and waiting ones deleted, published ones unlinked
    checkin_optouts: int = 0
    checkin_tokens: int = 0  # in check-in rounds still open
    # Questions that were open: the facilitators are told they were withdrawn.
    withdrawn_questions: list[WithdrawnQuestion] = field(default_factory=list)
    # (staff_chat_id, staff_message_id) of anonymous posts that waited for approval.
    withdrawn_posts: list[tuple[int, int]] = field(default_factory=list)
    # (chat_id, message_id) of the member's published anonymous posts: delete them if possible.
    published_posts: list[tuple[int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Rows erased, in all tables."""
        return (
            self.members
            + self.consents
            + self.pending_joins
            + self.rsvps
            + self.reminder_subscriptions
            + self.reminders
            + self.warnings
            + self.flood_counts
            + self.facilitators
            + self.report_events
            + self.report_reporters
            + self.member_refs
            + self.member_places
            + self.pending_inputs
            + self.questions
            + self.question_blocks
            + self.anon_posts
            + self.checkin_optouts
            + self.checkin_tokens
        )


def _iso(value: int) -> str:
    """A stored timestamp as an ISO-8601 UTC string."""
    return from_timestamp(value).isoformat()


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the member, as JSON-serialisable data; times ISO-8601 UTC.

        Report events are kept for a day (see the moderation handlers), so all of them count.
        Reading does not make a member ref.
        """
        async with self._db.transaction("export a member's data") as conn:
            ref = await _ref_of(conn, user_id)
            member = await conn.fetchrow(
                """
                SELECT user_id, language, started_at, reachable, app_language, last_seen_at
                FROM members WHERE user_id = $1
                """,
                user_id,
            )
            place = await conn.fetchrow(
                "SELECT region, municipality, chosen_at FROM member_places WHERE user_id = $1",
                user_id,
            )
            waiting = await conn.fetchrow(
                "SELECT purpose, created_at FROM pending_inputs WHERE user_id = $1", user_id
            )
            questions = await conn.fetch(
                """
                SELECT question_id, region, number, show_name, status, asked_at, closed_at
                FROM questions WHERE asker_id = $1 ORDER BY created_at, question_id
                """,
                user_id,
            )
            question_messages = await conn.fetch(
                """
                SELECT m.question_id, m.author, m.body, m.at
                FROM question_messages AS m JOIN questions AS q ON q.question_id = m.question_id
                WHERE q.asker_id = $1 ORDER BY m.question_id, m.seq
                """,
                user_id,
            )
            blocks = await conn.fetch(
                """
                SELECT region, blocked_at FROM question_blocks WHERE user_id = $1
                ORDER BY region
                """,
                user_id,
            )
            posts = await conn.fetch(
                """
                SELECT chat_id, body, status, created_at FROM anon_posts WHERE user_id = $1
                ORDER BY created_at, post_id
                """,
                user_id,
            )
            consents = await conn.fetch(
                """
                SELECT user_id, chat_id, rules_version, agreed_at
                FROM consents WHERE user_id = $1 ORDER BY chat_id
                """,
                user_id,
            )
            joins = await conn.fetch(
                """
                SELECT user_id, chat_id, via, since, welcome_message_id
                FROM pending_joins WHERE user_id = $1 ORDER BY chat_id
                """,
                user_id,
            )
            answers = await conn.fetch(
                """
                SELECT m.title, r.starts_at, r.answer, r.remind
                FROM rsvps AS r JOIN meetups AS m ON m.meetup_id = r.meetup_id
                WHERE r.user_id = $1
                ORDER BY r.starts_at, r.meetup_id
                """,
                user_id,
            )
            subscriptions = await conn.fetch(
                "SELECT chat_id FROM reminder_subscriptions WHERE user_id = $1 ORDER BY chat_id",
                user_id,
            )
            reminders = await conn.fetch(
                f"""
                SELECT m.title, r.due_at
                FROM reminders AS r JOIN meetups AS m ON m.meetup_id = r.meetup_id
                WHERE r.audience = 'private' AND r.user_id = $1 AND {_PENDING_REMINDER}
                ORDER BY r.due_at, r.starts_at, r.meetup_id
                """,
                user_id,
            )
            warnings = await conn.fetch(
                """
                SELECT chat_id, given_at, expires_at FROM warnings WHERE user_id = $1
                ORDER BY given_at, chat_id, warning_id
                """,
                user_id,
            )
            checkins_off = await conn.fetchval(
                "SELECT since FROM checkin_optouts WHERE user_id = $1", user_id
            )
            facilitator_of = await conn.fetch(
                "SELECT chat_id FROM facilitators WHERE user_id = $1 ORDER BY chat_id", user_id
            )
            entries: list[Row] = []
            reports = 0
            if ref is not None:
                entries = await conn.fetch(
                    """
                    SELECT at, action FROM audit_log WHERE target_ref = $1
                    ORDER BY at, entry_id
                    """,
                    ref,
                )
                reports = int(
                    await conn.fetchval(
                        "SELECT COUNT(*) FROM report_events WHERE reporter_ref = $1", ref
                    )
                )
        conversation: dict[str, list[dict[str, Any]]] = {}
        for row in question_messages:
            conversation.setdefault(row["question_id"], []).append(
                {"from": row["author"], "text": row["body"], "time": _iso(row["at"])}
            )
        return {
            "member": None if member is None else _member(member),
            "place_for_contacts": None
            if place is None
            else {
                "region": place["region"],
                "municipality": place["municipality"],
                "chosen_at": _iso(place["chosen_at"]),
            },
            "waiting_for_you_to_write": None
            if waiting is None
            else {"what": waiting["purpose"], "since": _iso(waiting["created_at"])},
            "questions": [
                {
                    "region": row["region"],
                    "number": row["number"],
                    "status": row["status"],
                    "name_shown": bool(row["show_name"]),
                    "asked_at": None if row["asked_at"] is None else _iso(row["asked_at"]),
                    "closed_at": None if row["closed_at"] is None else _iso(row["closed_at"]),
                    "messages": conversation.get(row["question_id"], []),
                }
                for row in questions
            ],
            "blocked_from_asking": [
                {"region": row["region"], "since": _iso(row["blocked_at"])} for row in blocks
            ],
            "anonymous_posts": [
                {
                    "group": None if row["chat_id"] is None else int(row["chat_id"]),
                    "status": row["status"],
                    "written_at": _iso(row["created_at"]),
                    "text": row["body"],
                }
                for row in posts
            ],
            "groups_agreed": [_consent(Consent._from_row(row)) for row in consents],
            "joining": [_join(PendingJoin._from_row(row)) for row in joins],
            "meetup_answers": [
                {
                    "meetup": row["title"],
                    "date": _iso(row["starts_at"]),
                    "answer": row["answer"],
                    "reminders": bool(row["remind"]),
                }
                for row in answers
            ],
            "reminder_subscriptions": [int(row["chat_id"]) for row in subscriptions],
            "planned_reminders": [
                {"meetup": row["title"], "due": _iso(row["due_at"])} for row in reminders
            ],
            "warnings": [
                {
                    "group": int(row["chat_id"]),
                    "given_at": _iso(row["given_at"]),
                    "expires_at": _iso(row["expires_at"]),
                }
                for row in warnings
            ],
            "facilitator_of": [int(row["chat_id"]) for row in facilitator_of],
            "moderation_log_entries_about_you": [
                {"time": _iso(row["at"]), "action": row["action"]} for row in entries
            ],
            "reports_you_made_in_the_last_day": reports,
            "checkins_off_since": None if checkins_off is None else _iso(checkins_off),
        }

    async def erase(self, user_id: int, now: datetime) -> ErasureReport:
        """Erase everything stored about the member, in one transaction; ``now`` is when.

        Audit entries and reports stay, but the member's ref is forgotten, so nothing links
        them to the person any more; report counts stay as they are (they are anonymous).
        Erasing again, or someone never stored, erases nothing.
        """
        async with self._db.transaction("erase a member's data") as conn:
            ref = await _ref_of(conn, user_id)
            members = await _delete(conn, "DELETE FROM members WHERE user_id = $1", user_id)
            consents = await _delete(conn, "DELETE FROM consents WHERE user_id = $1", user_id)
            joins = await conn.fetch(
                """
                DELETE FROM pending_joins WHERE user_id = $1
                RETURNING chat_id, welcome_message_id
                """,
                user_id,
            )
            rsvps = await _delete(conn, "DELETE FROM rsvps WHERE user_id = $1", user_id)
            subscriptions = await _delete(
                conn, "DELETE FROM reminder_subscriptions WHERE user_id = $1", user_id
            )
            # Sent ones too: they still say whom the bot reminded of which meetup.
            reminders = await _delete(
                conn, "DELETE FROM reminders WHERE audience = 'private' AND user_id = $1", user_id
            )
            warnings = await _delete(conn, "DELETE FROM warnings WHERE user_id = $1", user_id)
            flood = await _delete(conn, "DELETE FROM flood_counts WHERE user_id = $1", user_id)
            facilitators = await _delete(
                conn, "DELETE FROM facilitators WHERE user_id = $1", user_id
            )
            places = await _delete(conn, "DELETE FROM member_places WHERE user_id = $1", user_id)
            inputs = await _delete(conn, "DELETE FROM pending_inputs WHERE user_id = $1", user_id)
            questions, withdrawn = await _unlink_questions(conn, user_id, now)
            blocks = await _delete(conn, "DELETE FROM question_blocks WHERE user_id = $1", user_id)
            posts, waiting_posts, published = await _unlink_posts(conn, user_id)
            optouts = await _delete(
                conn, "DELETE FROM checkin_optouts WHERE user_id = $1", user_id
            )
            tokens = await forget_tokens(conn, user_id)
            events = reporters = refs = 0
            if ref is not None:
                events = await _delete(
                    conn, "DELETE FROM report_events WHERE reporter_ref = $1", ref
                )
                reporters = await _delete(
                    conn, "DELETE FROM report_reporters WHERE reporter_ref = $1", ref
                )
                # Last: from now on the audit log's entries cannot be linked to the person.
                refs = await _delete(conn, "DELETE FROM member_refs WHERE user_id = $1", user_id)
        welcomes = sorted(
            (int(row["chat_id"]), int(row["welcome_message_id"]))
            for row in joins
            if row["welcome_message_id"] is not None
        )
        report = ErasureReport(
            erased_at=now,
            members=members,
            consents=consents,
            pending_joins=len(joins),
            rsvps=rsvps,
            reminder_subscriptions=subscriptions,
            reminders=reminders,
            warnings=warnings,
            flood_counts=flood,
            facilitators=facilitators,
            report_events=events,
            report_reporters=reporters,
            member_refs=refs,
            pending_welcomes=welcomes,
            member_places=places,
            pending_inputs=inputs,
            questions=questions,
            question_blocks=blocks,
            anon_posts=posts,
            withdrawn_questions=withdrawn,
            withdrawn_posts=waiting_posts,
            published_posts=published,
            checkin_optouts=optouts,
            checkin_tokens=tokens,
        )
        log.info("storage: erased a member's data (%d rows)", report.total)
        return report


async def _unlink_questions(
    conn: Connection, user_id: int, now: datetime
) -> tuple[int, list[WithdrawnQuestion]]:
    """Delete the member's drafts, withdraw open questions, unlink and blank all of them."""
    drafts = await _delete(
        conn, "DELETE FROM questions WHERE asker_id = $1 AND status = 'draft'", user_id
    )
    open_rows = await conn.fetch(
        """
        UPDATE questions SET status = 'closed', closed_by = 'withdrawn', closed_at = $2
        WHERE asker_id = $1 AND status = 'open'
        RETURNING region, number, staff_chat_id, staff_thread_id
        """,
        user_id,
        to_timestamp(now),
    )
    await conn.execute(
        """
        UPDATE question_messages SET body = NULL, member_message_id = NULL
        WHERE question_id IN (SELECT question_id FROM questions WHERE asker_id = $1)
        """,
        user_id,
    )
    unlinked = await _delete(
        conn,
        "UPDATE questions SET asker_id = NULL, show_name = FALSE WHERE asker_id = $1",
        user_id,
    )
    withdrawn = sorted(
        (
            WithdrawnQuestion(
                region=row["region"],
                number=int(row["number"]),
                staff_chat_id=_optional_int(row["staff_chat_id"]),
                staff_thread_id=_optional_int(row["staff_thread_id"]),
            )
            for row in open_rows
        ),
        key=lambda q: (q.region, q.number),
    )
    return drafts + unlinked, withdrawn


async def _unlink_posts(
    conn: Connection, user_id: int
) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
    """Delete unpublished posts; keep published and decided ones without author or text."""
    waiting = await conn.fetch(
        """
        DELETE FROM anon_posts WHERE user_id = $1 AND status IN ('draft', 'pending')
        RETURNING staff_chat_id, staff_message_id
        """,
        user_id,
    )
    kept = await conn.fetch(
        """
        UPDATE anon_posts SET user_id = NULL, body = NULL WHERE user_id = $1
        RETURNING status, chat_id, group_message_id
        """,
        user_id,
    )
    withdrawn = sorted(
        (int(row["staff_chat_id"]), int(row["staff_message_id"]))
        for row in waiting
        if row["staff_chat_id"] is not None and row["staff_message_id"] is not None
    )
    published = sorted(
        (int(row["chat_id"]), int(row["group_message_id"]))
        for row in kept
        if row["status"] == "posted"
        and row["chat_id"] is not None
        and row["group_message_id"] is not None
    )
    return len(waiting) + len(kept), withdrawn, published


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


async def _ref_of(conn: Connection, user_id: int) -> str | None:
    """The member's ref if they have one; unlike RefRepository.ref_for, never makes one."""
    ref = await conn.fetchval("SELECT ref FROM member_refs WHERE user_id = $1", user_id)
    return None if ref is None else str(ref)


async def _delete(conn: Connection, sql: str, *args: Any) -> int:
    """Run a DELETE; return how many rows it removed."""
    rows = await conn.fetch(f"{sql} RETURNING 1 AS erased", *args)
    return len(rows)


def _member(row: Row) -> dict[str, Any]:
    member = Member._from_row(row)
    last_seen = row["last_seen_at"]
    return {
        "language": member.language,
        "app_language": member.app_language,
        "started_at": None if member.started_at is None else member.started_at.isoformat(),
        "reachable": member.reachable,
        "last_used_the_bot": None if last_seen is None else _iso(last_seen),
    }


def _consent(consent: Consent) -> dict[str, Any]:
    return {
        "group": consent.chat_id,
        "rules_version": consent.rules_version,
        "agreed_at": consent.agreed_at.isoformat(),
    }


def _join(join: PendingJoin) -> dict[str, Any]:
    return {"group": join.chat_id, "how": join.via, "since": join.since.isoformat()}
