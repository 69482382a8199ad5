"""Reading /contact add and /contact edit as a facilitator writes them; no Telegram types.

    /contact add [REGION |] PLACE | TITLE | PHONE | E-MAIL OR WEB | HOURS | NOTES
    /contact edit CODE WHAT NEW TEXT      (WHAT: title, phone, …; title:sv for a translation)

"-" or nothing means "none"; PLACE "-" is the whole region. The values are then checked by
bot.contacts_data.validate, like the values of an imported file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from bot.i18n import Translator
from bot.settings import LANGUAGES

EMPTY = ("", "-", "–")
# What a facilitator may call a field, in English, Finnish and Swedish.
FIELD_WORDS = {
    "title": "title",
    "name": "title",
    "nimi": "title",
    "otsikko": "title",
    "titel": "title",
    "namn": "title",
    "phone": "phone",
    "puhelin": "phone",
    "telefon": "phone",
    "email": "email",
    "e-mail": "email",
    "sähköposti": "email",
    "sposti": "email",
    "e-post": "email",
    "epost": "email",
    "web": "web",
    "verkko": "web",
    "nettisivu": "web",
    "webb": "web",
    "hours": "hours",
    "aukiolo": "hours",
    "ajat": "hours",
    "tider": "hours",
    "notes": "notes",
    "lisätiedot": "notes",
    "huom": "notes",
    "info": "notes",
    "place": "municipality",
    "municipality": "municipality",
    "kunta": "municipality",
    "kommun": "municipality",
    "source": "source",
    "lähde": "source",
    "källa": "source",
}
TRANSLATED = ("title", "hours", "notes")


class Mistake(Enum):
    ADD_USAGE = "add-usage"
    EDIT_USAGE = "edit-usage"
    NEED_REGION = "need-region"
    UNKNOWN_FIELD = "unknown-field"
    UNKNOWN_LANGUAGE = "unknown-language"
    ADDRESSES = "addresses"


@dataclass(frozen=True)
class ParseError:
    mistake: Mistake
    word: str = ""

    def text(self, t: Translator, regions: list[str]) -> str:
        word = self.word[:40]
        if self.mistake is Mistake.NEED_REGION:
            return t.gettext(
                "Which region? You look after several ({regions}): put the region first.",
                regions=", ".join(regions),
            )
        if self.mistake is Mistake.UNKNOWN_FIELD:
            return t.gettext(
                "I do not know what {word} is. Use title, phone, email, web, hours, notes, "
                "place or source.",
                word=word,
            )
        if self.mistake is Mistake.UNKNOWN_LANGUAGE:
            return t.gettext(
                "I do not know the language {word}. Use fi, sv, se or en, for example title:sv.",
                word=word,
            )
        if self.mistake is Mistake.ADDRESSES:
            return t.gettext("Write at most one e-mail address and one web address.")
        if self.mistake is Mistake.EDIT_USAGE:
            return t.gettext("Write the code, what to change and the new text.")
        return t.gettext("Write at least the place and the title, separated by |.")


@dataclass(frozen=True)
class AddRequest:
    values: dict[str, str]  # fields of bot.contacts_data, unchecked


@dataclass(frozen=True)
class EditRequest:
    code: str
    sets: dict[str, str] = field(default_factory=dict)
    clears: tuple[str, ...] = ()


def _region_of(fields: list[str], regions: list[str]) -> tuple[str | None, list[str]]:
    by_name = {region.casefold(): region for region in regions}
    if len(fields) >= 3 and fields[0].casefold() in by_name:
        return by_name[fields[0].casefold()], fields[1:]
    return (regions[0] if len(regions) == 1 else None), fields


def addresses(text: str) -> dict[str, str] | ParseError:
    """An e-mail address and/or a web address, in either order."""
    words = [w for w in re.split(r"[\s,]+", text) if w and w not in EMPTY]
    emails = [w for w in words if "@" in w]
    webs = [w for w in words if "@" not in w]
    if len(emails) > 1 or len(webs) > 1:
        return ParseError(Mistake.ADDRESSES)
    found = {"email": emails[0]} if emails else {}
    return found | ({"web": webs[0]} if webs else {})


def parse_add(text: str, regions: list[str]) -> AddRequest | ParseError:
    fields = [part.strip() for part in text.split("|")]
    region, fields = _region_of(fields, regions)
    if region is None:
        return ParseError(Mistake.NEED_REGION)
    if len(fields) < 2 or fields[1] in EMPTY:
        return ParseError(Mistake.ADD_USAGE)
    place, title, *rest = fields
    rest += [""] * (3 - len(rest))
    phone, address, hours, notes = rest[0], rest[1], rest[2], " | ".join(rest[3:])
    values = {"region": region, "title_fi": title}
    if place not in EMPTY and place.casefold() != region.casefold():
        values["municipality"] = place
    for name, value in (("phone", phone), ("hours_fi", hours), ("notes_fi", notes)):
        if value not in EMPTY:
            values[name] = value
    found = addresses(address)
    if isinstance(found, ParseError):
        return found
    return AddRequest(values | found)


def field_name(word: str) -> str | ParseError:
    """title → title_fi, title:sv → title_sv, phone → phone, kunta → municipality."""
    base, _, language = word.lower().replace("_", ":").partition(":")
    name = FIELD_WORDS.get(base)
    if name is None:
        return ParseError(Mistake.UNKNOWN_FIELD, word)
    if name not in TRANSLATED:
        return name if not language else ParseError(Mistake.UNKNOWN_FIELD, word)
    if language and language not in LANGUAGES:
        return ParseError(Mistake.UNKNOWN_LANGUAGE, language)
    return f"{name}_{language or 'fi'}"


def parse_edit(text: str) -> EditRequest | ParseError:
    words = text.split(maxsplit=2)
    if len(words) < 3:
        return ParseError(Mistake.EDIT_USAGE)
    code, word, value = words[0].lower(), words[1], words[2].strip()
    name = field_name(word)
    if isinstance(name, ParseError):
        return name
    if value in EMPTY:
        return EditRequest(code, clears=_cleared_with(name))
    return EditRequest(code, sets={name: value})


def _cleared_with(name: str) -> tuple[str, ...]:
    """Emptying a translation's title removes that translation as a whole."""
    part, _, language = name.partition("_")
    if part == "title" and language not in ("", "fi"):
        return tuple(f"{p}_{language}" for p in TRANSLATED)
    return (name,)
