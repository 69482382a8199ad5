"""Contact entries as data: one validator for the shipped national file, imports and the bot.

The file format of `vertaisbot contacts import|export` is FILE_FORMAT below.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from bot.settings import LANGUAGES
from storage.contacts import Contact, ContactText, is_code

log = logging.getLogger(__name__)
FILE_FORMAT = """\
The file's name decides its format.

.toml - one [[contact]] table per entry:

    [[contact]]
    region = "Lappi"
    municipality = "Rovaniemi"
    title_fi = "Jälkihuollon sosiaaliohjaaja, Rovaniemi"
    title_en = "Aftercare social instructor, Rovaniemi"
    phone = "040 123 4567"
    email = "jalkihuolto@example.fi"
    hours_fi = "ma–pe 9–15"
    verified_on = "2026-11-29"

.csv - UTF-8, a header row naming the columns (any order, any subset), one entry per row;
commas, semicolons or tabs between the columns (as spreadsheet programs save them):

    region,municipality,title_fi,phone,email,hours_fi,verified_on
    Lappi,Rovaniemi,"Jälkihuollon sosiaaliohjaaja, Rovaniemi",040 123 4567,...

Fields (text; leave a field out or empty when there is nothing to say):
  id            the entry's code: that entry is updated (or created with this code);
                without it the entry is new and gets a code
  region        required; as the groups are registered with /setup, e.g. Lappi
  municipality  without it the entry is for the whole region
  phone         digits, spaces, +, - and brackets, e.g. 040 123 4567
  email, web    e.g. name@example.fi; https://example.fi/page or example.fi
  title_fi      required (at most 100 characters); hours_fi (100), notes_fi (300)
  title_sv, hours_sv, notes_sv, and the same with _se and _en: translations. A language
                without its own hours or notes shows the Finnish ones; hours or notes
                in a language need a title in that language
  source        where the details come from, e.g. the service's web page
  verified_on   when they were last checked, YYYY-MM-DD

Every row is checked first; problems are listed with their line numbers, and then nothing
is imported. A row is the whole entry: a field it leaves out is emptied. Entries that are
not in the file are kept (members stop seeing one when it is removed with /contact remove).
"""
NATIONAL_FILE = "national_contacts.toml"
TEXT_PARTS = ("title", "hours", "notes")
TEXT_FIELDS = tuple(f"{part}_{language}" for language in LANGUAGES for part in TEXT_PARTS)
PLAIN_FIELDS = ("id", "region", "municipality", "phone", "email", "web", "source", "verified_on")
FIELDS = PLAIN_FIELDS + TEXT_FIELDS
LIMITS = {
    "region": 40,
    "municipality": 40,
    "phone": 25,
    "email": 100,
    "web": 200,
    "source": 200,
    "title": 100,
    "hours": 100,
    "notes": 300,
    "verified_on": 10,
}
_PLACE = re.compile(r"^\w[\w .'-]*$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]+$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*\.[^\s@.]{2,}$")
_WEB = re.compile(
    r"^(https?://)?[^\s/:@?#.]+(\.[^\s/:@?#.]+)*\.[^\s/:@?#.]{2,}(:\d+)?([/?#]\S*)?$"
)
_TOML_TABLE = re.compile(r"^\s*\[\[\s*\"?contact\"?\s*\]\]\s*(#.*)?$")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 3, 15


class Problem(Enum):
    """What is wrong with a value; the English words are for the command line."""

    REQUIRED = "is missing"
    TOO_LONG = "is too long"
    PLACE = "can have letters, numbers, spaces, hyphens and apostrophes"
    PHONE = "can have digits, spaces, +, - and brackets, for example 040 123 4567"
    EMAIL = "is not an e-mail address such as name@example.fi"
    WEB = "is not a web address such as example.fi or https://example.fi/page"
    DATE = "is not a date written YYYY-MM-DD, for example 2026-11-29"
    CODE = "is not a contact code (5 letters and digits, as /contact list shows them)"
    ONE_LINE = "must be on one line, without control characters"
    NO_TITLE = "needs a title in the same language"
    NOT_TEXT = "must be text (in quotes in TOML)"
    UNKNOWN = "is not a field of a contact entry"
    NATIONAL = "is not given for national entries"
    SOURCE = "must be the service's own web address (https://…)"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One value's problem; ``limit`` for TOO_LONG."""

    name: str
    problem: Problem
    limit: int | None = None

    def english(self) -> str:
        if self.problem is Problem.TOO_LONG:
            return f"{self.name} is too long: at most {self.limit} characters"
        return f"{self.name} {self.problem.value}"


