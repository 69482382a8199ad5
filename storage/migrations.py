"""Numbered schema migrations, each applied in its own transaction.

To change the schema, write ``async def _vN_what(conn, engine)`` and append
``Migration(N, "What it does", _vN_what)`` to ``MIGRATIONS``. Never edit a released
migration. Branch on ``engine`` only where SQLite cannot do an operation. A new column that
can hold personal data must also be covered by data export and erasure.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.database import Connection, Database, Engine
from storage.models import to_timestamp

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key for migrations: the bytes of "vertaisb" as a signed bigint.
MIGRATION_LOCK_KEY = int.from_bytes(b"vertaisb", "big", signed=True)

MigrationFunction = Callable[[Connection, Engine], Awaitable[None]]


class DatabaseTooNew(Exception):
    """The database has a schema version this code does not know."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"The database was created by a newer vertaisbot (schema version {found}); "
            f"this version knows up to {supported}. "
            "Upgrade vertaisbot or point it to another database."
        )
        self.found = found
        self.supported = supported


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: MigrationFunction


async def _v1_initial_tables(conn: Connection, engine: Engine) -> None:
    await conn.execute(
        """
        CREATE TABLE members (
            user_id BIGINT NOT NULL PRIMARY KEY,
            language TEXT NULL,
            started_at BIGINT NULL,
            reachable BOOLEAN NOT NULL DEFAULT FALSE
        )
        """
    )
    await conn.execute(
        """
        CREATE TABLE chats (
            chat_id BIGINT NOT NULL PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('peer_group', 'staff')),
            region TEXT NOT NULL,
            language TEXT NULL,
            registered_at BIGINT NOT NULL
        )
        """
    )
    await conn.execute(
        """
        CREATE TABLE unregistered_chats (
            chat_id BIGINT NOT NULL PRIMARY KEY,
            first_seen_at BIGINT NOT NULL
        )
        """
    )


async def _v2_join_gate_rules_and_consents(conn: Connection, engine: Engine) -> None:
    # The language of the member's Telegram app (one we speak), for messages the bot starts.
    await conn.execute("ALTER TABLE members ADD COLUMN app_language TEXT NULL")
    # New members must agree to the rules first; "X joined/left" messages are deleted.
    await conn.execute("ALTER TABLE chats ADD COLUMN join_gate BOOLEAN NOT NULL DEFAULT TRUE")
    await conn.execute(
        "ALTER TABLE chats ADD COLUMN hide_service_messages BOOLEAN NOT NULL DEFAULT TRUE"
    )
    # Published rules: version 0 is the default rules and has no rows.
    await conn.execute(
        """
        CREATE TABLE rules_versions (
            chat_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (chat_id, version)
        )
        """
    )
    # language: fi, sv, se, en, or '*' for the same text in every language.
    await conn.execute(
        """
        CREATE TABLE rules_texts (
            chat_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            language TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (chat_id, version, language),
            FOREIGN KEY (chat_id, version) REFERENCES rules_versions (chat_id, version)
                ON DELETE CASCADE ON UPDATE CASCADE
        )
        """
    )
    await conn.execute(
        """
        CREATE TABLE rules_drafts (
            draft_id TEXT NOT NULL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            language TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """
    )
    await conn.execute(
        """
        CREATE TABLE consents (
            user_id BIGINT NOT NULL,
            chat_id BIGINT NOT NULL,
            rules_version INTEGER NOT NULL,
            agreed_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, chat_id)
        )
        """
    )
    await conn.execute("CREATE INDEX consents_by_chat ON consents (chat_id)")
    await conn.execute(
        """
        CREATE TABLE pending_joins (
            user_id BIGINT NOT NULL,
            chat_id BIGINT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('request', 'arrival')),
            since BIGINT NOT NULL,
            welcome_message_id BIGINT NULL,
            PRIMARY KEY (user_id, chat_id)
        )
        """
    )
    await conn.execute("CREATE INDEX pending_joins_by_chat ON pending_joins (chat_id)")
    # Bot rights a group lacks, so that facilitators are told only once. The column is not
    # called "name": that column name is reserved for nobody's name (see test_schema.py).
    await conn.execute(
        """
        CREATE TABLE missing_rights (
            chat_id BIGINT NOT NULL,
            right_name TEXT NOT NULL,
            noted_at BIGINT NOT NULL,
            PRIMARY KEY (chat_id, right_name)
        )
        """
    )


