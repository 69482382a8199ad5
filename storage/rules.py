"""A group's rules: published versions with their texts, and drafts waiting for confirmation.

Version 0 is the default rules and has no rows. Each publish makes the next version, which
starts as a copy of the previous one's texts.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from storage.database import Connection, Database, Engine
from storage.models import EVERY_LANGUAGE, RULES_LANGUAGES, Rules, RulesDraft, to_timestamp

_DRAFT_COLUMNS = "draft_id, chat_id, language, body, created_at"
DRAFT_ID_BYTES = 9  # 12 URL-safe characters: fits in a button's callback data

# pg_advisory_xact_lock(namespace, key) while publishing: two 32-bit keys, a key space apart
# from the migrations' single 64-bit key. Groups whose ids share a key just wait for each other.
PUBLISH_LOCK_NAMESPACE = int.from_bytes(b"rule", "big", signed=True)

# The texts of one version; a version without texts still gives one row (language NULL).
_TEXTS = """
    SELECT v.version, t.language, t.body
    FROM rules_versions AS v
    LEFT JOIN rules_texts AS t ON t.chat_id = v.chat_id AND t.version = v.version
    WHERE v.chat_id = $1 AND v.version = {version}
"""
_CURRENT = _TEXTS.format(version="(SELECT MAX(version) FROM rules_versions WHERE chat_id = $1)")
_VERSION = _TEXTS.format(version="$2")


def _check_language(language: str) -> None:
    if language not in RULES_LANGUAGES:
        raise ValueError(
            f"rules language must be one of {', '.join(RULES_LANGUAGES)}, not {language!r}"
        )


class RulesRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self, chat_id: int) -> Rules:
        """The latest published rules; version 0 with no texts (the defaults) if none."""
        rows = await self._db.fetch(_CURRENT, chat_id)
        if not rows:
            return Rules._from_rows(chat_id, 0, ())
        return Rules._from_rows(chat_id, int(rows[0]["version"]), rows)

    async def get(self, chat_id: int, version: int) -> Rules | None:
        """One published version; version 0 is the defaults. None if there is no such version."""
        if version == 0:
            return Rules._from_rows(chat_id, 0, ())
        rows = await self._db.fetch(_VERSION, chat_id, version)
        return Rules._from_rows(chat_id, version, rows) if rows else None

    async def publish(self, chat_id: int, language: str, body: str, at: datetime) -> Rules:
        """Publish ``body`` in ``language`` as the next version, and return that version.

        The other languages' texts are carried over from the previous version. Publishing
        for ``*`` (every language) replaces all texts; a ``*`` text stays as the fallback
        when one language is published. Concurrent publishes get consecutive versions.
        """
        _check_language(language)
        async with self._db.transaction("publish rules") as conn:
            await _lock_publishing(conn, self._db.engine, chat_id)
            previous = int(
                await conn.fetchval(
                    "SELECT COALESCE(MAX(version), 0) FROM rules_versions WHERE chat_id = $1",
                    chat_id,
                )
            )
            version = previous + 1
            await conn.execute(
                "INSERT INTO rules_versions (chat_id, version, created_at) VALUES ($1, $2, $3)",
                chat_id,
                version,
                to_timestamp(at),
            )
            if language != EVERY_LANGUAGE:
                await conn.execute(
                    """
                    INSERT INTO rules_texts (chat_id, version, language, body)
                    SELECT chat_id, CAST($3 AS INTEGER), language, body
                    FROM rules_texts
                    WHERE chat_id = $1 AND version = $2 AND language <> $4
                    """,
                    chat_id,
                    previous,
                    version,
                    language,
                )
            await conn.execute(
                """
                INSERT INTO rules_texts (chat_id, version, language, body)
                VALUES ($1, $2, $3, $4)
                """,
                chat_id,
                version,
                language,
                body,
            )
            rows = await conn.fetch(_VERSION, chat_id, version)
        return Rules._from_rows(chat_id, version, rows)

    async def add_draft(self, chat_id: int, language: str, body: str, at: datetime) -> RulesDraft:
        """Keep a rules text until its author confirms it; the id is URL-safe, 12 characters."""
        _check_language(language)
        row = await self._db.fetchrow(
            f"""
            INSERT INTO rules_drafts ({_DRAFT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
            RETURNING {_DRAFT_COLUMNS}
            """,
            secrets.token_urlsafe(DRAFT_ID_BYTES),
            chat_id,
            language,
            body,
            to_timestamp(at),
        )
        assert row is not None  # an INSERT with RETURNING always returns its row
        return RulesDraft._from_row(row)

    async def take_draft(self, draft_id: str, chat_id: int) -> RulesDraft | None:
        """Remove and return the group's draft: only the first confirmation gets it, and a
        button copied into another group takes nothing."""
        row = await self._db.fetchrow(
            f"DELETE FROM rules_drafts WHERE draft_id = $1 AND chat_id = $2 "
            f"RETURNING {_DRAFT_COLUMNS}",
            draft_id,
            chat_id,
        )
        return None if row is None else RulesDraft._from_row(row)

    async def drop_drafts_before(self, cutoff: datetime) -> int:
        """Delete the drafts created before ``cutoff``; return how many there were."""
        rows = await self._db.fetch(
            "DELETE FROM rules_drafts WHERE created_at < $1 RETURNING draft_id",
            to_timestamp(cutoff),
        )
        return len(rows)


async def _lock_publishing(conn: Connection, engine: Engine, chat_id: int) -> None:
    """Serialise publishing for a group (SQLite: BEGIN IMMEDIATE already does)."""
    if engine == "postgres":
        key = (chat_id + 2**31) % 2**32 - 2**31  # the low 32 bits, as a signed integer
        await conn.execute(
            "SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))",
            PUBLISH_LOCK_NAMESPACE,
            key,
        )
