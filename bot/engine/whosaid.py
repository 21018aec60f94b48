""" "Who said <words of a quotation or claim>?": the quotation, and its speaker.

Such a question names what was said, not who said it, so the curated phrasings ("What did
Sarkissian say?") are the wrong thing to match; the quotations are. Every attributed quotation in
quotes.yaml is scored by how much of the question's remaining words it holds (with rapidfuzz's
partial ratio over the text to break ties), and it must hold all of them (bot/engine/cover.py):
"Who said Washington plays a crucial role?" does not get Sarkissian, who said Moscow.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.engine.analyze import Analyzed
from bot.engine.cover import Cover, Gap
from bot.engine.index import Index
from bot.engine.model import Quote
from bot.engine.text import fold


@dataclass(frozen=True, slots=True)
class Said:
    """The quotation a "who said" question is about, the entry that presents its speaker, and
    what of the question it leaves out (None: it says all of it)."""

    quote: Quote
    entry_id: str | None
    coverage: float
    gap: Gap | None


class WhoSaid:
    def __init__(self, index: Index, cover: Cover) -> None:
        self.index = index
        self.cover = cover
        language = index.knowledge.language
        self.speech = language.speech
        self.who = frozenset(index.analyzer.analyze("who").tokens)
        analyze = index.analyzer.analyze
        # The entry that presents a quotation's speaker best: among those citing it, the one
        # citing the fewest others (most about it). One pass over the entries.
        owners: dict[str, tuple[int, str]] = {}
        for entry in index.knowledge.entries.values():
            for c in entry.citations:
                if c.quote_id is not None:
                    mine = (len(entry.citations), entry.id)
                    owners[c.quote_id] = min(owners.get(c.quote_id, mine), mine)
        # What the article says around each quotation: its paragraph ("Armenia continues to
        # strictly adhere to the ceasefire regime" in the words of the quotation's paragraph).
        paragraphs: dict[int, frozenset[str]] = {}
        for number, doc in index.sentences:
            paragraphs[number] = paragraphs.get(number, frozenset()) | doc.content
        self.quotes: list[tuple[Quote, frozenset[str], str | None]] = []
        self.context: dict[str, frozenset[str]] = {}
        for quote in index.knowledge.quotes.values():
            if not quote.speaker or quote.kind == "fact":
                continue
            owner = owners[quote.id][1] if quote.id in owners else None
            words = analyze(quote.text).content
            self.quotes.append((quote, words, owner))
            self.context[quote.id] = words | paragraphs.get(quote.paragraph, frozenset())

    def asks(self, analyzed: Analyzed) -> bool:
        """ "who said/warned/accused ...": who, then a verb of speech among the next words."""
        tokens = [t for t in analyzed.tokens if t in analyzed.content]
        return (
            len(tokens) >= 4
            and tokens[0] in self.who
            and any(t in self.speech for t in tokens[1:3])
        )

    def find(self, analyzed: Analyzed, content: frozenset[str]) -> Said | None:
        if not self.quotes or not self.asks(analyzed):
            return None
        said = content - self.who - self.speech - self.cover.free
        if len(said) < 2:
            return None
        weights = self.index.query_weights(said)
        total = sum(weights.values())
        text = fold(" ".join(analyzed.surface))
        best: tuple[float, float, Quote, frozenset[str], str | None] | None = None
        for quote, words, owner in self.quotes:
            covered = sum(w for t, w in weights.items() if t in words) / total
            if covered <= 0:
                continue
            closeness = fuzz.partial_ratio(text, fold(quote.text)) / 100
            if best is None or (covered, closeness) > best[:2]:
                best = (covered, closeness, quote, words, owner)
        if best is None:
            return None
        covered, _, quote, words, owner = best
        # The quotation's own paragraph may complete it, but not another part of the article:
        # "Who said the United States plays a crucial role?" is not licensed by the US truce.
        context = self.context[quote.id]
        return Said(
            quote, owner, covered, self.cover.gap(analyzed, said, context, None, quoted=True)
        )
