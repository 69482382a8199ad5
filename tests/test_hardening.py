"""Property-based hardening: odd, broken and hostile updates never break the bot.

Hypothesis sends malformed, truncated, oversized and unexpected updates through the whole
real Application, against the Bot API emulator (updates the emulator cannot produce are
built here, schema-checked where the Bot API defines them, and fed with
``process_update(Update.de_json(...))`` like any other):

- commands with random arguments and plain, huge or odd Unicode texts, from members,
  facilitators, anonymous administrators, other bots and linked channels, in private chats,
  peer groups, the staff chat and an unregistered group, as replies and as edits;
- real commands, texts and button presses with any optional fields left out;
- update kinds no feature handles, channel posts, service and text-less messages;
- button presses with tampered data for every feature's buttons (prefixes read from the
  CallbackQueryHandlers), on the real message, an old one, or none;
- every real button tapped twice, by everyone who can see it;
- ``/start`` with forged deep-link payloads for every registered deep link;
- SQL- and markup-looking text as rules and as a meetup's name.

Always: no exception escapes, bot.errors.on_error is never called, and the bot makes no
call Telegram would reject. Tampered buttons and unhandled kinds change no row of any table.
Lookalike text is stored and sent back exactly as typed, with no parse mode.

Commands, button patterns and deep links are read from the running Application, so new
features are covered when they register. Runs on SQLite (about 17 s) and, with
VERTAISBOT_TEST_POSTGRES_URL, on PostgreSQL too (about 26 s more). Examples are
derandomised, so CI is repeatable; VERTAISBOT_HYPOTHESIS_EXPLORE=1 searches with fresh
random examples, ten times as many. Nothing here waits for real time.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from bot.app import build_application
from bot.clock import ManualClock
from bot.context import services_of
from bot.emulator import BotApiEmulator
from bot.errors import on_error
from bot.settings import LANGUAGES, Settings
from tests import harness
from tests.hardening_strategies import (
    ODD_MESSAGES,
    QUIET_KINDS,
    TRICKY_TEXTS,
    UpdateBuilder,
    button_patterns,
    changed_tables,
    command_lines,
    deep_link_payloads,
    dump_tables,
    message_texts,
    odd_texts,
    odd_update,
    optional_fields,
    registered_commands,
    tampered_callback_data,
    without,
)
from tests.harness import Harness, running_bot

EXPLORE = bool(os.environ.get("VERTAISBOT_HYPOTHESIS_EXPLORE"))
# One running bot serves all examples of a property, so an example's effects stay for the
# next: shrinking would replay a changed world. A failure is reported as found instead.
HARDENING = settings(
    max_examples=250 if EXPLORE else 25,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Button data that only ever concerns the person pressing it: pressing it is never tampering.
SELF_SERVICE = {
    "forget:yes",
    "forget:no",
    "forget:ask",
    "lang:menu",
    "help:show",
    "crisis:show",
    "bye:data",
    *(f"lang:{code}" for code in LANGUAGES),
}


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[BotApiEmulator]:
    """The usual emulator, but its per-chat rate limits never make the bot wait for real."""
    ticks = itertools.count(step=61)
    async with BotApiEmulator(
        wall_clock=lambda: clock.now().timestamp(), clock=lambda: float(next(ticks))
    ) as emulator:
        yield emulator
        emulator.assert_clean()


@pytest.fixture
async def bot(
    api: BotApiEmulator, settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    """The usual running bot, minus what runs on real time: PTB's client-side rate limiter
    (it would pace the many calls into one group, 20 a minute) and the scheduled jobs (a
    long run would see a reminder round write while tables are being compared)."""
    unlimited = functools.partial(build_application, rate_limiter=False)
    monkeypatch.setattr(harness, "build_application", unlimited)
    async with running_bot(settings, api, clock) as running:
        assert running.app.job_queue is not None
        for job in running.app.job_queue.jobs():
            job.enabled = False
        yield running


@pytest.fixture
def errors(bot: Harness) -> list[BaseException | None]:
    """Every error that reached bot.errors.on_error (which still runs as usual)."""
    seen: list[BaseException | None] = []

    async def recording(update: object, context: Any) -> None:
        seen.append(context.error)
        await on_error(update, context)

    bot.app.remove_error_handler(on_error)
    bot.app.add_error_handler(recording)
    return seen


@dataclass
class Scene:
    """Two regions' peer groups, a staff chat and an unregistered group, with live state."""

    bot: Harness
    build: UpdateBuilder
    admin: int  # organisation admin
    host: int  # facilitator (Telegram administrator) of the group
    other_host: int  # facilitator of the other region's group, a member of this one
    member: int  # agreed to the rules of both groups
    newcomer: int  # waiting to agree to the group's rules
    outsider: int  # in the group, never started the bot
    group: int
    other_group: int
    staff: int
    unregistered: int
    # Filled in while the scene is built; not init fields, so that Hypothesis prints a
    # failing example's scene briefly (a huge repr is a warning, and warnings are errors).
    said: dict[str, Any] = field(default_factory=dict, init=False)  # a member's message
    bot_message: dict[str, Any] = field(default_factory=dict, init=False)  # in the group
    # Taken once the scene is built: Hypothesis needs the same choices in every example.
    people: dict[int, list[int]] = field(default_factory=dict, init=False)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict, init=False)
    issued: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    parts: list[str] = field(default_factory=list, init=False)
    acceptable: set[str] = field(default_factory=set, init=False)

    async def take_snapshot(self) -> None:
        api = self.bot.api
        for chat_id in (self.group, self.other_group, self.staff, self.unregistered):
            chat = api.world.chats[chat_id]
            self.people[chat_id] = sorted(
                user_id
                for user_id, state in chat.members.items()
                if state.present and user_id != api.bot_id
            )
        for user_id in (self.admin, self.host, self.other_host, self.member, self.newcomer):
            self.people[user_id] = [user_id]
        self.messages = {chat_id: api.messages(chat_id) for chat_id in self.people}
        self.issued = issued_buttons(self.bot)
        self.parts = known_parts(self)
        self.acceptable = await acceptable_data(self)


