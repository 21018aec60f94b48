"""Text to a decision: answer, clarify, smalltalk or no_answer.

Scoring, in one place:
- every curated phrasing and every article sentence is analysed once (canonical stems);
- word weights are inverse document frequencies over the entries about the same article, so
  "Lachin" counts for more than "truce", and a word no entry knows ("Putin") weighs most of all: it
  is what the user asked about and nothing here covers it. Per article, because among thousands
  of other articles' entries "Armenia" would be rare, and so telling that any question naming it
  would look answerable here;
- a phrasing scores by weighted F-measure of the words it shares with the question (coverage of the
  question counts more than coverage of the phrasing); an entry adds how much of the question its
  whole text (phrasings, answer, citations) covers, which serves keyword-only questions;
- when the question and a phrasing both name two parties in opposite agent order ("Armenia accuses
  Azerbaijan" against "Azerbaijan accuses Armenia"), the phrasing is penalised;
- an inverted index means only phrasings sharing a word with the question are scored;
- a knowledge base may hold entries about other articles (Entry.article): they are indexed apart,
  walked with a smaller budget, and take a question only when it names something of theirs and
  their best entry is clearly better; this article's entries are scored as if they were alone.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from rapidfuzz import fuzz

from bot.engine.analyze import Analyzed, Analyzer, stem
from bot.engine.load import Knowledge
from bot.engine.model import SmalltalkIntent
from bot.engine.text import fold, sentences, words


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision boundaries, chosen on the evaluation set (see README for the figures)."""

    answer: float = 0.45  # at least this to answer
    confident: float = 0.55  # above this, answer even when a second entry is close
    margin: float = 0.06  # top must beat the runner-up by this, else clarify
    tie: float = 0.0  # even a confident top must beat the runner-up by this
    core_missing: float = (
        0.85  # factor when a phrasing's key word is missing and an unknown is there
    )
    party_margin: float = 0.1  # runner-ups this close about another party make it ambiguous
    phrasing_lead: float = 0.1  # ... unless its best phrasing is this much closer
    clarify: float = 0.40  # candidates offered in clarify score at least this
    sentence: float = 0.80  # an article sentence must cover this much of the question
    coverage_min: float = 0.40  # the winning entry must cover this much of the question's weight
    coverage_min_unknown: float = 0.65  # ... for a short question with a word we do not know
    short: int = 3  # questions with at most this many meaningful words are short
    unknown_df: float = 0.5  # a word no entry uses weighs as if this many entries used it
    unknown_cap: float = 2.5  # all unknown words together weigh at most this many unknown words
    phrasing_share: float = 0.7  # score = share * best phrasing + (1 - share) * entry coverage
    wrong_type: float = 0.6  # factor for an entry that never answers the kind asked (who/when...)
    name_boost: float = 1.5  # parties and people weigh this much more than other words
    article_lead: float = 0.05  # another article's best entry must beat this one's by this


