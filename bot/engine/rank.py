"""Phase 2 of matching: a question's words to the entries that fit it best, scored.

- a phrasing scores by weighted F-measure of the words it shares with the question (coverage of
  the question counts more than coverage of the phrasing); an entry adds how much of the
  question its whole text (its bag) covers, which serves keyword-only questions;
- when the question and a phrasing both name two parties in opposite agent order ("Armenia
  accuses Azerbaijan" against "Azerbaijan accuses Armenia"), the phrasing is penalised;
- only items sharing a word with the question are scored (inverted indexes, bounded walks);
- a knowledge base may hold entries about other articles (Entry.article): they are walked with
  a smaller budget, and take a question only when it names something of theirs and their best
  entry is clearly better; this article's entries are scored as if they were alone.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.engine.index import _K, MAIN, Index, Postings, WeightsOf


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: str
    score: float
    phrasing: str
    coverage: float  # share of the question's weight the entry's whole text holds
    similarity: float = 0.0  # of the best phrasing alone
    parties: tuple[str, ...] = ()  # parties named by that phrasing
    unknown: bool = False  # the question has words the entry's article never uses


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """An article sentence that covers nearly all of a question."""

    coverage: float
    paragraph: int
    text: str
    content: frozenset[str] = frozenset()  # its meaningful words


def reversed_direction(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) >= 2 and len(b) >= 2 and a[0] == b[1] and a[1] == b[0]


def shared_weight(
    index: Index,
    tokens: Iterable[str],
    postings_of: Postings[_K],
    content_of: Callable[[_K], frozenset[str]],
    weights: WeightsOf[_K],
    limit: int,
) -> dict[_K, float]:
    """Weight each item shares with the question, through an inverted index. ``weights``
    gives, per item, the word weights that apply to it (its article's); the index may hold
    the same along each posting list.

    The rarest words' posting lists are walked, up to a budget; commoner words ("what",
    "truce" in a large knowledge base) are added by lookup to the items the rarer words found.
    A question made only of common words is narrowed to the items holding all of them, when
    the rarest of those words is in at most ``narrow_within`` items (intersections cost as much
    as the smaller set); else it gets that word's best items. So the cost follows the rare
    words, not the size of the knowledge. A small knowledge base fits the budget whole, and
    is scored exactly.
    """
    t = index.thresholds
    postings, posting_weights = postings_of.postings, postings_of.along
    walk: list[str] = []
    common: list[str] = []
    walked = 0
    for token in sorted((w for w in tokens if w in postings), key=lambda w: len(postings[w])):
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
        room = min(max(limit - walked, 0), t.common_room)
        if not shared and len(rarest) <= t.narrow_within:
            keys = index.posting_set(postings, common[0])
            for token in common[1:]:
                narrowed = keys & index.posting_set(postings, token)
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


def rank(
    index: Index, content: frozenset[str], actors: tuple[str, ...], guessed: frozenset[str]
) -> list[Candidate]:
    """The best entries for a question's content words, best first (at most ``top``)."""
    t = index.thresholds
    # What the question weighs, and whether it has a word the article never uses, as each
    # article's entries see it (one article, unless the knowledge holds several).
    seen: dict[str, tuple[float, bool]] = {}
    tokens = tuple(content)
    digit = tuple(token.isdigit() for token in tokens)
    idf_of = index.idf

    def question(article: str) -> tuple[float, bool]:
        # sum(index.query_weights(content).values()) for any article, without building the
        # dict: a large knowledge base touches hundreds of articles per question.
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
            share, number = index.unknown_weights(article, unknown, digits)
            total += unknown * share + digits * number
        found = seen[article] = (total, bool(unknown or digits))
        return found

    # This article's phrasings and the other articles' (disjoint: one dict).
    mine, others = index.doc_index
    content_of = index.doc_content.__getitem__
    shared = shared_weight(index, content, mine, content_of, index.doc_idf, t.walk_budget)
    shared.update(shared_weight(index, content, others, content_of, index.doc_idf, t.others_budget))
    # The hot loop of matching, with locals and inlined arithmetic: each phrasing scores the
    # weighted F-measure of question coverage and phrasing precision.
    docs = index.docs
    beta2 = t.recall_beta**2
    directional = len(actors) >= 2
    missing_core = t.core_missing
    reversed_factor = t.reversed_parties
    best_sim: dict[str, float] = {}
    best_doc: dict[str, int] = {}
    for i, wc in shared.items():
        if wc <= 0:
            continue
        doc = docs[i]
        wq, unknown = seen.get(doc.article) or question(doc.article)
        cov = wc / wq
        prec = wc / doc.weight
        sim = (1 + beta2) * cov * prec / (beta2 * prec + cov)
        if directional and reversed_direction(actors, doc.actors):
            sim *= reversed_factor
        if unknown and doc.core not in content:
            # The question swapped the phrasing's key word for one we do not know
            # ("displaced" for "killed"): likely a different question.
            sim *= missing_core
        owner = doc.owner
        if sim > best_sim.get(owner, 0.0):
            best_sim[owner] = sim
            best_doc[owner] = i
    best = {
        owner: (sim, docs[best_doc[owner]].text, docs[best_doc[owner]].actors)
        for owner, sim in best_sim.items()
    }
    mine_bags, other_bags = index.bag_index
    bag_of = index.bags.__getitem__
    bag_shared = shared_weight(index, content, mine_bags, bag_of, index.bag_idf, t.walk_budget)
    bag_shared.update(
        shared_weight(index, content, other_bags, bag_of, index.bag_idf, t.others_budget)
    )
    for owner in best.keys() - bag_shared.keys():
        idf = index.bag_idf[owner]
        bag_shared[owner] = sum(idf[w] for w in content & index.bags[owner])
    asked = content & index.knowledge.language.answer_types
    share = t.phrasing_share
    no_phrasing: tuple[float, str, tuple[str, ...]] = (0.0, "", ())
    scored: list[tuple[float, str, float]] = []  # this article's entries
    scored_others: list[tuple[float, str, float]] = []
    article_of = index.article_of
    for entry_id, wc in bag_shared.items():
        article = article_of[entry_id]
        coverage = wc / (seen.get(article) or question(article))[0]
        score = share * best.get(entry_id, no_phrasing)[0] + (1 - share) * coverage
        answers = index.answer_types[entry_id]
        if asked and answers and not asked & answers:
            score *= t.wrong_type
        (scored if article == MAIN else scored_others).append((-score, entry_id, coverage))
    if scored_others:
        # Which article the question is about: this one, unless another article's best entry
        # is clearly better and the question names, as typed, something only that article
        # knows (its people or places). Only then do that article's entries compete, among
        # themselves, as this article's would. Entries of several articles are never offered
        # side by side: a question that fits this article and another equally ("who brokered
        # the truce?") is about this one.
        theirs = min(scored_others)
        chosen = article_of[theirs[1]]
        own = index.own_words
        if (not scored or -theirs[0] > -min(scored)[0] + t.article_lead) and any(
            w in idf_of[chosen] and w not in own for w in content - guessed
        ):
            scored = [s for s in scored_others if article_of[s[1]] == chosen]
    ranked = []
    for negative, entry_id, coverage in heapq.nsmallest(t.top, scored):
        sim, phrasing, parties = best.get(entry_id, no_phrasing)
        unknown = (seen.get(article_of[entry_id]) or question(article_of[entry_id]))[1]
        ranked.append(Candidate(entry_id, -negative, phrasing, coverage, sim, parties, unknown))
    return ranked


def best_sentence(
    index: Index, content: frozenset[str], actors: tuple[str, ...]
) -> SentenceHit | None:
    """An article sentence that covers nearly all of a question no entry answers."""
    if len(content) < 2:
        return None
    weights = index.query_weights(content)
    wq = sum(weights.values())
    sentences = index.sentences
    shared = shared_weight(
        index,
        content,
        index.sentence_index,
        lambda i: sentences[i][1].content,
        [weights] * len(sentences),
        index.thresholds.walk_budget,
    )
    best: SentenceHit | None = None
    for i, wc in shared.items():
        paragraph, doc = sentences[i]
        coverage = wc / wq
        if coverage < index.thresholds.sentence or reversed_direction(actors, doc.actors):
            continue
        if best is None or coverage > best.coverage:
            best = SentenceHit(coverage, paragraph, doc.text, doc.content)
    return best


__all__ = ["Candidate", "SentenceHit", "best_sentence", "rank", "reversed_direction"]