async def build_scene(bot: Harness, admin: int) -> Scene:
    api, now = bot.api, bot.clock.now()
    host = api.add_user("Host", "en", started=True)
    other_host = api.add_user("Other", "fi", started=True)
    member = api.add_user("Member", "en", started=True)
    newcomer = api.add_user("Newcomer", "sv", started=True)
    outsider = api.add_user("Outsider", "fi")
    group = api.add_group(
        "Peer group", members=[member, newcomer, outsider, other_host], admins=[host], owner=admin
    )
    other_group = api.add_group(
        "Other group", members=[member, host], admins=[other_host], owner=admin
    )
    staff = api.add_group("Staff", forum=True, members=[host], owner=admin)
    unregistered = api.add_group("Unknown", members=[member, host], owner=admin)
    store = bot.store
    await store.chats.register(group, "peer_group", "Lappi", "en", now)
    await store.chats.register(other_group, "peer_group", "Päijät-Häme", "fi", now)
    await store.chats.register(staff, "staff", "Lappi", "en", now)
    for chat_id in (group, other_group):
        await store.joins.record_consent(member, chat_id, 0, now)
    scene = Scene(
        bot,
        UpdateBuilder(api),
        admin,
        host,
        other_host,
        member,
        newcomer,
        outsider,
        group,
        other_group,
        staff,
        unregistered,
    )
    for user in (admin, host, other_host, member, newcomer):
        await bot.private(user, "/start")
    await publish_rules(bot, scene)
    await invite_newcomer(bot, scene)
    await plan_meetups(bot, scene)
    await moderate(bot, scene)
    await bot.private(member, "/forgetme")
    await bot.private(member, "/language")
    await scene.take_snapshot()
    return scene


async def publish_rules(bot: Harness, scene: Scene) -> None:
    """Rules version 1 in the group (announced to the member), a draft left in each group."""
    await bot.group(scene.group, scene.host, "/setrules en Be kind. Listen.")
    preview = bot.last(scene.group)
    await bot.press(scene.host, preview, bot.buttons(preview)[0]["callback_data"])
    await bot.group(scene.group, scene.host, "/setrules en A draft nobody confirmed.")
    await bot.group(scene.other_group, scene.other_host, "/setrules fi Luonnos.")


