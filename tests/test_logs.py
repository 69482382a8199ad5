"""Log lines: no token, and member and chat ids only as a keyed hash."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, Pseudonymiser, configure_logging

TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123456"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def log_line(style: str, message: str, *args: object, key: str | None = "k") -> str:
    stream = io.StringIO()
    configure_logging("INFO", style, secrets=[TOKEN], stream=stream, id_key=key)
    logging.getLogger("vertaisbot.test").info(message, *args)
    return stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("style", ["text", "json"])
def test_ids_become_a_keyed_hash_and_the_token_stays_hidden(style: str):
    line = log_line(style, "sent user=%s chat=%s via %s", 2**40 + 7, -1001234567890, TOKEN)
    assert str(2**40 + 7) not in line
    assert "1001234567890" not in line
    assert TOKEN not in line
    assert "123456789" not in line
    assert REDACTED in line
    hashed = Pseudonymiser(b"k")
    assert hashed.pseudonym(2**40 + 7) in line
    assert hashed.pseudonym(-1001234567890) in line
    if style == "json":
        assert json.loads(line)["level"] == "INFO"


@pytest.mark.usefixtures("restore_logging")
def test_the_same_id_gives_the_same_pseudonym_only_under_the_same_key():
    first = log_line("text", "user=%s", 987654321, key="one")
    again = log_line("text", "user=%s", 987654321, key="one")
    other = log_line("text", "user=%s", 987654321, key="two")
    pseudonym = Pseudonymiser(b"one").pseudonym(987654321)
    assert pseudonym in first
    assert pseudonym in again
    assert pseudonym not in other


@pytest.mark.usefixtures("restore_logging")
def test_short_numbers_and_decimals_stay_readable():
    line = log_line(
        "text", "retry_after=%s rows=%s took=%s version=%s", 30, 1234, 0.1234567, "22.8"
    )
    assert "retry_after=30 rows=1234 took=0.1234567 version=22.8" in line


def test_without_a_key_each_start_makes_its_own():
    assert Pseudonymiser().pseudonym(123456) != Pseudonymiser().pseudonym(123456)