def limit_of(name: str) -> int:
    return LIMITS[name.split("_")[0] if name.startswith(TEXT_PARTS) else name]


def _has_control(value: str, *, newlines: bool) -> bool:
    return any(unicodedata.category(c) == "Cc" and not (newlines and c == "\n") for c in value)


def check_value(name: str, value: str) -> FieldError | None:
    """Check one non-empty, stripped value of field ``name`` (see FIELDS)."""
    if name == "id":
        return None if is_code(value) else FieldError(name, Problem.CODE)
    if _has_control(value, newlines=name.startswith("notes")):
        return FieldError(name, Problem.ONE_LINE)
    if len(value) > limit_of(name):
        return FieldError(name, Problem.TOO_LONG, limit_of(name))
    problem = _format_problem(name, value)
    return None if problem is None else FieldError(name, problem)


def _format_problem(name: str, value: str) -> Problem | None:
    if name in ("region", "municipality"):
        return None if _PLACE.match(value) else Problem.PLACE
    if name == "phone":
        digits = sum(c.isdigit() for c in value)
        ok = _PHONE.match(value) and MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS
        return None if ok else Problem.PHONE
    if name == "email":
        return None if _EMAIL.match(value) else Problem.EMAIL
    if name == "web":
        return None if _WEB.match(value) and _scheme_ok(value) else Problem.WEB
    if name == "verified_on":
        return None if _is_date(value) else Problem.DATE
    return None


def _scheme_ok(value: str) -> bool:
    return "://" not in value or value.lower().startswith(("http://", "https://"))


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def clean(value: object) -> str | None:
    """A field's value as stored: stripped text, None when empty."""
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip() if value is not None else ""
    return text or None


def validate(raw: Mapping[str, object], *, national: bool = False) -> Contact | list[FieldError]:
    """One entry from a mapping of FIELDS to values: the Contact, or everything wrong."""
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for name, value in raw.items():
        error = None
        if name not in FIELDS:
            error = FieldError(str(name), Problem.UNKNOWN)
        elif value is not None and not isinstance(value, str | date):
            error = FieldError(name, Problem.NOT_TEXT)
        elif (text := clean(value)) is not None:
            text = text.lower() if name == "id" else text
            error = check_value(name, text)
            values[name] = text
        if error is not None:
            errors.append(error)
    errors += _entry_problems(values, {e.name for e in errors}, national=national)
    if errors:
        return errors
    return _contact(values, national=national)


def _entry_problems(
    values: Mapping[str, str], wrong: set[str], *, national: bool
) -> list[FieldError]:
    """What is wrong with the entry as a whole (the values themselves are fine)."""
    required = ["title_fi"] + (["source", "verified_on"] if national else ["region"])
    errors = [
        FieldError(name, Problem.REQUIRED)
        for name in required
        if name not in values and name not in wrong
    ]
    if national:
        errors += [
            FieldError(name, Problem.NATIONAL)
            for name in ("id", "region", "municipality")
            if name in values
        ]
        source = values.get("source", "https://")
        if not source.startswith("https://"):
            errors.append(FieldError("source", Problem.SOURCE))
    for language in LANGUAGES:
        if f"title_{language}" not in values:
            errors += [
                FieldError(f"{part}_{language}", Problem.NO_TITLE)
                for part in TEXT_PARTS[1:]
                if f"{part}_{language}" in values
            ]
    return errors


def _contact(values: Mapping[str, str], *, national: bool) -> Contact:
    texts = {
        language: ContactText(
            values[f"title_{language}"],
            values.get(f"hours_{language}"),
            values.get(f"notes_{language}"),
        )
        for language in LANGUAGES
        if f"title_{language}" in values
    }
    return Contact(
        region=None if national else values["region"],
        texts=MappingProxyType(texts),
        municipality=values.get("municipality"),
        phone=values.get("phone"),
        email=values.get("email"),
        web=values.get("web"),
        source=values.get("source"),
        verified_on=values.get("verified_on"),
        contact_id=values.get("id"),
    )