async def invite_newcomer(bot: Harness, scene: Scene) -> None:
    await bot.store.joins.start_pending(scene.newcomer, scene.group, "arrival", bot.clock.now())
    await bot.private(scene.newcomer, f"/start join-{scene.group}")


async def plan_meetups(bot: Harness, scene: Scene) -> None:
    """A weekly meetup with its card and sign-up buttons, and an unconfirmed preview."""
    await bot.group(scene.group, scene.host, "/meetup add weekly tue 17:00 | Peer evening | Hall")
    preview = bot.last(scene.group)
    await bot.press(scene.host, preview, bot.buttons(preview)[0]["callback_data"])
    card = bot.last(scene.group)
    await bot.press(scene.member, card, bot.buttons(card)[0]["callback_data"])
    await bot.group(scene.group, scene.host, "/meetup add 24.12. 12:00 | Holiday lunch")
    scene.bot_message = bot.last(scene.group)


async def moderate(bot: Harness, scene: Scene) -> None:
    """A warning with its undo button in the staff chat's moderation log."""
    said = bot.api.group_message(scene.group, scene.member, "hello all")
    await bot.deliver(said)
    scene.said = said["message"]
    warn = bot.api.group_message(
        scene.group, scene.host, "/warn be kind", reply_to_message_id=scene.said["message_id"]
    )
    await bot.deliver(warn)
    await bot.group(scene.staff, scene.host, "/modlog")


@pytest.fixture
async def scene(bot: Harness, admin: int, errors: list[BaseException | None]) -> Scene:
    built = await build_scene(bot, admin)
    assert errors == [], "the scene itself must not fail"
    return built


async def deliver(
    scene: Scene, errors: list[BaseException | None], update: dict[str, Any]
) -> None:
    """Process one update; nothing may reach the error handler or break the Bot API rules."""
    errors.clear()  # the fixture lives across examples; each example starts clean
    await scene.bot.deliver(update)
    assert errors == [], f"the error handler was called: {errors!r}"
    assert scene.bot.api.violations == []


def issued_buttons(bot: Harness) -> dict[str, dict[str, Any]]:
    """Every button data the bot has handed out, with the message it sits on."""
    found: dict[str, dict[str, Any]] = {}
    for message in bot.api.sent_messages():
        for button in bot.buttons(message):
            if "callback_data" in button:
                found[button["callback_data"]] = message
    return found


async def acceptable_data(scene: Scene) -> set[str]:
    """Data a feature accepts without tampering: handed out, or the same for the same ids."""
    bot = scene.bot
    accepted = set(SELF_SERVICE) | set(issued_buttons(bot))
    for data in list(accepted):
        parts = data.split(":")
        if parts[0] == "rsvp" and len(parts) == 4:
            meetup, stamp = parts[1], parts[2]
            accepted |= {f"rsvp:{meetup}:{stamp}:{a}" for a in "ymn"}
            accepted |= {f"remind:{meetup}:{stamp}", f"ics:{meetup}"}
    for chat_id in (scene.group, scene.other_group):
        version = (await bot.store.rules.current(chat_id)).version
        accepted |= {f"rules:ack:{chat_id}:{version}", f"join:ok:{chat_id}:{version}"}
        accepted |= {f"join:no:{chat_id}"} | {f"join:lang:{c}:{chat_id}" for c in LANGUAGES}
    return accepted


def known_parts(scene: Scene) -> list[str]:
    """Real ids and values seen in the scene's buttons, for forging plausible data."""
    parts = {str(v) for v in (scene.group, scene.other_group, scene.staff, scene.member)}
    for data in issued_buttons(scene.bot):
        parts |= set(data.split(":")[1:])
    return sorted(parts)


def answered(bot: Harness, update: dict[str, Any]) -> bool:
    query_id = update["callback_query"]["id"]
    return any(
        c.params.get("callback_query_id") == query_id
        for c in bot.api.calls_to("answerCallbackQuery")
    )


