"""Feature modules, in the order their handlers are registered."""

from __future__ import annotations

from bot.context import BotApplication
from handlers import (
    anon_posts,
    chats,
    checkins,
    contacts,
    crisis,
    crisis_words,
    facilitators,
    flood,
    goodbye,
    groupsettings,
    inputs,
    joining,
    joining_flow,
    language,
    meetups,
    members,
    moderation,
    modlog,
    pinhelp,
    privacy,
    questions,
    reminders,
    reports,
    retention,
    rsvp,
    rules,
    setup,
    start,
    stats,
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
    crisis_words,
    privacy,
    contacts,
    questions,
    anon_posts,
    pinhelp,
    retention,
    checkins,
    stats,
    # Last: a member's plain private texts, after every feature had its chance.
    inputs,
)


def register_all(app: BotApplication) -> None:
    for feature in FEATURES:
        feature.register(app)
