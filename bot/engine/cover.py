"""Does an answer answer the question? Every constraint the question names must be covered.

A question's constraints are its meaningful words (not filler, not "what"/"who"): the people,
countries, places, numbers, days and things it names. An entry covers one when its phrasings,
answer, label or cited quotes use it, after synonyms and stemming (Index.bags). Two more rules:

- A detail the entry does not repeat but the article states along with the rest is no gap:
  "when did the US-brokered truce start?" is answered by the truce's dates, because one article
  sentence says the ceasefire was "brokered by the United States". The sentence must hold every
  uncovered word and every name the question and the entry share, so "what did Lavrov say on
  Friday?" is not licensed by Erdogan's Friday remarks.
- A role must belong to whom the question says: "prime minister of Azerbaijan", "Azerbaijan's
  prime minister", "President Pashinyan" name (role, owner) pairs, and the entry's own texts
  must pair them the same way (Armenia's Prime Minister is not Azerbaijan's).

The result is a Gap (what is missing, as the user typed it) or None when nothing is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.engine.analyze import Analyzed, stem
from bot.engine.index import Index
from bot.engine.text import CAPITALISED

Pair = tuple[str, str]  # (role, owner): ("primeminister", "armenia")

# "how many Turkish soldiers are in Azerbaijan?": what is counted, as typed.
_HOW_MANY = re.compile(r"\bhow\s+(many|much)\s+([^?!.]*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Gap:
    """What an answer would leave unanswered, in the user's own words."""

    missing: tuple[str, ...]  # typed words no text of the entry covers
    absent: tuple[str, ...]  # ... of those, the ones the article never mentions at all
    pairs: tuple[
        str, ...
    ]  # typed role phrases the entry pairs differently ("prime minister of azerbaijan")
    anchors: tuple[str, ...]  # typed names and titles the question and the entry share ("Erdogan")
    strays: tuple[str, ...] = ()  # typed names of the question the entry does not cover
    speaker: str = ""  # typed speaker the question quotes, when the gap is in their words
    uncounted: bool = False  # a "how many" the entry gives no number for
    doer: str = ""  # typed doer of a deed the article gives to someone else (action.py)

    def describe(
        self,
        question: str,
        wording: Mapping[str, str],
        typed: Mapping[str, str] | None = None,
    ) -> str:
        """One plain sentence: what the article does not say, from ``wording``'s templates
        (``gap_*``), words cased as the user typed them in ``question``. ``typed`` maps words of
        ``question`` to what the user really typed (a question read from another language)."""
        typed = typed or {}

        def show(item: str) -> str:
            word = _as_typed(item, question)
            return typed.get(word.casefold(), typed.get(item, word))

        def join(items: Sequence[str], *, phrases: bool = False) -> str:
            shown: list[str] = []
            for word in dict.fromkeys(show(i) for i in items):
                # Words typed side by side are one thing: "defence secretary", not "defence or
                # secretary".
                together = (
                    phrases
                    and shown
                    and re.search(
                        rf"(?<!\w){re.escape(shown[-1])}\W+{re.escape(word)}(?!\w)", question, re.I
                    )
                )
                if together:
                    shown[-1] = f"{shown[-1]} {word}"
                else:
                    shown.append(word)
            if len(shown) == 1:
                return shown[0]
            return ", ".join(shown[:-1]) + f" {wording['or']} " + shown[-1]

        def fill(key: str, **values: str) -> str:
            text = wording[key]
            for name, value in values.items():
                text = text.replace("{" + name + "}", value)
            return text

        if self.doer:
            return fill("gap_doer", doer=show(self.doer))
        if self.uncounted and not self.absent:
            asked = _HOW_MANY.search(question)
            if asked and asked.group(2).strip() and not typed:
                counted = f"{asked.group(1).lower()} {asked.group(2).strip()}"
                return fill("gap_how_many", counted=counted)
            return fill("gap_no_number")
        if self.speaker and not self.absent:
            speaker = show(self.speaker)
            if not self.missing:
                return fill("gap_said_nothing", speaker=speaker)
            return fill("gap_said_about", speaker=speaker, missing=join(self.missing))
        if self.absent:
            # The names typed as names, when there are any ("China", not "China or taken").
            named = [a for a in self.absent if _as_typed(a, question)[:1].isupper() or a.isdigit()]
            return fill("gap_mention", missing=join(named or self.absent))
        if self.pairs:
            return fill("gap_pair", missing=join(self.pairs))
        if self.anchors:
            return fill(
                "gap_about_with",
                missing=join(self.missing, phrases=True),
                anchors=join(self.anchors),
            )
        return fill("gap_about", missing=join(self.missing, phrases=True))


