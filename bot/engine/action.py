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

from collections.abc import Iterable

from bot.engine.analyze import Analyzed, stem
from bot.engine.cover import Cover, Gap, typed_tokens
from bot.engine.index import Index

Deed = tuple[str, str]  # (doer, action): ("armenia", "shell")

# A form of "be" or "get" before the verb makes it passive: the actor before it is the target.
_PASSIVE = frozenset({"is", "was", "were", "be", "been", "being", "are", "get", "got", "gets"})
_JOINED = frozenset({"and", "with"})
_BEFORE = 3  # how far back a doer may stand ("Armenian troops began shelling")
_AFTER = 2  # how far "by" may follow the verb ("brokered, by Russia")


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
        # candidate (Index.entry_sentences).
        self._entry_deeds: dict[str, dict[str, frozenset[str]]] = {}

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
        found: list[tuple[Deed, int]] = []
        for i, token in enumerate(tokens):
            if token not in wanted:
                continue
            by = next(
                (j for j in range(i + 1, min(i + 1 + _AFTER, len(tokens))) if tokens[j] in self.by),
                None,
            )
            if by is not None:
                doer = next(
                    (
                        k
                        for k in range(by + 1, min(by + 4, len(tokens)))
                        if tokens[k] in self.actors
                    ),
                    None,
                )
                if doer is not None:
                    found.append(((tokens[doer], token), doer))
                    continue
            if i and tokens[i - 1] in _PASSIVE:
                continue
            for k in range(i - 1, max(i - 1 - _BEFORE, -1), -1):
                if tokens[k] in wanted:
                    break
                if tokens[k] in self.actors:
                    if self.sources.intersection(tokens[max(k - 3, 0) : k]):
                        break  # "according to Baku, ...": whose account, not who did it
                    found.append(((tokens[k], token), k))
                    # "Turkey and Russia negotiate": both do it.
                    while k >= 2 and tokens[k - 1] in _JOINED and tokens[k - 2] in self.actors:
                        k -= 2
                        found.append(((tokens[k], token), k))
                    break
        return found

    def entry_deeds(self, entry_id: str) -> dict[str, frozenset[str]]:
        known = self._entry_deeds.get(entry_id)
        if known is None:
            doers: dict[str, set[str]] = {}
            for analyzed in self.index.entry_sentences(entry_id):
                for (doer, action), _ in self.deeds(analyzed):
                    doers.setdefault(action, set()).add(doer)
            known = self._entry_deeds[entry_id] = {a: frozenset(d) for a, d in doers.items()}
        return known

    def gap(self, analyzed: Analyzed, entry_id: str) -> Gap | None:
        """The question's doer of a deed the entry gives only to others, as a Gap naming it."""
        return self._gap(analyzed, self.entry_deeds(entry_id))

    def sentence_gap(
        self, analyzed: Analyzed, sentence: str, entry_ids: Iterable[str]
    ) -> Gap | None:
        """The same, for an answer from one article sentence and the entries citing it."""
        own: dict[str, set[str]] = {}
        for entry_id in entry_ids:
            for action, doers in self.entry_deeds(entry_id).items():
                own.setdefault(action, set()).update(doers)
        for (doer, action), _ in self.deeds(self.index.analyzer.analyze(sentence)):
            own.setdefault(action, set()).add(doer)
        return self._gap(analyzed, {a: frozenset(d) for a, d in own.items()})

    def _gap(self, analyzed: Analyzed, own: dict[str, frozenset[str]]) -> Gap | None:
        for (doer, action), _ in self.deeds(analyzed):
            others = own.get(action)
            if others and doer not in others:
                typed = typed_tokens(analyzed, self.cover.names)
                return Gap((typed[doer],), (), (), (), doer=typed[doer])
        return None
