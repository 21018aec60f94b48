"""Typed state shared by every handler, reached through ``context.bot_data``."""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.curation import Curator
from bot.engine import Engine
from bot.engine.followup import Memory
from bot.engine.model import Reply
from bot.store import Store
from bot.tg.outbox import Outbox

R = TypeVar("R")
# A conversation: ("chat", chat id) in private; ("user", chat id, user id) in a group; ("answer",
# chat id, message id) for the thread of replies to one of the bot's answers.
Thread = tuple[str, int] | tuple[str, int, int]
log = logging.getLogger(__name__)


ON_LOOP_UNDER = 0.002  # seconds: engine calls typically faster than this run on the event loop
_SMOOTHING = 0.1  # weight of the newest call in the typical duration
RECORD_WITHIN = 1.0  # seconds: questions handled are written to the store this soon
# Private answers whose question is remembered (in memory only), so that a thumbs down can keep
# the question for /unanswered; the oldest are forgotten first.
ANSWERS_REMEMBERED = 5_000


class BotData:
    """The engine every handler asks, and where its calls run.

    A call typically faster than ``ON_LOOP_UNDER`` runs right on the event loop: handing a
    sub-millisecond match to a thread and back costs more than the match, and while that thread
    holds the GIL the loop waits anyway (benchmarks: about a third more answers per second).
    Slower calls (a huge knowledge base, a slow machine) run on one engine thread, so the bot
    stays responsive and shows "typing". One slow call moves the next ones to the thread at once;
    fast calls bring them back gradually. The engine is safe to call from both at once: its state
    is read-only, its caches are thread-safe and its stemmer is per thread.
    """

    __slots__ = (
        "_answered",
        "_engine",
        "_flush",
        "_flushing",
        "_typical",
        "_worker",
        "admin_ids",
        "curator",
        "outbox",
        "pending",
        "store",
        "topics",
        "triage",
    )

    def __init__(self) -> None:  # PTB builds bot_data with no arguments
        self._engine: Engine | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._typical = math.inf  # seconds an engine call typically takes; unknown at first
        self._flush: asyncio.TimerHandle | None = None  # writes the recorded questions soon
        self._flushing: set[asyncio.Future[None]] = set()
        self.store: Store | None = None  # what the bot remembers; None when not configured
        self.curator: Curator | None = None  # admins' changes to the knowledge
        self.admin_ids: frozenset[int] = frozenset()
        self.outbox = Outbox()  # replies to groups, queued per group (bot/tg/outbox.py)
        # Per admin, an upload waiting for their confirmation: (token, file name, content).
        self.pending: dict[int, tuple[str, str, bytes]] = {}
        # Per admin, the misses /unanswered last offered with buttons (the buttons carry indexes).
        self.triage: dict[int, list[str]] = {}
        # "chat:message" of a private answer -> the question it answers (see ANSWERS_REMEMBERED).
        self._answered: OrderedDict[str, str] = OrderedDict()
        # What each conversation is about, for follow-up questions (bot/tg/send.py keys it by
        # chat, by user in groups, and by the bot's answer for replies to it). In memory only:
        # a topic expires after ten quiet minutes, so one kept over a restart would rarely be
        # used, and the bot keeps no conversation on disk.
        self.topics: Memory[Thread] = Memory()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("BotData.engine is used before build_application set it")
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def on_event_loop(self) -> bool:
        """True when engine calls are fast enough to run on the event loop."""
        return self._typical < ON_LOOP_UNDER

    async def run(self, work: Callable[[], R]) -> R:
        """Run ``work`` (an engine call) on the event loop when calls are fast, else on the
        engine thread."""
        if self.on_event_loop:
            return self._timed(work)
        return await asyncio.get_running_loop().run_in_executor(self._worker, self._timed, work)

    def _timed(self, work: Callable[[], R]) -> R:
        start = time.perf_counter()
        try:
            return work()
        finally:
            took = time.perf_counter() - start
            typical = self._typical
            # The first call, or slower than usual: believe it at once. Faster: only on average.
            if typical == math.inf or took > typical:
                self._typical = took
            else:
                self._typical = typical + _SMOOTHING * (took - typical)

    def answered(self, key: str, question: str) -> None:
        """Remember that the answer message ``key`` answered ``question``."""
        self._answered[key] = question
        while len(self._answered) > ANSWERS_REMEMBERED:
            self._answered.popitem(last=False)

    def question_of(self, key: str) -> str | None:
        """The question the answer message ``key`` answered, if still remembered."""
        return self._answered.get(key)

    def record(self, reply: Reply, chat_type: str) -> None:
        """Remember how a question was handled (misses keep their text, for /unanswered).

        Buffered in memory and written within ``RECORD_WITHIN`` seconds, in one transaction, on
        a thread: never at the cost of an answer.
        """
        store = self.store
        if store is None:
            return
        store.record(reply.kind.value, chat_type, entry=reply.entry, question=reply.question)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(RECORD_WITHIN, self._start_flush, store)

    def _start_flush(self, store: Store) -> None:
        self._flush = None
        self._flushing.add(task := asyncio.ensure_future(self._write(store)))
        task.add_done_callback(self._flushing.discard)

    @staticmethod
    async def _write(store: Store) -> None:
        try:
            await asyncio.to_thread(store.flush)
        except sqlite3.Error as exc:  # a locked or full database: logged, the batch unrecorded
            log.warning("could not record the questions of the last second: %s", exc)

    def _cancel_flush(self) -> None:
        """Drop the pending timed write (the caller writes or closes the store itself)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None

    async def flush(self) -> None:
        """Write what is buffered now (before reading the store, and when stopping)."""
        self._cancel_flush()
        await asyncio.gather(*self._flushing)
        if self.store is not None:
            await self._write(self.store)

    def close(self) -> None:
        """Stop the engine thread (calls already queued still run), write what was recorded and
        close the store."""
        self._worker.shutdown(wait=False)
        self._cancel_flush()
        if self.store is not None:
            try:
                self.store.close()
            except sqlite3.Error as exc:
                log.warning("could not record the last questions: %s", exc)


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
BotApplication = Application[ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, Any]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