class Decision(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    SMALLTALK = "smalltalk"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: str
    score: float
    phrasing: str
    coverage: float
    similarity: float = 0.0  # of the best phrasing alone
    parties: tuple[str, ...] = ()  # parties named by that phrasing


@dataclass(frozen=True, slots=True)
class Match:
    decision: Decision
    score: float
    candidates: tuple[Candidate, ...] = ()  # best first
    sentence: tuple[int, str] | None = None  # (paragraph, sentence) when answering from the article
    smalltalk: SmalltalkIntent | None = None
    analyzed: Analyzed | None = None


_K = TypeVar("_K", int, str)
MAIN = ""  # the knowledge's own article (Entry.article), which its sentences come from


@dataclass(frozen=True, slots=True)
class _Doc:
    owner: str  # entry id, or "" for an article sentence
    text: str
    content: frozenset[str]
    actors: tuple[str, ...]
    weight: float
    core: str = ""  # its most telling word ("killed" in "how many people were killed?")
    article: str = MAIN  # whose word weights apply


Weights = Mapping[str, float]


_Key = TypeVar("_Key", contravariant=True)


class _WeightsOf(Protocol[_Key]):
    """Per indexed item, the word weights that apply to it (a list by position, a dict by id)."""

    def __getitem__(self, key: _Key, /) -> Weights: ...


class _TotalOf(Protocol[_Key]):
    """Per indexed item, the weight of all it says."""

    def __getitem__(self, key: _Key, /) -> float: ...


@dataclass(frozen=True, slots=True)
class _Index(Generic[_K]):
    """An inverted index: word -> the items holding it, and optionally, beside each posting
    list, what the word weighs in each of those items."""

    postings: dict[str, list[_K]]
    along: Mapping[str, list[float]] | None = None


# Postings one question may walk, per index, before the rest are looked up (_shared_weight):
# this article's index, and the other articles'. Another article's entry can only take a
# question that names something of its own (_rank), and those names are rare words, walked
# first; so a small budget there finds them (benchmarks: the same accuracy at 100 as at 300, and
# a third of the time at 10,000 entries).
WALK_BUDGET = 300
OTHERS_BUDGET = 100
# A question of common words only is narrowed by intersecting their posting sets when the
# rarest is this short; intersecting longer ones would cost milliseconds at 100,000 entries.
NARROW_WITHIN = 1000
# Candidates a question's rarest common word adds beyond those its rarer words found: its best
# postings (phrasings it is most of). More cost more time and found nothing more (benchmarks).
COMMON_ROOM = 32
TOP = 8  # candidates kept per question: enough to clarify and to find a citing entry
_BETA2 = 1.5**2  # recall (covering the question) matters more than precision


def _reversed_direction(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) >= 2 and len(b) >= 2 and a[0] == b[1] and a[1] == b[0]


class Matcher:
    """Built once per knowledge; ``match`` is pure and deterministic."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
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
        self.analyzer = Analyzer(knowledge.language, vocabulary)
        analyze = self.analyzer.analyze

        # Entry "bags": everything an entry says, for keyword coverage and for word weights.
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
        boost = {a: self.thresholds.name_boost for a in knowledge.language.actors}
        self._idf: dict[str, dict[str, float]] = {}  # article -> word -> weight
        self._unknown_weight: dict[str, float] = {}  # article -> weight of a word it never uses
        for article, ids in by_article.items():
            df: dict[str, int] = defaultdict(int)
            for entry_id in ids:
                for token in bags[entry_id]:
                    df[token] += 1
            n = max(len(ids), 1)
            self._idf[article] = {t: math.log(1 + n / d) * boost.get(t, 1.0) for t, d in df.items()}
            self._unknown_weight[article] = math.log(1 + n / self.thresholds.unknown_df)
        known = frozenset(t for idf in self._idf.values() for t in idf)
        self._bag_idf = {e.id: self._idf[e.article] for e in entries.values()}
        self._article_of = {e.id: e.article for e in entries.values()}
        self._bags = bags
        self._posting_sets: dict[tuple[int, str], frozenset[object]] = {}

        self._interrogatives = knowledge.language.answer_types | {
            analyze(w).tokens[0] for w in ("what", "how", "which")
        }
        self._docs: list[_Doc] = []
        for entry in entries.values():
            idf = self._idf[entry.article]
            for question in (*entry.questions, *([entry.label] if entry.label else [])):
                a = analyze(question)
                if a.content:
                    telling = sorted(a.content - self._interrogatives or a.content)
                    core = max(telling, key=idf.__getitem__)
                    weight = sum(idf[t] for t in a.content)
                    self._docs.append(
                        _Doc(entry.id, question, a.content, a.actors, weight, core, entry.article)
                    )
        self._doc_idf = [self._idf[doc.article] for doc in self._docs]
        self._doc_content = [doc.content for doc in self._docs]
        self._sentences: list[tuple[int, _Doc]] = []
        for paragraph in knowledge.article.paragraphs:
            for sentence in sentences(paragraph.text):
                a = analyze(sentence)
                if a.content:
                    weight = sum(self._w(t) for t in a.content)
                    doc = _Doc("", sentence, a.content, a.actors, weight)
                    self._sentences.append((paragraph.number, doc))
        types = knowledge.language.answer_types
        self._answer_types: dict[str, frozenset[str]] = defaultdict(frozenset)
        for doc in self._docs:
            self._answer_types[doc.owner] |= doc.content & types
        # One index for this article's phrasings and one for every other article's: a question
        # walks each with its own budget (_rank), so this article is scored as closely as when
        # it is alone, however many others the knowledge holds.
        self._doc_index = self._by_article(
            list(enumerate(self._doc_content)),
            lambda i: self._docs[i].article,
            self._doc_idf,
            [doc.weight for doc in self._docs],
        )
        # (paragraph, sentence) -> entries whose citations overlap that sentence.
        self._citing: dict[tuple[int, str], set[str]] = defaultdict(set)
        cited = [  # other articles' entries quote their own articles, not these sentences
            (c.paragraph, fold(c.quote), e.id)
            for e in entries.values()
            if e.article == MAIN
            for c in e.citations
        ]
        for number, doc in self._sentences:
            plain = fold(doc.text)
            for cited_in, quote, entry_id in cited:
                if cited_in == number and (quote in plain or plain in quote):
                    self._citing[(number, doc.text)].add(entry_id)
        self._sentence_index = _Index(self._index([d for _, d in self._sentences]))
        # Words this article uses, in its entries or only in its text: naming one of them does
        # not make a question about another article.
        self._own_words = frozenset(self._idf[MAIN]).union(
            *(doc.content for _, doc in self._sentences)
        )
        bag_weight = {e: sum(self._bag_idf[e][t] for t in bag) for e, bag in bags.items()}
        self._bag_index = self._by_article(
            list(bags.items()), self._article_of.__getitem__, self._bag_idf, bag_weight
        )
        # Words that are only conversation ("thanks", "hi") are dropped from questions.
        self._smalltalk_words = frozenset(
            w for intent in knowledge.smalltalk for p in intent.patterns for w in words(p)
        )
        self._smalltalk_only = frozenset(
            t
            for t in (analyze(w).tokens[0] for w in self._smalltalk_words if analyze(w).tokens)
            if t not in known
        )

    def collisions(self) -> list[tuple[str, str, str, str]]:
        """Phrasings of different entries that the matcher cannot tell apart (same words)."""
        seen: dict[frozenset[str], _Doc] = {}
        found = []
        for doc in self._docs:
            other = seen.setdefault(doc.content, doc)
            if other.owner != doc.owner and other.actors == doc.actors:
                found.append((other.owner, other.text, doc.owner, doc.text))
        return found

    @staticmethod
    def _index(docs: Iterable[_Doc]) -> dict[str, list[int]]:
        postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for token in doc.content:
                postings[token].append(i)
        return postings

    @classmethod
    def _by_article(
        cls,
        items: list[tuple[_K, frozenset[str]]],
        article_of: Callable[[_K], str],
        weights: _WeightsOf[_K],
        total: _TotalOf[_K],
    ) -> tuple[_Index[_K], _Index[_K]]:
        """This article's index and the other articles' (see _ordered_index)."""
        mine = [(k, c) for k, c in items if article_of(k) == MAIN]
        others = [(k, c) for k, c in items if article_of(k) != MAIN]
        return cls._ordered_index(mine, weights, total), cls._ordered_index(others, weights, total)

    @staticmethod
    def _ordered_index(
        items: Iterable[tuple[_K, frozenset[str]]],
        weights: _WeightsOf[_K],
        total: _TotalOf[_K],
    ) -> _Index[_K]:
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
        return _Index(postings, along)

    def _w(self, token: str) -> float:
        """A word's weight for the knowledge's own article (its sentences)."""
        return self._idf[MAIN].get(token, self._unknown_weight[MAIN])

    def _unknown_weights(self, article: str, words: int, numbers: int) -> tuple[float, float]:
        """What each word and each number of a question that ``article`` never uses weighs.

        Such a word weighs most (it may be the very thing asked about: "Putin"), but chatty
        questions carry many ("hey, quick question for my essay"), so together they weigh at most
        ``unknown_cap`` words. A number the knowledge never mentions (a year, a count) is never
        filler: it weighs double, whatever the count.
        """
        weight = self._unknown_weight[article]
        cap = self.thresholds.unknown_cap
        count = words + numbers
        return (weight if count <= cap else weight * cap / count), 2 * weight

    def _query_weights(self, content: frozenset[str]) -> dict[str, float]:
        """Word weights for one question, as the knowledge's own article sees it."""
        idf = self._idf[MAIN]
        unknown = [t for t in content if t not in idf]
        numbers = sum(t.isdigit() for t in unknown)
        share, number = self._unknown_weights(MAIN, len(unknown) - numbers, numbers)
        return {t: idf.get(t, number if t.isdigit() else share) for t in content}

    # --- the decision ------------------------------------------------------------------------

    def match(self, text: str) -> Match:
        smalltalk = self._smalltalk(text)
        if smalltalk is not None:
            return Match(Decision.SMALLTALK, 1.0, smalltalk=smalltalk)
        analyzed = self.analyzer.analyze(text)
        content = analyzed.content - self._smalltalk_only
        if not content - self._interrogatives:
            # Nothing but "what"/"when": no subject to look up ("what time is it?").
            return Match(Decision.NO_ANSWER, 0.0, analyzed=analyzed)
        # Words the question has only by typo correction: too weak to move it to another article.
        guessed = frozenset(stem(understood) for _, understood in analyzed.corrected)
        ranked = self._rank(content, analyzed.actors, guessed)
        t = self.thresholds
        top = ranked[0] if ranked else None
        # A short question with a word the knowledge never uses must be covered more fully: the
        # unknown word is likely what it asks about ("was Ganja hit by missiles?"). Long, chatty
        # questions carry unknown filler, so they keep the usual bar.
        short = len(content) <= t.short

        def needed(candidate: Candidate) -> float:
            unknown = not content <= self._bag_idf[candidate.entry_id].keys()
            return t.coverage_min_unknown if unknown and short else t.coverage_min

        if top is not None and top.score >= t.answer and top.coverage >= needed(top):
            runner_up = ranked[1].score if len(ranked) > 1 else 0.0
            clear = top.score - runner_up
            # Two entries that cover the question equally: the one with a phrasing much closer
            # to the question's own wording wins.
            closer = len(ranked) > 1 and top.similarity - ranked[1].similarity >= t.phrasing_lead
            if self._party_unresolved(ranked, analyzed.actors):
                pass  # "what did the defense ministry say?": whose? Offer both sides.
            elif (top.score >= t.confident and (clear > t.tie or closer)) or clear >= t.margin:
                return Match(Decision.ANSWER, top.score, tuple(ranked[:5]), analyzed=analyzed)
        close = [
            c
            for c in ranked[:4]
            if c.score >= t.clarify
            and top is not None
            and c.score >= top.score - 0.12
            and c.coverage >= needed(c)
        ]
        if len(close) >= 2:
            return Match(Decision.CLARIFY, close[0].score, tuple(close), analyzed=analyzed)
        # A who/when/where/why question needs a curated answer: a sentence that merely shares its
        # words ("late September") does not say who did it.
        asks = content & self.knowledge.language.answer_types
        sentence = None if asks else self._best_sentence(content, analyzed.actors)
        if sentence is not None:
            # A sentence a curated entry already cites is better answered by that entry: it
            # attributes the claim and may cite more.
            citing = self._citing.get(sentence[1:], ())
            for candidate in ranked:
                if candidate.entry_id in citing:
                    return Match(Decision.ANSWER, sentence[0], (candidate,), analyzed=analyzed)
            return Match(
                Decision.ANSWER,
                sentence[0],
                tuple(ranked[:5]),
                sentence=(sentence[1], sentence[2]),
                analyzed=analyzed,
            )
        return Match(
            Decision.NO_ANSWER, top.score if top else 0.0, tuple(ranked[:5]), analyzed=analyzed
        )

    def _party_unresolved(self, ranked: list[Candidate], asked: tuple[str, ...]) -> bool:
        """The best matches differ only in which party they are about, and the question names none
        of them: it is ambiguous, however the scores fall."""
        top = ranked[0]
        named = set(asked)
        if not top.parties or named & set(top.parties):
            return False
        for other in ranked[1:3]:
            if top.score - other.score > self.thresholds.party_margin:
                break
            if (
                other.parties
                and not named & set(other.parties)
                and set(other.parties) != set(top.parties)
            ):
                return True
        return False

    def _shared_weight(
        self,
        tokens: Iterable[str],
        index: _Index[_K],
        content_of: Callable[[_K], frozenset[str]],
        weights: _WeightsOf[_K],
        limit: int = WALK_BUDGET,
    ) -> dict[_K, float]:
        """Weight each item shares with the question, through an inverted index. ``weights``
        gives, per item, the word weights that apply to it (its article's); the index may hold
        the same along each posting list.

        The rarest words' posting lists are walked, up to a budget; commoner words ("what",
        "truce" in a large knowledge base) are added by lookup to the items the rarer words found.
        A question made only of common words is narrowed to the items holding all of them, when
        the rarest of those words is in at most NARROW_WITHIN items (intersections cost as much
        as the smaller set); else it gets that word's best items. So the cost follows the rare
        words, not the size of the knowledge. A small knowledge base fits the budget whole, and
        is scored exactly.
        """
        postings, posting_weights = index.postings, index.along
        walk: list[str] = []
        common: list[str] = []
        walked = 0
        for token in sorted((t for t in tokens if t in postings), key=lambda t: len(postings[t])):
            size = len(postings[token])
            if walked + size <= limit:
                walk.append(token)
                walked += size
            else:
                common.append(token)
        shared: dict[_K, float] = defaultdict(float)
        for token in walk:
            if posting_weights is None:
                for key in postings[token]:
                    shared[key] += weights[key][token]
            else:
                for key, w in zip(postings[token], posting_weights[token], strict=True):
                    shared[key] += w
        if common:
            # The budget left goes to the best of the rarest common word's postings; then every
            # item found gets the common words it holds.
            rarest = postings[common[0]]
            room = min(max(limit - walked, 0), COMMON_ROOM)
            if not shared and len(rarest) <= NARROW_WITHIN:
                keys = self._posting_set(postings, common[0])
                for token in common[1:]:
                    narrowed = keys & self._posting_set(postings, token)
                    if not narrowed:
                        break
                    keys = narrowed
                if len(keys) > limit:  # too many: the best of them
                    best = itertools.islice((k for k in rarest if k in keys), limit)
                    shared = dict.fromkeys(best, 0.0)
                else:
                    shared = dict.fromkeys(keys, 0.0)
            else:
                for key in rarest[:room]:
                    shared.setdefault(key, 0.0)
        for key in shared:
            held = content_of(key)
            for token in common:
                if token in held:
                    shared[key] += weights[key][token]
        return shared

    def _posting_set(self, postings: dict[str, list[_K]], token: str) -> frozenset[_K]:
        """A long posting list as a set, built once, for intersections in C."""
        key = (id(postings), token)
        cached = self._posting_sets.get(key)
        if cached is None:
            cached = self._posting_sets[key] = frozenset(postings[token])
        return cached  # type: ignore[return-value]

    def _rank(
        self, content: frozenset[str], actors: tuple[str, ...], guessed: frozenset[str]
    ) -> list[Candidate]:
        # What the question weighs, and whether it has a word the article never uses, as each
        # article's entries see it (one article, unless the knowledge holds several).
        seen: dict[str, tuple[float, bool]] = {}
        tokens = tuple(content)
        digit = tuple(token.isdigit() for token in tokens)
        idf_of = self._idf

        def question(article: str) -> tuple[float, bool]:
            # sum(self._query_weights(content, article).values()), without building the dict:
            # a large knowledge base touches hundreds of articles per question.
            idf = idf_of[article]
            total = 0.0
            unknown = digits = 0
            for token, is_digit in zip(tokens, digit, strict=True):
                w = idf.get(token)
                if w is not None:
                    total += w
                elif is_digit:
                    digits += 1
                else:
                    unknown += 1
            if unknown or digits:
                share, number = self._unknown_weights(article, unknown, digits)
                total += unknown * share + digits * number
            found = seen[article] = (total, bool(unknown or digits))
            return found

        # This article's phrasings and the other articles' (disjoint: one dict).
        mine, others = self._doc_index
        content_of = self._doc_content.__getitem__
        shared = self._shared_weight(content, mine, content_of, self._doc_idf)
        shared.update(
            self._shared_weight(content, others, content_of, self._doc_idf, OTHERS_BUDGET)
        )
        # The hot loop of matching, with locals and inlined arithmetic: each phrasing scores the
        # weighted F-measure (beta 1.5) of question coverage and phrasing precision.
        docs = self._docs
        directional = len(actors) >= 2
        missing_core = self.thresholds.core_missing
        best_sim: dict[str, float] = {}
        best_doc: dict[str, int] = {}
        for i, wc in shared.items():
            if wc <= 0:
                continue
            doc = docs[i]
            wq, unknown = seen.get(doc.article) or question(doc.article)
            cov = wc / wq
            prec = wc / doc.weight
            sim = (1 + _BETA2) * cov * prec / (_BETA2 * prec + cov)
            if directional and _reversed_direction(actors, doc.actors):
                sim *= 0.5
            if unknown and doc.core not in content:
                # The question swapped the phrasing's key word for one we do not know
                # ("displaced" for "killed"): likely a different question.
                sim *= missing_core
            owner = doc.owner
            if sim > best_sim.get(owner, 0.0):
                best_sim[owner] = sim
                best_doc[owner] = i
        best = {owner: (sim, docs[best_doc[owner]].text, docs[best_doc[owner]].actors)
                for owner, sim in best_sim.items()}
        mine_bags, other_bags = self._bag_index
        bag_of = self._bags.__getitem__
        bag_shared = self._shared_weight(content, mine_bags, bag_of, self._bag_idf)
        bag_shared.update(
            self._shared_weight(content, other_bags, bag_of, self._bag_idf, OTHERS_BUDGET)
        )
        for owner in best.keys() - bag_shared.keys():
            idf = self._bag_idf[owner]
            bag_shared[owner] = sum(idf[t] for t in content & self._bags[owner])
        asked = content & self.knowledge.language.answer_types
        share = self.thresholds.phrasing_share
        no_phrasing = (0.0, "", ())
        scored: list[tuple[float, str, float]] = []  # this article's entries
        scored_others: list[tuple[float, str, float]] = []
        article_of = self._article_of
        for entry_id, wc in bag_shared.items():
            article = article_of[entry_id]
            coverage = wc / (seen.get(article) or question(article))[0]
            score = share * best.get(entry_id, no_phrasing)[0] + (1 - share) * coverage
            answers = self._answer_types[entry_id]
            if asked and answers and not asked & answers:
                score *= self.thresholds.wrong_type
            (scored if article == MAIN else scored_others).append((-score, entry_id, coverage))
        if scored_others:
            # Which article the question is about: this one, unless another article's best
            # entry is clearly better and the question names, as typed, something only that
            # article knows (its people or places). Only then do that article's entries
            # compete, among themselves, as this article's would. Entries of several articles
            # are never offered side by side: a question that fits this article and another
            # equally ("who brokered the truce?") is about this one.
            theirs = min(scored_others)
            chosen = article_of[theirs[1]]
            own = self._own_words
            if (
                not scored or -theirs[0] > -min(scored)[0] + self.thresholds.article_lead
            ) and any(t in idf_of[chosen] and t not in own for t in content - guessed):
                scored = [s for s in scored_others if article_of[s[1]] == chosen]
        ranked = []
        for negative, entry_id, coverage in heapq.nsmallest(TOP, scored):
            sim, phrasing, parties = best.get(entry_id, no_phrasing)
            ranked.append(Candidate(entry_id, -negative, phrasing, coverage, sim, parties))
        return ranked

    def _best_sentence(
        self, content: frozenset[str], actors: tuple[str, ...]
    ) -> tuple[float, int, str] | None:
        """An article sentence that covers nearly all of a question no entry answers."""
        if len(content) < 2:
            return None
        weights = self._query_weights(content)
        wq = sum(weights.values())
        shared = self._shared_weight(
            content,
            self._sentence_index,
            lambda i: self._sentences[i][1].content,
            [weights] * len(self._sentences),
        )
        best: tuple[float, int, str] | None = None
        for i, wc in shared.items():
            paragraph, doc = self._sentences[i]
            coverage = wc / wq
            if coverage < self.thresholds.sentence or _reversed_direction(actors, doc.actors):
                continue
            if best is None or coverage > best[0]:
                best = (coverage, paragraph, doc.text)
        return best

    def _smalltalk(self, text: str) -> SmalltalkIntent | None:
        """Small talk only when nothing in the text is about the article."""
        said = words(text)
        if not said or not set(said) <= self._smalltalk_words:
            return None
        joined = " ".join(said)
        best: tuple[float, SmalltalkIntent] | None = None
        for intent in self.knowledge.smalltalk:
            for pattern in intent.patterns:
                score = fuzz.ratio(joined, " ".join(words(pattern)))
                if best is None or score > best[0]:
                    best = (score, intent)
        return best[1] if best else None
