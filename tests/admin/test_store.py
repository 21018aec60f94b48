"""What the bot remembers survives restarts and keeps only what the features need."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.store import DAY, Store


def test_misses_are_grouped_counted_and_survive_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    now = time.time() - 100
    store.record("no_answer", "private", question="Who is Putin?", now=now)
    store.record("no_answer", "group", question="who is putin", now=now + 1)
    store.record("clarify", "private", question="defense ministry", now=now + 2)
    store.record("answer", "private", entry="who-brokered", question="who brokered", now=now + 3)
    store.close()
    reopened = Store(tmp_path / "bot.sqlite3")
    misses = reopened.unanswered(now=now + 10)
    assert [(m.question, m.count, m.kind) for m in misses] == [
        ("who is putin", 2, "no_answer"),
        ("defense ministry", 1, "clarify"),
    ]


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


def test_rows_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    now = time.time()
    store = Store(tmp_path / "bot.sqlite3", retention_days=30)
    store.record("no_answer", "private", question="old question", now=now - 31 * DAY)
    store.record("no_answer", "private", question="new question", now=now - DAY)
    store.vote("1:1", 42, "lavrov", +1, now=now - 31 * DAY)
    store.flush()
    assert store.prune(now) == 2
    assert [m.question for m in store.unanswered(now=now, since_days=365)] == ["new question"]
    assert store.stats(now=now)[2].up == 0
    store.close()
    assert b"old question" not in (tmp_path / "bot.sqlite3").read_bytes()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda path: path.write_bytes(b"this is not a database" * 100),
        lambda path: path.write_bytes(_valid_database(path)[:3000]),  # truncated
        lambda path: _other_schema(path),
    ],
    ids=["not-sqlite", "truncated", "other-schema"],
)
def test_an_unusable_file_is_moved_aside_and_replaced(
    tmp_path: Path, spoil: object, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.sqlite3"
    spoil(path)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        store = Store(path)
    store.record("no_answer", "private", question="still recorded")
    assert [m.question for m in store.unanswered()] == ["still recorded"]
    [aside] = tmp_path.glob("bot.sqlite3.unusable-*[0-9]")
    assert str(path) in caplog.text and aside.name in caplog.text


def _valid_database(path: Path) -> bytes:
    scratch = path.with_name("scratch.sqlite3")
    store = Store(scratch)
    for i in range(500):
        store.record("no_answer", "private", question=f"question {i}")
    store.close()
    return scratch.read_bytes()


def _other_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT)")
    db.commit()
    db.close()


def test_reading_and_recording_never_wait_for_a_write_in_progress(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    store.record("no_answer", "private", question="before")
    store.flush()
    results: list[object] = []

    with store._lock:  # a long write holds the writer's connection
        reader = threading.Thread(target=lambda: results.append(_read(store)))
        recorder = threading.Thread(target=lambda: store.record("answer", "private", entry="x"))
        reader.start()
        recorder.start()
        reader.join(timeout=5)
        recorder.join(timeout=5)
        assert not reader.is_alive() and not recorder.is_alive()
    assert results == [["before"]]


def _read(store: Store) -> list[str]:
    """What /unanswered reads, without the flush that precedes it (which would write)."""
    with store._reader() as db:
        return [
            row[0] for row in db.execute("SELECT question FROM events WHERE question IS NOT NULL")
        ]


def test_near_misses_are_kept_for_unanswered_with_how_they_were_handled(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.sqlite3")
    now = time.time()
    store.record("near_miss", "private", question="What did Erdogan say about France?", now=now)
    store.record("near_miss", "group", question="what did erdogan say about france", now=now)
    store.record("clarify", "private", question="what did erdogan say about france", now=now)
    store.record("no_answer", "private", question="who is putin", now=now)
    misses = store.unanswered(now=now + 1)
    assert [(m.question, m.count, m.kind) for m in misses] == [
        ("what did erdogan say about france", 3, "near_miss"),
        ("who is putin", 1, "no_answer"),
    ]
