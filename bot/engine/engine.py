"""The engine the CLI and the bot share: knowledge in, replies out, swapped whole."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.compose import compose, entry_reply
from bot.engine.load import Knowledge
from bot.engine.match import Match, Matcher
from bot.engine.model import Option, Reply

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

    def ask(self, text: str) -> Reply:
        loaded = self._loaded
        question = text.strip()
        match = loaded.matcher.match(question[:MAX_QUESTION_CHARS])
        return compose(loaded.knowledge, question, match)

    def answer_entry(self, entry_id: str, question: str | None = None) -> Reply | None:
        """The reply for one chosen entry (a pressed button); None when it no longer exists."""
        knowledge = self._loaded.knowledge
        entry = knowledge.entries.get(entry_id)
        if entry is None:
            return None
        return entry_reply(knowledge, entry, question or entry.title)

    def examples(self, n: int = 4) -> list[Option]:
        """The curated example questions (validated to be entry ids), at most ``n``."""
        knowledge = self._loaded.knowledge
        ids = list(dict.fromkeys(knowledge.examples))[:n]
        return [Option(e, knowledge.entries[e].title) for e in ids]
