"""Typed settings from the environment and an optional ``.env`` file, read once at startup."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import MissingTokenError, SettingsError

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"
# What Telegram allows in X-Telegram-Bot-Api-Secret-Token (setWebhook's secret_token).
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

# Shown by ``python -m bot`` when it falls back to the console chat.
CONNECT_HINT = (
    "To connect this bot to Telegram, get a token from @BotFather, set TELEGRAM_BOT_TOKEN "
    "(see .env.example) and run `python -m bot run`."
)


class Settings(BaseSettings):
    """Every setting the bot reads, each documented in ``.env.example``."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias="TELEGRAM_BASE_URL")
    base_file_url: str = Field(
        default=DEFAULT_BASE_FILE_URL, validation_alias="TELEGRAM_BASE_FILE_URL"
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), validation_alias="BOT_ADMIN_IDS"
    )
    knowledge_dir: Path | None = Field(default=None, validation_alias="KNOWLEDGE_DIR")
    data_dir: Path = Field(default=Path("data"), validation_alias="BOT_DATA_DIR")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    # Reliability: retries, Telegram's flood limits, the per-user limit (README "Reliability").
    send_retries: int = Field(default=8, ge=0, le=20, validation_alias="SEND_RETRIES")
    retry_base_delay: float = Field(default=0.5, gt=0, le=60, validation_alias="RETRY_BASE_DELAY")
    retry_max_delay: float = Field(default=10.0, gt=0, le=300, validation_alias="RETRY_MAX_DELAY")
    group_rate_limit: int = Field(default=20, ge=0, validation_alias="GROUP_RATE_LIMIT")
    group_rate_period: float = Field(default=60.0, gt=0, validation_alias="GROUP_RATE_PERIOD")
    overall_rate_limit: int = Field(default=30, ge=0, validation_alias="OVERALL_RATE_LIMIT")
    group_queue_limit: int = Field(default=20, ge=1, validation_alias="GROUP_QUEUE_LIMIT")
    user_rate_limit: int = Field(default=20, ge=0, validation_alias="USER_RATE_LIMIT")
    user_rate_period: float = Field(default=60.0, gt=0, validation_alias="USER_RATE_PERIOD")

    store_retention_days: float = Field(default=90.0, ge=0, validation_alias="STORE_RETENTION_DAYS")

    # Webhook mode (`python -m bot run --webhook`), behind a reverse proxy.
    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_listen: str = Field(default="0.0.0.0", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, validation_alias="WEBHOOK_PORT")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="WEBHOOK_SECRET")

    @field_validator("token", mode="before")
    @classmethod
    def _blank_token_is_missing(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return frozenset({value})
        if not isinstance(value, str):
            return value
        ids = set()
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                ids.add(int(part))
            except ValueError:
                raise ValueError(
                    f"{part!r} is not a Telegram user id (expected comma-separated integers)"
                ) from None
        return frozenset(ids)

    @field_validator("knowledge_dir", mode="before")
    @classmethod
    def _blank_dir_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        level = value.strip().upper() or "INFO"
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"{value!r} is not a log level (use DEBUG, INFO, WARNING or ERROR)")
        return level

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _https_webhook_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        url = value.strip()
        if not url:
            return None
        if not url.lower().startswith("https://") or len(url) <= len("https://"):
            raise ValueError(f"{url!r} is not an https:// URL (Telegram only calls https webhooks)")
        return url

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret_shape(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        secret = value.strip()
        if not secret:
            return None
        if not WEBHOOK_SECRET_RE.fullmatch(secret):
            # Never echo the value: it is a secret.
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return secret

    @field_validator("webhook_listen", mode="before")
    @classmethod
    def _blank_listen_is_default(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return "0.0.0.0"
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _delays_in_order(self) -> Settings:
        if self.retry_max_delay < self.retry_base_delay:
            raise ValueError("RETRY_MAX_DELAY must not be smaller than RETRY_BASE_DELAY")
        return self

    def require_webhook(self) -> tuple[str, SecretStr]:
        """WEBHOOK_URL and WEBHOOK_SECRET, or :class:`SettingsError` naming the missing one."""
        missing = [
            name
            for name, value in (
                ("WEBHOOK_URL", self.webhook_url),
                ("WEBHOOK_SECRET", self.webhook_secret),
            )
            if value is None
        ]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} must be set for --webhook: the public https URL "
                "Telegram posts updates to, and a secret of 1-256 characters (A-Z, a-z, 0-9, "
                "_ and -) it sends with each one (see .env.example)"
            )
        assert self.webhook_url is not None and self.webhook_secret is not None
        return self.webhook_url, self.webhook_secret

    def require_token(self) -> SecretStr:
        """The bot token, or :class:`MissingTokenError` when it is not configured."""
        if self.token is None:
            raise MissingTokenError()
        return self.token


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read the settings once; a malformed value raises :class:`SettingsError` naming it."""
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def token_configured(env_file: Path | None = Path(".env")) -> bool:
    """Whether TELEGRAM_BOT_TOKEN is set (``python -m bot`` runs the bot, else the chat)."""
    return load_settings(env_file).token is not None