async def _v3_moderation(conn: Connection, engine: Engine) -> None:
    # Forum topics the bot posts into, one per kind of post; thread 0: the chat is no forum.
    await conn.execute(
        """
        CREATE TABLE chat_topics (
            chat_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            thread_id BIGINT NOT NULL,
            PRIMARY KEY (chat_id, kind)
        )
        """
    )
    # A group's Telegram administrators (its facilitators), cached to spare the Bot API.
    await conn.execute(
        """
        CREATE TABLE facilitators (
            chat_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            refreshed_at BIGINT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        )
        """
    )
    # Opaque ids for people in the audit log and the report bookkeeping: deleting a row
    # unlinks those entries from the person.
    await conn.execute(
        """
        CREATE TABLE member_refs (
            ref TEXT NOT NULL PRIMARY KEY,
            user_id BIGINT NOT NULL UNIQUE
        )
        """
    )
    await conn.execute(
        """
        CREATE TABLE warnings (
            warning_id TEXT NOT NULL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            given_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )
        """
    )
    await conn.execute("CREATE INDEX warnings_by_member ON warnings (chat_id, user_id)")
    # What facilitators did; people only as member refs, no message text.
    await conn.execute(
        """
        CREATE TABLE audit_log (
            entry_id TEXT NOT NULL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            at BIGINT NOT NULL,
            actor_ref TEXT NOT NULL,
            action TEXT NOT NULL,
            target_ref TEXT NULL,
            duration_seconds BIGINT NULL,
            reason TEXT NULL,
            undone_at BIGINT NULL
        )
        """
    )
    await conn.execute("CREATE INDEX audit_log_by_chat ON audit_log (chat_id, at)")
    # A reported message: which one and how many reported it, never its text.
    await conn.execute(
        """
        CREATE TABLE reports (
            report_id TEXT NOT NULL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            message_id BIGINT NOT NULL,
            first_at BIGINT NOT NULL,
            reporters INTEGER NOT NULL,
            staff_chat_id BIGINT NULL,
            staff_message_id BIGINT NULL,
            UNIQUE (chat_id, message_id)
        )
        """
    )
    await conn.execute(
        """
        CREATE TABLE report_reporters (
            report_id TEXT NOT NULL REFERENCES reports (report_id) ON DELETE CASCADE,
            reporter_ref TEXT NOT NULL,
            PRIMARY KEY (report_id, reporter_ref)
        )
        """
    )
    # When each member reported, for the per-member rate limit; purged after the window.
    await conn.execute(
        """
        CREATE TABLE report_events (
            reporter_ref TEXT NOT NULL,
            at BIGINT NOT NULL
        )
        """
    )
    await conn.execute(
        "CREATE INDEX report_events_by_reporter ON report_events (reporter_ref, at)"
    )
    await conn.execute(
        """
        CREATE TABLE flood_counts (
            chat_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            window_start BIGINT NOT NULL,
            messages INTEGER NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        )
        """
    )
    # Tell the group when someone is warned; flood protection (NULL messages = off).
    await conn.execute(
        "ALTER TABLE chats ADD COLUMN public_warn_notice BOOLEAN NOT NULL DEFAULT TRUE"
    )
    await conn.execute("ALTER TABLE chats ADD COLUMN flood_messages INTEGER NULL")
    await conn.execute("ALTER TABLE chats ADD COLUMN flood_seconds INTEGER NOT NULL DEFAULT 10")


