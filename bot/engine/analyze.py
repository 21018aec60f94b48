"""Text to the matcher's view of it: canonical word stems, the parties in order, unknown words."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.engine.model import Language
from bot.engine.text import fold, words

_LOCAL = threading.local()  # Snowball stemmers keep state while stemming: one per thread


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


@dataclass(frozen=True, slots=True)
class Analyzed:
    """A text as the matcher sees it."""

    tokens: tuple[str, ...]  # canonical stems in order, stopwords included
    content: frozenset[str]  # the tokens that carry meaning
    actors: tuple[str, ...]  # parties in agent-first order ("accused by X" puts X first)
    corrected: tuple[tuple[str, str], ...]  # typo corrections made: (typed, understood)
    surface: tuple[str, ...] = ()  # beside each token, the words typed for it ("prime minister")


def _max_typo_distance(word: str) -> int:
    # Short words tolerate one slip; longer ones two ("thretan" is two from "threaten"). Only
    # words that are not English are corrected at all (english_words), so "bake" stays "bake".
    # Distances count a swap of two neighbours as one slip (OSA), so "armenai" is one away.
    n = len(word)
    if n < 4:
        return 0
    if n <= 5:
        return 1
    return 2


_CLAUSE = re.compile(r"[,.;:!?()\n]+|\s-\s|\s\u2014\s")
_FIRST_PERSON = frozenset({"i", "im", "my", "me", "we", "our", "ive", "id"})
# A number however it is typed: "30,000", "30 000", "30.000", "30k" and "30 thousand" are 30000.
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[,. ]\d{3})+(?![\d]|[.,]\d)")
_THOUSANDS = re.compile(r"(?<![\w.,])(\d{1,3})\s*(?:k|thousand)(?!\w)", re.IGNORECASE)


def _numbers(text: str) -> str:
    text = _GROUPED.sub(lambda m: re.sub(r"[,. ]", "", m.group(0)), text)
    return _THOUSANDS.sub(lambda m: m.group(1) + "000", text)


# Words that make "when ..." a question of its own ("when did", "when was").
_AUXILIARIES = frozenset(
    {
        "did",
        "does",
        "do",
        "is",
        "was",
        "were",
        "are",
        "will",
        "would",
        "has",
        "had",
        "have",
        "can",
        "could",
        "exactly",
        "s",
    }
)
# First letters people swap for the same sound ("konflict", "karabakh"/"carabakh"): a slip
# may start with either.
_SOUNDS_ALIKE = {"c": "cks", "k": "kc", "q": "qk", "s": "sc"}
# Question words as typed. A clause with one of these asks something, however personal its
# wording ("can you tell me what Erdogan said about France", "my teacher asked what China
# thinks"): its words all count. They ask for the answer, and say nothing of a deed (action.py).
ASKING = frozenset(
    {"what", "whats", "who", "whos", "whom", "whose", "when", "where", "why", "how", "which"}
)


# What English adds to a word to make another form of it ("military" -> "militarily"): after
# the letters two words share, each must end in one of these for them to be one word's forms.
# fmt: off
_ENDINGS = frozenset((
    "", "s", "es", "ed", "d", "ing", "e", "er", "ers", "or", "ors", "ion", "ions", "ation",
    "ations", "ly", "ily", "ment", "ments", "al", "ally", "ive", "ives", "y", "ies", "ied",
    "ier", "iest", "ity", "ities", "ize", "ized", "ise", "ised", "ness", "ist", "ists", "ism",
    "an", "ans", "ian", "ians", "i",
))
# fmt: on


def _variant(word: str, other: str) -> bool:
    """Two forms of one word: they share all but an ending ("militarily", "military"), and
    not a different word that happens to start alike ("currency" is not "current")."""
    common = 0
    for a, b in zip(word, other, strict=False):
        if a != b:
            break
        common += 1
    if common < 6 or common < max(len(word), len(other)) - 3:
        return False
    ours, theirs = word[common:], other[common:]
    # British and American spellings are one word: "recognised", "recognized".
    return (ours in _ENDINGS and theirs in _ENDINGS) or ours.replace("s", "z") == theirs.replace(
        "s", "z"
    )


# symspellpy's English frequency list (82,765 words with corpus counts): the lexicon that tells a
# real word ("bread") from a slip ("brokerd"). Chosen over wordfreq: a 1.4 MB list in a 6.5 MB
# package that is still maintained, against 58 MB for wordfreq, which its author no longer updates.
_LEXICON = "frequency_dictionary_en_82_765.txt"


@lru_cache(maxsize=1)
def _lexicon() -> tuple[tuple[str, int], ...]:
    """(word, corpus count) of the frequency list, most frequent first; read once per process."""
    text = resources.files("symspellpy").joinpath(_LEXICON).read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        word, _, count = line.partition(" ")
        if count:
            found.append((word, int(count)))
    return tuple(found)


@lru_cache(maxsize=4)
def english_words(min_count: int) -> frozenset[str]:
    """English words at least ``min_count`` frequent (rarer entries are mostly odd spellings)."""
    return frozenset(word for word, count in _lexicon() if count >= min_count)


# Common words a slip of which is worth reading as that word ("diffrent" is "different"):
# frequent enough that a rare name is not mistaken for one of them.
GUESS_COUNT = 10_000_000


@lru_cache(maxsize=4)
def english_by_shape(min_count: int) -> dict[tuple[str, int], tuple[str, ...]]:
    """Common English words by (first letter, length), most frequent first."""
    shaped: dict[tuple[str, int], list[str]] = {}
    for word, count in _lexicon():  # sorted by frequency, highest first
        if count >= min_count and word.isalpha():
            shaped.setdefault((word[0], len(word)), []).append(word)
    return {k: tuple(v) for k, v in shaped.items()}


@lru_cache(maxsize=4)
def english_stems(min_count: int) -> frozenset[str]:
    """english_words as stems: built once per process, not once per knowledge swap."""
    return frozenset(stem(w) for w in english_words(min_count))


def _capitalised(word: str, text: str) -> bool:
    """``word`` is typed with a capital somewhere in ``text``: probably a name."""
    found = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
    return found is not None and found.group(0)[:1].isupper()


def _phrase_table(language: Language, spelled: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Each synonym variant and filler phrase as its stems (misspellings ``spelled`` as the word
    they spell), with its group ("" for filler)."""
    table: dict[tuple[str, ...], str] = {}
    for canonical, variants in language.synonyms.items():
        for phrase in (canonical, *variants):
            key = tuple(spelled.get(s, s) for s in (stem(w) for w in words(phrase)))
            if key:
                table.setdefault(key, canonical)
    for phrase in language.stopwords:
        key = tuple(spelled.get(s, s) for s in (stem(w) for w in words(phrase)))
        if len(key) > 1:
            table.setdefault(key, "")
    return table


