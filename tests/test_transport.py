"""The aiohttp transport behaves like PTB's own: answers, uploads, timeouts, errors, shutdown."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Forbidden, NetworkError, TimedOut

from bot.emulator import BotApiEmulator
from bot.transport import AiohttpRequest


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """An HTTP server that answers /slow only after a moment."""

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/slow"
    finally:
        await runner.cleanup()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_bot(api: BotApiEmulator) -> Bot:
    request = AiohttpRequest()
    return Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=request,
        get_updates_request=request,
    )


async def test_a_bot_sends_messages_through_it(api: BotApiEmulator) -> None:
    user = api.add_user(started=True)
    async with emulator_bot(api) as bot:
        message = await bot.send_message(user, "Hei & tervetuloa")
    assert message.text == "Hei & tervetuloa"
    assert api.calls_to("sendMessage")[0].params["text"] == "Hei & tervetuloa"


async def test_calls_go_as_json_with_markup_and_any_text(api: BotApiEmulator) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    user = api.add_user(started=True)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Kyllä ✓", callback_data="rsvp:1:y")]])
    async with emulator_bot(api) as bot:
        me = await bot.get_me()  # no parameters: no body at all
        message = await bot.send_message(user, 'Sámi "čállin" \\ 🌱', reply_markup=markup)
    assert me.is_bot
    assert message.text == 'Sámi "čállin" \\ 🌱'
    button = message.reply_markup.inline_keyboard[0][0]  # type: ignore[union-attr]
    assert (button.text, button.callback_data) == ("Kyllä ✓", "rsvp:1:y")


async def test_file_uploads_go_as_multipart(api: BotApiEmulator) -> None:
    user = api.add_user(started=True)
    async with emulator_bot(api) as bot:
        await bot.send_document(user, b"BEGIN:VCALENDAR\r\n", filename="meetup.ics", caption="Ok")
    (document,) = api.documents
    assert document.data == b"BEGIN:VCALENDAR\r\n"
    assert document.file_name == "meetup.ics"
    assert api.calls_to("sendDocument")[0].params["caption"] == "Ok"


async def test_telegram_errors_come_back_as_ptb_errors(api: BotApiEmulator) -> None:
    user = api.add_user(started=False)
    async with emulator_bot(api) as bot:
        with pytest.raises(Forbidden):
            await bot.send_message(user, "Hei")


async def test_a_slow_answer_times_out(slow_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.05)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(slow_server, "POST")
        with pytest.raises(TimedOut):  # a per-call timeout overrides the default
            await AiohttpRequest.do_request(request, slow_server, "POST", read_timeout=0.05)
    finally:
        await request.shutdown()


async def test_a_full_pool_times_out(slow_server: str) -> None:
    request = AiohttpRequest(connection_pool_size=1, read_timeout=5, pool_timeout=0.05)
    await request.initialize()
    try:
        first = asyncio.create_task(request.do_request(slow_server, "POST"))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut):
            await request.do_request(slow_server, "POST", connect_timeout=0.05)
        assert await first == (200, b'{"ok": true, "result": true}')
    finally:
        await request.shutdown()


async def test_an_unreachable_server_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
            await request.do_request(f"http://127.0.0.1:{closed_port()}/bot/getMe", "POST")
    finally:
        await request.shutdown()


async def test_shutdown_is_repeatable_and_initialize_reopens(api: BotApiEmulator) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{api.base_url}{api.token}/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    await request.initialize()
    try:
        status, body = await request.do_request(f"{api.base_url}{api.token}/getMe", "POST")
    finally:
        await request.shutdown()
    assert status == 200
    assert b'"is_bot": true' in body