def record_of(contact: Contact) -> dict[str, str]:
    """The entry as FIELDS (only those with a value), the inverse of validate()."""
    plain = {
        "id": contact.contact_id,
        "region": contact.region,
        "municipality": contact.municipality,
        "phone": contact.phone,
        "email": contact.email,
        "web": contact.web,
        "source": contact.source,
        "verified_on": contact.verified_on,
    }
    record = {name: value for name, value in plain.items() if value is not None}
    for language, text in contact.texts.items():
        for part in TEXT_PARTS:
            value = getattr(text, part)
            if value is not None:
                record[f"{part}_{language}"] = value
    return {name: record[name] for name in FIELDS if name in record}


# --- files -----------------------------------------------------------------------------------


class ContactFileError(Exception):
    """The file cannot be used; ``problems`` are lines a person can act on."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One entry as read from a file: its values and where they are (line numbers)."""

    line: int
    values: Mapping[str, object]
    lines: Mapping[str, int]  # field -> line, where known
    label: str | None = None  # instead of line numbers, when they are not known

    def where(self, name: str) -> str:
        """Where field ``name`` is, for a person: "line 7"."""
        return self.label or f"line {self.lines.get(name, self.line)}"


def check_file_kind(path: Path) -> str:
    """ ".toml" or ".csv", from the file's name; ContactFileError for anything else."""
    kind = path.suffix.lower()
    if kind not in (".toml", ".csv"):
        raise ContactFileError([f"use a file whose name ends in .toml or .csv, not {path.name}"])
    return kind


