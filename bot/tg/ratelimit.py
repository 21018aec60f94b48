"""Limits on what goes out to Telegram: its flood limits, retries and permanent failures.

Every Bot API call but ``getUpdates`` passes through :class:`BotApiLimiter` (PTB calls its
``process_request``), so Telegram's flood limits, retries and the logging of permanent failures
live in this one place. The limit on what one user sends in is ``bot/tg/flood.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.settings import Settings

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
Sleep = Callable[[float], Awaitable[None]]

# Calls that are worth little once late: "typing" is a courtesy (the next one comes in 4 s), and
# Telegram drops callback and inline answers after about 10 s.
RETRIES_FOR = {"sendChatAction": 0, "answerCallbackQuery": 3, "answerInlineQuery": 3}
# A 429 asking for more than this is not waited out: the call fails (and is logged) instead of
# holding a handler for hours.
MAX_RETRY_AFTER = 120.0
RETRY_AFTER_SLACK = 0.1  # seconds added to Telegram's retry_after, as PTB's AIORateLimiter does
UNREACHABLE_MEMORY = 3600.0  # seconds a chat found unreachable is not logged again
MAX_TRACKED_KEYS = 4096  # chats (and users) remembered before idle ones are forgotten


def forget_next_at(tracked: int) -> int:
    """How many chats (or users) to hold before looking for idle ones again, after a look left
    ``tracked``: twice that, so that when nearly all are active a flood of newcomers does not
    scan them all for each one (quadratic); the cost per newcomer stays constant on average."""
    return max(MAX_TRACKED_KEYS, 2 * tracked)


# --- retries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for transient failures."""

    retries: int = 8
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): half to all of the cap."""
        cap = min(self.max_delay, self.base_delay * 2.0**attempt)
        return cap * (0.5 + rng.random() / 2)


def is_transient(exc: TelegramError) -> bool:
    """A failure that may well not happen again: 5xx, reset connection, timeout.

    ``BadRequest`` is a ``NetworkError`` in PTB but never transient: the same request fails again.
    """
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def is_unreachable(exc: TelegramError) -> bool:
    """The chat cannot be written to: the user blocked the bot, it was removed, the chat is gone."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()


# --- sliding windows -------------------------------------------------------------------------


class SlidingWindow:
    """At most ``limit`` calls in any ``period`` seconds, waiting in turn (first come, first out).

    A call counts from the moment it is let through until ``period`` seconds after it finished,
    so the count can only be too high, never too low, whatever the network delay: Telegram counts
    a message when it arrives, which is somewhere in between.
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._finished: deque[float] = deque()
        self._running = 0
        self._turn = asyncio.Lock()  # FIFO: waiters are let through in arrival order
        self._freed = asyncio.Event()

    def _expire(self, now: float) -> None:
        while self._finished and self._finished[0] + self.period <= now:
            self._finished.popleft()

    @property
    def idle(self) -> bool:
        """Nothing counted and nobody waiting: the window may be forgotten."""
        self._expire(time.monotonic())
        return not self._finished and not self._running and not self._turn.locked()

    @property
    def has_room(self) -> bool:
        """A call would go through now."""
        self._expire(time.monotonic())
        return not self._turn.locked() and len(self._finished) + self._running < self.limit

    async def room(self) -> None:
        """Wait until a call would go through now, without taking its place."""
        while True:
            now = time.monotonic()
            self._expire(now)
            taken = len(self._finished) + self._running
            if taken < self.limit and not self._turn.locked():
                return
            if self._finished and taken >= self.limit:
                await asyncio.sleep(self._finished[0] + self.period - now)
            else:  # calls under way or waiting: look again when one finishes
                self._freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), self.period)

    def fill(self) -> None:
        """Count the window as full from now on: for when the real count is unknown."""
        self._finished = deque([time.monotonic()] * self.limit)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for room in the window, hold it while the call runs."""
        async with self._turn:
            while True:
                now = time.monotonic()
                self._expire(now)
                if len(self._finished) + self._running < self.limit:
                    break
                self._freed.clear()
                if self._finished:
                    await asyncio.sleep(self._finished[0] + self.period - now)
                else:  # every slot is taken by a call still running: wait for one to finish
                    await self._freed.wait()
            self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._finished.append(time.monotonic())
            self._freed.set()


