"""Run the real bot against the fake Bot API server, in this process or as ``python -m bot run``
(tests and benchmarks)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.settings import Settings
from bot.tg.app import build_application
from bot.tg.context import BotApplication
from bot.tg.journal import JournalingProcessor, UpdateJournal
from bot.tg.run import serve
from bot.tg.webhook import WebhookConfig
from tests.support.fake_bot_api import FakeBotAPI

POLL_TIMEOUT = 1  # seconds a getUpdates call waits: keeps stopping quick
ROOT = Path(__file__).resolve().parents[2]


def settings_for(fake: FakeBotAPI, **overrides: Any) -> Settings:
    """Settings as an operator would write them, pointing at the fake server."""
    values: dict[str, Any] = {
        "token": fake.token,
        "base_url": fake.base_url,
        "base_file_url": fake.base_file_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Served:
    """The bot as ``serve`` runs it: setting ``stop`` is what SIGTERM does; ``task`` ends when
    the bot has stopped."""

    app: BotApplication
    stop: asyncio.Event
    task: asyncio.Task[None]


@asynccontextmanager
async def serving(
    fake: FakeBotAPI,
    engine: Engine,
    *,
    rate_limited: bool = True,
    webhook: WebhookConfig | None = None,
    health: Path | None = None,
    heartbeat_every: float | None = None,
    **settings: Any,
) -> AsyncIterator[Served]:
    """The bot against ``fake``, started and stopped as ``python -m bot run`` does; the one
    way tests start a bot in-process.

    Polling, or the webhook server given ``webhook``; ``health`` is the heartbeat file.
    ``settings`` override the defaults (``data_dir``, ``admin_ids``...); without a ``data_dir``
    the bot remembers things in a temporary folder, never in the working directory. The bot
    reports each update it has handled to ``fake`` (``fake.wait_handled``).
    """
    with tempfile.TemporaryDirectory(prefix="bot-data-") as scratch:
        settings.setdefault("data_dir", Path(scratch))
        application = build_application(
            settings_for(fake, **settings), engine, rate_limited=rate_limited
        )
        report_handled(application, fake)
        options: dict[str, Any] = {"webhook": webhook, "health": health}
        if heartbeat_every is not None:
            options["heartbeat_every"] = heartbeat_every
        async with polling(application, **options) as served:
            yield served


@asynccontextmanager
async def running(
    fake: FakeBotAPI, engine: Engine, **options: Any
) -> AsyncIterator[BotApplication]:
    """``serving``, for a test that needs only the application."""
    async with serving(fake, engine, **options) as served:
        yield served.app


def report_handled(application: BotApplication, fake: FakeBotAPI) -> None:
    """Tell ``fake`` when the bot has handled each update, for ``fake.wait_handled``."""
    processor = application.update_processor
    assert isinstance(processor, JournalingProcessor)
    processor.on_handled.append(fake.report_handled)


def journal_of(application: BotApplication) -> UpdateJournal:
    """The bot's journal of the updates it has fetched and not handled yet."""
    processor = application.update_processor
    assert isinstance(processor, JournalingProcessor)
    return processor.journal


@asynccontextmanager
async def polling(application: BotApplication, **serve_options: Any) -> AsyncIterator[Served]:
    """Run a built application with production ``serve`` (journal replay, polling or the
    webhook, the same stop order) until the block ends; it has started when the block begins."""
    stop = asyncio.Event()
    serve_options.setdefault("poll_timeout", POLL_TIMEOUT)
    task = asyncio.create_task(serve(application, stop=stop, **serve_options))
    try:
        while not application.running:  # started (PTB sets a flag, no event): polling, handling
            if task.done():
                task.result()  # it failed to start: raise why
                raise AssertionError("the bot stopped before it started")
            await asyncio.sleep(0.005)
        yield Served(application, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def bot_process(
    fake: FakeBotAPI, data_dir: Path, *args: str, **environment: str
) -> asyncio.subprocess.Process:
    """``python -m bot run *args`` against the fake, as a deployment starts it; the one way
    tests start the bot as a process. ``environment`` adds variables (``LOG_LEVEL``...)."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "WEBHOOK_"))
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=ROOT,
        env={
            **inherited,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
            "BOT_DATA_DIR": str(data_dir),
            "RETRY_BASE_DELAY": "0.2",
            "RETRY_MAX_DELAY": "0.5",
            **environment,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


def entity_texts(record: dict[str, Any], kind: str) -> list[str]:
    """The text under each entity of ``kind`` in a message the bot sent (UTF-16 offsets)."""
    units = (record["text"] or "").encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in record["entities"]
        if e["type"] == kind
    ]


def buttons(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of each inline button under a message the bot sent."""
    markup = record["message"].get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]
