"""The engine the CLI and the bot share: knowledge in, replies out, swapped whole."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.engine.compose import Wording, compose, entry_reply, more_reply, suggestions
from bot.engine.decide import Match
from bot.engine.followup import NEW, Followup, Reading, Topic
from bot.engine.languages import ENGLISH, OTHER, language_of
from bot.engine.match import Matcher
from bot.engine.model import Kind, Knowledge, Option, Reply
from bot.engine.text import words

MAX_QUESTION_CHARS = 1000  # longer text is not a question; matching it only costs time


@dataclass(frozen=True, slots=True)
class _Loaded:
    knowledge: Knowledge
    matcher: Matcher
    followup: Followup

    @classmethod
    def build(cls, knowledge: Knowledge) -> _Loaded:
        matcher = Matcher(knowledge)
        return cls(knowledge, matcher, Followup(knowledge, matcher.analyzer, matcher.cover.free))


class Engine:
    """Answers questions from one knowledge base; ``swap`` replaces it in one assignment.

    A question reads ``self._loaded`` once, so it is answered wholly by the old or the new
    knowledge, never a mix.
    """

    def __init__(self, knowledge: Knowledge) -> None:
        self._loaded = _Loaded.build(knowledge)

    @property
    def knowledge(self) -> Knowledge:
        return self._loaded.knowledge

    def swap(self, knowledge: Knowledge) -> None:
        """Build everything for the new knowledge first, then replace the reference."""
        self._loaded = _Loaded.build(knowledge)

    def adopt(self, other: Engine) -> None:
        """Serve what ``other`` serves, without building it again (it was validated already)."""
        self._loaded = other._loaded

    def collisions(self) -> list[tuple[str, str, str, str]]:
        return self._loaded.matcher.collisions()

    def content_words(self, text: str) -> frozenset[str]:
        """The meaningful words of ``text`` as the matcher reads them (stems, synonyms folded)."""
        return self._loaded.matcher.analyzer.analyze(text).content

    def match(self, text: str) -> Match:
        return self._loaded.matcher.match(text[:MAX_QUESTION_CHARS])

    def ask(self, text: str, hint: str | None = None) -> Reply:
        """The reply to a question, in the language it is written in (``hint``: the asker's
        Telegram language, for short or ambiguous text)."""
        return self.converse(text, hint)[0]

    def converse(
        self, text: str, hint: str | None = None, topic: Topic | None = None
    ) -> tuple[Reply, Topic | None]:
        """The reply to a question that may follow up ``topic`` (what the conversation was
        about: bot/engine/followup.py), and the topic after it. A question that names its
        own subject is answered as if it came first."""
        loaded = self._loaded
        knowledge, matcher, followup = loaded.knowledge, loaded.matcher, loaded.followup
        question = text.strip()
        asked = question[:MAX_QUESTION_CHARS]
        language = matcher.readers.detect(asked, hint)
        if language == OTHER:
            reply = Reply(
                question=question,
                kind=Kind.NO_ANSWER,
                text=knowledge.messages["unsupported_language"],
                options=suggestions(knowledge, []),
            )
            return reply, topic
        if language == ENGLISH:
            english, wording, glossed = asked, Wording.of(knowledge), False
        else:
            wording = Wording.of(knowledge, language)
            small = matcher.readers.smalltalk(language, asked)
            if small is not None:
                match = Match(Kind.SMALLTALK, 1.0, smalltalk=small)
                return compose(knowledge, question, match, wording), topic
            gloss = matcher.readers.gloss(language, asked)
            english, glossed = gloss.english, True
            wording = Wording.of(knowledge, language, gloss.typed)
        reading = followup.read(english, topic) if topic is not None else NEW
        reply, read_as = self._answer(question, english, reading, topic, wording)
        if glossed or read_as != english:
            reply = replace(reply, read_as=read_as)
        return reply, followup.after(
            reply, read_as, topic, reading.follows, english, fresh=reading.fresh
        )

    def follow(self, reply: Reply, topic: Topic | None = None) -> Topic | None:
        """The topic after a reply the user chose rather than asked (a pressed button)."""
        knowledge = self._loaded.knowledge
        entry = knowledge.entries.get(reply.entry or "")
        read = entry.title if entry is not None else reply.question
        return self._loaded.followup.after(reply, read, topic, True)

    def _answer(
        self, question: str, english: str, reading: Reading, topic: Topic | None, wording: Wording
    ) -> tuple[Reply, str]:
        """The reply, and the standalone English question it answers."""
        loaded = self._loaded
        knowledge, matcher = loaded.knowledge, loaded.matcher
        if reading.pick is not None and reading.pick in knowledge.entries:
            entry = knowledge.entries[reading.pick]
            return entry_reply(knowledge, entry, question, wording=wording), entry.title
        if reading.more is not None and topic is not None:
            more = self._more(question, reading.more, topic, wording)
            if more is not None:
                return more
        tries = reading.tries or (english,)
        first: tuple[str, Match] | None = None
        asked_words = frozenset(words(english)) if len(tries) > 1 else frozenset()
        plain: tuple[str, Match] | None = None  # the question read as asked, if tried
        # The first reading to fall back on, when none answers: not an answer found only with
        # the last question's words added that fails the question's own words.
        fallback: tuple[str, Match] | None = None
        padding = f" {topic.context}" if topic is not None and topic.context else None
        chosen: tuple[str, Match] | None = None

        def padded_read(read: str) -> bool:
            return padding is not None and read.endswith(padding)

        for read in tries:
            match = matcher.match(read)
            if read == english:
                plain = (read, match)
            if first is None:
                first = (read, match)
                if match.decision is Kind.SMALLTALK:
                    break  # "thanks": never about the last topic
            if _unanswerable(match, asked_words) or (
                not padded_read(read) and not reading.whole and _not_of_them(match, asked_words)
            ):
                # "what did Iran say about shells near its border?": the question itself names
                # what the article never mentions, so no reading of it can be answered.
                break
            # A reading with the last question's words must still answer every word of the
            # question itself. So a near miss ("what did he say about Iran?") stays the reply
            # unless a reading answers all of it ("whose jets are they?" is about the jets, not
            # about "their" country).
            if match.decision is Kind.ANSWER and (
                read == english or read in reading.whole or matcher.answers(english, match)
            ):
                chosen = (read, match)
                break
            if fallback is None and not (match.decision is Kind.ANSWER and padded_read(read)):
                fallback = (read, match)
        if (
            reading.instead is not None
            and topic is not None
            and chosen is not None
            and chosen[1].candidates
            and chosen[1].candidates[0].entry_id == topic.entry
        ):
            # "what else did he warn?" read as the answer just given: the rest of his words.
            more = self._more(question, reading.instead, topic, wording)
            if more is not None:
                return more
        # No reading answers the question in its own words: an answer found only with the last
        # question's words ("how much did they pay for it?" + "brokered truce") is not one, so
        # the first other reply (a near miss, "the article doesn't say") comes before it.
        read, match = chosen or plain or fallback or first or (english, matcher.match(english))
        if match.decision is Kind.CLARIFY and reading.follows and topic is not None:
            # "on whose positions?" could mean either side's accusations, but the conversation
            # is about one of them: the last answer settles it.
            settled = [c for c in match.candidates if c.entry_id == topic.entry]
            if settled:
                others = tuple(c for c in match.candidates if c.entry_id != topic.entry)
                match = replace(
                    match,
                    decision=Kind.ANSWER,
                    score=settled[0].score,
                    candidates=(*settled, *others),
                )
        read_as = read if read != question else None
        return compose(knowledge, question, match, wording, read_as), read

    def _more(
        self, question: str, person: str, topic: Topic, wording: Wording
    ) -> tuple[Reply, str] | None:
        """ "What else did he say?": the curated entry that quotes most of what the person
        said and was not shown yet, else those quotations themselves; "tell me more" with no
        person in view: the answered entry's first follow-up."""
        loaded = self._loaded
        knowledge, followup = loaded.knowledge, loaded.followup
        if not person:
            entry = knowledge.entries.get(topic.entry or "")
            for next_id in entry.followups if entry else ():
                if next_id in knowledge.entries and next_id != topic.entry:
                    chosen = knowledge.entries[next_id]
                    return entry_reply(knowledge, chosen, question, wording=wording), chosen.title
            return None
        remaining = followup.remaining(person, topic)
        name = followup.names.get(person, person)
        read = f"what else did {name} say"
        if not remaining:
            # All shown already: say so, and list them again for reference.
            every = followup.quotes_of.get(person, [])
            return more_reply(knowledge, question, name, every, wording, everything=True), read
        best = followup.most_remaining(person, topic, remaining)
        if best is not None:
            entry = knowledge.entries[best]
            return entry_reply(knowledge, entry, question, wording=wording), read
        return more_reply(knowledge, question, name, remaining, wording), read

    def reading(self, text: str, hint: str | None = None) -> tuple[str, str]:
        """(the language of ``text``, the English the matcher reads it as)."""
        readers = self._loaded.matcher.readers
        language = readers.detect(text, hint)
        if language in (ENGLISH, OTHER):
            return language, text
        return language, readers.gloss(language, text).english

    def language(self, code: str | None) -> str:
        """A Telegram ``language_code`` as a language the bot answers in ("en" otherwise)."""
        found = language_of(code)
        return (
            found if found is not None and found in self._loaded.knowledge.translations else ENGLISH
        )

    def wording(self, language: str = ENGLISH) -> Wording:
        """The messages, labels and answers of one language (the English where missing)."""
        return Wording.of(self._loaded.knowledge, language)

    def answer_entry(
        self, entry_id: str, question: str | None = None, language: str = ENGLISH
    ) -> Reply | None:
        """The reply for one chosen entry (a pressed button); None when it no longer exists."""
        knowledge = self._loaded.knowledge
        entry = knowledge.entries.get(entry_id)
        if entry is None:
            return None
        wording = Wording.of(knowledge, language)
        return entry_reply(knowledge, entry, question or wording.label(entry), wording=wording)

    def examples(self, n: int = 4, language: str = ENGLISH) -> list[Option]:
        """The curated example questions (validated to be entry ids), at most ``n``."""
        knowledge = self._loaded.knowledge
        wording = Wording.of(knowledge, language)
        ids = list(dict.fromkeys(knowledge.examples))[:n]
        return [Option(e, wording.label(knowledge.entries[e])) for e in ids]


def _not_of_them(match: Match, asked: frozenset[str]) -> bool:
    """Whether ``match`` is a near miss of a reading that named whom the question points at
    ("do Turkey send troops?" for "do they send troops?") and lacks only words the question
    itself asked: the article speaks of them, not of that, so a reading without them must not
    answer it with someone else's troops."""
    gap = match.gap
    if match.decision is not Kind.NEAR_MISS or gap is None or not gap.missing or not asked:
        return False
    if not all(set(words(w)) <= asked for w in gap.missing):
        return False
    return any(not set(words(a)) <= asked for a in gap.anchors)


def _unanswerable(match: Match, asked: frozenset[str]) -> bool:
    """Whether ``match`` found that the question as asked (its words ``asked``) names
    something the article never mentions: every reading of it holds those words."""
    gap = match.gap
    if gap is None or not gap.absent or not asked:
        return False
    return all(set(words(w)) <= asked for w in gap.absent)
