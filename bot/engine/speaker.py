""" "What did X say about Y?": Y must be among what the article reports X saying.

An entry can cover every word of such a question and still not answer it: the entry about
Aliyev's warning to third parties also mentions Sarkissian, so "why did Sarkissian warn against
third parties?" shares all its words, but Sarkissian warned nobody. When a question names a
speaker before a verb of speech (say, warn, accuse, call, deny, announce), the rest of it (the
claim) must be covered by that speaker's own words: the quotations and claims quotes.yaml
attributes to them, and the article sentences where they are the one speaking. A speaker is
matched by name or by role and country ("the Azerbaijani president", "Armenia", "Russia's
foreign minister" match Aliyev, Armenia's officials, Lavrov).

The result is a Gap naming the speaker, or None when the article reports the claim (or the
question names no speaker).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.analyze import Analyzed
from bot.engine.cover import Cover, Gap, ordered, typed_tokens
from bot.engine.index import Index
from bot.engine.text import sentences

# A form of "be" or "get" right before the verb makes it passive ("Azerbaijan was accused of
# ..."): the name before it is the target, not the speaker; the speaker, if any, follows "by".
_PASSIVE = frozenset({"is", "was", "were", "be", "been", "being", "are", "get", "got", "gets"})


# Words inside a speaker's name and title: "Secretary of State Mike Pompeo", "Armenia's
# Defense Ministry".
_JOINERS = frozenset({"of", "the", "s"})
# Words that make two names one speaker ("Armenia's president Sarkissian", "Pompeo and Lavrov").
_LINKED = _JOINERS | {"and", "or", "with"}


@dataclass(frozen=True, slots=True)
class Attributed:
    """A question that puts words in someone's mouth: who, and what they are said to say."""

    speaker: frozenset[
        str
    ]  # the speaker's names and roles as tokens ({"aliyev"}, {"president", "azerbaijan"})
    claim: frozenset[str]  # the constraints after the verb


