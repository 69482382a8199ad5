"""Settings, the command line, and what a person sees when something is wrong."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import check, main, safe_url
from bot.emulator import BotApiEmulator
from bot.settings import ConfigError, config_path, load_settings
from storage import LATEST_VERSION

TOKEN = "123456789:AAE-example-token-that-is-long-enough"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file():
    settings = load_settings(None)
    assert settings.storage.url == "sqlite:///data/vertaisbot.db"
    assert settings.bot.default_language == "fi"
    assert settings.bot.timezone == "Europe/Helsinki"
    assert settings.telegram.mode == "polling"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = write(tmp_path / "c.toml", '[bot]\ndefault_language = "sv"\nadmins = [1]\n')
    monkeypatch.setenv("VERTAISBOT_BOT__DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("VERTAISBOT_TELEGRAM__TOKEN", TOKEN)
    settings = load_settings(config)
    assert settings.bot.default_language == "en"
    assert settings.bot.admins == [1]
    assert settings.telegram.resolved_token().get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)


def test_token_written_in_the_file_is_refused(tmp_path: Path):
    config = write(tmp_path / "c.toml", f'[telegram]\ntoken = "{TOKEN}"\n')
    with pytest.raises(ConfigError, match="must not be written in the settings file") as error:
        load_settings(config)
    assert TOKEN not in str(error.value)


def test_token_file(tmp_path: Path):
    secret = write(tmp_path / "token", TOKEN + "\n")
    config = write(tmp_path / "c.toml", f'[telegram]\ntoken_file = "{secret}"\n')
    assert load_settings(config).telegram.resolved_token().get_secret_value() == TOKEN


def test_missing_token_explains_botfather():
    with pytest.raises(ConfigError, match="@BotFather"):
        load_settings(None).telegram.resolved_token()


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        (
            '[bot]\ntimezone = "Mars/Olympus"\n',
            ["bot.timezone", "'Mars/Olympus'", "Europe/Helsinki"],
        ),
        ('[bot]\ndefault_language = "de"\n', ["bot.default_language", "'de'", "fi, sv, se, en"]),
        ('[storage]\nurl = "mysql://x"\n', ["storage.url", "'mysql://x'", "sqlite:///"]),
        ('[telegram]\nmode = "carrier-pigeon"\n', ["telegram.mode", "polling"]),
        ('[bot]\nadmins = "me"\n', ["bot.admins", "'me'"]),
        ("[bot]\nadmnis = [1]\n", ["bot.admnis", "unknown setting"]),
        ("[bot\n", ["not valid TOML"]),
    ],
)
def test_bad_settings_name_the_key_the_value_and_the_fix(
    tmp_path: Path, toml: str, names: list[str]
):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path / "c.toml", toml))
    for name in names:
        assert name in str(error.value)


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert config_path(None) is None
    write(tmp_path / "config.toml", "")
    assert config_path(None) == Path("config.toml")
    monkeypatch.setenv("VERTAISBOT_CONFIG", "/etc/vb.toml")
    assert config_path(None) == Path("/etc/vb.toml")
    assert config_path("given.toml") == Path("given.toml")


def test_bad_settings_exit_with_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = write(tmp_path / "c.toml", '[bot]\ntimezone = "Nowhere"\n')
    assert main(["--config", str(config), "migrate"]) == 2
    assert "bot.timezone" in capsys.readouterr().err


def test_run_without_token_says_how_to_get_one(capsys: pytest.CaptureFixture[str]):
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "@BotFather" in err
    assert "Traceback" not in err


def test_version(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_migrate_creates_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = write(tmp_path / "c.toml", f'[storage]\nurl = "sqlite:///{tmp_path}/x/bot.db"\n')
    assert main(["--config", str(config), "migrate"]) == 0
    assert (tmp_path / "x" / "bot.db").exists()
    assert f"schema version {LATEST_VERSION}" in capsys.readouterr().out


def test_safe_url_hides_the_password():
    assert safe_url("postgresql://bot:hunter2@db/vb") == "postgresql://bot:***@db/vb"
    assert safe_url("sqlite:///data/vb.db") == "sqlite:///data/vb.db"


async def test_check_reports_what_a_person_needs(
    api: BotApiEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("VERTAISBOT_TELEGRAM__TOKEN", api.token)
    config = write(
        tmp_path / "c.toml",
        f'[telegram]\napi_base_url = "{api.base_url}"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path}/bot.db"\n',
    )
    assert await check(load_settings(config)) == 0
    out = capsys.readouterr().out
    assert f"connected as @{api.bot_username}" in out
    assert "Reads all group messages: no" in out
    assert "Missing: no organisation admins" in out
    assert api.token not in out


async def test_check_with_a_wrong_token_fails_clearly(
    api: BotApiEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("VERTAISBOT_TELEGRAM__TOKEN", "42:wrong-token-wrong-token-wrong-token")
    monkeypatch.setenv("VERTAISBOT_TELEGRAM__API_BASE_URL", api.base_url)
    monkeypatch.setenv("VERTAISBOT_STORAGE__URL", f"sqlite:///{tmp_path}/bot.db")
    assert await check(load_settings(None)) == 1
    assert "token was not accepted" in capsys.readouterr().out


async def test_the_real_command_polls_answers_and_stops_on_sigterm(
    api: BotApiEmulator, tmp_path: Path
):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VERTAISBOT_")},
        "VERTAISBOT_TELEGRAM__TOKEN": api.token,
        "VERTAISBOT_TELEGRAM__API_BASE_URL": api.base_url,
        "VERTAISBOT_STORAGE__URL": f"sqlite:///{tmp_path}/bot.db",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = api.add_user(language_code="en")
        api.private_message(user, "/start")
        message = await api.wait_for_message(user, timeout=30)
        assert message["text"].startswith("Hi, and welcome!")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert api.token not in stderr.decode()
    # Join and leave updates are only sent to bots that ask for them.
    asked = api.calls_to("getUpdates")[0].params["allowed_updates"]
    assert {"chat_member", "chat_join_request", "my_chat_member"} <= set(asked)


def test_a_database_from_a_newer_version_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    import sqlite3

    config = write(tmp_path / "c.toml", f'[storage]\nurl = "sqlite:///{tmp_path}/bot.db"\n')
    assert main(["--config", str(config), "migrate"]) == 0
    with sqlite3.connect(tmp_path / "bot.db") as connection:
        connection.execute(
            "INSERT INTO schema_version VALUES (?, 'from the future', 0)", (LATEST_VERSION + 1,)
        )
    capsys.readouterr()
    assert main(["--config", str(config), "migrate"]) == 2
    assert "newer vertaisbot" in capsys.readouterr().err


def test_the_example_settings_file_is_valid_and_matches_the_defaults():
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert load_settings(example) == load_settings(None)


def test_every_setting_is_documented_in_the_example_file():
    import tomllib

    from bot.settings import Settings

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert section in data, section
        for key in model.model_fields:
            if key in ("token", "secret_token", "id_key"):
                # Secrets: documented by their environment variable, never as a key.
                assert f"VERTAISBOT_{section.upper()}__{key.upper()}" in text
                continue
            assert key in data[section] or f"# {key} =" in text, f"{section}.{key}"


def test_webhook_mode_needs_an_address_and_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("VERTAISBOT_TELEGRAM__TOKEN", TOKEN)
    config = write(tmp_path / "config.toml", '[telegram]\nmode = "webhook"\n')
    assert main(["--config", str(config), "run"]) == 2
    assert "webhook_url" in capsys.readouterr().err
    config = write(
        tmp_path / "config.toml",
        '[telegram]\nmode = "webhook"\nwebhook_url = "https://bot.example.org/telegram"\n',
    )
    assert main(["--config", str(config), "run"]) == 2
    assert "secrets.token_urlsafe" in capsys.readouterr().err
    monkeypatch.setenv("VERTAISBOT_TELEGRAM__SECRET_TOKEN", "short")
    assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert "16 to 256 characters" in err
    assert "short" not in err


def test_a_plain_http_webhook_address_is_refused(tmp_path: Path):
    config = write(
        tmp_path / "config.toml", '[telegram]\nwebhook_url = "http://bot.example.org/x"\n'
    )
    with pytest.raises(ConfigError, match="https"):
        load_settings(config)


@pytest.mark.parametrize(("section", "key"), [("telegram", "secret_token"), ("logging", "id_key")])
def test_secrets_written_in_the_file_are_refused(tmp_path: Path, section: str, key: str):
    config = write(
        tmp_path / "config.toml", f'[{section}]\n{key} = "abcdefghijklmnopqrstuvwxyz"\n'
    )
    with pytest.raises(
        ConfigError, match=f"VERTAISBOT_{section.upper()}__{key.upper()}"
    ) as caught:
        load_settings(config)
    assert "abcdefghijklmnopqrstuvwxyz" not in str(caught.value)


def test_backup_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = write(tmp_path / "config.toml", f'[storage]\nurl = "sqlite:///{tmp_path}/bot.db"\n')
    assert main(["--config", str(config), "migrate"]) == 0
    assert main(["--config", str(config), "backup", str(tmp_path / "copy.db")]) == 0
    assert "Copied the database" in capsys.readouterr().out
    assert (tmp_path / "copy.db").is_file()
    assert main(["--config", str(config), "backup", str(tmp_path / "copy.db")]) == 2
    assert "exists already" in capsys.readouterr().err


async def test_the_real_command_serves_the_webhook_and_stops_on_sigterm(
    api: BotApiEmulator, tmp_path: Path
):
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = "webhook-secret-for-the-cli-test"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VERTAISBOT_")},
        "VERTAISBOT_TELEGRAM__TOKEN": api.token,
        "VERTAISBOT_TELEGRAM__API_BASE_URL": api.base_url,
        "VERTAISBOT_TELEGRAM__MODE": "webhook",
        "VERTAISBOT_TELEGRAM__WEBHOOK_URL": "https://bot.example.org/hook",
        "VERTAISBOT_TELEGRAM__LISTEN_PORT": str(port),
        "VERTAISBOT_TELEGRAM__SECRET_TOKEN": secret,
        "VERTAISBOT_STORAGE__URL": f"sqlite:///{tmp_path}/bot.db",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for_call("setWebhook", timeout=30)
        user = api.add_user(language_code="en")
        update = api.private_message(user, "/start")
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            ) as response,
        ):
            assert response.status == 200
        assert api.sent_messages(user)[-1]["text"].startswith("Hi, and welcome!")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert api.token not in stderr.decode()
    assert secret not in stderr.decode()
    assert api.calls_to("setWebhook")[0].params["secret_token"] == secret
