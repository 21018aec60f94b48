"""Typed settings from the environment and an optional ``.env`` file, read once at startup."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"

# Shown by ``python -m bot`` when it falls back to the console chat.
CONNECT_HINT = (
    "To connect this bot to Telegram, get a token from @BotFather, set TELEGRAM_BOT_TOKEN "
    "(see .env.example) and run `python -m bot run`."
)


class SettingsError(Exception):
    """A setting is missing or malformed; ``str()`` is one line naming the variable."""


class MissingToken(SettingsError):
    """TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram."""

    def __init__(self) -> None:
        super().__init__(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or in .env (see .env.example), or try the bot without Telegram "
            "with `python -m bot chat`."
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

    def require_token(self) -> SecretStr:
        """The bot token, or :class:`MissingToken` when it is not configured."""
        if self.token is None:
            raise MissingToken()
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
