"""Webhook mode: the secret, bad requests, health and metrics, draining, several instances."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.clock import ManualClock
from bot.context import BotApplication, BotContext, services_of
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WebhookServer, serve_webhook
from handlers.start import Audience, help_text
from tests.harness import Harness

SECRET = "s3cret-token_for-tests-0123456789"
URL = "https://bot.example.org/telegram"
SEND = "send-due-reminders"


def webhook_settings(api: BotApiEmulator, db_url: str, admin: int) -> Settings:
    return Settings(
        telegram={
            "api_base_url": api.base_url,
            "mode": "webhook",
            "webhook_url": URL,
            "max_body_bytes": 20_000,
        },
        storage={"url": db_url},
        bot={"admins": [admin]},
    )


@dataclass
class Instance:
    app: BotApplication
    server: WebhookServer
    harness: Harness

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def post(
        self,
        body: bytes | dict[str, Any],
        secret: str | None = SECRET,
        path: str = "/telegram",
    ) -> tuple[int, str]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.base + path, data=data, headers=headers) as response,
        ):
            return response.status, await response.text()

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.base + path) as response:
            return response.status, await response.text()


@asynccontextmanager
async def serving(
    settings: Settings, api: BotApiEmulator, clock: ManualClock
) -> AsyncIterator[Instance]:
    app = build_application(settings, SecretStr(api.token), clock=clock)
    stop, started = asyncio.Event(), asyncio.Event()
    servers: list[WebhookServer] = []
    task = asyncio.create_task(
        serve_webhook(
            app, settings, SecretStr(SECRET), stop, port=0, started=started, server_created=servers
        )
    )
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        await task  # raises what went wrong
    try:
        yield Instance(app, servers[0], Harness(app, api, clock))
    finally:
        stop.set()
        await task


@pytest.fixture
async def instance(
    api: BotApiEmulator, db_url: str, admin: int, clock: ManualClock
) -> AsyncIterator[Instance]:
    async with serving(webhook_settings(api, db_url, admin), api, clock) as served:
        yield served


def sent_texts(api: BotApiEmulator, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in api.sent_messages(chat_id)]


async def test_an_update_with_the_secret_is_handled(instance: Instance, api: BotApiEmulator):
    assert (api.world.webhook_url, api.world.webhook_secret) == (URL, SECRET)
    user = api.add_user(language_code="en")
    status, _ = await instance.post(api.private_message(user, "/start"))
    assert status == 200
    # Handled before the answer: the reply is already there.
    assert sent_texts(api, user)[-1].startswith("Hi, and welcome!")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1] + "X", SECRET + "0"])
async def test_without_the_right_secret_nothing_is_processed(
    instance: Instance, api: BotApiEmulator, secret: str | None
):
    user = api.add_user(language_code="en")
    status, _ = await instance.post(api.private_message(user, "/start"), secret=secret)
    assert status == 403
    assert api.sent_messages(user) == []
    assert await instance.harness.store.members.get(user) is None
    assert services_of(instance.app).metrics.webhook_rejected["secret"] == 1


async def test_bad_requests_are_refused_without_crashing(instance: Instance, api: BotApiEmulator):
    user = api.add_user(language_code="en")
    update = api.private_message(user, "/start")
    too_big = json.dumps({**update, "padding": "x" * 30_000}).encode()
    assert (await instance.post(too_big))[0] == 413
    assert (await instance.post(b"{not json"))[0] == 400
    assert (await instance.post(b"\xff\xfe"))[0] == 400
    assert (await instance.post(b"[1, 2, 3]"))[0] == 400
    assert (await instance.post({"update_id": "seven"}))[0] == 400
    assert (await instance.post({"message": {"text": "no id"}}))[0] == 400
    assert (await instance.get("/telegram"))[0] == 405
    assert (await instance.post(update, path="/elsewhere"))[0] == 404
    assert api.sent_messages(user) == []
    # Still serving afterwards.
    assert (await instance.post(update))[0] == 200
    assert sent_texts(api, user)[-1].startswith("Hi, and welcome!")
    rejected = services_of(instance.app).metrics.webhook_rejected
    assert (rejected["size"], rejected["json"]) == (1, 5)


async def test_an_unknown_kind_of_update_is_accepted_and_ignored(
    instance: Instance, api: BotApiEmulator
):
    status, _ = await instance.post({"update_id": 10_000, "future_kind": {"x": 1}})
    assert status == 200


async def test_health_reports_storage_and_scheduler(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
):
    status, body = await instance.get("/healthz")
    assert (status, json.loads(body)) == (200, {"storage": "ok", "scheduler": "ok"})

    async def unreachable() -> bool:
        raise OSError("connection refused")

    monkeypatch.setattr(instance.harness.store.health, "ping", unreachable)
    status, body = await instance.get("/healthz")
    assert (status, json.loads(body)) == (503, {"storage": "down", "scheduler": "ok"})


async def test_metrics_count_without_ids(instance: Instance, api: BotApiEmulator):
    user = api.add_user(first_name="Visible-Name", language_code="en")
    for text in ("/start", "/help", "/crisis"):
        assert (await instance.post(api.private_message(user, text)))[0] == 200
    await instance.post(b"{}", secret="nope")
    status, body = await instance.get("/metrics")
    assert status == 200
    assert "vertaisbot_updates_total 3\n" in body
    assert "vertaisbot_errors_total 0\n" in body
    assert 'vertaisbot_webhook_rejected_total{reason="secret"} 1\n' in body
    assert 'vertaisbot_update_seconds_bucket{le="+Inf"} 3\n' in body
    assert "vertaisbot_questions_open 0\n" in body
    assert "vertaisbot_up 1\n" in body
    assert str(user) not in body
    assert "Visible-Name" not in body
    for line in body.splitlines():
        assert line.startswith("#") or line.startswith("vertaisbot_"), line


async def test_stopping_finishes_the_update_in_hand_and_refuses_new_ones(
    api: BotApiEmulator, db_url: str, admin: int, clock: ManualClock
):
    settings = webhook_settings(api, db_url, admin)
    app = build_application(settings, SecretStr(api.token), clock=clock)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(update: Update, _context: BotContext) -> None:
        if update.effective_message and update.effective_message.text == "/slow":
            entered.set()
            await release.wait()

    app.add_handler(TypeHandler(Update, slow), group=-100)
    stop, started = asyncio.Event(), asyncio.Event()
    servers: list[WebhookServer] = []
    task = asyncio.create_task(
        serve_webhook(
            app, settings, SecretStr(SECRET), stop, port=0, started=started, server_created=servers
        )
    )
    await started.wait()
    served = Instance(app, servers[0], Harness(app, api, clock))
    user = api.add_user(language_code="en")
    in_hand = asyncio.create_task(served.post(api.private_message(user, "/slow")))
    await entered.wait()
    stop.set()  # what SIGTERM does
    for _ in range(20):
        await asyncio.sleep(0)
    assert not task.done()  # waits for the update in hand
    release.set()
    assert (await in_hand)[0] == 200
    await asyncio.wait_for(task, 10)
    assert not app.running


# --- several instances behind one webhook URL, one database ------------------------------------


async def test_two_instances_share_the_work_consistently(
    api: BotApiEmulator, db_url: str, admin: int, clock: ManualClock
):
    settings = webhook_settings(api, db_url, admin)
    async with serving(settings, api, clock) as first, serving(settings, api, clock) as second:
        instances = (first, second)
        host = api.add_user(language_code="en", started=True)
        members = [api.add_user(language_code="en", started=True) for _ in range(12)]
        group = api.add_group(members=members, admins=[host], owner=admin)
        store = first.harness.store
        await store.chats.register(group, "peer_group", "Lappi", "en", clock.now())
        for n, user in enumerate((host, *members)):
            assert (await instances[n % 2].post(api.private_message(user, "/start")))[0] == 200
            await store.joins.record_consent(user, group, 0, clock.now())
        # Language chosen through one instance, used by the other.
        await first.post(api.private_message(members[0], "/language"))
        await second.post(
            api.press_button(members[0], api.sent_messages(members[0])[-1], "lang:sv")
        )
        await first.post(api.private_message(members[0], "/help"))
        swedish = first.harness.translations("sv")
        assert sent_texts(api, members[0])[-1] == help_text(swedish, Audience.MEMBER_PRIVATE)

        status, _ = await first.post(
            api.group_message(group, host, "/meetup add 3.12. 17:00 | Pizza | Library")
        )
        assert status == 200
        preview = api.sent_messages(group)[-1]
        confirm = next(
            b["callback_data"]
            for row in preview["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("meetup:ok")
        )
        await second.post(api.press_button(host, preview, confirm))
        card = api.sent_messages(group)[-1]
        yes = next(
            b["callback_data"]
            for row in card["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].endswith(":y")
        )
        # Every member says yes at once, through both instances: no answer is lost.
        results = await asyncio.gather(
            *(
                instances[n % 2].post(api.press_button(user, card, yes))
                for n, user in enumerate(members)
            )
        )
        assert {status for status, _ in results} == {200}
        meetup = (await store.meetups.for_chats([group]))[0]
        counts = await store.rsvps.counts(
            meetup.meetup_id, datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
        )
        assert counts.yes == len(members)

        for user in members:
            await store.rsvps.subscribe(user, group, clock.now())
        clock.set(datetime(2026, 12, 2, 15, 1, tzinfo=UTC))
        api.clear_calls()
        await asyncio.gather(
            first.harness.run_job("plan-reminders"), second.harness.run_job("plan-reminders")
        )
        await asyncio.gather(
            first.harness.run_job(SEND), second.harness.run_job(SEND), first.harness.run_job(SEND)
        )
        reminded = [c.params["chat_id"] for c in api.calls_to("sendMessage") if c.ok]
        # The group once, and each member once: nobody twice.
        assert sorted(reminded) == sorted([group, *members])
