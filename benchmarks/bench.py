"""The performance benchmark: one command, every figure, on this machine, in one run.

    python -m benchmarks.bench [--sizes 1000,10000,100000] [--quick]

Reports:
* cold start: process start to the first answer printed by ``python -m bot ask``;
* knowledge load and validation, and building the matcher;
* matching latency p50 / p99 over a few hundred varied questions (the two evaluation sets:
  in scope, misspelled, keyword-only, out of scope) on the shipped knowledge and on synthetic
  knowledge of 1,000, 10,000 and 100,000 entries built from it (tests/support/synthetic.py), with
  the evaluation accuracy at each size (in scope, and out of scope: abstained) and how many of
  the other articles' entries their own phrasings still find, next to a naive full scan
  (rapidfuzz ``process.extractOne`` over every phrasing) as the reference;
* peak memory (RSS) of the running bot (``python -m bot run`` against the fake Bot API);
* end-to-end answers per second for a burst of questions from many users, next to a bare
  python-telegram-bot echo bot on the same fake server in the same run.

Timings are wall-clock on a shared machine: compare the figures of one run with each other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.engine import Engine, load_knowledge
from bot.engine.evaluate import evaluate, load_cases
from bot.engine.model import Kind, Knowledge
from bot.engine.text import words
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.synthetic import synthetic

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
EVAL = ROOT / "knowledge" / "eval.yaml"
HOLDOUT = ROOT / "tests" / "eval" / "holdout.yaml"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def timed(work: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def cold_start(repeat: int) -> float:
    """Median seconds from starting ``python -m bot ask`` to its answer being printed."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "Who brokered the truce?"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append(time.perf_counter() - start)
        assert out.startswith("The United States brokered"), out
    return statistics.median(runs)


def questions() -> list[str]:
    return [c.question for c in load_cases(EVAL)] + [c.question for c in load_cases(HOLDOUT)]


def latencies(ask: Callable[[str], object], qs: list[str], repeat: int = 3) -> list[float]:
    """Per question, the median of ``repeat`` timings (after one pass to warm caches, as a
    running bot has them): what each question costs, without the shared machine's one-off
    stalls (another tenant's burst) deciding the p99 of a few hundred questions."""
    for q in qs:
        ask(q)
    runs: list[list[float]] = [[] for _ in qs]
    for _ in range(repeat):  # passes over all questions, so a stall hits one timing of each
        for q, timings in zip(qs, runs, strict=True):
            start = time.perf_counter()
            ask(q)
            timings.append(time.perf_counter() - start)
    return [statistics.median(timings) for timings in runs]


def paired_latencies(
    a: Callable[[str], object], b: Callable[[str], object], qs: list[str], repeat: int = 5
) -> tuple[list[float], list[float]]:
    """``latencies`` of two ways of asking, timed in turn question by question, so that what
    the shared machine does in the meantime weighs on both alike: their difference is the
    cost of what ``b`` does more."""
    for q in qs:
        a(q)
        b(q)
    runs: list[tuple[list[float], list[float]]] = [([], []) for _ in qs]
    for _ in range(repeat):
        for q, (ta, tb) in zip(qs, runs, strict=True):
            start = time.perf_counter()
            a(q)
            middle = time.perf_counter()
            b(q)
            ta.append(middle - start)
            tb.append(time.perf_counter() - middle)
    return (
        [statistics.median(ta) for ta, _ in runs],
        [statistics.median(tb) for _, tb in runs],
    )


def naive_scan(knowledge: Knowledge) -> Callable[[str], object]:
    """The reference: every phrasing scored against the question, best one wins."""
    choices = [" ".join(words(q)) for e in knowledge.entries.values() for q in e.questions]

    def ask(question: str) -> object:
        return process.extractOne(" ".join(words(question)), choices, scorer=fuzz.token_set_ratio)

    return ask


def other_articles(engine: Engine, knowledge: Knowledge, sample: int = 300) -> str:
    """Share of sampled other-article entries that one of their own phrasings is answered with:
    this article's entries must not crowd them out."""
    theirs = [e for e in knowledge.entries.values() if e.article]
    if not theirs:
        return "-"
    rng = random.Random(3)
    picked = rng.sample(theirs, min(sample, len(theirs)))
    hits = 0
    for entry in picked:
        reply = engine.ask(rng.choice(entry.questions))
        hits += reply.kind is Kind.ANSWER and reply.entry == entry.id
    return f"{100 * hits / len(picked):.1f}%"


