"""The update journal on its own: what a bot starting over the same folder would answer again."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.tg.journal import UpdateJournal


def update(update_id: int, text: str = "Who brokered the truce?") -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": text}}


def response(*updates: dict[str, object]) -> bytes:
    return json.dumps({"ok": True, "result": list(updates)}).encode()


Opener = Callable[[Path], UpdateJournal]


@pytest.fixture
def journal_in() -> Iterator[Opener]:
    """Opens a journal over a folder and closes it after the test: a test that "crashes" by not
    closing it must not leak the file."""
    opened: list[UpdateJournal] = []

    def open_journal(directory: Path) -> UpdateJournal:
        opened.append(UpdateJournal(directory))
        return opened[-1]

    yield open_journal
    for journal in opened:
        journal.close()


def reopened(directory: Path) -> list[tuple[int, dict[str, object]]]:
    return UpdateJournal(directory).pending()


def test_fetched_updates_survive_until_handled(tmp_path: Path, journal_in: Opener) -> None:
    journal = journal_in(tmp_path)
    journal.fetched(response(update(1), update(2, "¿Quién? — «truce»"), update(3)))
    journal.done(2)
    # No close: a crash. The next start answers 1 and 3, with their text intact.
    assert reopened(tmp_path) == [(1, update(1)), (3, update(3))]


def test_an_update_fetched_twice_is_answered_once(tmp_path: Path, journal_in: Opener) -> None:
    journal = journal_in(tmp_path)
    journal.fetched(response(update(1)))
    journal.fetched(response(update(1)))  # Telegram sent it again: not yet confirmed
    assert len(journal) == 1
    journal.done(1)
    assert reopened(tmp_path) == []


def test_a_line_torn_by_a_crash_is_skipped(tmp_path: Path, journal_in: Opener) -> None:
    journal = journal_in(tmp_path)
    journal.fetched(response(update(1), update(2)))
    journal.close()
    with journal.path.open("ab") as file:
        file.write(b'{"update": {"update_id": 3, "mess')  # the power went out here
    assert [update_id for update_id, _ in reopened(tmp_path)] == [1, 2]


def test_starting_again_answers_nothing_twice(tmp_path: Path, journal_in: Opener) -> None:
    first = journal_in(tmp_path)
    first.fetched(response(update(1), update(2)))
    second = journal_in(tmp_path)
    assert [update_id for update_id, _ in second.pending()] == [1, 2]
    second.done(1)
    second.done(2)
    assert reopened(tmp_path) == []


def test_the_file_stays_small_under_constant_load(tmp_path: Path, journal_in: Opener) -> None:
    journal = journal_in(tmp_path)
    journal.COMPACT_AT = 20_000
    big = "x" * 500
    journal.fetched(response(update(0, big)))  # one question stays open throughout
    for n in range(1, 2_000):
        journal.fetched(response(update(n, big)))
        journal.done(n)
    assert journal.path.stat().st_size < 2 * journal.COMPACT_AT
    assert reopened(tmp_path) == [(0, update(0, big))]
    journal.done(0)
    assert reopened(tmp_path) == []


def test_a_journal_that_cannot_be_written_does_not_stop_answers(
    tmp_path: Path, journal_in: Opener
) -> None:
    blocked = tmp_path / "journal"
    blocked.write_text("a file where the folder should be")
    journal = journal_in(blocked)
    journal.fetched(response(update(1)))  # logged, not raised
    assert len(journal) == 0
    journal.done(1)


def test_any_text_telegram_can_send_is_journaled(tmp_path: Path, journal_in: Opener) -> None:
    # A lone surrogate cannot be encoded as UTF-8; it used to make every getUpdates fail.
    journal = journal_in(tmp_path)
    journal.fetched(
        json.dumps({"ok": True, "result": [update(1, "\ud800 who brokered it?")]}).encode()
    )
    assert 1 in journal
    assert reopened(tmp_path) == [(1, update(1, "\ud800 who brokered it?"))]


def test_lines_of_the_wrong_shape_are_skipped_and_kept_aside(
    tmp_path: Path, journal_in: Opener, caplog: pytest.LogCaptureFixture
) -> None:
    journal = journal_in(tmp_path)
    journal.fetched(response(update(1)))
    journal.close()
    with journal.path.open("ab") as file:
        file.write(
            b'{"done": 1e400}\n{"update": "x"}\n[1, 2]\n\xff\xfe\n{"update": {"update_id": 2}}\n'
        )
    with caplog.at_level(logging.WARNING):
        pending = reopened(tmp_path)
    assert [update_id for update_id, _ in pending] == [1, 2]
    [aside] = tmp_path.glob("updates.jsonl.unreadable-*")
    assert "4 unreadable line(s)" in caplog.text and aside.name in caplog.text


def test_nothing_stays_on_disk_once_every_update_is_answered(
    tmp_path: Path, journal_in: Opener
) -> None:
    journal = journal_in(tmp_path)
    journal.fetched(response(update(1, "my private question"), update(2)))
    journal.done(1)
    assert b"my private question" in journal.path.read_bytes()  # 2 is still open
    journal.done(2)
    assert journal.path.read_bytes() == b""
    journal.fetched(response(update(3)))  # and it goes on recording after that
    assert reopened(tmp_path) == [(3, update(3))]