# --- the properties --------------------------------------------------------------------------


@HARDENING
@given(data=st.data())
async def test_any_text_from_anyone_anywhere_never_fails(
    scene: Scene, errors: list[BaseException | None], data: st.DataObject
):
    """Commands with random arguments, plain, huge and odd texts; as replies and as edits;
    from members, facilitators, anonymous administrators, other bots and linked channels."""
    bot, build = scene.bot, scene.build
    chat_id = data.draw(st.sampled_from(sorted(scene.people)), label="chat")
    commands = registered_commands(bot.app)
    text = data.draw(message_texts(commands, bot.api.bot_username), label="text")
    who: int | str = chat_id
    if chat_id < 0:
        choices: list[int | str] = [*scene.people[chat_id], *STRANGE_SENDERS]
        who = data.draw(st.sampled_from(choices), label="from")
    sender, sender_chat = _sender(scene, chat_id, who)
    replied = scene.messages[chat_id]
    reply_to = data.draw(st.none() | st.sampled_from(replied), label="reply") if replied else None
    thread = (
        data.draw(st.none() | st.integers(1, 9), label="topic") if chat_id == scene.staff else None
    )
    edited = data.draw(st.booleans(), label="edited")
    update = build.text_message(
        chat_id,
        sender,
        text,
        reply_to=reply_to,
        sender_chat=sender_chat,
        thread_id=thread,
        edited=edited,
    )
    await deliver(scene, errors, update)


STRANGE_SENDERS = ("anonymous admin", "a bot", "a linked channel")


@HARDENING
@given(data=st.data())
async def test_updates_missing_optional_fields_never_fail(
    scene: Scene, errors: list[BaseException | None], data: st.DataObject
):
    """Real commands, texts and button presses with any of their optional fields left out
    (the sender, the text or its entities, the user's language, a button's data or message,
    the update's content itself): the Bot API allows it, so the bot must cope."""
    bot = scene.bot
    update = _real_update(scene, data.draw(st.sampled_from(REAL_UPDATES), label="kind"), data)
    # Telegram always says which message a button sits on (this bot has no inline mode).
    paths = [
        p for p in optional_fields(bot.api.schema, update) if p != ("callback_query", "message")
    ]
    dropped = data.draw(st.sets(st.sampled_from(paths), min_size=1), label="left out")
    trimmed = without(update, dropped)
    bot.api.schema.validate("Update", trimmed)
    await deliver(scene, errors, trimmed)


REAL_UPDATES = ("group command", "reply command", "private command", "private text", "button")


def _real_update(scene: Scene, kind: str, data: st.DataObject) -> dict[str, Any]:
    bot, build = scene.bot, scene.build
    if kind == "button":
        button = data.draw(st.sampled_from(sorted(scene.issued)), label="button")
        message = scene.issued[button]
        user = data.draw(st.sampled_from(scene.people[message["chat"]["id"]]), label="presser")
        return build.press(user, message, button)
    commands = command_lines(registered_commands(bot.app), bot.api.bot_username)
    text = data.draw(odd_texts().filter(str.strip) if kind == "private text" else commands)
    if kind in ("private command", "private text"):
        return build.text_message(scene.member, build.user(scene.member), text)
    reply_to = scene.said if kind == "reply command" else None
    return build.text_message(scene.group, build.user(scene.host), text, reply_to=reply_to)


def _sender(scene: Scene, chat_id: int, who: int | str) -> tuple[dict[str, Any], Any]:
    build = scene.build
    if who == "anonymous admin":
        return build.user(build.ANONYMOUS_ADMIN["id"]), build.chat(chat_id)
    if who == "a bot":
        return {"id": 5_000_000_001, "is_bot": True, "first_name": "Other bot"}, None
    if who == "a linked channel":
        return dict(build.CHANNEL_BOT), build.channel()
    assert isinstance(who, int)
    return build.user(who), None


