"""Losing no update: a journal of what was fetched, and a run loop that stops gracefully.

Telegram counts an update as delivered as soon as the next ``getUpdates`` asks for a higher
offset, which PTB does right after fetching, long before the answer is sent. A crash, an
out-of-memory kill or a ``docker stop`` whose grace period runs out would lose every question
being answered at that moment. So each update is written to ``BOT_DATA_DIR/journal/`` when it is
fetched (before PTB can confirm it) and removed once its handlers are done; at start, whatever is
left there is answered first.

:func:`serve` runs the bot until SIGTERM or SIGINT, then stops in the order that loses nothing:
no new updates, every fetched update answered (PTB's ``Application.stop`` waits for running
handlers), then shut down. A second signal stops at once; the journal keeps what was left.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import SimpleUpdateProcessor
from telegram.request import HTTPXRequest

from bot.tg.context import BotApplication
from bot.tg.health import HEARTBEAT_EVERY, heartbeat, mark_failed, mark_stopped
from bot.tg.webhook import WebhookConfig, start_webhook

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates call waits for updates (PTB's default)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class UpdateJournal:
    """Updates fetched and not yet handled, one JSON file each, so that a crash loses none.

    Also remembers when ``getUpdates`` last succeeded: the health check's sign of life.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.last_fetch: float | None = None  # wall-clock time of the last good getUpdates
        self._open: set[int] = set()
        self._failing = False

    def _path(self, update_id: int) -> Path:
        return self.directory / f"{update_id}.json"

    def fetched(self, payload: bytes) -> None:
        """Record every update of a ``getUpdates`` response before PTB sees it."""
        self.last_fetch = time.time()
        try:
            updates = json.loads(payload)["result"]
        except (ValueError, KeyError, TypeError):
            return  # PTB reports a malformed response itself
        if isinstance(updates, list):
            for update in updates:
                if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                    self.record(update["update_id"], update)

    def record(self, update_id: int, data: dict[str, Any]) -> None:
        """Write the update unless it is already there (atomically: never half a file)."""
        if update_id in self._open:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self._path(update_id)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            temporary.replace(path)
        except OSError as exc:  # answering matters more than the journal: go on, say so once
            if not self._failing:
                log.error("cannot write the update journal in %s: %s", self.directory, exc)
            self._failing = True
            return
        self._failing = False
        self._open.add(update_id)

    def done(self, update_id: int) -> None:
        """The update's handlers have finished: forget it."""
        if update_id not in self._open:
            return
        self._open.discard(update_id)
        try:
            self._path(update_id).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot remove %s from the update journal: %s", update_id, exc)

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._open

    def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """What a previous run left unanswered, oldest first (unreadable entries are dropped)."""
        if not self.directory.is_dir():
            return []
        found: list[tuple[int, dict[str, Any]]] = []
        for path in self.directory.glob("*.json"):
            try:
                update_id = int(path.stem)
                data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("not an update")
            except (OSError, ValueError) as exc:
                log.warning("dropping unreadable journal entry %s: %s", path.name, exc)
                path.unlink(missing_ok=True)
                continue
            self._open.add(update_id)
            found.append((update_id, data))
        return sorted(found, key=lambda item: item[0])


class PollingRequest(HTTPXRequest):
    """The HTTP transport of ``getUpdates`` only: it journals each fetched update.

    PTB confirms a batch with its next ``getUpdates``, which it sends only after this returns,
    so every update is on disk before Telegram can forget it.
    """

    def __init__(self, journal: UpdateJournal) -> None:
        super().__init__(connection_pool_size=1)  # PTB's default for getUpdates
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
            self.journal.done(update_id)
            return
        if update_id not in self.journal:  # polling journals updates as they are fetched
            self.journal.record(update_id, update.to_dict())
        try:
            await coroutine
        finally:
            self.journal.done(update_id)

    async def replay(self, application: BotApplication) -> int:
        """Queue what a previous run left unanswered; the number of updates queued."""
        count = 0
        for update_id, data in self.journal.pending():
            try:
                update = Update.de_json(data, application.bot)
            except (KeyError, TypeError, ValueError) as exc:  # one bad entry must not stop the bot
                log.warning("dropping journal entry %s: %r", update_id, exc)
                self.journal.done(update_id)
                continue
            self._replaying.add(update.update_id)
            await application.update_queue.put(update)
            count += 1
        if count:
            log.info("answering %d update(s) a previous run left unanswered", count)
        return count


