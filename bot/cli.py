"""The command line: ``python -m bot [run|ask|chat|validate|eval|diff-article|health]``: parse,
call, print."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from bot import health
from bot.engine import Engine, KnowledgeError, load_knowledge
from bot.engine.evaluate import (
    OUT_OF_SCOPE,
    Case,
    Conversation,
    evaluate,
    evaluate_conversations,
    load_set,
    unknown_expectations,
)
from bot.engine.followup import Memory, Topic
from bot.engine.model import Reply
from bot.errors import SettingsError
from bot.settings import CONNECT_HINT, Settings, load_settings
from bot.tg import deliverable

REPO_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


# The settings as read once, at the start of a command, or why they could not be: only the
# commands that need them (run, health, diff-article --apply) report a bad value; trying the bot
# should still work.
ReadSettings = Settings | SettingsError


def read_settings() -> ReadSettings:
    """The environment and .env, read once per command."""
    try:
        return load_settings()
    except SettingsError as exc:
        return exc


def knowledge_dir(explicit: str | None, settings: ReadSettings) -> Path:
    """``--knowledge``, else ``KNOWLEDGE_DIR``, else the repository's ``knowledge/``."""
    if explicit:
        return Path(explicit)
    if isinstance(settings, Settings) and settings.knowledge_dir is not None:
        return settings.knowledge_dir  # KNOWLEDGE_DIR, from the environment or .env
    return REPO_KNOWLEDGE if REPO_KNOWLEDGE.is_dir() else Path.cwd() / "knowledge"


def _engine(args: argparse.Namespace, settings: ReadSettings, err: TextIO) -> Engine | None:
    directory = knowledge_dir(args.knowledge, settings)
    try:
        return Engine(load_knowledge(directory))
    except KnowledgeError as exc:
        print(f"Knowledge in {directory} is not valid:", file=err)
        for error in exc.problems:
            print(f"  {error}", file=err)
        return None


# --- ask ---------------------------------------------------------------------------------------


