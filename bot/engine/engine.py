"""The engine the CLI and the bot share: knowledge in, replies out, swapped whole."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.compose import Wording, compose, entry_reply, suggestions
from bot.engine.decide import Match
from bot.engine.languages import ENGLISH, OTHER, language_of
from bot.engine.load import Knowledge
from bot.engine.match import Matcher
from bot.engine.model import Kind, Option, Reply

MAX_QUESTION_CHARS = 1000  # longer text is not a question; matching it only costs time


@dataclass(frozen=True, slots=True)
class _Loaded:
    knowledge: Knowledge
    matcher: Matcher


class Engine:
    """Answers questions from one knowledge base; ``swap`` replaces it in one assignment.

    A question reads ``self._loaded`` once, so it is answered wholly by the old or the new
    knowledge, never a mix.
    """

    def __init__(self, knowledge: Knowledge) -> None:
        self._loaded = _Loaded(knowledge, Matcher(knowledge))

    @property
    def knowledge(self) -> Knowledge:
        return self._loaded.knowledge

    def swap(self, knowledge: Knowledge) -> None:
        """Build everything for the new knowledge first, then replace the reference."""
        self._loaded = _Loaded(knowledge, Matcher(knowledge))

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
        loaded = self._loaded
        knowledge, matcher = loaded.knowledge, loaded.matcher
        question = text.strip()
        asked = question[:MAX_QUESTION_CHARS]
        language = matcher.readers.detect(asked, hint)
        if language == OTHER:
            return Reply(
                question=question,
                kind=Kind.NO_ANSWER,
                text=knowledge.messages["unsupported_language"],
                options=suggestions(knowledge, []),
            )
        if language == ENGLISH:
            return compose(knowledge, question, matcher.match(asked))
        wording = Wording.of(knowledge, language)
        small = matcher.readers.smalltalk(language, asked)
        if small is not None:
            return compose(
                knowledge, question, Match(Kind.SMALLTALK, 1.0, smalltalk=small), wording
            )
        gloss = matcher.readers.gloss(language, asked)
        wording = Wording.of(knowledge, language, gloss.typed)
        return compose(knowledge, question, matcher.match(gloss.english), wording, gloss.english)

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