async def _v4_meetups(conn: Connection, engine: Engine) -> None:
    # Group reminders: minutes before a meetup, comma-separated, largest first; '' = none.
    await conn.execute(
        "ALTER TABLE chats ADD COLUMN reminder_offsets TEXT NOT NULL DEFAULT '1440,120'"
    )
    # start_local: the naive local wall time 'YYYY-MM-DDTHH:MM' of the first occurrence, in
    # the IANA time zone ``zone``; a series repeats by frequency, weekday and week_of_month.
    await conn.execute(
        """
        CREATE TABLE meetups (
            meetup_id TEXT NOT NULL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            title TEXT NOT NULL,
            place TEXT NULL,
            online BOOLEAN NOT NULL DEFAULT FALSE,
            online_link TEXT NULL,
            notes TEXT NULL,
            start_local TEXT NOT NULL,
            zone TEXT NOT NULL,
            duration_minutes INTEGER NOT NULL,
            frequency TEXT NULL CHECK (frequency IN ('weekly', 'biweekly', 'monthly')),
            weekday INTEGER NULL,
            week_of_month INTEGER NULL,
            created_at BIGINT NOT NULL,
            cancelled_at BIGINT NULL
        )
        """
    )
    await conn.execute("CREATE INDEX meetups_by_chat ON meetups (chat_id)")
    # A meetup preview waiting for Confirm: the caller's JSON.
    await conn.execute(
        """
        CREATE TABLE meetup_drafts (
            draft_id TEXT NOT NULL PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            payload TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """
    )
    # One occurrence of a series called off; starts_at is its start in UTC.
    await conn.execute(
        """
        CREATE TABLE occurrence_cancellations (
            meetup_id TEXT NOT NULL REFERENCES meetups (meetup_id) ON DELETE CASCADE,
            starts_at BIGINT NOT NULL,
            cancelled_at BIGINT NOT NULL,
            PRIMARY KEY (meetup_id, starts_at)
        )
        """
    )
    # Sign-ups, per occurrence: who, the answer, and whether they want a private reminder.
    await conn.execute(
        """
        CREATE TABLE rsvps (
            meetup_id TEXT NOT NULL REFERENCES meetups (meetup_id) ON DELETE CASCADE,
            starts_at BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            answer TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no')),
            remind BOOLEAN NOT NULL DEFAULT FALSE,
            answered_at BIGINT NOT NULL,
            PRIMARY KEY (meetup_id, starts_at, user_id)
        )
        """
    )
    await conn.execute("CREATE INDEX rsvps_by_member ON rsvps (user_id)")
    # "/reminders on": private reminders of every meetup of a group.
    await conn.execute(
        """
        CREATE TABLE reminder_subscriptions (
            user_id BIGINT NOT NULL,
            chat_id BIGINT NOT NULL,
            since BIGINT NOT NULL,
            PRIMARY KEY (user_id, chat_id)
        )
        """
    )
    await conn.execute(
        "CREATE INDEX reminder_subscriptions_by_chat ON reminder_subscriptions (chat_id)"
    )
    # The delivery queue. user_id 0: a group reminder. A sender claims a reminder for a
    # while (claimed_until), then marks it sent or skipped.
    await conn.execute(
        """
        CREATE TABLE reminders (
            reminder_id TEXT NOT NULL PRIMARY KEY,
            meetup_id TEXT NOT NULL REFERENCES meetups (meetup_id) ON DELETE CASCADE,
            starts_at BIGINT NOT NULL,
            audience TEXT NOT NULL CHECK (audience IN ('group', 'private')),
            user_id BIGINT NOT NULL DEFAULT 0,
            due_at BIGINT NOT NULL,
            claimed_until BIGINT NULL,
            sent_at BIGINT NULL,
            skipped_at BIGINT NULL,
            UNIQUE (meetup_id, starts_at, audience, user_id, due_at)
        )
        """
    )
    await conn.execute("CREATE INDEX reminders_by_due_at ON reminders (due_at)")


