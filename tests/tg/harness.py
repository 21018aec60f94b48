"""Run the real bot Application against the fake Bot API server (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.settings import Settings
from bot.tg.app import build_application
from bot.tg.context import BotApplication
from bot.tg.reliability import JournalingProcessor, UpdateJournal, serve
from tests.fake_bot_api import FakeBotAPI

POLL_TIMEOUT = 1  # seconds a getUpdates call waits: keeps stopping quick


def settings_for(fake: FakeBotAPI, **overrides: Any) -> Settings:
    """Settings as an operator would write them, pointing at the fake server."""
    values: dict[str, Any] = {
        "token": fake.token,
        "base_url": fake.base_url,
        "base_file_url": fake.base_file_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running(
    fake: FakeBotAPI, engine: Engine, *, rate_limited: bool = True, **settings: Any
) -> AsyncIterator[BotApplication]:
    """The bot polling the fake, started and stopped as ``python -m bot run`` does.

    ``settings`` override the defaults (``data_dir``, ``admin_ids``...); without a ``data_dir``
    the bot remembers things in a temporary folder, never in the working directory.
    """
    with tempfile.TemporaryDirectory(prefix="bot-data-") as scratch:
        settings.setdefault("data_dir", Path(scratch))
        async with _running(fake, engine, rate_limited, settings) as application:
            yield application


@asynccontextmanager
async def _running(
    fake: FakeBotAPI, engine: Engine, rate_limited: bool, settings: dict[str, Any]
) -> AsyncIterator[BotApplication]:
    application = build_application(
        settings_for(fake, **settings), engine, rate_limited=rate_limited
    )
    report_handled(application, fake)
    async with polling(application):
        yield application


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
async def polling(application: BotApplication) -> AsyncIterator[BotApplication]:
    """Run a built application as ``python -m bot run`` does (production ``serve``: journal
    replay, polling, the same stop order) until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(application, stop=stop, poll_timeout=POLL_TIMEOUT))
    try:
        while not application.running:  # started (PTB sets a flag, no event): polling, handling
            if task.done():
                task.result()  # it failed to start: raise why
            await asyncio.sleep(0.005)
        yield application
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


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
