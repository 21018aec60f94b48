"""The run loop: start the bot, answer until SIGTERM or SIGINT, then stop losing nothing.

:func:`serve` is the one owner of the bot's start and stop; PTB's ``run_polling`` and its
``post_init`` / ``post_stop`` / ``post_shutdown`` hooks are not used, because the bot needs
steps between PTB's (retry an unreachable Telegram, replay the journal, drain the groups'
queues). In order: ``Application.initialize`` (getMe), the command menus, the knowledge
watcher, the journal's replay, polling or the webhook, ``Application.start``; then, on SIGTERM
or SIGINT: no new updates, every fetched update answered (``Application.stop`` waits for running
handlers), the groups' queued replies sent, the watcher stopped, ``Application.shutdown``, and
what was recorded written. A second signal stops at once; the journal (``bot/tg/journal.py``)
keeps what was left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.health import HEARTBEAT_EVERY, heartbeat, mark_failed, mark_stopped
from bot.tg.admin import watch_knowledge
from bot.tg.commands import set_menus
from bot.tg.context import BotApplication
from bot.tg.journal import JournalingProcessor, UpdateJournal
from bot.tg.webhook import WebhookConfig, start_webhook

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates call waits for updates (PTB's default)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
    watcher: asyncio.Task[None] | None = None
    failed = False
    assert application.updater
    try:
        # Telegram unreachable at start (a network outage, its API down): wait for it.
        if not await _until_reachable(application.initialize, stop, "connecting to Telegram"):
            return
        if not await _until_reachable(
            lambda: set_menus(application.bot), stop, "registering the commands"
        ):
            return
        log.info("running as @%s", application.bot.username)
        watcher = asyncio.create_task(watch_knowledge(application))
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
                bootstrap_retries=-1,  # deleteWebhook until Telegram answers
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
        await _cancel(beat)
        await _stop(application, journal, watcher)
        if health is not None and not failed:
            mark_stopped(health, mode)


async def _stop(
    application: BotApplication,
    journal: UpdateJournal | None,
    watcher: asyncio.Task[None] | None,
) -> None:
    """Stop taking updates, answer every one fetched, then shut down (PTB's order); each step
    runs once, whether the start got that far or not."""
    assert application.updater
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        log.info("stopping: finishing the answers in progress")
        await application.stop()  # waits for every queued update and running handler
        left = await application.bot_data.outbox.drain()  # then for the groups' queued replies
        if left:
            log.warning("%d group reply(ies) unsent; answered at the next start", left)
        processor = application.update_processor
        if isinstance(processor, JournalingProcessor):
            await processor.settle()
    await _cancel(watcher)
    await application.shutdown()
    await application.bot_data.flush()  # the questions recorded in the last second
    application.bot_data.close()  # the engine thread and the store
    if journal is not None:
        journal.close()
        if len(journal):
            log.warning(
                "%d update(s) stay in the journal; they are answered at the next start",
                len(journal),
            )


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


START_RETRY_MAX = 60.0  # seconds: the longest wait between tries to reach Telegram at start


async def _until_reachable(
    step: Callable[[], Awaitable[Any]], stop: asyncio.Event, what: str
) -> bool:
    """Run ``step`` until Telegram answers it, waiting longer each time (1 s doubling to a
    minute); False if asked to stop meanwhile. A refused token is not retried."""
    delay = 1.0
    while True:
        try:
            await step()
            return True
        except (NetworkError, TimedOut) as exc:
            if isinstance(exc, BadRequest):
                raise
            log.warning("%s failed (%s); trying again in %.0f s", what, exc, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return False
        delay = min(START_RETRY_MAX, delay * 2)


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