async def _v5_asking_without_being_seen(conn: Connection, engine: Engine) -> None:
    # When the member last used the bot, for erasing members who have gone quiet.
    await conn.execute("ALTER TABLE members ADD COLUMN last_seen_at BIGINT NULL")
    # Anonymous posts wait for a facilitator unless the group turns that off; crisis words
    # (comma-separated, '' = off) make the bot send the author the help lines privately.
    await conn.execute("ALTER TABLE chats ADD COLUMN anon_approval BOOLEAN NOT NULL DEFAULT TRUE")
    await conn.execute("ALTER TABLE chats ADD COLUMN crisis_words TEXT NOT NULL DEFAULT ''")
    # Regional entries of the contact directory; the national ones ship in a data file.
    # municipality NULL: the whole region. verified_on: 'YYYY-MM-DD'.
    await conn.execute(
        """
        CREATE TABLE contacts (
            contact_id TEXT NOT NULL PRIMARY KEY,
            region TEXT NOT NULL,
            municipality TEXT NULL,
            phone TEXT NULL,
            email TEXT NULL,
            web TEXT NULL,
            source TEXT NULL,
            verified_on TEXT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            updated_at BIGINT NOT NULL
        )
        """
    )
    await conn.execute("CREATE INDEX contacts_by_region ON contacts (region, municipality)")
    # A contact's words per language; Finnish is the fallback and must exist.
    await conn.execute(
        """
        CREATE TABLE contact_texts (
            contact_id TEXT NOT NULL REFERENCES contacts (contact_id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            title TEXT NOT NULL,
            hours TEXT NULL,
            notes TEXT NULL,
            PRIMARY KEY (contact_id, language)
        )
        """
    )
    # The region and municipality a member chose for the directory.
    await conn.execute(
        """
        CREATE TABLE member_places (
            user_id BIGINT NOT NULL PRIMARY KEY,
            region TEXT NOT NULL,
            municipality TEXT NULL,
            chosen_at BIGINT NOT NULL
        )
        """
    )
    # Anonymous counts per day (YYYY-MM-DD, local), what was counted and region; no ids.
    await conn.execute(
        """
        CREATE TABLE daily_counts (
            day TEXT NOT NULL,
            metric TEXT NOT NULL,
            region TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (day, metric, region)
        )
        """
    )
    # What the bot waits for a member to write next in private: a question, a reply to
    # one (subject: the question), an anonymous post.
    await conn.execute(
        """
        CREATE TABLE pending_inputs (
            user_id BIGINT NOT NULL PRIMARY KEY,
            purpose TEXT NOT NULL,
            subject TEXT NULL,
            created_at BIGINT NOT NULL
        )
        """
    )
    # Questions to the facilitators. asker_id is the only link to the member: NULL once
    # the retention period is over or the member erased their data. number: "#17" in the
    # region, given when the question is sent (a draft has none).
    await conn.execute(
        """
        CREATE TABLE questions (
            question_id TEXT NOT NULL PRIMARY KEY,
            region TEXT NOT NULL,
            number INTEGER NULL,
            asker_id BIGINT NULL,
            show_name BOOLEAN NOT NULL DEFAULT FALSE,
            status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
            created_at BIGINT NOT NULL,
            asked_at BIGINT NULL,
            first_answer_at BIGINT NULL,
            last_activity_at BIGINT NOT NULL,
            closed_at BIGINT NULL,
            closed_by TEXT NULL
                CHECK (closed_by IN ('member', 'facilitator', 'withdrawn', 'expired')),
            staff_chat_id BIGINT NULL,
            staff_thread_id BIGINT NULL,
            UNIQUE (region, number)
        )
        """
    )
    await conn.execute("CREATE INDEX questions_by_asker ON questions (asker_id)")
    await conn.execute("CREATE INDEX questions_by_status ON questions (status, last_activity_at)")
    # The conversation of a question; body NULL once erased. The message ids of its copies
    # in the staff chat and in the member's private chat route replies.
    await conn.execute(
        """
        CREATE TABLE question_messages (
            question_id TEXT NOT NULL REFERENCES questions (question_id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            author TEXT NOT NULL CHECK (author IN ('member', 'facilitator')),
            body TEXT NULL,
            at BIGINT NOT NULL,
            staff_message_id BIGINT NULL,
            member_message_id BIGINT NULL,
            PRIMARY KEY (question_id, seq)
        )
        """
    )
    await conn.execute(
        "CREATE INDEX question_messages_by_staff_message ON question_messages (staff_message_id)"
    )
    # A member whose questions a region's facilitators stopped, without learning who it is.
    await conn.execute(
        """
        CREATE TABLE question_blocks (
            block_id TEXT NOT NULL PRIMARY KEY,
            region TEXT NOT NULL,
            user_id BIGINT NOT NULL,
            question_number INTEGER NULL,
            blocked_at BIGINT NOT NULL,
            UNIQUE (region, user_id)
        )
        """
    )
    # Anonymous posts to a group. user_id and body NULL once erased.
    await conn.execute(
        """
        CREATE TABLE anon_posts (
            post_id TEXT NOT NULL PRIMARY KEY,
            user_id BIGINT NULL,
            chat_id BIGINT NULL,
            thread_id BIGINT NULL,
            body TEXT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('draft', 'pending', 'posted', 'rejected', 'cancelled')),
            created_at BIGINT NOT NULL,
            decided_at BIGINT NULL,
            staff_chat_id BIGINT NULL,
            staff_message_id BIGINT NULL,
            group_message_id BIGINT NULL
        )
        """
    )
    await conn.execute("CREATE INDEX anon_posts_by_member ON anon_posts (user_id)")
    # Forum topics of peer groups, as seen in their service messages (Telegram cannot list
    # them), so that a member can choose where an anonymous post goes.
    await conn.execute(
        """
        CREATE TABLE group_topics (
            chat_id BIGINT NOT NULL,
            thread_id BIGINT NOT NULL,
            title TEXT NOT NULL,
            closed BOOLEAN NOT NULL DEFAULT FALSE,
            PRIMARY KEY (chat_id, thread_id)
        )
        """
    )


