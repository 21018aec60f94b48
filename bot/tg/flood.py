"""The per-user flood limit: one person sending far more than anyone reading answers would.

:class:`UserRateLimit` runs before every handler and slows that person down; everyone else is
answered as usual. The limits on what the bot sends out are ``bot/tg/ratelimit.py``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop

from bot.settings import Settings
from bot.tg.context import Context
from bot.tg.ratelimit import MAX_TRACKED_KEYS, forget_next_at

log = logging.getLogger(__name__)

SLOW_DOWN = "You're sending questions faster than I can answer; please wait a minute."


class RecentEvents:
    """Per key, the times of the events counted in the last ``period`` seconds."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._events: dict[int, deque[float]] = {}
        self._forget_at = MAX_TRACKED_KEYS

    def take(self, key: int) -> bool:
        """Count one event for ``key`` if it is under the limit; False when it is not."""
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self._forget_at:
                self._prune(now)
            events = self._events[key] = deque()
        while events and events[0] + self.period <= now:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _prune(self, now: float) -> None:
        self._events = {k: q for k, q in self._events.items() if q and q[-1] + self.period > now}
        self._forget_at = forget_next_at(len(self._events))

    def __len__(self) -> int:
        """Keys remembered (those with events in the period, and some idle ones)."""
        return len(self._events)


class UserRateLimit:
    """At most ``limit`` questions per user in any ``period`` seconds; admins are exempt.

    Registered as a ``TypeHandler`` in group -1, so it sees every update first. Only updates
    some handler would answer count (chatter in a group the bot can read does not). Past the
    limit, an update gets no answer: the first one in a period gets one polite notice, later ones
    silence, so a flood costs the bot almost nothing and other people are answered as usual.
    Inline queries are not counted: Telegram already spaces them while someone types, and
    answers them from its cache.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        exempt: Iterable[int] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.exempt = frozenset(exempt)
        self._answered = RecentEvents(limit, period, clock)
        self._notified = RecentEvents(1, period, clock)
        self.enabled = limit > 0

    @classmethod
    def from_settings(cls, settings: Settings) -> UserRateLimit:
        return cls(settings.user_rate_limit, settings.user_rate_period, settings.admin_ids)

    async def __call__(self, update: Update, context: Context) -> None:
        """Let the update through, or stop it with a single polite notice per period."""
        user = update.effective_user
        if not self.enabled or user is None or user.id in self.exempt or update.inline_query:
            return
        if not would_handle(context.application, update) or self._answered.take(user.id):
            return
        if self._notified.take(user.id):
            log.info("user %s is over %d questions", user.id, self._answered.limit)
            await _notify(update)
        elif update.callback_query:
            # Every button press needs an answer, or the client shows a spinner for a while.
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        raise ApplicationHandlerStop


def would_handle(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """Whether any handler outside group -1 (this limit's) would take the update."""
    for group, handlers in application.handlers.items():
        if group < 0:
            continue
        for handler in handlers:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return True
    return False


async def _notify(update: Update) -> None:
    try:
        if update.callback_query:
            await update.callback_query.answer(SLOW_DOWN)
        elif update.effective_message:
            await update.effective_message.reply_text(SLOW_DOWN)
    except TelegramError as exc:  # the notice is a courtesy: the limit holds without it
        log.debug("could not send the slow-down notice: %s", exc)
