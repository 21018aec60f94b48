"""Fixtures for the Telegram face: the fake Bot API server and the real bot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine
from bot.engine.evaluate import load_cases
from bot.engine.followup import Topic
from bot.engine.model import Kind, Reply
from bot.tg.context import BotApplication
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.harness import running

TESTS = Path(__file__).resolve().parents[1]

Launch = Callable[..., Awaitable[tuple[FakeBotAPI, BotApplication]]]


@pytest.fixture
async def launch(engine: Engine) -> AsyncIterator[Launch]:
    """Start a fake server (a new one, or ``fake``) and the bot polling it, with ``engine``
    (by default the shipped knowledge's) and ``settings`` overridden; stop both after."""
    async with AsyncExitStack() as stack:

        async def start(
            bot_engine: Engine | None = None, *, fake: FakeBotAPI | None = None, **settings: Any
        ) -> tuple[FakeBotAPI, BotApplication]:
            server = await stack.enter_async_context(fake or FakeBotAPI())
            app = await stack.enter_async_context(running(server, bot_engine or engine, **settings))
            return server, app

        yield start


@pytest.fixture
async def fake(launch: Launch) -> FakeBotAPI:
    """The fake server with the bot running against it in privacy mode (Telegram's default)."""
    server, _ = await launch()
    return server


class ClarifyingEngine(Engine):
    """The real engine, except that every question is ambiguous between a few real entries.

    Whether some question gets a clarify reply depends on how matching is tuned; the Telegram
    side of clarify must be tested whatever the tuning.
    """

    def converse(
        self, text: str, hint: str | None = None, topic: Topic | None = None
    ) -> tuple[Reply, Topic | None]:
        reply = Reply(
            question=text,
            kind=Kind.CLARIFY,
            text=self.knowledge.messages.get("clarify", "Which one do you mean?"),
            options=tuple(self.examples(3)),
        )
        return reply, topic


@pytest.fixture
def clarifying(engine: Engine) -> Engine:
    return ClarifyingEngine(engine.knowledge)


@pytest.fixture(scope="session")
def eval_questions() -> list[str]:
    return [c.question for c in load_cases(TESTS.parent / "knowledge" / "eval.yaml")]


@pytest.fixture(scope="session")
def question_of_kind(engine: Engine, eval_questions: list[str]) -> Callable[[Kind], str]:
    """An evaluation question the engine answers with the given kind (knowledge changes)."""

    def find(kind: Kind) -> str:
        for question in eval_questions:
            if engine.ask(question).kind is kind:
                return question
        pytest.skip(f"no evaluation question currently gets a {kind.value} reply")

    return find
