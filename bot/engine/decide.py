"""Phase 3 of matching: ranked candidates to a decision, as a pure function.

answer when one entry is clearly best and covers the question; clarify when two are close, or
when the question does not say which side it means; answer from the article when no entry fits
but one sentence clearly does (through a curated entry citing it, when there is one); otherwise
no answer. Tested with hand-built candidates (tests/engine/test_decide.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from bot.engine.analyze import Analyzed
from bot.engine.cover import Gap
from bot.engine.model import Kind, SmalltalkIntent
from bot.engine.rank import Candidate, SentenceHit
from bot.engine.thresholds import Thresholds
from bot.engine.whosaid import Said


@dataclass(frozen=True, slots=True)
class Match:
    decision: Kind
    score: float
    candidates: tuple[Candidate, ...] = ()  # best first
    sentence: tuple[int, str] | None = None  # (paragraph, sentence) when answering from the article
    smalltalk: SmalltalkIntent | None = None
    analyzed: Analyzed | None = None
    gap: Gap | None = None  # near miss: what the article does not say of what was asked
    said: Said | None = None  # a "who said ...?" question: the quotation it is about


@dataclass(frozen=True, slots=True)
class Asked:
    """What decide needs to know of the question itself."""

    content: frozenset[str]  # its meaningful words
    actors: tuple[str, ...]  # the parties it names, agent first
    asks: frozenset[str] = frozenset()  # the kinds of answer it asks for (who, when...)
    analyzed: Analyzed | None = None


def decide(
    asked: Asked,
    ranked: list[Candidate],
    sentence: SentenceHit | None,
    citing: Mapping[tuple[int, str], Set[str]],
    gaps: Mapping[str, Gap | None],
    sentence_gap: Gap | None,
    unmentioned: Gap | None,
    t: Thresholds,
    doers: Set[str] = frozenset(),
) -> Match:
    """The decision for one question, from its ranked candidates and best article sentence.

    ``gaps`` says, per candidate considered (bot/engine/cover.py), what it would leave
    unanswered; a candidate missing from it is not considered. Only an entry with no gap is an
    answer: the best one with a gap is a near miss, offered as related after saying plainly
    what the article does not say. ``unmentioned`` is what the question names that the article
    never mentions at all ("China"), said in the no answer. ``doers`` are the candidates that
    state the question's deeds as done by the doer it names (bot/engine/action.py).
    """
    top = ranked[0] if ranked else None
    analyzed = asked.analyzed
    # A short question with a word the knowledge never uses must be covered more fully: the
    # unknown word is likely what it asks about ("was Ganja hit by missiles?"). Long, chatty
    # questions carry unknown filler, so they keep the usual bar.
    short = len(asked.content) <= t.short

    def needed(candidate: Candidate) -> float:
        return t.coverage_min_unknown if candidate.unknown and short else t.coverage_min

    def fits(candidate: Candidate) -> bool:
        return candidate.entry_id in gaps and gaps[candidate.entry_id] is None

    def near_miss() -> Match | None:
        # The best candidate the question is about, but which misses part of it.
        for c in ranked[: t.clarify_options]:
            if fits(c):
                # A better-ranked entry covers all of it, too loosely worded to answer: the
                # article does say it, so no "doesn't say" about a lesser one.
                return None
            gap = gaps.get(c.entry_id)
            # Related means about someone the question names: Lavrov's remarks are no related
            # point for "when did Erdogan speak?", however close the wording.
            about = gap.anchors or (not gap.strays and c.score >= t.near_miss) if gap else False
            if gap is not None and c.score >= t.related and about:
                return Match(Kind.NEAR_MISS, c.score, (c,), analyzed=analyzed, gap=gap)
        return None

    if top is not None and top.score >= t.answer and top.coverage >= needed(top):
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        clear = top.score - runner_up
        # Two entries that cover the question equally: the one with a phrasing much closer to
        # the question's own wording wins.
        closer = len(ranked) > 1 and top.similarity - ranked[1].similarity >= t.phrasing_lead
        if party_unresolved(ranked, asked.actors, t):
            pass  # "what did the defense ministry say?": whose? Offer both sides.
        elif (top.score >= t.confident and (clear > t.tie or closer)) or clear >= t.margin:
            if fits(top):
                return Match(Kind.ANSWER, top.score, tuple(ranked[:5]), analyzed=analyzed)
            # The best entry leaves part of the question out; a close one that covers it all
            # answers instead ("who said Moscow plays a crucial role?": the speaker's entry).
            for c in ranked[1 : t.clarify_options]:
                if (
                    fits(c)
                    and c.score >= t.answer
                    and c.coverage >= needed(c)
                    and c.score >= top.score - t.clarify_window
                ):
                    return Match(Kind.ANSWER, c.score, (c, *ranked[:4]), analyzed=analyzed)
    # The best entry gives the deed to someone else ("did Azerbaijan fire on Armenian
    # positions?" ranks Baku's account of Armenian shelling first): an entry that gives it to
    # the doer asked about answers, however much lower its wording ranks it.
    top_gap = gaps.get(top.entry_id) if top is not None else None
    if top_gap is not None and top_gap.doer:
        for c in ranked[1 : t.clarify_options]:
            if c.entry_id in doers and fits(c) and c.score >= t.answer and c.coverage >= needed(c):
                return Match(Kind.ANSWER, c.score, (c, *ranked[:4]), analyzed=analyzed)
    close = [
        c
        for c in ranked[: t.clarify_options]
        if c.score >= t.clarify
        and top is not None
        and c.score >= top.score - t.clarify_window
        and c.coverage >= needed(c)
    ]
    fitting = [c for c in close if fits(c)]
    if len(fitting) >= 2:
        return Match(Kind.CLARIFY, fitting[0].score, tuple(fitting), analyzed=analyzed)
    if len(fitting) == 1 and fitting[0].score >= t.answer:
        # The others were close only by leaving part of the question out.
        return Match(Kind.ANSWER, fitting[0].score, tuple(fitting), analyzed=analyzed)
    # A who/when/where/why question needs a curated answer: a sentence that merely shares its
    # words ("late September") does not say who did it.
    if sentence is not None and not asked.asks and sentence_gap is None:
        # A sentence a curated entry already cites is better answered by that entry: it
        # attributes the claim and may cite more.
        citers = citing.get((sentence.paragraph, sentence.text), ())
        for candidate in ranked:
            if candidate.entry_id in citers:
                return Match(Kind.ANSWER, sentence.coverage, (candidate,), analyzed=analyzed)
        return Match(
            Kind.ANSWER,
            sentence.coverage,
            tuple(ranked[:5]),
            sentence=(sentence.paragraph, sentence.text),
            analyzed=analyzed,
        )
    missed = near_miss()
    if missed is not None:
        return missed
    return Match(
        Kind.NO_ANSWER,
        top.score if top else 0.0,
        tuple(ranked[:5]),
        analyzed=analyzed,
        gap=unmentioned,
    )


def decide_who_said(asked: Asked, said: Said, t: Thresholds) -> Match | None:
    """A "who said ...?" question answered by its quotation's speaker, or a near miss when the
    closest quotation says something else; None leaves it to the usual decision."""
    if said.gap is None and said.coverage >= t.who_said:
        return Match(Kind.ANSWER, said.coverage, analyzed=asked.analyzed, said=said)
    if said.gap is not None and said.coverage >= t.who_said_related:
        return Match(
            Kind.NEAR_MISS, said.coverage, analyzed=asked.analyzed, gap=said.gap, said=said
        )
    return None


def party_unresolved(ranked: list[Candidate], asked: tuple[str, ...], t: Thresholds) -> bool:
    """The best matches differ only in which party they are about, and the question names none
    of them: it is ambiguous, however the scores fall."""
    top = ranked[0]
    named = set(asked)
    if not top.parties or named & set(top.parties):
        return False
    for other in ranked[1:3]:
        if top.score - other.score > t.party_margin:
            break
        if (
            other.parties
            and not named & set(other.parties)
            and set(other.parties) != set(top.parties)
        ):
            return True
    return False
