"""The playground's world: the real Application against the emulator, four people, two chats.

Everything happens on 127.0.0.1: the emulator answers the bot's Bot API calls, the bot polls
it for updates as it would poll Telegram, and the page produces those updates by "typing" and
"tapping" as one of the people. Storage is a throw-away SQLite file in a temporary directory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from telegram import Update

from bot.app import build_application
from bot.clock import ManualClock
from bot.context import BotApplication, services_of
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from handlers.reminders import PLAN_JOB, upcoming
from storage import Store

log = logging.getLogger(__name__)
BOT_USERNAME = "vertaisbot_playground_bot"
Role = Literal["member", "facilitator", "admin"]
# (key, Telegram first name, Telegram language_code, role); the bot speaks each one's language.
PEOPLE: tuple[tuple[str, str, str, Role], ...] = (
    ("member-a", "Member A", "fi", "member"),
    ("member-b", "Member B", "sv", "member"),
    ("facilitator", "Facilitator", "fi", "facilitator"),
    ("admin", "Admin", "en", "admin"),
)
ClockTarget = Literal["hour", "day-before-meetup", "next-morning"]


class PlaygroundSettings(Settings):
    """Settings from arguments only: a developer's VERTAISBOT_* variables must not leak in."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class PlaygroundClock(ManualClock):
    """Runs with real time from where it was last set; the page moves it forward."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._since = time.monotonic()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=time.monotonic() - self._since)

    def advance(self, delta: timedelta) -> datetime:
        moment = self.now() + delta
        self.set(moment)
        return moment

    def set(self, moment: datetime) -> None:
        super().set(moment)
        self._since = time.monotonic()


@dataclass(frozen=True)
class Persona:
    key: str
    user_id: int
    first_name: str
    language: str
    role: Role


class Playground:
    """Owns the emulator and the running bot; the web server calls the actions below."""

    def __init__(self, directory: Path) -> None:
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        self.clock = PlaygroundClock(start)
        self.api = BotApiEmulator(
            bot_username=BOT_USERNAME, wall_clock=lambda: self.clock.now().timestamp()
        )
        self.directory = directory
        self.personas: dict[str, Persona] = {}
        self.group_id = self.staff_id = 0
        self.app: BotApplication | None = None
        self.changes = 0  # bumped by every action, so waiting pages look again
        self._changed = asyncio.Event()  # replaced (and set) on every action
        self.queries: dict[str, int] = {}  # callback query id -> chat it was pressed in
        self._delivered: set[int] = set()

    # -- lifecycle --

    async def start(self) -> None:
        """Start the emulator and the bot, seed the world, then let the bot poll."""
        from bot.playground.seed import seed  # seeding drives the actions defined here

        await self.api.start()
        self._create_people_and_chats()
        settings = PlaygroundSettings(
            telegram={"api_base_url": self.api.base_url},
            storage={"url": f"sqlite:///{self.directory / 'playground.db'}"},
            bot={"admins": [self.personas["admin"].user_id]},
        )
        app = build_application(settings, SecretStr(self.api.token), clock=self.clock)
        self.app = app
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await seed(self)
        pending = self.api.pending_updates
        if pending:  # delivered while seeding: the poller must not get them again
            self.api.world.confirm(pending[-1]["update_id"] + 1)
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)

    async def stop(self) -> None:
        app = self.app
        if app is not None:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
            await app.shutdown()
            self.app = None
        await self.api.close()

    def _create_people_and_chats(self) -> None:
        api = self.api
        for key, name, language, role in PEOPLE:
            # Member A has never talked to the bot: the join request opens the chat.
            started = key != "member-a"
            user_id = api.add_user(first_name=name, language_code=language, started=started)
            self.personas[key] = Persona(key, user_id, name, language, role)
        facilitator, admin = self.personas["facilitator"], self.personas["admin"]
        self.group_id = api.add_group(
            "Lapin vertaisryhmä", admins=[facilitator.user_id], owner=admin.user_id
        )
        self.staff_id = api.add_group(
            "Lapin ohjaajat", admins=[facilitator.user_id], owner=admin.user_id
        )

    @property
    def store(self) -> Store:
        assert self.app is not None
        store = services_of(self.app).store
        assert store is not None
        return store

    # -- seeding: updates processed directly, like polling would, before polling starts --

    async def deliver(self, update: dict[str, Any]) -> None:
        assert self.app is not None
        self._delivered.add(update["update_id"])
        await self.app.process_update(Update.de_json(update, self.app.bot))
        while pending := [
            u for u in self.api.pending_updates if u["update_id"] not in self._delivered
        ]:
            for queued in pending:
                self._delivered.add(queued["update_id"])
                await self.app.process_update(Update.de_json(queued, self.app.bot))

    # -- what the page can do --

    def _bump(self) -> None:
        self.changes += 1
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Until a person acts or the bot calls the Bot API (or ``timeout`` passes)."""
        waits = [
            asyncio.ensure_future(self._changed.wait()),
            asyncio.ensure_future(self.api.wait_for_any_call(timeout)),
        ]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def persona(self, key: str) -> Persona:
        try:
            return self.personas[key]
        except KeyError:
            raise ValueError(f"unknown person {key!r}") from None

    def say(self, key: str, chat_id: int, text: str, reply_to: int | None = None) -> None:
        """``key`` writes ``text`` in their private chat with the bot or in a group."""
        user = self.persona(key).user_id
        text = text.strip()
        if not text:
            raise ValueError("empty message")
        if chat_id == user:
            self.api.private_message(user, text, reply_to_message_id=reply_to)
        elif chat_id in (self.group_id, self.staff_id):
            self.api.group_message(chat_id, user, text, reply_to_message_id=reply_to)
        else:
            raise ValueError("that chat is not theirs")
        self._bump()

    def press(self, key: str, chat_id: int, message_id: int, data: str) -> None:
        """``key`` taps the inline button carrying ``data`` under a message."""
        user = self.persona(key).user_id
        if chat_id not in (user, self.group_id, self.staff_id):
            raise ValueError("that chat is not theirs")
        message = {"chat": {"id": chat_id}, "message_id": message_id}
        update = self.api.press_button(user, message, data)
        self.queries[update["callback_query"]["id"]] = chat_id
        self._bump()

    def ask_to_join(self, key: str) -> None:
        """``key`` opens the group's invite link, which asks the admins to let them in."""
        self.api.join_request(self.group_id, self.persona(key).user_id)
        self._bump()

    def leave(self, key: str) -> None:
        self.api.user_leaves(self.group_id, self.persona(key).user_id)
        self._bump()

    async def move_clock(self, target: ClockTarget) -> datetime:
        """Move the bot's time forward, then run the scheduled jobs that are due by then."""
        now = self.clock.now()
        if target == "hour":
            moment = now + timedelta(hours=1)
        elif target == "next-morning":
            zone = self.zone
            tomorrow = now.astimezone(zone).date() + timedelta(days=1)
            moment = datetime.combine(tomorrow, datetime.min.time().replace(hour=9), zone)
        else:
            moment = await self._day_before_next_meetup(now)
        self.clock.set(max(moment, now))
        self._bump()
        await self.run_jobs()
        return self.clock.now()

    async def _day_before_next_meetup(self, now: datetime) -> datetime:
        meetups = await self.store.meetups.for_chats([self.group_id])
        starts = [
            start
            for meetup in meetups
            for start in upcoming(meetup, now, now + timedelta(days=40))
            if start - timedelta(days=1) > now
        ]
        if not starts:
            raise ValueError("no meetup is coming")
        return min(starts) - timedelta(days=1) + timedelta(minutes=1)

    async def run_jobs(self) -> None:
        """Every repeating job once (planning first), as if its interval had passed."""
        queue = self._app.job_queue
        if queue is None:
            return
        for job in sorted(queue.jobs(), key=lambda job: job.name != PLAN_JOB):
            await job.run(self._app)

    @property
    def zone(self) -> ZoneInfo:
        return services_of(self._app).settings.bot.zone

    @property
    def _app(self) -> BotApplication:
        assert self.app is not None
        return self.app
