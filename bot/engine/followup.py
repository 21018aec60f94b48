"""Follow-up questions, read against the conversation so far.

After each reply the engine keeps a small ``Topic``: the question as it was read, the entry it
got, the last list of choices, the person and the party the exchange was about, and the quotes
already shown. The next question is read against it (``Followup.read``) as one of:

- **a pick** from the last choices: "the second one", "2", "the Pompeo one";
- **more**: "what else did he say?", "tell me more": that person's quotations not shown yet
  (or the answered entry's first follow-up, when no person is in view);
- **a rewrite** into questions that stand alone, tried in order (``Reading.tries``): "what did
  he want?" is "what did Armen Sarkissian want?"; "and Armenia?" is the last question asked of
  Armenia; "why?" is "why" with the last question's words. The engine keeps the first rewrite
  that gets an answer and, when none does, the first one's honest reply, so "what did he say
  about Iran?" is still "the article doesn't mention Iran";
- **a new question**, when it names its own subject and points at nothing before it ("Who is
  Pompeo?" right after a Hajiyev answer): it is read alone, and starts a new topic.

The words that point back (pronouns, "what about", ordinals) are knowledge
(conversation.yaml ``followups``; the actors who are people: synonyms.yaml ``people``). A
question in another language is read in English first, so the same words serve it.

Everything here is pure; ``Memory`` is where front ends keep each conversation's topic.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Generic, TypeVar

from bot.engine.analyze import Analyzed, Analyzer
from bot.engine.model import Kind, Knowledge, Reply
from bot.engine.text import CAPITALISED, words

K = TypeVar("K", bound=Hashable)

EXPIRES_AFTER = 600.0  # seconds: a conversation quiet this long starts afresh
TOPICS_KEPT = 20_000  # conversations remembered at once; the least recently active go first
_QUESTION_CHARS = 300  # of the last question, kept to read "why?" and "and Armenia?" against
_SHOWN_KEPT = 24  # quotation ids remembered as shown
_LEAD = 2  # words before "diff q" that only lead up to it ("ok totally diff q")
_SHORT = 4  # words: a question this short with one word of its own may lean on the last topic


@dataclass(frozen=True, slots=True)
class Topic:
    """What a conversation is about after a reply: the little needed to read what follows."""

    question: str  # the English question last answered, as read (at most _QUESTION_CHARS)
    context: str  # its words that say what it was about, without "who"/"when" ("broke truce")
    entry: str | None = None  # the entry answered (or offered as related)
    options: tuple[str, ...] = ()  # entry ids of the last list of choices, in order
    person: str | None = None  # the actor (synonyms.yaml people) "he" now means
    party: str | None = None  # the actor "they" now means
    shown: tuple[str, ...] = ()  # quotation ids already shown in this conversation
    # What a plural "they" means when it is not one party: two actors ("Armenia and
    # Azerbaijan") or the last question's group named after a party ("the ethnic Armenian
    # separatists"). At most _QUESTION_CHARS characters, taken from the question or answer.
    group: str | None = None
    answered: bool = False  # the party is what the last question asked for ("who supports X?")


@dataclass(frozen=True, slots=True)
class Reading:
    """How to answer a question, given the topic before it."""

    tries: tuple[str, ...] = ()  # standalone English questions, in order; () = as asked
    pick: str | None = None  # an entry chosen from the last choices
    more: str | None = None  # "more" of this person ("" = of the answered entry)
    fresh: bool = False  # the asker started a new topic ("different question: ...")
    # "what else did he warn?": this person's quotations not shown yet, when the reading
    # only repeats the last answer.
    instead: str | None = None
    # Of ``tries``, the ones that stand for the whole question in other words ("who is Nikol
    # Pashinyan?" for "which country does he lead?"): an answer to them needs no check that
    # it holds the question's own words.
    whole: tuple[str, ...] = ()

    @property
    def follows(self) -> bool:
        return not self.fresh and bool(self.tries or self.pick or self.more is not None)


NEW = Reading()


# Folded phrases as word tuples, by their first word, longest first ("what about" before "what"):
# finding them costs one lookup per word of the question.
Phrases = dict[str, tuple[tuple[str, ...], ...]]


def _phrases(items: Iterable[str]) -> Phrases:
    found = sorted({tuple(p.split()) for p in items if p.split()}, key=len, reverse=True)
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in found:
        by_first.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(group) for first, group in by_first.items()}


def _find(said: list[str], phrases: Phrases) -> list[tuple[int, int]]:
    """Where ``phrases`` occur in ``said``, as (start, end) word spans, not overlapping."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(said):
        for phrase in phrases.get(said[i], ()):
            n = len(phrase)
            if tuple(said[i : i + n]) == phrase:
                spans.append((i, i + n))
                i += n
                break
        else:
            i += 1
    return spans


