"""Answers to groups go out through one queue per group, so no chat waits for another's limit.

Telegram lets a bot post 20 messages a minute in one group. A handler that waited for that window
itself would hold one of the bot's concurrent update slots (``CONCURRENT_UPDATES``) for up to a
minute; a few busy groups would take every slot, and every private chat would queue behind them
(measured before this: private answers took 120 s while six people asked in one group). So a
handler puts a group's reply in that group's queue and returns at once; one task per group with
something queued sends its replies in order, through the same limiter as every other call.

What a busy group gets, as its members would want it:

- **The same answer once.** A question whose reply is already queued (the same rendered answer:
  several people asking "who broke the truce?" at once) is not queued again: the queued reply
  answers the first asker and names the others ("Also asked by Bob, Carol"), who are notified.
- **A bounded backlog.** At most ``bound`` replies wait per group (by default 20: one minute of
  the group's window, so nobody waits much more than a minute). Past that, a question gets one
  short notice ("busy, ask again in a minute") for the whole group per window, not one per
  question, and no answer: a growing queue would answer questions long after anyone cares, and
  still starve the group's newer questions.
- **Nothing lost below the bound.** An update counts as handled (and leaves the update journal,
  ``journal.py``) only once its reply was sent or given up on, so a crash or a stop with
  replies still queued answers them at the next start. Stopping waits for the queues to drain,
  up to ``DRAIN_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum

from telegram import User
from telegram.error import TelegramError

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 8.0  # seconds stopping waits for queued replies (within a usual stop grace)
BUSY = "I'm answering a lot of questions in this group right now; please ask again in a minute."

# Sends a reply; given the other askers it also answers (as HTML mentions, maybe none).
Send = Callable[[tuple[str, ...]], Awaitable[object]]  # what it returns is not used

# The deliveries posted while one update is handled, so that the update journal keeps the update
# until they are done (JournalingProcessor sets it around each update).
_posted: ContextVar[list[asyncio.Future[None]] | None] = ContextVar("posted", default=None)


@contextlib.contextmanager
def deliveries() -> Iterator[list[asyncio.Future[None]]]:
    """Collect the deliveries posted by the code run inside (one update's handlers)."""
    found: list[asyncio.Future[None]] = []
    token = _posted.set(found)
    try:
        yield found
    finally:
        _posted.reset(token)


class Posted(Enum):
    QUEUED = "queued"  # will be sent in turn
    MERGED = "merged"  # the same reply was queued already: it answers this asker too
    BUSY = "busy"  # the group's queue is full: not answered (a notice may be)


@dataclass(slots=True)
class _Reply:
    key: object  # replies with equal keys are the same answer; None never merges
    send: Send
    asker: int | None = None  # whom it replies to
    started: bool = False  # being sent: too late to name anyone else in it
    others: dict[int, str] = field(default_factory=dict)  # user id -> mention, also answered
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


class _Group:
    __slots__ = ("busy_at", "queue", "worker")

    def __init__(self) -> None:
        self.queue: deque[_Reply] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.busy_at = -float("inf")  # when the last "busy" notice was queued


class Outbox:
    """One queue per group chat; ``post`` never waits."""

    def __init__(
        self,
        bound: int = 20,
        period: float = 60.0,
        room: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.bound = bound
        self._room = room  # waits until a message to the chat would go out at once
        self.period = period  # one busy notice per group per this many seconds
        self._groups: dict[int, _Group] = {}
        self.merged = 0  # figures for tests and benchmarks
        self.refused = 0

    def post(
        self,
        chat_id: int,
        send: Send,
        *,
        key: object = None,
        asker: User | None = None,
        busy: Send | None = None,
    ) -> Posted:
        """Queue ``send`` for ``chat_id``. ``key`` identifies the reply for merging; ``busy``
        sends the notice to an asker turned away."""
        group = self._groups.get(chat_id)
        if group is None:
            group = self._groups[chat_id] = _Group()
        if key is not None:
            for queued in group.queue:
                if queued.key == key and not queued.started:
                    if asker is not None and asker.id != queued.asker:
                        queued.others.setdefault(asker.id, mention(asker))
                    self.merged += 1
                    self._track(queued.done)
                    return Posted.MERGED
        if len(group.queue) >= self.bound:
            self.refused += 1
            now = time.monotonic()
            if busy is not None and now - group.busy_at >= self.period:
                group.busy_at = now
                self._enqueue(chat_id, group, _Reply(None, busy))  # one slot past the bound
            return Posted.BUSY
        self._enqueue(chat_id, group, _Reply(key, send, asker.id if asker else None))
        return Posted.QUEUED

    def _enqueue(self, chat_id: int, group: _Group, reply: _Reply) -> None:
        group.queue.append(reply)
        self._track(reply.done)
        if group.worker is None:
            group.worker = asyncio.create_task(self._drain(chat_id, group))

    @staticmethod
    def _track(done: asyncio.Future[None]) -> None:
        found = _posted.get()
        if found is not None:
            found.append(done)

    async def _drain(self, chat_id: int, group: _Group) -> None:
        try:
            while group.queue:
                reply = group.queue[0]
                if self._room is not None:
                    await self._room(chat_id)
                reply.started = True
                try:
                    await reply.send(tuple(reply.others.values()))
                except TelegramError as exc:  # the limiter retried and logged what it could
                    log.warning("a reply in chat %s could not be sent: %s", chat_id, exc)
                except Exception:
                    log.exception("a reply in chat %s failed", chat_id)
                # Cancelled (a stop that could not wait) leaves it queued and its update open.
                group.queue.popleft()
                if not reply.done.done():
                    reply.done.set_result(None)
        finally:
            group.worker = None
            if not group.queue:
                self._groups.pop(chat_id, None)

    def waiting(self, chat_id: int) -> int:
        """Replies queued for ``chat_id`` (the one being sent included)."""
        group = self._groups.get(chat_id)
        return len(group.queue) if group else 0

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> int:
        """Wait for every queue to empty, at most ``timeout`` seconds; what is left unsent."""
        workers = [g.worker for g in self._groups.values() if g.worker is not None]
        if workers:
            await asyncio.wait(workers, timeout=timeout)
        left = sum(len(g.queue) for g in self._groups.values())
        for group in self._groups.values():
            if group.worker is not None:
                group.worker.cancel()
            for reply in group.queue:  # unsent: their updates stay open in the journal
                reply.done.cancel()
        return left


def mention(user: User) -> str:
    """An HTML mention of ``user`` (notifies them in the group)."""
    return f'<a href="tg://user?id={user.id}">{html.escape(user.first_name)}</a>'
