"""What the bot remembers survives restarts and keeps only what the features need."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.store import DAY, Store


def test_misses_are_grouped_counted_and_survive_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    now = 1_000_000.0
    store.record("no_answer", "private", question="Who is Putin?", now=now)
    store.record("no_answer", "group", question="who is putin", now=now + 1)
    store.record("clarify", "private", question="defense ministry", now=now + 2)
    store.record("answer", "private", entry="who-brokered", question="who brokered", now=now + 3)
    store.close()
    reopened = Store(tmp_path / "bot.sqlite3")
    misses = reopened.unanswered(now=now + 10)
    assert [(m.question, m.count, m.kind) for m in misses] == [
        ("who is putin", 2, "no_answer"), ("defense ministry", 1, "clarify")]


def test_answered_question_texts_are_not_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    store.record("answer", "private", entry="lavrov", question="my secret question")
    store.close()
    assert b"my secret question" not in (tmp_path / "bot.sqlite3").read_bytes()


def test_one_vote_per_user_per_answer_and_it_can_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    assert store.vote("1:10", 42, "lavrov", +1, now=100.0)
    assert not store.vote("1:10", 42, "lavrov", +1, now=101.0)
    assert store.vote("1:10", 42, "lavrov", -1, now=102.0)
    assert store.vote("1:10", 43, "lavrov", +1, now=103.0)
    last_day = store.stats(now=200.0)[0]
    assert (last_day.up, last_day.down) == (1, 1)


def test_stats_per_window(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    now = 10 * DAY
    store.record("answer", "private", entry="lavrov", now=now - 2 * DAY)
    store.record("answer", "private", entry="lavrov", now=now - 100)
    store.record("no_answer", "group", question="weather", now=now - 50)
    day, week, ever = store.stats(now=now)
    assert day.counts == {"answer": 1, "no_answer": 1} and week.counts["answer"] == 2
    assert ever.top_entries == [("lavrov", 2)] and ever.top_misses == [("weather", 1)]


def test_concurrent_writes_are_safe(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")

    def work(n: int) -> None:
        for i in range(50):
            store.record("no_answer", "private", question=f"q{n}-{i % 5}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(m.count for m in store.unanswered(limit=100)) == 200