@HARDENING
@given(data=st.data())
async def test_update_kinds_no_feature_handles_never_fail_and_change_nothing(
    scene: Scene, errors: list[BaseException | None], data: st.DataObject
):
    """Reactions, polls, inline queries, payments, boosts, business and guest messages,
    channel posts (commands too), managed bots, and a kind no Bot API has yet: no row
    changes, and the bot says nothing."""
    bot = scene.bot
    kind = data.draw(st.sampled_from(QUIET_KINDS), label="kind")
    chat_id = data.draw(st.sampled_from(sorted(scene.people)), label="chat")
    user = data.draw(st.sampled_from(scene.people[chat_id]), label="user")
    text = data.draw(odd_texts() | message_texts(["start", "setup", "warn"], "x"), label="text")
    update = odd_update(scene.build, kind, chat_id, user, text)
    before, calls = await dump_tables(bot.store), len(bot.api.calls)
    await deliver(scene, errors, update)
    assert changed_tables(before, await dump_tables(bot.store)) == []
    assert [c.method for c in bot.api.calls[calls:]] == []


@HARDENING
@given(data=st.data())
async def test_service_and_textless_messages_never_fail(
    scene: Scene, errors: list[BaseException | None], data: st.DataObject
):
    """Stickers, locations, captions with commands, service messages, bots joining and
    leaving, migrations to unknown chats, automatic forwards, messages with no sender."""
    kind = data.draw(st.sampled_from(ODD_MESSAGES), label="kind")
    chat_id = data.draw(st.sampled_from(sorted(scene.people)), label="chat")
    user = data.draw(st.sampled_from(scene.people[chat_id]), label="user")
    text = data.draw(odd_texts(), label="text")
    await deliver(scene, errors, odd_update(scene.build, kind, chat_id, user, text))


@HARDENING
@given(data=st.data())
async def test_tampered_buttons_are_refused_and_change_nothing(
    scene: Scene, errors: list[BaseException | None], data: st.DataObject
):
    """Forged data for every feature's buttons, on a real message, an old one (Telegram
    sends only its chat and id) or none at all (an inline message): a polite answer, and
    not one row changes anywhere."""
    bot = scene.bot
    patterns = button_patterns(bot.app)
    forged = data.draw(tampered_callback_data(patterns, sorted(scene.issued)), label="data")
    assume(not acceptable(scene, forged))
    presser = data.draw(st.sampled_from(PRESSERS), label="presser")
    user = getattr(scene, presser)
    own = [m for m in scene.messages[user] if m["from"]["id"] == bot.api.bot_id]
    in_group = [scene.bot_message] if user in scene.people[scene.group] else []
    message = data.draw(st.sampled_from(own + in_group), label="message")
    shape = data.draw(st.sampled_from(("message", "old", "inline")), label="shape")
    update = scene.build.press(user, message, forged, shape=shape)
    before = await dump_tables(bot.store)
    await deliver(scene, errors, update)
    assert changed_tables(before, await dump_tables(bot.store)) == []
    if any(pattern.search(forged) for pattern in patterns):
        assert answered(bot, update), "a press on a feature's button must always be answered"


PRESSERS = ("member", "host", "other_host", "newcomer", "admin")


def acceptable(scene: Scene, data: str) -> bool:
    """Data a feature may act on without tampering (a pattern's ``$`` admits one "\\n")."""
    return data in scene.acceptable or data.removesuffix("\n") in scene.acceptable


@pytest.mark.parametrize("shape", ["message", "old"])
async def test_every_real_button_survives_double_taps_and_old_messages(
    scene: Scene, errors: list[BaseException | None], shape: str
):
    """Every button the bot hands out, tapped twice by everyone who can see it, on the
    message as it was sent or as Telegram attaches an old one: each tap is answered and
    nothing fails. Exhaustive and in a fixed order, as taps change the state."""
    bot, failed = scene.bot, []
    # Erasing comes last, so that every other button is tapped by people the bot knows.
    for data, message in sorted(scene.issued.items(), key=lambda item: item[0] == "forget:yes"):
        for user in scene.people[message["chat"]["id"]]:
            for _tap in range(2):
                update = scene.build.press(user, message, data, shape=shape)
                errors.clear()
                await bot.deliver(update)
                if errors or not answered(bot, update):
                    failed.append((data, user, errors[:], answered(bot, update)))
    assert not failed, "\n".join(map(repr, failed))
    assert bot.api.violations == []


