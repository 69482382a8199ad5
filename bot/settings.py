"""One settings object, read from a TOML file and from VERTAISBOT_* environment variables."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

LANGUAGES: tuple[str, ...] = ("fi", "sv", "se", "en")
Language = Literal["fi", "sv", "se", "en"]
DEFAULT_CONFIG = Path("config.toml")
BOTFATHER_HELP = (
    "vertaisbot needs a bot token.\n"
    "  1. In Telegram, open @BotFather, send /newbot and follow its questions.\n"
    "  2. Copy the token it gives you (it looks like 123456789:AAE...).\n"
    "  3. Give it to vertaisbot in one of these ways:\n"
    "       export VERTAISBOT_TELEGRAM__TOKEN='123456789:AAE...'\n"
    "     or save it alone in a file readable only by you and set\n"
    '       token_file = "/path/to/token"   under [telegram] in config.toml\n'
    "Never write the token itself into config.toml."
)


_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,256}")


class ConfigError(Exception):
    """Settings a person has to fix; the message says what and how."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Section):
    token: SecretStr | None = None
    token_file: Path | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    # Webhook mode: the public https address Telegram posts updates to (through the reverse
    # proxy), the local address the bot listens on, and the shared secret.
    webhook_url: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=1, le=65535)
    secret_token: SecretStr | None = None
    secret_token_file: Path | None = None
    max_body_bytes: int = Field(default=1_000_000, ge=10_000, le=50_000_000)
    # Updates handled at once (each chat's own still one after another).
    concurrent_updates: int = Field(default=64, ge=1, le=512)

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram only posts to https)")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local Bot API server)")
        return value.rstrip("/")

    def resolved_token(self) -> SecretStr:
        """The token from the environment, else from token_file; ConfigError if neither."""
        if self.token is not None and self.token.get_secret_value().strip():
            return SecretStr(self.token.get_secret_value().strip())
        if self.token_file is not None:
            try:
                text = self.token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"telegram.token_file: cannot read {self.token_file} ({exc.strerror}).\n"
                    "Check the path and that this user may read the file."
                ) from None
            if text:
                return SecretStr(text)
            raise ConfigError(
                f"telegram.token_file: {self.token_file} is empty.\n{BOTFATHER_HELP}"
            )
        raise ConfigError(BOTFATHER_HELP)

    def webhook_secret(self) -> SecretStr:
        """The webhook's secret token from the environment or secret_token_file."""
        text = ""
        if self.secret_token is not None:
            text = self.secret_token.get_secret_value().strip()
        elif self.secret_token_file is not None:
            try:
                text = self.secret_token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"telegram.secret_token_file: cannot read {self.secret_token_file} "
                    f"({exc.strerror})."
                ) from None
        if not _SECRET_TOKEN.fullmatch(text):
            raise ConfigError(
                'telegram.mode = "webhook" needs a secret token: 16 to 256 characters of '
                "A-Z, a-z, 0-9, _ and -. Make one with\n"
                "  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'\n"
                "and set VERTAISBOT_TELEGRAM__SECRET_TOKEN, or put it alone in a file and set "
                "secret_token_file."
            )
        return SecretStr(text)


class StorageSettings(_Section):
    url: str = "sqlite:///data/vertaisbot.db"

    @field_validator("url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError(
                "use sqlite:///path/to/file.db or postgresql://user@host:5432/database"
            )
        return value


class BotSettings(_Section):
    default_language: Language = "fi"
    timezone: str = "Europe/Helsinki"
    admins: list[int] = Field(default_factory=list)
    leave_unregistered_after_hours: int = Field(default=24, ge=1, le=24 * 30)
    join_request_timeout_hours: int = Field(default=24, ge=1, le=24 * 30)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("use a time zone name such as Europe/Helsinki") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ModerationSettings(_Section):
    warning_expiry_days: int = Field(default=30, ge=1, le=366)
    warning_limit: int = Field(default=3, ge=1, le=20)
    limit_pause_hours: int = Field(default=24, ge=1, le=24 * 366)
    default_pause_minutes: int = Field(default=60, ge=1, le=60 * 24 * 366)
    reports_per_hour: int = Field(default=5, ge=1, le=100)
    flood_pause_minutes: int = Field(default=10, ge=1, le=60 * 24)


