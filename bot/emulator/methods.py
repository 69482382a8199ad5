"""The emulator's Bot API method table."""

from __future__ import annotations

from .access import Handler, Params
from .members import ChatMethods
from .messaging import MessageMethods
from .world import World


class BotMethods(MessageMethods, ChatMethods):
    """Implementations of the modelled Bot API methods, keyed by method name."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "logOut": _true,
            "close": _true,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "restrictChatMember": self.restrict_chat_member,
            "banChatMember": self.ban_chat_member,
            "unbanChatMember": self.unban_chat_member,
            "promoteChatMember": self.promote_chat_member,
            "approveChatJoinRequest": self.approve_chat_join_request,
            "declineChatJoinRequest": self.decline_chat_join_request,
            "pinChatMessage": self.pin_chat_message,
            "unpinChatMessage": self.unpin_chat_message,
            "createChatInviteLink": self.create_chat_invite_link,
            "createForumTopic": self.create_forum_topic,
            "setChatMenuButton": _true,
            "getFile": self.get_file,
        }


def _true(p: Params) -> bool:
    return True
