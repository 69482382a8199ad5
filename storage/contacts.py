"""The contact directory's regional entries and the place each member chose.

Stored: services' contact details as facilitators entered them (about services, not people)
and, per member, the region and municipality they chose for the directory. Which entries a
member looked at is never stored. The national entries ship with the bot (bot/contacts_data).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from storage.database import Connection, Database, Row
from storage.models import from_timestamp, to_timestamp

# Codes facilitators type: no 0/o, 1/l/i that are easy to mix up.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 5
FALLBACK_LANGUAGE = "fi"
_MAX_ATTEMPTS = 8
_SELECT = """
    SELECT c.contact_id, c.region, c.municipality, c.phone, c.email, c.web, c.source,
        c.verified_on, c.position, c.updated_at, t.language, t.title, t.hours, t.notes
    FROM contacts c LEFT JOIN contact_texts t ON t.contact_id = c.contact_id
"""
_UPDATE = """
    UPDATE contacts SET region = $2, municipality = $3, phone = $4, email = $5, web = $6,
        source = $7, verified_on = $8, updated_at = $9
    WHERE contact_id = $1
    RETURNING contact_id
"""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_code(value: str) -> bool:
    """Whether ``value`` (already lowercased) has the form of a contact code."""
    return len(value) == CODE_LENGTH and all(c in CODE_ALPHABET for c in value)


@dataclass(frozen=True, slots=True)
class ContactText:
    """A contact's words in one language."""

    title: str
    hours: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """One entry of the directory.

    ``region`` None: a national entry, shipped with the bot, for everyone in Finland.
    ``municipality`` None: the whole region. ``texts`` maps fi, sv, se, en to the words in
    that language; Finnish is always there and stands in for what a language lacks.
    ``contact_id`` None: not stored (a national entry, or a new one not saved yet).
    """

    region: str | None
    texts: Mapping[str, ContactText]
    municipality: str | None = None
    phone: str | None = None
    email: str | None = None
    web: str | None = None
    source: str | None = None
    verified_on: str | None = None  # YYYY-MM-DD
    contact_id: str | None = None
    position: int = 0
    updated_at: datetime | None = field(default=None, compare=False)

    def text_in(self, language: str) -> ContactText:
        """The words in ``language``; each missing part comes from the Finnish text."""
        base = self.texts.get(FALLBACK_LANGUAGE) or next(iter(self.texts.values()))
        own = self.texts.get(language, base)
        return ContactText(
            own.title,
            base.hours if own.hours is None else own.hours,
            base.notes if own.notes is None else own.notes,
        )

    @property
    def title(self) -> str:
        return self.text_in(FALLBACK_LANGUAGE).title

    def sort_key(self) -> tuple[bool, str, int, str]:
        """Region-wide entries first, then by municipality, in the order they were added."""
        municipality = (self.municipality or "").casefold()
        return (self.municipality is not None, municipality, self.position, self.contact_id or "")


@dataclass(frozen=True, slots=True)
class MemberPlace:
    """Where a member said they live, for the directory; municipality None: the whole region."""

    region: str
    municipality: str | None
    chosen_at: datetime


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: (index in the input, code) of new and of updated entries."""

    added: tuple[tuple[int, str], ...]
    updated: tuple[tuple[int, str], ...]


def _contacts_from_rows(rows: Iterable[Row]) -> list[Contact]:
    columns: dict[str, Row] = {}
    texts: dict[str, dict[str, ContactText]] = {}
    for row in rows:
        code = row["contact_id"]
        columns.setdefault(code, row)
        if row["language"] is not None:
            texts.setdefault(code, {})[row["language"]] = ContactText(
                row["title"], row["hours"], row["notes"]
            )
    # Every stored entry has its Finnish text (see _check); one without texts cannot be shown.
    return [_contact_from_row(row, texts[code]) for code, row in columns.items() if code in texts]


def _contact_from_row(row: Row, texts: Mapping[str, ContactText]) -> Contact:
    return Contact(
        region=row["region"],
        texts=MappingProxyType(dict(sorted(texts.items()))),
        municipality=row["municipality"],
        phone=row["phone"],
        email=row["email"],
        web=row["web"],
        source=row["source"],
        verified_on=row["verified_on"],
        contact_id=row["contact_id"],
        position=int(row["position"]),
        updated_at=from_timestamp(row["updated_at"]),
    )


def _sorted(contacts: Iterable[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda c: ((c.region or "").casefold(), *c.sort_key()))


def _check(contact: Contact) -> str:
    if contact.region is None:
        raise ValueError("national entries are not stored; a stored entry needs a region")
    if FALLBACK_LANGUAGE not in contact.texts or not contact.texts[FALLBACK_LANGUAGE].title:
        raise ValueError("an entry needs a Finnish title")
    return contact.region


async def _write_texts(conn: Connection, code: str, texts: Mapping[str, ContactText]) -> None:
    await conn.execute("DELETE FROM contact_texts WHERE contact_id = $1", code)
    for language, text in sorted(texts.items()):
        await conn.execute(
            """
            INSERT INTO contact_texts (contact_id, language, title, hours, notes)
            VALUES ($1, $2, $3, $4, $5)
            """,
            code,
            language,
            text.title,
            text.hours,
            text.notes,
        )


async def _insert(
    conn: Connection, contact: Contact, code: str | None, at: int, reserved: set[str]
) -> str | None:
    """Insert as a new entry at the end of its region; the code used, None if it was taken."""
    region = _check(contact)
    last = await conn.fetchval("SELECT MAX(position) FROM contacts WHERE region = $1", region)
    for _ in range(1 if code else _MAX_ATTEMPTS):
        candidate = code or new_code()
        if candidate in reserved:
            continue
        row = await conn.fetchrow(
            """
            INSERT INTO contacts (contact_id, region, municipality, phone, email, web, source,
                verified_on, position, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (contact_id) DO NOTHING
            RETURNING contact_id
            """,
            candidate,
            region,
            contact.municipality,
            contact.phone,
            contact.email,
            contact.web,
            contact.source,
            contact.verified_on,
            0 if last is None else int(last) + 1,
            at,
        )
        if row is not None:
            await _write_texts(conn, candidate, contact.texts)
            return candidate
    return None


async def _update(conn: Connection, code: str, contact: Contact, at: int) -> bool:
    row = await conn.fetchrow(
        _UPDATE,
        code,
        _check(contact),
        contact.municipality,
        contact.phone,
        contact.email,
        contact.web,
        contact.source,
        contact.verified_on,
        at,
    )
    if row is None:
        return False
    await _write_texts(conn, code, contact.texts)
    return True


class ContactRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, contact: Contact, at: datetime) -> Contact:
        """Store a new entry under a new code, last in its region; return it as stored."""
        async with self._db.transaction("add contact") as conn:
            code = await _insert(conn, contact, None, to_timestamp(at), set())
            if code is None:
                raise RuntimeError(f"no free contact code in {_MAX_ATTEMPTS} attempts")
            stored = await self._fetch(conn, "WHERE c.contact_id = $1", code)
        return stored[0]

    async def get(self, contact_id: str, region: str | None = None) -> Contact | None:
        """The entry with this code; with ``region``, only if it belongs to that region."""
        found = await self._fetch(self._db, "WHERE c.contact_id = $1", contact_id)
        if not found or (region is not None and found[0].region != region):
            return None
        return found[0]

    async def replace(self, contact: Contact, at: datetime) -> Contact | None:
        """Overwrite the entry ``contact.contact_id`` of ``contact.region`` (texts too).

        None, changing nothing, if there is no such entry in that region: an entry never
        moves to another region this way.
        """
        if contact.contact_id is None:
            raise ValueError("replace needs the code of a stored entry")
        async with self._db.transaction("replace contact") as conn:
            region = await conn.fetchval(
                "SELECT region FROM contacts WHERE contact_id = $1", contact.contact_id
            )
            if region is None or region != contact.region:
                return None
            await _update(conn, contact.contact_id, contact, to_timestamp(at))
            stored = await self._fetch(conn, "WHERE c.contact_id = $1", contact.contact_id)
        return stored[0]

    async def remove(self, contact_id: str, region: str) -> bool:
        """Remove the entry if it belongs to ``region``; whether there was one."""
        row = await self._db.fetchrow(
            "DELETE FROM contacts WHERE contact_id = $1 AND region = $2 RETURNING contact_id",
            contact_id,
            region,
        )
        return row is not None

    async def in_region(self, region: str) -> list[Contact]:
        """The region's entries: region-wide first, then by municipality, oldest first."""
        return await self._fetch(self._db, "WHERE c.region = $1", region)

    async def all(self) -> list[Contact]:
        """Every stored entry, by region, then as in_region orders them."""
        return await self._fetch(self._db, "")

    async def regions(self) -> list[str]:
        """The regions that have entries, alphabetically."""
        rows = await self._db.fetch("SELECT DISTINCT region FROM contacts")
        return sorted((row["region"] for row in rows), key=str.casefold)

    async def import_contacts(self, contacts: Sequence[Contact], at: datetime) -> ImportResult:
        """Store all of them in one transaction: all or nothing.

        An entry with a code updates the stored entry with that code (which may move it to
        another region), or is stored under that code if there is none. An entry without a
        code is new and gets a code that none of the given entries uses.
        """
        stamp = to_timestamp(at)
        reserved = {c.contact_id for c in contacts if c.contact_id is not None}
        added: list[tuple[int, str]] = []
        updated: list[tuple[int, str]] = []
        async with self._db.transaction("import contacts") as conn:
            for index, contact in enumerate(contacts):
                code = contact.contact_id
                if code is not None and await _update(conn, code, contact, stamp):
                    updated.append((index, code))
                    continue
                stored = await _insert(conn, contact, code, stamp, set() if code else reserved)
                if stored is None:
                    raise RuntimeError(f"no free contact code in {_MAX_ATTEMPTS} attempts")
                added.append((index, stored))
        return ImportResult(tuple(added), tuple(updated))

    async def place(self, user_id: int) -> MemberPlace | None:
        row = await self._db.fetchrow(
            "SELECT region, municipality, chosen_at FROM member_places WHERE user_id = $1",
            user_id,
        )
        if row is None:
            return None
        return MemberPlace(row["region"], row["municipality"], from_timestamp(row["chosen_at"]))

    async def set_place(
        self, user_id: int, region: str, municipality: str | None, at: datetime
    ) -> MemberPlace:
        """Remember the member's place (replacing an earlier choice)."""
        await self._db.execute(
            """
            INSERT INTO member_places (user_id, region, municipality, chosen_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id) DO UPDATE SET
                region = excluded.region,
                municipality = excluded.municipality,
                chosen_at = excluded.chosen_at
            """,
            user_id,
            region,
            municipality,
            to_timestamp(at),
        )
        return MemberPlace(region, municipality, at)

    @staticmethod
    async def _fetch(runner: Database | Connection, where: str, *args: object) -> list[Contact]:
        return _sorted(_contacts_from_rows(await runner.fetch(f"{_SELECT} {where}", *args)))
