"""Text to a decision, in three phases with one job each:

1. ``index.py``: the knowledge indexed once (word weights, phrasings, sentences, entry bags);
2. ``rank.py``: a question's words to scored candidate entries;
3. ``decide.py``: candidates to answer, clarify or no answer, as a pure function.

Every number they use is in ``thresholds.py``.
"""

from __future__ import annotations

from bot.engine.action import Actions
from bot.engine.analyze import Analyzed, stem
from bot.engine.cover import Cover, Gap
from bot.engine.decide import Asked, Match, decide, decide_who_said
from bot.engine.index import Index
from bot.engine.languages import Readers
from bot.engine.model import Kind, Knowledge
from bot.engine.rank import Candidate, best_sentence, rank
from bot.engine.speaker import Speakers
from bot.engine.thresholds import Thresholds
from bot.engine.whosaid import WhoSaid

__all__ = ["Candidate", "Match", "Matcher", "Thresholds"]


class Matcher:
    """Built once per knowledge; ``match`` is pure and deterministic."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self.knowledge = knowledge
        self.index = Index(knowledge, self.thresholds)
        self.analyzer = self.index.analyzer
        self.cover = Cover(self.index)
        self.who_said = WhoSaid(self.index, self.cover)
        self.speakers = Speakers(self.index, self.cover)
        self.actions = Actions(self.index, self.cover)
        # Questions in the knowledge's other languages (bot/engine/languages.py).
        english = self.analyzer.english | self.analyzer.vocabulary | knowledge.language.stopwords
        self.readers = Readers(knowledge.translations, frozenset(english), self.analyzer.english)

    def collisions(self) -> list[tuple[str, str, str, str]]:
        return self.index.collisions()

    def answers(self, text: str, match: Match) -> bool:
        """Whether ``match`` (found for a longer question) holds every constraint of ``text``
        itself, strictly (no word excused as chat): a follow-up read with the last question's
        words must still be answered in its own words ("what's the title of this piece?"
        after a Hajiyev answer is not about Hajiyev)."""
        index = self.index
        wanted = self.cover.constraints(index.analyzer.analyze(text).content)
        if match.sentence is not None:
            sentence = match.sentence[1]
            bag = next((d.content for _, d in index.sentences if d.text == sentence), frozenset())
            return wanted <= bag
        if not match.candidates:
            return False
        return wanted <= index.bags[match.candidates[0].entry_id]

    def match(self, text: str) -> Match:
        index = self.index
        smalltalk = index.smalltalk(text)
        if smalltalk is not None:
            return Match(Kind.SMALLTALK, 1.0, smalltalk=smalltalk)
        analyzed = index.analyzer.analyze(text)
        content = analyzed.content - index.smalltalk_only
        if not content - index.interrogatives:
            # Nothing but "what"/"when": no subject to look up ("what time is it?").
            return Match(Kind.NO_ANSWER, 0.0, analyzed=analyzed)
        asks = content & self.knowledge.language.answer_types
        asked = Asked(content, analyzed.actors, asks, analyzed)
        said = self.who_said.find(analyzed, content)
        related: Match | None = None
        if said is not None:
            related = decide_who_said(asked, said, self.thresholds)
            if related is not None and related.decision is Kind.ANSWER:
                return related
        # "Why did Baku break the truce?": one side's claim taken as fact gets both sides'.
        settled = self.actions.presumed(analyzed)
        if settled is not None and (
            self.cover.gap(analyzed, content, index.bags[settled], settled) is None
        ):
            both = Candidate(settled, 1.0, self.knowledge.entries[settled].title, 1.0)
            return Match(Kind.ANSWER, 1.0, (both,), analyzed=analyzed)
        # Words the question has only by typo correction: too weak to move it to another article.
        guessed = frozenset(stem(understood) for _, understood in analyzed.corrected)
        ranked = rank(index, content, analyzed.actors, guessed)
        sentence = None if asks else best_sentence(index, content, analyzed.actors)
        # "What did X say about Y?": no entry answers it unless the article reports X saying Y.
        unsaid = self.speakers.gap(analyzed)
        gaps: dict[str, Gap | None] = {
            c.entry_id: _first(
                self.cover.gap(analyzed, content, index.bags[c.entry_id], c.entry_id), unsaid
            )
            or self.actions.gap(analyzed, c.entry_id)
            for c in ranked[: self.thresholds.clarify_options]
        }
        sentence_gap = None
        if sentence is not None:
            stated = sentence.content
            citers = index.citing.get((sentence.paragraph, sentence.text), set())
            stated = stated.union(*(index.bags[e] for e in citers))
            held = self.cover.sentence_pairs(sentence.text)
            sentence_gap = _first(
                self.cover.gap(analyzed, content, stated, None, held=held), unsaid
            ) or self.actions.sentence_gap(analyzed, sentence.text, citers)
        unmentioned = self.cover.gap(analyzed, content, index.own_words, None)
        if unmentioned is not None and (
            not unmentioned.absent
            or len(unmentioned.absent) == len(self.cover.constraints(content))
        ):
            unmentioned = None  # names nothing new, or nothing of the article at all
        decided = decide(
            asked,
            ranked,
            sentence,
            index.citing,
            gaps,
            sentence_gap,
            unmentioned,
            self.thresholds,
            doers=self._doers(analyzed, ranked, gaps),
        )
        # "Who announced the truce?" names an event, not a quotation: when no quotation says it
        # all, an entry that answers it does; the closest quotation is the near miss otherwise.
        if related is not None and decided.decision is not Kind.ANSWER:
            return related
        return decided

    def _doers(
        self, analyzed: Analyzed, ranked: list[Candidate], gaps: dict[str, Gap | None]
    ) -> frozenset[str]:
        """The runners-up that state the question's deeds of the doer it names, when the best
        entry gives them to someone else (decide.py); only then are they looked for."""
        top = gaps.get(ranked[0].entry_id) if ranked else None
        if top is None or not top.doer:
            return frozenset()
        return frozenset(
            c.entry_id
            for c in ranked[1 : self.thresholds.clarify_options]
            if self.actions.states(analyzed, c.entry_id)
        )


def _first(gap: Gap | None, unsaid: Gap | None) -> Gap | None:
    """A name the article never mentions is said first ("doesn't mention France"); otherwise
    what the speaker did not say is the plainer account of the gap."""
    if unsaid is not None and (gap is None or not gap.absent):
        return unsaid
    return gap
