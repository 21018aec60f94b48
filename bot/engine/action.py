"""Who did it: "did Azerbaijan shell the villages?" is not answered by Armenian troops doing so.

An entry can hold every word of such a question and still not answer it, because the article
says someone else did the deed: the entry about Baku's accusations has Azerbaijan, villages and
shelling, but the shelling in it is by Armenian troops; the earlier truces were brokered by
Russia, not the US. For the deeds synonyms.yaml lists as ``actions``, the question's doer must
be among those the entry's own texts (phrasings, answer, label, cited quotes) give that deed.

The doer of a deed is the actor after "by" right behind it ("brokered by Russia", "shelling by
Armenian forces"), or else, unless the verb is passive, the nearest actor before it within three
words ("Armenian troops began shelling", "did Azerbaijan shell"). A deed with no doer in the
entry's texts decides nothing: the article may not say, and then neither does this check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from bot.engine.analyze import ASKING, Analyzed, stem
from bot.engine.cover import Cover, Gap, typed_tokens
from bot.engine.index import Index

Deed = tuple[str, str]  # (doer, action): ("armenia", "shell")
# One deed a sentence states: (action, its doers, its targets, the sentence's words).
Told = tuple[str, frozenset[str], frozenset[str], frozenset[str]]

# A form of "be" or "get" before the verb makes it passive: the actor before it is the target.
_PASSIVE = frozenset({"is", "was", "were", "be", "been", "being", "are", "get", "got", "gets"})
_JOINED = frozenset({"and", "with"})
_BEFORE = 3  # how far back a doer may stand ("Armenian troops began shelling")
_AFTER = 2  # how far "by" may follow the verb ("brokered, by Russia")


class _Question(NamedTuple):
    """What a question says of deeds: read once per question (Actions._read)."""

    wanted: frozenset[str]  # the words it may tie to a deed
    deeds: tuple[tuple[Deed, int], ...]
    patients: tuple[tuple[str, str], ...]
    told: tuple[Told, ...]


class Actions:
    """Built once per knowledge (beside Cover); ``gap`` is pure."""

    def __init__(self, index: Index, cover: Cover) -> None:
        self.index = index
        self.cover = cover
        language = index.knowledge.language
        self.actions = frozenset(
            t for a in language.actions for t in index.analyzer.analyze(a).tokens
        )
        self.actors = language.actors
        # Deeds read for whom they were done to only ("did Hajiyev blame Russia?"): who accuses
        # is the speaker's business (speaker.py), and some words of accusing name the accused
        # ("what did Yerevan do wrong").
        self.targeted = frozenset(
            t for a in language.targeted for t in index.analyzer.analyze(a).tokens
        )
        self.aimed = self.actions | self.targeted
        self.answer_types = language.answer_types
        self.roles = language.roles
        self.contested = frozenset(
            t for a in language.contested for t in index.analyzer.analyze(a).tokens
        )
        self.speech = language.speech
        # Who may be said to have done a contested deed: the two sides (conversation.yaml), not
        # "the US deal" that "didn't work".
        self.sides = index.knowledge.followups.sides or self.actors
        # The entry that gives both sides' versions of each contested deed (qa.yaml both_sides).
        self.settles: dict[str, str] = {}
        for entry in index.knowledge.entries.values():
            for deed in entry.both_sides:
                for t in index.analyzer.analyze(deed).tokens:
                    self.settles.setdefault(t, entry.id)
        sources = language.source_markers
        self.by = frozenset(language.passive_markers - sources)
        self.sources = sources | {stem(m) for m in sources}
        # Per entry, the doers its texts give each deed; found the first time it is a
        # candidate (Index.entry_statements).
        self._entry_deeds: dict[str, tuple[Told, ...]] = {}
        # A question's own deeds, read once however many candidates are checked against them.
        self._read = lru_cache(maxsize=16)(self._read_uncached)

    def presumed(self, analyzed: Analyzed) -> str | None:
        """The entry giving both sides' versions of a contested deed the question takes as
        done by one party ("why did Baku break the truce?"); None when it asks what someone
        says ("what does Baku accuse Yerevan of violating?") or names no doer."""
        tokens = analyzed.tokens
        for (doer, deed), _ in self.deeds(analyzed, self.contested):
            said = self.speech.intersection(tokens[: tokens.index(deed)])
            if deed in self.settles and doer in self.sides and not said:
                return self.settles[deed]
        return None

    def deeds(
        self, analyzed: Analyzed, actions: frozenset[str] | None = None
    ) -> list[tuple[Deed, int]]:
        """Each deed of the text with its doer, and the doer's position among the tokens."""
        tokens = analyzed.tokens
        wanted = self.actions if actions is None else actions
        return [
            ((tokens[k], token), k)
            for i, token in enumerate(tokens)
            if token in wanted
            for k in self._doers_at(tokens, i, wanted)
        ]

    def _doers_at(self, tokens: Sequence[str], i: int, wanted: frozenset[str]) -> list[int]:
        """Where the doers of the deed at ``i`` stand."""
        by = next(
            (j for j in range(i + 1, min(i + 1 + _AFTER, len(tokens))) if tokens[j] in self.by),
            None,
        )
        if by is not None:
            doer = next(
                (k for k in range(by + 1, min(by + 4, len(tokens))) if tokens[k] in self.actors),
                None,
            )
            if doer is not None:
                return [doer]
        if i and tokens[i - 1] in _PASSIVE:
            return []
        for k in range(i - 1, max(i - 2 - _BEFORE, -1), -1):
            if tokens[k] in wanted:
                if k == i - 1:
                    continue  # "fire missiles", "launch missile strikes": one deed
                break
            if tokens[k] in self.actors:
                if self.sources.intersection(tokens[max(k - 3, 0) : k]):
                    break  # "according to Baku, ...": whose account, not who did it
                found = [k]
                # "Turkey and Russia negotiate": both do it.
                while k >= 2 and tokens[k - 1] in _JOINED and tokens[k - 2] in self.actors:
                    k -= 2
                    found.append(k)
                return found
        return []

    def patients(self, analyzed: Analyzed) -> list[tuple[str, str]]:
        """(action, target) of each active deed with a party right after it: "arming the
        Azerbaijani side", "does Russia support Azerbaijan", "Turkey's support for Baku"."""
        tokens = analyzed.tokens
        return [
            (token, tokens[j])
            for i, token in enumerate(tokens)
            if token in self.aimed
            for j in self._targets_at(tokens, i)
        ]

    def _targets_at(self, tokens: Sequence[str], i: int) -> list[int]:
        if i and tokens[i - 1] in _PASSIVE:
            return []
        for j in range(i + 1, min(i + 1 + _BEFORE, len(tokens))):
            if tokens[j] in self.by or tokens[j] in self.sources or tokens[j] in self.aimed:
                return []
            if tokens[j] in self.actors:
                found = [j]
                while j + 2 < len(tokens) and tokens[j + 1] in _JOINED:
                    if tokens[j + 2] not in self.actors:
                        break
                    j += 2
                    found.append(j)
                return found
        return []

    def entry_deeds(self, entry_id: str) -> tuple[Told, ...]:
        """The deeds an entry states: its answer, label and cited quotes. Its phrasings ask ("Did
        the US broker the earlier ones?") and state nothing, unless the statements never
        mention the deed at all."""
        known = self._entry_deeds.get(entry_id)
        if known is None:
            statements = self.index.entry_statements(entry_id)
            stated = [told for analyzed in statements for told in self.told(analyzed)]
            # A deed the entry's statements never mention is read off its phrasings, whose
            # curators asked it of the doer the entry is about ("Does Turkey admit arming
            # Azerbaijan?" in the entry on Ankara's denial).
            mentioned = {told[0] for told in stated}
            asked = [
                told
                for analyzed in self.index.entry_phrasings(entry_id)
                for told in self.told(analyzed)
                if told[0] not in mentioned
            ]
            known = self._entry_deeds[entry_id] = (*stated, *asked)
        return known

    def told(self, analyzed: Analyzed) -> list[Told]:
        """Each deed of one sentence: the action, its doers and targets (empty when the
        sentence does not say) and the sentence's words. "Russia is Armenia's ally and Turkey
        supports Azerbaijan" is two deeds, not Russia supporting Azerbaijan."""
        tokens = analyzed.tokens
        return [
            (
                token,
                frozenset(tokens[k] for k in self._doers_at(tokens, i, self.aimed)),
                frozenset(tokens[j] for j in self._targets_at(tokens, i)),
                analyzed.content,
            )
            for i, token in enumerate(tokens)
            if token in self.aimed
        ]

    def gap(self, analyzed: Analyzed, entry_id: str) -> Gap | None:
        """The question's doer of a deed the entry gives only to others, as a Gap naming it."""
        return self._gap(analyzed, self.entry_deeds(entry_id))

    def states(self, analyzed: Analyzed, entry_id: str) -> bool:
        """Whether the entry states every deed of the question as done by its doer (not only
        leaves it unsaid)."""
        asked = self._read(analyzed)
        deeds, wanted = asked.deeds, asked.wanted
        if not deeds:
            return False
        told = self.entry_deeds(entry_id)
        # In one sentence, with everything else the question says: "which two truces did
        # Washington broker?" is not stated by "a ceasefire brokered by the US".
        return all(
            any(a == action and doer in doers and wanted <= words for a, doers, _, words in told)
            for (doer, action), _ in deeds
        )

    def sentence_gap(
        self, analyzed: Analyzed, sentence: str, entry_ids: Iterable[str]
    ) -> Gap | None:
        """The same, for an answer from one article sentence and the entries citing it."""
        own = [told for entry_id in entry_ids for told in self.entry_deeds(entry_id)]
        own.extend(self.told(self.index.analyzer.analyze(sentence)))
        return self._gap(analyzed, own)

    def _read_uncached(self, analyzed: Analyzed) -> _Question:
        return _Question(
            self._tied_words(analyzed),
            tuple(self.deeds(analyzed)),
            tuple(self.patients(analyzed)),
            tuple(self.told(analyzed)),
        )

    def _tied_words(self, analyzed: Analyzed) -> frozenset[str]:
        """The question's words that may be tied to a deed: its constraints, and the things
        read as a kind of answer ("villages" is a place), but not the question words ("where")
        nor the parties."""
        free = self.cover.free
        surface = analyzed.surface or analyzed.tokens
        return frozenset(
            t
            for t, typed in zip(analyzed.tokens, surface, strict=False)
            if t in analyzed.content
            and t not in self.actors
            and t not in self.roles  # "the US Secretary of State" names the doer, not the deed
            and (t not in free or (t in self.answer_types and typed.casefold() not in ASKING))
        )

    def _gap(self, analyzed: Analyzed, own: Sequence[Told]) -> Gap | None:
        """A deed of the question that no statement gives its doer, with what the question
        ties to it: "did Azerbaijan shell villages in Lachin?" is not answered by Armenian
        troops shelling villages in Lachin and Azerbaijan firing on positions elsewhere."""
        if not self.aimed.intersection(analyzed.tokens):
            return None  # most questions name no deed: nothing to check, nothing to build
        question = self._read(analyzed)
        wanted = question.wanted
        asked: dict[str, str] = {}  # action -> the doer the question gives it
        for (doer, action), _ in question.deeds:
            asked.setdefault(action, doer)
            stated = [(doers, words) for a, doers, _, words in own if a == action]
            if not any(doers for doers, _ in stated):
                continue  # the article does not say who did it: nor does this check
            # What the question ties to the deed that the entry says of it at all.
            tied = wanted & frozenset().union(*(words for _, words in stated))
            if not any((not doers or doer in doers) and tied <= words for doers, words in stated):
                shown = typed_tokens(analyzed, self.cover.names)[doer]
                return Gap((shown,), (), (), (), doer=shown)
        # ... and to whom: "did Turkey arm Armenia?" is not answered by Turkey arming Azerbaijan.
        # Whom the question says did a targeted deed ("did Hajiyev blame ..."): named in the
        # reply, not used to pick the statements, which may name the accuser otherwise.
        named = {a: min(d) for a, d, _, _ in question.told if d and a not in asked}
        for action, target in question.patients:
            by = asked.get(action)
            aimed = [
                targets
                for a, doers, targets, _ in own
                if a == action and (by is None or not doers or by in doers)
            ]
            if any(aimed) and not any(target in targets for targets in aimed):
                typed = typed_tokens(analyzed, self.cover.names)
                if by:
                    return Gap((typed[target],), (), (), (typed[by],), doer=typed[by])
                who = named.get(action)
                return Gap((typed[target],), (), (), (typed[who],) if who else ())
        return None
