"""BotApiEmulator: a Telegram Bot API server on 127.0.0.1 for driving a real PTB bot.

    async with BotApiEmulator() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        user = api.add_user("Aino", started=True)
        ...
        api.assert_clean()

Every call is checked against the Bot API schema and recorded in ``api.calls``; schema
violations, unknown and unmodelled methods are also collected in ``api.violations``.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from .httpserver import HttpParseError, HttpRequest, HttpResponse, HttpServer, decode_form
from .methods import BotMethods
from .model import DEFAULT_TOKEN, ApiError, Json, StoredDocument
from .schema import Schema, SchemaError, UploadedFile
from .updates import UpdateProducers
from .world import World

_log = logging.getLogger(__name__)

SENT_MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)


@dataclass
class ApiCall:
    """One recorded Bot API call and its answer."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any
    error_code: int | None
    description: str | None
    parameters: dict[str, Any] | None = None  # e.g. retry_after, migrate_to_chat_id


class BotApiEmulator(UpdateProducers):
    """A fake Telegram Bot API server with a small world model. See the module docstring."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "vertaisbot_test_bot",
        can_read_all_group_messages: bool = False,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        schema: Schema | None = None,
    ) -> None:
        self.token = token
        self.schema = schema or Schema.load()
        self.world = World(
            self.schema,
            token=token,
            bot_username=bot_username,
            can_read_all_group_messages=can_read_all_group_messages,
            clock=clock,
            wall_clock=wall_clock,
        )
        self.methods = BotMethods(self.world)
        self.calls: list[ApiCall] = []
        self.violations: list[str] = []
        self._failures: dict[str, collections.deque[ApiError]] = collections.defaultdict(
            collections.deque
        )
        self._http = HttpServer(self._handle, "127.0.0.1", port)
        self._call_event = asyncio.Event()  # replaced (and set) whenever a call is recorded
        self._returned: dict[int, int] = {}  # chat id -> messages returned by wait_for_message
        # Awaited with each valid call's method and parameters before it is answered: it may
        # wait (holding the call open, like a slow network) or raise ApiError (the answer).
        self.before_answer: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    # -- lifecycle --

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        await self._http.start()

    async def close(self) -> None:
        await self._http.close()

    @property
    def port(self) -> int:
        return self._http.port

    @property
    def base_url(self) -> str:
        """For ``telegram.Bot(token, base_url=...)``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- the world --

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_username(self) -> str:
        return self.world.bot.username or ""

    @property
    def bot_user(self) -> Json:
        return self.world.bot.to_api()

    def add_user(
        self,
        first_name: str = "Member",
        language_code: str | None = "fi",
        *,
        started: bool = False,
    ) -> int:
        """A Telegram user; ``started``: they have opened a private chat with the bot."""
        return self.world.add_user(first_name, language_code, started=started)

    def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Block/unblock the bot silently (see user_blocks_bot() for the update)."""
        self.world.user(user_id).blocked = blocked

    def set_started(self, user_id: int, started: bool = True) -> None:
        self.world.user(user_id).started = started

    def add_group(
        self,
        title: str = "Peer group",
        *,
        supergroup: bool = True,
        forum: bool = False,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        owner: int | None = None,
        bot_member: bool = True,
        bot_admin: bool = True,
        bot_rights: Mapping[str, bool] | None = None,
    ) -> int:
        """A group the users are already in; returns its (negative) chat id."""
        return self.world.add_group(
            title,
            supergroup=supergroup,
            forum=forum,
            members=members,
            admins=admins,
            owner=owner,
            bot_member=bot_member,
            bot_admin=bot_admin,
            bot_rights=bot_rights,
        )

    def member(self, chat_id: int, user_id: int) -> Json:
        """The ChatMember object of ``user_id`` in group ``chat_id``."""
        return self.world.member_api(self.world.group(chat_id), user_id)

    def member_status(self, chat_id: int, user_id: int) -> str:
        return self.world.group(chat_id).member(user_id).status

    def messages(self, chat_id: int) -> list[Json]:
        """Messages currently in a chat (deleted ones are gone), oldest first."""
        chat = self.world.chats.get(chat_id)
        return copy.deepcopy(list(chat.messages.values())) if chat else []

    def pinned(self, chat_id: int) -> list[int]:
        chat = self.world.chats.get(chat_id)
        return list(chat.pinned) if chat else []

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[Json]:
        """Commands set with setMyCommands for exactly this scope and language."""
        key = self.methods._commands_key({"scope": scope, "language_code": language_code})
        return copy.deepcopy(self.world.commands.get(key, []))

    @property
    def documents(self) -> list[StoredDocument]:
        """Documents the bot sent (file name, MIME type and bytes)."""
        return list(self.world.documents)

    @property
    def pending_updates(self) -> list[Json]:
        return copy.deepcopy(self.world.updates)

    async def wait_for_poller(self, within: float = 5.0) -> None:
        """Wait until a getUpdates long poll is waiting (e.g. after starting PTB polling)."""
        await asyncio.wait_for(self.world.poller_waiting.wait(), within)

    # -- recorded calls --

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def sent_messages(self, chat_id: int | None = None) -> list[Json]:
        """Messages returned by successful send/edit calls, in call order."""
        return [
            copy.deepcopy(c.result)
            for c in self.calls
            if c.ok
            and c.method in SENT_MESSAGE_METHODS
            and isinstance(c.result, dict)
            and (chat_id is None or c.result["chat"]["id"] == chat_id)
        ]

    async def wait_for_message(self, chat_id: int, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        """The next message the bot sends to ``chat_id`` (see sent_messages()).

        Each call returns a message not returned by an earlier call for the same chat, so it
        works whether the bot answers before or after the wait starts.
        """
        seen = self._returned.get(chat_id, 0)
        async with asyncio.timeout(timeout):
            while len(messages := self.sent_messages(chat_id)) <= seen:
                await self._call_event.wait()
        self._returned[chat_id] = seen + 1
        return messages[seen]

    async def wait_for_call(self, method: str, timeout: float = 5.0) -> ApiCall:  # noqa: ASYNC109
        """The first call to ``method``, waiting for it if it has not been made yet."""
        async with asyncio.timeout(timeout):
            while not (calls := self.calls_to(method)):
                await self._call_event.wait()
        return calls[0]

    def clear_calls(self) -> None:
        self.calls.clear()
        self._returned.clear()

    def assert_clean(self) -> None:
        """Fail if the bot made any call that Telegram would reject as malformed."""
        if self.violations:
            listing = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"{len(self.violations)} Bot API violation(s):\n{listing}")

    def fail_next(
        self, method: str, *, error_code: int, description: str, retry_after: int | None = None
    ) -> None:
        """Answer the next (valid) call to ``method`` with this error instead."""
        if self.schema.method_name(method) != method:
            raise ValueError(f"{method!r} is not a Bot API method name")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        self._failures[method].append(ApiError(error_code, description, parameters))

    # -- dispatch --

    async def call(
        self,
        method: str,
        form: Mapping[str, str],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> ApiCall:
        """Run one Bot API call given its raw form fields (as received over HTTP)."""
        name = self.schema.method_name(method)
        if name is None:
            self.violations.append(f"unknown method {method!r}")
            return self._record(method, dict(form), ApiError(404, "Not Found"))
        try:
            params = self.schema.parse_params(name, form, files)
        except SchemaError as exc:
            self.violations.append(str(exc))
            return self._record(name, dict(form), ApiError(400, f"Bad Request: {exc}"))
        handler = self.methods.handlers.get(name)
        if handler is None:
            text = f"method {name} is not modelled by the emulator"
            self.violations.append(text)
            return self._record(name, params, ApiError(400, f"Bad Request: {text}"))
        if self.before_answer is not None:
            try:
                await self.before_answer(name, params)
            except ApiError as exc:
                return self._record(name, params, exc)
        if self._failures[name]:
            return self._record(name, params, self._failures[name].popleft())
        try:
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            return self._record(name, params, exc)
        except Exception as exc:  # an emulator bug must fail the test, not hang the bot
            _log.exception("emulator error in %s", name)
            self.violations.append(f"emulator error in {name}: {exc!r}")
            return self._record(name, params, ApiError(500, "Internal Server Error"))
        self._check_result(name, result)
        return self._record(name, params, result=result)

    def _check_result(self, method: str, result: Any) -> None:
        try:
            self.schema.validate(self.schema.returns(method), result, f"{method} result")
        except SchemaError as exc:
            self.violations.append(f"emulator bug: {exc}")

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        error: ApiError | None = None,
        result: Any = None,
    ) -> ApiCall:
        if error is None:
            call = ApiCall(method, params, True, result, None, None)
        else:
            call = ApiCall(
                method, params, False, None, error.error_code, error.description, error.parameters
            )
        self.calls.append(call)
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()
        return call

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        segments = unquote(request.path).lstrip("/").split("/")
        if len(segments) >= 3 and segments[0] == "file" and segments[1].startswith("bot"):
            return self._serve_file(segments[1][3:], "/".join(segments[2:]))
        if len(segments) != 2 or not segments[0].startswith("bot"):
            return _error_response(ApiError(404, "Not Found"))
        if segments[0][3:] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        try:
            form, files = decode_form(request)
        except (HttpParseError, ValueError) as exc:
            self.violations.append(f"{segments[1]}: undecodable request body: {exc}")
            return _error_response(ApiError(400, f"Bad Request: {exc}"))
        call = await self.call(segments[1], form, files)
        if call.ok:
            return HttpResponse.json(200, {"ok": True, "result": call.result})
        assert call.error_code is not None
        assert call.description is not None
        return _error_response(ApiError(call.error_code, call.description, call.parameters))

    def _serve_file(self, token: str, file_path: str) -> HttpResponse:
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        for document in self.world.documents:
            if document.file_path == file_path:
                return HttpResponse(200, document.data, document.mime_type)
        return _error_response(ApiError(404, "Not Found"))

    async def wait_for_any_call(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the bot makes its next call of any kind; False if ``timeout`` passed."""
        try:
            async with asyncio.timeout(timeout):
                await self._call_event.wait()
        except TimeoutError:
            return False
        return True


def _error_response(error: ApiError) -> HttpResponse:
    payload: Json = {"ok": False, "error_code": error.error_code, "description": error.description}
    if error.parameters:
        payload["parameters"] = error.parameters
    return HttpResponse.json(error.error_code, payload)