class Speakers:
    """Built once per knowledge (beside Cover): each speaker's own words, as token bags."""

    def __init__(self, index: Index, cover: Cover) -> None:
        self.cover = cover
        language = index.knowledge.language
        analyze = index.analyzer.analyze
        self.speech = language.speech
        self.saying = frozenset(analyze("say").tokens)
        self.warning = frozenset(analyze("warn").tokens)
        self.identities = language.actors | language.roles
        self.markers = language.passive_markers
        self.actors = language.actors
        self.roles = language.roles
        self.people = language.people
        # (who, words): a quotation's speaker and role as tokens, with the quotation's words.
        # Per speaker (as identity tokens), the bags of words of each thing they said.
        self.words: dict[frozenset[str], list[frozenset[str]]] = {}
        quoted: dict[str, frozenset[str]] = {}
        for quote in index.knowledge.quotes.values():
            if not quote.speaker:
                continue
            who = analyze(f"{quote.speaker} {quote.role or ''}").content & self.identities
            quoted[quote.id] = who
            self.words.setdefault(who, []).append(analyze(quote.text).content)
        # An entry that cites only one speaker's words is about what they said: its phrasings
        # are the curators' own account of it ("How did Aliyev respond to Sarkissian?", where
        # the article says only "the call prompted a response").
        for entry in index.knowledge.entries.values():
            whose = {quoted[c.quote_id] for c in entry.citations if c.quote_id in quoted}
            if len(whose) == 1:
                who = whose.pop()
                for text in (*entry.questions, entry.label):
                    self.words.setdefault(who, []).append(analyze(text).content)
        # Article sentences where someone is the one speaking ("Erdogan said on Friday ...",
        # "a response from Azeri President Ilham Aliyev, who warned ...").
        for paragraph in index.knowledge.article.paragraphs:
            for text in sentences(paragraph.text):
                a = analyze(text)
                found = self.attributed(a, nearest=True)
                if found is not None:
                    self.words.setdefault(found.speaker, []).append(a.content)
        self._said = {who: frozenset().union(*bags) for who, bags in self.words.items()}
        self._postings: dict[frozenset[str], dict[str, set[int]]] = {}
        for who, bags in self.words.items():
            postings = self._postings[who] = {}
            for i, bag in enumerate(bags):
                for token in bag:
                    postings.setdefault(token, set()).add(i)

    def attributed(self, analyzed: Analyzed, *, nearest: bool = False) -> Attributed | None:
        tokens = analyzed.tokens
        verb = next((i for i, t in enumerate(tokens) if t in self.speech), None)
        if verb is None:
            return None
        before = tokens[:verb]
        after = tokens[verb + 1 :]
        # "was announced by X", "a response from X": the speaker follows the marker.
        passive = bool(verb) and tokens[verb - 1] in _PASSIVE
        reach = len(after) if passive else 3
        marker = next((i for i, t in enumerate(after[:reach]) if t in self.markers), None)
        if passive or (marker is not None and not self.identities.intersection(before)):
            if marker is None:
                return None
            speaker = frozenset(t for t in after[marker + 1 :] if t in self.identities)
            after = after[:marker]
        elif any(t in self.markers for t in before):
            return None  # "according to Baku, Armenia accused ...": too tangled to read
        elif nearest:
            # In the article's own sentences, the speaker is the name right before the verb
            # ("... its NATO allies, with Secretary of State Mike Pompeo accusing"), not every
            # name before it.
            run: list[str] = []
            for t in reversed(before):
                if t in self.identities:
                    run.append(t)
                elif t not in _JOINERS or run == []:
                    break
            speaker = frozenset(run)
        else:
            named = [i for i, t in enumerate(before) if t in self.identities]
            speaker = frozenset(before[i] for i in named)
            rest = frozenset(after) & analyzed.content
            if (
                len(speaker) > 1
                and not self.cover.constraints(rest)
                and not any(t in _LINKED for t in before[named[0] : named[-1]])
            ):
                # The verb last, as a question in Turkish, Azerbaijani or Armenian reads word by
                # word ("Sarkissian Turkey about what think"): the first name is the speaker,
                # what follows it is what they are asked to have said. A title right after the
                # name is still the speaker ("what did the Armenian defence ministry say"), and
                # so is the person holding it ("the Azerbaijani president Aliyev").
                end = named[0] + 1
                while end < len(before) and (
                    before[end] in self.roles
                    or before[end] in _JOINERS
                    or (before[end] in self.people and before[end - 1] in self.roles)
                ):
                    end += 1
                while end > named[0] + 1 and before[end - 1] in _JOINERS:
                    end -= 1
                speaker = frozenset(t for t in before[named[0] : end] if t in self.identities)
                after = before[end:]
        if not speaker:
            return None
        claimed = frozenset(after) & analyzed.content
        # Other words of speech are part of the claim: "how did Pompeo respond to Ankara's
        # denial?" asks about a denial.
        # ... but not "say" itself: "was it the Americans announcing it, or who else was on
        # the statement?" asks who announced, not what they said about saying.
        # A warning is not any remark: "why did Sarkissian warn against third parties?" asks
        # for a warning of his, and he warned of nothing; Aliyev did.
        claim = self.cover.constraints(claimed) - {tokens[verb]} - speaker - self.saying
        if tokens[verb] in self.warning:
            claim |= {tokens[verb]}
        return Attributed(speaker, claim)

    def gap(self, analyzed: Analyzed) -> Gap | None:
        """What the question says its speaker said that the article does not report them saying."""
        found = self.attributed(analyzed)
        if found is None:
            return None
        whose = [who for who in self.words if self._matches(found.speaker, who)]
        typed = typed_tokens(analyzed, self.cover.names)
        speaker = " ".join(typed[t] for t in ordered(analyzed, found.speaker))
        if not whose:
            # Only a single name that the article never quotes is sure to be nobody's words
            # ("NATO"); "Aliyev's aide", "the Armenian president, not the PM" are read loosely.
            if len(found.speaker) == 1 and found.speaker <= self.actors:
                return Gap((), (), (), (), speaker=speaker)
            return None
        said = frozenset().union(*(self._said[who] for who in whose))
        uncovered = found.claim - said
        if not uncovered or self.cover.tolerable(uncovered, found.claim | found.speaker):
            # What the claim names must come up together, in one thing they said: Aliyev spoke
            # of Turkish jets and of Russian support being hazardous, not of Turkish support
            # being hazardous.
            named = found.claim & (self.cover.names | self.cover.specific)
            if not named or any(self._together(who, named) for who in whose):
                return None
            uncovered = named
        missing = tuple(typed[t] for t in ordered(analyzed, uncovered))
        if uncovered <= self.warning:
            # Only the warning is missing: "The article doesn't say Sarkissian did that."
            return Gap(missing, (), (), (), doer=speaker)
        return Gap(missing, (), (), (), speaker=speaker)

    def _together(self, who: frozenset[str], named: frozenset[str]) -> bool:
        """One thing ``who`` said holds every word of ``named`` (through the postings: a
        speaker of a large knowledge says thousands of things)."""
        postings = self._postings[who]
        found: set[int] | None = None
        for token in named:
            items = postings.get(token)
            if not items:
                return False
            found = set(items) if found is None else found & items
            if not found:
                return False
        return True

    def _matches(self, speaker: frozenset[str], who: frozenset[str]) -> bool:
        """Every name the question gives the speaker, and one of its roles if it gives any."""
        roles = speaker & self.roles
        return speaker - roles <= who and (not roles or bool(roles & who))
