"""A knowledge base holding many articles answers this article's questions as before.

Word weights are per article: among other articles' entries, "Azerbaijan" is rare, but within
this article it is common, and a question that merely names it is still not covered here.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.engine import Engine
from bot.engine.model import Entry, Kind
from tests.support.synthetic import synthetic


@pytest.fixture(scope="module")
def crowded(engine: Engine) -> Engine:
    """The shipped knowledge plus about 1,000 entries about 25 other (invented) articles."""
    return Engine(synthetic(engine.knowledge, 1_000))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who brokered the truce?", "who-brokered"),
        ("what did aliyev threaten to use", "aliyev-f16"),
        ("What does Armenia accuse Azerbaijan of?", "armenia-accusations"),
    ],
)
def test_this_articles_answers_stay(
    crowded: Engine, engine: Engine, question: str, expected: str
) -> None:
    for bot in (engine, crowded):
        reply = bot.ask(question)
        assert (reply.kind, reply.entry) == (Kind.ANSWER, expected)


@pytest.mark.parametrize(
    "question",
    # Each of these is answered or offered choices when the other articles' entries count
    # toward this article's word weights.
    [
        "How large is Armenia's military?",
        "What did the Pope say about Azerbaijan?",
        "How many F-16s does Turkey own?",
        "Did Armenia and Azerbaijan sign a final peace treaty?",
    ],
)
def test_naming_this_articles_places_does_not_make_a_question_answerable(
    crowded: Engine, engine: Engine, question: str
) -> None:
    for bot in (engine, crowded):
        reply = bot.ask(question)
        assert reply.kind in (Kind.NO_ANSWER, Kind.NEAR_MISS) and reply.entry is None


def test_other_articles_do_not_change_this_articles_word_weights(engine: Engine) -> None:
    plain = engine.match("what did Armenia say about the truce?")
    others = synthetic(engine.knowledge, 400)
    # The same other entries, but counted as part of this article: the weights shift.
    merged = replace(others, entries={k: replace(e, article="") for k, e in others.entries.items()})
    apart = Engine(others).match("what did Armenia say about the truce?")
    together = Engine(merged).match("what did Armenia say about the truce?")
    assert apart.candidates[0].score == pytest.approx(plain.candidates[0].score)
    assert together.candidates[0].score != pytest.approx(plain.candidates[0].score)


def _with_other_article(engine: Engine, *entries: Entry) -> Engine:
    knowledge = engine.knowledge
    return Engine(replace(knowledge, entries={**knowledge.entries, **{e.id: e for e in entries}}))


def test_another_article_with_the_same_entries_changes_no_answer(engine: Engine) -> None:
    # The worst case for telling articles apart: another article whose entries are word for
    # word this one's. A question that names neither is about this article (the bot's own),
    # answered as before; never a choice between two identical entries.
    twins = [
        replace(e, id=f"twin-{e.id}", article="twin") for e in engine.knowledge.entries.values()
    ]
    crowded = _with_other_article(engine, *twins)
    for question in [
        "who was the mediator?",
        "How many people died?",
        "what weapons did aliyev mention",
        "when did the fighting start again",
        "what is the capital of France?",
    ]:
        alone, there = engine.ask(question), crowded.ask(question)
        assert (there.kind, there.entry) == (alone.kind, alone.entry), question


def test_a_question_naming_another_articles_place_is_answered_from_that_article(
    engine: Engine,
) -> None:
    toll = engine.knowledge.entries["death-toll"]
    theirs = replace(
        toll,
        id="vardenis-toll",
        article="vardenis",
        questions=tuple(f"{q.rstrip('?')} in Vardenis?" for q in toll.questions),
    )
    crowded = _with_other_article(engine, theirs)
    assert crowded.ask("How many people died in Vardenis?").entry == "vardenis-toll"
    assert crowded.ask("How many people died?").entry == "death-toll"
    # A misspelling that merely resembles the other article's place is not enough to leave this
    # article: it may be a place nobody here knows, and this article does not mention it.
    unknown = crowded.ask("How many people died in Vardenus?")
    assert unknown.related == "death-toll" and unknown.text.startswith(
        "The article doesn't mention"
    )
