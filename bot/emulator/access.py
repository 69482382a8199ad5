"""Resolving chat ids and checking what the bot may do there (Telegram's 400/403 rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model import ChatState, MemberState, bad, forbidden
from .world import World

Params = dict[str, Any]
Handler = Callable[[Params], Any]

PRIVATE_STATUS = "chat member status can't be changed in private chats"


class ChatAccess:
    """Base of the method implementations: the world plus chat access checks."""

    def __init__(self, world: World) -> None:
        self.world = world

    def chat(self, chat_id: int | str) -> ChatState:
        """Resolve ``chat_id``; usernames are not modelled."""
        w = self.world
        chat = w.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None and isinstance(chat_id, int) and chat_id in w.users:
            chat = None if chat_id == w.bot.id else w.private_chat(chat_id)
        if chat is None:
            raise bad("chat not found")
        if chat.migrated_to is not None:
            raise bad(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        return chat

    def visible_chat(self, chat_id: int | str) -> ChatState:
        """A chat the bot can look at: a group it is in, or a user who contacted it."""
        chat = self.chat(chat_id)
        if chat.is_group:
            self._require_bot_in(chat)
        elif not (self.world.users[chat.id].started or chat.join_requests or chat.messages):
            raise bad("chat not found")
        return chat

    def writable_chat(self, chat_id: int | str) -> ChatState:
        """A chat the bot may send into (Telegram's 403 rules)."""
        chat = self.chat(chat_id)
        if chat.is_group:
            self._require_bot_in(chat)
            return chat
        user = self.world.users[chat.id]
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not self.world.can_message_privately(user):
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def _require_bot_in(self, chat: ChatState) -> None:
        member = chat.member(self.world.bot.id)
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if member.status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if not member.present:
            raise forbidden(f"bot is not a member of the {kind} chat")

    def _managed_group(self, chat_id: int | str, supergroup_only: str | None = None) -> ChatState:
        chat = self.chat(chat_id)
        if not chat.is_group:
            raise bad(PRIVATE_STATUS)
        self._require_bot_in(chat)
        if supergroup_only and chat.type != "supergroup":
            raise bad(supergroup_only)
        return chat

    def _require_right(self, chat: ChatState, right: str, error: str) -> None:
        if chat.is_group and not self.world.has_right(chat, self.world.bot.id, right):
            raise bad(error)

    def _target(self, user_id: int) -> int:
        if user_id not in self.world.users:
            raise bad("user not found")
        return user_id

    def _change(self, chat: ChatState, user_id: int, new: MemberState, **extra: Any) -> None:
        if chat.member(user_id) != new:
            self.world.set_member(chat, user_id, new, self.world.bot, **extra)
