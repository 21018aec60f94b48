"""Text to a decision, in three phases with one job each:

1. ``index.py``: the knowledge indexed once (word weights, phrasings, sentences, entry bags);
2. ``rank.py``: a question's words to scored candidate entries;
3. ``decide.py``: candidates to answer, clarify or no answer, as a pure function.

Every number they use is in ``thresholds.py``.
"""

from __future__ import annotations

from bot.engine.analyze import stem
from bot.engine.decide import Asked, Match, decide
from bot.engine.index import Index
from bot.engine.load import Knowledge
from bot.engine.model import Kind
from bot.engine.rank import Candidate, best_sentence, rank
from bot.engine.thresholds import Thresholds

__all__ = ["Candidate", "Match", "Matcher", "Thresholds"]


class Matcher:
    """Built once per knowledge; ``match`` is pure and deterministic."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self.knowledge = knowledge
        self.index = Index(knowledge, self.thresholds)
        self.analyzer = self.index.analyzer

    def collisions(self) -> list[tuple[str, str, str, str]]:
        return self.index.collisions()

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
        # Words the question has only by typo correction: too weak to move it to another article.
        guessed = frozenset(stem(understood) for _, understood in analyzed.corrected)
        ranked = rank(index, content, analyzed.actors, guessed)
        asks = content & self.knowledge.language.answer_types
        sentence = None if asks else best_sentence(index, content, analyzed.actors)
        asked = Asked(content, analyzed.actors, asks, analyzed)
        return decide(asked, ranked, sentence, index.citing, self.thresholds)
