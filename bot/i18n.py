"""Translations: gettext catalogues under locales/, read with Babel; dates in the member's zone."""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import locales
from bot.settings import LANGUAGES

DOMAIN = "vertaisbot"
LOCALES_DIR = Path(locales.__file__).resolve().parent
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "se": "Davvisámegiella", "en": "English"}


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; translate it where it is shown."""
    return message


def catalogue_path(language: str, base: Path = LOCALES_DIR) -> Path:
    return base / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load_catalogue(language: str, base: Path) -> gettext.GNUTranslations:
    path = catalogue_path(language, base)
    return _compiled_catalogue(path, path.stat().st_mtime_ns, language)


@functools.lru_cache(maxsize=32)
def _compiled_catalogue(path: Path, _mtime_ns: int, language: str) -> gettext.GNUTranslations:
    """Parse and compile a catalogue once per process (and again when the file changes)."""
    with path.open("rb") as file:
        catalog = read_po(file, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def resolve_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """The member's own choice, else Telegram's app language if we speak it, else the default."""
    if stored in LANGUAGES:
        return stored
    if telegram_code:
        primary = telegram_code.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return default


@dataclass(frozen=True)
class Translator:
    """Messages, plurals, dates and times in one language and one time zone."""

    language: str
    catalogue: gettext.NullTranslations
    zone: ZoneInfo

    def gettext(self, message: str, **values: Any) -> str:
        text = self.catalogue.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self.catalogue.ngettext(singular, plural, n).format(n=n, **values)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def datetime(self, when: dt.datetime) -> str:
        """A moment in this language's usual date-and-time form, in the configured zone."""
        return f"{self.date(when)} {self.time(when)}"

    def date(self, when: dt.datetime) -> str:
        return format_date(when.astimezone(self.zone), "long", locale=self.language)

    def time(self, when: dt.datetime) -> str:
        return format_time(when, "short", tzinfo=self.zone, locale=self.language)


class Translations:
    """All four catalogues, read once at start."""

    def __init__(self, catalogues: dict[str, gettext.GNUTranslations], zone: ZoneInfo) -> None:
        self._translators = {
            language: Translator(language, catalogue, zone)
            for language, catalogue in catalogues.items()
        }

    @classmethod
    def load(cls, zone: ZoneInfo, base: Path = LOCALES_DIR) -> Translations:
        return cls({language: _load_catalogue(language, base) for language in LANGUAGES}, zone)

    def __call__(self, language: str) -> Translator:
        return self._translators[language]

    def all(self) -> list[Translator]:
        return list(self._translators.values())