def _as_typed(words: str, question: str) -> str:
    """``words`` (folded) as the question has them: "france" typed "France" shows "France"."""
    if question:
        pattern = r"\W+".join(re.escape(w) for w in words.split())
        found = re.search(rf"(?<!\w){pattern}(?!\w)", question, re.IGNORECASE)
        if found:
            return found.group(0)
    return words


class Cover:
    """Built once per knowledge (beside the Index); ``gap`` is pure."""

    def __init__(self, index: Index) -> None:
        self.index = index
        language = index.knowledge.language
        analyze = index.analyzer.analyze
        self.roles = language.roles
        # A title read as one word stands for its words too: "the ministers" of a question are
        # the "foreign ministers" an entry quotes (foreignminister: foreign, minister).
        self.role_words: dict[str, frozenset[str]] = {}
        for role in self.roles:
            for variant in language.synonyms.get(role, ()):
                if " " in variant and variant.replace(" ", "") == role:
                    self.role_words[role] = frozenset(stem(w) for w in variant.split())
        # Names: the parties, and every word the article capitalises mid-sentence (Terter,
        # Lachin, Sunday, Washington), as the analyser reads them.
        names = set(language.actors)
        english = index.analyzer.english
        for paragraph in index.knowledge.article.paragraphs:
            for found in CAPITALISED.findall(" " + paragraph.text):
                a = analyze(found)
                for token, typed in zip(a.tokens, a.surface, strict=True):
                    # Not a word that only starts a title ("Secretary", "Army" read as forces).
                    common = typed in english and (token != typed or token in language.synonyms)
                    if token in a.content and not common:
                        names.add(token)
        self.names = frozenset(names - self.roles)
        self.title_words = frozenset().union(*self.role_words.values())
        # Generic words as typed and as stems ("tried", "behaving"), but not through synonyms:
        # "deal" names no constraint, yet the truce it also means does.
        generic = language.generic | {stem(w) for w in language.generic}
        self.free = index.interrogatives | language.answer_types | generic
        self.english = index.analyzer.stem_english
        # Everyday words that still name something ("senator", "Tuesday", "three", "France"):
        # never excused as chat, whatever the lexicon says.
        self.specific = index.specific - self.free
        self.sentence_contents = [(number, doc.content) for number, doc in index.sentences]
        paragraphs = index.knowledge.article.paragraphs
        self.lead = paragraphs[0].number if paragraphs else -1
        # "what / which / whose / how" and what may stand between them and the thing asked for.
        self.asking = frozenset(
            analyze(w).tokens[0] for w in ("what", "which", "whose", "how", "who")
        )
        self.before_asked = frozenset(
            t
            for w in (
                "s",
                "is",
                "are",
                "was",
                "were",
                "the",
                "a",
                "an",
                "kind",
                "sort",
                "type",
                "of",
                # "who will win?", "who has fled?": the deed asked about
                "will",
                "would",
                "did",
                "does",
                "has",
                "have",
                "had",
            )
            for t in analyze(w).tokens
        )
        # An entry's role pairs, found the first time it is a candidate (Index.entry_sentences).
        self._entry_pairs: dict[str, frozenset[Pair]] = {}
        self._sentence_pairs: dict[str, frozenset[Pair]] = {}
        self.howmany = frozenset(analyze("how many").content)
        # Per entry, what each of its "how many" phrasings counts ({killed, people}).
        self._counts: dict[str, list[frozenset[str]]] = {}
        for doc in index.docs:
            if doc.owner and doc.content & self.howmany:
                self._counts.setdefault(doc.owner, []).append(self.constraints(doc.content))

    def entry_pairs(self, entry_id: str) -> frozenset[Pair]:
        found = self._entry_pairs.get(entry_id)
        if found is None:
            held = {p for a in self.index.entry_sentences(entry_id) for p, _ in self.pairs(a)}
            found = self._entry_pairs[entry_id] = frozenset(held)
        return found

    def sentence_pairs(self, text: str) -> frozenset[Pair]:
        """An article sentence's role pairs, as its own words pair them: "Hajiyev, the Armenian
        president's aide" is not the sentence on the Azerbaijani president's aide. A title goes
        with the people the sentence names, too ("President of Armenia, Armen Sarkissian").
        Read the first time the sentence answers (an article has a few dozen)."""
        found = self._sentence_pairs.get(text)
        if found is None:
            read = self.index.analyzer.analyze(text)
            people = self.index.knowledge.language.people
            found = frozenset(p for p, _ in self.pairs(read)) | {
                (role, person)
                for role in self.roles.intersection(read.tokens)
                for person in people.intersection(read.tokens)
            }
            self._sentence_pairs[text] = found
        return found

    def constraints(self, content: frozenset[str]) -> frozenset[str]:
        return content - self.free

    def pairs(self, analyzed: Analyzed) -> list[tuple[Pair, str]]:
        """(role, owner) pairs in a text, each with the words typed for it.

        "Armenia's prime minister", "Azeri President", "prime minister of Azerbaijan", "Prime
        Minister Nikol Pashinyan", "Hikmet Hajiyev, an aide": the owner is a name right before
        the role (a possessive "s" or an article between), right after it, or after "of".
        """
        tokens = analyzed.tokens
        surface = analyzed.surface or tokens
        owners = self.names
        found: list[tuple[Pair, str]] = []
        for i, token in enumerate(tokens):
            if token not in self.roles:
                continue
            owner: int | None = None
            j = i - 1
            while j >= 0 and tokens[j] in ("s", "the", "a", "an"):
                j -= 1
            if j >= 0 and tokens[j] in owners and j >= i - 3:
                owner = j
            k = i + 1
            if owner is None and k < len(tokens) and tokens[k] in owners:
                owner = k
            # "prime minister of Azerbaijan", "an aide to Azerbaijan's president"
            if owner is None and k < len(tokens) and tokens[k] in ("of", "to"):
                k += 1
                while k < len(tokens) and tokens[k] in ("the", "a", "an"):
                    k += 1
                if k < len(tokens) and tokens[k] in owners:
                    owner = k
            if owner is not None:
                lo, hi = min(i, owner), max(i, owner)
                typed = " ".join(surface[lo : hi + 1])
                found.append(((token, tokens[owner]), typed))
                # "foreign ministers of Armenia and Azerbaijan", "Armenian and Azerbaijani
                # foreign ministers": every name of the "and" chain owns the role.
                step = 1 if owner > i else -1
                k = owner + 2 * step
                while 0 <= k < len(tokens) and tokens[k - step] == "and" and tokens[k] in owners:
                    found.append(((token, tokens[k]), typed))
                    k += 2 * step
        return found

    def gap(
        self,
        analyzed: Analyzed,
        content: frozenset[str],
        bag: frozenset[str],
        entry_id: str | None,
        *,
        quoted: bool = False,
        held: frozenset[Pair] | None = None,
    ) -> Gap | None:
        """What the question asks that the entry (or, with no id, the text ``bag``) leaves out.

        ``quoted``: ``bag`` is someone's quotation, which must hold the words itself; what
        other sentences of the article say alongside does not make them theirs. ``held``: the
        role pairs of a text with no id (an article sentence: sentence_pairs).
        """
        wanted = self.constraints(content)
        uncovered = wanted - bag
        if uncovered and bag & self.roles:
            uncovered -= self._bare_titles(analyzed, wanted, bag)
        if (
            uncovered
            and not quoted
            and self._licensed(uncovered, wanted & bag & self.names, wanted & bag, entry_id)
        ):
            uncovered = frozenset()
        if uncovered and self.tolerable(uncovered, wanted, self.asked_for(analyzed)):
            uncovered = frozenset()
        pair_gaps: list[str] = []
        own = self.entry_pairs(entry_id) if entry_id is not None else held
        if own is not None:
            pair_gaps = [typed for pair, typed in self.pairs(analyzed) if pair not in own]
        # "How many X?" is answered only by a number of X: an entry asked "how many soldiers
        # died?" gives no number of soldiers in Azerbaijan, however many words they share. One
        # of its "how many" phrasings must share most of what it counts with the question
        # ("how many hours before it broke" is "how many hours did the truce last").
        uncounted = (
            entry_id is not None
            and bool(content & self.howmany)
            and not any(
                len(count - content) * 2 < len(count) for count in self._counts.get(entry_id, ())
            )
        )
        if not uncovered and not pair_gaps and not uncounted:
            return None
        typed = typed_tokens(analyzed, self.names)
        for t in uncovered:
            # A thing named by a phrase of its group ("how do you say") is shown by its name
            # ("translation"): "The article doesn't mention translation."
            if t in self.specific and t.isalpha() and " " in typed.get(t, ""):
                typed[t] = t
        own_words = self.index.own_words
        gaps = ordered(analyzed, uncovered)
        missing = tuple(typed[t] for t in gaps)
        # A question that names a title ("minister", "defence secretary") names nothing the
        # article never mentions: it pairs a title the article uses with the wrong person.
        absent = (
            ()
            if self.title_words.intersection(gaps)
            else tuple(typed[t] for t in gaps if t not in own_words)
        )
        anchors = tuple(
            typed[t] for t in ordered(analyzed, wanted & bag & (self.names | self.roles))
        )
        strays = tuple(typed[t] for t in gaps if t in self.names)
        return Gap(missing, absent, tuple(pair_gaps), anchors, strays, uncounted=uncounted)

    def _bare_titles(
        self, analyzed: Analyzed, wanted: frozenset[str], bag: frozenset[str]
    ) -> frozenset[str]:
        """Words of the titles in ``bag`` that the question uses bare, next to none of its
        constraints ``wanted``: "the ministers", not "defence secretary" (another title than
        the Secretary of State)."""
        words = frozenset().union(*(self.role_words.get(r, frozenset()) for r in bag & self.roles))
        tokens = analyzed.tokens
        return frozenset(
            t
            for i, t in enumerate(tokens)
            if t in words
            and (i == 0 or tokens[i - 1] not in wanted)
            and (i + 1 == len(tokens) or tokens[i + 1] not in wanted)
        )

    def asked_for(self, analyzed: Analyzed) -> frozenset[str]:
        """The thing a question asks for by name: the word after "what", "which", "whose" or
        "how" ("what currency...", "what is the capital of...", "how tall...", "what kind of
        ceasefire..."). An answer that does not give it does not answer."""
        tokens = analyzed.tokens
        found: set[str] = set()
        for i, token in enumerate(tokens):
            if token not in self.asking:
                continue
            j = i + 1
            while j < len(tokens) and tokens[j] in self.before_asked:
                j += 1
            if j < len(tokens):
                found.add(tokens[j])
        return frozenset(found)

    def tolerable(
        self, uncovered: frozenset[str], wanted: frozenset[str], asked: frozenset[str] = frozenset()
    ) -> bool:
        """Chat the filler list does not know ("lol how long did the truce even hold?"): a few
        everyday words the article never uses, in a question that is otherwise covered.

        Never a name, a number, a word the article uses elsewhere (that is another topic of
        the article, which this entry does not cover) or the thing the question asks for
        (``asked``: "what currency does Armenia use?"); and at most a small share of the
        question, so "how many refugees fled the fighting?" is still not the death toll.
        """
        if uncovered & asked:
            return False
        for token in uncovered:
            if token in self.names or token.isdigit() or token in self.index.own_words:
                return False
            if token in self.specific:
                return False
            if token not in self.english:
                return False  # not a word: an unknown name ("Stepanakert") or a garble
        return len(uncovered) * self.index.thresholds.tolerated_share <= len(wanted)

    def _licensed(
        self,
        uncovered: frozenset[str],
        names: frozenset[str],
        shared: frozenset[str],
        entry_id: str | None,
    ) -> bool:
        """One article sentence states the uncovered details together with what is covered,
        in a paragraph the entry cites (or the lead): a sentence elsewhere is another topic of
        the article ("held by ethnic Armenian separatists" since 1992 is not how long the truce
        held)."""
        if not shared:
            return False
        need = uncovered | names
        cited: frozenset[int] | None = None
        if entry_id is not None:
            entry = self.index.knowledge.entries[entry_id]
            cited = frozenset(c.paragraph for c in entry.citations)
        return any(
            need <= s
            and s & shared
            and (
                cited is None
                or p in cited
                # The lead frames every entry ("a new humanitarian ceasefire, brokered by the
                # United States"): it completes one that shares more than a word with it.
                or (p == self.lead and len(s & shared) >= 2)
            )
            for p, s in self.sentence_contents
        )


def typed_tokens(analyzed: Analyzed, names: frozenset[str]) -> dict[str, str]:
    """Each token as the user wrote it (after typo correction); the article's names capitalised."""
    typed: dict[str, str] = {}
    for token, word in zip(analyzed.tokens, analyzed.surface or analyzed.tokens, strict=False):
        typed.setdefault(token, word.title() if token in names and word.islower() else word)
    return typed


def ordered(analyzed: Analyzed, tokens: Iterable[str]) -> list[str]:
    """Tokens in the order the question has them."""
    wanted = set(tokens)
    seen: list[str] = []
    for t in analyzed.tokens:
        if t in wanted and t not in seen:
            seen.append(t)
    return seen
