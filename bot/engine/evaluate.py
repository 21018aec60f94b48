"""Runs a YAML evaluation set through the engine: accuracy per category, and every miss."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine.engine import Engine
from bot.engine.model import Kind, Reply
from bot.engine.safeyaml import Located, read_yaml
from bot.errors import KnowledgeError, KnowledgeProblem, YamlError

OUT_OF_SCOPE = "out_of_scope"
TRAP = "trap"  # a real person or event of the article plus something it does not say
# Categories where the bot must not answer with article content (unless an entry says outright
# that the article does not give it, and the case names that entry).
ABSTAIN = frozenset({OUT_OF_SCOPE, TRAP})
# Keys a case may have besides q/expect/category: for people reading the set, not the bot.
_NOTES = ("answer", "note")
_KEYS = frozenset({"q", "expect", "category", *_NOTES})


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    expect: tuple[str, ...]  # acceptable entry ids; empty means the bot must abstain
    category: str
    line: int


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    case: Case
    reply: Reply
    passed: bool


@dataclass
class Report:
    outcomes: list[CaseOutcome] = field(default_factory=list)

    def by_category(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            counts[o.case.category][0] += o.passed
            counts[o.case.category][1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(counts.items())}

    def accuracy(self, in_scope: bool | None = None) -> float:
        chosen = [
            o
            for o in self.outcomes
            if in_scope is None or (o.case.category not in ABSTAIN) == in_scope
        ]
        return 100.0 * sum(o.passed for o in chosen) / len(chosen) if chosen else 100.0

    def category_accuracy(self, category: str) -> float:
        passed, total = self.by_category().get(category, (0, 0))
        return 100.0 * passed / total if total else 100.0

    @property
    def misses(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if not o.passed]


def _read_list(path: Path, what: str) -> list[Located]:
    """An evaluation file's items, or ``KnowledgeError`` saying why it is not a list."""
    try:
        root = read_yaml(path, str(path))
    except YamlError as problem:
        raise KnowledgeError([problem.problem]) from problem
    if not isinstance(root.value, list):
        raise KnowledgeError([KnowledgeProblem(str(path), root.line, f"must be a list of {what}")])
    return root.value


def _unknown_keys(
    file: str, data: dict[str, Located], known: frozenset[str]
) -> list[KnowledgeProblem]:
    """A problem per key not in ``known``, with the likely intended key."""
    problems = []
    for key in sorted(set(data) - known):
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(sorted(known))})"
        problems.append(KnowledgeProblem(file, data[key].line, f"unknown key '{key}'{hint}"))
    return problems


def load_set(path: Path) -> list[Case] | list[Conversation]:
    """An evaluation file, read once: a conversation set when its first item has ``turns``,
    else single cases."""
    items = _read_list(path, "cases")
    first = items[0].value if items else None
    if isinstance(first, dict) and "turns" in first:
        return _conversations(path, items)
    return _cases(path, items)


def load_cases(path: Path) -> list[Case]:
    return _cases(path, _read_list(path, "cases"))


def _cases(path: Path, items: list[Located]) -> list[Case]:
    errors: list[KnowledgeProblem] = []
    cases: list[Case] = []
    for node in items:
        data = node.value
        if not isinstance(data, dict) or not isinstance(data.get("q", Located(None, 0)).value, str):
            errors.append(KnowledgeProblem(str(path), node.line, "each case needs a 'q' string"))
            continue
        unknown = _unknown_keys(str(path), data, _KEYS)
        if unknown:
            errors.extend(unknown)
            continue
        raw = data["expect"].value if "expect" in data else None
        if raw is None:
            expect: tuple[str, ...] = ()
        elif isinstance(raw, str):
            expect = (raw,)
        elif isinstance(raw, list) and all(isinstance(x.value, str) for x in raw):
            expect = tuple(str(x.value) for x in raw)
        else:
            errors.append(
                KnowledgeProblem(
                    str(path),
                    data["expect"].line,
                    "'expect' must be an entry id, a list of ids, or null",
                )
            )
            continue
        category_node = data.get("category")
        category = (
            str(category_node.value)
            if category_node is not None
            else ("in_scope" if expect else OUT_OF_SCOPE)
        )
        if any(k in data and not isinstance(data[k].value, str | None) for k in _NOTES):
            errors.append(KnowledgeProblem(str(path), node.line, "'answer' and 'note' are text"))
            continue
        cases.append(Case(str(data["q"].value), expect, category, node.line))
    if errors:
        raise KnowledgeError(errors)
    return cases


def passes(case: Case, reply: Reply) -> bool:
    abstained = reply.kind in (Kind.NO_ANSWER, Kind.NEAR_MISS, Kind.SMALLTALK)
    answered = reply.kind is Kind.ANSWER and reply.entry in case.expect
    if case.category in ABSTAIN or not case.expect:
        # Abstaining is saying "not covered" (with or without related content), or answering
        # small talk; never article content as if it answered the question.
        return abstained or answered
    return answered


