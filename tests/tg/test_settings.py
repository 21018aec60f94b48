"""Settings: typed, read once from the environment and .env, with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.errors import MissingTokenError, SettingsError
from bot.settings import (
    DEFAULT_BASE_FILE_URL,
    DEFAULT_BASE_URL,
    Settings,
    load_settings,
    token_configured,
)

VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "TELEGRAM_BASE_FILE_URL",
    "BOT_ADMIN_IDS",
    "KNOWLEDGE_DIR",
    "BOT_DATA_DIR",
    "LOG_LEVEL",
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    settings = load_settings()
    assert settings.token is None
    assert settings.base_url == DEFAULT_BASE_URL == "https://api.telegram.org/bot"
    assert settings.base_file_url == DEFAULT_BASE_FILE_URL == "https://api.telegram.org/file/bot"
    assert settings.admin_ids == frozenset()
    assert settings.knowledge_dir is None
    assert settings.data_dir == Path("data")
    assert settings.log_level == "INFO"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("BOT_ADMIN_IDS", " 12, 34,,56 ")
    monkeypatch.setenv("KNOWLEDGE_DIR", "/srv/knowledge")
    monkeypatch.setenv("BOT_DATA_DIR", "/var/lib/bot")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.require_token().get_secret_value() == "123:secret"
    assert "123:secret" not in repr(settings)
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.admin_ids == frozenset({12, 34, 56})
    assert settings.knowledge_dir == Path("/srv/knowledge")
    assert settings.data_dir == Path("/var/lib/bot")
    assert settings.log_level == "DEBUG"


def test_dotenv_file_and_environment_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("TELEGRAM_BOT_TOKEN=1:fromfile\nBOT_ADMIN_IDS=7\n", encoding="utf-8")
    monkeypatch.setenv("BOT_ADMIN_IDS", "8")
    settings = load_settings()
    assert settings.require_token().get_secret_value() == "1:fromfile"
    assert settings.admin_ids == frozenset({8})


def test_env_example_as_is_loads_and_documents_every_variable() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    Path(".env").write_text(example, encoding="utf-8")
    settings = load_settings()
    assert settings.token is None and settings.knowledge_dir is None
    for name in VARIABLES:
        assert f"\n{name}=" in example


def test_missing_token_is_one_line_naming_it_and_the_console_chat() -> None:
    with pytest.raises(MissingTokenError) as caught:
        load_settings().require_token()
    message = str(caught.value)
    assert "\n" not in message
    assert "TELEGRAM_BOT_TOKEN" in message and "python -m bot chat" in message


def test_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "   ")
    assert load_settings().token is None
    assert not token_configured()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    assert token_configured()


@pytest.mark.parametrize(("name", "value"), [("BOT_ADMIN_IDS", "12,alice"), ("LOG_LEVEL", "loud")])
def test_malformed_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and name in message


def test_values_given_in_code_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    monkeypatch.setenv("BOT_ADMIN_IDS", "1")
    values: dict[str, Any] = {"token": "1:x", "admin_ids": "5", "log_level": "debug"}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    assert settings.admin_ids == frozenset({5})
    assert settings.log_level == "DEBUG"