async def _v6_figures_and_checkins(conn: Connection, engine: Engine) -> None:
    # Members who said no to after-meetup check-ins (/checkins off).
    await conn.execute(
        """
        CREATE TABLE checkin_optouts (
            user_id BIGINT NOT NULL PRIMARY KEY,
            since BIGINT NOT NULL
        )
        """
    )
    # Meetup occurrences that took place, kept for the figures after sign-ups are purged:
    # no member ids, only how many said they were coming. No foreign key: the figures stay
    # when a meetup is deleted. The check-in round of the occurrence: checkin_secret keys
    # the one-answer-per-person tokens and is erased (NULL) when the round closes.
    await conn.execute(
        """
        CREATE TABLE held_meetups (
            meetup_id TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            chat_id BIGINT NOT NULL,
            region TEXT NOT NULL,
            coming INTEGER NOT NULL,
            maybe INTEGER NOT NULL,
            checkin_id TEXT NOT NULL UNIQUE,
            checkin_secret TEXT NULL,
            checkin_due_at BIGINT NOT NULL,
            checkin_closes_at BIGINT NOT NULL,
            checkin_sent_at BIGINT NULL,
            PRIMARY KEY (meetup_id, starts_at)
        )
        """
    )
    await conn.execute("CREATE INDEX held_meetups_by_region ON held_meetups (region, starts_at)")
    await conn.execute(
        "CREATE INDEX held_meetups_by_due ON held_meetups (checkin_sent_at, checkin_due_at)"
    )
    # Keyed hashes of who was asked and who answered which question while a round is open:
    # deleted with the secret when it closes. question '' marks an invitation.
    await conn.execute(
        """
        CREATE TABLE checkin_tokens (
            checkin_id TEXT NOT NULL,
            token TEXT NOT NULL,
            question TEXT NOT NULL,
            PRIMARY KEY (checkin_id, token, question)
        )
        """
    )
    # Check-in answers as counts per occurrence, question and answer; never who answered.
    await conn.execute(
        """
        CREATE TABLE checkin_answers (
            meetup_id TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (meetup_id, starts_at, question, answer)
        )
        """
    )
    # Anonymous counts per day (YYYY-MM-DD, local) and group: joined, left, moderation
    # actions by kind, and snapshots such as the number of members.
    await conn.execute(
        """
        CREATE TABLE group_counts (
            day TEXT NOT NULL,
            chat_id BIGINT NOT NULL,
            region TEXT NOT NULL,
            metric TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (day, chat_id, metric)
        )
        """
    )
    await conn.execute("CREATE INDEX group_counts_by_region ON group_counts (region, day)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "Create members, chats and unregistered_chats", _v1_initial_tables),
    Migration(2, "Join gate, rules and consents", _v2_join_gate_rules_and_consents),
    Migration(
        3, "Moderation: facilitators, warnings, audit log, reports, flood limits", _v3_moderation
    ),
    Migration(4, "Meetups, sign-ups and reminders", _v4_meetups),
    Migration(
        5,
        "Contacts, anonymous questions and posts, crisis words, last seen",
        _v5_asking_without_being_seen,
    ),
    Migration(6, "Figures, held meetups and after-meetup check-ins", _v6_figures_and_checkins),
)


