"""Tests of the Bot API emulator itself (bot/emulator), partly through a real PTB Bot."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.emulator import ApiError, BotApiEmulator, Schema, SchemaError, UploadedFile
from bot.emulator.schema import build, main

SCHEMA = Schema.load()


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# These fixtures deliberately replace the conftest ones of the same names: here the emulator
# is tested on its own, with a plain PTB Bot instead of the bot application.


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def api(clock: FakeClock) -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(clock=clock) as emulator:
        yield emulator
        emulator.assert_clean()


@pytest.fixture
async def bot(api: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


def assert_valid_update(update: dict[str, Any], bot: Bot | None = None) -> Update:
    SCHEMA.validate("Update", update)
    parsed = Update.de_json(json.loads(json.dumps(update)), bot)
    assert parsed is not None
    assert parsed.update_id == update["update_id"]
    return parsed


# --- the schema -----------------------------------------------------------------------------


def test_build_derives_compact_schema_with_discriminators(tmp_path: Path) -> None:
    source = {
        "version": "Bot API 0.1",
        "methods": {
            "getThing": {
                "description": ["long text"],
                "returns": ["Thing"],
                "fields": [
                    {"name": "id", "types": ["Integer"], "required": True, "description": "x"}
                ],
            }
        },
        "types": {
            "Thing": {"subtypes": ["ThingA"], "description": ["..."]},
            "ThingA": {
                "subtype_of": ["Thing"],
                "fields": [
                    {
                        "name": "type",
                        "types": ["String"],
                        "required": True,
                        "description": 'Type, always "a"',
                    }
                ],
            },
        },
    }
    compact = build(source)
    assert compact["methods"]["getThing"] == {
        "fields": {"id": [["Integer"], True]},
        "returns": ["Thing"],
    }
    assert compact["types"]["ThingA"]["tag"] == ["type", "a"]
    assert "description" not in json.dumps(compact)

    src, out = tmp_path / "api.json", tmp_path / "botapi.json"
    src.write_text(json.dumps(source))
    assert main([str(src), str(out)]) == 0
    assert json.loads(out.read_text()) == compact
    assert main([]) == 2


def test_bundled_schema_is_bot_api_10_1() -> None:
    assert SCHEMA.version == "Bot API 10.1"
    assert SCHEMA.method_name("SENDMESSAGE") == "sendMessage"
    assert SCHEMA.method_name("sendFoo") is None


@pytest.mark.parametrize(
    ("method", "form", "error"),
    [
        ("sendMessage", {"chat_id": "1", "text": "x", "colour": "red"}, "unknown parameter"),
        ("sendMessage", {"text": "x"}, "parameter 'chat_id' is required"),
        ("deleteMessage", {"chat_id": "1", "message_id": "abc"}, "expected Integer"),
        ("sendMessage", {"chat_id": "1", "text": "x", "disable_notification": "yes"}, "Boolean"),
        (
            "sendMessage",
            {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": [[{"txt": 1}]]}'},
            "unknown field 'txt'",
        ),
        (
            "sendMessage",
            {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": [[{}]]}'},
            "inline_keyboard[0][0]: missing required field 'text'",
        ),
        ("setMyCommands", {"commands": "[]", "scope": '{"type": "bogus"}'}, "is not one of"),
        ("setMyCommands", {"commands": "[]", "scope": '{"type": "chat"}'}, "'chat_id'"),
        ("setMyCommands", {"commands": "not json"}, "expected JSON"),
        ("getUpdates", {"allowed_updates": '["message", 5]'}, "allowed_updates[1]"),
    ],
)
def test_schema_rejects_bad_parameters(method: str, form: dict[str, str], error: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(error)):
        SCHEMA.parse_params(method, form)


def test_schema_coerces_form_values_and_files() -> None:
    params = SCHEMA.parse_params(
        "sendMessage",
        {
            "chat_id": "-100123",
            "text": "hei",
            "disable_notification": "true",
            "reply_markup": '{"remove_keyboard": true}',
        },
    )
    assert params == {
        "chat_id": -100123,
        "text": "hei",
        "disable_notification": True,
        "reply_markup": {"remove_keyboard": True},
    }
    assert SCHEMA.parse_params("sendMessage", {"chat_id": "@group", "text": "x"})["chat_id"] == (
        "@group"
    )
    part = UploadedFile("a.txt", "text/plain", b"abc")
    doc = SCHEMA.parse_params("sendDocument", {"chat_id": "1"}, {"document": part})
    assert doc["document"] is part
    media = SCHEMA.parse_params(
        "sendMediaGroup",
        {"chat_id": "1", "media": '[{"type": "document", "media": "attach://f1"}]'},
        {"f1": part},
    )
    assert media["media"][0]["media"] is part
    with pytest.raises(SchemaError, match="not used"):
        SCHEMA.parse_params("sendMessage", {"chat_id": "1", "text": "x"}, {"stray": part})


def test_schema_validates_objects_and_unions() -> None:
    member = {"status": "kicked", "user": {"id": 1, "is_bot": False, "first_name": "A"}}
    with pytest.raises(SchemaError, match="until_date"):
        SCHEMA.validate("ChatMember", member)
    SCHEMA.validate("ChatMember", {**member, "until_date": 0})
    SCHEMA.validate(["Message", "Boolean"], True)
    with pytest.raises(SchemaError, match="expected Message or Boolean"):
        SCHEMA.validate(["Message", "Boolean"], 3)


# --- HTTP and recording -----------------------------------------------------------------------


async def test_unknown_method_wrong_token_and_unmodelled_method(api: BotApiEmulator) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{api.base_url}{api.token}/sendFoo", data={"a": "1"})
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        response = await client.post(f"{api.base_url}123:wrong/getMe")
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await client.post(f"{api.base_url}{api.token}/sendDice", data={"chat_id": "1"})
        assert response.status_code == 400
        assert "not modelled" in response.json()["description"]
    assert len(api.violations) == 2
    with pytest.raises(AssertionError, match="2 Bot API violation"):
        api.assert_clean()
    assert [c.method for c in api.calls] == ["sendFoo", "sendDice"]
    api.violations.clear()


async def test_json_body_and_keep_alive(api: BotApiEmulator) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(3):
            response = await client.post(f"{api.base_url}{api.token}/getMe", json={})
            assert response.json()["result"]["username"] == "vertaisbot_test_bot"
    assert len(api.calls_to("getMe")) == 3


async def test_schema_violation_is_a_400_and_recorded(api: BotApiEmulator) -> None:
    call = await api.call("sendMessage", {"chat_id": "1"})
    assert (call.ok, call.error_code) == (False, 400)
    assert call.description == "Bad Request: sendMessage: parameter 'text' is required"
    assert api.violations == ["sendMessage: parameter 'text' is required"]
    api.violations.clear()


# --- a real PTB Bot -----------------------------------------------------------------------


async def test_ptb_bot_send_edit_delete(api: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.can_join_groups) == (123456789, "vertaisbot_test_bot", True)
    assert me.can_read_all_group_messages is False

    user = api.add_user("Aino", started=True)
    sent = await bot.send_message(
        user, "<b>Hei</b> & tervetuloa", parse_mode="HTML", reply_markup=keyboard("yes", "no")
    )
    assert sent.text == "Hei & tervetuloa"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == keyboard("yes", "no")
    SCHEMA.validate("Message", api.sent_messages(user)[0])

    edited = await bot.edit_message_text("Kiitos", chat_id=user, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert (edited.text, edited.reply_markup) == ("Kiitos", None)  # keyboard dropped
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Kiitos", chat_id=user, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=user, message_id=999)
    marked = await bot.edit_message_reply_markup(user, sent.message_id, reply_markup=keyboard("a"))
    assert isinstance(marked, Message)
    assert marked.reply_markup == keyboard("a")

    assert await bot.delete_message(user, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user, sent.message_id)
    assert api.messages(user) == []
    assert [m["text"] for m in api.sent_messages(user)] == ["Hei & tervetuloa", "Kiitos", "Kiitos"]


async def test_text_rules(api: BotApiEmulator, bot: Bot) -> None:
    user = api.add_user(started=True)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(user, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(user, "   ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(user, "x" * 4097)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user, "x", reply_markup=keyboard("y" * 65))
    html = '<a href="https://example.org">🙂 linkki</a> <code>x</code>'
    sent = await bot.send_message(user, html, parse_mode="HTML")
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("text_link", 0, 9),  # the emoji counts as two UTF-16 code units
        ("code", 10, 1),
    ]


async def test_markdown_v2(api: BotApiEmulator, bot: Bot) -> None:
    user = api.add_user(started=True)
    with pytest.raises(BadRequest, match=r"character '\.' is reserved"):
        await bot.send_message(user, "*Tervetuloa* ryhmään.", parse_mode="MarkdownV2")
    sent = await bot.send_message(user, "*Tervetuloa* ryhmään\\.", parse_mode="MarkdownV2")
    assert sent.text == "Tervetuloa ryhmään."
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 10)]
    with pytest.raises(BadRequest, match="can't find end of italic entity"):
        await bot.send_message(user, "_auki", parse_mode="MarkdownV2")
    legacy = await bot.send_message(user, "*Hei* kaikki.", parse_mode="Markdown")
    assert legacy.text == "Hei kaikki."


async def test_emulator_errors_become_500_and_violations(
    api: BotApiEmulator, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(params: dict[str, Any]) -> Any:
        raise KeyError("oops")

    api.methods.handlers["getChat"] = broken
    call = await api.call("getChat", {"chat_id": "1"})
    assert (call.ok, call.error_code) == (False, 500)
    assert api.violations == ["emulator error in getChat: KeyError('oops')"]
    assert "emulator error in getChat" in caplog.text
    api.violations.clear()


async def test_commands_per_scope_and_language(api: BotApiEmulator, bot: Bot) -> None:
    group = api.add_group()
    await bot.set_my_commands([BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("apua", "Apua")], language_code="fi")
    await bot.set_my_commands(
        [BotCommand("kick", "Poista")], scope=BotCommandScopeChat(group), language_code="fi"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["help"]
    assert [c.command for c in await bot.get_my_commands(language_code="fi")] == ["apua"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(group), language_code="fi")
    assert [c.command for c in scoped] == ["kick"]
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == ()
    assert api.commands({"type": "chat", "chat_id": group}, "fi") == [
        {"command": "kick", "description": "Poista"}
    ]
    await bot.delete_my_commands(scope=BotCommandScopeDefault(), language_code="fi")
    assert api.commands(language_code="fi") == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("a", "b")], scope=BotCommandScopeChat(-42))


async def test_send_document_multipart_and_download(api: BotApiEmulator, bot: Bot) -> None:
    user = api.add_user(started=True)
    message = await bot.send_document(
        user, InputFile(b"name;score\nAino;3\n", filename="raportti.csv"), caption="Raportti"
    )
    assert message.document is not None
    assert message.document.file_name == "raportti.csv"
    assert message.caption == "Raportti"
    [document] = api.documents
    assert (document.file_name, document.data) == ("raportti.csv", b"name;score\nAino;3\n")
    assert document.message_id == message.message_id
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"name;score\nAino;3\n"
    again = await bot.send_document(user, message.document.file_id)
    assert again.document is not None
    assert again.document.file_id == message.document.file_id
    assert len(api.sent_messages(user)) == 2


async def test_long_polling_and_allowed_updates(api: BotApiEmulator, bot: Bot) -> None:
    user = api.add_user("Aino")
    group = api.add_group(members=[user])
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for_poller()
    api.private_message(user, "/start hello")
    [update] = await asyncio.wait_for(poll, 1)
    assert update.message is not None
    assert update.message.text == "/start hello"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")

    # chat_member updates need allowed_updates, like on Telegram.
    api.user_leaves(group, user)
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert [
        u.message.left_chat_member.id for u in updates if u.message and u.message.left_chat_member
    ] == [user]
    api.user_joins(group, user)
    updates = await bot.get_updates(
        offset=updates[-1].update_id + 1, timeout=0, allowed_updates=["chat_member"]
    )
    assert [u.chat_member.new_chat_member.status for u in updates if u.chat_member] == ["member"]

    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_second_poller_gets_conflict(api: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for_poller()
    # PTB serialises its own getUpdates calls, so the second poller bypasses HTTP.
    second = await api.call("getUpdates", {"timeout": "0"})
    assert (second.ok, second.result) == (True, [])
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 1)


async def test_application_polling_end_to_end(api: BotApiEmulator) -> None:
    replied = asyncio.Event()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Tervetuloa!")
        replied.set()

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    user = api.add_user("Aino")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await api.wait_for_poller()
        api.private_message(user, "/start")
        await asyncio.wait_for(replied.wait(), 2)
        await app.updater.stop()
        await app.stop()
    assert [m["text"] for m in api.sent_messages(user)] == ["Tervetuloa!"]


# --- Telegram's rules --------------------------------------------------------------------------


async def test_private_chat_403_rules(api: BotApiEmulator, bot: Bot) -> None:
    stranger = api.add_user()
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger, "hei")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hei")
    api.private_message(stranger, "moi")
    await bot.send_message(stranger, "hei")
    api.set_blocked(stranger)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(stranger, "hei")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_document(stranger, InputFile(b"x", filename="x.txt"))


async def test_group_membership_403_rules(api: BotApiEmulator, bot: Bot) -> None:
    owner = api.add_user()
    outside = api.add_group(bot_member=False)
    basic = api.add_group(supergroup=False, owner=owner)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(outside, "hei")
    await bot.send_message(basic, "hei")
    assert await bot.leave_chat(basic)
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.send_message(basic, "hei")
    kicked = api.add_group(owner=owner)
    api.bot_removed_from_group(kicked, owner)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(kicked, "hei")


async def test_moderation_rights(api: BotApiEmulator, bot: Bot) -> None:
    owner, admin, member = api.add_user(), api.add_user(), api.add_user()
    group = api.add_group(owner=owner, admins=[admin], members=[member])
    mute = ChatPermissions.no_permissions()

    await bot.restrict_chat_member(group, member, mute)
    assert api.member(group, member)["status"] == "restricted"
    assert api.member(group, member)["can_send_messages"] is False
    await bot.restrict_chat_member(group, member, ChatPermissions.all_permissions())
    assert api.member_status(group, member) == "member"
    with pytest.raises(BadRequest, match="User is an administrator of the chat"):
        await bot.restrict_chat_member(group, admin, mute)
    with pytest.raises(BadRequest, match="Can't remove chat owner"):
        await bot.ban_chat_member(group, owner)

    await bot.ban_chat_member(group, member)
    assert api.member_status(group, member) == "kicked"
    await bot.unban_chat_member(group, member, only_if_banned=True)
    assert api.member_status(group, member) == "left"

    api.user_joins(group, member)
    await bot.unban_chat_member(group, member)  # also removes a current member
    assert api.member_status(group, member) == "left"

    with pytest.raises(BadRequest, match="Not enough rights"):
        await bot.promote_chat_member(group, admin, can_delete_messages=True)

    weak = api.add_group(members=[member], bot_rights={"can_pin_messages": True})
    with pytest.raises(BadRequest, match="Not enough rights to restrict/unrestrict chat member"):
        await bot.restrict_chat_member(weak, member, mute)
    with pytest.raises(BadRequest, match="Not enough rights to restrict/unrestrict chat member"):
        await bot.ban_chat_member(weak, member)
    basic = api.add_group(supergroup=False, members=[member])
    with pytest.raises(BadRequest, match="Method is available only for supergroups"):
        await bot.restrict_chat_member(basic, member, mute)
    not_admin = api.add_group(members=[member], bot_admin=False)
    with pytest.raises(BadRequest, match="Not enough rights"):
        await bot.ban_chat_member(not_admin, member)


async def test_promote_and_bot_can_only_grant_own_rights(api: BotApiEmulator, bot: Bot) -> None:
    member = api.add_user()
    rights = {"can_promote_members": True, "can_delete_messages": True}
    group = api.add_group(members=[member], bot_rights=rights)
    await bot.promote_chat_member(group, member, can_delete_messages=True)
    promoted = api.member(group, member)
    assert (promoted["status"], promoted["can_be_edited"]) == ("administrator", True)
    assert promoted["can_delete_messages"] is True
    assert promoted["can_restrict_members"] is False
    with pytest.raises(BadRequest, match="Right_forbidden"):
        await bot.promote_chat_member(group, member, can_restrict_members=True)
    await bot.promote_chat_member(group, member)  # no rights: demote
    assert api.member_status(group, member) == "member"
    administrators = await bot.get_chat_administrators(group)
    assert [a.user.id for a in administrators] == [api.bot_id]


async def test_delete_others_messages_needs_right(api: BotApiEmulator, bot: Bot) -> None:
    member = api.add_user()
    weak = api.add_group(members=[member], bot_rights={"can_pin_messages": True})
    strong = api.add_group(members=[member])
    for group in (weak, strong):
        api.group_message(group, member, "/report spam")
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(weak, 1)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_messages(weak, [1, 5])
    own = await bot.send_message(weak, "ok")
    assert await bot.delete_message(weak, own.message_id)
    assert await bot.delete_messages(strong, [1, 99])  # unknown ids are skipped
    assert api.messages(strong) == []


async def test_callback_queries(api: BotApiEmulator, bot: Bot) -> None:
    user = api.add_user(started=True)
    await bot.send_message(user, "Valitse", reply_markup=keyboard("yes"))
    [message] = api.sent_messages(user)
    update = assert_valid_update(api.press_button(user, message, "yes"), bot)
    assert update.callback_query is not None
    assert update.callback_query.data == "yes"
    assert await bot.answer_callback_query(update.callback_query.id, text="Kiitos")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(update.callback_query.id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("nonsense")
    with pytest.raises(ValueError, match="no button"):
        api.press_button(user, message, "maybe")
    forged = assert_valid_update(api.press_button(user, message, "maybe", forged=True), bot)
    assert forged.callback_query is not None
    assert forged.callback_query.data == "maybe"


async def test_wait_for_message(api: BotApiEmulator, bot: Bot) -> None:
    assert api.bot_username == "vertaisbot_test_bot"
    user = api.add_user(started=True)
    await bot.send_message(user, "eka")
    assert (await api.wait_for_message(user))["text"] == "eka"  # already sent
    waiter = asyncio.create_task(api.wait_for_message(user, timeout=1))
    await bot.send_message(user, "toka")
    assert (await waiter)["text"] == "toka"
    with pytest.raises(TimeoutError):
        await api.wait_for_message(user, timeout=0.05)


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without it, constructing RetryAfter emits a PTBDeprecationWarning (an error here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.mark.usefixtures("ptb_timedelta")
async def test_rate_limits_with_injected_clock(
    api: BotApiEmulator, bot: Bot, clock: FakeClock
) -> None:
    group = api.add_group()
    for i in range(20):
        await bot.send_message(group, f"viesti {i}")
        clock.now += 0.5
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group, "liikaa")
    assert caught.value.retry_after == timedelta(seconds=50)  # 60 s after the first message
    [call] = [c for c in api.calls_to("sendMessage") if not c.ok]
    assert (call.error_code, call.description) == (429, "Too Many Requests: retry after 50")
    assert call.parameters == {"retry_after": 50}
    clock.now += 50
    await bot.send_message(group, "taas")

    users = [api.add_user(started=True) for _ in range(31)]
    clock.now += 100
    for user in users[:30]:
        await bot.send_message(user, "hei")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[30], "hei")
    clock.now += 1
    await bot.send_message(users[30], "hei")


@pytest.mark.usefixtures("ptb_timedelta")
async def test_fail_next(api: BotApiEmulator, bot: Bot) -> None:
    user = api.add_user(started=True)
    api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
    )
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user, "hei")
    assert caught.value.retry_after == timedelta(seconds=7)
    api.fail_next("getChat", error_code=400, description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(user)
    await bot.send_message(user, "hei")
    assert (await bot.get_chat(user)).first_name == "Member"


async def test_before_answer_can_hold_a_call_open_or_fail_it(
    api: BotApiEmulator, bot: Bot
) -> None:
    user = api.add_user(started=True)
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold_sends(method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage":
            return
        arrived.set()
        await release.wait()
        if params["text"] == "liian pitkä":
            raise ApiError(400, "Bad Request: message is too long")

    api.before_answer = hold_sends
    sending = asyncio.create_task(bot.send_message(user, "hei"))
    await asyncio.wait_for(arrived.wait(), 5)
    assert (await bot.get_me()).username == api.bot_username  # other calls go on meanwhile
    assert not sending.done()
    assert api.calls_to("sendMessage") == []  # not answered, so not recorded yet
    release.set()
    assert (await sending).text == "hei"
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(user, "liian pitkä")
    assert [(c.ok, c.error_code) for c in api.calls_to("sendMessage")] == [
        (True, None),
        (False, 400),
    ]
    assert [m["text"] for m in api.messages(user)] == ["hei"]


async def test_join_request_allows_private_message_while_pending(
    api: BotApiEmulator, bot: Bot, clock: FakeClock
) -> None:
    owner, applicant, late = api.add_user(), api.add_user(), api.add_user()
    group = api.add_group(owner=owner)
    update = assert_valid_update(api.join_request(group, applicant), bot)
    assert update.chat_join_request is not None
    assert update.chat_join_request.user_chat_id == applicant
    await bot.send_message(applicant, "Kerro itsestäsi")
    await bot.approve_chat_join_request(group, applicant)
    assert api.member_status(group, applicant) == "member"
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(applicant, "Tervetuloa")  # the request is processed
    with pytest.raises(BadRequest, match="Hide_requester_missing"):
        await bot.decline_chat_join_request(group, applicant)

    api.join_request(group, late)
    clock.now += 301
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(late, "hei")
    await bot.decline_chat_join_request(group, late)
    assert api.member_status(group, late) == "left"


async def test_migrate_to_supergroup(api: BotApiEmulator, bot: Bot) -> None:
    owner = api.add_user()
    basic = api.add_group(supergroup=False, owner=owner)
    new_id, updates = api.migrate_to_supergroup(basic)
    assert str(new_id).startswith("-100")
    first, second = (assert_valid_update(u, bot) for u in updates)
    assert first.message is not None
    assert second.message is not None
    assert (first.message.migrate_to_chat_id, first.message.chat.id) == (new_id, basic)
    assert (second.message.migrate_from_chat_id, second.message.chat.id) == (basic, new_id)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(basic, "hei")
    assert caught.value.new_chat_id == new_id
    [call] = api.calls_to("sendMessage")
    assert call.description == "Bad Request: group chat was upgraded to a supergroup chat"
    await bot.send_message(new_id, "hei")
    assert api.member_status(new_id, owner) == "creator"


async def test_pins_invite_links_and_chat_info(api: BotApiEmulator, bot: Bot) -> None:
    owner, member = api.add_user(), api.add_user()
    group = api.add_group("Vertaisryhmä", forum=True, owner=owner, members=[member])
    sent = await bot.send_message(group, "Säännöt", message_thread_id=7)
    assert (sent.message_thread_id, sent.is_topic_message) == (7, True)
    await bot.pin_chat_message(group, sent.message_id)
    assert api.pinned(group) == [sent.message_id]
    info = await bot.get_chat(group)
    assert info.pinned_message is not None
    assert (info.title, info.is_forum, info.pinned_message.message_id) == (
        "Vertaisryhmä",
        True,
        sent.message_id,
    )
    await bot.unpin_chat_message(group)
    assert api.pinned(group) == []
    link = await bot.create_chat_invite_link(group, name="syksy", creates_join_request=True)
    assert link.invite_link.startswith("https://t.me/+")
    assert link.creates_join_request
    assert await bot.get_chat_member_count(group) == 3
    assert (await bot.get_chat_member(group, owner)).status == "creator"
    assert await bot.set_chat_menu_button()
    no_pins = api.add_group(members=[member], bot_rights={"can_delete_messages": True})
    msg = await bot.send_message(no_pins, "x")
    with pytest.raises(BadRequest, match="Not enough rights to manage pinned messages"):
        await bot.pin_chat_message(no_pins, msg.message_id)


async def test_webhook_methods(api: BotApiEmulator, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


# --- update producers -------------------------------------------------------------------------


async def test_every_update_producer_output_is_valid(api: BotApiEmulator, bot: Bot) -> None:
    owner, member, newcomer = api.add_user("Omistaja"), api.add_user(), api.add_user("Uusi")
    forum = api.add_group(forum=True, owner=owner, members=[member])
    basic = api.add_group(supergroup=False, owner=owner, bot_member=False)
    produced: list[dict[str, Any]] = [
        api.private_message(member, "/start"),
        api.group_message(forum, member, "/help@vertaisbot_test_bot", message_thread_id=3),
    ]
    first_id = produced[1]["message"]["message_id"]
    produced.append(api.group_message(forum, owner, "vastaus", reply_to_message_id=first_id))
    produced += api.user_joins(forum, newcomer)
    produced += api.user_leaves(forum, newcomer)
    produced.append(api.join_request(forum, newcomer))
    produced.append(api.admin_changed(forum, member, True))
    produced.append(api.admin_changed(forum, member, False))
    produced.append(api.bot_added_to_group(basic, owner, as_admin=True))
    produced.append(api.bot_removed_from_group(basic, owner))
    produced.append(api.user_blocks_bot(member))
    produced.append(api.user_unblocks_bot(member))
    await bot.send_message(member, "Valitse", reply_markup=keyboard("a"))
    produced.append(api.press_button(member, api.sent_messages(member)[0], "a"))
    produced += api.migrate_to_supergroup(api.add_group(supergroup=False, owner=owner))[1]

    parsed = [assert_valid_update(u, bot) for u in produced]
    ids = [u.update_id for u in parsed]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    command = parsed[1].message
    assert command is not None
    assert command.entities[0].length == len("/help@vertaisbot_test_bot")
    assert parsed[2].message is not None
    assert parsed[2].message.reply_to_message is not None
    assert parsed[-4].my_chat_member is not None  # unblocked
    assert parsed[-4].my_chat_member.new_chat_member.status == "member"


async def test_privacy_mode_filters_group_messages(api: BotApiEmulator) -> None:
    member = api.add_user()
    group = api.add_group(members=[member], bot_admin=False)
    api.group_message(group, member, "just chatting")
    api.group_message(group, member, "/rules")
    api.group_message(group, member, "/rules@other_bot")
    api.group_message(group, member, "hey @vertaisbot_test_bot")
    assert [u["message"]["text"] for u in api.pending_updates] == [
        "/rules",
        "hey @vertaisbot_test_bot",
    ]
    async with BotApiEmulator(can_read_all_group_messages=True) as open_api:
        member = open_api.add_user()
        group = open_api.add_group(members=[member], bot_admin=False)
        open_api.group_message(group, member, "just chatting")
        assert len(open_api.pending_updates) == 1


async def test_producers_reject_impossible_actions(api: BotApiEmulator) -> None:
    outsider = api.add_user()
    group = api.add_group()
    with pytest.raises(ValueError, match="not a member"):
        api.group_message(group, outsider, "hei")
    with pytest.raises(ValueError, match="unknown user"):
        api.private_message(9999, "hei")
    api.user_blocks_bot(outsider)
    with pytest.raises(ValueError, match="blocked the bot"):
        api.private_message(outsider, "hei")
