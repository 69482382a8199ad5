"""Feature modules, in the order their handlers are registered."""

from __future__ import annotations

from bot.context import BotApplication
from handlers import (
    chats,
    crisis,
    facilitators,
    flood,
    goodbye,
    groupsettings,
    joining,
    joining_flow,
    language,
    meetups,
    members,
    moderation,
    modlog,
    privacy,
    reminders,
    reports,
    rsvp,
    rules,
    setup,
    start,
)

# Cross-cutting modules first: they run in negative groups before every feature.
FEATURES = (
    members,
    chats,
    start,
    language,
    setup,
    rules,
    joining,
    joining_flow,
    groupsettings,
    goodbye,
    facilitators,
    moderation,
    reports,
    modlog,
    flood,
    meetups,
    rsvp,
    reminders,
    crisis,
    privacy,
)


def register_all(app: BotApplication) -> None:
    for feature in FEATURES:
        feature.register(app)