def matching(sizes: list[int]) -> None:
    base = load_knowledge(KNOWLEDGE)
    qs = questions()
    cases = load_cases(EVAL)
    print(
        f"\nmatching latency over {len(qs)} questions (evaluation + held-out sets; per question "
        f"the median of 3 timings, the naive scan timed once):"
    )
    print(
        f"{'entries':>9} {'build':>8} {'p50':>10} {'p99':>10} {'naive p50':>11} "
        f"{'naive p99':>11} {'in scope':>9} {'abstain':>8} {'others':>7}"
    )
    for size in [len(base.entries), *sizes]:
        knowledge = base if size == len(base.entries) else synthetic(base, size)
        start = time.perf_counter()
        engine = Engine(knowledge)
        build = time.perf_counter() - start
        ours = latencies(engine.ask, qs)
        naive = latencies(naive_scan(knowledge), qs[:60] if size >= 10_000 else qs, repeat=1)
        report = evaluate(engine, cases)
        print(
            f"{len(knowledge.entries):>9} {build:>7.1f}s {ms(percentile(ours, 0.5)):>10} "
            f"{ms(percentile(ours, 0.99)):>10} {ms(percentile(naive, 0.5)):>11} "
            f"{ms(percentile(naive, 0.99)):>11} {report.accuracy(True):>8.1f}% "
            f"{report.accuracy(False):>7.1f}% {other_articles(engine, knowledge):>7}"
        )
        del engine, knowledge
    # Questions in the other languages: read through their lexicon, then matched in English.
    engine = Engine(base)
    for code in sorted(base.translations):
        sets = sorted((ROOT / "tests" / "eval").glob(f"lang_{code}_*.yaml"))
        asked = [c.question for s in sets for c in load_cases(s)]
        if asked:
            times = latencies(engine.ask, asked)
            print(
                f"{code:>9}  {len(asked)} questions in {code}: p50 {ms(percentile(times, 0.5))}, "
                f"p99 {ms(percentile(times, 0.99))}"
            )


# --- follow-ups ------------------------------------------------------------------------------


