"""The contact directory: /contacts for members, /contact for facilitators.

A member picks their region and municipality once (buttons, remembered, changeable); then
/contacts shows at once the national help lines, their region's and their municipality's
contacts, always privately. Only a daily count per region is kept, never who looked.
Buttons: ct:place, ct:r:REGION, ct:m:REGION:MUNICIPALITY (short hashes of the names, "-"
for the whole region); ct:rm:CODE and ct:keep:CODE belong to handlers.contact_editing.
"""

from __future__ import annotations

import hashlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.contacts_data import national_contacts
from bot.context import BotApplication, BotContext
from bot.i18n import Translator
from bot.messaging import send_private
from handlers import contact_editing
from handlers.contact_cards import (
    Block,
    DirectoryView,
    directory_blocks,
    edit_quietly,
    pages,
    place_name,
)
from handlers.privately import PrivateAnswer, answer_privately
from handlers.start import add_deep_link
from storage import Store
from storage.contacts import MemberPlace

log = logging.getLogger(__name__)
PREFIX = "ct:"
CHANGE_PLACE = "ct:place"
WHOLE_REGION = "-"
METRIC = "contact_views"


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("contacts", on_contacts))
    app.add_handler(CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"))
    add_deep_link(app, "contacts", _deep_contacts)
    contact_editing.register(app)


def name_key(name: str) -> str:
    """A short, stable stand-in for a region or municipality name in callback data."""
    return hashlib.sha256(name.encode()).hexdigest()[:10]


async def member_regions(store: Store) -> list[str]:
    """Regions a member can choose: those of registered groups and those with contacts."""
    names = {chat.region for chat in await store.chats.list()}
    names.update(await store.contacts.regions())
    return sorted(names, key=str.casefold)


async def municipalities(store: Store, region: str) -> list[str]:
    found = {c.municipality for c in await store.contacts.in_region(region) if c.municipality}
    return sorted(found, key=str.casefold)


# --- showing the directory -------------------------------------------------------------------


def directory_pages(t: Translator, view: DirectoryView) -> list[PrivateAnswer]:
    """The directory as messages; the last one carries the "Change my place" button."""
    packed = pages(directory_blocks(t, view))
    button = InlineKeyboardButton(t.gettext("Change my place"), callback_data=CHANGE_PLACE)
    markup = InlineKeyboardMarkup([[button]]) if view.region is not None else None
    answers: list[PrivateAnswer] = [(p.text, None, p.entities) for p in packed]
    text, _, entities = answers[-1]
    answers[-1] = (text, markup, entities)
    return answers


def region_question(t: Translator, regions: list[str]) -> PrivateAnswer:
    block = Block().add(
        t.gettext(
            "Which region do you live in? Then I can show you the contacts near you. "
            "I remember your choice, and you can change it at any time."
        )
    )
    block.add("\n\n" + t.gettext("If you are in danger right now, call") + " ")
    block.add("112", MessageEntity.PHONE_NUMBER).add(".")
    rows = [
        [InlineKeyboardButton(region, callback_data=f"ct:r:{name_key(region)}")]
        for region in regions
    ]
    return block.text, InlineKeyboardMarkup(rows), block.entities


def municipality_question(t: Translator, region: str, names: list[str]) -> PrivateAnswer:
    key = name_key(region)
    buttons = [
        InlineKeyboardButton(name, callback_data=f"ct:m:{key}:{name_key(name)}") for name in names
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    whole = t.gettext("The whole region / not sure")
    rows.append([InlineKeyboardButton(whole, callback_data=f"ct:m:{key}:{WHOLE_REGION}")])
    text = t.gettext("And which municipality in {region}?", region=region)
    return text, InlineKeyboardMarkup(rows), None


async def view_for(store: Store, place: MemberPlace | None) -> DirectoryView:
    if place is None:
        return DirectoryView(national_contacts(), None, None, [])
    regional = await store.contacts.in_region(place.region)
    return DirectoryView(national_contacts(), place.region, place.municipality, regional)


async def count_view(context: BotContext, region: str | None) -> None:
    day = context.clock.now().astimezone(context.settings.bot.zone).date()
    await context.store.counts.add(day, METRIC, region or "")


async def show_directory(update: Update, context: BotContext) -> None:
    """The directory, privately; first the place question if the member has not chosen."""
    user = update.effective_user
    if user is None:
        return
    store = context.store
    place = await store.contacts.place(user.id)
    regions = [] if place is not None else await member_regions(store)
    if place is None and regions:
        await answer_privately(
            update, context, lambda t: region_question(t, regions), deep_link="contacts"
        )
        return
    view = await view_for(store, place)
    rendered: list[PrivateAnswer] = []

    def first_page(t: Translator) -> PrivateAnswer:
        rendered[:] = directory_pages(t, view)
        return rendered[0]

    if not await answer_privately(update, context, first_page, deep_link="contacts"):
        return
    for page in rendered[1:]:
        await send_private(context, user.id, *page)
    await count_view(context, view.region)


async def on_contacts(update: Update, context: BotContext) -> None:
    await show_directory(update, context)


async def _deep_contacts(update: Update, context: BotContext, _argument: str) -> None:
    await show_directory(update, context)


# --- choosing the place ----------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action in contact_editing.ACTIONS:
        await contact_editing.on_button(update, context, parts)
        return
    private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
    if not private or action not in ("place", "r", "m"):
        await query.answer(context.t.gettext("This button no longer works."))
        return
    if action == "place" and len(parts) == 2:
        await query.answer()
        await offer_places(context, query.from_user.id)
        return
    await choose_place(update, context, action, parts[2:])


async def offer_places(context: BotContext, user_id: int) -> None:
    """The region question again; with no regions to choose from, the national lines."""
    regions = await member_regions(context.store)
    if regions:
        await send_private(context, user_id, *region_question(context.t, regions))
        return
    for page in directory_pages(context.t, await view_for(context.store, None)):
        await send_private(context, user_id, *page)
    await count_view(context, None)


async def choose_place(update: Update, context: BotContext, action: str, keys: list[str]) -> None:
    """ct:r:REGION asks for the municipality; ct:m:REGION:MUNICIPALITY saves the place."""
    query = update.callback_query
    assert query is not None
    store, t = context.store, context.t
    regions = {name_key(r): r for r in await member_regions(store)}
    expected = 1 if action == "r" else 2
    region = regions.get(keys[0]) if len(keys) == expected else None
    if region is None:
        await query.answer(t.gettext("This button no longer works. Try /contacts again."))
        return
    names = await municipalities(store, region)
    if len(keys) == 1 and names:
        await query.answer()
        text, markup, _ = municipality_question(t, region, names)
        await edit_quietly(query, text, markup)
        return
    chosen = {name_key(n): n for n in names}.get(keys[1]) if len(keys) == 2 else None
    if len(keys) == 2 and keys[1] != WHOLE_REGION and chosen is None:
        await query.answer(t.gettext("This button no longer works. Try /contacts again."))
        return
    await query.answer()
    place = await store.contacts.set_place(query.from_user.id, region, chosen, context.clock.now())
    await edit_quietly(query, t.gettext("Saved: {place}.", place=place_name(t, region, chosen)))
    for page in directory_pages(t, await view_for(store, place)):
        await send_private(context, query.from_user.id, *page)
    await count_view(context, region)
