"""Phase 1 of matching: the knowledge indexed once, for ranking to read.

- every curated phrasing and every article sentence is analysed once (canonical stems);
- word weights are inverse document frequencies over the entries about the same article, so
  "Lachin" counts for more than "truce", and a word no entry knows ("Putin") weighs most of all:
  it is what the user asked about and nothing here covers it. Per article, because among
  thousands of other articles' entries "Armenia" would be rare, and so telling that any question
  naming it would look answerable here;
- an entry's "bag" is everything it says (phrasings, answer, label, cited quotes): what a question
  must find in it to be answered by it (bot/engine/cover.py) and what keyword questions match;
- inverted indexes, one for this article's items and one for every other article's, so that a
  question walks each with its own budget (bot/engine/rank.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rapidfuzz import fuzz

from bot.engine.analyze import Analyzed, Analyzer
from bot.engine.model import Knowledge, SmalltalkIntent
from bot.engine.text import fold, sentences, words
from bot.engine.thresholds import Thresholds

_K = TypeVar("_K", int, str)
MAIN = ""  # the knowledge's own article (Entry.article), which its sentences come from

Weights = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Doc:
    """One analysed phrasing or article sentence."""

    owner: str  # entry id, or "" for an article sentence
    text: str
    content: frozenset[str]
    actors: tuple[str, ...]
    weight: float
    core: str = ""  # its most telling word ("killed" in "how many people were killed?")
    article: str = MAIN  # whose word weights apply


_Key = TypeVar("_Key", contravariant=True)


class WeightsOf(Protocol[_Key]):
    """Per indexed item, the word weights that apply to it (a list by position, a dict by id)."""

    def __getitem__(self, key: _Key, /) -> Weights: ...


class _TotalOf(Protocol[_Key]):
    """Per indexed item, the weight of all it says."""

    def __getitem__(self, key: _Key, /) -> float: ...


@dataclass(frozen=True, slots=True)
class Postings(Generic[_K]):
    """An inverted index: word -> the items holding it, and optionally, beside each posting
    list, what the word weighs in each of those items."""

    postings: dict[str, list[_K]]
    along: Mapping[str, list[float]] | None = None


class Index:
    """Everything ranking reads, built once per knowledge."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self.knowledge = knowledge
        entries = knowledge.entries
        vocabulary: list[str] = [p.text for p in knowledge.article.paragraphs]
        vocabulary.append(knowledge.article.title)
        for entry in entries.values():
            # Everything the matcher analyses of an entry: its own words are never typos.
            vocabulary.extend(entry.questions)
            vocabulary.append(entry.answer)
            vocabulary.append(entry.label)
            vocabulary.extend(c.quote for c in entry.citations)
        for intent in knowledge.smalltalk:
            vocabulary.extend(intent.patterns)
        self.analyzer = Analyzer(knowledge.language, vocabulary, thresholds.english_count)
        analyze = self.analyzer.analyze

        bags: dict[str, frozenset[str]] = {}
        for entry in entries.values():
            texts = [
                *entry.questions,
                entry.answer,
                entry.label,
                *(c.quote for c in entry.citations),
            ]
            bag: set[str] = set()
            for text in texts:
                bag |= analyze(text).content
            bags[entry.id] = frozenset(bag)
        by_article: dict[str, list[str]] = defaultdict(list)
        for entry in entries.values():
            by_article[entry.article].append(entry.id)
        by_article.setdefault(MAIN, [])
        boost = {a: thresholds.name_boost for a in knowledge.language.actors}
        self.idf: dict[str, dict[str, float]] = {}  # article -> word -> weight
        self.unknown_weight: dict[str, float] = {}  # article -> weight of a word it never uses
        for article, ids in by_article.items():
            df: dict[str, int] = defaultdict(int)
            for entry_id in ids:
                for token in bags[entry_id]:
                    df[token] += 1
            n = max(len(ids), 1)
            self.idf[article] = {t: math.log(1 + n / d) * boost.get(t, 1.0) for t, d in df.items()}
            self.unknown_weight[article] = math.log(1 + n / thresholds.unknown_df)
        known = frozenset(t for idf in self.idf.values() for t in idf)
        self.bag_idf = {e.id: self.idf[e.article] for e in entries.values()}
        self.article_of = {e.id: e.article for e in entries.values()}
        self.bags = bags
        self.posting_sets: dict[tuple[int, str], frozenset[object]] = {}
        self._entry_sentences: dict[str, tuple[tuple[Analyzed, ...], tuple[Analyzed, ...]]] = {}

        self.interrogatives = knowledge.language.answer_types | {
            analyze(w).tokens[0] for w in ("what", "how", "which")
        }
        self.docs: list[Doc] = []
        for entry in entries.values():
            idf = self.idf[entry.article]
            for question in (*entry.questions, *([entry.label] if entry.label else [])):
                a = analyze(question)
                if a.content:
                    telling = sorted(a.content - self.interrogatives or a.content)
                    core = max(telling, key=idf.__getitem__)
                    weight = sum(idf[t] for t in a.content)
                    self.docs.append(
                        Doc(entry.id, question, a.content, a.actors, weight, core, entry.article)
                    )
        self.doc_idf = [self.idf[doc.article] for doc in self.docs]
        self.doc_content = [doc.content for doc in self.docs]
        self.sentences: list[tuple[int, Doc]] = []
        for paragraph in knowledge.article.paragraphs:
            for sentence in sentences(paragraph.text):
                a = analyze(sentence)
                if a.content:
                    weight = sum(self.w(t) for t in a.content)
                    doc = Doc("", sentence, a.content, a.actors, weight)
                    self.sentences.append((paragraph.number, doc))
        types = knowledge.language.answer_types
        self.answer_types: dict[str, frozenset[str]] = defaultdict(frozenset)
        for doc in self.docs:
            self.answer_types[doc.owner] |= doc.content & types
        self.doc_index = _by_article(
            list(enumerate(self.doc_content)),
            lambda i: self.docs[i].article,
            self.doc_idf,
            [doc.weight for doc in self.docs],
        )
        # (paragraph, sentence) -> entries whose citations overlap that sentence.
        self.citing: dict[tuple[int, str], set[str]] = defaultdict(set)
        cited = [  # other articles' entries quote their own articles, not these sentences
            (c.paragraph, fold(c.quote), e.id)
            for e in entries.values()
            if e.article == MAIN
            for c in e.citations
        ]
        for number, doc in self.sentences:
            plain = fold(doc.text)
            for cited_in, quote, entry_id in cited:
                if cited_in == number and (quote in plain or plain in quote):
                    self.citing[(number, doc.text)].add(entry_id)
        self.sentence_index: Postings[int] = Postings(_postings(d for _, d in self.sentences))
        # Words this article uses, in its entries or only in its text: naming one of them does
        # not make a question about another article, nor is it "not mentioned" (cover.py).
        self.own_words = frozenset(self.idf[MAIN]).union(
            *(doc.content for _, doc in self.sentences)
        )
        bag_weight = {e: sum(self.bag_idf[e][t] for t in bag) for e, bag in bags.items()}
        self.bag_index = _by_article(
            list(bags.items()), self.article_of.__getitem__, self.bag_idf, bag_weight
        )
        # Words that are only conversation ("thanks", "hi") are dropped from questions.
        self.smalltalk_words = frozenset(
            w for intent in knowledge.smalltalk for p in intent.patterns for w in words(p)
        )
        # The words that always name something (synonyms.yaml `specific`), as the analyser
        # reads them: never small talk ("who commands the Defense Army?" asks about a
        # commander, however the help intent uses "commands"), never excused as chat (cover.py).
        self.specific = frozenset(
            t for w in knowledge.language.specific for t in analyze(w).content
        )
        self.smalltalk_only = frozenset(
            t
            for t in (analyze(w).tokens[0] for w in self.smalltalk_words if analyze(w).tokens)
            if t not in known and t not in self.specific
        )

    def entry_sentences(self, entry_id: str) -> tuple[Analyzed, ...]:
        """An entry's own texts (phrasings, answer, label, cited quotes), sentence by sentence,
        analysed: what the role-pair check reads (cover.py). Found the first time the entry is
        a candidate: only the few that ever rank near the top need them, so building does not
        analyse every text again."""
        asking, stating = self._entry_parts(entry_id)
        return asking + stating

    def entry_phrasings(self, entry_id: str) -> tuple[Analyzed, ...]:
        """The sentences of an entry's phrasings: they ask, and state nothing."""
        return self._entry_parts(entry_id)[0]

    def entry_statements(self, entry_id: str) -> tuple[Analyzed, ...]:
        """The sentences of an entry's answer, label and cited quotes: what it states (the
        doer check, action.py)."""
        return self._entry_parts(entry_id)[1]

    def _entry_parts(self, entry_id: str) -> tuple[tuple[Analyzed, ...], tuple[Analyzed, ...]]:
        found = self._entry_sentences.get(entry_id)
        if found is None:
            entry = self.knowledge.entries[entry_id]
            analyze = self.analyzer.analyze

            def analysed(texts: Iterable[str]) -> tuple[Analyzed, ...]:
                return tuple(analyze(chunk) for text in texts for chunk in sentences(text))

            asking = analysed(entry.questions)
            stating = analysed((entry.answer, entry.label, *(c.quote for c in entry.citations)))
            found = self._entry_sentences[entry_id] = (asking, stating)
        return found

    def collisions(self) -> list[tuple[str, str, str, str]]:
        """Phrasings of different entries that the matcher cannot tell apart (same words)."""
        seen: dict[frozenset[str], Doc] = {}
        found = []
        for doc in self.docs:
            other = seen.setdefault(doc.content, doc)
            if other.owner != doc.owner and other.actors == doc.actors:
                found.append((other.owner, other.text, doc.owner, doc.text))
        return found

    def w(self, token: str) -> float:
        """A word's weight for the knowledge's own article (its sentences)."""
        return self.idf[MAIN].get(token, self.unknown_weight[MAIN])

    def unknown_weights(self, article: str, words: int, numbers: int) -> tuple[float, float]:
        """What each word and each number of a question that ``article`` never uses weighs.

        Such a word weighs most (it may be the very thing asked about: "Putin"), but chatty
        questions carry many ("hey, quick question for my essay"), so together they weigh at most
        ``unknown_cap`` words. A number the knowledge never mentions (a year, a count) is never
        filler: it weighs ``number_factor`` words, whatever the count.
        """
        weight = self.unknown_weight[article]
        cap = self.thresholds.unknown_cap
        count = words + numbers
        return (
            weight if count <= cap else weight * cap / count
        ), self.thresholds.number_factor * weight

    def query_weights(self, content: frozenset[str]) -> dict[str, float]:
        """Word weights for one question, as the knowledge's own article sees it."""
        idf = self.idf[MAIN]
        unknown = [t for t in content if t not in idf]
        numbers = sum(t.isdigit() for t in unknown)
        share, number = self.unknown_weights(MAIN, len(unknown) - numbers, numbers)
        return {t: idf.get(t, number if t.isdigit() else share) for t in content}

    def posting_set(self, postings: dict[str, list[_K]], token: str) -> frozenset[_K]:
        """A long posting list as a set, built once, for intersections in C."""
        key = (id(postings), token)
        cached = self.posting_sets.get(key)
        if cached is None:
            cached = self.posting_sets[key] = frozenset(postings[token])
        return cached  # type: ignore[return-value]

    def smalltalk(self, text: str) -> SmalltalkIntent | None:
        """Small talk only when nothing in the text is about the article."""
        said = words(text)
        if not said or not set(said) <= self.smalltalk_words:
            return None
        joined = " ".join(said)
        best: tuple[float, SmalltalkIntent] | None = None
        for intent in self.knowledge.smalltalk:
            for pattern in intent.patterns:
                score = fuzz.ratio(joined, " ".join(words(pattern)))
                if best is None or score > best[0]:
                    best = (score, intent)
        return best[1] if best else None