async def serve(
    application: BotApplication,
    *,
    webhook: WebhookConfig | None = None,
    health: Path | None = None,
    stop: asyncio.Event | None = None,
    poll_timeout: int = POLL_TIMEOUT,
    heartbeat_every: float = HEARTBEAT_EVERY,
) -> None:
    """Run the bot until ``stop`` is set (by default: on SIGTERM or SIGINT), then stop cleanly.

    Polling, or the webhook server when ``webhook`` is given. ``health`` is the heartbeat file.
    """
    if stop is None:
        stop = asyncio.Event()
        remove_handlers = _stop_on_signals(stop)
    else:
        remove_handlers = _nothing
    processor = application.update_processor
    journal = processor.journal if isinstance(processor, JournalingProcessor) else None
    mode = "webhook" if webhook else "polling"
    beat: asyncio.Task[None] | None = None
    failed = False
    assert application.updater
    try:
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        if isinstance(processor, JournalingProcessor):
            await processor.replay(application)
        if webhook is not None:
            await start_webhook(application, webhook)
        else:
            await application.updater.start_polling(
                poll_interval=0,
                timeout=poll_timeout,
                # Every update type, nothing dropped: what came while the bot was down gets
                # answered.
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
                error_callback=lambda exc: _report_polling_error(application, exc),
            )
        await application.start()
        if health is not None:
            beat = asyncio.create_task(
                heartbeat(
                    health,
                    mode,
                    lambda: journal.last_fetch if journal is not None else None,
                    heartbeat_every,
                )
            )
        log.info("answering by %s; SIGTERM or Ctrl+C stops after the answers in progress", mode)
        await stop.wait()
    except BaseException as exc:
        failed = True
        if health is not None:
            mark_failed(health, _describe(exc, application.bot.token))
        raise
    finally:
        remove_handlers()
        if beat is not None:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        await _stop(application, journal)
        if health is not None and not failed:
            mark_stopped(health, mode)


async def _stop(application: BotApplication, journal: UpdateJournal | None) -> None:
    """Stop taking updates, answer every one fetched, then shut down (PTB's order)."""
    assert application.updater
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        log.info("stopping: finishing the answers in progress")
        await application.stop()  # waits for every queued update and running handler
        if application.post_stop:
            await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)
    if journal is not None and len(journal):
        log.warning(
            "%d update(s) stay in the journal; they are answered at the next start", len(journal)
        )


def _report_polling_error(application: BotApplication, exc: TelegramError) -> None:
    """Send polling failures to the error handler, as ``run_polling`` does."""
    application.create_task(application.process_error(update=None, error=exc))


def _stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """Set ``stop`` on the first SIGTERM or SIGINT; the next one gets Python's default."""
    loop = asyncio.get_running_loop()

    def remove() -> None:
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)

    def on_signal(sig: signal.Signals) -> None:
        log.info("%s: stopping after the answers in progress (again to stop now)", sig.name)
        stop.set()
        remove()

    try:
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, on_signal, sig)
    except NotImplementedError:  # not on this platform's event loop: Ctrl+C still works
        pass
    return remove


def _nothing() -> None:
    return None


def _describe(exc: BaseException, token: str) -> str:
    """Why the bot stopped, for the health file (no token in it)."""
    if isinstance(exc, InvalidToken):
        return "Telegram rejected TELEGRAM_BOT_TOKEN"
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}".replace(token, "<token>")
