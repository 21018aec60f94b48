"""Every number the matcher decides with, named in one place.

The values were chosen on the evaluation sets' tuning parts (README, *Accuracy*); the held-out
parts were only scored. Change one here and run ``python -m bot eval`` on every set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thresholds:
    # --- answering ---------------------------------------------------------------------------
    answer: float = 0.45  # at least this to answer
    confident: float = 0.55  # above this, answer even when a second entry is close
    margin: float = 0.06  # top must beat the runner-up by this, else clarify
    tie: float = 0.0  # even a confident top must beat the runner-up by this
    coverage_min: float = 0.40  # the winning entry must cover this much of the question's weight
    coverage_min_unknown: float = 0.65  # ... for a short question with a word we do not know
    short: int = 3  # questions with at most this many meaningful words are short
    # --- clarifying --------------------------------------------------------------------------
    clarify: float = 0.40  # candidates offered in clarify score at least this
    clarify_window: float = 0.12  # ... and at most this far below the best
    clarify_options: int = 4  # at most this many candidates are offered
    party_margin: float = 0.1  # runner-ups this close about another party make it ambiguous
    phrasing_lead: float = 0.1  # ... unless its best phrasing is this much closer
    # --- answering from an article sentence --------------------------------------------------
    sentence: float = 0.80  # an article sentence must cover this much of the question
    # --- near misses and suggestions ---------------------------------------------------------
    # Everyday words the article never uses are tolerated in a question otherwise covered when
    # they are at most one in this many of its meaningful words ("why does Turkey think it
    # deserves a seat": "deserves" is chat around Turkey's claim; never a `specific` word).
    tolerated_share: int = 2
    related: float = 0.25  # an entry this close may be offered as related or as a suggestion
    near_miss: float = 0.40  # a related entry shown in full after "the article doesn't say"
    # --- "who said ...?" ----------------------------------------------------------------------
    who_said: float = 0.75  # a quotation holding this much of the question's words is the one
    who_said_related: float = 0.5  # ... and one holding this much is offered after "nobody said"
    # --- scoring -----------------------------------------------------------------------------
    unknown_df: float = 0.5  # a word no entry uses weighs as if this many entries used it
    unknown_cap: float = 2.5  # all unknown words together weigh at most this many unknown words
    number_factor: float = 2.0  # a number the knowledge never uses weighs this many unknown words
    phrasing_share: float = 0.7  # score = share * best phrasing + (1 - share) * entry coverage
    recall_beta: float = 1.5  # F-measure beta: covering the question counts more than precision
    wrong_type: float = 0.6  # factor for an entry that never answers the kind asked (who/when...)
    reversed_parties: float = 0.5  # factor for a phrasing with the parties in opposite order
    core_missing: float = (
        0.85  # factor when a phrasing's key word is missing and an unknown is there
    )
    name_boost: float = 1.5  # parties and people weigh this much more than other words
    article_lead: float = 0.05  # another article's best entry must beat this one's by this
    # --- cost bounds (benchmarks: same accuracy, bounded time at 100,000 entries) ------------
    # Postings one question may walk, per index, before the rest are looked up: this article's
    # index, and the other articles'. Another article's entry can only take a question that
    # names something of its own, and those names are rare words, walked first; so a small
    # budget there finds them (the same accuracy at 100 as at 300, a third of the time).
    walk_budget: int = 300
    others_budget: int = 100
    # A question of common words only is narrowed by intersecting their posting sets when the
    # rarest is this short; intersecting longer ones would cost milliseconds at 100,000 entries.
    narrow_within: int = 1000
    # Candidates a question's rarest common word adds beyond those its rarer words found.
    common_room: int = 32
    top: int = 8  # candidates kept per question: enough to clarify and to find a citing entry
    # --- typo correction ---------------------------------------------------------------------
    # A word is English (never "corrected" into a knowledge term) when the lexicon counts it at
    # least this often (symspellpy's list: counts from ~12,700 to 23 billion).
    english_count: int = 100_000
