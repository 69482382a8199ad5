"""Constants, errors and the state records of the emulated world."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TOKEN = "123456789:TEST-emulator-token-abcdefghijklmnopqrstu"
DEFAULT_BOT_RIGHTS: Mapping[str, bool] = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_restrict_members": True,
    "can_invite_users": True,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_promote_members": False,
}
# Rights a human administrator gets from admin_changed(); owners have everything.
HUMAN_ADMIN_RIGHTS: Mapping[str, bool] = {
    **DEFAULT_BOT_RIGHTS,
    "can_change_info": True,
    "can_manage_video_chats": True,
}
# Telegram's default when allowed_updates was never given (or given as []).
EXCLUDED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# A new group's default member permissions (as Telegram creates them).
DEFAULT_CHAT_PERMISSIONS: Mapping[str, bool] = {
    "can_send_messages": True,
    "can_send_audios": True,
    "can_send_documents": True,
    "can_send_photos": True,
    "can_send_videos": True,
    "can_send_video_notes": True,
    "can_send_voice_notes": True,
    "can_send_polls": True,
    "can_send_other_messages": True,
    "can_add_web_page_previews": True,
    "can_react_to_messages": True,
    "can_change_info": False,
    "can_invite_users": True,
    "can_pin_messages": False,
    "can_manage_topics": False,
}
JOIN_REQUEST_DM_WINDOW = 300.0  # seconds a join request lets the bot message the user
PRESENT = frozenset({"creator", "administrator", "member"})

Json = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer (``ok: false``)."""

    def __init__(
        self, error_code: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = dict(parameters) if parameters else None


def bad(text: str, **parameters: Any) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters or None)


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


def without_reply(message: Mapping[str, Any]) -> Json:
    """A copy for ``reply_to_message``: Telegram does not nest replies in replies."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "reply_to_message"}


@dataclass
class UserState:
    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False
    started: bool = False
    blocked: bool = False

    def to_api(self) -> Json:
        data: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data


@dataclass
class MemberState:
    status: str = "left"  # creator/administrator/member/restricted/left/kicked
    rights: dict[str, bool] = field(default_factory=dict)  # administrators
    permissions: dict[str, bool] = field(default_factory=dict)  # restricted members
    is_member: bool = False  # restricted members only
    until_date: int = 0
    promoted_by: int | None = None

    @property
    def present(self) -> bool:
        return self.status in PRESENT or (self.status == "restricted" and self.is_member)


@dataclass
class ChatState:
    id: int
    type: str  # private/group/supergroup
    title: str | None = None
    is_forum: bool = False
    topics: dict[int, str] = field(default_factory=dict)  # message_thread_id -> name
    members: dict[int, MemberState] = field(default_factory=dict)
    messages: dict[int, Json] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None
    pinned: list[int] = field(default_factory=list)
    join_requests: dict[int, float] = field(default_factory=dict)  # user id -> clock()
    permissions: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_CHAT_PERMISSIONS))

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def member(self, user_id: int) -> MemberState:
        return self.members.get(user_id) or MemberState()


@dataclass
class StoredDocument:
    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    data: bytes
    chat_id: int | None = None
    message_id: int | None = None

    @property
    def file_path(self) -> str:
        return f"documents/{self.file_unique_id}_{self.file_name}"

    def to_api(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }
