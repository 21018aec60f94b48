"""Plain data for the article, the curated knowledge and the replies built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

HEADLINE = 0  # the "paragraph" number of text found in the headline


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One body paragraph, numbered as a reader counts them (from 1)."""

    number: int
    text: str
    line: int  # line of article.txt where it starts, for error messages


@dataclass(frozen=True, slots=True)
class Article:
    """The one source of facts: its metadata and its numbered body paragraphs."""

    title: str
    publisher: str
    section: str
    url: str | None
    date: str | None
    author: str | None
    paragraphs: tuple[Paragraph, ...]
    file: str = "article.txt"  # its file in the knowledge folder, as article.yaml names it

    def paragraph(self, number: int) -> Paragraph | None:
        if 1 <= number <= len(self.paragraphs):
            return self.paragraphs[number - 1]
        return None


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim quotation or attributed claim from the article, verified on load."""

    id: str
    text: str
    paragraph: int
    speaker: str | None
    role: str | None
    kind: str  # "quote" (direct quotation), "claim" (attributed) or "fact" (the article's voice)


@dataclass(frozen=True, slots=True)
class Citation:
    """What a reply shows as proof: the verbatim text, who said it, and where it stands."""

    quote: str
    paragraph: int  # 0 is the headline
    speaker: str | None
    role: str | None = None
    quote_id: str | None = None

    @property
    def where(self) -> str:
        """ "headline" or "paragraph N", as a reader would say it."""
        return "headline" if self.paragraph == HEADLINE else f"paragraph {self.paragraph}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One curated answer with the phrasings that should reach it."""

    id: str
    questions: tuple[str, ...]
    answer: str
    citations: tuple[Citation, ...]
    followups: tuple[str, ...] = ()
    label: str = ""  # short question shown on buttons; defaults to the first phrasing
    # Contested deeds ("violate") this entry gives both sides' versions of: the answer to a
    # question that takes one side's claim as fact ("why did Baku break the truce?").
    both_sides: tuple[str, ...] = ()
    # Which article the entry is about: "" for the knowledge's own. Word weights are computed
    # per article (bot/engine/match.py), so a knowledge base of many articles keeps each one's
    # sense of which words are telling.
    article: str = ""

    @property
    def title(self) -> str:
        return self.label or self.questions[0]


@dataclass(frozen=True, slots=True)
class SmalltalkIntent:
    """Greetings, thanks, help: conversation that is not a question about the article."""

    id: str
    patterns: tuple[str, ...]
    reply: str


@dataclass(frozen=True, slots=True)
class Translation:
    """A language the bot reads and answers in besides English (``knowledge/<code>.yaml``)."""

    code: str  # "ru", "tr", "az", "hy"
    name: str  # the language's own name ("Русский")
    stopwords: tuple[str, ...]  # words that carry no content
    words: Mapping[str, str]  # a word or phrase (as typed) -> the English words it stands for
    labels: Mapping[str, str]  # entry id -> its button label
    answers: Mapping[str, str]  # entry id -> its answer
    messages: Mapping[str, str]  # the bot's own messages (conversation.yaml keys)
    smalltalk: tuple[SmalltalkIntent, ...] = ()


@dataclass(frozen=True, slots=True)
class Followups:
    """The words that point back at the conversation so far (conversation.yaml ``followups``;
    bot/engine/followup.py). Phrases are folded and space-joined."""

    person: frozenset[str] = frozenset()  # "he", "the guy": the last person talked about
    person_possessive: frozenset[str] = frozenset()  # "his"
    party: frozenset[str] = frozenset()  # "they", "that country": the last party
    party_possessive: frozenset[str] = frozenset()  # "their"
    thing: frozenset[str] = frozenset()  # "it", "that", "the previous ones": the last topic
    it: frozenset[str] = frozenset()  # of those, the ones read with the topic's words first
    ellipsis: frozenset[str] = frozenset()  # "and", "what about": the last question, of another
    more: frozenset[str] = frozenset()  # "tell me more", "what else"
    other: frozenset[str] = frozenset()  # "the other side", "vice versa"
    sides: frozenset[str] = frozenset()  # the two sides of the conflict (actors)
    new_topic: frozenset[str] = frozenset()  # "diff q", "new question": not a follow-up
    ordinals: Mapping[str, int] = field(default_factory=dict)  # "second" -> 2, "last" -> -1
    pick_words: frozenset[str] = frozenset()  # "the", "option", "one": around an ordinal
    pick_nouns: frozenset[str] = frozenset()  # "one", "option": end a pick by name
    reciprocal: frozenset[str] = frozenset()  # "each other": "they" are the two sides
    person_party: frozenset[str] = frozenset()  # "his country": the last person's party
    plural: frozenset[str] = frozenset()  # "they", "their": may mean a group, not one party
    asks_actor: frozenset[str] = frozenset()  # "who", "which": the answer names the referent
    asks: frozenset[str] = frozenset()  # "what", "when", "how": make a few words a question
    opposing: frozenset[str] = frozenset()  # "responded", "disagree": asks for the other side
    identity: frozenset[str] = frozenset()  # "job", "lead": asks who the person is
    side: frozenset[str] = frozenset()  # "side", "camp": "the Azerbaijani side" is Azerbaijan

    @property
    def empty(self) -> bool:
        return not (self.person or self.party or self.thing or self.more or self.ordinals)


@dataclass(frozen=True, slots=True)
class Language:
    """What the matcher needs to know about words: synonyms, filler words, the parties."""

    synonyms: Mapping[str, tuple[str, ...]]  # canonical -> variants (words or phrases)
    case_sensitive: Mapping[str, tuple[str, ...]]  # canonical -> variants matched only as written
    stopwords: frozenset[str]
    actors: frozenset[str]  # canonical words naming parties; their order decides direction
    passive_markers: frozenset[str]  # "by": the actor after it is the agent
    answer_types: frozenset[str] = frozenset()  # who, when, where...: what a question asks for
    roles: frozenset[str] = frozenset()  # titles that belong to someone ("prime minister of X")
    speech: frozenset[str] = frozenset()  # verbs of "who said ...?" questions (say, warn, accuse)
    generic: frozenset[str] = frozenset()  # words that name no constraint (the topic, "stance")
    specific: frozenset[str] = frozenset()  # everyday words that always name a constraint
    people: frozenset[str] = frozenset()  # the actors who are persons ("he" in a follow-up)
    actions: frozenset[str] = frozenset()  # deeds someone does to someone ("broker", "shell")
    source_markers: frozenset[str] = frozenset()  # "according": whose account, not who did it
    contested: frozenset[str] = frozenset()  # deeds each side says the other did ("violate")
    targeted: frozenset[str] = frozenset()  # deeds whose target counts, not their doer ("accuse")


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything the engine serves, validated as a whole."""

    directory: Path
    article: Article
    quotes: Mapping[str, Quote]
    entries: Mapping[str, Entry]
    language: Language
    smalltalk: tuple[SmalltalkIntent, ...]
    messages: Mapping[str, str]
    examples: tuple[str, ...]  # entry ids offered as example questions
    cited_paragraphs: frozenset[int]
    warnings: tuple[str, ...] = ()
    # Languages besides English, by code (knowledge/<code>.yaml; bot/engine/translations.py).
    translations: Mapping[str, Translation] = field(default_factory=dict)
    followups: Followups = field(default_factory=Followups)

    @property
    def coverage(self) -> tuple[int, int]:
        body = {p.number for p in self.article.paragraphs}
        return len(self.cited_paragraphs & body), len(body)


class Kind(StrEnum):
    """What a reply is; also the matcher's decision (bot/engine/decide.py)."""

    ANSWER = "answer"
    # The article covers something related but not what was asked: says so first, then
    # offers the related entry.
    NEAR_MISS = "near_miss"
    CLARIFY = "clarify"
    SMALLTALK = "smalltalk"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True, slots=True)
class Option:
    """A candidate offered by clarify, or a suggestion offered by no_answer."""

    entry_id: str
    question: str


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    publisher: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """The engine's whole answer to one text, as structured data for any front end to render."""

    question: str
    kind: Kind
    text: str  # the answer (or the clarify / no_answer / smalltalk message) without citations
    citations: tuple[Citation, ...] = ()
    options: tuple[Option, ...] = ()  # clarify candidates, or suggestions after no_answer
    entry: str | None = None
    score: float = 0.0
    source: Source | None = None
    followups: tuple[Option, ...] = field(default=())
    related: str | None = None  # near miss: the entry shown as related (it does not answer)
    language: str = "en"  # the language it is worded in ("ru", "tr", "az", "hy")
    # The English question it answers, when that is not the text asked: a question in another
    # language as read, or a follow-up read against the conversation ("what did he want?" ->
    # "what did Armen Sarkissian want?").
    read_as: str | None = None

    def plain_text(self) -> str:
        """The whole reply as a user would read it in plain text (CLI, JSON ``text``)."""
        parts = [self.text]
        if self.citations:
            lines = []
            for c in self.citations:
                who = f" — {c.speaker}" if c.speaker else ""
                lines.append(f"> \u201c{c.quote}\u201d{who} ({c.where})")
            parts.append("\n".join(lines))
        if self.options:
            parts.append("\n".join(f"{i}. {o.question}" for i, o in enumerate(self.options, 1)))
        if self.source and self.citations:
            parts.append(f"Source: {self.source.title}, {self.source.publisher}")
        if self.followups:
            parts.append(
                "You could also ask:\n" + "\n".join(f"- {o.question}" for o in self.followups)
            )
        return "\n\n".join(parts)

    def to_json(self) -> dict[str, object]:
        """The stable public JSON shape of ``python -m bot ask --json``."""
        return {
            "question": self.question,
            "kind": self.kind.value,
            "text": self.plain_text(),
            "citations": [
                {"quote": c.quote, "paragraph": c.paragraph, "speaker": c.speaker}
                for c in self.citations
            ],
            "entry": self.entry,
            "related": self.related,
            "read_as": self.read_as,
            "score": round(self.score, 4),
        }
