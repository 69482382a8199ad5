"""Blocked members, Telegram errors, rate limits, the command menus, and logs without secrets."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from bot.messaging import send_private
from tests.harness import Harness


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the bot logs, through the same redacting handler production uses."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("DEBUG", "text", stream=stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def test_member_who_blocks_the_bot_is_not_messaged_again(bot: Harness):
    user = bot.api.add_user()
    await bot.private(user, "/start")
    await bot.deliver(bot.api.user_blocks_bot(user))
    member = await bot.store.members.get(user)
    assert member is not None
    assert not member.reachable
    bot.api.clear_calls()
    assert not await send_private(bot.context(), user, "hello")
    assert bot.api.calls_to("sendMessage") == []


async def test_block_discovered_by_a_failed_send_is_remembered(bot: Harness):
    user = bot.api.add_user()
    await bot.private(user, "/start")
    bot.api.set_blocked(user, True)  # Telegram sometimes says so only when we write
    assert not await send_private(bot.context(), user, "hello")
    assert not await send_private(bot.context(), user, "hello again")
    assert len(bot.api.calls_to("sendMessage")) == 2  # the /start welcome and one try
    member = await bot.store.members.get(user)
    assert member is not None
    assert not member.reachable


async def test_unblocking_makes_the_member_reachable_again(bot: Harness):
    user = bot.api.add_user()
    await bot.private(user, "/start")
    await bot.deliver(bot.api.user_blocks_bot(user))
    await bot.deliver(bot.api.user_unblocks_bot(user))
    member = await bot.store.members.get(user)
    assert member is not None
    assert member.reachable


async def test_forbidden_in_a_handler_is_a_logged_skip(bot: Harness, log_output: io.StringIO):
    user = bot.api.add_user()
    bot.api.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    await bot.private(user, "/start")
    member = await bot.store.members.get(user)
    assert member is not None
    assert not member.reachable
    assert "update_skipped" in log_output.getvalue()


async def test_unexpected_error_apologises_privately_and_logs_no_personal_data(
    bot: Harness, log_output: io.StringIO
):
    user = bot.api.add_user(first_name="Sensitive-Name", language_code="en")
    bot.api.fail_next("sendMessage", error_code=400, description="Bad Request: boom")
    await bot.private(user, "/start secret-words")
    assert bot.last(user)["text"] == "Sorry, something went wrong on my side. Please try again."
    logged = log_output.getvalue()
    assert "update_failed" in logged
    assert "Sensitive-Name" not in logged
    assert "secret-words" not in logged


async def test_rate_limit_answer_is_waited_out_and_retried(bot: Harness):
    user = bot.api.add_user(language_code="en")
    bot.api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
    )
    await bot.private(user, "/start")
    assert bot.skipped_time.waits == [pytest.approx(7.1)]
    assert bot.last(user)["text"].startswith("Hi, and welcome!")


async def test_command_menus_exist_for_every_language_and_scope(bot: Harness):
    calls = bot.api.calls_to("setMyCommands")
    seen = {(c.params["scope"]["type"], c.params.get("language_code")) for c in calls}
    for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators"):
        for language in ("fi", "sv", "se", "en", None):
            assert (scope, language) in seen
    private = {
        c.params.get("language_code"): [cmd["description"] for cmd in c.params["commands"]]
        for c in calls
        if c.params["scope"]["type"] == "all_private_chats"
    }
    assert private["en"] == [
        "Welcome and what I can do",
        "What you can do here",
        "The rules of your group",
        "Coming meetups",
        "Meetup reminders on or off",
        "Choose your language",
        "Phone numbers and places that help",
        "Ask the facilitators, anonymously if you like",
        "Post to your group without your name",
        "Help lines, day and night",
        "Questions after meetups on or off",
        "What I keep about you",
        "A copy of your data",
        "Erase your data",
    ]
    assert len({tuple(v) for v in private.values()}) == 4  # fi is also the fallback


async def test_token_never_appears_in_logs(bot: Harness, log_output: io.StringIO):
    token = bot.api.token
    user = bot.api.add_user()
    bot.api.fail_next("sendMessage", error_code=400, description="Bad Request: boom")
    await bot.private(user, "/start")
    await bot.private(user, "/help")
    try:
        raise RuntimeError(f"request to https://api.telegram.org/bot{token}/getMe failed")
    except RuntimeError:
        logging.getLogger("anything").exception("network trouble %s", token)
    logging.getLogger("httpx").warning("HTTP Request: POST %s/bot%s/sendMessage", "x", token)
    logged = log_output.getvalue()
    assert "network trouble" in logged
    assert token not in logged
    assert token.split(":")[1] not in logged