class Followup:
    """Built once per knowledge (beside the Matcher); ``read`` and ``after`` are pure."""

    def __init__(self, knowledge: Knowledge, analyzer: Analyzer, free: frozenset[str]) -> None:
        vocabulary = knowledge.followups
        language = knowledge.language
        self.knowledge = knowledge
        self.analyzer = analyzer
        # The same texts are read more than once per question (reading it, then the topic
        # after its reply; the entries' answers): analysed once. Analyses are immutable.
        self._analyze = lru_cache(maxsize=4096)(analyzer.analyze)
        self.enabled = not vocabulary.empty
        self.people = language.people
        self.actors = language.actors
        self.free = free  # words that name no subject of their own: what, when, generic...
        # What only asks ("what", "when", "where"): not what the last question was about, as
        # "people" and "war" in "how many people died in the war?" are.
        self.asking = frozenset(t for w in vocabulary.asks for t in analyzer.analyze(w).tokens)
        self.answer_types = frozenset(language.answer_types)
        self.speech = frozenset(t for v in language.speech for t in analyzer.analyze(v).content)
        # "what else did he say?" asks for more; "and what do they deny?" asks a question.
        self.saying = frozenset(analyzer.analyze("say").content)
        self.person = _phrases(vocabulary.person)
        self.person_possessive = _phrases(vocabulary.person_possessive)
        self.party = _phrases(vocabulary.party)
        self.party_possessive = _phrases(vocabulary.party_possessive)
        self.thing = _phrases(vocabulary.thing)
        self.it = _phrases(vocabulary.it)
        self.ellipsis = _phrases(vocabulary.ellipsis)
        self.more = _phrases(vocabulary.more)
        self.other = _phrases(vocabulary.other)
        self.sides = vocabulary.sides
        self.new_topic = _phrases(vocabulary.new_topic)
        self.ordinals = vocabulary.ordinals
        self.pick_words = frozenset(vocabulary.pick_words)
        self.pick_nouns = frozenset(vocabulary.pick_nouns)
        self.plural = frozenset(vocabulary.plural)
        self.person_party = _phrases(vocabulary.person_party)
        self.reciprocal = _phrases(vocabulary.reciprocal)
        self.asks_actor = frozenset(vocabulary.asks_actor)
        self.asks = frozenset(vocabulary.asks)
        # As typed: the synonyms read "responded" as "said", which asks nothing of the kind.
        self.opposing = frozenset(vocabulary.opposing)
        self.identity = frozenset(vocabulary.identity)
        self.side = frozenset(t for w in vocabulary.side for t in analyzer.analyze(w).content)
        self.names = self._names(knowledge)
        self.country_of = self._countries(knowledge)
        # Each person's quotations, in article order: what "what else did he say?" may show.
        self.quotes_of: dict[str, list[str]] = {}
        for quote in sorted(knowledge.quotes.values(), key=lambda q: q.paragraph):
            for actor in self._people_in(quote.speaker or ""):
                self.quotes_of.setdefault(actor, []).append(quote.id)
        # ... and the entries citing any of them, in knowledge order: "what else" looks among
        # these only, not through every entry of a large knowledge base.
        speaker_of = {q: a for a, ids in self.quotes_of.items() for q in ids}
        self.cited_by: dict[str, list[str]] = {}
        for entry in knowledge.entries.values():
            for person in dict.fromkeys(
                speaker_of[c.quote_id] for c in entry.citations if c.quote_id in speaker_of
            ):
                self.cited_by.setdefault(person, []).append(entry.id)

    def _names(self, knowledge: Knowledge) -> dict[str, str]:
        """Each actor as the article most often writes it ("Hikmet Hajiyev", "Turkey"): what a
        rewritten question calls them."""
        seen: dict[str, Counter[str]] = {}
        texts = [q.speaker for q in knowledge.quotes.values() if q.speaker]
        for paragraph in knowledge.article.paragraphs:
            texts.extend(CAPITALISED.findall(" " + paragraph.text))
        for text in texts:
            analyzed = self._analyze(text)
            found = [t for t in analyzed.tokens if t in self.actors]
            if len(set(found)) == 1 and len(analyzed.content) <= 3:
                seen.setdefault(found[0], Counter())[text] += 1
        return {
            actor: (seen[actor].most_common(1)[0][0] if actor in seen else actor.title())
            for actor in self.actors
        }

    def _countries(self, knowledge: Knowledge) -> dict[str, str]:
        """Each person's party: the one the article and the answers most often name just
        before them ("Armenia's Prime Minister Nikol Pashinyan"): what "his country" means."""
        seen: dict[str, Counter[str]] = {}
        texts = [p.text for p in knowledge.article.paragraphs]
        texts.extend(e.answer for e in knowledge.entries.values())
        for text in texts:
            tokens = self._analyze(text).tokens
            for i, token in enumerate(tokens):
                if token not in self.people:
                    continue
                near = [t for t in tokens[max(0, i - 4) : i] if t in self.actors]
                if near and near[-1] not in self.people:
                    seen.setdefault(token, Counter())[near[-1]] += 1
        return {person: found.most_common(1)[0][0] for person, found in seen.items()}

    def _people_in(self, text: str) -> list[str]:
        return [a for a in self._analyze(text).actors if a in self.people]

    # --- reading a question against the topic ---------------------------------------------

    def read(self, english: str, topic: Topic | None) -> Reading:
        """How to answer ``english`` (the question, in English) after ``topic``."""
        if not self.enabled:
            return NEW
        said = words(english)
        fresh = _find(said, self.new_topic)
        if fresh:
            # "ok diff q, who is armen sarkissian": a new topic, asked without those words,
            # nor the few before them that only lead up to it ("ok so sorry, diff q: ...").
            begin, end = fresh[0]
            lead = said[:end] if begin <= _LEAD else said[begin:end]
            spans = [lead] + [said[x:y] for x, y in fresh[1:]]
            return Reading(tries=(_strip(english, spans),), fresh=True)
        if topic is None or not said:
            return NEW
        picked = self._pick(said, topic)
        if picked is not None:
            return Reading(pick=picked)
        his_country = _find(said, self.person_party)
        if his_country and topic.person in self.country_of:
            # "what does his country want?" after Erdogan: Turkey's, read as a question of
            # its own with the last one's words to fall back on.
            country = self._name(self.country_of[topic.person])
            named = _replace_spans(english, said, his_country, country)
            return Reading(tries=(named, f"{named} {topic.context}".strip()))
        analyzed = self._analyze(english)
        own = analyzed.actors
        subject = analyzed.content - self.free - self.speech
        he = _find(said, self.person) + _find(said, self.person_possessive)
        they = _find(said, self.party) + _find(said, self.party_possessive)
        it = _find(said, self.thing)
        other = _find(said, self.other)
        elliptic = _find(said, self.ellipsis)
        starts_elliptic = bool(elliptic) and elliptic[0][0] == 0
        context = topic.context

        def with_context(text: str) -> str:
            return f"{text} {context}".strip()

        if other:
            # "and the other side?", "the other way round?"
            turned = self._other_side(topic)
            if turned is not None:
                return Reading(tries=(turned, with_context(english)))
        if not own and said[0] in self.asks_actor and self.opposing.intersection(said):
            answering = self._answering_side(topic, person=bool(he), party=bool(they))
            if answering is not None:
                # "who responded to him?" after Sarkissian's call: the other side's words.
                return Reading(tries=(*answering, with_context(english)), whole=answering)
        asks_more = not (analyzed.content & self.speech) - self.saying
        # "and?" alone asks for more; "and when?" asks a question of the last topic.
        more = [
            (a, b)
            for a, b in _find(said, self.more)
            if b - a == len(said) or tuple(said[a:b]) not in self.ellipsis.get(said[a], ())
        ]
        if more and not own and not subject and not other and asks_more:
            # "what else did he say?", "tell me more", "and?"
            person = topic.person if not they else None
            return Reading(more=person or "")
        # "and the Azerbaijani side?": the side is the party itself.
        own_subject = subject - set(own) - self.side if own else subject
        # "azerbaijan's?", "Turkey?": nothing but a name is the last question, of them, as
        # "and Armenia?" is.
        bare = bool(own) and not own_subject and not it and not self.asks.intersection(said)
        if (starts_elliptic or bare) and own and not he and not they:
            # "and Armenia?", "what about Turkey's president?": the last question, of them.
            asked = _strip_start(english, self.ellipsis)
            if own_subject:
                # "and what did Armenia say about the jets?": a question of its own, with the
                # last one's words to fall back on.
                return Reading(tries=(english, with_context(english)))
            if len(own) == 1 and subject - set(own):
                # "the Azerbaijani side" is Azerbaijan, as the article names it.
                asked = self._name(own[0])
            swapped = self._swap(topic.question, asked.rstrip("?!. "), own)
            if analyzed.content & self.speech and len(own) == 1:
                # "and Erdogan's comments?": what they said, then the last question of them.
                return Reading(tries=(f"what did {self._name(own[0])} say", swapped))
            # Only the swapped question: if the article doesn't say that of them, that is the
            # honest reply ("And the US?" after which side Turkey is close to).
            return Reading(tries=(swapped,))
        # "who is Ilham Aliyev and what's his line?": "his" is the person the question names,
        # but in "when did they break from Azerbaijan?" "they" is not Azerbaijan: a pronoun
        # after a name of its kind means that name, one before it means someone earlier.
        if own and he:
            he = [span for span in he if not self._bound(said, span, people=True)]
        if own and they:
            they = [span for span in they if not self._bound(said, span, people=False)]
        if he or they:
            plural = any(w in self.plural for a, b in they for w in said[a:b])
            if plural and len(self.sides) == 2 and _find(said, self.reciprocal):
                # "what do they accuse each other of?": the two sides, whoever came last.
                a, b = sorted(self.sides)
                topic = replace(topic, group=f"{self._name(a)} and {self._name(b)}")
            rewritten = self._substitute(
                english, topic, person=bool(he), party=bool(they), plural=plural
            )
            grouped = plural and topic.group is not None
            instead = topic.person if he and _find(said, self.more) else None
            if rewritten != english:
                if (
                    they
                    and not he
                    and not grouped
                    and (not topic.answered or bool(it))
                    and not self._named(topic, topic.party)
                ):
                    # "who brokered them?" after the previous ceasefires: the country came
                    # from the answer, not the asker, so "them" is first what was asked about;
                    # but "who is their president?" after "who supports Azerbaijan?" asks of
                    # the answer, unless the question also points at the last topic ("did
                    # they stick to it?").
                    return Reading(tries=(with_context(english), rewritten))
                tries = (rewritten, with_context(rewritten), with_context(english))
                if he and not they and topic.person and self.identity.intersection(said):
                    # "which country does he lead?": who he is, when nothing says more.
                    who = f"who is {self._name(topic.person)}"
                    return Reading(tries=(rewritten, who, *tries[1:]), whole=(who,))
                return Reading(tries=tries, instead=instead)
        if own and not it:
            return NEW  # names its own subject: "Who is Pompeo?"
        if (
            topic.entry is not None
            and self.asks_actor.intersection(said)
            and not subject
            and not he
            and not they
            and (
                (said[0] in self.asks_actor and it and analyzed.content & self.speech)
                or not analyzed.content - self.asking
            )
        ):
            # "who says that?", "who made that claim?": the last answer, which says whose
            # words they are; read alone, "that" would be anyone's words. "by whom?" asks
            # only who did what the last answer tells, which it says.
            return Reading(pick=topic.entry)
        if _find(said, self.it) and not own and len(subject) <= 1:
            # "who shelled it?" after Terter: "it" is the last topic, so its words come first;
            # not in a question with a subject of its own ("why is it called a humanitarian
            # ceasefire?").
            return Reading(tries=(with_context(english), english))
        if starts_elliptic and subject:
            # "and about the negotiations?" after Erdogan: the last topic's words first; the
            # question alone only when they don't answer it.
            return Reading(tries=(with_context(english), english))
        if (analyzed.content and not subject) or starts_elliptic:
            # "the previous ones?", "why?", "when?": the last topic's words.
            return Reading(tries=(english, with_context(english)))
        if (
            1 < len(said) <= _SHORT
            and self.asks.intersection(said)
            and len(subject) == 1
            and not own
        ):
            # "in what case?", "when did that start?": a few words, or words pointing back,
            # with one of their own and nothing named are about the last topic first; the
            # question alone to fall back on.
            return Reading(tries=(with_context(english), english))
        return NEW

    def _bound(self, said: list[str], span: tuple[int, int], *, people: bool) -> bool:
        """Whether the pronoun at ``span`` follows a name of its kind (a person for "he", a
        party for "they") in the question itself, and so means that name."""
        before = self._analyze(" ".join(said[: span[0]])).actors if span[0] else ()
        return any((a in self.people) == people for a in before)

    def _named(self, topic: Topic, actor: str | None) -> bool:
        """Whether the asker named ``actor`` in the last question (not only its answer)."""
        return actor is not None and actor in self._analyze(topic.question).actors

    def _other_side(self, topic: Topic) -> str | None:
        """The last question turned round: its two actors swapped, or its side replaced by
        the other side ("what does Armenia say?" -> "what does Azerbaijan say?")."""
        analyzed = self._analyze(topic.question)
        tokens, surface = analyzed.tokens, list(analyzed.surface or analyzed.tokens)
        positions = [i for i, t in enumerate(tokens) if t in self.actors]
        distinct = list(dict.fromkeys(tokens[i] for i in positions))
        if len(distinct) == 2:
            a, b = distinct
            typed = {a: self.names.get(b, b), b: self.names.get(a, a)}
            return _joined(typed.get(t, s) for t, s in zip(tokens, surface, strict=False))
        sides = sorted(self.sides)
        side = next((t for t in distinct if t in self.sides), None)
        if side is None and topic.party in self.sides:
            return f"{topic.question.rstrip('?!. ')} {self._name(_opposite(sides, topic.party))}"
        if side is None:
            return None
        name = self._name(_opposite(sides, side))
        return _joined(name if t == side else s for t, s in zip(tokens, surface, strict=False))

    def _answering_side(self, topic: Topic, *, person: bool, party: bool) -> tuple[str, ...] | None:
        """What the other side says about the last topic: who answered the one asked about
        (the last person, or the last party; their side, or the country the article gives
        them)."""
        if person:
            referent = topic.person
        elif party:
            referent = topic.party
        else:
            referent = topic.person or topic.party
        if referent is None or len(self.sides) != 2:
            return None
        side = referent if referent in self.sides else self.country_of.get(referent)
        if side not in self.sides:
            return None
        other = self._name(_opposite(sorted(self.sides), side))
        analyzed = self._analyze(topic.question)
        surface = analyzed.surface or analyzed.tokens
        keep = analyzed.content - self.free - self.speech
        rest = [
            s
            for t, s in zip(analyzed.tokens, surface, strict=False)
            if t in keep and not (t in self.actors and (t in self.people or t == side))
        ]
        plain = f"what does {other} say"
        if not rest:
            return (plain,)
        return (f"{plain} about {' '.join(rest)}", plain)

    def _name(self, actor: str) -> str:
        return self.names.get(actor, actor)

    def _pick(self, said: list[str], topic: Topic) -> str | None:
        """An entry of the last choices: by its number, or by a word only its label has."""
        if not topic.options:
            return None
        rest = [w for w in said if w not in self.pick_words]
        n = self.ordinals.get(" ".join(rest)) if rest else None
        if n is not None:
            index = n - 1 if n > 0 else len(topic.options) + n
            if 0 <= index < len(topic.options):
                return topic.options[index]
            return None
        # "the Pompeo one": what is left names one option only. Not a question of its own.
        if not rest or said[-1] not in self.pick_nouns or len(rest) > 3:
            return None
        wanted = self._analyze(" ".join(rest)).content - self.free
        if not wanted:
            return None
        entries = self.knowledge.entries
        fitting = [
            option
            for option in topic.options
            if option in entries and wanted <= self._analyze(entries[option].title).content
        ]
        return fitting[0] if len(fitting) == 1 else None

    def _substitute(
        self, english: str, topic: Topic, *, person: bool, party: bool, plural: bool = False
    ) -> str:
        """Pronouns replaced by whom they stand for: "what did he want?" -> "what did Armen
        Sarkissian want?", "their president" -> "Turkey's president"."""
        said = english.split()
        folded = [" ".join(words(w)) for w in said]
        he = topic.person if person else None
        they = topic.party if party else None
        group = topic.group if party and plural else None
        if group is not None:
            they = group
        swaps: list[tuple[Phrases, str | None, bool]] = [
            (self.person_possessive, he, True),
            (self.person, he, False),
            (self.party_possessive, they, True),
            (self.party, they, False),
        ]
        out: list[str] = []
        named: set[str] = set()
        i = 0
        while i < len(said):
            for phrases, actor, possessive in swaps:
                if actor is None:
                    continue
                hit = next(
                    (p for p in phrases.get(folded[i], ()) if tuple(folded[i : i + len(p)]) == p),
                    None,
                )
                if hit is not None and len(hit) > 1 and actor in named:
                    # "is he the guy who ...?": "the guy" after "he" describes him; kept.
                    hit = None
                if hit is not None:
                    named.add(actor)
                    name = actor if actor == group else self.names.get(actor, actor)
                    tail = said[i + len(hit) - 1][len(folded[i + len(hit) - 1]) :]
                    out.append((f"{name}'s" if possessive else name) + tail)
                    i += len(hit)
                    break
            else:
                out.append(said[i])
                i += 1
        return " ".join(out)

    def _swap(self, question: str, asked: str, own: tuple[str, ...]) -> str:
        """The last question asked of someone else: its actor of the same kind (a person for
        a person) replaced by what was asked ("Who is Hikmet Hajiyev?" + "Armenia's
        president" -> "Who is Armenia's president?")."""
        analyzed = self._analyze(question)
        tokens, surface = analyzed.tokens, analyzed.surface or analyzed.tokens
        wanted_person = own[0] in self.people
        positions = [i for i, t in enumerate(tokens) if t in self.actors]
        same = [i for i in positions if (tokens[i] in self.people) == wanted_person]
        if not positions:
            return f"{question.rstrip('?!. ')} {asked}"
        target = (same or positions)[0]
        phrase = asked
        if target + 1 < len(surface) and surface[target + 1] == "s":
            # "Azerbaijan's?" for "Armenia's president": the question has its "'s" already.
            phrase = re.sub(r"['’]s$", "", phrase)
        gone = {i for i in positions if tokens[i] == tokens[target]}
        out = [
            phrase if i == target else s for i, s in enumerate(surface) if i not in gone - {target}
        ]
        return _joined(out)

    # --- after a reply ----------------------------------------------------------------------

    def after(
        self,
        reply: Reply,
        english: str,
        topic: Topic | None,
        follows: bool,
        asked: str | None = None,
        fresh: bool = False,
    ) -> Topic | None:
        """The topic after ``reply`` to ``english`` (as read); ``follows``: the question
        continued ``topic`` rather than starting anew; ``asked``: the English question as
        asked, when it was read otherwise (the last question's words added); ``fresh``: the
        asker said a new topic starts."""
        if reply.kind is Kind.SMALLTALK:
            return topic
        if (
            follows
            and topic is not None
            and reply.kind is Kind.NO_ANSWER
            and not self._analyze(english).content - self.free - self.speech
        ):
            # "by whom?" unanswered, with no subject of its own: the conversation is still
            # about what came before, so "and when?" next is read against that.
            return topic
        before = topic if follows else None
        analyzed = self._analyze(english)
        named = analyzed.actors
        entry = reply.entry or reply.related
        known = self.knowledge.entries.get(entry) if entry else None
        answer_text = known.answer if known else ""
        speakers = [a for c in reply.citations for a in self._people_in(c.speaker or "")]
        # Only an answer the reply shows names who "he" is next: a bare "the article doesn't
        # say how many ..." shows no entry, so its people were never seen.
        in_answer = self._analyze(answer_text).actors if answer_text and reply.citations else ()
        # "Who supports Azerbaijan?": the subject of the answer's clause about it ("Turkey
        # supports Azerbaijan") is what "they" means next, not the party asked about; after
        # "who are they allied with?" it is still "they" ("Russia is a close ally of ...").
        own = self._analyze(asked) if asked is not None else analyzed
        asks = bool(self.asks_actor.intersection(words(asked or english)))
        clause = self._answering(answer_text, own) if asks else None
        answered = _in_order(clause, self.actors) if clause is not None else ()
        # A question of its own that names and shows no one leaves "he" as it was: after
        # "what did Aliyev threaten?", "how many F-16s does Turkey have?" is still no one else.
        kept = before or (None if fresh else topic)
        person = next(
            (a for a in (*answered, *named, *speakers, *in_answer) if a in self.people),
            kept.person if kept else None,
        )
        new_party = next((a for a in answered if a not in self.people), None)
        whose = {c.speaker for c in reply.citations}
        if asks and len(whose) == 1 and None not in whose:
            # "Who said Armenia shelled villages?": the one who said it (the quotation's
            # speaker, "Azerbaijan's Defense Ministry") is "they" next, not Armenia.
            said_by = self._analyze(next(iter(whose)) or "").actors
            new_party = next((a for a in said_by if a not in self.people), new_party)
        party = next(
            (a for a in (new_party, *named, *in_answer) if a and a not in self.people),
            before.party if before else None,
        )
        group = self._group(analyzed, party)
        if new_party is not None and clause is not None:
            group = self._pair(clause) or group
        elif group is None:
            group = self._pair(analyzed)
        if group is None and before is not None and party == before.party:
            group = before.group
        shown = tuple(
            dict.fromkeys(
                (
                    *(before.shown if before else ()),
                    *(c.quote_id for c in reply.citations if c.quote_id),
                )
            )
        )[-_SHOWN_KEPT:]
        options = tuple(o.entry_id for o in (reply.options or reply.followups))
        question = english[:_QUESTION_CHARS]
        return Topic(
            question=question,
            context=self._context(analyzed),
            entry=entry,
            options=options,
            person=person,
            party=party,
            shown=shown,
            group=group,
            answered=new_party is not None and new_party not in named,
        )

    def _answering(self, answer: str, question: Analyzed) -> Analyzed | None:
        """The answer's clause about the question: the one sharing most words with it
        ("Turkey supports Azerbaijan" for "who supports Azerbaijan?")."""
        wanted = question.content - self.free
        best: Analyzed | None = None
        most = 0
        for clause in _CLAUSES.split(answer):
            analyzed = self._analyze(clause)
            shared = len(analyzed.content & wanted)
            if shared > most:
                most, best = shared, analyzed
        return best

    def _pair(self, text: Analyzed) -> str | None:
        """The two sides, when ``text`` joins them ("the foreign ministers of Armenia and
        Azerbaijan"): what a plural "they" means next ("did they stick to it?")."""
        tokens = text.tokens
        for i in range(len(tokens) - 2):
            a, joint, b = tokens[i : i + 3]
            if joint == "and" and a != b and a in self.sides and b in self.sides:
                return f"{self._name(a)} and {self._name(b)}"
        return None

    def _group(self, text: Analyzed, party: str | None) -> str | None:
        """A group the question names after ``party`` ("the ethnic Armenian separatists",
        "the Armenian defence ministry"): what a plural "they" means next, rather than the
        party itself ("when did they break from Azerbaijan?")."""
        tokens, surface = text.tokens, text.surface or text.tokens
        content, stop = text.content - self.free - self.speech, self.actors
        for i, token in enumerate(tokens):
            if token != party:
                continue
            typed = surface[i].lower()
            if typed == self._name(token).lower() or " " in typed:
                continue  # "Armenia" itself or "Armenia-backed", not "Armenian"
            start = i
            while start > 0 and tokens[start - 1] in content and tokens[start - 1] not in stop:
                start -= 1
            end = i + 1
            while end < len(tokens) and end - i <= 2:
                if tokens[end] not in content or tokens[end] in stop:
                    break
                end += 1
            if end > i + 1:
                return "the " + " ".join(surface[start:end])
        return None

    def _context(self, analyzed: Analyzed) -> str:
        surface = analyzed.surface or analyzed.tokens
        kept = [
            s
            for t, s in zip(analyzed.tokens, surface, strict=False)
            if t in analyzed.content and not self._asks_only(t, s)
        ]
        return " ".join(kept)

    def _asks_only(self, token: str, typed: str) -> bool:
        """Whether a word only asks ("where", "who"), rather than names what was asked about
        ("war", "people"). A word the synonyms read as a kind of answer ("villages" as a
        location) is left out too: kept, it would make "how come?" ask for a place."""
        return token in self.asking or token in self.answer_types

    def remaining(self, person: str, topic: Topic) -> list[str]:
        """The person's quotations not shown yet in this conversation, in article order."""
        return [q for q in self.quotes_of.get(person, []) if q not in topic.shown]

    def most_remaining(self, person: str, topic: Topic, remaining: list[str]) -> str | None:
        """The entry, other than the topic's, citing most of ``remaining`` (the first such in
        knowledge order); None when no entry cites any of them."""
        entries = self.knowledge.entries
        best, count = None, 0
        for entry_id in self.cited_by.get(person, ()):
            if entry_id == topic.entry:
                continue
            n = sum(1 for c in entries[entry_id].citations if c.quote_id in remaining)
            if n > count:
                best, count = entry_id, n
        return best