def _chat_key(data: dict[str, Any]) -> int | str | None:
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return str(chat_id)


def _is_group(key: int | str) -> bool:
    # Groups, supergroups and channels have negative ids; "@name" is a public group or channel.
    return isinstance(key, str) or key < 0


class _Chat:
    """What the limiter knows about one chat."""

    __slots__ = ("paused_until", "turn", "unreachable_at", "window")

    def __init__(self, window: SlidingWindow | None) -> None:
        self.turn = asyncio.Lock()  # one call at a time: a 429 stops the next before it is sent
        self.window = window  # groups only
        self.paused_until = 0.0
        self.unreachable_at: float | None = None

    @property
    def busy(self) -> bool:
        """A call is under way or waiting, or the chat is paused or at its limit."""
        return (
            self.turn.locked()
            or self.paused_until > time.monotonic()
            or (self.window is not None and not self.window.has_room)
        )

    @property
    def idle(self) -> bool:
        return not self.busy and (self.window is None or self.window.idle)


# --- the limiter every API call passes ---------------------------------------------------------


class BotApiLimiter(BaseRateLimiter[int]):
    """Telegram's flood limits, retries and permanent failures for every Bot API call.

    Compared with PTB's ``AIORateLimiter`` (same defaults: 20 messages a minute per group, 30 a
    second overall):

    * the group and overall limits are sliding windows, not leaky buckets: a leaky bucket lets 20
      messages through at once and then one every 3 s, up to 40 in one minute, which Telegram may
      answer with 429; a window never has more than 20 in any minute;
    * calls to one chat go one at a time, so when Telegram answers 429 the chat's next call has
      not been sent yet: it waits ``retry_after``, and in a group the window is taken as full for
      a whole period (Telegram's count is unknown after a restart); other chats go on;
    * a "typing" action for a chat that is busy is dropped rather than queued (it would show
      after the answer);
    * transient failures (5xx, reset connections, timeouts) are retried with bounded exponential
      backoff and jitter; permanent ones (bad request, blocked, chat not found) are not retried,
      and an unreachable chat is logged once at WARNING.

    Retrying a call whose request reached Telegram but whose response was lost (the connection
    dropped after the message was posted, or the read timed out) posts the message twice: the
    Bot API has no idempotency key, so the choice is between a possible duplicate and a lost
    answer, and we take the duplicate. It happens only when the failure comes after Telegram
    processed the request, which a refused connection or a 502 from its front end rules out.

    ``rate_limit_args`` (per call) is the number of retries for that call.
    """

    def __init__(
        self,
        *,
        group_limit: int = 20,
        group_period: float = 60.0,
        overall_limit: int = 30,
        overall_period: float = 1.0,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        self.group_limit = group_limit
        self.group_period = group_period
        self.policy = policy or RetryPolicy()
        self._overall = (
            SlidingWindow(overall_limit, overall_period)
            if overall_limit > 0 and overall_period > 0
            else None
        )
        self._chats: dict[int | str, _Chat] = {}
        self._forget_at = MAX_TRACKED_KEYS
        self._paused_until = 0.0  # a 429 for a call without a chat pauses every call
        self._sleep = sleep
        self._rng = random.Random(seed)
        self.retried = 0  # transient failures retried (figures for tests and benchmarks)
        self.flood_waits = 0  # 429s waited out

    @classmethod
    def from_settings(cls, settings: Settings) -> BotApiLimiter:
        return cls(
            group_limit=settings.group_rate_limit,
            group_period=settings.group_rate_period,
            overall_limit=settings.overall_rate_limit,
            policy=RetryPolicy(
                settings.send_retries, settings.retry_base_delay, settings.retry_max_delay
            ),
        )

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Run one API call within the limits, retrying what may succeed on a second try."""
        key = _chat_key(data)
        chat = None if key is None else self._chat(key)
        if endpoint == "sendChatAction" and chat is not None and chat.busy:
            return True  # what Telegram answers; the indicator would only show after the answer
        retries = RETRIES_FOR.get(endpoint, self.policy.retries)
        if rate_limit_args is not None:
            retries = rate_limit_args
        failures = 0
        while True:
            try:
                return await self._attempt(chat, data, partial(callback, *args, **kwargs))
            except RetryAfter as exc:
                wait = exc._retry_after.total_seconds() + RETRY_AFTER_SLACK  # PTB does the same
                if failures >= retries or wait > MAX_RETRY_AFTER:
                    level = logging.WARNING if retries else logging.DEBUG
                    log.log(level, "%s to chat %s: %s; giving up", endpoint, key, exc)
                    raise
                log.info("%s to chat %s: flood limit, retrying in %.1f s", endpoint, key, wait)
                self.flood_waits += 1
            except TelegramError as exc:
                if is_unreachable(exc):
                    self._log_unreachable(chat, key, endpoint, exc)
                    raise
                if not is_transient(exc) or failures >= retries:
                    raise
                delay = self.policy.delay(failures, self._rng)
                log.info(
                    "%s to chat %s failed (%s), retry %d of %d in %.2f s",
                    endpoint,
                    key,
                    exc,
                    failures + 1,
                    retries,
                    delay,
                )
                self.retried += 1
                await self._sleep(delay)
            failures += 1

    async def _attempt(
        self,
        chat: _Chat | None,
        data: dict[str, Any],
        call: Callable[[], Coroutine[Any, Any, JSONResult]],
    ) -> JSONResult:
        if chat is None:  # no chat (callback and inline answers, getMe...): not limited
            await self._wait_if_paused(None)
            try:
                return await call()
            except RetryAfter as exc:
                self._pause(None, exc)
                raise
        async with chat.turn:
            await self._wait_if_paused(chat)
            # The chat's window first (like AIORateLimiter), so that a call waiting for its
            # group does not hold a place in the overall one.
            async with contextlib.AsyncExitStack() as stack:
                if chat.window is not None:
                    await stack.enter_async_context(chat.window.slot())
                if self._overall is not None and not data.get("allow_paid_broadcast"):
                    await stack.enter_async_context(self._overall.slot())
                try:
                    return await call()
                except RetryAfter as exc:
                    self._pause(chat, exc)  # while holding the turn: the next call sees it
                    raise

    async def room(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` would go out at once (its window, a 429 pause):
        the group outbox decides what to send only then, so later askers can still join it."""
        chat = self._chat(chat_id)
        await self._wait_if_paused(chat)
        if chat.window is not None:
            await chat.window.room()

    def _pause(self, chat: _Chat | None, exc: RetryAfter) -> None:
        until = time.monotonic() + exc._retry_after.total_seconds() + RETRY_AFTER_SLACK
        if chat is None:
            self._paused_until = max(self._paused_until, until)
            return
        chat.paused_until = max(chat.paused_until, until)
        if chat.window is not None:
            chat.window.fill()

    async def _wait_if_paused(self, chat: _Chat | None) -> None:
        """Wait out a 429 for this chat, or one for every call."""
        while True:
            until = max(self._paused_until, chat.paused_until if chat else 0.0)
            wait = until - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def _chat(self, key: int | str) -> _Chat:
        chat = self._chats.get(key)
        if chat is None:
            if len(self._chats) >= self._forget_at:
                self._chats = {k: c for k, c in self._chats.items() if not c.idle}
                self._forget_at = forget_next_at(len(self._chats))
            group = _is_group(key) and self.group_limit > 0 and self.group_period > 0
            window = SlidingWindow(self.group_limit, self.group_period) if group else None
            chat = self._chats[key] = _Chat(window)
        return chat

    def _log_unreachable(
        self, chat: _Chat | None, key: int | str | None, endpoint: str, exc: TelegramError
    ) -> None:
        """Once per chat (per hour): a blocked bot makes every later reply fail the same way."""
        now = time.monotonic()
        last = chat.unreachable_at if chat else None
        if chat is not None:
            chat.unreachable_at = now
        if last is not None and now - last < UNREACHABLE_MEMORY:
            log.debug("%s to chat %s: %s (not retried)", endpoint, key, exc)
            return
        log.warning("%s to chat %s: %s; not retrying", endpoint, key, exc)
