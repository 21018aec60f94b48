"""Webhook mode: only requests carrying the secret are processed; answers go through the fake."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import cli
from bot.engine import Engine
from bot.errors import SettingsError
from bot.settings import load_settings
from bot.tg.context import BotApplication
from bot.tg.webhook import WebhookConfig
from tests.support.fake_bot_api import FakeBotAPI, JSONDict
from tests.support.harness import ROOT, bot_process, journal_of, serving

SECRET = "s3cret_Token-for-tests"
PUBLIC_URL = "https://bot.example.com/telegram/hook"
WEBHOOK_VARIABLES = ("WEBHOOK_URL", "WEBHOOK_LISTEN", "WEBHOOK_PORT", "WEBHOOK_SECRET")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def webhook_bot(
    fake: FakeBotAPI, engine: Engine, data_dir: Path
) -> AsyncIterator[tuple[BotApplication, str]]:
    """The bot in webhook mode on 127.0.0.1; yields it and the local URL Telegram would post to."""
    port = free_port()
    config = WebhookConfig(PUBLIC_URL, "127.0.0.1", port, SECRET)
    async with serving(fake, engine, webhook=config, data_dir=data_dir) as bot:
        yield bot.app, f"http://127.0.0.1:{port}/telegram/hook"


async def post(url: str, update: JSONDict, secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as r:
        return r.status


async def test_only_requests_with_the_secret_are_processed(engine: Engine, tmp_path: Path) -> None:
    async with FakeBotAPI() as fake, webhook_bot(fake, engine, tmp_path) as (app, url):
        [registered] = fake.calls_to("setWebhook")
        assert registered.params["url"] == PUBLIC_URL
        assert registered.params["secret_token"] == SECRET

        def question(user_id: int, name: str) -> tuple[JSONDict, JSONDict]:
            user = fake.user(user_id, name)
            chat = fake.private_chat(user)
            fake.send_text(chat, user, "Who brokered the truce?")
            return chat, fake.pending_updates[-1]  # the update Telegram would post

        bob_chat, bob_update = question(43, "Bob")
        carol_chat, carol_update = question(44, "Carol")
        alice_chat, alice_update = question(42, "Alice")
        assert await post(url, bob_update, None) == 403
        assert await post(url, carol_update, "wrong-secret") == 403
        assert await post(url, alice_update, SECRET) == 200
        await fake.wait_handled(alice_update["update_id"])
        # The bot journals each update as it starts handling it, in the order they came: a
        # refused update let in would have been handled or still be open by now.
        assert fake.handled == {alice_update["update_id"]}
        assert len(journal_of(app)) == 0
        assert fake.sent(alice_chat["id"])
        assert fake.sent(bob_chat["id"]) == [] and fake.sent(carol_chat["id"]) == []
        assert fake.errors == []


async def test_a_request_that_is_not_json_is_refused(engine: Engine, tmp_path: Path) -> None:
    async with FakeBotAPI() as fake, webhook_bot(fake, engine, tmp_path) as (_, url):
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=b"update_id=1", headers=headers) as response,
        ):
            assert response.status == 403  # PTB accepts application/json only


# --- settings --------------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in (*WEBHOOK_VARIABLES, "TELEGRAM_BOT_TOKEN", "BOT_DATA_DIR", "KNOWLEDGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def test_webhook_settings_are_documented_and_default_sensibly(environment: Any) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert all(f"\n{name}=" in example for name in WEBHOOK_VARIABLES)
    settings = load_settings()
    assert (settings.webhook_listen, settings.webhook_port) == ("0.0.0.0", 8443)
    environment.setenv("WEBHOOK_URL", PUBLIC_URL)
    environment.setenv("WEBHOOK_SECRET", SECRET)
    config = WebhookConfig.from_settings(load_settings())
    assert config.path == "/telegram/hook"
    assert SECRET not in repr(config) and SECRET not in repr(load_settings())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBHOOK_SECRET", "has spaces and $ymbols"),
        ("WEBHOOK_SECRET", "x" * 257),
        ("WEBHOOK_URL", "http://bot.example.com/hook"),
        ("WEBHOOK_PORT", "70000"),
    ],
)
def test_malformed_webhook_settings_name_the_variable(
    environment: pytest.MonkeyPatch, name: str, value: str
) -> None:
    environment.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert name in message and "\n" not in message
    if name == "WEBHOOK_SECRET":
        assert value not in message  # a secret is never echoed


def test_run_webhook_without_url_and_secret_says_what_to_set(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    environment.setenv("BOT_DATA_DIR", str(Path.cwd() / "data"))
    assert cli.main(["run", "--webhook"]) == 2
    error = capsys.readouterr().err
    assert "WEBHOOK_URL and WEBHOOK_SECRET must be set for --webhook" in error


# --- the real process --------------------------------------------------------------------------


async def test_python_m_bot_run_webhook_answers_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    async with FakeBotAPI() as fake:
        process = await bot_process(
            fake,
            tmp_path,
            "--webhook",
            WEBHOOK_URL=PUBLIC_URL,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
            LOG_LEVEL="DEBUG",
        )
        alice = fake.user(42, "Alice")
        chat = fake.private_chat(alice)
        fake.send_text(chat, alice, "Who brokered the truce?")
        url = f"http://127.0.0.1:{port}/telegram/hook"
        try:
            status = await until_listening(url, fake.pending_updates[-1], process)
            assert status == 200
            [answer] = await fake.wait_sent(chat["id"], timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        log = output.decode()
        assert process.returncode == 0, log
        assert answer["text"]
        assert SECRET not in log and fake.token not in log
        assert fake.errors == []


async def until_listening(url: str, update: JSONDict, process: asyncio.subprocess.Process) -> int:
    """POST ``update`` as soon as the bot listens (it starts in a second or two)."""
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError("the bot exited")
        try:
            return await post(url, update, SECRET)
        except aiohttp.ClientConnectionError:
            # PTB calls setWebhook before it listens, so nothing the fake sees tells when the
            # port opens in the other process: try connecting again.
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listens on {url}")