def _check_numbering(migrations: Sequence[Migration]) -> int:
    """Versions must run 1, 2, 3, … without gaps; return the last one."""
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration {migration.version} should be numbered {expected}")
    return len(migrations)


LATEST_VERSION = _check_numbering(MIGRATIONS)

_CREATE_VERSION_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER NOT NULL PRIMARY KEY,
        description TEXT NOT NULL,
        applied_at BIGINT NOT NULL
    )
"""


async def current_version(db: Database) -> int:
    """The schema version of the database; 0 for an empty database."""
    async with db.transaction("read schema version") as conn:
        if not await _version_table_exists(conn, db.engine):
            return 0
        return await _read_version(conn)


async def migrate(
    db: Database, now: datetime, *, migrations: Sequence[Migration] = MIGRATIONS
) -> list[int]:
    """Apply the pending migrations in order; return the versions this call applied.

    Raises DatabaseTooNew, changing nothing, if the database is newer than this code.
    """
    supported = _check_numbering(migrations)
    async with db.transaction("prepare migrations") as conn:
        await _lock(conn, db.engine)
        await conn.execute(_CREATE_VERSION_TABLE)
        found = await _read_version(conn)
    _refuse_newer(found, supported)
    applied: list[int] = []
    for migration in migrations[found:]:
        if await _apply(db, migration, now, supported):
            applied.append(migration.version)
    return applied


async def _apply(db: Database, migration: Migration, now: datetime, supported: int) -> bool:
    name = f"migration {migration.version}: {migration.description}"
    async with db.transaction(name) as conn:
        await _lock(conn, db.engine)
        found = await _read_version(conn)  # another instance may have got here first
        _refuse_newer(found, supported)
        if found >= migration.version:
            return False
        await migration.apply(conn, db.engine)
        await conn.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)",
            migration.version,
            migration.description,
            to_timestamp(now),
        )
    log.info("storage: applied migration %d (%s)", migration.version, migration.description)
    return True


def _refuse_newer(found: int, supported: int) -> None:
    if found > supported:
        raise DatabaseTooNew(found, supported)


async def _lock(conn: Connection, engine: Engine) -> None:
    """Serialise migrations between instances (SQLite: BEGIN IMMEDIATE already does)."""
    if engine == "postgres":
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)


async def _read_version(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def _version_table_exists(conn: Connection, engine: Engine) -> bool:
    if engine == "postgres":
        sql = "SELECT to_regclass('schema_version') IS NOT NULL"
    else:
        sql = (
            "SELECT COUNT(*) > 0 FROM sqlite_master"
            " WHERE type = 'table' AND name = 'schema_version'"
        )
    return bool(await conn.fetchval(sql))