def followups() -> None:
    """What reading a question against the conversation costs (bot/engine/followup.py), and
    the memory of 100,000 distinct chats' topics."""
    import resource
    import tracemalloc

    from bot.engine.evaluate import load_conversations
    from bot.engine.followup import Memory, Topic

    engine = Engine(load_knowledge(KNOWLEDGE))
    qs = questions()
    _, topic = engine.converse("Who is Hikmet Hajiyev?")
    assert topic is not None  # an answer starts a topic
    alone, after = paired_latencies(engine.ask, lambda q: engine.converse(q, None, topic), qs)
    print(f"\nfollow-ups: {len(qs)} questions asked with no topic, then right after an answer")
    print(
        f"  no topic: p50 {ms(percentile(alone, 0.5))}, p99 {ms(percentile(alone, 0.99))}; "
        f"after an answer: p50 {ms(percentile(after, 0.5))}, p99 {ms(percentile(after, 0.99))} "
        f"(p99 {1000 * (percentile(after, 0.99) - percentile(alone, 0.99)):+.3f} ms)"
    )
    # Follow-up turns as they come, each after the turns before it (conversation sets).
    sets = sorted((ROOT / "tests" / "eval").glob("conversations_*.yaml"))
    turns: list[tuple[str, Topic]] = []
    for conversation in (c for path in sets for c in load_conversations(path)):
        before: Topic | None = None
        for turn in conversation.turns:
            if before is not None:
                turns.append((turn.question, before))
            _, before = engine.converse(turn.question, None, before)
    if turns:
        followed = latencies(
            lambda i: engine.converse(turns[int(i)][0], None, turns[int(i)][1]),
            list(map(str, range(len(turns)))),
        )
        print(
            f"  {len(turns)} follow-up turns (read against the turns before; a follow-up may be "
            f"matched up to three ways): p50 {ms(percentile(followed, 0.5))}, "
            f"p99 {ms(percentile(followed, 0.99))}"
        )
    # Memory: 100,000 chats, each with a topic; the store keeps the most recently active.
    samples = [t for _, t in turns] or [topic]
    tracemalloc.start()
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    memory: Memory[tuple[str, int]] = Memory()
    for chat in range(100_000):
        memory.put(("chat", chat), samples[chat % len(samples)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
    print(
        f"  100,000 distinct chats: {len(memory):,} topics kept (the bound), peak "
        f"{peak / 2**20:.1f} MB allocated for them, process peak RSS +{grown / 1024:.1f} MB"
    )


# --- the running bot -------------------------------------------------------------------------


def start_bot_process(fake: FakeBotAPI, data_dir: Path) -> subprocess.Popen[bytes]:
    """``python -m bot run`` in its own process, talking to the fake server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=fake.base_url,
        TELEGRAM_BASE_FILE_URL=fake.base_file_url,
        LOG_LEVEL="WARNING",
        BOT_DATA_DIR=str(data_dir),
    )
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env)


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def rss(burst: int) -> int:
    """Peak RSS (kB) of ``python -m bot run`` after answering a burst of questions."""
    qs = questions()
    async with FakeBotAPI() as fake:
        scratch = tempfile.mkdtemp(prefix="bench-bot-data-")
        proc = start_bot_process(fake, Path(scratch))
        try:
            await fake.wait_for(lambda: fake.is_long_polling, timeout=60)
            for n in range(burst):
                user = fake.user(5000 + n, f"U{n}")
                fake.send_text(fake.private_chat(user), user, qs[n % len(qs)])
            await fake.wait_for(
                lambda: (
                    len({c.params.get("chat_id") for c in fake.calls_to("sendMessage")}) >= burst
                ),
                timeout=120,
            )
            return vm_hwm_kb(proc.pid)
        finally:
            proc.terminate()
            await asyncio.to_thread(proc.wait, 30)  # the fake must keep serving meanwhile
            shutil.rmtree(scratch, ignore_errors=True)


def bot_process(fake: FakeBotAPI, which: str) -> subprocess.Popen[bytes]:
    """``python -m benchmarks.bots ours|echo`` in its own process, talking to the fake."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=fake.base_url,
        TELEGRAM_BASE_FILE_URL=fake.base_file_url,
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen([sys.executable, "-m", "benchmarks.bots", which], cwd=ROOT, env=env)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def answers_per_second(burst: int, which: str) -> tuple[float, float]:
    """A burst of questions from ``burst`` users at once: answers per second until the last,
    and the bot process's CPU milliseconds per answer (steadier on a shared machine)."""
    qs = questions()
    async with FakeBotAPI() as fake:
        proc = bot_process(fake, which)
        try:
            await fake.wait_for(lambda: fake.is_long_polling, timeout=60)
            chats = [
                (fake.private_chat(u), u)
                for u in (fake.user(7000 + n, f"U{n}") for n in range(burst))
            ]
            begin, cpu = time.perf_counter(), cpu_seconds(proc.pid)
            for n, (chat, user) in enumerate(chats):
                fake.send_text(chat, user, qs[n % len(qs)])
            await fake.wait_for(
                lambda: (
                    len({c.params.get("chat_id") for c in fake.calls_to("sendMessage")}) >= burst
                ),
                timeout=120,
                interval=0.001,
            )
            elapsed, cpu = time.perf_counter() - begin, cpu_seconds(proc.pid) - cpu
            assert fake.errors == [], fake.errors
            return burst / elapsed, 1000 * cpu / burst
        finally:
            proc.terminate()
            await asyncio.to_thread(proc.wait, 30)  # the fake must keep serving meanwhile


async def end_to_end(burst: int) -> None:
    # Each bot in its own process, the fake server in this one, interleaved five times so all
    # see the same machine load.
    bots = ("ours", "echo", "echo-aiohttp", "echo-answer")
    runs: dict[str, list[tuple[float, float]]] = {b: [] for b in bots}
    for _ in range(5):
        for which in bots:
            runs[which].append(await answers_per_second(burst, which))
    rate = {b: statistics.median(r for r, _ in runs[b]) for b in bots}
    cpu = {b: statistics.median(c for _, c in runs[b]) for b in bots}
    print(
        f"\nend to end, burst of {burst} questions from {burst} users through the fake Bot API, "
        f"no rate limiter (median of 5):"
    )
    names = {
        "ours": "this bot",
        "echo": "bare PTB echo bot (PTB's HTTP client, httpx)",
        "echo-aiohttp": "bare PTB echo bot on this bot's HTTP client",
        "echo-answer": "that bot sending one fixed cited answer",
    }
    for b in bots:
        print(f"  {names[b]:<46} {rate[b]:5.0f} answers/s  {cpu[b]:.2f} ms CPU per answer")

    def ratio(other: str) -> str:
        return (
            f"{100 * rate['ours'] / rate[other]:.0f}% of the answers per second "
            f"({100 * cpu[other] / cpu['ours']:.0f}% by CPU per answer)"
        )

    print(f"  this bot / bare PTB echo bot: {ratio('echo')}")
    print(f"  this bot / echo bot on the same HTTP client: {ratio('echo-aiohttp')}")
    print(f"  this bot / fixed-answer bot: {ratio('echo-answer')}")
    peak = await rss(burst)
    print(f"peak memory (VmHWM) of `python -m bot run` after {burst} answers: {peak / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="synthetic knowledge sizes, comma-separated"
    )
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000 only")
    parser.add_argument("--followups", action="store_true", help="only the follow-up figures")
    args = parser.parse_args()
    if args.followups:
        followups()
        return
    sizes = [1000, 10000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    print(f"cold start (`python -m bot ask`, median of 5): {cold_start(5):.2f} s")
    print(
        f"knowledge load and validation (median of 5): "
        f"{ms(timed(lambda: load_knowledge(KNOWLEDGE), 5))}"
    )
    knowledge = load_knowledge(KNOWLEDGE)
    print(f"matcher build (median of 5): {ms(timed(lambda: Engine(knowledge), 5))}")
    matching(sizes)
    followups()
    asyncio.run(end_to_end(args.burst))


if __name__ == "__main__":
    main()
