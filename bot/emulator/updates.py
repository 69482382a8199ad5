"""Update producers: things users (and Telegram) do, turned into queued updates.

Each producer checks that the action is possible (raising ``ValueError`` for a mistake in
the test's script), changes the world, and returns the update dict(s) it produced.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .formatting import command_entities
from .model import (
    DEFAULT_BOT_RIGHTS,
    HUMAN_ADMIN_RIGHTS,
    ChatState,
    Json,
    MemberState,
    UserState,
    without_reply,
)
from .world import World

# Telegram's stand-in sender for messages an anonymous administrator sends as the group.
ANONYMOUS_ADMIN = UserState(
    1087968824, "Group", username="GroupAnonymousBot", is_bot=True, started=True
)


class UpdateProducers:
    """Mixin for :class:`BotApiEmulator`; needs ``self.world``."""

    world: World

    # -- messages --

    def private_message(
        self, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> Json:
        """The user writes to the bot (which implies they started it), perhaps as a reply."""
        w = self.world
        user = w.user(user_id)
        if user.blocked:
            raise ValueError(f"user {user_id} blocked the bot; use user_unblocks_bot() first")
        user.started = True
        chat = w.private_chat(user_id)
        content = _text(text)
        if reply_to_message_id is not None:
            replied = chat.messages.get(reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in the private chat")
            content["reply_to_message"] = without_reply(replied)
        return w.push_message(chat, w.store_message(chat, user, content))

    def topic_created(self, chat_id: int, user_id: int, name: str) -> Json:
        """An administrator creates a forum topic: its service message (forum_topic_created).

        The topic's id (message_thread_id) is the id of that message.
        """
        w = self.world
        chat = self._live_group(chat_id)
        if not chat.is_forum:
            raise ValueError(f"chat {chat_id} is not a forum")
        self._member_actor(chat, user_id, admin=True)
        thread_id = chat.next_message_id
        content: Json = {
            "message_thread_id": thread_id,
            "forum_topic_created": {"name": name, "icon_color": 0x6FB9F0},
        }
        chat.topics[thread_id] = name
        return w.push_message(chat, w.store_message(chat, w.user(user_id), content))

    def topic_edited(
        self, chat_id: int, user_id: int, thread_id: int, name: str | None = None
    ) -> Json:
        """An administrator renames a topic (``name``) or changes only its icon (None)."""
        edited: Json = {"icon_custom_emoji_id": ""} if name is None else {"name": name}
        if name is not None:
            self._topic_chat(chat_id, thread_id).topics[thread_id] = name
        return self._topic_service(chat_id, user_id, thread_id, {"forum_topic_edited": edited})

    def topic_closed(self, chat_id: int, user_id: int, thread_id: int) -> Json:
        """An administrator closes a topic: forum_topic_closed in the topic."""
        return self._topic_service(chat_id, user_id, thread_id, {"forum_topic_closed": {}})

    def topic_reopened(self, chat_id: int, user_id: int, thread_id: int) -> Json:
        """An administrator reopens a topic: forum_topic_reopened in the topic."""
        return self._topic_service(chat_id, user_id, thread_id, {"forum_topic_reopened": {}})

    def _topic_chat(self, chat_id: int, thread_id: int) -> ChatState:
        chat = self._live_group(chat_id)
        if thread_id not in chat.topics:
            raise ValueError(f"chat {chat_id} has no topic {thread_id}")
        return chat

    def _topic_service(self, chat_id: int, user_id: int, thread_id: int, service: Json) -> Json:
        # Like every message in a topic, it carries the topic's first message as its reply.
        w = self.world
        chat = self._topic_chat(chat_id, thread_id)
        self._member_actor(chat, user_id, admin=True)
        content: Json = {"message_thread_id": thread_id, "is_topic_message": True, **service}
        first = chat.messages.get(thread_id)
        if first is not None:
            content["reply_to_message"] = without_reply(first)
        return w.push_message(chat, w.store_message(chat, w.user(user_id), content))

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
        as_group: bool = False,
    ) -> Json:
        """A member writes in a group; queued only if the bot would see it (privacy mode).

        ``as_group``: an anonymous administrator, whose messages come from the group itself.
        """
        w = self.world
        chat = self._live_group(chat_id)
        if as_group:
            self._member_actor(chat, user_id, admin=True)
        member = chat.member(user_id)
        if not member.present:
            raise ValueError(f"user {user_id} is not a member of chat {chat_id}")
        if member.status == "restricted" and not member.permissions.get("can_send_messages"):
            raise ValueError(f"user {user_id} may not send messages in chat {chat_id}")
        content = _text(text)
        if reply_to_message_id is not None:
            replied = chat.messages.get(reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
            content["reply_to_message"] = without_reply(replied)
            message_thread_id = message_thread_id or replied.get("message_thread_id")
        if message_thread_id is not None:
            if not chat.is_forum:
                raise ValueError(f"chat {chat_id} is not a forum")
            content.update(message_thread_id=message_thread_id, is_topic_message=True)
        if as_group:
            content["sender_chat"] = w.chat_api(chat)
            return w.push_message(chat, w.store_message(chat, ANONYMOUS_ADMIN, content))
        return w.push_message(chat, w.store_message(chat, w.user(user_id), content))

    def press_button(
        self, user_id: int, message: Mapping[str, Any], data: str, *, forged: bool = False
    ) -> Json:
        """The user presses an inline button with ``callback_data == data`` on a bot message.

        ``forged=True`` sends ``data`` even if no button carries it (a tampering client).
        """
        w = self.world
        user = w.user(user_id)
        chat = w.chats.get(message["chat"]["id"])
        stored = chat.messages.get(message["message_id"]) if chat else None
        if chat is None or stored is None:
            raise ValueError("the message does not exist (any more)")
        keyboard = stored.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [b.get("callback_data") for row in keyboard for b in row]
        if data not in buttons and not forged:
            raise ValueError(f"no button with callback_data {data!r}; buttons: {buttons}")
        if chat.id != user_id and not (chat.is_group and chat.member(user_id).present):
            raise ValueError(f"user {user_id} cannot see chat {chat.id}")
        query_id = f"{w.bot.id}{w.serial():010d}"
        w.callback_queries[query_id] = False
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": copy.deepcopy(stored),
            "chat_instance": str((chat.id * 2654435761) % 2**62),
            "data": data,
        }
        return w.push_update("callback_query", payload)

    # -- the bot's own membership --

    def bot_added_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        *,
        as_admin: bool = False,
        rights: Mapping[str, bool] | None = None,
    ) -> Json:
        """``by_user_id`` adds the bot (as member or administrator): my_chat_member."""
        w = self.world
        chat = self._live_group(chat_id)
        actor = self._member_actor(chat, by_user_id, admin=as_admin)
        if chat.member(w.bot.id).present:
            raise ValueError(f"the bot is already in chat {chat_id}")
        if as_admin:
            granted = w.admin_rights(DEFAULT_BOT_RIGHTS if rights is None else rights)
            new = MemberState("administrator", granted, promoted_by=by_user_id)
        else:
            new = MemberState("member")
        return w.set_member(chat, w.bot.id, new, w.user(actor))

    def bot_removed_from_group(self, chat_id: int, by_user_id: int) -> Json:
        """An administrator removes the bot: my_chat_member (kicked / left in basic groups)."""
        w = self.world
        chat = self._live_group(chat_id)
        actor = self._member_actor(chat, by_user_id, admin=True)
        if not chat.member(w.bot.id).present:
            raise ValueError(f"the bot is not in chat {chat_id}")
        status = "kicked" if chat.type == "supergroup" else "left"
        return w.set_member(chat, w.bot.id, MemberState(status), w.user(actor))

    def user_blocks_bot(self, user_id: int) -> Json:
        """my_chat_member in the private chat: the bot becomes "kicked"."""
        return self._private_status(user_id, blocked=True)

    def user_unblocks_bot(self, user_id: int) -> Json:
        """my_chat_member in the private chat: the bot becomes "member" again."""
        return self._private_status(user_id, blocked=False)

    def _private_status(self, user_id: int, *, blocked: bool) -> Json:
        w = self.world
        user = w.user(user_id)
        if user.blocked == blocked:
            raise ValueError(
                f"user {user_id} has {'already' if blocked else 'not'} blocked the bot"
            )
        user.blocked = blocked
        user.started = True
        bot = w.bot.to_api()
        kicked = {"status": "kicked", "user": bot, "until_date": 0}
        member = {"status": "member", "user": bot}
        payload = {
            "chat": w.chat_api(w.private_chat(user_id)),
            "from": user.to_api(),
            "date": w.now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        return w.push_update("my_chat_member", payload)

    # -- other members --

    def user_joins(self, chat_id: int, user_id: int) -> list[Json]:
        """chat_member update (delivered to admins if allowed) and a new_chat_members message."""
        w = self.world
        chat = self._live_group(chat_id)
        member = chat.member(user_id)
        if member.status == "kicked":
            raise ValueError(f"user {user_id} is banned from chat {chat_id}")
        if member.present:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        return w.join(chat, user_id, w.user(user_id))

    def user_leaves(self, chat_id: int, user_id: int) -> list[Json]:
        """chat_member update and a left_chat_member message."""
        chat = self._live_group(chat_id)
        if not chat.member(user_id).present:
            raise ValueError(f"user {user_id} is not in chat {chat_id}")
        return self.world.leave(chat, user_id)

    def join_request(self, chat_id: int, user_id: int) -> Json:
        """chat_join_request; the bot may message the user for 5 minutes while it is pending."""
        w = self.world
        chat = self._live_group(chat_id)
        user = w.user(user_id)
        if chat.member(user_id).present:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        chat.join_requests[user_id] = w.clock()
        payload = {
            "chat": w.chat_api(chat),
            "from": user.to_api(),
            "user_chat_id": user_id,
            "date": w.now(),
        }
        # Only administrators that can invite users get join requests.
        deliver = w.has_right(chat, w.bot.id, "can_invite_users")
        return w.push_update("chat_join_request", payload, deliver=deliver)

    def admin_changed(
        self,
        chat_id: int,
        user_id: int,
        promoted: bool,
        *,
        rights: Mapping[str, bool] | None = None,
    ) -> Json:
        """The owner promotes or demotes a member: chat_member (my_chat_member for the bot)."""
        w = self.world
        chat = self._live_group(chat_id)
        member = chat.member(user_id)
        if not member.present or member.status == "creator":
            raise ValueError(f"user {user_id} cannot be promoted/demoted in chat {chat_id}")
        owner = next((u for u, m in chat.members.items() if m.status == "creator"), None)
        actor = w.user(owner) if owner is not None else w.bot
        if promoted:
            granted = w.admin_rights(HUMAN_ADMIN_RIGHTS if rights is None else rights)
            new = MemberState("administrator", granted, promoted_by=actor.id)
        else:
            new = MemberState("member")
        return w.set_member(chat, user_id, new, actor)

    def admin_lifts_restriction(self, chat_id: int, user_id: int, by_user_id: int) -> Json:
        """An administrator lets a restricted member write again, in Telegram's own menus."""
        w = self.world
        chat = self._live_group(chat_id)
        self._member_actor(chat, by_user_id, admin=True)
        if chat.member(user_id).status != "restricted":
            raise ValueError(f"user {user_id} is not restricted in chat {chat_id}")
        return w.set_member(chat, user_id, MemberState("member"), w.user(by_user_id))

    def migrate_to_supergroup(self, chat_id: int) -> tuple[int, list[Json]]:
        """Upgrade a basic group; returns the new id and the two migration service messages."""
        w = self.world
        old = self._live_group(chat_id)
        if old.type != "group":
            raise ValueError(f"chat {chat_id} is not a basic group")
        new = ChatState(w.new_group_id(True), "supergroup", old.title)
        new.members = copy.deepcopy(old.members)
        new.permissions = dict(old.permissions)
        w.chats[new.id] = new
        old.migrated_to = new.id
        owner = next((u for u, m in old.members.items() if m.status == "creator"), None)
        actor = w.user(owner) if owner is not None else w.bot
        first = w.store_message(old, actor, {"migrate_to_chat_id": new.id})
        second = w.store_message(new, actor, {"migrate_from_chat_id": old.id})
        return new.id, [w.push_message(old, first), w.push_message(new, second)]

    # -- helpers --

    def _live_group(self, chat_id: int) -> ChatState:
        chat = self.world.group(chat_id)
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
        return chat

    def _member_actor(self, chat: ChatState, user_id: int, *, admin: bool) -> int:
        member = chat.member(self.world.user(user_id).id)
        if not member.present or (admin and member.status not in ("creator", "administrator")):
            role = "an administrator" if admin else "a member"
            raise ValueError(f"user {user_id} is not {role} of chat {chat.id}")
        return user_id


def _text(text: str) -> Json:
    content: Json = {"text": text}
    entities = command_entities(text)
    if entities:
        content["entities"] = entities
    return content
