"""The contact directory's storage: regional entries, their texts, and members' places.

Every test runs on both engines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType

import pytest

from storage import Store
from storage.contacts import CODE_ALPHABET, Contact, ContactText, is_code, new_code

USER = 2**40 + 7
OTHER_USER = 2**40 + 8


def entry(
    title: str, region: str | None = "Lappi", municipality: str | None = None, **more: object
) -> Contact:
    texts = more.pop("texts", {"fi": ContactText(title)})
    assert isinstance(texts, dict)
    return Contact(
        region=region,
        municipality=municipality,
        texts=MappingProxyType(texts),
        **more,  # type: ignore[arg-type]
    )


def test_codes_are_short_and_unambiguous() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(is_code(code) and len(code) == 5 for code in codes)
    assert len(codes) > 190
    for ambiguous in "01ilo":
        assert ambiguous not in CODE_ALPHABET
    assert not is_code("abc")
    assert not is_code("ABCDE")
    assert not is_code("abcd0")


async def test_add_keeps_every_field_and_text(store: Store, now: datetime) -> None:
    texts = {
        "fi": ContactText("Jälkihuolto", "ma–pe 9–15", "Soita ensin"),
        "sv": ContactText("Eftervård", None, "Ring först"),
    }
    added = await store.contacts.add(
        entry(
            "x",
            municipality="Rovaniemi",
            texts=texts,
            phone="040 123 4567",
            email="a@example.fi",
            web="example.fi",
            source="https://example.fi",
            verified_on="2026-11-29",
        ),
        now,
    )
    assert added.contact_id is not None
    assert is_code(added.contact_id)
    assert added.updated_at == now
    again = await store.contacts.get(added.contact_id)
    assert again == added
    assert again.texts == texts
    assert (again.phone, again.email, again.web) == ("040 123 4567", "a@example.fi", "example.fi")
    assert (again.source, again.verified_on) == ("https://example.fi", "2026-11-29")


async def test_a_missing_translation_falls_back_to_finnish_part_by_part(
    store: Store, now: datetime
) -> None:
    texts = {
        "fi": ContactText("Ohjaaja", "ma–pe 9–15", "Huom"),
        "en": ContactText("Instructor", None, "Note"),
    }
    added = await store.contacts.add(entry("x", texts=texts), now)
    assert added.text_in("en") == ContactText("Instructor", "ma–pe 9–15", "Note")
    assert added.text_in("sv") == ContactText("Ohjaaja", "ma–pe 9–15", "Huom")
    assert added.title == "Ohjaaja"


async def test_a_region_lists_region_wide_entries_first_then_by_municipality(
    store: Store, now: datetime
) -> None:
    for title, municipality in [
        ("Sodankylä 1", "Sodankylä"),
        ("Whole 1", None),
        ("Inari 1", "Inari"),
        ("Sodankylä 2", "Sodankylä"),
        ("Whole 2", None),
    ]:
        await store.contacts.add(entry(title, municipality=municipality), now)
    await store.contacts.add(entry("Elsewhere", region="Päijät-Häme"), now)
    titles = [c.title for c in await store.contacts.in_region("Lappi")]
    assert titles == ["Whole 1", "Whole 2", "Inari 1", "Sodankylä 1", "Sodankylä 2"]
    assert await store.contacts.regions() == ["Lappi", "Päijät-Häme"]
    everything = await store.contacts.all()
    assert [c.title for c in everything][-1] == "Elsewhere"


async def test_replace_stays_inside_its_region(store: Store, now: datetime) -> None:
    added = await store.contacts.add(entry("Old", phone="040 1"), now)
    code = added.contact_id
    assert code is not None
    later = now + timedelta(hours=1)
    changed = Contact(
        region="Lappi",
        texts=MappingProxyType({"fi": ContactText("New"), "en": ContactText("New en")}),
        contact_id=code,
    )
    stored = await store.contacts.replace(changed, later)
    assert stored is not None
    assert stored.title == "New"
    assert stored.phone is None
    assert stored.updated_at == later
    assert set(stored.texts) == {"fi", "en"}
    moved = Contact(region="Päijät-Häme", texts=changed.texts, contact_id=code)
    assert await store.contacts.replace(moved, later) is None
    assert (await store.contacts.get(code)) == stored
    assert await store.contacts.get(code, "Päijät-Häme") is None
    assert await store.contacts.get(code, "Lappi") == stored


async def test_remove_only_in_the_entrys_region(store: Store, now: datetime) -> None:
    added = await store.contacts.add(entry("Gone soon"), now)
    code = added.contact_id
    assert code is not None
    assert await store.contacts.remove(code, "Päijät-Häme") is False
    assert await store.contacts.get(code) is not None
    assert await store.contacts.remove(code, "Lappi") is True
    assert await store.contacts.get(code) is None
    assert await store.contacts.remove(code, "Lappi") is False
    texts = await store.db.fetchval(
        "SELECT COUNT(*) FROM contact_texts WHERE contact_id = $1", code
    )
    assert int(texts) == 0


async def test_stored_entries_need_a_region_and_a_finnish_title(
    store: Store, now: datetime
) -> None:
    with pytest.raises(ValueError, match="region"):
        await store.contacts.add(entry("National", region=None), now)
    with pytest.raises(ValueError, match="Finnish title"):
        await store.contacts.add(entry("x", texts={"en": ContactText("Only English")}), now)


async def test_import_updates_by_code_adds_the_rest_and_keeps_codes(
    store: Store, now: datetime
) -> None:
    old = await store.contacts.add(entry("Old title"), now)
    assert old.contact_id is not None
    result = await store.contacts.import_contacts(
        [
            entry("New one"),
            entry("Updated", region="Päijät-Häme", contact_id=old.contact_id),
            entry("Restored", contact_id="zzzzz"),
        ],
        now,
    )
    assert result.updated == ((1, old.contact_id),)
    assert [index for index, _ in result.added] == [0, 2]
    assert result.added[1][1] == "zzzzz"
    new_code_given = result.added[0][1]
    assert is_code(new_code_given)
    assert new_code_given not in (old.contact_id, "zzzzz")
    moved = await store.contacts.get(old.contact_id)
    assert moved is not None
    assert moved.region == "Päijät-Häme"
    assert moved.title == "Updated"
    assert [c.title for c in await store.contacts.in_region("Lappi")] == ["New one", "Restored"]


async def test_an_import_is_all_or_nothing(store: Store, now: datetime) -> None:
    await store.contacts.add(entry("Before"), now)
    with pytest.raises(ValueError, match="Finnish title"):
        await store.contacts.import_contacts(
            [entry("Fine"), entry("x", texts={"sv": ContactText("Bara svenska")})], now
        )
    assert [c.title for c in await store.contacts.all()] == ["Before"]


async def test_a_members_place_is_remembered_and_replaced(store: Store, now: datetime) -> None:
    assert await store.contacts.place(USER) is None
    await store.contacts.set_place(USER, "Lappi", "Rovaniemi", now)
    later = now + timedelta(days=1)
    await store.contacts.set_place(USER, "Päijät-Häme", None, later)
    await store.contacts.set_place(OTHER_USER, "Lappi", "Inari", now)
    place = await store.contacts.place(USER)
    assert place is not None
    assert (place.region, place.municipality, place.chosen_at) == ("Päijät-Häme", None, later)
    other = await store.contacts.place(OTHER_USER)
    assert other is not None
    assert other.municipality == "Inari"