def _postings(docs: Iterable[Doc]) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        for token in doc.content:
            postings[token].append(i)
    return postings


def _by_article(
    items: list[tuple[_K, frozenset[str]]],
    article_of: Callable[[_K], str],
    weights: WeightsOf[_K],
    total: _TotalOf[_K],
) -> tuple[Postings[_K], Postings[_K]]:
    """This article's index and the other articles' (see _ordered)."""
    mine = [(k, c) for k, c in items if article_of(k) == MAIN]
    others = [(k, c) for k, c in items if article_of(k) != MAIN]
    return _ordered(mine, weights, total), _ordered(others, weights, total)


def _ordered(
    items: Iterable[tuple[_K, frozenset[str]]],
    weights: WeightsOf[_K],
    total: _TotalOf[_K],
) -> Postings[_K]:
    """Posting lists best first, with what the word weighs in each item beside them.

    Best first: the items where the word is the largest share of what they say. A walk that
    must stop early (a word in thousands of phrasings) then stops after the items that word
    matters most to. The weights beside (each item's article's) spare the walk any lookups.
    """
    postings: dict[str, list[_K]] = defaultdict(list)
    for key, content in items:
        for token in content:
            postings[token].append(key)
    for token, listed in postings.items():
        listed.sort(key=lambda k: -weights[k][token] / total[k])
    along = {token: [weights[k][token] for k in listed] for token, listed in postings.items()}
    return Postings(postings, along)
