"""RulesRepository, on both engines."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.settings import LANGUAGES
from storage import IntegrityError, Rules, RulesDraft, Store
from storage.models import RULES_LANGUAGES

GROUP = -1001234567890
OTHER_GROUP = -1001111111111


def test_rules_languages_are_the_bot_languages_and_every_language() -> None:
    assert (*LANGUAGES, "*") == RULES_LANGUAGES


# --- versions ------------------------------------------------------------------------------


async def test_without_rules_the_defaults_are_current(store: Store) -> None:
    assert await store.rules.current(GROUP) == Rules(GROUP, 0, {})
    assert await store.rules.get(GROUP, 0) == Rules(GROUP, 0, {})
    assert await store.rules.get(GROUP, 1) is None


async def test_the_first_publish_is_version_one(store: Store, now: datetime) -> None:
    rules = await store.rules.publish(GROUP, "fi", "Ole kiltti.", now)
    assert rules == Rules(GROUP, 1, {"fi": "Ole kiltti."})
    assert await store.rules.current(GROUP) == rules
    assert await store.rules.get(GROUP, 1) == rules
    assert await store.rules.get(GROUP, 0) == Rules(GROUP, 0, {})  # the defaults stay version 0
    assert await store.rules.get(GROUP, 2) is None


async def test_a_publish_copies_the_other_languages(store: Store, now: datetime) -> None:
    await store.rules.publish(GROUP, "fi", "Ole kiltti.", now)
    second = await store.rules.publish(GROUP, "sv", "Var snäll.", now)
    assert second == Rules(GROUP, 2, {"fi": "Ole kiltti.", "sv": "Var snäll."})
    third = await store.rules.publish(GROUP, "fi", "Ole kiltti ja reilu.", now)
    assert third == Rules(GROUP, 3, {"fi": "Ole kiltti ja reilu.", "sv": "Var snäll."})
    assert await store.rules.current(GROUP) == third
    # Earlier versions stay as they were, for the consents that name them.
    assert await store.rules.get(GROUP, 1) == Rules(GROUP, 1, {"fi": "Ole kiltti."})
    assert await store.rules.get(GROUP, 2) == second


async def test_every_language_replaces_all_texts(store: Store, now: datetime) -> None:
    await store.rules.publish(GROUP, "fi", "Ole kiltti.", now)
    await store.rules.publish(GROUP, "se", "Leage láđis.", now)
    rules = await store.rules.publish(GROUP, "*", "Be kind. Ole kiltti.", now)
    assert rules == Rules(GROUP, 3, {"*": "Be kind. Ole kiltti."})
    assert await store.rules.current(GROUP) == rules


async def test_every_language_stays_the_fallback_for_the_others(
    store: Store, now: datetime
) -> None:
    await store.rules.publish(GROUP, "*", "Be kind.", now)
    rules = await store.rules.publish(GROUP, "fi", "Ole kiltti.", now)
    assert rules == Rules(GROUP, 2, {"*": "Be kind.", "fi": "Ole kiltti."})
    rules = await store.rules.publish(GROUP, "*", "Be kind and fair.", now)
    assert rules == Rules(GROUP, 3, {"*": "Be kind and fair."})


async def test_text_for_falls_back_to_every_language(store: Store, now: datetime) -> None:
    await store.rules.publish(GROUP, "*", "Be kind.", now)
    rules = await store.rules.publish(GROUP, "fi", "Ole kiltti.", now)
    assert rules.text_for("fi") == "Ole kiltti."
    assert rules.text_for("sv") == "Be kind."
    assert rules.text_for(None) == "Be kind."
    assert (await store.rules.publish(OTHER_GROUP, "fi", "Hei.", now)).text_for("en") is None
    assert (await store.rules.current(-1)).text_for("fi") is None  # the defaults: no text


async def test_each_group_has_its_own_versions(store: Store, now: datetime) -> None:
    await store.rules.publish(GROUP, "fi", "Ryhmä 1", now)
    await store.rules.publish(GROUP, "fi", "Ryhmä 2", now)
    other = await store.rules.publish(OTHER_GROUP, "en", "Other", now)
    assert other == Rules(OTHER_GROUP, 1, {"en": "Other"})
    assert await store.rules.current(GROUP) == Rules(GROUP, 2, {"fi": "Ryhmä 2"})


async def test_texts_round_trip_exactly(store: Store, now: datetime) -> None:
    body = "1. Ole kiltti 💛\n2. Ei 'lainauksia' \"ilman lupaa\"; $1 ei ole muuttuja.\n\n—"
    await store.rules.publish(GROUP, "en", body, now)
    assert (await store.rules.current(GROUP)).texts == {"en": body}


async def test_an_unknown_language_is_refused(store: Store, now: datetime) -> None:
    for language in ("de", "FI", "", "**"):
        with pytest.raises(ValueError, match=r"fi, sv, se, en, \*"):
            await store.rules.publish(GROUP, language, "Rules", now)
        with pytest.raises(ValueError, match=r"fi, sv, se, en, \*"):
            await store.rules.add_draft(GROUP, language, "Rules", now)
    assert await store.rules.current(GROUP) == Rules(GROUP, 0, {})


async def test_a_text_needs_its_version(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await store.db.execute(
            "INSERT INTO rules_texts (chat_id, version, language, body) VALUES ($1, $2, $3, $4)",
            GROUP,
            1,
            "fi",
            "Orpo",
        )


async def test_concurrent_publishes_get_consecutive_versions(store: Store, now: datetime) -> None:
    first, second = await asyncio.gather(
        store.rules.publish(GROUP, "fi", "Ole kiltti.", now),
        store.rules.publish(GROUP, "sv", "Var snäll.", now),
    )
    assert sorted([first.version, second.version]) == [1, 2]
    assert await store.rules.get(GROUP, 1) in (first, second)
    latest = await store.rules.current(GROUP)
    assert latest == Rules(GROUP, 2, {"fi": "Ole kiltti.", "sv": "Var snäll."})


async def test_many_concurrent_publishes_lose_nothing(store: Store, now: datetime) -> None:
    languages = ["fi", "sv", "se", "en"] * 3
    published = await asyncio.gather(
        *(store.rules.publish(GROUP, lang, f"{lang} {n}", now) for n, lang in enumerate(languages))
    )
    assert sorted(rules.version for rules in published) == list(range(1, 13))
    latest = await store.rules.current(GROUP)
    assert latest.version == 12
    assert sorted(latest.texts) == ["en", "fi", "se", "sv"]


async def test_two_instances_publishing_at_once_do_not_clash(db_url: str, now: datetime) -> None:
    first, second = await Store.open(db_url), await Store.open(db_url)
    try:
        await first.migrate(now)
        published = await asyncio.gather(
            *(
                instance.rules.publish(GROUP, lang, f"{lang} {n}", now)
                for n, (instance, lang) in enumerate(
                    [(first, "fi"), (second, "sv"), (first, "en"), (second, "se")]
                )
            )
        )
    finally:
        await first.close()
        await second.close()
    assert sorted(rules.version for rules in published) == [1, 2, 3, 4]
    async with await Store.open(db_url) as store:
        latest = await store.rules.current(GROUP)
        assert latest.version == 4
        assert sorted(latest.texts) == ["en", "fi", "se", "sv"]


def test_rules_are_frozen_and_their_texts_read_only() -> None:
    rules = Rules._from_rows(GROUP, 1, [{"language": "fi", "body": "Ole kiltti."}])
    with pytest.raises(AttributeError):
        rules.version = 2  # type: ignore[misc]
    texts: Any = rules.texts
    with pytest.raises(TypeError):
        texts["fi"] = "Muutettu"


# --- drafts --------------------------------------------------------------------------------


async def test_add_draft_returns_it_with_a_short_url_safe_id(store: Store, now: datetime) -> None:
    draft = await store.rules.add_draft(GROUP, "se", "Leage láđis.", now)
    assert draft == RulesDraft(draft.draft_id, GROUP, "se", "Leage láđis.", now)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,16}", draft.draft_id)
    others = {(await store.rules.add_draft(GROUP, "fi", "x", now)).draft_id for _ in range(20)}
    assert len(others | {draft.draft_id}) == 21


async def test_take_draft_works_once(store: Store, now: datetime) -> None:
    draft = await store.rules.add_draft(GROUP, "*", "Be kind.", now)
    assert await store.rules.take_draft(draft.draft_id, OTHER_GROUP) is None  # not theirs
    assert await store.rules.take_draft(draft.draft_id, GROUP) == draft
    assert await store.rules.take_draft(draft.draft_id, GROUP) is None
    assert await store.rules.take_draft("no-such-draft", GROUP) is None
    # Taking a draft does not publish it: that is the caller's next step.
    assert await store.rules.current(GROUP) == Rules(GROUP, 0, {})


async def test_take_draft_works_once_even_when_concurrent(store: Store, now: datetime) -> None:
    draft = await store.rules.add_draft(GROUP, "fi", "Ole kiltti.", now)
    taken = await asyncio.gather(
        *(store.rules.take_draft(draft.draft_id, GROUP) for _ in range(10))
    )
    assert [t for t in taken if t is not None] == [draft]


async def test_drop_drafts_before_the_cutoff(store: Store, now: datetime) -> None:
    old = await store.rules.add_draft(GROUP, "fi", "Vanha", now - timedelta(days=2))
    older = await store.rules.add_draft(OTHER_GROUP, "sv", "Äldre", now - timedelta(days=3))
    at_cutoff = await store.rules.add_draft(GROUP, "en", "Now", now)
    assert await store.rules.drop_drafts_before(now) == 2
    assert await store.rules.drop_drafts_before(now) == 0
    assert await store.rules.take_draft(old.draft_id, GROUP) is None
    assert await store.rules.take_draft(older.draft_id, OTHER_GROUP) is None
    assert await store.rules.take_draft(at_cutoff.draft_id, GROUP) == at_cutoff