class MeetupSettings(_Section):
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    private_reminder_offsets_minutes: list[int] = Field(default_factory=lambda: [1440, 120])
    planning_horizon_days: int = Field(default=35, ge=1, le=366)
    # Whatever is set, the rate limiter lets at most 29 messages a second through in all
    # (bot.ratelimit); 30 stays allowed so that older settings files still load.
    reminders_per_second: float = Field(default=28, gt=0, le=30)

    @field_validator("private_reminder_offsets_minutes")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if not value or any(m < 1 or m > 60 * 24 * 14 for m in value):
            raise ValueError("use minutes before the meetup, for example [1440, 120]")
        return sorted(set(value), reverse=True)


class AskingSettings(_Section):
    """Anonymous questions to the facilitators and anonymous posts to a group."""

    max_length: int = Field(default=2000, ge=100, le=3500)
    open_questions_per_member: int = Field(default=3, ge=1, le=20)
    questions_per_day: int = Field(default=5, ge=1, le=100)
    anonymous_posts_per_day: int = Field(default=3, ge=1, le=50)
    usual_response_hours: int = Field(default=24, ge=1, le=24 * 14)
    office_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    office_hours_start: time = time(9, 0)
    office_hours_end: time = time(16, 0)
    retention_days: int = Field(default=30, ge=1, le=366)

    @field_validator("office_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("use weekday numbers 1 (Monday) to 7 (Sunday), e.g. [1, 2, 3, 4, 5]")
        return sorted(set(value))


class PrivacySettings(_Section):
    """How long what is kept; see PRIVACY.md."""

    # Members who left all groups and have not used the bot for this long are erased.
    inactive_member_days: int = Field(default=180, ge=30, le=3650)
    # Moderation-log entries are deleted after this long; their free-text reasons sooner.
    audit_log_days: int = Field(default=365, ge=30, le=3650)
    audit_reason_days: int = Field(default=90, ge=7, le=3650)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"
    # Member and chat ids in logs become a keyed hash. Without a key a random one is made
    # at start, so ids in logs cannot be linked across restarts or instances.
    id_key: SecretStr | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseSettings):
    """Everything the bot can be told. Environment variables win over the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix="VERTAISBOT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    meetups: MeetupSettings = Field(default_factory=MeetupSettings)
    asking: AskingSettings = Field(default_factory=AskingSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init arguments; the environment overrides it.
        return (env_settings, init_settings)


def config_path(explicit: str | None) -> Path | None:
    """--config, else VERTAISBOT_CONFIG, else ./config.toml when it exists."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("VERTAISBOT_CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(path: Path | None) -> Settings:
    """Read and validate the settings; raise ConfigError with a message a person can act on."""
    data = _read_toml(path) if path else {}
    telegram = data.get("telegram")
    for section, key in (("telegram", "secret_token"), ("logging", "id_key")):
        values = data.get(section)
        if isinstance(values, dict) and key in values:
            raise ConfigError(
                f"{path}: [{section}] {key} is a secret and must not be written in the settings "
                f"file. Set the environment variable VERTAISBOT_{section.upper()}__"
                f"{key.upper()} instead."
            )
    if isinstance(telegram, dict) and "token" in telegram:
        raise ConfigError(
            f"{path}: [telegram] token must not be written in the settings file, because the "
            "file is easily shared or committed by mistake.\nRemove that line and set the "
            "environment variable VERTAISBOT_TELEGRAM__TOKEN, or put the token alone in a file "
            "and set token_file."
        )
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, path)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"Settings file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None


_HINTS = {
    "telegram.mode": 'Use "polling" or "webhook".',
    "storage.url": "Example: sqlite:///data/vertaisbot.db",
    "bot.default_language": "Use one of fi, sv, se, en.",
    "bot.timezone": "Example: Europe/Helsinki",
    "bot.admins": "A list of Telegram user ids, for example admins = [123456789].",
    "logging.level": "Use DEBUG, INFO, WARNING or ERROR.",
    "logging.format": 'Use "text" or "json".',
}


def describe_errors(exc: ValidationError, path: Path | None) -> str:
    source = f" (from {path} or VERTAISBOT_* environment variables)" if path else ""
    lines = [f"The settings are not valid{source}:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        secret = "token" in key or key.endswith("id_key")
        shown = "(hidden)" if secret else repr(error.get("input"))
        if error["type"] == "extra_forbidden":
            lines.append(
                f"  {key}: unknown setting. Check the spelling against config.example.toml."
            )
            continue
        hint = _HINTS.get(key, "See config.example.toml.")
        lines.append(f"  {key} = {shown}: {error['msg']}. {hint}")
    return "\n".join(lines)
