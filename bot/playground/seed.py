"""The playground's starting point, made the way people would make it: through the bot.

The organisation admin registers the peer group and the staff chat with /setup, the
facilitator adds a weekly meetup with /meetup add, and Member B joins through the invite
link's join request and agrees to the rules. Member A is left for the visitor to bring in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.playground.world import Playground

REGION = "Lappi"
MEETUP_DAYS_AHEAD = 3  # far enough that "the day before" is still to come
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SeedError(RuntimeError):
    """The bot did not do what seeding expected; the playground cannot start."""


async def seed(playground: Playground) -> None:
    await register_chats(playground)
    await add_weekly_meetup(playground)
    await join_and_agree(playground, "member-b")


async def register_chats(playground: Playground) -> None:
    api, admin = playground.api, playground.personas["admin"].user_id
    for chat_id, kind in ((playground.group_id, "group"), (playground.staff_id, "staff")):
        await playground.deliver(api.group_message(chat_id, admin, f"/setup {kind} {REGION} fi"))
        if await playground.store.chats.get(chat_id) is None:
            raise SeedError(f"/setup {kind} did not register the chat")


async def add_weekly_meetup(playground: Playground) -> None:
    api, facilitator = playground.api, playground.personas["facilitator"].user_id
    day = (
        playground.clock.now().astimezone(playground.zone) + timedelta(days=MEETUP_DAYS_AHEAD)
    ).weekday()
    command = (
        f"/meetup add weekly {WEEKDAYS[day]} 17:00 | Vertaisilta | Rovaniemen pääkirjasto | "
        "https://meet.example/lappi"
    )
    await playground.deliver(api.group_message(playground.group_id, facilitator, command))
    preview = last_with_button(playground, playground.group_id, "meetup:ok:")
    data = button_data(preview, "meetup:ok:")
    await playground.deliver(api.press_button(facilitator, preview, data))
    if not await playground.store.meetups.for_chats([playground.group_id]):
        raise SeedError("/meetup add did not add the meetup")


async def join_and_agree(playground: Playground, key: str) -> None:
    api, user = playground.api, playground.personas[key].user_id
    await playground.deliver(api.join_request(playground.group_id, user))
    invitation = last_with_button(playground, user, "join:ok:")
    await playground.deliver(
        api.press_button(user, invitation, button_data(invitation, "join:ok:"))
    )
    if api.member_status(playground.group_id, user) != "member":
        raise SeedError("the join request was not approved")


def last_with_button(playground: Playground, chat_id: int, prefix: str) -> dict[str, Any]:
    for message in reversed(playground.api.messages(chat_id)):
        if any(data.startswith(prefix) for data in _callback_data(message)):
            return message
    raise SeedError(f"the bot sent no {prefix!r} button")


def button_data(message: dict[str, Any], prefix: str) -> str:
    return next(data for data in _callback_data(message) if data.startswith(prefix))


def _callback_data(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [str(b["callback_data"]) for row in rows for b in row if "callback_data" in b]
