"""Shared services and the typed callback context every handler receives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.i18n import Translations, Translator, resolve_language
from bot.metrics import Metrics
from bot.settings import Settings

if TYPE_CHECKING:
    from storage import Chat, Member, Store
    from storage.inputs import PendingInput
    from storage.leadership import Leadership

# A deep-link handler gets the part of the /start payload after its name ("" if none).
DeepLinkHandler = Callable[[Update, "BotContext", str], Awaitable[None]]
# A private text route: takes a member's private message if it is meant for it (a reply to
# one of its messages); returns whether it did.
PrivateTextRoute = Callable[[Update, "BotContext"], Awaitable[bool]]
# Takes the text the bot was waiting for (see storage.inputs).
InputConsumer = Callable[[Update, "BotContext", "PendingInput"], Awaitable[None]]
_SERVICES_KEY = "vertaisbot.services"


@dataclass
class Services:
    settings: Settings
    clock: Clock
    translations: Translations
    store: Store | None = None
    deep_links: dict[str, DeepLinkHandler] = field(default_factory=dict)
    private_text_routes: list[PrivateTextRoute] = field(default_factory=list)
    input_consumers: dict[str, InputConsumer] = field(default_factory=dict)
    # Pace reminder rounds; tests replace them so that nothing waits for real.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    reminder_leadership: Leadership | None = None
    reminder_round: asyncio.Lock = field(default_factory=asyncio.Lock)
    metrics: Metrics = field(default_factory=Metrics)


BotApplication = Application[
    ExtBot[None], "BotContext", dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


def attach_services(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    application.bot_data[_SERVICES_KEY] = services


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    services: Services = application.bot_data[_SERVICES_KEY]
    return services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Per-update context: who is speaking, where, and in which language we answer."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.member: Member | None = None
        self.registered_chat: Chat | None = None
        self.language: str | None = None
        self.member_language: str | None = None

    @property
    def services(self) -> Services:
        return services_of(self.application)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        store = self.services.store
        if store is None:
            raise RuntimeError("storage is not open yet")
        return store

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def t(self) -> Translator:
        """The translator for this update (resolved once, before the feature handlers run)."""
        return self.services.translations(self.language or self.settings.bot.default_language)

    @property
    def member_t(self) -> Translator:
        """The member's own language, for private answers sent from a group."""
        return self.translator(self.member_language)

    def member_translator(self, member: Member | None) -> Translator:
        """For messages the bot starts itself: the member's choice, else their app's language."""
        if member is None:
            return self.translator(None)
        default = self.settings.bot.default_language
        return self.translator(resolve_language(member.language, member.app_language, default))

    def translator(self, language: str | None) -> Translator:
        return self.services.translations(language or self.settings.bot.default_language)
