"""End-to-end reply figures for the Telegram bot, measured through the fake Bot API server.

Run from the project root:  python -m benchmarks.e2e_bot [--latency-questions 100] [--burst 200]

It prints:
* the latency of a private answer: from the moment a user's message is queued at the fake
  server to the moment the bot's reply has been accepted by it (long polling, handler, engine,
  rendering, sendMessage), one question at a time;
* answers per second for a burst of N questions from N different users sent at once, with the
  production rate limiter (bot/tg/ratelimit.py: Telegram allows about 30 messages a second overall)
  and without it (what the bot itself can do).

The fake server runs in the same process and event loop as the bot, so the figures include its
own cost; real Telegram adds network round trips on top.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from bot.engine import Engine, load_knowledge
from bot.engine.evaluate import load_cases
from tests.support.fake_bot_api import FakeBotAPI, RecordedCall
from tests.support.harness import running

ROOT = Path(__file__).resolve().parent.parent


def load_questions() -> list[str]:
    return [c.question for c in load_cases(ROOT / "knowledge" / "eval.yaml")]


def replies(fake: FakeBotAPI) -> list[RecordedCall]:
    return [c for c in fake.calls_to("sendMessage") if c.finished is not None and c.ok]


def finished_at(call: RecordedCall) -> float:
    assert call.finished is not None
    return call.finished


async def private_latency(engine: Engine, questions: list[str], count: int) -> list[float]:
    """Seconds from a question to its accepted answer, one question after the other."""
    timings: list[float] = []
    # One user asks them all: no per-user flood limit here (it would rightly slow them down).
    async with FakeBotAPI() as fake, running(fake, engine, user_rate_limit=0):
        alice = fake.user(42, "Alice")
        chat = fake.private_chat(alice)
        for i in range(count):
            before = len(replies(fake))
            sent_at = time.time()
            fake.send_text(chat, alice, questions[i % len(questions)])
            await fake.wait_for(lambda: len(replies(fake)) > before, interval=0.0005)  # noqa: B023
            timings.append(finished_at(replies(fake)[before]) - sent_at)
            await fake.wait_idle(quiet=0.01)  # any further parts of a long answer
    return timings


async def burst(
    engine: Engine, questions: list[str], users: int, *, rate_limited: bool
) -> tuple[float, list[float]]:
    """(answers per second, per-user latencies) for ``users`` questions sent at once."""
    async with FakeBotAPI() as fake, running(fake, engine, rate_limited=rate_limited):
        chats = []
        for n in range(users):
            user = fake.user(1000 + n, f"User{n}")
            chats.append((fake.private_chat(user), user))
        started = time.time()
        for n, (chat, user) in enumerate(chats):
            fake.send_text(chat, user, questions[n % len(questions)])

        def answered() -> bool:
            return len({c.params.get("chat_id") for c in replies(fake)}) >= users

        await fake.wait_for(answered, timeout=120, interval=0.001)
        first: dict[object, float] = {}
        for call in replies(fake):
            first.setdefault(call.params.get("chat_id"), finished_at(call))
        finished = max(first.values())
        latencies = [t - started for t in first.values()]
        assert fake.errors == [], fake.errors
    return users / (finished - started), latencies


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )


async def main(latency_questions: int, burst_size: int) -> None:
    engine = Engine(load_knowledge(ROOT / "knowledge"))
    questions = load_questions()
    await private_latency(engine, questions, 5)  # warm-up: imports, caches, connections

    timings = await private_latency(engine, questions, latency_questions)
    print(
        f"private answer latency ({latency_questions} questions one at a time): {summary(timings)}"
    )
    for rate_limited in (True, False):
        rate, latencies = await burst(engine, questions, burst_size, rate_limited=rate_limited)
        label = "with the production rate limiter" if rate_limited else "without rate limiter"
        print(
            f"burst of {burst_size} questions from {burst_size} users, {label}: "
            f"{rate:.0f} answers/s; per-user latency {summary(latencies)}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-questions", type=int, default=100)
    parser.add_argument("--burst", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.latency_questions, arguments.burst))
