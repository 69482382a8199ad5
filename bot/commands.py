"""The command menu Telegram shows, per language and per kind of chat."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.i18n import N_, Translations, Translator

PRIVATE = (
    ("start", N_("Welcome and what I can do")),
    ("help", N_("What you can do here")),
    ("rules", N_("The rules of your group")),
    ("meetups", N_("Coming meetups")),
    ("reminders", N_("Meetup reminders on or off")),
    ("language", N_("Choose your language")),
    ("contacts", N_("Phone numbers and places that help")),
    ("ask", N_("Ask the facilitators, anonymously if you like")),
    ("anon", N_("Post to your group without your name")),
    ("crisis", N_("Help lines, day and night")),
    ("checkins", N_("Questions after meetups on or off")),
    ("privacy", N_("What I keep about you")),
    ("mydata", N_("A copy of your data")),
    ("forgetme", N_("Erase your data")),
)
GROUP = (
    ("help", N_("What I do in this group")),
    ("rules", N_("The group's rules")),
    ("meetups", N_("Coming meetups")),
    ("report", N_("Report a message privately (reply to it)")),
)
ADMINS = (
    *GROUP,
    ("meetup", N_("Add, edit or cancel a meetup")),
    ("warn", N_("Remind a member of the rules privately")),
    ("pause", N_("Pause a member's posting for a while")),
    ("remove", N_("Remove a member from the group")),
    ("del", N_("Delete the replied message")),
    ("modlog", N_("Recent moderation actions (staff chat)")),
    ("refresh", N_("Refresh the list of facilitators")),
    ("setrules", N_("Change the group's rules")),
    ("groupsettings", N_("The group's settings")),
    ("pinhelp", N_("Pin a message with private help buttons")),
    ("answer", N_("Answer an anonymous question (staff chat)")),
    ("contact", N_("Your region's contacts (staff chat)")),
    ("stats", N_("Anonymous figures (staff chat)")),
    ("setup", N_("Register this group (organisation admins)")),
)
MENUS: tuple[tuple[BotCommandScope, tuple[tuple[str, str], ...]], ...] = (
    (BotCommandScopeAllPrivateChats(), PRIVATE),
    (BotCommandScopeAllGroupChats(), GROUP),
    (BotCommandScopeAllChatAdministrators(), ADMINS),
)


def menu(t: Translator, entries: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(command, t.gettext(description)) for command, description in entries]


async def publish_commands(bot: Bot, translations: Translations, default_language: str) -> None:
    """One menu per scope and language, plus a fallback for other app languages."""
    for scope, entries in MENUS:
        for t in translations.all():
            await bot.set_my_commands(menu(t, entries), scope=scope, language_code=t.language)
        await bot.set_my_commands(menu(translations(default_language), entries), scope=scope)
