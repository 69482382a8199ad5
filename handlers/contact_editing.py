"""/contact add|edit|remove|list: facilitators keep their region's contacts up to date.

In a staff chat the region is the chat's; in private, the regions of the staff chats where
the person is a facilitator. An entry of another region is treated as if it did not exist,
whether the code was typed or came in a button's data.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.contacts_data import FieldError, Problem, missing_translations, record_of, validate
from bot.context import BotApplication, BotContext
from bot.facilitators import is_facilitator, sent_as_the_group
from bot.i18n import Translator
from handlers.contact_cards import Block, card, edit_quietly, facilitator_line, heading, pages
from handlers.contact_parsing import AddRequest, EditRequest, parse_add, parse_edit
from handlers.privately import answer_privately
from storage import Chat
from storage.contacts import Contact, is_code

log = logging.getLogger(__name__)
ACTIONS = ("rm", "keep")


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("contact", on_contact))


async def facilitator_regions(
    context: BotContext, user_id: int, chat: Chat | None, message: Message | None = None
) -> list[str]:
    """The regions whose contacts this person may change here (in private: chat None)."""
    if chat is not None:
        if chat.kind != "staff":
            return []
        by_group = message is not None and sent_as_the_group(message)
        allowed = by_group or await is_facilitator(context, user_id, chat.chat_id)
        return [chat.region] if allowed else []
    regions = set()
    for staff in await context.store.chats.list("staff"):
        if staff.region not in regions and await is_facilitator(context, user_id, staff.chat_id):
            regions.add(staff.region)
    return sorted(regions, key=str.casefold)


async def on_contact(update: Update, context: BotContext) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None or message.text is None:
        return
    staff = context.registered_chat if chat.type != ChatType.PRIVATE else None
    if chat.type != ChatType.PRIVATE and (staff is None or staff.kind != "staff"):
        await answer_privately(update, context, _elsewhere, deep_link="contacts")
        return
    regions = await facilitator_regions(context, user.id, staff, message)
    if not regions:
        await message.reply_text(refusal_text(context.t))
        return
    replies = await contact_command(context, regions, message.text, list(context.args or []))
    for block, markup in replies:
        await message.reply_text(block.text, entities=block.entities, reply_markup=markup)


Reply = tuple[Block, InlineKeyboardMarkup | None]


async def contact_command(
    context: BotContext, regions: list[str], text: str, args: list[str]
) -> list[Reply]:
    """What /contact ACTION … does for a facilitator of ``regions``: the replies to send."""
    action = args[0].lower() if args else ""
    if action == "add":
        return [(await add_contact(context, regions, _rest_after(text, 2)), None)]
    if action == "edit":
        return [(await edit_contact(context, regions, _rest_after(text, 2)), None)]
    if action == "remove":
        return [await ask_removal(context, regions, args[1:])]
    if action == "list":
        return [(page, None) for page in await list_pages(context, regions)]
    return [(Block().add(usage_text(context.t, regions)), None)]


def _elsewhere(t: Translator) -> tuple[str, None, None]:
    return (
        t.gettext(
            "Facilitators change the contacts with /contact in their region's staff chat or "
            "here. /contacts shows the contacts."
        ),
        None,
        None,
    )


def _rest_after(text: str, words: int) -> str:
    parts = text.split(maxsplit=words)
    return parts[words] if len(parts) > words else ""


def refusal_text(t: Translator) -> str:
    return t.gettext(
        "Only the region's facilitators can change the contacts, so nothing was changed. "
        "/contacts shows them."
    )


def usage_text(t: Translator, regions: list[str]) -> str:
    text = t.gettext(
        "The contacts of your region (members see them with /contacts):\n\n"
        "/contact list – the entries and their codes\n\n"
        "/contact add PLACE | TITLE | PHONE | E-MAIL OR WEB | HOURS | NOTES\n"
        "For example: /contact add Rovaniemi | Aftercare social instructor | 040 123 4567 | "
        "jalkihuolto@example.fi | Mon–Fri 9–15\n"
        "PLACE is the municipality, or - for the whole region. Only PLACE and TITLE are "
        "needed: leave out the rest or write -. What you write is the Finnish text, shown "
        "when there is no translation.\n\n"
        "/contact edit CODE WHAT NEW TEXT – WHAT is title, phone, email, web, hours, notes, "
        "place or source; - empties it.\n"
        "For example: /contact edit k7m2p phone 040 765 4321\n"
        "Translations: title:sv, hours:se, notes:en … for example "
        "/contact edit k7m2p title:en Aftercare social instructor\n\n"
        "/contact remove CODE – remove an entry (you confirm first)"
    )
    if len(regions) > 1:
        text += "\n\n" + t.gettext(
            "You look after several regions ({regions}): put the region first, for example "
            "/contact add {region} | Rovaniemi | Aftercare social instructor",
            regions=", ".join(regions),
            region=regions[0],
        )
    return text


def problem_text(t: Translator, error: FieldError) -> str:
    """What is wrong, in words a facilitator can act on."""
    name = error.name.replace("_", ":")
    texts = {
        Problem.REQUIRED: t.gettext("An entry needs a title (the Finnish one)."),
        Problem.TOO_LONG: t.gettext(
            "{field} can be at most {limit} characters.", field=name, limit=error.limit
        ),
        Problem.PLACE: t.gettext(
            "A place name can have letters, numbers, spaces and hyphens, at most 40 characters."
        ),
        Problem.PHONE: t.gettext(
            "A phone number can have digits, spaces, +, - and brackets, for example 040 123 4567."
        ),
        Problem.EMAIL: t.gettext(
            "That does not look like an e-mail address, such as name@example.fi."
        ),
        Problem.WEB: t.gettext(
            "That does not look like a web address, such as example.fi or https://example.fi/page."
        ),
        Problem.ONE_LINE: t.gettext("Please write {field} on one line.", field=name),
        Problem.NO_TITLE: t.gettext("Add the title in that language first, for example title:sv."),
    }
    return texts.get(error.problem, t.gettext("{field} cannot be used like that.", field=name))


def _problems_block(t: Translator, errors: list[FieldError]) -> Block:
    lines = [t.gettext("Nothing was saved:")] + ["• " + problem_text(t, e) for e in errors]
    return Block().add("\n".join(lines))


def saved_block(t: Translator, contact: Contact, *, added: bool) -> Block:
    """The entry shown back as members will see it, with its code and missing languages."""
    code = contact.contact_id or ""
    first = (
        t.gettext("Added ✅ Its code is {code}. Members see it like this:", code=code)
        if added
        else t.gettext("Saved ✅ ({code}). Members see it like this:", code=code)
    )
    block = Block().add(first).mark(code, MessageEntity.CODE).append(card(t, contact))
    missing = [language for language in missing_translations(contact) if language != "fi"]
    if missing:
        block.append(
            Block().add(
                t.gettext(
                    "Without a translation ({languages}) members see the Finnish text. "
                    "Add one with /contact edit {code} title:{language} …",
                    languages=", ".join(missing),
                    code=code,
                    language=missing[0],
                )
            )
        )
    return block


async def add_contact(context: BotContext, regions: list[str], text: str) -> Block:
    t = context.t
    request = parse_add(text, regions)
    if not isinstance(request, AddRequest):
        return Block().add(request.text(t, regions) + "\n\n" + usage_text(t, regions))
    result = validate({**request.values, "verified_on": _today(context)})
    if isinstance(result, list):
        return _problems_block(t, result)
    stored = await context.store.contacts.add(result, context.clock.now())
    log.info("contact_added")
    return saved_block(t, stored, added=True)


async def edit_contact(context: BotContext, regions: list[str], text: str) -> Block:
    t = context.t
    request = parse_edit(text)
    if not isinstance(request, EditRequest):
        return Block().add(request.text(t, regions) + "\n\n" + usage_text(t, regions))
    entry = await _entry(context, request.code, regions)
    if entry is None:
        return Block().add(not_found_text(t, request.code))
    record: dict[str, object] = {**record_of(entry), "verified_on": _today(context)}
    for name in request.clears:
        record.pop(name, None)
    record.update(request.sets)
    if str(record.get("municipality", "")).casefold() == (entry.region or "").casefold():
        record.pop("municipality")  # the region's own name: the whole region
    result = validate(record)
    if isinstance(result, list):
        return _problems_block(t, result)
    stored = await context.store.contacts.replace(result, context.clock.now())
    if stored is None:  # removed meanwhile
        return Block().add(not_found_text(t, request.code))
    log.info("contact_edited")
    return saved_block(t, stored, added=False)


def _today(context: BotContext) -> str:
    return context.clock.now().astimezone(context.settings.bot.zone).date().isoformat()


async def _entry(context: BotContext, code: str, regions: list[str]) -> Contact | None:
    """The entry, only if it belongs to one of ``regions``."""
    code = code.lower()
    if not is_code(code):
        return None
    entry = await context.store.contacts.get(code)
    return entry if entry is not None and entry.region in regions else None


def not_found_text(t: Translator, code: str) -> str:
    return t.gettext(
        "There is no entry {code} in your region. /contact list shows the codes.",
        code=code[:12],
    )


async def list_pages(context: BotContext, regions: list[str]) -> list[Block]:
    t = context.t
    blocks: list[Block] = []
    for region in regions:
        entries = await context.store.contacts.in_region(region)
        block = heading(f"📍 {region}")
        if not entries:
            block.add("\n" + t.gettext("No contacts yet. Add one with /contact add."))
        for entry in entries:
            block.append(facilitator_line(t, entry), "\n")
        blocks.append(block)
    return pages(blocks)


# --- removing, with a confirmation -----------------------------------------------------------


async def ask_removal(context: BotContext, regions: list[str], args: list[str]) -> Reply:
    """The entry as members see it, with Remove and Keep buttons."""
    t = context.t
    entry = await _entry(context, args[0], regions) if args else None
    if entry is None or entry.contact_id is None:
        return Block().add(not_found_text(t, args[0]) if args else usage_text(t, regions)), None
    block = Block().add(t.gettext("Remove this entry? Members will no longer see it."))
    block.append(card(t, entry))
    code = entry.contact_id
    buttons = [
        InlineKeyboardButton(t.gettext("Remove"), callback_data=f"ct:rm:{code}"),
        InlineKeyboardButton(t.gettext("Keep"), callback_data=f"ct:keep:{code}"),
    ]
    return block, InlineKeyboardMarkup([buttons])


async def on_button(update: Update, context: BotContext, parts: list[str]) -> None:
    """ct:rm:CODE / ct:keep:CODE, checked again at the press: who, where, which region."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    t = context.t
    chat = query.message.chat
    staff = None if chat.type == ChatType.PRIVATE else await context.store.chats.get(chat.id)
    if chat.type != ChatType.PRIVATE and staff is None:
        await query.answer(t.gettext("This button no longer works."))
        return
    regions = await facilitator_regions(context, query.from_user.id, staff)
    if not regions:
        await query.answer(refusal_text(context.member_t), show_alert=True)
        return
    entry = await _entry(context, parts[2], regions) if len(parts) == 3 else None
    if entry is None or entry.region is None or entry.contact_id is None:
        await query.answer(t.gettext("This entry is not in your region's list any more."))
        return
    await query.answer()
    if parts[1] == "keep":
        await edit_quietly(query, t.gettext("Kept: nothing was changed."))
        return
    await context.store.contacts.remove(entry.contact_id, entry.region)
    log.info("contact_removed")
    await edit_quietly(
        query, t.gettext("Removed: {title}. Members no longer see it.", title=entry.title)
    )
