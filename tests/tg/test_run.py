"""Starting the bot: command menus, ``main()`` exit codes, and a token that never reaches a log."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.tg.logs import install_logging, uninstall_redaction
from tests.support.fake_bot_api import FakeBotAPI

from .conftest import Launch

ROOT = Path(__file__).resolve().parents[2]

# What `python -m bot run` does, minus argument parsing: settings, knowledge, then the bot.
RUN_BOT = """
import sys
from pathlib import Path
from bot.engine import Engine, load_knowledge
from bot.settings import load_settings
from bot.tg.app import main
settings = load_settings(env_file=None)
sys.exit(main(settings, Engine(load_knowledge(Path("knowledge")))))
"""


async def test_commands_are_registered_per_chat_type(fake: FakeBotAPI) -> None:
    private = fake.get_commands({"type": "all_private_chats"})
    groups = fake.get_commands({"type": "all_group_chats"})
    assert [c["command"] for c in private] == ["start", "help", "sources", "ask"]
    assert [c["command"] for c in groups] == ["ask", "help"]
    assert all(c["description"] for c in private + groups)
    assert fake.errors == []


async def test_debug_logs_never_contain_the_token(
    launch: Launch, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    token = FakeBotAPI().token
    install_logging("DEBUG", [token])
    caplog.set_level(logging.DEBUG)
    try:
        fake, _ = await launch()
        alice = fake.user(42, "Alice")
        chat = fake.private_chat(alice)
        fake.send_text(chat, alice, "Who brokered the truce?")
        fake.send_text(chat, alice, "/start")
        fake.inline_query(alice, "truce")
        fake.fail_next("sendMessage", 400, "Bad Request: failure to log")
        fake.send_text(chat, alice, "What happened?")
        await fake.wait_sent(chat["id"], 3)
        await fake.wait_handled()
    finally:
        uninstall_redaction()
        logging.getLogger().setLevel(logging.WARNING)
    assert len(caplog.records) > 20  # DEBUG really was on
    assert token not in caplog.text
    assert all(token not in r.getMessage() for r in caplog.records)


async def run_main(env: dict[str, str]) -> asyncio.subprocess.Process:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    # What the bot remembers goes to a scratch folder, not the working tree.
    environment["BOT_DATA_DIR"] = tempfile.mkdtemp(prefix="bot-data-")
    environment.update(env)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN_BOT,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_main_answers_then_stops_cleanly_without_logging_the_token() -> None:
    async with FakeBotAPI() as fake:
        process = await run_main(
            {
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_BASE_URL": fake.base_url,
                "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
                "LOG_LEVEL": "DEBUG",
            }
        )
        alice = fake.user(42, "Alice")
        chat = fake.private_chat(alice)
        fake.send_text(chat, alice, "Who brokered the truce?")
        try:
            [reply] = await fake.wait_sent(chat["id"], timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    output = (stdout + stderr).decode()
    assert process.returncode == 0, output
    assert reply["text"]
    assert "DEBUG" in output  # the level was applied
    assert fake.token not in output
    assert fake.errors == []


async def test_main_without_a_token_says_what_to_set() -> None:
    process = await run_main({"TELEGRAM_BOT_TOKEN": ""})
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    [line] = stderr.decode().strip().splitlines()
    assert "TELEGRAM_BOT_TOKEN" in line and "python -m bot chat" in line


async def test_main_with_a_rejected_token_fails_without_showing_it() -> None:
    async with FakeBotAPI() as fake:
        wrong = "999999:WRONG-token-that-must-not-leak"
        process = await run_main(
            {
                "TELEGRAM_BOT_TOKEN": wrong,
                "TELEGRAM_BASE_URL": fake.base_url,
                "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
                "LOG_LEVEL": "DEBUG",
            }
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    output = (stdout + stderr).decode()
    assert process.returncode == 1, output
    assert "rejected TELEGRAM_BOT_TOKEN" in output
    assert wrong not in output
