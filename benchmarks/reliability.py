"""Reliability figures at production settings and Telegram's real rates, through the fake Bot API.

Run from the project root:  python -m benchmarks.reliability [--period 60] [--fuzz 2000]

It prints, for each scenario, the load, the faults injected and the answers lost:
* transient faults: 200 questions while 25% of ``sendMessage`` calls fail with 502 (production
  backoff: 0.5 s doubling to 10 s, 8 retries);
* a flood in one group: 40 questions asked at once, against a fake that enforces Telegram's
  "20 messages per minute in a group" strictly (any 60 s window) and answers 429 past it; with
  this bot's limiter, fresh and just after a restart (Telegram's count full, the bot's empty),
  and with PTB's ``AIORateLimiter()`` for comparison;
* a busy group: six people asking 20 questions each in one group, then ten people in private
  (private answers must not wait for the group's window);
* ``/stats`` over 1,000,000 recorded questions while questions keep being answered;
* one person sending 100 messages in a minute while another asks every 5 s;
* stopping with 50 answers in flight: SIGTERM, and kill -9 followed by a restart;
* random inputs (hypothesis) through the engine and the renderer, checked by the fake's parser.

``--period`` scales Telegram's minute (default 60: real time, about two minutes in all; the
scenarios run side by side). The fake runs in the same process, so no network delay is added.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from telegram.ext import AIORateLimiter

from bot.engine import Engine, load_knowledge
from bot.engine.evaluate import load_cases
from bot.store import Store
from bot.tg.app import build_application
from bot.tg.context import BotApplication
from bot.tg.flood import SLOW_DOWN
from bot.tg.outbox import BUSY
from bot.tg.render import SORRY
from tests.support.fake_bot_api import FakeBotAPI, RecordedCall
from tests.support.flood import FloodControlledFake
from tests.support.harness import bot_process, polling, running, settings_for
from tests.support.replies import QUESTIONS, check_reply

ROOT = Path(__file__).resolve().parent.parent


def load_questions() -> list[str]:
    return [c.question for c in load_cases(ROOT / "knowledge" / "eval.yaml")]


def line(scenario: str, **figures: Any) -> str:
    return f"{scenario}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in figures.items())


async def transient_faults(engine: Engine, questions: list[str]) -> str:
    async with FakeBotAPI() as fake, running(fake, engine) as app:
        fake.fail_rate("sendMessage", 0.25, 502, seed=1)
        chats = []
        started = time.monotonic()
        for n in range(200):
            user = fake.user(1000 + n, f"User{n}")
            chat = fake.private_chat(user)
            chats.append(chat["id"])
            fake.send_text(chat, user, questions[n % len(questions)])
        await fake.wait_for(lambda: all(fake.sent(c) for c in chats), timeout=300)
        took = time.monotonic() - started
        await fake.wait_idle(timeout=60, quiet=0.5)
        failed = len(fake.injected_faults)
        attempts = len(fake.calls_to("sendMessage"))
        lost = sum(1 for c in chats if not fake.sent(c))
        limiter = app.bot.rate_limiter
        return line(
            "transient faults",
            questions=200,
            sendMessage_calls=attempts,
            answered_502=f"{failed} ({100 * failed / attempts:.0f}%)",
            retries=getattr(limiter, "retried", "?"),
            answered=f"{200 - lost}/200",
            answers_lost=lost,
            all_answered_in=f"{took:.1f} s",
            api_errors=len(fake.errors),
        )


@asynccontextmanager
async def bot_with(
    fake: FakeBotAPI, engine: Engine, data_dir: Path, limiter: str, period: float
) -> AsyncIterator[BotApplication]:
    """The bot polling ``fake``, with this bot's limiter or PTB's AIORateLimiter."""
    app = build_application(settings_for(fake, data_dir=data_dir, group_rate_period=period), engine)
    if limiter == "AIORateLimiter":
        # Benchmark only: swap the limiter the application was built with.
        app.bot._rate_limiter = AIORateLimiter(group_time_period=period)
    async with polling(app):
        yield app


async def group_flood(
    engine: Engine, questions: list[str], period: float, *, limiter: str, restart: bool
) -> str:
    fake = FloodControlledFake(group_limit=20, group_period=period)
    with tempfile.TemporaryDirectory() as scratch:
        async with fake, bot_with(fake, engine, Path(scratch), limiter, period) as app:
            group = fake.group(-100500, "Readers")
            fake.service_message(group, "new_chat_members")
            if restart:
                fake.previous_run(group["id"], 20)
            users = [fake.user(100 + n, f"Member{n}") for n in range(8)]
            asked = {
                fake.send_text(group, users[i % 8], f"/ask {questions[i]}")["message_id"]: 100
                + i % 8
                for i in range(40)
            }
            started = time.time()

            def answers() -> list[RecordedCall]:
                return [
                    c
                    for c in fake.calls_to("sendMessage")
                    if c.ok
                    and c.params["chat_id"] == group["id"]
                    and c.params["text"] not in (SORRY, BUSY)
                ]

            def answered() -> set[int]:
                """Questions replied to, or whose asker a merged answer names."""
                found = {c.result.get("reply_to_message", {}).get("message_id") for c in answers()}
                named = {
                    e["user"]["id"]
                    for c in answers()
                    for e in c.result.get("entities") or ()
                    if e["type"] == "text_mention"
                }
                return found | {q for q, user in asked.items() if user in named}

            # Until every question is answered, or nothing is at work any more.
            await fake.wait_for(lambda: fake.pending_updates == [], timeout=30)
            await asyncio.sleep(1)  # the handlers have started
            while len(answered() & set(asked)) < 40:
                await asyncio.sleep(0.5)
                busy = (
                    app.update_processor.current_concurrent_updates
                    or app.bot_data.outbox.waiting(group["id"])
                )
                if not busy:
                    break
            last = max((c.finished or 0.0 for c in answers()), default=started)
            got = len(answered() & set(asked))
            notices = sum(
                1 for c in fake.calls_to("sendMessage") if c.ok and c.params["text"] == BUSY
            )
    label = f"group flood, {limiter}" + (", just after a restart" if restart else "")
    return line(
        label,
        questions=40,
        answered=f"{got}/40",
        busy_notices=notices,
        flood_429s=len(fake.flood_errors),
        last_answer_after=f"{last - started:.0f} s",
    )


async def busy_group_and_private(engine: Engine, questions: list[str], period: float) -> str:
    """Six people ask 20 questions each in one group (each under the per-user limit); then ten
    people ask in private. Private answers must not wait for the group's window."""
    fake = FloodControlledFake(group_limit=20, group_period=period)
    with tempfile.TemporaryDirectory() as scratch:
        async with fake, bot_with(fake, engine, Path(scratch), "BotApiLimiter", period) as app:
            group = fake.group(-100600, "Busy")
            fake.service_message(group, "new_chat_members")
            members = [fake.user(600 + n, f"Member{n}") for n in range(6)]
            for i in range(120):
                fake.send_text(group, members[i % 6], f"/ask {questions[i]}")
            await fake.wait_for(lambda: len(fake.sent(group["id"])) >= 20, timeout=30)
            readers = [fake.user(700 + n, f"Reader{n}") for n in range(10)]
            chats = [fake.private_chat(r) for r in readers]
            asked_at = time.monotonic()
            for chat, reader in zip(chats, readers, strict=True):
                fake.send_text(chat, reader, questions[200])
            took = []
            for chat in chats:
                await fake.wait_sent(chat["id"], timeout=60)
                took.append(time.monotonic() - asked_at)
            outbox = app.bot_data.outbox
            queued = outbox.waiting(group["id"])
            refused, merged = outbox.refused, outbox.merged
    took.sort()
    return line(
        "busy group (6 x 20 /ask) and 10 private questions",
        private_median=f"{took[len(took) // 2]:.2f} s",
        private_max=f"{took[-1]:.2f} s",
        group_replies_queued=queued,
        group_questions_merged=merged,
        group_questions_turned_away=refused,
    )