_CLAUSES = re.compile(r"[,.;:!?()]+|\s(?:while|but|whereas)\s")


def _in_order(text: Analyzed, actors: frozenset[str]) -> tuple[str, ...]:
    """The actors of ``text`` as written, first first (its subject, mostly)."""
    return tuple(dict.fromkeys(t for t in text.tokens if t in actors))


def _pattern(phrase: Iterable[str]) -> str:
    return r"\W*".join(re.escape(w) for w in phrase)


def _strip(text: str, phrases: list[list[str]]) -> str:
    """``text`` without the typed ``phrases`` (folded words), its case kept ("US" stays)."""
    for phrase in phrases:
        text = re.sub(rf"(?i)(?<!\w){_pattern(phrase)}(?!\w)[\s,.:;!?-]*", " ", text, count=1)
    return " ".join(text.split())


def _strip_start(text: str, phrases: Phrases) -> str:
    """``text`` without the phrase it starts with ("and", "what about"), case kept."""
    for phrase in (p for group in phrases.values() for p in group):
        found = re.match(rf"(?i)\W*{_pattern(phrase)}(?!\w)\W*", text)
        if found:
            return text[found.end() :].rstrip("?!. ")
    return text


def _replace_spans(text: str, said: list[str], spans: list[tuple[int, int]], by: str) -> str:
    """``text`` with the typed words at ``spans`` (of ``said``) replaced by ``by``."""
    for a, b in spans:
        text = re.sub(rf"(?i)(?<!\w){_pattern(said[a:b])}(?!\w)", by, text, count=1)
    return text


