"""How handlers use the engine and the store: engine calls inline while they are fast, on the
engine thread when slow; questions handled are recorded in memory and written within a second."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from bot.engine.model import Kind, Reply
from bot.store import Store
from bot.tg.context import ON_LOOP_UNDER, RECORD_WITHIN, BotData


async def test_fast_calls_run_inline_and_a_slow_one_moves_them_to_the_thread() -> None:
    data = BotData()
    loop_thread = threading.get_ident()

    def fast() -> int:
        return threading.get_ident()

    def slow() -> int:
        time.sleep(ON_LOOP_UNDER * 3)  # not a wait: this is the slow call's work
        return threading.get_ident()

    try:
        assert await data.run(fast) != loop_thread  # nothing known yet: the thread
        assert await data.run(fast) == loop_thread  # fast: inline from now on
        assert await data.run(slow) == loop_thread  # (it could not know in advance)
        assert not data.on_event_loop
        assert await data.run(fast) != loop_thread  # after a slow call: the thread again
        for _ in range(50):
            await data.run(fast)
        assert data.on_event_loop  # fast calls bring it back
    finally:
        data.close()


async def test_questions_handled_are_written_within_a_second(tmp_path: Path) -> None:
    data = BotData()
    data.store = Store(tmp_path / "bot.sqlite3")
    elsewhere = Store(tmp_path / "bot.sqlite3")  # what another process (or a crash) would see
    try:
        data.record(Reply("who is putin", Kind.NO_ANSWER, "not covered"), "private")
        data.record(Reply("who brokered it", Kind.ANSWER, "…", entry="who-brokered"), "group")
        deadline = time.monotonic() + RECORD_WITHIN + 2
        # Another connection sees the write only by reading: no event crosses to it, so it
        # polls, until the deadline, for what the bot writes on its own within RECORD_WITHIN.
        while not elsewhere_counts(elsewhere) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert elsewhere_counts(elsewhere) == {"no_answer": 1, "answer": 1}
        assert [m.question for m in elsewhere.unanswered()] == ["who is putin"]
    finally:
        await data.flush()
        data.close()
        elsewhere.close()


def elsewhere_counts(store: Store) -> dict[str, int]:
    [all_time] = [w for w in store.stats() if w.label == "all time"]
    return all_time.counts
