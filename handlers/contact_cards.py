"""How contact entries look in Telegram: tappable numbers, addresses, and messages that fit.

Entities are given explicitly (no parse mode), with offsets and lengths in UTF-16 code units
as Telegram counts them, so that an emoji before a number does not shift the tap target.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from telegram import CallbackQuery, InlineKeyboardMarkup, MessageEntity
from telegram.error import BadRequest

from bot.i18n import Translator
from bot.messaging import telegram_length
from storage.contacts import Contact

log = logging.getLogger(__name__)

# Telegram's limit is 4096 UTF-16 code units; a margin keeps room for Telegram's own trimming.
MESSAGE_LIMIT = 4000
SEPARATOR = "\n\n"


@dataclass
class Block:
    """Text with its entities, built piece by piece."""

    text: str = ""
    entities: list[MessageEntity] = field(default_factory=list)

    def add(self, text: str, kind: str | None = None) -> Block:
        if kind is not None and text:
            self.entities.append(
                MessageEntity(kind, telegram_length(self.text), telegram_length(text))
            )
        self.text += text
        return self

    def append(self, other: Block, separator: str = SEPARATOR) -> Block:
        if self.text and other.text:
            self.text += separator
        shift = telegram_length(self.text)
        self.entities += [
            MessageEntity(e.type, e.offset + shift, e.length) for e in other.entities
        ]
        self.text += other.text
        return self

    def mark(self, part: str, kind: str) -> Block:
        """Give the last occurrence of ``part`` (already in the text) the entity ``kind``."""
        at = self.text.rfind(part)
        if at >= 0 and part:
            self.entities.append(
                MessageEntity(kind, telegram_length(self.text[:at]), telegram_length(part))
            )
        return self

    @property
    def length(self) -> int:
        return telegram_length(self.text)


def card(t: Translator, contact: Contact) -> Block:
    """One entry as members see it, in the translator's language (Finnish where it lacks)."""
    words = contact.text_in(t.language)
    block = Block().add(words.title, MessageEntity.BOLD)
    if contact.phone:
        block.add("\n📞 ").add(contact.phone, MessageEntity.PHONE_NUMBER)
    if contact.email:
        block.add("\n✉️ ").add(contact.email, MessageEntity.EMAIL)
    if contact.web:
        block.add("\n🌐 ").add(contact.web, MessageEntity.URL)
    if words.hours:
        block.add(f"\n🕒 {words.hours}")
    if words.notes:
        block.add(f"\n{words.notes}")
    return block


def heading(text: str, first: Block | None = None) -> Block:
    """A bold heading; with ``first``, on the line above it, so they stay in one message."""
    block = Block().add(text, MessageEntity.BOLD)
    return block.append(first, "\n") if first is not None else block


def pages(blocks: Iterable[Block], limit: int = MESSAGE_LIMIT) -> list[Block]:
    """Blocks packed into as few messages as fit, in order; a block is never split."""
    packed: list[Block] = []
    for block in blocks:
        if packed and packed[-1].length + telegram_length(SEPARATOR) + block.length <= limit:
            packed[-1].append(block)
        else:
            packed.append(Block().append(block))
    return packed


def place_name(t: Translator, region: str, municipality: str | None) -> str:
    if municipality is None:
        return t.gettext("{region}, the whole region", region=region)
    return t.gettext("{municipality}, {region}", municipality=municipality, region=region)


@dataclass(frozen=True)
class DirectoryView:
    """What a member's directory shows: national entries, then their region's."""

    national: Sequence[Contact]
    region: str | None
    municipality: str | None
    regional: Sequence[Contact]  # every entry of the region


def directory_blocks(t: Translator, view: DirectoryView) -> list[Block]:
    """Headings and cards in the order members read them; the last block names the place."""
    intro = heading(t.gettext("Help and contacts 💛")).add(
        "\n"
        + t.gettext(
            "Tap a number to call. I do not keep any record of which contacts you look at."
        )
    )
    blocks = [intro, *_section(t, "🇫🇮 " + t.gettext("For everyone in Finland"), view.national)]
    if view.region is not None:
        blocks += _regional_blocks(t, view)
        place = place_name(t, view.region, view.municipality)
        blocks.append(Block().add(t.gettext("Your place: {place}", place=place)))
    return blocks


def _regional_blocks(t: Translator, view: DirectoryView) -> list[Block]:
    assert view.region is not None
    wide = [c for c in view.regional if c.municipality is None]
    local = [
        c
        for c in view.regional
        if c.municipality is not None
        and (view.municipality is None or c.municipality == view.municipality)
    ]
    if not wide and not local:
        return [
            heading(f"📍 {view.region}").add(
                "\n"
                + t.gettext(
                    "No contacts have been added for this region yet. "
                    "The facilitators can add them."
                )
            )
        ]
    blocks = _section(t, f"📍 {view.region}", wide)
    for municipality in dict.fromkeys(c.municipality for c in local):
        same = [c for c in local if c.municipality == municipality]
        blocks += _section(t, f"📍 {municipality}", same)
    return blocks


def _section(t: Translator, title: str, contacts: Sequence[Contact]) -> list[Block]:
    cards = [card(t, c) for c in contacts]
    return [heading(title, cards[0]), *cards[1:]] if cards else []


def facilitator_line(t: Translator, contact: Contact) -> Block:
    """One line of /contact list: code (tap to copy), place, title, phone, checked."""
    place = contact.municipality or t.gettext("whole region")
    parts = [place, contact.title]
    if contact.phone:
        parts.append(contact.phone)
    if contact.verified_on:
        parts.append(t.gettext("checked {day}", day=contact.verified_on))
    code = contact.contact_id or "-"
    return Block().add(code, MessageEntity.CODE).add(" · " + " · ".join(parts))


async def edit_quietly(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the pressed message; a second press of a stale button finds it changed already."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        log.info("contact_message_not_edited reason=%s", type(exc).__name__)
