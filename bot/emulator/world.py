"""The emulated Telegram world: the bot, users, chats, memberships, messages and updates."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .formatting import entity_text, mentions
from .model import (
    DEFAULT_BOT_RIGHTS,
    EXCLUDED_BY_DEFAULT,
    HUMAN_ADMIN_RIGHTS,
    JOIN_REQUEST_DM_WINDOW,
    ChatState,
    Json,
    MemberState,
    StoredDocument,
    UserState,
)
from .schema import Schema


class World:
    """State shared by the Bot API methods and the update producers."""

    def __init__(
        self,
        schema: Schema,
        *,
        token: str,
        bot_username: str,
        can_read_all_group_messages: bool,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self.schema = schema
        self.clock = clock
        self.wall_clock = wall_clock
        bot_id = int(token.split(":")[0])
        self.bot = UserState(bot_id, "Vertaisbot", username=bot_username, is_bot=True)
        self.can_read_all_group_messages = can_read_all_group_messages
        self.users: dict[int, UserState] = {self.bot.id: self.bot}
        self.chats: dict[int, ChatState] = {}
        self.updates: list[Json] = []
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default
        self.webhook_url = ""
        self.webhook_secret = ""
        self.commands: dict[tuple[str, str], list[Json]] = {}
        self.documents: list[StoredDocument] = []
        self.callback_queries: dict[str, bool] = {}  # id -> answered
        self._update_event = asyncio.Event()
        self.poller_waiting = asyncio.Event()  # set while a getUpdates long poll waits
        self.pollers = 0
        self._next_update_id = 1
        self._user_ids = itertools.count(1001)
        self._group_ids = itertools.count(1)
        self._serial = itertools.count(1)

    # -- ids and time --

    def now(self) -> int:
        return int(self.wall_clock())

    def serial(self) -> int:
        """A fresh number for file ids, callback ids and invite links."""
        return next(self._serial)

    def new_group_id(self, supergroup: bool) -> int:
        n = next(self._group_ids)
        return -(1_001_000_000_000 + n) if supergroup else -(500_000_000 + n)

    # -- users and chats --

    def add_user(self, first_name: str, language_code: str | None, *, started: bool) -> int:
        user_id = next(self._user_ids)
        self.users[user_id] = UserState(user_id, first_name, language_code, started=started)
        return user_id

    def add_group(
        self,
        title: str,
        *,
        supergroup: bool,
        forum: bool,
        members: Iterable[int],
        admins: Iterable[int],
        owner: int | None,
        bot_member: bool,
        bot_admin: bool,
        bot_rights: Mapping[str, bool] | None,
    ) -> int:
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        chat = ChatState(self.new_group_id(supergroup), "supergroup" if supergroup else "group")
        chat.title, chat.is_forum = title, forum
        for user_id in members:
            chat.members[self.user(user_id).id] = MemberState("member")
        for user_id in admins:
            rights = dict(HUMAN_ADMIN_RIGHTS)
            chat.members[self.user(user_id).id] = MemberState(
                "administrator", rights, promoted_by=owner
            )
        if owner is not None:
            chat.members[self.user(owner).id] = MemberState("creator")
        if bot_member and bot_admin:
            rights = self.admin_rights(DEFAULT_BOT_RIGHTS if bot_rights is None else bot_rights)
            chat.members[self.bot.id] = MemberState("administrator", rights, promoted_by=owner)
        elif bot_member:
            chat.members[self.bot.id] = MemberState("member")
        self.chats[chat.id] = chat
        return chat.id

    def user(self, user_id: int) -> UserState:
        try:
            return self.users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}") from None

    def group(self, chat_id: int) -> ChatState:
        chat = self.chats.get(chat_id)
        if chat is None or not chat.is_group:
            raise ValueError(f"unknown group {chat_id}")
        return chat

    def private_chat(self, user_id: int) -> ChatState:
        chat = self.chats.get(user_id)
        if chat is None:
            self.user(user_id)
            chat = self.chats[user_id] = ChatState(user_id, "private")
        return chat

    def chat_api(self, chat: ChatState) -> Json:
        if chat.type == "private":
            user = self.user(chat.id).to_api()
            data = {"id": chat.id, "type": "private", "first_name": user["first_name"]}
            data.update({k: user[k] for k in ("last_name", "username") if k in user})
            return data
        data = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
        if chat.is_forum:
            data["is_forum"] = True
        return data

    def can_message_privately(self, user: UserState) -> bool:
        """Started the bot, or has a pending join request younger than 5 minutes."""
        if user.started:
            return True
        now = self.clock()
        return any(
            now - asked < JOIN_REQUEST_DM_WINDOW
            for chat in self.chats.values()
            if (asked := chat.join_requests.get(user.id)) is not None
        )

    # -- members --

    def admin_rights(self, rights: Mapping[str, bool]) -> dict[str, bool]:
        """Validate a ChatAdministratorRights-style dict; every admin can manage the chat."""
        known = self.schema.type_fields("ChatAdministratorRights")
        unknown = set(rights) - set(known)
        if unknown:
            raise ValueError(f"unknown administrator rights: {sorted(unknown)}")
        return {"can_manage_chat": True, **rights}

    def member_api(self, chat: ChatState, user_id: int) -> Json:
        """The ChatMember object for ``user_id`` in ``chat``."""
        member = chat.member(user_id)
        data: Json = {"status": member.status, "user": self.user(user_id).to_api()}
        if member.status == "creator":
            data["is_anonymous"] = False
        elif member.status == "administrator":
            data["can_be_edited"] = member.promoted_by == self.bot.id
            data.update(self.rights_api(member.rights))
        elif member.status == "restricted":
            data["is_member"] = member.is_member
            data.update(self._booleans("ChatMemberRestricted", member.permissions))
            data["until_date"] = member.until_date
        elif member.status == "kicked":
            data["until_date"] = member.until_date
        return data

    def rights_api(self, rights: Mapping[str, bool]) -> Json:
        """A full ChatAdministratorRights object: required flags filled in with False."""
        return self._booleans("ChatAdministratorRights", rights)

    def defaults(self, type_name: str, values: Mapping[str, Any] | None = None) -> Json:
        """An object of ``type_name`` with required Boolean fields defaulting to False."""
        return {**self._booleans(type_name, {}), **(values or {})}

    def _booleans(self, type_name: str, values: Mapping[str, bool]) -> Json:
        fields = self.schema.type_fields(type_name)
        return {
            name: bool(values.get(name, False))
            for name, (types, required) in fields.items()
            if types == ["Boolean"] and (required or name in values) and name != "is_member"
        }

    def has_right(self, chat: ChatState, user_id: int, right: str) -> bool:
        member = chat.member(user_id)
        return member.status == "creator" or (
            member.status == "administrator" and member.rights.get(right, False)
        )

    def set_member(
        self, chat: ChatState, user_id: int, new: MemberState, actor: UserState, **extra: Any
    ) -> Json:
        """Change a membership and queue the chat_member / my_chat_member update."""
        old_api = self.member_api(chat, user_id)
        chat.members[user_id] = new
        payload = {
            "chat": self.chat_api(chat),
            "from": actor.to_api(),
            "date": self.now(),
            "old_chat_member": old_api,
            "new_chat_member": self.member_api(chat, user_id),
            **extra,
        }
        if user_id == self.bot.id:
            return self.push_update("my_chat_member", payload)
        # Only administrators receive chat_member updates.
        bot_status = chat.member(self.bot.id).status
        return self.push_update(
            "chat_member", payload, deliver=bot_status in ("creator", "administrator")
        )

    def join(self, chat: ChatState, user_id: int, actor: UserState, **extra: Any) -> list[Json]:
        """A user becomes a member: chat_member update plus new_chat_members message."""
        member_update = self.set_member(chat, user_id, MemberState("member"), actor, **extra)
        user = self.user(user_id)
        message = self.store_message(chat, user, {"new_chat_members": [user.to_api()]})
        return [member_update, self.push_message(chat, message)]

    def leave(self, chat: ChatState, user_id: int) -> list[Json]:
        """A user leaves: chat_member update plus left_chat_member message."""
        user = self.user(user_id)
        member_update = self.set_member(chat, user_id, MemberState("left"), user)
        message = self.store_message(chat, user, {"left_chat_member": user.to_api()})
        return [member_update, self.push_message(chat, message)]

    def present_members(self, chat: ChatState) -> Iterable[int]:
        return (uid for uid, m in chat.members.items() if m.present)

    # -- messages --

    def store_message(
        self, chat: ChatState, sender: UserState, content: Mapping[str, Any]
    ) -> Json:
        """Create a message in ``chat``; returns a copy of the stored dict."""
        message: Json = {
            "message_id": chat.next_message_id,
            "from": sender.to_api(),
            "chat": self.chat_api(chat),
            "date": self.now(),
            **content,
        }
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        return copy.deepcopy(message)

    def push_message(self, chat: ChatState, message: Json) -> Json:
        return self.push_update("message", message, deliver=self.bot_sees(chat, message))

    def bot_sees(self, chat: ChatState, message: Mapping[str, Any]) -> bool:
        """Privacy mode: without admin rights or can_read_all_group_messages the bot gets only
        commands, replies to its messages, mentions and service messages in groups."""
        if not chat.is_group:
            return True
        bot_member = chat.member(self.bot.id)
        if not bot_member.present:
            return False
        text = message.get("text")
        if (
            text is None
            or self.can_read_all_group_messages
            or bot_member.status in ("creator", "administrator")
        ):
            return True
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        username = self.bot.username or ""
        commands = [
            entity_text(text, e) for e in message.get("entities", []) if e["type"] == "bot_command"
        ]
        return (
            replied == self.bot.id
            or mentions(text, username)
            or any("@" not in c or c.lower().endswith("@" + username.lower()) for c in commands)
        )

    # -- updates --

    def push_update(self, kind: str, payload: Json, *, deliver: bool = True) -> Json:
        """Validate and queue an update (unless Telegram would not send it to this bot)."""
        update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
        self.schema.validate("Update", update)
        self._next_update_id += 1
        if deliver:
            self.updates.append(update)
            self.notify()
        return copy.deepcopy(update)

    def notify(self) -> None:
        """Wake every long poller (they re-check the queue)."""
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    @property
    def update_event(self) -> asyncio.Event:
        return self._update_event

    def confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def pending(self, limit: int) -> list[Json]:
        """Deliverable updates; types excluded by allowed_updates are skipped."""
        return [u for u in self.updates if self.is_allowed(u)][:limit]

    def is_allowed(self, update: Mapping[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates is None:
            return kind not in EXCLUDED_BY_DEFAULT
        return kind in self.allowed_updates
