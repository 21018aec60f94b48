"""The publishing gate: the evaluation set meets the bar and every citation verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.engine.evaluate import (
    Report,
    evaluate,
    evaluate_conversations,
    load_cases,
    load_conversations,
    unknown_expectations,
)

# The gate of every admin change is a real file of the knowledge folder (copies and mounts keep it).
EVAL = Path(__file__).resolve().parents[2] / "knowledge" / "eval.yaml"
BLIND_SETS = Path(__file__).resolve().parents[1] / "eval"

# The bar, just under what was measured when answers began to be checked against every word of
# the question (bot/engine/cover.py): that check refuses some chatty questions the old matcher
# answered, and refuses far more near misses it answered wrongly. The README shows the figures.
IN_SCOPE_MIN = 96.0
MISSPELLED_MIN = 90.0
OUT_OF_SCOPE_MIN = 95.0
# The blind set's tuning half: near misses ("traps") and out-of-scope questions about the
# article's own people, which the old matcher answered three times in four.
BLIND = BLIND_SETS / "blind_tune.yaml"
BLIND_TRAPS_MIN = 84.0
BLIND_OUT_OF_SCOPE_MIN = 88.0
BLIND_IN_SCOPE_MIN = 87.0
# The second blind set's tuning half: chatty questions from people who never saw the knowledge.
BLIND2 = BLIND_SETS / "blind2_tune.yaml"
BLIND2_IN_SCOPE_MIN = 81.0
BLIND2_TRAPS_MIN = 90.0
# The third blind set's tuning half: phone chat, second-language English, sceptics.
BLIND3 = BLIND_SETS / "blind3_tune.yaml"
BLIND3_IN_SCOPE_MIN = 77.0
BLIND3_TRAPS_MIN = 82.0
# The fourth blind set's tuning half: group chat, second-language English, formal paraphrase.
BLIND4 = BLIND_SETS / "blind4_tune.yaml"
BLIND4_IN_SCOPE_MIN = 79.0
BLIND4_TRAPS_MIN = 92.0
# The fifth: voice-typed run-ons, forwarded links, misremembered details.
BLIND5 = BLIND_SETS / "blind5_tune.yaml"
BLIND5_IN_SCOPE_MIN = 82.0
BLIND5_TRAPS_MIN = 90.0
# The sixth (two writers): students, fact-checkers, loaded questions, polite formal readers,
# group-chat mentions, sceptics.
BLIND6 = BLIND_SETS / "blind6_tune.yaml"
BLIND6_IN_SCOPE_MIN = 72.0
BLIND6_TRAPS_MIN = 80.0


@pytest.fixture(scope="module")
def report(engine: Engine) -> Report:
    cases = load_cases(EVAL)
    assert not unknown_expectations(engine, cases)
    return evaluate(engine, cases)


def test_eval_set_is_big_enough_and_shares_no_phrasing_with_the_knowledge(engine: Engine) -> None:
    cases = load_cases(EVAL)
    in_scope = [c for c in cases if c.expect]
    assert len(in_scope) >= 150 and len(cases) - len(in_scope) >= 50
    assert sum(c.category in ("misspelled", "keyword") for c in cases) >= 30
    curated = {
        q.casefold().strip(" ?!.") for e in engine.knowledge.entries.values() for q in e.questions
    }
    shared = [c.question for c in cases if c.question.casefold().strip(" ?!.") in curated]
    assert shared == []


def _misses(report: Report, in_scope: bool) -> str:
    return "\n".join(
        f"{o.case.question!r}: expected {o.case.expect or 'abstain'}, got "
        f"{o.reply.kind.value} {o.reply.entry}"
        for o in report.misses
        if bool(o.case.expect) == in_scope
    )


def test_in_scope_accuracy(report: Report) -> None:
    assert report.accuracy(in_scope=True) >= IN_SCOPE_MIN, _misses(report, True)


def test_misspelled_accuracy(report: Report) -> None:
    assert report.category_accuracy("misspelled") >= MISSPELLED_MIN, _misses(report, True)


def test_out_of_scope_abstention(report: Report) -> None:
    assert report.accuracy(in_scope=False) >= OUT_OF_SCOPE_MIN, _misses(report, False)


def test_every_citation_served_is_verbatim(report: Report, engine: Engine) -> None:
    paragraphs = {p.number: p.text for p in engine.knowledge.article.paragraphs}
    paragraphs[0] = engine.knowledge.article.title
    for outcome in report.outcomes:
        for citation in outcome.reply.citations:
            assert citation.quote in paragraphs[citation.paragraph], citation


def test_near_misses_about_the_articles_own_people_are_not_answered(engine: Engine) -> None:
    report = evaluate(engine, load_cases(BLIND))
    misses = "\n".join(
        f"{o.case.question!r}: got {o.reply.kind.value} {o.reply.entry}"
        for o in report.misses
        if o.case.category in ("trap", "out_of_scope")
    )
    assert report.category_accuracy("trap") >= BLIND_TRAPS_MIN, misses
    assert report.category_accuracy("out_of_scope") >= BLIND_OUT_OF_SCOPE_MIN, misses


def test_blind_questions_are_answered_and_traps_refused(engine: Engine) -> None:
    for path, in_scope, traps in (
        (BLIND, BLIND_IN_SCOPE_MIN, BLIND_TRAPS_MIN),
        (BLIND2, BLIND2_IN_SCOPE_MIN, BLIND2_TRAPS_MIN),
        (BLIND3, BLIND3_IN_SCOPE_MIN, BLIND3_TRAPS_MIN),
        (BLIND4, BLIND4_IN_SCOPE_MIN, BLIND4_TRAPS_MIN),
        (BLIND5, BLIND5_IN_SCOPE_MIN, BLIND5_TRAPS_MIN),
        (BLIND6, BLIND6_IN_SCOPE_MIN, BLIND6_TRAPS_MIN),
    ):
        report = evaluate(engine, load_cases(path))
        assert report.accuracy(in_scope=True) >= in_scope, (path.name, _misses(report, True))
        assert report.category_accuracy("trap") >= traps, (path.name, _misses(report, False))


# Each other language's tuning halves of the three blind sets (the held-out halves are only scored,
# for the README): (in scope, out of scope and traps), just under what was measured.
LANGUAGE_MIN = {
    ("lang", "ru"): (90.0, 95.0),
    ("lang", "tr"): (90.0, 85.0),
    ("lang", "az"): (95.0, 90.0),
    ("lang", "hy"): (95.0, 95.0),
    ("lang2", "ru"): (75.0, 95.0),
    ("lang2", "tr"): (90.0, 95.0),
    ("lang2", "az"): (90.0, 95.0),
    ("lang2", "hy"): (95.0, 95.0),
    # the third set (formal, phone typing, translit, typos)
    ("lang3", "ru"): (95.0, 95.0),
    ("lang3", "tr"): (85.0, 95.0),
    ("lang3", "az"): (90.0, 95.0),
    ("lang3", "hy"): (90.0, 85.0),
}
# Turkish and Azerbaijani share many words: a question typed in words of both alike ("lavrov ne
# dedi") may be answered in either, which its asker reads.
_ALIKE = {"tr": {"tr", "az"}, "az": {"tr", "az"}}


@pytest.mark.parametrize(("blind", "code"), sorted(LANGUAGE_MIN))
def test_questions_in_other_languages_are_answered_in_them_and_refused_honestly(
    engine: Engine, blind: str, code: str
) -> None:
    report = evaluate(engine, load_cases(BLIND_SETS / f"{blind}_{code}_tune.yaml"))
    in_scope, out_of_scope = LANGUAGE_MIN[blind, code]
    assert report.accuracy(in_scope=True) >= in_scope, _misses(report, True)
    assert report.accuracy(in_scope=False) >= out_of_scope, _misses(report, False)
    paragraphs = {p.number: p.text for p in engine.knowledge.article.paragraphs}
    for outcome in report.outcomes:
        if outcome.reply.entry is not None:
            assert outcome.reply.language in _ALIKE.get(code, {code}), outcome.case.question
        for citation in outcome.reply.citations:  # quotes stay the article's own English
            assert citation.quote in paragraphs.get(citation.paragraph, ""), citation


# Follow-up conversations (bot/engine/followup.py), just under what was measured: each set's
# tuning half (its size, follow-ups, first turns), first turns as accurate as the single-question
# sets. The second set (46 conversations) was written later, blind like the first.
CONVERSATION_SETS = {
    "conversations_tune.yaml": (50, 90.0, 92.0),
    "conversations2_tune.yaml": (40, 80.0, 93.0),
    "conversations3_tune.yaml": (36, 73.0, 97.0),
}


@pytest.mark.parametrize("name", sorted(CONVERSATION_SETS))
def test_follow_up_conversations_meet_the_bar(engine: Engine, name: str) -> None:
    size, follow_ups, first_turns = CONVERSATION_SETS[name]
    conversations = load_conversations(BLIND_SETS / name)
    assert len(conversations) >= size
    report = evaluate_conversations(engine, conversations)
    misses = "\n".join(
        f"{o.conversation.id} turn {o.index + 1}: {o.turn.question!r} -> {o.reply.kind.value}"
        for o in report.misses
    )
    assert report.accuracy(first=False) >= follow_ups, misses
    assert report.accuracy(first=True) >= first_turns, misses