def stats_at_scale(engine: Engine, rows: int, questions: list[str]) -> str:
    """/stats over ``rows`` recorded questions, while questions keep being answered."""
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(Path(scratch) / "bot.sqlite3")
        now = time.time()
        kinds = ("answer", "answer", "answer", "no_answer", "clarify")
        with store._tx() as db:  # benchmark only: fill it fast
            db.executemany(
                "INSERT INTO events (ts, kind, entry, question, chat_type) VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        now - (i % 80) * 86_400 - i % 86_400,
                        kinds[i % 5],
                        f"entry-{i % 40}" if i % 5 < 3 else None,
                        None if i % 5 < 3 else f"question {i % 5000}",
                        "private",
                    )
                    for i in range(rows)
                ),
            )
        done = threading.Event()
        took: list[float] = []

        def read() -> None:
            started = time.perf_counter()
            store.stats()
            took.append(time.perf_counter() - started)
            done.set()

        reader = threading.Thread(target=read)
        latencies: list[float] = []
        reader.start()
        i = 0
        while not done.is_set():  # a question answered and recorded, as the bot does
            started = time.perf_counter()
            reply = engine.ask(questions[i % len(questions)])
            store.record(reply.kind.value, "private", entry=reply.entry, question=reply.question)
            latencies.append(time.perf_counter() - started)
            i += 1
            if i % 200 == 0:
                store.flush()
        reader.join()
        store.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0.0
    return line(
        f"/stats at {rows:,} rows",
        took=f"{took[0]:.2f} s",
        questions_answered_meanwhile=len(latencies),
        their_p99=f"{p99 * 1000:.1f} ms",
    )