def evaluate(engine: Engine, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        reply = engine.ask(case.question)
        report.outcomes.append(CaseOutcome(case, reply, passes(case, reply)))
    return report


def unknown_expectations(engine: Engine, cases: list[Case]) -> list[KnowledgeProblem]:
    """Cases naming entries the knowledge does not have (a renamed id would silently fail)."""
    known = engine.knowledge.entries
    return [
        KnowledgeProblem("eval", c.line, f"expected entry '{e}' does not exist")
        for c in cases
        for e in c.expect
        if e not in known
    ]


# --- conversations -----------------------------------------------------------------------------
#
# A conversation set is a YAML list of {id, kind, style?, turns: [{q, answerable, paragraphs,
# note?}]}: each turn is asked in order in one session, so follow-ups ("what else did he say?")
# are read against the turns before them. A turn is right when an answerable one gets an answer
# citing one of its paragraphs (any answer, when it lists none), and an unanswerable one gets no
# answer (a near miss or "the article doesn't say").

_CONVERSATION_KEYS = frozenset({"id", "kind", "style", "turns", "note"})
_TURN_KEYS = frozenset({"q", "answerable", "paragraphs", "note"})


@dataclass(frozen=True, slots=True)
class Turn:
    question: str
    answerable: bool
    paragraphs: tuple[int, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    kind: str  # pronoun, ellipsis, switch, refusal...
    turns: tuple[Turn, ...]
    line: int


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    conversation: Conversation
    index: int  # 0 is the first turn
    reply: Reply
    passed: bool

    @property
    def turn(self) -> Turn:
        return self.conversation.turns[self.index]


@dataclass
class ConversationReport:
    outcomes: list[TurnOutcome] = field(default_factory=list)

    def accuracy(self, *, first: bool | None = None, kind: str | None = None) -> float:
        passed, total = self.count(first=first, kind=kind)
        return 100.0 * passed / total if total else 100.0

    def count(self, *, first: bool | None = None, kind: str | None = None) -> tuple[int, int]:
        chosen = [
            o
            for o in self.outcomes
            if (first is None or (o.index == 0) == first)
            and (kind is None or o.conversation.kind == kind)
        ]
        return sum(o.passed for o in chosen), len(chosen)

    @property
    def kinds(self) -> list[str]:
        return sorted({o.conversation.kind for o in self.outcomes})

    @property
    def misses(self) -> list[TurnOutcome]:
        return [o for o in self.outcomes if not o.passed]


def load_conversations(path: Path) -> list[Conversation]:
    return _conversations(path, _read_list(path, "conversations"))


def _conversations(path: Path, items: list[Located]) -> list[Conversation]:
    file = str(path)
    errors: list[KnowledgeProblem] = []
    found: list[Conversation] = []
    for node in items:
        data = node.value
        if not isinstance(data, dict) or not isinstance(
            data.get("turns", Located(0, 0)).value, list
        ):
            errors.append(
                KnowledgeProblem(file, node.line, "each conversation needs a 'turns' list")
            )
            continue
        errors.extend(_unknown_keys(file, data, _CONVERSATION_KEYS))
        turns: list[Turn] = []
        for item in data["turns"].value:
            turn = item.value
            if not isinstance(turn, dict) or not isinstance(
                turn.get("q", Located(0, 0)).value, str
            ):
                errors.append(KnowledgeProblem(file, item.line, "each turn needs a 'q' string"))
                continue
            errors.extend(_unknown_keys(file, turn, _TURN_KEYS))
            answerable = turn.get("answerable", Located(True, item.line)).value
            raw = turn.get("paragraphs", Located([], item.line)).value
            paragraphs = [p.value for p in raw] if isinstance(raw, list) else None
            if (
                not isinstance(answerable, bool)
                or paragraphs is None
                or not all(isinstance(p, int) and not isinstance(p, bool) for p in paragraphs)
            ):
                errors.append(
                    KnowledgeProblem(
                        file, item.line, "'answerable' is true or false; 'paragraphs' numbers"
                    )
                )
                continue
            turns.append(
                Turn(str(turn["q"].value), answerable, tuple(int(p) for p in paragraphs), item.line)
            )
        ident = data.get("id", Located(f"line {node.line}", node.line)).value
        kind = data.get("kind", Located("conversation", node.line)).value
        if turns:
            found.append(Conversation(str(ident), str(kind), tuple(turns), node.line))
    if errors:
        raise KnowledgeError(errors)
    return found


def turn_passes(turn: Turn, reply: Reply) -> bool:
    if not turn.answerable:
        return reply.kind in (Kind.NO_ANSWER, Kind.NEAR_MISS, Kind.SMALLTALK)
    if reply.kind is not Kind.ANSWER:
        return False
    cited = {c.paragraph for c in reply.citations}
    return not turn.paragraphs or bool(cited & set(turn.paragraphs))


def evaluate_conversations(engine: Engine, conversations: list[Conversation]) -> ConversationReport:
    """Each conversation in its own session: its turns follow one another, as in a chat."""
    report = ConversationReport()
    for conversation in conversations:
        topic = None
        for i, turn in enumerate(conversation.turns):
            reply, topic = engine.converse(turn.question, None, topic)
            report.outcomes.append(TurnOutcome(conversation, i, reply, turn_passes(turn, reply)))
    return report
