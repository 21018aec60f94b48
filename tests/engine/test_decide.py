"""The decision phase alone, on hand-built candidates: what a user gets for each shape of scores."""

from __future__ import annotations

from bot.engine.cover import Gap
from bot.engine.decide import Asked, decide
from bot.engine.model import Kind
from bot.engine.rank import Candidate, SentenceHit
from bot.engine.thresholds import Thresholds

T = Thresholds()
ASKED = Asked(frozenset({"who", "broker", "truce"}), ())
GAP = Gap(missing=("France",), absent=("France",), pairs=(), anchors=("Erdogan",))


def cand(entry: str, score: float, coverage: float = 0.9, similarity: float = 0.8) -> Candidate:
    return Candidate(entry, score, f"phrasing of {entry}", coverage, similarity)


def run(ranked, gaps=None, sentence=None, sentence_gap=None, unmentioned=None, asked=ASKED):
    gaps = {c.entry_id: None for c in ranked} if gaps is None else gaps
    return decide(asked, ranked, sentence, {}, gaps, sentence_gap, unmentioned, T)


def test_a_clear_best_entry_that_covers_the_question_is_the_answer() -> None:
    match = run([cand("who-brokered", 0.9), cand("truce-timing", 0.5)])
    assert match.decision is Kind.ANSWER
    assert match.candidates[0].entry_id == "who-brokered"


def test_two_close_entries_that_both_fit_are_offered_as_a_choice() -> None:
    match = run([cand("a", 0.50), cand("b", 0.48)])
    assert match.decision is Kind.CLARIFY
    assert [c.entry_id for c in match.candidates] == ["a", "b"]


def test_a_best_entry_that_leaves_out_what_was_asked_is_a_near_miss() -> None:
    match = run(
        [cand("erdogan", 0.8), cand("turkey-role", 0.3)], gaps={"erdogan": GAP, "turkey-role": GAP}
    )
    assert match.decision is Kind.NEAR_MISS
    assert match.candidates[0].entry_id == "erdogan"
    assert match.gap == GAP


def test_a_close_runner_up_that_covers_everything_answers_instead() -> None:
    # "Who said Moscow plays a crucial role?": Russia's role covers less than Sarkissian's entry.
    ranked = [cand("russia-role", 0.80), cand("sarkissian", 0.74)]
    match = run(ranked, gaps={"russia-role": GAP, "sarkissian": None})
    assert match.decision is Kind.ANSWER
    assert match.candidates[0].entry_id == "sarkissian"


def test_of_two_close_entries_only_the_one_that_fits_answers() -> None:
    match = run([cand("a", 0.50), cand("b", 0.48)], gaps={"a": GAP, "b": None})
    assert match.decision is Kind.ANSWER
    assert match.candidates[0].entry_id == "b"


def test_weak_candidates_are_no_answer_and_name_what_the_article_never_mentions() -> None:
    unmentioned = Gap(("China",), ("China",), (), ())
    match = run([cand("sides-supporters", 0.15, coverage=0.2)], unmentioned=unmentioned)
    assert match.decision is Kind.NO_ANSWER
    assert match.gap == unmentioned


def test_an_article_sentence_answers_only_when_it_covers_the_whole_question() -> None:
    asked = Asked(frozenset({"lachin", "shell"}), ())
    hit = SentenceHit(0.9, 3, "Just hours later, Armenian troops began shelling villages...")
    answered = run([cand("x", 0.2, coverage=0.2)], sentence=hit, asked=asked)
    assert answered.decision is Kind.ANSWER and answered.sentence == (3, hit.text)
    refused = run([cand("x", 0.2, coverage=0.2)], sentence=hit, sentence_gap=GAP, asked=asked)
    assert refused.decision is not Kind.ANSWER


def test_a_sentence_never_answers_a_who_or_when_question() -> None:
    asked = Asked(frozenset({"when", "septemb"}), (), frozenset({"when"}))
    hit = SentenceHit(0.9, 13, "The conflict re-erupted in late September...")
    assert run([], sentence=hit, asked=asked).decision is Kind.NO_ANSWER


def test_nothing_ranked_is_no_answer() -> None:
    match = run([])
    assert match.decision is Kind.NO_ANSWER and match.score == 0.0


def test_an_entry_about_someone_else_is_no_related_point() -> None:
    # "When did Erdogan speak?" against Lavrov's entry: close wording, another person.
    other = Gap(missing=("Erdogan",), absent=(), pairs=(), anchors=(), strays=("Erdogan",))
    match = run([cand("lavrov", 0.63, coverage=0.63)], gaps={"lavrov": other})
    assert match.decision is Kind.NO_ANSWER


def test_no_near_miss_below_an_entry_that_covers_everything_asked() -> None:
    # The best entry covers the whole question but is worded too far from it to answer; a lower
    # entry missing part of it must not be shown after "the article doesn't say".
    match = run(
        [cand("aliyev-f16", 0.36, coverage=0.55), cand("turkey-role", 0.33, coverage=0.32)],
        gaps={"aliyev-f16": None, "turkey-role": GAP},
    )
    assert match.decision is Kind.NO_ANSWER
    assert match.candidates[0].entry_id == "aliyev-f16"
