"""Every message exists in all four languages, with the same placeholders and plural forms."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, catalogue_path
from bot.settings import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
PLURAL_FORMS = {"fi": 2, "sv": 2, "en": 2, "se": 3}
_PLACEHOLDER = re.compile(r"\{(\w*)\}")
Message = str | tuple[str, str]


def source_messages() -> set[Message]:
    found: set[Message] = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def load(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as file:
        return read_po(file, locale=language)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def messages() -> set[Message]:
    found = source_messages()
    assert len(found) > 20, "extraction found too little; is the source tree there?"
    return found


def ids_of(entry: Any) -> list[str]:
    return [str(i) for i in entry.id] if isinstance(entry.id, tuple | list) else [str(entry.id)]


def strings_of(entry: Any) -> list[str]:
    value = entry.string
    if isinstance(value, tuple | list):
        return [str(s or "") for s in value]
    return [value or ""]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str, messages: set[Message]):
    catalogue = load(language)
    missing = []
    for message in messages:
        key = message if isinstance(message, str) else message[0]
        entry = catalogue.get(key)
        if entry is None or entry.fuzzy or not all(s.strip() for s in strings_of(entry)):
            missing.append(key[:60])
    assert not missing, f"{language}: missing or untranslated: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_stale_messages(language: str, messages: set[Message]):
    wanted = {m if isinstance(m, str) else m[0] for m in messages}
    stale = [ids_of(m)[0] for m in load(language) if m.id and ids_of(m)[0] not in wanted]
    assert not stale, f"{language}: messages no longer used in the code: {stale}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language: str):
    wrong = []
    for entry in load(language):
        if not entry.id:
            continue
        source = ids_of(entry)
        expected = set().union(*(placeholders(text) for text in source))
        for text in strings_of(entry):
            found = placeholders(text)
            # A plural form may leave out {n} ("one hour"), but never adds or drops others.
            if found != expected and not (entry.pluralizable and found == expected - {"n"}):
                wrong.append((source[0][:50], sorted(found)))
    assert not wrong, f"{language}: placeholders differ: {wrong}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms(language: str):
    catalogue = load(language)
    assert catalogue.num_plurals == PLURAL_FORMS[language]
    for entry in catalogue:
        if entry.id and isinstance(entry.id, tuple):
            assert isinstance(entry.string, tuple)
            assert len(entry.string) == PLURAL_FORMS[language], entry.id[0][:50]


def test_sami_plural_rule_has_a_dual():
    with catalogue_path("se").open("rb") as file:
        catalogue = read_po(file, locale="se")
    assert catalogue.plural_expr.replace(" ", "") == "(n==1?0:n==2?1:2)"


def test_locales_folder_has_exactly_the_four_languages():
    folders = {p.name for p in LOCALES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(LANGUAGES)