class Analyzer:
    """Folds, corrects typos against the knowledge's own vocabulary, stems and canonicalises."""

    def __init__(
        self, language: Language, vocabulary: Iterable[str], english_count: int = 100_000
    ) -> None:
        self.language = language
        self.english = english_words(english_count)
        # Synonym phrases as stem sequences, longest first, so "cease fire" wins over "fire".
        # Filler phrases ("this time", "so far") are dropped whole; "" marks them.
        plain = _phrase_table(language, {})
        # A misspelling the synonyms list for a word ("foriegn" for "foreign") is that word
        # inside phrases too: "foriegn ministers" are the foreign ministers. Only where the word
        # itself means the same group ("negociations" is not respelled into a "negotiate" that
        # means brokering).
        self._spelled = {
            stem(v): stem(canonical)
            for canonical, variants in language.synonyms.items()
            if canonical.isalpha()
            and canonical in self.english
            and plain.get((stem(canonical),)) == canonical
            for v in variants
            if v.isalpha()
            and len(v) >= 4
            and plain.get((stem(v),)) == canonical
            and v not in self.english  # "armenian" is a word of its own, not a slip
            and OSA.distance(v, canonical) <= 2
        }
        table = _phrase_table(language, self._spelled)
        self._phrases = table
        # Single words listed as variants as they are written ("whom" is "who"): a filler word
        # that only stems like a variant ("according" like "accord") stays filler.
        self._listed = frozenset(
            phrase
            for canonical, variants in language.synonyms.items()
            for phrase in (canonical, *variants)
            if " " not in phrase
        )
        self._longest = max((len(k) for k in table), default=1)
        self._case_sensitive = [
            (re.compile(r"(?<![A-Za-z])" + re.escape(v) + r"(?![A-Za-z])"), canonical)
            for canonical, variants in language.case_sensitive.items()
            for v in sorted(variants, key=len, reverse=True)
        ]
        texts = list(vocabulary)
        vocab = {w for text in texts for w in words(text)}
        # Typo targets: the words people misspell here are names and domain terms (the synonyms
        # file, capitalised words, long words). Short common words are left alone, or "party"
        # would become "part" and "religion" "region".
        targets = {w for text in texts for w in words(text) if len(w) >= 6}
        targets |= {fold(m) for text in texts for m in re.findall(r"\b[A-Z][a-z]{3,}", text)}
        # "wich" is "which"; but only real words are targets: a name ("Hadrut") is no slip of a
        # contraction typed without its apostrophe ("hadnt").
        targets |= {w for w in language.stopwords if " " not in w and w in self.english}
        # The dictionary forms of the knowledge's words: "thretan" is a slip of "threaten",
        # which the article only has as "threatened".
        targets |= {s for s in (stem(w) for w in targets) if s in self.english}
        # ... and their plurals and third persons: "demads" is one letter from "demands", two
        # from the knowledge's "demand" and from "dead".
        targets |= {f"{w}s" for w in targets if f"{w}s" in self.english}
        for canonical, variants in language.synonyms.items():
            for phrase in (canonical, *variants):
                vocab.update(words(phrase))
                targets.update(words(phrase))
        self.vocabulary = frozenset(vocab)
        # Grouped by first letter: people rarely mistype it, and it keeps unknown names from
        # "correcting" into ours.
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        for w in sorted(targets):
            if len(w) >= 4 and not w.isdigit():
                self._by_shape.setdefault((w[0], len(w)), []).append(w)
        self._correct = lru_cache(maxsize=65536)(self._correct_uncached)
        self._guess = lru_cache(maxsize=65536)(self._guess_uncached)
        # English words as the matcher sees them (stems), for telling chat from names.
        self.stem_english = english_stems(english_count)

    def _correct_uncached(self, word: str) -> tuple[str, ...]:
        limit = _max_typo_distance(word)
        # Only words whose length is within the distance can be that close.
        candidates = sorted(
            c
            for first in _SOUNDS_ALIKE.get(word[0], word[0])
            for n in range(len(word) - limit, len(word) + limit + 1)
            for c in self._by_shape.get((first, n), ())
        )
        if not limit or not candidates:
            return ()
        found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return ()
        best = min(d for _, d, _ in found)
        tied = [str(c) for c, d, _ in found if d == best]
        # Between equally close words, one with the same letters comes first: "peice" is a
        # swapped "piece", not "peace".
        same_letters = [c for c in tied if sorted(c) == sorted(word)]
        return tuple(same_letters + [c for c in tied if c not in same_letters])

    def _guess_uncached(self, word: str) -> str | None:
        """The common English word ``word`` is a slip of, if one is close: not to match it (the
        knowledge does not use it), but so that it counts as an everyday word, not a name."""
        if len(word) < 5 or not word.isalpha():
            return None
        limit = 1 if len(word) <= 6 else 2
        shapes = english_by_shape(GUESS_COUNT)
        best: tuple[int, int, str] | None = None
        for n in range(len(word) - limit, len(word) + limit + 1):
            for rank, candidate in enumerate(shapes.get((word[0], n), ())):
                # Same first and last letter: "diffrent" is "different", but "macron" is a
                # name, not a "macro".
                if candidate[-1] != word[-1]:
                    continue
                d = OSA.distance(word, candidate, score_cutoff=limit)
                if d <= limit and (best is None or (d, rank) < best[:2]):
                    best = (d, rank, candidate)
        return best[2] if best else None

    def _in_context(self, choices: tuple[str, ...], before: str, after: str) -> str:
        """Of equally close corrections, one that makes a known phrase with its neighbours:
        "defence ministery" is the "defence ministry", not a "defence minister"."""
        for c in choices:
            if (stem(before), stem(c)) in self._phrases or (stem(c), stem(after)) in self._phrases:
                return c
        return choices[0]

    def _group(self, word: str) -> str | None:
        """The synonym group a single typed word belongs to, if any."""
        s = stem(word)
        return self._phrases.get((self._spelled.get(s, s),))

    def analyze(self, text: str) -> Analyzed:
        typed_as: dict[str, str] = {}  # "usa" -> "US": shown back to the user as typed
        text = _numbers(text)
        for pattern, canonical in self._case_sensitive:
            hit = pattern.search(text)
            if hit:
                typed_as.setdefault(canonical, hit.group(0))
                text = pattern.sub(f" {canonical} ", text)
        raw: list[str] = []
        aside: set[int] = set()  # positions of words about the asker, not the article
        known: set[int] = set()  # ... of those, words the knowledge uses
        asked_elsewhere = False  # another clause is the question proper
        for clause in _CLAUSE.split(text):
            said = words(clause)
            # What comes before the question proper ("my teacher asked | what China thinks").
            asks = next((k for k, w in enumerate(said) if w in ASKING), len(said))
            if (
                said
                and (
                    _FIRST_PERSON.intersection(said[:asks])
                    # "journalist here", "student here, writing an essay", "mom here on a break"
                    or ("here" in said[:3] and len(said) <= 8)
                )
                and not any(self._group(w) in self.language.actors for w in said)
            ):
                # "want to cite it in my essay", "journalist here": the asker's own situation.
                for k, w in enumerate(said[:asks]):
                    if not w.isdigit():
                        # Before a question in the same clause, all of it is the asker's.
                        soft = w in self.vocabulary and asks == len(said)
                        (known if soft else aside).add(len(raw) + k)
            asked_elsewhere = asked_elsewhere or asks == 0
            raw.extend(said)
        # Words of the aside the knowledge uses still count when it is all there is ("my
        # grandpa fought in the first war"), not beside a question of its own ("journalist
        # here, when did the truce start?" is not about the article's author).
        if asked_elsewhere:
            aside |= known
        # "What was Erdogan hoping for when he spoke on Friday?", "which city were they
        # visiting when the truce was announced?": after a question word, "when" that starts
        # no question of its own ("when did...") says when, it does not ask it.
        for k, w in enumerate(raw):
            if (
                w == "when"
                and ASKING.intersection(raw[:k])
                and k + 1 < len(raw)
                and raw[k + 1] not in _AUXILIARIES
            ):
                aside.add(k)
        corrected: list[tuple[str, str]] = []
        fixed: list[str] = []
        for k, w in enumerate(raw):
            if w in self.vocabulary or w.isdigit() or w in self.language.stopwords:
                fixed.append(w)
                continue
            choices = self._correct(w)
            better = (
                self._in_context(
                    choices, raw[k - 1] if k else "", raw[k + 1] if k + 1 < len(raw) else ""
                )
                if choices
                else None
            )
            if better is not None and w in self.english and not _variant(w, better):
                # A real English word is never a slip for a knowledge term ("bake" is not
                # "Baku", "bread" is not "break"); only another form of the same word is taken
                # ("militarily" for "military").
                better = None
            if better is None and w not in self.english and not _capitalised(w, text):
                better = self._guess(w)  # "diffrent": an everyday word, mistyped
                if better is not None:
                    typed_as.setdefault(better, w)  # shown as typed, not as guessed
            if better is not None:
                corrected.append((w, better))
                fixed.append(better)
            else:
                fixed.append(w)
        stems = [self._spelled.get(s, s) for s in (stem(w) for w in fixed)]
        tokens: list[str] = []
        surface: list[str] = []
        content: set[str] = set()
        stop = self.language.stopwords
        i = 0
        while i < len(stems):
            for n in range(min(self._longest, len(stems) - i), 0, -1):
                found = self._phrases.get(tuple(stems[i : i + n]))
                if n == 1 and fixed[i] in stop and fixed[i] not in self._listed:
                    found = None
                if found == "":
                    i += n
                    break
                if found is not None:
                    # A synonym group always carries meaning, even if one variant is a filler word.
                    tokens.append(found)
                    surface.append(" ".join(fixed[i : i + n]))
                    if not aside.issuperset(range(i, i + n)):
                        content.add(found)
                    i += n
                    break
            else:
                tokens.append(stems[i])
                surface.append(fixed[i])
                # Filler is recognised as typed, not stemmed: "kindly" is filler, "kind" is not.
                if fixed[i] not in stop and i not in aside:
                    content.add(stems[i])
                i += 1
        if typed_as:
            surface = [typed_as.get(w, w) for w in surface]
        return Analyzed(
            tuple(tokens),
            frozenset(content),
            self._actors(tokens),
            tuple(corrected),
            tuple(surface),
        )

    def _actors(self, tokens: list[str]) -> tuple[str, ...]:
        """Parties in agent-first order: "X accuses Y" -> (X, Y); "Y is accused by X" -> (X, Y)."""
        agents: list[str] = []
        others: list[str] = []
        markers = self.language.passive_markers
        for i, t in enumerate(tokens):
            if t not in self.language.actors:
                continue
            behind = tokens[max(0, i - 3) : i]
            after_marker = any(b in markers for b in behind) and not any(
                b in self.language.actors for b in behind
            )
            target = agents if after_marker else others
            if t not in agents and t not in others:
                target.append(t)
        return tuple(agents + others)
