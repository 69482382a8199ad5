"""The contact directory: members' /contacts and facilitators' /contact, through the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import pytest

from handlers.contacts import name_key
from storage.contacts import Contact, ContactText
from tests.harness import Harness

DAY = date(2026, 11, 29)


@dataclass
class Scene:
    group: int  # Lappi's peer group
    staff: int  # Lappi's staff chat
    other_staff: int  # Päijät-Häme's staff chat
    host: int  # facilitator in Lappi
    other_host: int  # facilitator in Päijät-Häme
    member: int
    codes: dict[str, str]  # title -> code of the seeded entries


def entry(title: str, region: str, municipality: str | None = None, **more: Any) -> Contact:
    texts = more.pop("texts", {"fi": ContactText(title)})
    return Contact(region, MappingProxyType(texts), municipality, **more)


SEEDED = [
    entry(
        "Jälkihuollon toimisto",
        "Lappi",
        phone="016 123 456",
        texts={
            "fi": ContactText("Jälkihuollon toimisto", "ma–pe 9–15"),
            "sv": ContactText("Eftervårdens kontor"),
        },
    ),
    entry("Sosiaaliohjaaja Rovaniemi", "Lappi", "Rovaniemi", phone="040 123 4567"),
    entry("Terveydenhoitaja Inari", "Lappi", "Inari", phone="040 765 4321"),
    entry("Lahden jälkihuolto", "Päijät-Häme", phone="03 123 4567"),
]


@pytest.fixture
async def scene(bot: Harness, admin: int) -> Scene:
    host = bot.api.add_user(first_name="Host", language_code="en", started=True)
    other_host = bot.api.add_user(first_name="Other-Host", language_code="en", started=True)
    member = bot.api.add_user(first_name="Milla-Private", language_code="en", started=True)
    group = bot.api.add_group(members=[member], admins=[host], owner=admin)
    staff = bot.api.add_group(title="Staff", members=[member], admins=[host], owner=admin)
    other_staff = bot.api.add_group(title="PH staff", admins=[other_host], owner=admin)
    now = bot.clock.now()
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", now)
    await bot.store.chats.register(staff, "staff", "Lappi", "en", now)
    await bot.store.chats.register(other_staff, "staff", "Päijät-Häme", "en", now)
    codes = {}
    for contact in SEEDED:
        stored = await bot.store.contacts.add(contact, now)
        assert stored.contact_id is not None
        codes[contact.title] = stored.contact_id
    for user in (host, other_host, member):
        await bot.private(user, "/start")
    bot.api.clear_calls()
    return Scene(group, staff, other_staff, host, other_host, member, codes)


def utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def entity_texts(message: dict[str, Any], kind: str) -> list[str]:
    return [
        utf16_slice(message["text"], e["offset"], e["length"])
        for e in message.get("entities", [])
        if e["type"] == kind
    ]


def answers(bot: Harness) -> list[str]:
    return [c.params.get("text", "") for c in bot.api.calls_to("answerCallbackQuery")]


def button(bot: Harness, message: dict[str, Any], label: str) -> str:
    data: str = next(b["callback_data"] for b in bot.buttons(message) if b["text"] == label)
    return data


async def views(bot: Harness, region: str) -> int:
    return await bot.store.counts.get(DAY, "contact_views", region)


async def choose(bot: Harness, user: int, region: str, municipality: str | None) -> None:
    await bot.private(user, "/contacts")
    question = bot.last(user)
    await bot.press(user, question, button(bot, question, region))
    if municipality is not None:
        question = bot.last(user)
        await bot.press(user, question, button(bot, question, municipality))


# --- members ---------------------------------------------------------------------------------


async def test_the_first_time_asks_the_place_then_lists_near_contacts(bot: Harness, scene: Scene):
    await bot.private(scene.member, "/contacts")
    question = bot.last(scene.member)
    assert question["text"].startswith("Which region do you live in?")
    assert entity_texts(question, "phone_number") == ["112"]
    assert [b["text"] for b in bot.buttons(question)] == ["Lappi", "Päijät-Häme"]
    await bot.press(scene.member, question, f"ct:r:{name_key('Lappi')}")
    asked = bot.last(scene.member)
    assert asked["message_id"] == question["message_id"]  # the same message, edited
    assert asked["text"] == "And which municipality in Lappi?"
    assert [b["text"] for b in bot.buttons(asked)] == [
        "Inari",
        "Rovaniemi",
        "The whole region / not sure",
    ]
    await bot.press(scene.member, asked, button(bot, asked, "Rovaniemi"))
    saved, directory = bot.api.sent_messages(scene.member)[-2:]
    assert saved["text"] == "Saved: Rovaniemi, Lappi."
    text = directory["text"]
    order = ["112", "09 2525 0111", "sekasin247.fi", "080 005 005", "116 006", "116 117"]
    order += ["📍 Lappi", "Jälkihuollon toimisto", "📍 Rovaniemi", "Sosiaaliohjaaja Rovaniemi"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "Inari" not in text
    assert "Lahden" not in text
    assert [b["text"] for b in bot.buttons(directory)] == ["Change my place"]
    place = await bot.store.contacts.place(scene.member)
    assert place is not None
    assert (place.region, place.municipality) == ("Lappi", "Rovaniemi")
    assert await views(bot, "Lappi") == 1
    await bot.private(scene.member, "/contacts")  # remembered: the list comes at once
    assert bot.last(scene.member)["text"] == text
    assert await views(bot, "Lappi") == 2


async def test_phone_numbers_are_tappable_with_utf16_offsets(bot: Harness, scene: Scene):
    await choose(bot, scene.member, "Lappi", "Rovaniemi")
    directory = bot.last(scene.member)
    phones = entity_texts(directory, "phone_number")
    assert phones == [
        "112",
        "09 2525 0111",
        "080 005 005",
        "116 006",
        "116 117",
        "016 123 456",
        "040 123 4567",
    ]
    # Each number follows an emoji of two UTF-16 code units: Python's offsets would be wrong.
    text = directory["text"]
    rovaniemi = next(
        e
        for e in directory["entities"]
        if e["type"] == "phone_number" and e["length"] == len("040 123 4567")
    )
    assert rovaniemi["offset"] != text.index("040 123 4567")
    assert utf16_slice(text, rovaniemi["offset"] - 3, 3) == "📞 "
    assert entity_texts(directory, "url")[0] == "https://mieli.fi"
    assert "Jälkihuollon toimisto" in entity_texts(directory, "bold")


async def test_the_whole_region_shows_every_municipality_by_name(bot: Harness, scene: Scene):
    await choose(bot, scene.member, "Lappi", "The whole region / not sure")
    text = bot.last(scene.member)["text"]
    order = ["Jälkihuollon toimisto", "📍 Inari", "Terveydenhoitaja Inari", "📍 Rovaniemi"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "Your place: Lappi, the whole region" in text


@pytest.mark.parametrize(
    ("language", "national", "regional"),
    [
        ("fi", "Hätänumero 112", "Jälkihuollon toimisto"),
        ("sv", "Nödnumret 112", "Eftervårdens kontor"),
        ("se", "Heahtenummir 112", "Jälkihuollon toimisto"),
        ("en", "Emergency number 112", "Jälkihuollon toimisto"),
    ],
)
async def test_the_directory_in_each_language(
    bot: Harness, scene: Scene, language: str, national: str, regional: str
):
    user = bot.api.add_user(language_code=language, started=True)
    await bot.store.contacts.set_place(user, "Lappi", None, bot.clock.now())
    await bot.private(user, "/contacts")
    message = bot.last(user)
    t = bot.translations(language)
    assert message["text"].startswith(t.gettext("Help and contacts 💛"))
    assert national in message["text"]
    assert regional in message["text"]
    assert "ma–pe 9–15" in message["text"]  # Finnish hours stand in for a missing translation
    assert [b["text"] for b in bot.buttons(message)] == [t.gettext("Change my place")]


async def test_a_long_list_is_split_under_telegrams_limit(bot: Harness, scene: Scene):
    now = bot.clock.now()
    for n in range(40):
        notes = f"Entry {n:02d}. " + "Longer notes about the service. " * 9
        await bot.store.contacts.add(
            entry(
                f"Palvelu {n:02d}",
                "Lappi",
                phone=f"040 000 {n:04d}",
                texts={"fi": ContactText(f"Palvelu {n:02d}", None, notes.strip())},
            ),
            now,
        )
    await bot.store.contacts.set_place(scene.member, "Lappi", None, now)
    await bot.private(scene.member, "/contacts")
    sent = bot.api.sent_messages(scene.member)
    assert len(sent) >= 3
    for message in sent:
        assert len(message["text"].encode("utf-16-le")) // 2 <= 4096
        for phone in entity_texts(message, "phone_number"):
            assert phone[0].isdigit()
    joined = "\n".join(m["text"] for m in sent)
    positions = [joined.index(f"Palvelu {n:02d}") for n in range(40)]
    assert positions == sorted(positions)
    assert all(not bot.buttons(m) for m in sent[:-1])
    assert [b["text"] for b in bot.buttons(sent[-1])] == ["Change my place"]
    assert await views(bot, "Lappi") == 1


async def test_in_a_group_the_answer_comes_privately(bot: Harness, scene: Scene):
    await bot.store.contacts.set_place(scene.member, "Lappi", "Inari", bot.clock.now())
    command = bot.api.group_message(scene.group, scene.member, "/contacts")
    await bot.deliver(command)
    deleted = [c.params["message_id"] for c in bot.api.calls_to("deleteMessage")]
    assert command["message"]["message_id"] in deleted
    assert bot.api.sent_messages(scene.group) == []
    assert "Terveydenhoitaja Inari" in bot.last(scene.member)["text"]
    assert await views(bot, "Lappi") == 1


async def test_a_member_who_never_started_gets_a_neutral_button(bot: Harness, scene: Scene):
    stranger = bot.api.add_user(first_name="Stranger-Name", language_code="en")
    group = bot.api.add_group(members=[stranger], owner=scene.host)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", bot.clock.now())
    await bot.group(group, stranger, "/contacts")
    (neutral,) = bot.api.sent_messages(group)
    assert neutral["text"] == "You can write to me privately here:"
    (link,) = bot.buttons(neutral)
    assert link["url"].endswith("?start=contacts")
    assert "Stranger-Name" not in str([c.params for c in bot.api.calls])
    await bot.private(stranger, "/start contacts")
    assert bot.last(stranger)["text"].startswith("Which region do you live in?")
    assert await views(bot, "Lappi") == 0


async def test_stale_place_buttons_pressed_again_do_no_harm(bot: Harness, scene: Scene):
    await bot.private(scene.member, "/contacts")
    question = bot.last(scene.member)
    lappi = name_key("Lappi")
    await bot.press(scene.member, question, f"ct:r:{lappi}")
    await bot.deliver(bot.api.press_button(scene.member, question, f"ct:r:{lappi}", forged=True))
    rovaniemi = f"ct:m:{lappi}:{name_key('Rovaniemi')}"
    for _ in range(2):
        await bot.deliver(bot.api.press_button(scene.member, question, rovaniemi, forged=True))
    place = await bot.store.contacts.place(scene.member)
    assert place is not None
    assert place.municipality == "Rovaniemi"
    assert await views(bot, "Lappi") == 2


async def test_change_my_place(bot: Harness, scene: Scene):
    await choose(bot, scene.member, "Lappi", "Rovaniemi")
    await bot.press(scene.member, bot.last(scene.member), "ct:place")
    question = bot.last(scene.member)
    assert question["text"].startswith("Which region do you live in?")
    # Päijät-Häme has no municipalities in the directory: one tap is enough.
    await bot.press(scene.member, question, button(bot, question, "Päijät-Häme"))
    text = bot.last(scene.member)["text"]
    assert "Lahden jälkihuolto" in text
    assert "Sosiaaliohjaaja" not in text
    place = await bot.store.contacts.place(scene.member)
    assert place is not None
    assert (place.region, place.municipality) == ("Päijät-Häme", None)
    assert await views(bot, "Päijät-Häme") == 1


async def test_tampered_place_buttons_change_nothing(bot: Harness, scene: Scene):
    await bot.private(scene.member, "/contacts")
    question = bot.last(scene.member)
    lappi = name_key("Lappi")
    for data in (
        "ct:r:0123456789",
        f"ct:m:{lappi}:0123456789",
        f"ct:m:{lappi}:{name_key('Lahti')}",
        f"ct:r:{lappi}:{name_key('Rovaniemi')}:x",
        f"ct:r:{lappi}:{name_key('Rovaniemi')}",
        f"ct:m:{lappi}",
        "ct:nonsense",
        "ct:",
        "ct:place:extra",
    ):
        await bot.deliver(bot.api.press_button(scene.member, question, data, forged=True))
        assert "no longer works" in answers(bot)[-1], data
    assert await bot.store.contacts.place(scene.member) is None
    # A place button forged on a message in a group is refused too.
    await bot.group(scene.staff, scene.host, "/contact list")
    listing = bot.last(scene.staff)
    await bot.deliver(bot.api.press_button(scene.member, listing, f"ct:r:{lappi}", forged=True))
    assert "no longer works" in answers(bot)[-1]
    assert await bot.store.contacts.place(scene.member) is None


# --- facilitators ----------------------------------------------------------------------------


async def test_a_facilitator_adds_an_entry_in_the_staff_chat(bot: Harness, scene: Scene):
    await bot.group(
        scene.staff,
        scene.host,
        "/contact add Rovaniemi | Aftercare social instructor | 040 111 2222 | "
        "jalkihuolto@example.fi example.fi | Mon–Fri 9–15 | Call first",
    )
    reply = bot.last(scene.staff)
    assert reply["text"].startswith("Added ✅ Its code is ")
    code = reply["text"].split("Its code is ")[1][:5]
    stored = await bot.store.contacts.get(code, "Lappi")
    assert stored is not None
    assert (stored.municipality, stored.phone) == ("Rovaniemi", "040 111 2222")
    assert (stored.email, stored.web, stored.verified_on) == (
        "jalkihuolto@example.fi",
        "example.fi",
        "2026-11-29",
    )
    assert stored.text_in("fi").hours == "Mon–Fri 9–15"
    assert stored.text_in("fi").notes == "Call first"
    assert entity_texts(reply, "phone_number") == ["040 111 2222"]
    assert entity_texts(reply, "email") == ["jalkihuolto@example.fi"]
    assert "members see the Finnish text" in reply["text"]


async def test_bad_values_are_explained_and_nothing_is_saved(bot: Harness, scene: Scene):
    before = len(await bot.store.contacts.in_region("Lappi"))
    await bot.group(scene.staff, scene.host, "/contact add - | Office | call us | not-an-address")
    text = bot.last(scene.staff)["text"]
    assert text.startswith("Nothing was saved:")
    assert "A phone number can have digits" in text
    assert "does not look like a web address" in text
    await bot.group(scene.staff, scene.host, "/contact add Rovaniemi")
    assert "Write at least the place and the title" in bot.last(scene.staff)["text"]
    await bot.group(scene.staff, scene.host, "/contact")
    assert "/contact add PLACE | TITLE" in bot.last(scene.staff)["text"]
    assert len(await bot.store.contacts.in_region("Lappi")) == before


async def test_edit_fields_and_translations(bot: Harness, scene: Scene):
    code = scene.codes["Sosiaaliohjaaja Rovaniemi"]
    await bot.group(scene.staff, scene.host, f"/contact edit {code.upper()} phone 040 999 8888")
    reply = bot.last(scene.staff)
    assert reply["text"].startswith(f"Saved ✅ ({code})")
    assert entity_texts(reply, "phone_number") == ["040 999 8888"]
    await bot.group(scene.staff, scene.host, f"/contact edit {code} title:sv Socialhandledare")
    await bot.group(scene.staff, scene.host, f"/contact edit {code} hours:sv mån–fre 9–15")
    await bot.group(scene.staff, scene.host, f"/contact edit {code} place -")
    stored = await bot.store.contacts.get(code)
    assert stored is not None
    assert stored.phone == "040 999 8888"
    assert stored.municipality is None
    assert stored.text_in("sv").title == "Socialhandledare"
    assert stored.text_in("sv").hours == "mån–fre 9–15"
    await bot.group(scene.staff, scene.host, f"/contact edit {code} title:sv -")
    stored = await bot.store.contacts.get(code)
    assert stored is not None
    assert set(stored.texts) == {"fi"}
    await bot.group(scene.staff, scene.host, f"/contact edit {code} hours:en 9–15")
    assert "Add the title in that language first" in bot.last(scene.staff)["text"]
    await bot.group(scene.staff, scene.host, f"/contact edit {code} title -")
    assert "An entry needs a title" in bot.last(scene.staff)["text"]
    await bot.group(scene.staff, scene.host, f"/contact edit {code} colour red")
    assert "I do not know what colour is" in bot.last(scene.staff)["text"]
    await bot.group(scene.staff, scene.host, f"/contact edit {code} title:de Titel")
    assert "I do not know the language de" in bot.last(scene.staff)["text"]
    assert (await bot.store.contacts.get(code)) == stored


async def test_another_regions_entry_cannot_be_seen_or_changed(bot: Harness, scene: Scene):
    foreign = scene.codes["Lahden jälkihuolto"]
    before = await bot.store.contacts.get(foreign)
    for command in (f"/contact edit {foreign} phone 040 1", f"/contact remove {foreign}"):
        await bot.group(scene.staff, scene.host, command)
        assert bot.last(scene.staff)["text"].startswith(f"There is no entry {foreign}")
    await bot.private(scene.host, f"/contact edit {foreign} phone 040 1")
    assert bot.last(scene.host)["text"].startswith(f"There is no entry {foreign}")
    await bot.group(scene.staff, scene.host, "/contact list")
    listing = bot.last(scene.staff)["text"]
    assert "Lahden" not in listing
    assert foreign not in listing
    assert f"{scene.codes['Sosiaaliohjaaja Rovaniemi']} · Rovaniemi · " in listing
    # A forged remove button for the other region's entry, pressed in Lappi's staff chat.
    await bot.group(
        scene.staff, scene.host, f"/contact remove {scene.codes['Terveydenhoitaja Inari']}"
    )
    confirm = bot.last(scene.staff)
    await bot.deliver(bot.api.press_button(scene.host, confirm, f"ct:rm:{foreign}", forged=True))
    assert answers(bot)[-1] == "This entry is not in your region's list any more."
    await bot.deliver(bot.api.press_button(scene.host, confirm, "ct:rm:../..", forged=True))
    assert answers(bot)[-1] == "This entry is not in your region's list any more."
    assert await bot.store.contacts.get(foreign) == before


async def test_remove_asks_first(bot: Harness, scene: Scene):
    code = scene.codes["Terveydenhoitaja Inari"]
    await bot.group(scene.staff, scene.host, f"/contact remove {code}")
    confirm = bot.last(scene.staff)
    assert confirm["text"].startswith("Remove this entry? Members will no longer see it.")
    assert entity_texts(confirm, "phone_number") == ["040 765 4321"]
    await bot.press(scene.host, confirm, f"ct:keep:{code}")
    assert bot.last(scene.staff)["text"] == "Kept: nothing was changed."
    await bot.deliver(bot.api.press_button(scene.host, confirm, f"ct:keep:{code}", forged=True))
    assert await bot.store.contacts.get(code) is not None
    await bot.group(scene.staff, scene.host, f"/contact remove {code}")
    confirm = bot.last(scene.staff)
    # Someone in the staff chat who is not a facilitator cannot press it.
    await bot.press(scene.member, confirm, f"ct:rm:{code}")
    assert "Only the region's facilitators" in answers(bot)[-1]
    assert await bot.store.contacts.get(code) is not None
    await bot.press(scene.host, confirm, f"ct:rm:{code}")
    assert bot.last(scene.staff)["text"] == (
        "Removed: Terveydenhoitaja Inari. Members no longer see it."
    )
    assert await bot.store.contacts.get(code) is None
    await bot.deliver(bot.api.press_button(scene.host, confirm, f"ct:rm:{code}", forged=True))
    assert answers(bot)[-1] == "This entry is not in your region's list any more."


async def test_in_private_a_facilitator_of_several_regions_names_the_region(
    bot: Harness, scene: Scene, admin: int
):
    await bot.private(admin, "/contact list")
    listing = bot.last(admin)["text"]
    assert listing.index("📍 Lappi") < listing.index("📍 Päijät-Häme")
    await bot.private(admin, "/contact add Lahti | Nuorten palvelut | 03 111 222")
    assert bot.last(admin)["text"].startswith("Which region? You look after several")
    await bot.private(admin, "/contact add Päijät-Häme | Lahti | Nuorten palvelut | 03 111 222")
    assert bot.last(admin)["text"].startswith("Added ✅")
    titles = [c.title for c in await bot.store.contacts.in_region("Päijät-Häme")]
    assert titles == ["Lahden jälkihuolto", "Nuorten palvelut"]
    # A facilitator of one region needs no region name, privately either.
    await bot.private(scene.host, "/contact add - | Lapin nuorisotalo")
    assert bot.last(scene.host)["text"].startswith("Added ✅")
    await bot.private(scene.host, "/contact list")
    assert "Päijät-Häme" not in bot.last(scene.host)["text"]


async def test_members_and_other_chats_are_refused_politely(bot: Harness, scene: Scene):
    before = await bot.store.contacts.all()
    await bot.private(scene.member, "/contact add - | Fake | 040 1")
    assert bot.last(scene.member)["text"].startswith("Only the region's facilitators")
    await bot.group(scene.staff, scene.member, "/contact add - | Fake | 040 1")
    assert bot.last(scene.staff)["text"].startswith("Only the region's facilitators")
    command = bot.api.group_message(scene.group, scene.host, "/contact add - | Fake")
    await bot.deliver(command)
    assert bot.api.sent_messages(scene.group) == []
    assert bot.last(scene.host)["text"].startswith("Facilitators change the contacts")
    # A member forging a remove button privately.
    await bot.private(scene.member, "/contacts")
    code = scene.codes["Jälkihuollon toimisto"]
    mine = bot.last(scene.member)
    await bot.deliver(bot.api.press_button(scene.member, mine, f"ct:rm:{code}", forged=True))
    assert "Only the region's facilitators" in answers(bot)[-1]
    assert await bot.store.contacts.all() == before
