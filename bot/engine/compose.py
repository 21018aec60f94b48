"""A match to the reply a user sees, as structured data (front ends render it), in the asker's
language: curated answers, labels and messages from ``knowledge/<code>.yaml`` where they are
translated (the English where not, saying so), quotations always verbatim in English."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.engine.decide import Match
from bot.engine.languages import ENGLISH
from bot.engine.model import (
    Citation,
    Entry,
    Kind,
    Knowledge,
    Option,
    Reply,
    SmalltalkIntent,
    Source,
)
from bot.engine.thresholds import Thresholds

SUGGESTIONS = 3
THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Wording:
    """The words of one reply: its language's messages, answers and labels."""

    language: str
    messages: Mapping[str, str]  # every key: the translation's, else the English
    answers: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    smalltalk: Mapping[str, str] = field(default_factory=dict)  # intent id -> reply
    typed: Mapping[str, str] = field(default_factory=dict)  # English word read -> as typed

    @classmethod
    def of(
        cls, knowledge: Knowledge, language: str = ENGLISH, typed: Mapping[str, str] | None = None
    ) -> Wording:
        translation = knowledge.translations.get(language)
        if translation is None:
            return cls(ENGLISH, knowledge.messages)
        return cls(
            language,
            {**knowledge.messages, **translation.messages},
            translation.answers,
            translation.labels,
            {i.id: i.reply for i in translation.smalltalk},
            typed or {},
        )

    def answer(self, entry: Entry) -> str:
        if self.language == ENGLISH:
            return entry.answer
        translated = self.answers.get(entry.id)
        if translated is None:
            return f"{self.messages['untranslated']}\n\n{entry.answer}"
        if entry.citations:
            return f"{translated}\n\n{self.messages['quotes_in_english']}"
        return translated

    def label(self, entry: Entry) -> str:
        return self.labels.get(entry.id, entry.title)

    def small(self, intent: SmalltalkIntent) -> str:
        return self.smalltalk.get(intent.id, intent.reply)


def _fill(template: str, knowledge: Knowledge) -> str:
    article = knowledge.article
    return template.replace("{title}", article.title).replace("{publisher}", article.publisher)


def _source(knowledge: Knowledge) -> Source:
    a = knowledge.article
    return Source(a.title, a.publisher, a.url)


def entry_reply(
    knowledge: Knowledge,
    entry: Entry,
    question: str,
    score: float = 1.0,
    wording: Wording | None = None,
) -> Reply:
    """The reply for one curated entry, with its citations and follow-ups."""
    wording = wording or Wording.of(knowledge)
    return Reply(
        question=question,
        kind=Kind.ANSWER,
        text=wording.answer(entry),
        citations=entry.citations,
        entry=entry.id,
        score=score,
        source=_source(knowledge),
        followups=_followups(knowledge, entry, wording),
        language=wording.language,
    )


def _followups(knowledge: Knowledge, entry: Entry | None, wording: Wording) -> tuple[Option, ...]:
    if entry is None:
        return ()
    return tuple(
        Option(f, wording.label(knowledge.entries[f]))
        for f in entry.followups
        if f in knowledge.entries
    )


def _related(
    knowledge: Knowledge,
    question: str,
    missing: str,
    shown: str,
    citations: tuple[Citation, ...],
    related: str | None,
    score: float,
    wording: Wording,
) -> Reply:
    """A near miss shown in full: what the article does not say, then, labelled as related,
    what it does, with its quotes."""
    return Reply(
        question=question,
        kind=Kind.NEAR_MISS,
        text=f"{missing} {wording.messages['related']}\n\n{shown}",
        citations=citations,
        score=score,
        source=_source(knowledge),
        related=related,
        language=wording.language,
    )


def suggestions(
    knowledge: Knowledge, related: list[str], wording: Wording | None = None
) -> tuple[Option, ...]:
    """A few things the article does cover: related entries first, then the curated examples."""
    wording = wording or Wording.of(knowledge)
    ids: list[str] = []
    for entry_id in [*related, *knowledge.examples]:
        if entry_id in knowledge.entries and entry_id not in ids:
            ids.append(entry_id)
    return tuple(Option(i, wording.label(knowledge.entries[i])) for i in ids[:SUGGESTIONS])