def read_rows(path: Path) -> list[SourceRow]:
    """The rows of a .toml or .csv file, unchecked; ContactFileError if it cannot be read."""
    kind = check_file_kind(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        raise ContactFileError([f"{path}: cannot be read ({reason})"]) from exc
    return toml_rows(text) if kind == ".toml" else csv_rows(text)


def toml_rows(text: str) -> list[SourceRow]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContactFileError([f"not valid TOML: {exc}"]) from exc
    problems = [
        f"{_where(text, key)}{key} is not a contact: write each entry as a [[contact]] table"
        for key in document
        if key != "contact"
    ]
    tables = document.get("contact", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(f"{_where(text, 'contact')}write each entry as a [[contact]] table")
    if problems:
        raise ContactFileError(problems)
    starts = _table_lines(text, len(tables))
    rows = []
    for index, table in enumerate(tables):
        if not starts:  # a header inside a multi-line string: count the entries instead
            rows.append(SourceRow(index + 1, table, {}, f"entry {index + 1}"))
            continue
        end = starts[index + 1] if index + 1 < len(starts) else None
        rows.append(SourceRow(starts[index], table, _key_lines(text, starts[index], end)))
    return rows


def _where(text: str, key: str) -> str:
    pattern = re.compile(rf"^\s*(\[+\s*)?\"?{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return f"line {number}: "
    return ""


def _table_lines(text: str, expected: int) -> list[int]:
    """The line of each [[contact]] header; [] if they cannot be told apart reliably."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if _TOML_TABLE.match(line)]
    return found if len(found) == expected else []


def _key_lines(text: str, start: int, end: int | None) -> dict[str, int]:
    lines = text.splitlines()[start : (end - 1) if end else None]
    found: dict[str, int] = {}
    for number, line in enumerate(lines, start + 1):
        match = re.match(r"^\s*\"?([A-Za-z_]+)\"?\s*=", line)
        if match:
            found.setdefault(match.group(1), number)
    return found


def csv_rows(text: str) -> list[SourceRow]:
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader, [])]
    _check_header(header)
    rows = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                raise ContactFileError([f"line {line}: more cells than the header has columns"])
            rows.append(SourceRow(line, dict(zip(header, cells, strict=False)), {}))
        line = reader.line_num + 1
    return rows


def _check_header(header: list[str]) -> None:
    if not any(header):
        raise ContactFileError(["line 1: the header row is missing (region, title_fi, …)"])
    problems = [
        f"line 1: column {name!r} is not a field of a contact entry"
        for name in header
        if name not in FIELDS
    ]
    problems += [
        f"line 1: column {name!r} appears twice"
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    if problems:
        raise ContactFileError([*problems, f"The fields are: {', '.join(FIELDS)}"])


def validate_rows(
    rows: Sequence[SourceRow], *, national: bool = False
) -> tuple[list[tuple[str, Contact]], list[str]]:
    """Validate every row: ((where, entry) pairs, problems as "line N: …", all of them)."""
    contacts: list[tuple[str, Contact]] = []
    problems: list[str] = []
    first_use: dict[str, str] = {}
    for row in rows:
        result = validate(row.values, national=national)
        if isinstance(result, list):
            problems += [f"{row.where(e.name)}: {e.english()}" for e in result]
            continue
        code = result.contact_id
        if code is not None and code in first_use:
            problems.append(f"{row.where('id')}: id {code} is also used on {first_use[code]}")
            continue
        if code is not None:
            first_use[code] = row.where("id")
        contacts.append((row.where(""), result))
    return contacts, problems


def read_entries(path: Path, *, national: bool = False) -> list[tuple[str, Contact]]:
    """Every entry of the file with where it starts; ContactFileError listing every problem."""
    contacts, problems = validate_rows(read_rows(path), national=national)
    if problems:
        raise ContactFileError(problems)
    return contacts


def read_contacts(path: Path, *, national: bool = False) -> list[Contact]:
    return [contact for _, contact in read_entries(path, national=national)]


def export_to(path: Path, contacts: Sequence[Contact]) -> str:
    """Write the file (see write_contacts); what was done, for a person."""
    try:
        write_contacts(path, contacts)
    except OSError as exc:
        raise ContactFileError([f"cannot be written ({exc.strerror})"]) from exc
    return f"{path}: {entries(len(contacts))} exported."


def write_contacts(path: Path, contacts: Sequence[Contact]) -> None:
    """Write a .toml or .csv file that read_contacts reads back as the same entries."""
    kind = check_file_kind(path)
    records = [record_of(c) for c in contacts]
    text = toml_text(records) if kind == ".toml" else csv_text(records)
    path.write_text(text, encoding="utf-8", newline="")


def toml_text(records: Sequence[Mapping[str, str]]) -> str:
    parts = ["# vertaisbot contacts: see `vertaisbot contacts import --help`\n"]
    for record in records:
        parts.append("\n[[contact]]\n")
        parts += [f"{name} = {_toml_string(value)}\n" for name, value in record.items()]
    return "".join(parts)


def _toml_string(value: str) -> str:
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif unicodedata.category(char) == "Cc":
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def csv_text(records: Sequence[Mapping[str, str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


# --- the national entries --------------------------------------------------------------------


def national_file() -> Path:
    return Path(str(resources.files("bot").joinpath(NATIONAL_FILE)))


def load_national(path: Path | None = None) -> tuple[Contact, ...]:
    """The national entries in the shipped order; ContactFileError if the file is broken."""
    contacts = read_contacts(path or national_file(), national=True)
    return tuple(replace(c, position=index) for index, c in enumerate(contacts))


@cache
def national_contacts() -> tuple[Contact, ...]:
    """The shipped national entries; a broken file (a test catches it) leaves them out."""
    try:
        return load_national()
    except ContactFileError as exc:
        log.error("national_contacts_unusable problems=%d", len(exc.problems))
        return ()


def missing_translations(contact: Contact) -> list[str]:
    """Languages without a title of their own (Finnish stands in for them)."""
    return [language for language in LANGUAGES if language not in contact.texts]


# --- the command line's words ----------------------------------------------------------------


def with_known_regions(contacts: Sequence[Contact], known: Sequence[str]) -> list[Contact]:
    """One spelling per region: as the bot knows it (lappi → Lappi), else as first written."""
    spelling = {name.casefold(): name for name in reversed(known)}
    for contact in contacts:
        if contact.region is not None:
            spelling.setdefault(contact.region.casefold(), contact.region)
    return [
        replace(c, region=spelling[c.region.casefold()]) if c.region is not None else c
        for c in contacts
    ]


def entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def import_summary(
    path: Path, starts: Sequence[str], added: Sequence[tuple[int, str]], updated: int
) -> list[str]:
    """What an import did, and the codes of the new entries (by where they start)."""
    lines = [
        f"{path}: {entries(len(added) + updated)} imported ({len(added)} new, {updated} updated)."
    ]
    lines += [f"  {starts[index]}: new entry {code}" for index, code in added]
    return lines


def list_lines(national: Sequence[Contact], contacts: Sequence[Contact]) -> list[str]:
    """The entries as the command line lists them: code, region, place, title, phone, date."""
    lines = [f"National entries (shipped with the bot, not editable): {len(national)}"]
    lines += [f"  {c.title}" + (f" – {c.phone}" if c.phone else "") for c in national]
    lines.append(f"Regional entries: {len(contacts)}")
    for c in contacts:
        parts = [c.contact_id or "-", c.region or "-", c.municipality or "(whole region)"]
        parts += [c.title, c.phone or "", c.verified_on or ""]
        lines.append("  " + " | ".join(parts).rstrip(" |"))
    return lines
