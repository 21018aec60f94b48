"""Losing no update: a journal of what was fetched, until its answer is sent.

Telegram counts an update as delivered as soon as the next ``getUpdates`` asks for a higher
offset, which PTB does right after fetching, long before the answer is sent. A crash, an
out-of-memory kill or a ``docker stop`` whose grace period runs out would lose every question
being answered at that moment. So each update is appended to ``BOT_DATA_DIR/journal/`` when it
is fetched (before PTB can confirm it) and marked done once its handlers are done; at start,
whatever is left open there is answered first.

Three pieces, one concern: :class:`UpdateJournal` (the file), :class:`PollingRequest` (the
``getUpdates`` transport, which writes each batch before PTB can confirm it) and
:class:`JournalingProcessor` (which marks each update done once answered). The run loop that
starts and stops the bot is ``bot/tg/run.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

from bot.tg.context import BotApplication
from bot.tg.outbox import deliveries
from bot.tg.transport import AiohttpRequest

log = logging.getLogger(__name__)


class UpdateJournal:
    """Updates fetched and not yet handled, in one append-only file, so that a crash loses none.

    Each fetched update is appended as a line ``{"update": {...}}`` and each handled one as
    ``{"done": id}``: one ``write`` per batch of updates and one per answer, instead of creating
    and deleting a file per update (which cost as much as matching the question). The file is
    emptied (truncated in place) whenever nothing is open, so that no message stays on disk
    longer than its answer takes, and rewritten with only the open updates when it grows large
    under constant load. A line torn by a crash mid-write is skipped when reading.

    Also remembers when ``getUpdates`` last succeeded: the health check's sign of life.
    """

    FILE = "updates.jsonl"
    COMPACT_AT = 4 * 1024 * 1024  # bytes: rewrite with only the open updates beyond this

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / self.FILE
        self.last_fetch: float | None = None  # wall-clock time of the last good getUpdates
        self._open: dict[int, bytes] = {}  # update id -> its journal line, until handled
        self._file: BinaryIO | None = None
        self._size = 0
        self._failing = False

    def fetched(self, payload: bytes) -> None:
        """Record every update of a ``getUpdates`` response before PTB sees it."""
        self.last_fetch = time.time()
        try:
            updates = json.loads(payload)["result"]
        except (ValueError, KeyError, TypeError):
            return  # PTB reports a malformed response itself
        if isinstance(updates, list):
            self._add(
                (update["update_id"], update)
                for update in updates
                if isinstance(update, dict) and isinstance(update.get("update_id"), int)
            )

    def record(self, update_id: int, data: dict[str, Any]) -> None:
        """Record one update (webhook mode) unless it is already there."""
        self._add([(update_id, data)])

    def _add(self, updates: Iterable[tuple[int, dict[str, Any]]]) -> None:
        lines = {
            update_id: _line(data) for update_id, data in updates if update_id not in self._open
        }
        if lines and self._write(b"".join(lines.values())):
            self._open.update(lines)

    def done(self, update_id: int) -> None:
        """The update's handlers have finished: forget it."""
        if self._open.pop(update_id, None) is None:
            return
        if not self._open:
            self._empty()  # nothing open: keep no one's message longer than needed
        else:
            self._write(b'{"done": %d}\n' % update_id)
            if self._size >= self.COMPACT_AT:
                self._rewrite()

    def _write(self, data: bytes) -> bool:
        """Append ``data`` in one write; False (logged once) when the disk refuses."""
        try:
            if self._file is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - kept open
                self._size = self._file.tell()
            self._file.write(data)
        except OSError as exc:  # answering matters more than the journal: go on, say so once
            if not self._failing:
                log.error("cannot write the update journal %s: %s", self.path, exc)
            self._failing = True
            self.close()
            return False
        self._failing = False
        self._size += len(data)
        return True

    def _empty(self) -> None:
        """Truncate the file in place (cheap: no rename, it stays open for appending)."""
        if self._file is None:
            self._rewrite()
            return
        try:
            self._file.truncate(0)
            self._size = 0
        except OSError as exc:
            log.warning("cannot empty the update journal %s: %s", self.path, exc)
            self.close()

    def _rewrite(self) -> None:
        """Replace the file by one holding only the open updates (atomically)."""
        self.close()
        temporary = self.path.with_suffix(".tmp")
        try:
            temporary.write_bytes(b"".join(self._open.values()))
            temporary.replace(self.path)
        except OSError as exc:
            log.warning("cannot compact the update journal %s: %s", self.path, exc)

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._open

    def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """What a previous run left unanswered, oldest first (unreadable lines are skipped).

        Reading changes nothing on disk: their "done" lines are appended as they are answered.
        """
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.error("cannot read the update journal %s: %s", self.path, exc)
            return []
        found: dict[int, dict[str, Any]] = {}
        skipped = 0
        for line in lines:
            try:
                item = json.loads(line)
                if "done" in item:
                    found.pop(int(item["done"]), None)
                else:
                    update = item["update"]
                    if not isinstance(update, dict):
                        raise TypeError("not an update")
                    found[int(update["update_id"])] = update
            except (ValueError, KeyError, TypeError, OverflowError):
                skipped += 1  # a line torn by a crash, or not ours
        if skipped:
            aside = self.path.with_name(f"{self.FILE}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            with contextlib.suppress(OSError):
                aside.write_bytes(b"\n".join(lines) + b"\n")
            log.warning(
                "skipped %d unreadable line(s) of the update journal %s (a copy is in %s)",
                skipped,
                self.path,
                aside.name,
            )
        for update_id, data in found.items():
            self._open[update_id] = _line(data)
        return sorted(found.items())


def _line(update: dict[str, Any]) -> bytes:
    # ASCII escapes: any text Telegram can send is written, lone surrogates ("\ud800") included,
    # which UTF-8 cannot encode.
    return json.dumps({"update": update}, ensure_ascii=True).encode() + b"\n"


class PollingRequest(AiohttpRequest):
    """The HTTP transport of ``getUpdates`` only: it journals each fetched update.

    PTB confirms a batch with its next ``getUpdates``, which it sends only after this returns,
    so every update is on disk before Telegram can forget it.
    """

    def __init__(self, journal: UpdateJournal) -> None:
        super().__init__(connection_pool_size=1)  # one getUpdates at a time, as PTB does
        self.journal = journal

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            self.journal.fetched(payload)
        return code, payload


class JournalingProcessor(SimpleUpdateProcessor):
    """Runs updates concurrently, removing each from the journal once its handlers are done.

    Also records updates that did not come through ``getUpdates`` (webhook mode), and skips an
    update Telegram sends again after it was answered from the journal.
    """

    def __init__(self, max_concurrent_updates: int, journal: UpdateJournal) -> None:
        super().__init__(max_concurrent_updates)
        self.journal = journal
        self._replaying: set[int] = set()
        self._replayed: set[int] = set()
        self._waiting: set[asyncio.Future[Any]] = set()  # updates waiting for queued replies
        # Called with each update id once it is handled and its queued replies are sent or
        # dropped: what the tests await to prove that the bot stayed silent.
        self.on_handled: list[Callable[[int], None]] = []

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        update_id = update.update_id
        if update_id in self._replaying:
            self._replaying.discard(update_id)
            self._replayed.add(update_id)
        elif update_id in self._replayed:  # answered from the journal, and now fetched again
            log.info("update %s was answered from the journal already", update_id)
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            self._handled(update_id)
            return
        if update_id not in self.journal:  # polling journals updates as they are fetched
            self.journal.record(update_id, update.to_dict())
        # A reply queued for a group (bot/tg/outbox.py) is not sent yet when the handler
        # returns: the update stays open until it is.
        with deliveries() as posted:
            try:
                await coroutine
            except BaseException:
                self._handled(update_id)
                raise
        if not posted:
            self._handled(update_id)
            return
        waiting = asyncio.gather(*posted)
        self._waiting.add(waiting)
        waiting.add_done_callback(lambda sent: self._delivered(update_id, sent))

    async def settle(self) -> None:
        """Wait until every update whose replies were queued is marked (after Outbox.drain)."""
        if self._waiting:
            await asyncio.gather(*self._waiting, return_exceptions=True)
        await asyncio.sleep(0)  # their done callbacks run on the next turn of the loop

    def _delivered(self, update_id: int, sent: asyncio.Future[Any]) -> None:
        self._waiting.discard(sent)
        if not sent.cancelled():  # cancelled: stopped with it unsent, answered at the next start
            self._handled(update_id)

    def _handled(self, update_id: int) -> None:
        self.journal.done(update_id)
        for listener in self.on_handled:
            listener(update_id)

    async def replay(self, application: BotApplication) -> int:
        """Queue what a previous run left unanswered; the number of updates queued."""
        count = 0
        for update_id, data in self.journal.pending():
            try:
                update = Update.de_json(data, application.bot)
                if update is None:
                    raise ValueError("empty update")
            except Exception as exc:  # one bad entry must not stop the bot
                log.warning("dropping journal entry %s: %s", update_id, type(exc).__name__)
                self.journal.done(update_id)
                continue
            self._replaying.add(update.update_id)
            await application.update_queue.put(update)
            count += 1
        if count:
            log.info("answering %d update(s) a previous run left unanswered", count)
        return count
