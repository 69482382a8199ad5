"""Bot API methods about chats and their members (moderation)."""

from __future__ import annotations

from collections.abc import Mapping

from .access import ChatAccess, Params
from .model import ChatState, Json, MemberState, bad, without_reply

RESTRICT_RIGHTS = "not enough rights to restrict/unrestrict chat member"
PINS_RIGHTS = "not enough rights to manage pinned messages in the chat"


class ChatMethods(ChatAccess):
    """getChat*, leaveChat, restrict/ban/unban/promote, join requests, pins, invite links."""

    def get_chat(self, p: Params) -> Json:
        w = self.world
        chat = self.visible_chat(p["chat_id"])
        info = {
            **w.chat_api(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": w.defaults("AcceptedGiftTypes"),
        }
        if chat.is_group:
            info["permissions"] = dict(chat.permissions)
        if chat.pinned and chat.pinned[-1] in chat.messages:
            info["pinned_message"] = without_reply(chat.messages[chat.pinned[-1]])
        return info

    def get_chat_member(self, p: Params) -> Json:
        chat = self.visible_chat(p["chat_id"])
        user_id = self._target(p["user_id"])
        if not chat.is_group:
            status = "member" if user_id in (chat.id, self.world.bot.id) else "left"
            return {"status": status, "user": self.world.users[user_id].to_api()}
        return self.world.member_api(chat, user_id)

    def get_chat_administrators(self, p: Params) -> list[Json]:
        chat = self.visible_chat(p["chat_id"])
        if not chat.is_group:
            raise bad("there are no administrators in the private chat")
        return [
            self.world.member_api(chat, uid)
            for uid, member in chat.members.items()
            if member.status in ("creator", "administrator")
        ]

    def get_chat_member_count(self, p: Params) -> int:
        chat = self.visible_chat(p["chat_id"])
        return len(list(self.world.present_members(chat))) if chat.is_group else 2

    def create_forum_topic(self, p: Params) -> Json:
        chat = self._managed_group(p["chat_id"], "method is available only for supergroups")
        if not chat.is_forum:
            raise bad("the chat is not a forum")
        self._require_right(chat, "can_manage_topics", "not enough rights to create a topic")
        thread_id = chat.next_message_id  # a topic's id is the id of its first service message
        self.world.store_message(
            chat,
            self.world.bot,
            {"forum_topic_created": {"name": p["name"], "icon_color": 0x6FB9F0}},
        )
        chat.topics[thread_id] = p["name"]
        return {"message_thread_id": thread_id, "name": p["name"], "icon_color": 0x6FB9F0}

    def leave_chat(self, p: Params) -> bool:
        chat = self._managed_group(p["chat_id"])
        self._change(chat, self.world.bot.id, MemberState("left"))
        return True

    def restrict_chat_member(self, p: Params) -> bool:
        chat = self._managed_group(p["chat_id"], "method is available only for supergroups")
        self._require_right(chat, "can_restrict_members", RESTRICT_RIGHTS)
        user_id = self._target(p["user_id"])
        member = chat.member(user_id)
        if member.status in ("creator", "administrator"):
            raise bad("user is an administrator of the chat")
        permissions = {k: v for k, v in p["permissions"].items() if isinstance(v, bool)}
        # Granting at least the chat's default member permissions lifts the restriction.
        if all(permissions.get(name, False) >= value for name, value in chat.permissions.items()):
            new = MemberState("member" if member.present else "left")
        else:
            until = p.get("until_date", 0)
            new = MemberState(
                "restricted", permissions=permissions, is_member=member.present, until_date=until
            )
        self._change(chat, user_id, new)
        return True

    def ban_chat_member(self, p: Params) -> bool:
        chat = self._managed_group(p["chat_id"])
        self._require_right(chat, "can_restrict_members", RESTRICT_RIGHTS)
        user_id = self._target(p["user_id"])
        self._refuse_admins(chat, user_id)
        self._change(chat, user_id, MemberState("kicked", until_date=p.get("until_date", 0)))
        return True

    def unban_chat_member(self, p: Params) -> bool:
        chat = self._managed_group(p["chat_id"])
        self._require_right(chat, "can_restrict_members", RESTRICT_RIGHTS)
        user_id = self._target(p["user_id"])
        self._refuse_admins(chat, user_id)
        member = chat.member(user_id)
        # Without only_if_banned Telegram also removes a current member from the chat.
        if member.status == "kicked" or (
            not p.get("only_if_banned") and member.status in ("member", "restricted")
        ):
            self._change(chat, user_id, MemberState("left"))
        return True

    def _refuse_admins(self, chat: ChatState, user_id: int) -> None:
        status = chat.member(user_id).status
        if status == "creator":
            raise bad("can't remove chat owner")
        if status == "administrator":
            raise bad("user is an administrator of the chat")

    def promote_chat_member(self, p: Params) -> bool:
        w = self.world
        chat = self._managed_group(
            p["chat_id"], "method is available for supergroup and channel chats only"
        )
        self._require_right(chat, "can_promote_members", "not enough rights")
        user_id = self._target(p["user_id"])
        member = chat.member(user_id)
        if member.status == "creator":
            raise bad("not enough rights")
        if not member.present:
            raise bad("USER_NOT_PARTICIPANT")
        if member.status == "administrator" and member.promoted_by != w.bot.id:
            raise bad("CHAT_ADMIN_REQUIRED")  # bots may only edit admins they promoted
        rights = {k: v for k, v in p.items() if k not in ("chat_id", "user_id") and v is True}
        if not self._can_grant(chat, rights):
            raise bad("RIGHT_FORBIDDEN")
        if rights:
            new = MemberState("administrator", w.admin_rights(rights), promoted_by=w.bot.id)
        else:
            new = MemberState("member")
        self._change(chat, user_id, new)
        return True

    def _can_grant(self, chat: ChatState, rights: Mapping[str, bool]) -> bool:
        w = self.world
        return all(w.has_right(chat, w.bot.id, r) for r in rights if r != "is_anonymous")

    def _join_request(self, p: Params) -> tuple[ChatState, int]:
        chat = self._managed_group(p["chat_id"])
        self._require_right(chat, "can_invite_users", "CHAT_ADMIN_REQUIRED")
        user_id = self._target(p["user_id"])
        if user_id not in chat.join_requests:
            raise bad("HIDE_REQUESTER_MISSING")
        del chat.join_requests[user_id]
        return chat, user_id

    def approve_chat_join_request(self, p: Params) -> bool:
        chat, user_id = self._join_request(p)
        if chat.member(user_id).present:
            raise bad("USER_ALREADY_PARTICIPANT")
        self.world.join(chat, user_id, self.world.bot, via_join_request=True)
        return True

    def decline_chat_join_request(self, p: Params) -> bool:
        self._join_request(p)
        return True

    def pin_chat_message(self, p: Params) -> bool:
        chat = self.visible_chat(p["chat_id"])
        self._require_right(chat, "can_pin_messages", PINS_RIGHTS)
        if p["message_id"] not in chat.messages:
            raise bad("message to pin not found")
        if p["message_id"] in chat.pinned:
            chat.pinned.remove(p["message_id"])
        chat.pinned.append(p["message_id"])
        return True

    def unpin_chat_message(self, p: Params) -> bool:
        chat = self.visible_chat(p["chat_id"])
        self._require_right(chat, "can_pin_messages", PINS_RIGHTS)
        message_id = p.get("message_id", chat.pinned[-1] if chat.pinned else None)
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)
        return True

    def create_chat_invite_link(self, p: Params) -> Json:
        w = self.world
        chat = self._managed_group(p["chat_id"])
        self._require_right(
            chat, "can_invite_users", "not enough rights to manage chat invite links"
        )
        if p.get("creates_join_request") and "member_limit" in p:
            raise bad("member limit can't be specified for links requiring administrator approval")
        link: Json = {
            "invite_link": f"https://t.me/+emu{w.serial():012d}",
            "creator": w.bot.to_api(),
            "creates_join_request": bool(p.get("creates_join_request", False)),
            "is_primary": False,
            "is_revoked": False,
        }
        link.update({k: p[k] for k in ("name", "expire_date", "member_limit") if k in p})
        return link