async def user_flood(engine: Engine, period: float) -> str:
    async with FakeBotAPI() as fake, running(fake, engine, user_rate_period=period):
        question = "Who brokered the truce?"
        alice, bob = fake.user(42, "Alice"), fake.user(43, "Bob")
        alice_chat, bob_chat = fake.private_chat(alice), fake.private_chat(bob)
        fake.send_text(bob_chat, bob, question)
        parts = len(await fake.wait_sent(bob_chat["id"]))
        bob_asked = 1
        for n in range(100):  # 100 messages in one minute
            fake.send_text(alice_chat, alice, question)
            if n % 8 == 7:  # Bob asks every 5 s (of 60) meanwhile
                fake.send_text(bob_chat, bob, question)
                bob_asked += 1
            await asyncio.sleep(period / 100)
        await fake.wait_idle(timeout=60, quiet=1.0)
        texts = [m["text"] for m in fake.sent(alice_chat["id"])]
        notices = texts.count(SLOW_DOWN)
        bob_answered = len(fake.sent(bob_chat["id"])) // parts
    return line(
        "one user flooding",
        messages_sent=100,
        answered=(len(texts) - notices) // parts,
        notices=notices,
        other_user_answered=f"{bob_answered}/{bob_asked}",
    )


async def stop_in_flight(count: int) -> list[str]:
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeBotAPI() as fake:
            process = await bot_process(fake, Path(scratch))
            fake.delay("sendMessage", 2.0)
            chats = ask_many(fake, count)
            await fake.wait_for(lambda: len(fake.calls_to("sendMessage")) >= 30, timeout=60)
            in_flight = sum(1 for c in fake.calls_to("sendMessage") if c.finished is None)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            await process.communicate()
            lost = sum(1 for c in chats if not fake.sent(c))
            results.append(
                line(
                    "SIGTERM",
                    questions=count,
                    sends_in_flight_at_the_signal=in_flight,
                    answers_lost=lost,
                    exit_code=process.returncode,
                    stopped_in=f"{time.monotonic() - started:.1f} s",
                )
            )
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeBotAPI() as fake:
            fake.fail_rate("sendMessage", 1.0, 502)  # nothing gets out before the kill
            process = await bot_process(fake, Path(scratch))
            chats = ask_many(fake, count)
            await fake.wait_for(
                lambda: not fake.pending_updates and len(fake.injected_faults) >= count,
                timeout=60,
            )
            process.kill()
            await process.communicate()
            confirmed = fake.confirmed_offset
            fake.clear_faults()
            restarted = await bot_process(fake, Path(scratch))
            await fake.wait_for(lambda: all(fake.sent(c) for c in chats), timeout=60)
            await fake.wait_idle(timeout=30, quiet=1.0)
            restarted.send_signal(signal.SIGTERM)
            await restarted.communicate()
            lost = sum(1 for c in chats if not fake.sent(c))
            duplicates = sum(max(0, len(fake.sent(c)) - 1) for c in chats)
            results.append(
                line(
                    "kill -9, then restart",
                    questions=count,
                    confirmed_to_Telegram_before_the_kill=f"all (offset {confirmed})",
                    answers_lost=lost,
                    duplicate_messages=duplicates,
                )
            )
    return results


def ask_many(fake: FakeBotAPI, count: int) -> list[int]:
    chats = []
    for n in range(count):
        user = fake.user(2000 + n, f"User{n}")
        chat = fake.private_chat(user)
        chats.append(chat["id"])
        fake.send_text(chat, user, "Who brokered the truce?")
    return chats


def fuzz(engine: Engine, examples: int) -> str:
    tried = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(question=QUESTIONS)
    def run(question: str) -> None:
        nonlocal tried
        tried += 1
        check_reply(engine.ask(question), engine)

    started = time.monotonic()
    run()
    return line(
        "random inputs",
        questions_tried=tried,
        each_rendered_4_ways=True,
        failures=0,
        took=f"{time.monotonic() - started:.0f} s",
    )


async def main(period: float, fuzz_examples: int) -> None:
    logging.basicConfig(level=logging.CRITICAL)  # failures are counted, not printed
    engine = Engine(load_knowledge(ROOT / "knowledge"))
    questions = load_questions()
    print(fuzz(engine, fuzz_examples), flush=True)
    print(await transient_faults(engine, questions), flush=True)
    for result in await stop_in_flight(50):
        print(result, flush=True)
    print(stats_at_scale(engine, 1_000_000, questions), flush=True)
    results = await asyncio.gather(
        busy_group_and_private(engine, questions, period),
        group_flood(engine, questions, period, limiter="BotApiLimiter", restart=False),
        group_flood(engine, questions, period, limiter="BotApiLimiter", restart=True),
        group_flood(engine, questions, period, limiter="AIORateLimiter", restart=False),
        user_flood(engine, period),
    )
    for result in results:
        print(result, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", type=float, default=60.0, help="Telegram's minute, in s")
    parser.add_argument("--fuzz", type=int, default=2000, help="random questions to try")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.period, arguments.fuzz))
