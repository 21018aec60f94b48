"""Typed state shared by every handler, reached through ``context.bot_data``."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.curation import Curator
from bot.engine import Engine
from bot.engine.model import Reply
from bot.store import Store

R = TypeVar("R")
log = logging.getLogger(__name__)


class BotData:
    """The engine every handler asks, and the one thread it runs on.

    The engine runs off the event loop so that the bot stays responsive and can show "typing"
    while an answer takes time, but on a single thread: engine calls are never concurrent, so
    nothing in the engine has to be thread-safe (its stemmer is not).
    """

    __slots__ = ("_engine", "_worker", "admin_ids", "curator", "store", "watcher")

    def __init__(self) -> None:  # PTB builds bot_data with no arguments
        self._engine: Engine | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self.store: Store | None = None  # what the bot remembers; None when not configured
        self.curator: Curator | None = None  # admins' changes to the knowledge
        self.admin_ids: frozenset[int] = frozenset()
        self.watcher: asyncio.Task[None] | None = None  # picks up knowledge edits on disk

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("BotData.engine is used before build_application set it")
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine

    async def run(self, work: Callable[[], R]) -> R:
        """Run ``work`` (an engine call) on the engine thread."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, work)

    async def record(self, reply: Reply, chat_type: str) -> None:
        """Remember how a question was handled (misses keep their text, for /unanswered).

        Off the event loop, and never at the cost of an answer: a locked or full database is
        logged and the question goes unrecorded.
        """
        store = self.store
        if store is None:
            return
        try:
            await asyncio.to_thread(
                store.record, reply.kind.value, chat_type, entry=reply.entry,
                question=reply.question,
            )
        except sqlite3.Error as exc:
            log.warning("could not record a %s question: %s", reply.kind.value, exc)

    def close(self) -> None:
        """Stop the engine thread (calls already queued still run) and close the store."""
        self._worker.shutdown(wait=False)
        if self.store is not None:
            self.store.close()


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
BotApplication = Application[ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, Any]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