@HARDENING
@given(data=st.data())
async def test_deep_links_with_forged_payloads_never_fail(
    scene: Scene, errors: list[BaseException | None], data: st.DataObject
):
    """``/start`` with every feature's deep-link name and forged arguments, or anything typed:
    always an answer; a link to a group that is not the person's changes nothing."""
    bot = scene.bot
    names = sorted(services_of(bot.app).deep_links)
    payload = data.draw(deep_link_payloads(names, scene.parts), label="payload")
    user = data.draw(st.sampled_from(("member", "newcomer", "host", "outsider")), label="user")
    user_id = getattr(scene, user)
    before = await dump_tables(bot.store)
    sent_before = len(bot.api.sent_messages(user_id))
    await deliver(scene, errors, bot.api.private_message(user_id, f"/start {payload}"))
    assert len(bot.api.sent_messages(user_id)) > sent_before, "/start always answers"
    if re.match(r"(join|rules)-", payload):
        written = changed_tables(before, await dump_tables(bot.store))
        assert set(written) <= {"members"}, "only a first contact is noted"


@settings(HARDENING, max_examples=HARDENING.max_examples * 4 // 5)  # five updates each
@given(text=st.one_of(st.sampled_from(TRICKY_TEXTS), odd_texts(max_size=90)))
async def test_sql_and_markup_lookalikes_are_stored_and_shown_as_typed(
    scene: Scene, errors: list[BaseException | None], text: str
):
    """As group rules and as a meetup's name: stored exactly, sent back with no parse mode
    (so nothing is interpreted), and every table is still there and readable."""
    line = " ".join(text.replace("|", "/").split())  # a meetup's name is one line
    assume(line and len(line) <= 100)
    bot = scene.bot
    await deliver(
        scene,
        errors,
        scene.build.text_message(
            scene.group, scene.build.user(scene.host), f"/setrules en {text}"
        ),
    )
    preview = bot.last(scene.group)
    await deliver(
        scene, errors, scene.build.press(scene.host, preview, _button(bot, preview, "rules:pub"))
    )
    rules = await bot.store.rules.current(scene.group)
    assert rules.texts["en"] == text.strip()
    asked = len(bot.api.calls)
    await deliver(scene, errors, bot.api.private_message(scene.member, "/rules"))
    shown = [c.params for c in bot.api.calls[asked:] if c.method == "sendMessage"]
    assert any(text.strip() in params["text"] for params in shown)
    await deliver(
        scene,
        errors,
        scene.build.text_message(
            scene.group, scene.build.user(scene.host), f"/meetup add 1.12. 18:00 | {line} | {line}"
        ),
    )
    preview = bot.last(scene.group)
    await deliver(
        scene, errors, scene.build.press(scene.host, preview, _button(bot, preview, "meetup:ok"))
    )
    card = bot.api.calls_to("sendMessage")[-1].params
    assert f"📅 {line}\n" in card["text"]
    stored = await bot.store.meetups.for_chats([scene.group])
    assert line in {m.title for m in stored}
    for call in bot.api.calls:
        assert "parse_mode" not in call.params, f"{call.method} asked Telegram to parse markup"
    tables = await dump_tables(bot.store)
    assert {"members", "chats", "rules_texts", "meetups"} <= set(tables)
    assert tables["members"]
    assert tables["chats"]


def _button(bot: Harness, message: dict[str, Any], prefix: str) -> str:
    return next(
        b["callback_data"] for b in bot.buttons(message) if b["callback_data"].startswith(prefix)
    )


# --- inputs that broke the bot once (found by the properties above) --------------------------

BIG = "9" * 25
FORGED_NUMBERS = (
    f"rules:ack:{BIG}:1",
    f"rules:ack:-{BIG}:1",
    "rules:ack:{group}:²",
    f"join:no:{BIG}",
    f"join:ok:{BIG}:1",
    "join:ok:{group}:²",
    f"join:lang:en:{BIG}",
    f"rsvp:abc:{BIG}:y",
    "rsvp:abc:²:y",
    f"remind:abc:{BIG}",
    "remind:abc:²",
    f"modlog:undo:{BIG}",
)


async def test_button_presses_that_once_failed_are_refused_quietly(
    scene: Scene, errors: list[BaseException | None]
):
    """Each answered, nothing written, nothing failing:

    - ids too big for the database, "²" (a digit to ``isdigit``, not to ``int``), stamps
      beyond what a date can hold;
    - a press with no data at all (PTB hands it to the first button handler there is),
      by someone who never started the bot;
    - the other group's preview "Cancel" copied onto a message in one's own group;
    - "Cancel" of the erase question with a newline after it (``$`` lets it through);
    - and last, a double tap on each answer to the erase question.
    """
    bot = scene.bot
    welcome = next(m for m in scene.messages[scene.newcomer] if "reply_markup" in m)
    foreign = next(
        data
        for data, message in scene.issued.items()
        if data.startswith("rules:drop:") and message["chat"]["id"] == scene.other_group
    )
    confirm = next(m for m in scene.messages[scene.member] if _has_button(bot, m, "forget:no"))
    no_data = scene.build.press(scene.outsider, scene.bot_message, "x")
    del no_data["callback_query"]["data"]
    presses = [no_data, scene.build.press(scene.host, scene.bot_message, foreign)]
    presses.append(scene.build.press(scene.member, confirm, "forget:no\n"))
    for template in FORGED_NUMBERS:
        data = template.format(group=scene.group)
        presses.append(scene.build.press(scene.newcomer, welcome, data))
        presses.append(scene.build.press(scene.host, scene.bot_message, data))
    patterns = button_patterns(bot.app)
    before = await dump_tables(bot.store)
    for update in presses:
        await deliver(scene, errors, update)
        data = update["callback_query"].get("data", "")
        if not data or any(pattern.search(data) for pattern in patterns):
            assert answered(bot, update), data
    assert changed_tables(before, await dump_tables(bot.store)) == []
    for data in ("forget:no", "forget:yes"):
        for _tap in range(2):
            await deliver(scene, errors, scene.build.press(scene.member, confirm, data))


HOSTILE_TEXTS = (
    f"/start join-{BIG}",
    "/start join---5",
    f"/start rules-{BIG}",
    f"/start rules--{BIG}",
    "/modlog ²",
    f"/warn {BIG}",
    "/warn ²",
    "/pause ² 2h",
    f"/unwarn {BIG}",
    f"/warns {BIG}",
    "/pause. 2h",
    "/REMOVE\u200b",
    "/warn@vertaisbot_test_bot, be kind",
    "/groupsettings flood ² ²",
    "/setrules " + "\U0001f600" * 2000,
    "/meetup add 3.12. 17:00 | T | " + "p" * 3540 + " | https://meet.example/a | " + "n" * 500,
    "/meetup add 3.12. 17:00 | T | Hall | https://meet.example/" + "a" * 3900,
)


async def test_messages_that_once_failed_are_answered_calmly(
    scene: Scene, errors: list[BaseException | None]
):
    """Numbers too big, "²", doubled signs; a command glued to punctuation or a zero-width
    space; rules and meetup texts that would make the answer longer than Telegram allows;
    only white space in an unregistered group; a Telegram Business customer's message, which
    the bot must not answer in the account owner's name."""
    bot = scene.bot
    for text in HOSTILE_TEXTS:
        chats = (scene.newcomer,) if text.startswith("/start") else (scene.group, scene.staff)
        for chat_id in chats:
            sender = scene.build.user(scene.host if chat_id < 0 else chat_id)
            await deliver(scene, errors, scene.build.text_message(chat_id, sender, text))
    blank = odd_update(scene.build, "automatic_forward", scene.unregistered, scene.host, "\u3000")
    await deliver(scene, errors, blank)
    calls = len(bot.api.calls)
    business = odd_update(scene.build, "business_message", scene.member, scene.member, "hello")
    await deliver(scene, errors, business)
    assert bot.api.calls[calls:] == []


def _has_button(bot: Harness, message: dict[str, Any], data: str) -> bool:
    return any(b.get("callback_data") == data for b in bot.buttons(message))