def compose(
    knowledge: Knowledge,
    question: str,
    match: Match,
    wording: Wording | None = None,
    read_as: str | None = None,
) -> Reply:
    """The reply to ``question``; ``read_as`` is the English it was read as (a question in
    another language, whose words ``wording.typed`` maps back to what was typed)."""
    wording = wording or Wording.of(knowledge)
    read = read_as or question
    messages = wording.messages
    if match.decision is Kind.SMALLTALK and match.smalltalk is not None:
        return Reply(
            question=question,
            kind=Kind.SMALLTALK,
            text=_fill(wording.small(match.smalltalk), knowledge),
            score=match.score,
            options=suggestions(knowledge, [], wording) if match.smalltalk.id == "help" else (),
            language=wording.language,
        )
    if match.said is not None:
        return said_reply(knowledge, question, match, wording)
    if match.decision is Kind.ANSWER and match.sentence is not None:
        paragraph, sentence = match.sentence
        citation = Citation(quote=sentence, paragraph=paragraph, speaker=None)
        text = messages["from_article"].replace("{n}", str(paragraph))
        return Reply(
            question=question,
            kind=Kind.ANSWER,
            text=text,
            citations=(citation,),
            entry=None,
            score=match.score,
            source=_source(knowledge),
            language=wording.language,
        )
    if match.decision is Kind.ANSWER:
        top = match.candidates[0]
        return entry_reply(knowledge, knowledge.entries[top.entry_id], question, top.score, wording)
    if match.decision is Kind.NEAR_MISS and match.gap is not None and match.candidates:
        return near_miss_reply(knowledge, question, match, wording, read)
    if match.decision is Kind.CLARIFY:
        options = tuple(
            Option(c.entry_id, wording.label(knowledge.entries[c.entry_id]))
            for c in match.candidates
        )
        return Reply(
            question=question,
            kind=Kind.CLARIFY,
            text=messages["clarify"],
            options=options,
            score=match.score,
            language=wording.language,
        )
    related = [c.entry_id for c in match.candidates[:2] if c.score >= THRESHOLDS.related]
    text = _fill(messages["no_answer"], knowledge)
    if match.gap is not None and match.gap.absent:
        # "The article doesn't mention China." says more than "doesn't say anything about that".
        named = messages["no_answer_named"].replace(
            "{missing}", match.gap.describe(read, messages, wording.typed)
        )
        text = _fill(named, knowledge)
    return Reply(
        question=question,
        kind=Kind.NO_ANSWER,
        text=text,
        options=suggestions(knowledge, related, wording),
        score=match.score,
        language=wording.language,
    )


def near_miss_reply(
    knowledge: Knowledge, question: str, match: Match, wording: Wording, read: str
) -> Reply:
    """First what the article does not say, then, labelled as related, what it does."""
    assert match.gap is not None
    related = match.candidates[0]
    entry = knowledge.entries[related.entry_id]
    said = match.gap.describe(read, wording.messages, wording.typed)
    if related.score >= THRESHOLDS.near_miss:
        # Close enough to show in full: the related answer with its quotes.
        return _related(
            knowledge,
            question,
            said,
            wording.answer(entry),
            entry.citations,
            entry.id,
            match.score,
            wording,
        )
    return Reply(
        question=question,
        kind=Kind.NEAR_MISS,
        text=said,
        options=suggestions(knowledge, [entry.id], wording),
        score=match.score,
        related=entry.id,
        language=wording.language,
    )


def said_reply(knowledge: Knowledge, question: str, match: Match, wording: Wording) -> Reply:
    """ "Who said ...?": the speaker and the quotation; or, when the closest quotation says
    something else, that nobody is reported saying it, then that quotation as related."""
    assert match.said is not None
    said = match.said
    quote = said.quote
    who = f"{quote.speaker}, {quote.role}" if quote.role else str(quote.speaker)
    messages = wording.messages
    if quote.kind == "quote":
        told = messages["said_quote"].replace("{speaker}", who)
    else:
        told = messages["said_claim"].replace("{speaker}", who)
    citation = Citation(quote.text, quote.paragraph, quote.speaker, quote.role, quote.id)
    if match.decision is Kind.NEAR_MISS:
        return _related(
            knowledge,
            question,
            messages["not_said"],
            told,
            (citation,),
            said.entry_id,
            match.score,
            wording,
        )
    return Reply(
        question=question,
        kind=Kind.ANSWER,
        text=told,
        citations=(citation,),
        entry=said.entry_id,
        score=match.score,
        source=_source(knowledge),
        followups=_followups(knowledge, knowledge.entries.get(said.entry_id or ""), wording),
        language=wording.language,
    )


def more_reply(
    knowledge: Knowledge,
    question: str,
    speaker: str,
    quote_ids: Sequence[str],
    wording: Wording,
    *,
    everything: bool = False,
) -> Reply:
    """ "What else did he say?" answered with the quotations of ``speaker`` no curated entry
    gives, verbatim; ``everything``: they were all shown already, which it says first."""
    messages = wording.messages
    citations = tuple(
        Citation(q.text, q.paragraph, q.speaker, q.role, q.id)
        for q in (knowledge.quotes[i] for i in quote_ids if i in knowledge.quotes)
    )
    if not citations:
        return Reply(
            question=question,
            kind=Kind.NO_ANSWER,
            text=messages["quoted_nothing"].replace("{speaker}", speaker),
            options=suggestions(knowledge, [], wording),
            language=wording.language,
        )
    told = messages["nothing_more" if everything else "also_said"]
    return Reply(
        question=question,
        kind=Kind.ANSWER,
        text=told.replace("{speaker}", speaker),
        citations=citations,
        score=1.0,
        source=_source(knowledge),
        language=wording.language,
    )
