"""Telegram's flood control, modelled strictly, as a fake Bot API (tests and benchmarks)."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

from tests.support.fake_bot_api import ApiError, FakeBotAPI, JSONDict


class FloodControlledFake(FakeBotAPI):
    """The fake with Telegram's flood control, modelled strictly.

    At most ``group_limit`` messages to a group in any ``group_period`` seconds and
    ``overall_limit`` per second overall; past that, ``429 Too Many Requests`` with
    ``retry_after``, and the chat refuses everything until that time has passed.
    """

    def __init__(
        self,
        *,
        group_limit: int = 20,
        group_period: float = 60.0,
        overall_limit: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.group_limit = group_limit
        self.group_period = group_period
        self.overall_limit = overall_limit
        self.flood_errors: list[int] = []  # chat ids answered 429, in order
        self._posted: dict[int, deque[float]] = {}
        self._everywhere: deque[float] = deque()
        self._blocked: dict[int, float] = {}

    def previous_run(self, chat_id: int, count: int) -> None:
        """``count`` messages were posted to the chat just now, by a run the bot forgot."""
        self._posted.setdefault(chat_id, deque()).extend([time.monotonic()] * count)

    def _wait(self, chat_id: int, now: float) -> float:
        wait = self._blocked.get(chat_id, 0.0) - now
        posted = self._posted.setdefault(chat_id, deque())
        while posted and posted[0] + self.group_period <= now:
            posted.popleft()
        if chat_id < 0 and len(posted) >= self.group_limit:
            wait = max(wait, posted[0] + self.group_period - now)
        while self._everywhere and self._everywhere[0] + 1.0 <= now:
            self._everywhere.popleft()
        if self.overall_limit is not None and len(self._everywhere) >= self.overall_limit:
            wait = max(wait, self._everywhere[0] + 1.0 - now)
        return wait

    async def _m_send_message(self, params: JSONDict, request: Any) -> Any:
        chat_id = int(params["chat_id"])
        now = time.monotonic()
        wait = self._wait(chat_id, now)
        if wait > 0:
            self._blocked[chat_id] = now + wait
            self.flood_errors.append(chat_id)
            seconds = math.ceil(wait)
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        result = await super()._m_send_message(params, request)
        self._posted.setdefault(chat_id, deque()).append(now)
        self._everywhere.append(now)
        return result