def _print_reply(reply: Reply, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(reply.plain_text() + "\n")
    out.flush()


def cmd_ask(
    args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    engine = _engine(args, settings, err)
    if engine is None:
        return 2
    question = " ".join(args.question)
    if question == "-":
        # Lines with the same "session" continue one conversation (follow-ups), as in a chat.
        sessions: Memory[str] = Memory()
        for number, line in enumerate(stdin, 1):
            line = line.rstrip("\n")
            if not args.json and not line.strip():
                continue
            asked = _session_line(line)
            if asked is None:
                print(f'stdin:{number}: a JSON line needs a "question" string', file=err)
                continue
            text, session = asked
            if session is None:
                _print_reply(engine.ask(text), args.json, out)
                continue
            reply, topic = engine.converse(text, None, sessions.get(session))
            sessions.put(session, topic)
            _print_reply(reply, args.json, out)
        return 0
    if not question.strip():
        print('Give a question, for example: python -m bot ask "Who brokered the truce?"', file=err)
        return 2
    _print_reply(engine.ask(question), args.json, out)
    if args.explain:
        out.write(_explain(engine, question))
    return 0


def _session_line(line: str) -> tuple[str, str | None] | None:
    """A stdin line of ``ask -``: plain text is a question on its own; a JSON object
    ``{"question": "...", "session": "..."}`` is a question in that session. None when the
    line is a JSON object without a question."""
    if not line.lstrip().startswith("{"):
        return line, None
    try:
        data = json.loads(line)
    except ValueError:
        return line, None  # a question that happens to start with a brace
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        return None
    session = data.get("session")
    return data["question"], None if session is None else str(session)


def _explain(engine: Engine, question: str) -> str:
    """Why this answer: the words the matcher saw, typo fixes, and the best candidates."""
    language, english = engine.reading(question)
    match = engine.match(english)
    lines = [""]
    if language != "en":
        lines.append(f"language: {language}; read as: {english}")
    lines.append(f"decision: {match.decision.value} (score {match.score:.3f})")
    if match.analyzed is not None:
        a = match.analyzed
        lines.append(f"understood as: {' '.join(sorted(a.content))}")
        if a.actors:
            lines.append(f"parties, agent first: {' -> '.join(a.actors)}")
        for typed, fixed in a.corrected:
            lines.append(f"typo: {typed} -> {fixed}")
    for c in match.candidates:
        lines.append(
            f"  {c.score:.3f}  {c.entry_id:<24} covers {c.coverage:.0%}  via {c.phrasing!r}"
        )
    return "\n".join(lines) + "\n"


# --- validate ----------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO) -> int:
    directory = knowledge_dir(args.directory or args.knowledge, settings)
    try:
        knowledge = load_knowledge(directory)
    except KnowledgeError as exc:
        for error in exc.problems:
            print(error, file=err)
        print(f"{len(exc.problems)} problem(s) in {directory}.", file=err)
        return 1
    engine = Engine(knowledge)
    undeliverable = deliverable.problems(engine)
    if undeliverable:
        for error in undeliverable:
            print(error, file=err)
        print(f"{len(undeliverable)} problem(s) in {directory}.", file=err)
        return 1
    cited, body = knowledge.coverage
    phrasings = sum(len(e.questions) for e in knowledge.entries.values())
    citations = sum(len(e.citations) for e in knowledge.entries.values())
    print(f"OK: {directory}", file=out)
    print(
        f"  entries: {len(knowledge.entries)} ({phrasings} phrasings, {citations} citations, "
        f"all verified verbatim)",
        file=out,
    )
    print(
        f"  quotes: {len(knowledge.quotes)}; synonym groups: "
        f"{len(knowledge.language.synonyms)}; small-talk intents: {len(knowledge.smalltalk)}",
        file=out,
    )
    print(f"  coverage: {cited}/{body} body paragraphs cited", file=out)
    for code, t in sorted(knowledge.translations.items()):
        n, m = len(knowledge.entries), len(knowledge.messages)
        print(
            f"  {code} ({t.name}): {len(t.answers)}/{n} answers, {len(t.labels)}/{n} labels, "
            f"{len(t.messages)}/{m} messages, {len(t.smalltalk)} small-talk intents, "
            f"{len(t.words)} words",
            file=out,
        )
    for warning in knowledge.warnings:
        print(f"  warning: {warning}", file=out)
    for a, a_text, b, b_text in engine.collisions():
        print(
            f'  warning: "{a_text}" ({a}) and "{b_text}" ({b}) read the same to the '
            "matcher; reword one",
            file=out,
        )
    return 0


# --- diff-article ------------------------------------------------------------------------------


def cmd_diff_article(
    args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO
) -> int:
    """What a corrected article would change and break; with --apply, put it in place (quotes
    renumbered, a backup kept for /rollback) when nothing breaks. Exit 1 if citations break."""
    from bot.curation import Curator
    from bot.engine.correction import correct
    from bot.engine.load import load_article
    from bot.engine.schema import QA, QUOTES

    directory = knowledge_dir(args.knowledge, settings)
    try:
        content = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=err)
        return 2
    try:
        knowledge = load_knowledge(directory)
        new = load_article(directory, content)
    except KnowledgeError as exc:
        for error in exc.problems:
            print(error, file=err)
        return 2

    def text(name: str) -> str:
        path = directory / name
        return path.read_text("utf-8", errors="replace") if path.is_file() else ""

    report = correct(knowledge, new, text(QUOTES), text(QA))
    for line in report.lines():
        print(line, file=out)
    if report.breaks:
        print(
            f"Correct those citations in {QUOTES} or {QA} to the new text; nothing was changed.",
            file=err,
        )
        return 1
    if not args.apply:
        return 0
    if isinstance(settings, SettingsError):
        print(settings, file=err)
        return 2
    curator = Curator(Engine(knowledge), directory, settings.data_dir, check=deliverable.problems)
    outcome = curator.upload(knowledge.article.file, content, confirmed=True)
    print(outcome.message, file=out if outcome.applied else err)
    for error in outcome.errors:
        print(error, file=err)
    return 0 if outcome.applied else 1


# --- eval --------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO) -> int:
    engine = _engine(args, settings, err)
    if engine is None:
        return 2
    try:
        loaded = load_set(Path(args.file))
    except KnowledgeError as exc:
        for error in exc.problems:
            print(error, file=err)
        return 2
    if loaded and isinstance(loaded[0], Conversation):
        return _eval_conversations(engine, loaded, args, out)
    cases = cast(list[Case], loaded)
    unknown = unknown_expectations(engine, cases)
    for problem in unknown:
        print(f"{args.file}:{problem.line}: {problem.message}", file=err)
    if unknown:
        print(f"{len(unknown)} problem(s) in {args.file}; nothing was evaluated.", file=err)
        return 2
    report = evaluate(engine, cases)
    print(f"{'category':<16}{'passed':>8}{'total':>8}{'accuracy':>10}", file=out)
    for category, (passed, total) in report.by_category().items():
        print(f"{category:<16}{passed:>8}{total:>8}{100.0 * passed / total:>9.1f}%", file=out)
    print(f"{'in scope':<16}{'':>16}{report.accuracy(True):>9.1f}%", file=out)
    print(f"{'out of scope':<16}{'':>16}{report.accuracy(False):>9.1f}%", file=out)
    print(f"{'overall':<16}{'':>16}{report.accuracy():>9.1f}%", file=out)
    if report.misses:
        print(f"\nMisses ({len(report.misses)}):", file=out)
    for miss in report.misses:
        expected = ", ".join(miss.case.expect) if miss.case.expect else "(abstain)"
        got = miss.reply.entry or ", ".join(o.entry_id for o in miss.reply.options) or "-"
        print(
            f"  {args.file}:{miss.case.line} [{miss.case.category}] {miss.case.question!r}\n"
            f"      expected {expected}; got {miss.reply.kind.value} {got} "
            f"(score {miss.reply.score:.2f})",
            file=out,
        )
    # Each minimum holds for its own share: a set at 73% in scope fails --min 80, whatever its
    # overall figure.
    floors = [
        (
            "in scope",
            report.accuracy(True),
            args.min_in_scope if args.min_in_scope is not None else args.min,
        ),
        (
            "out of scope",
            report.accuracy(False),
            args.min_out_of_scope if args.min_out_of_scope is not None else args.min,
        ),
    ]
    if args.min_traps is not None and "trap" in report.by_category():
        floors.append(("traps", report.category_accuracy("trap"), args.min_traps))
    failed = [
        (label, value, floor)
        for label, value, floor in floors
        if floor is not None and value < floor
    ]
    for label, value, floor in failed:
        print(f"\nFAIL: {label} accuracy {value:.1f}% is below the minimum {floor:g}%", file=out)
    return 1 if failed else 0


def _eval_conversations(
    engine: Engine, conversations: list[Conversation], args: argparse.Namespace, out: TextIO
) -> int:
    """A conversation set: each conversation's turns in one session (README: Command line)."""
    report = evaluate_conversations(engine, conversations)
    print(f"{'turns':<16}{'passed':>8}{'total':>8}{'accuracy':>10}", file=out)
    rows: list[tuple[str, bool, str | None]] = [
        ("first turns", True, None),
        ("follow-ups", False, None),
        *((f"  {kind}", False, kind) for kind in report.kinds),
    ]
    for label, first, kind in rows:
        passed, total = report.count(first=first, kind=kind)
        share = report.accuracy(first=first, kind=kind)
        print(f"{label:<16}{passed:>8}{total:>8}{share:>9.1f}%", file=out)
    if report.misses:
        print(f"\nMisses ({len(report.misses)}):", file=out)
    for miss in report.misses:
        turn = miss.turn
        want = f"an answer citing {list(turn.paragraphs)}" if turn.answerable else "no answer"
        cited = [c.paragraph for c in miss.reply.citations]
        read = f", read as {miss.reply.read_as!r}" if miss.reply.read_as else ""
        print(
            f"  {args.file}:{turn.line} [{miss.conversation.id} turn {miss.index + 1}] "
            f"{turn.question!r}\n      expected {want}; got {miss.reply.kind.value} {cited}{read}",
            file=out,
        )
    floor = args.min
    value = report.accuracy(first=False)
    if floor is not None and value < floor:
        print(f"\nFAIL: follow-up accuracy {value:.1f}% is below the minimum {floor:g}%", file=out)
        return 1
    return 0


# --- chat --------------------------------------------------------------------------------------


def cmd_chat(
    args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    engine = _engine(args, settings, err)
    if engine is None:
        return 2
    article = engine.knowledge.article
    interactive = stdin.isatty()
    print(f"Ask me about “{article.title}” ({article.publisher}).", file=out)
    print("Type a question; a number picks a suggestion; empty line or Ctrl-D quits.\n", file=out)
    options: list[str] = []
    topic: Topic | None = None  # follow-ups, as in a private chat (no expiry at a console)
    while True:
        if interactive:
            out.write("you> ")
            out.flush()
        line = stdin.readline()
        if not line or not line.strip():
            return 0
        text = line.strip()
        reply: Reply | None
        if text.isdigit() and 1 <= int(text) <= len(options):
            reply = engine.answer_entry(options[int(text) - 1])
            if reply is not None:
                topic = engine.follow(reply, topic)
        else:
            reply, topic = engine.converse(text, None, topic)
        if reply is None:
            continue
        print(f"bot> {reply.plain_text()}\n", file=out)
        options = [o.entry_id for o in (reply.options or reply.followups)]
        if reply.followups and not reply.options:
            print("     (type 1-" + f"{len(options)} to ask a follow-up)\n", file=out)


# --- run ---------------------------------------------------------------------------------------


def seed_knowledge(seed: Path, target: Path, err: TextIO) -> None:
    """Fill an empty knowledge folder (a new Docker volume) from ``seed``; say when the folder
    cannot be written, since admins' uploads and /rollback would then fail."""
    try:
        target.mkdir(parents=True, exist_ok=True)
        if not any(target.iterdir()):
            for source in sorted(seed.iterdir()):
                if source.is_file():
                    shutil.copyfile(source, target / source.name)
            print(f"knowledge: {target} was empty; filled it from {seed}", file=err)
    except OSError as exc:
        print(f"warning: could not fill {target} from {seed}: {exc}", file=err)
    if not os.access(target, os.W_OK):
        print(
            f"warning: {target} is not writable by this user (uid {os.getuid()}): admins' "
            "uploads and /rollback cannot be saved",
            file=err,
        )


def cmd_run(args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO) -> int:
    from bot.tg.app import main as run_bot

    if isinstance(settings, SettingsError):
        print(f"error: {settings}", file=err)
        return 2
    if args.seed:
        seed_knowledge(Path(args.seed), knowledge_dir(args.knowledge, settings), err)
    problems = io.StringIO()  # shown, and kept as the reason the health check gives
    engine = _engine(args, settings, problems)
    err.write(problems.getvalue())
    if engine is None:
        health.mark_failed(
            health.health_path(settings.data_dir),
            problems.getvalue().strip(),
            knowledge="failed",
        )
        return 2
    return run_bot(settings, engine, webhook=getattr(args, "webhook", False))


def cmd_health(args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO) -> int:
    """Exit 0 when the running bot's heartbeat is fresh and its knowledge loaded, else 1."""
    if isinstance(settings, SettingsError):
        print(f"unhealthy: {settings}", file=err)
        return 1
    healthy, message = health.check(health.health_path(settings.data_dir), args.max_age)
    print(message, file=out if healthy else err)
    return 0 if healthy else 1


def _default(
    args: argparse.Namespace, settings: ReadSettings, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    """No command: run the bot when a token is configured, else open the console chat."""
    if isinstance(settings, SettingsError):
        print(f"error: {settings}", file=err)
        return 2
    if settings.token is not None:
        return cmd_run(args, settings, out, err)
    print(
        f"No TELEGRAM_BOT_TOKEN set, so here is the console chat. {CONNECT_HINT}\n",
        file=out,
    )
    return cmd_chat(args, settings, out, err, stdin)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="A Telegram bot that answers questions about one news article, "
        "citing it word for word.",
    )
    parser.add_argument(
        "--knowledge",
        metavar="DIR",
        help="knowledge folder (default: $KNOWLEDGE_DIR, else ./knowledge)",
    )
    sub = parser.add_subparsers(dest="command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--knowledge",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="knowledge folder (default: $KNOWLEDGE_DIR, else ./knowledge)",
    )

    run = sub.add_parser("run", parents=[common], help="run the Telegram bot")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook")
    run.add_argument(
        "--seed",
        metavar="DIR",
        help="fill the knowledge folder from DIR first if it is empty (a new Docker volume)",
    )
    check = sub.add_parser("health", help="exit 0 if the running bot is healthy (for Docker)")
    check.add_argument(
        "--max-age",
        type=float,
        default=health.MAX_AGE,
        metavar="SECONDS",
        help=f"longest time without a successful poll (default {health.MAX_AGE:g})",
    )
    ask = sub.add_parser("ask", parents=[common], help="answer one question and print the reply")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="also show how the question was understood and the candidates' scores",
    )
    ask.add_argument("question", nargs="*", help="the question, or - to read one per stdin line")
    sub.add_parser("chat", parents=[common], help="talk to the bot in the console")
    validate = sub.add_parser("validate", parents=[common], help="check a knowledge folder")
    validate.add_argument("directory", nargs="?", help="folder to check (default: the knowledge)")
    corr = sub.add_parser(
        "diff-article",
        parents=[common],
        help="what a corrected article would change and break (exit 1 if citations break)",
    )
    corr.add_argument("file", help="the new text of the article")
    corr.add_argument(
        "--apply",
        action="store_true",
        help="put it in place when no citation breaks (quotes renumbered, backup kept)",
    )
    ev = sub.add_parser("eval", parents=[common], help="run an evaluation set")
    ev.add_argument("file", help="YAML list of {q, expect, category}")
    ev.add_argument(
        "--min",
        type=float,
        metavar="PCT",
        help="exit 1 if in scope or out of scope accuracy is below PCT",
    )
    ev.add_argument("--min-in-scope", type=float, metavar="PCT", help="minimum for in scope")
    ev.add_argument(
        "--min-out-of-scope", type=float, metavar="PCT", help="minimum for out of scope"
    )
    ev.add_argument("--min-traps", type=float, metavar="PCT", help="minimum for traps")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    stdin = stdin or sys.stdin
    args = build_parser().parse_args(argv)
    if not hasattr(args, "knowledge"):
        args.knowledge = None
    settings = read_settings()
    match args.command:
        case "ask":
            return cmd_ask(args, settings, out, err, stdin)
        case "validate":
            return cmd_validate(args, settings, out, err)
        case "eval":
            return cmd_eval(args, settings, out, err)
        case "diff-article":
            return cmd_diff_article(args, settings, out, err)
        case "chat":
            return cmd_chat(args, settings, out, err, stdin)
        case "run":
            return cmd_run(args, settings, out, err)
        case "health":
            return cmd_health(args, settings, out, err)
        case _:
            return _default(args, settings, out, err, stdin)


__all__ = ["OUT_OF_SCOPE", "main"]