def _joined(surface: Iterable[str]) -> str:
    """Words as a question again: the analyser's possessive "s" back on its word."""
    return re.sub(r"(\w) s\b", r"\1's", " ".join(surface))


def _opposite(sides: list[str], side: str | None) -> str:
    return sides[1] if side == sides[0] else sides[0]


class Memory(Generic[K]):
    """Each conversation's topic, by key (a chat; a user in a group; a thread): least recently
    active forgotten first beyond ``size``, and forgotten after ``ttl`` seconds of quiet.
    Thread-safe (the bot reads it from its engine thread too)."""

    def __init__(
        self, size: int = TOPICS_KEPT, ttl: float = EXPIRES_AFTER, clock: object = None
    ) -> None:
        self.size = size
        self.ttl = ttl
        self._clock = clock if callable(clock) else time.monotonic
        self._items: OrderedDict[K, tuple[float, Topic]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> Topic | None:
        now = self._clock()
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            at, topic = found
            if now - at > self.ttl:
                del self._items[key]
                return None
            return topic

    def put(self, key: K, topic: Topic | None) -> None:
        now = self._clock()
        with self._lock:
            if topic is None:
                self._items.pop(key, None)
                return
            self._items[key] = (now, topic)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            # Expired topics at the old end go too, so a quiet bot holds nothing for long.
            while self._items:
                oldest = next(iter(self._items.values()))[0]
                if now - oldest <= self.ttl:
                    break
                self._items.popitem(last=False)
