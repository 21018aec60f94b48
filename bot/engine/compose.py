"""A match to the reply a user sees, as structured data (front ends render it)."""

from __future__ import annotations

from bot.engine.decide import Match
from bot.engine.load import Knowledge
from bot.engine.model import Citation, Entry, Kind, Option, Reply, Source
from bot.engine.thresholds import Thresholds

SUGGESTIONS = 3
THRESHOLDS = Thresholds()


def _fill(template: str, knowledge: Knowledge) -> str:
    article = knowledge.article
    return template.replace("{title}", article.title).replace("{publisher}", article.publisher)


def _source(knowledge: Knowledge) -> Source:
    a = knowledge.article
    return Source(a.title, a.publisher, a.url)


def _option(entry: Entry) -> Option:
    return Option(entry.id, entry.title)


def entry_reply(
    knowledge: Knowledge,
    entry: Entry,
    question: str,
    score: float = 1.0,
    matched: str | None = None,
) -> Reply:
    """The reply for one curated entry, with its citations and follow-ups."""
    return Reply(
        question=question,
        kind=Kind.ANSWER,
        text=entry.answer,
        citations=entry.citations,
        entry=entry.id,
        score=score,
        source=_source(knowledge),
        followups=_followups(knowledge, entry),
        matched=matched,
    )


def _followups(knowledge: Knowledge, entry: Entry | None) -> tuple[Option, ...]:
    if entry is None:
        return ()
    return tuple(_option(knowledge.entries[f]) for f in entry.followups if f in knowledge.entries)


def _related(
    knowledge: Knowledge,
    question: str,
    missing: str,
    shown: str,
    citations: tuple[Citation, ...],
    related: str | None,
    score: float,
    matched: str,
) -> Reply:
    """A near miss shown in full: what the article does not say, then, labelled as related,
    what it does, with its quotes."""
    return Reply(
        question=question,
        kind=Kind.NEAR_MISS,
        text=f"{missing} {knowledge.messages['related']}\n\n{shown}",
        citations=citations,
        score=score,
        source=_source(knowledge),
        related=related,
        matched=matched,
    )


def suggestions(knowledge: Knowledge, related: list[str]) -> tuple[Option, ...]:
    """A few things the article does cover: related entries first, then the curated examples."""
    ids: list[str] = []
    for entry_id in [*related, *knowledge.examples]:
        if entry_id in knowledge.entries and entry_id not in ids:
            ids.append(entry_id)
    return tuple(_option(knowledge.entries[i]) for i in ids[:SUGGESTIONS])


def compose(knowledge: Knowledge, question: str, match: Match) -> Reply:
    if match.decision is Kind.SMALLTALK and match.smalltalk is not None:
        return Reply(
            question=question,
            kind=Kind.SMALLTALK,
            text=_fill(match.smalltalk.reply, knowledge),
            score=match.score,
            options=suggestions(knowledge, []) if match.smalltalk.id == "help" else (),
        )
    if match.said is not None:
        return said_reply(knowledge, question, match)
    if match.decision is Kind.ANSWER and match.sentence is not None:
        paragraph, sentence = match.sentence
        citation = Citation(quote=sentence, paragraph=paragraph, speaker=None)
        text = (
            "No curated answer covers this exactly, but the article says this "
            f"in paragraph {paragraph}:"
        )
        return Reply(
            question=question,
            kind=Kind.ANSWER,
            text=text,
            citations=(citation,),
            entry=None,
            score=match.score,
            source=_source(knowledge),
            matched=sentence,
        )
    if match.decision is Kind.ANSWER:
        top = match.candidates[0]
        return entry_reply(
            knowledge, knowledge.entries[top.entry_id], question, top.score, top.phrasing
        )
    if match.decision is Kind.NEAR_MISS and match.gap is not None and match.candidates:
        return near_miss_reply(knowledge, question, match)
    if match.decision is Kind.CLARIFY:
        options = tuple(_option(knowledge.entries[c.entry_id]) for c in match.candidates)
        return Reply(
            question=question,
            kind=Kind.CLARIFY,
            text=knowledge.messages["clarify"],
            options=options,
            score=match.score,
        )
    related = [c.entry_id for c in match.candidates[:2] if c.score >= THRESHOLDS.related]
    text = _fill(knowledge.messages["no_answer"], knowledge)
    if match.gap is not None and match.gap.absent:
        # "The article doesn't mention China." says more than "doesn't say anything about that".
        named = knowledge.messages["no_answer_named"].replace(
            "{missing}", match.gap.describe(question)
        )
        text = _fill(named, knowledge)
    return Reply(
        question=question,
        kind=Kind.NO_ANSWER,
        text=text,
        options=suggestions(knowledge, related),
        score=match.score,
    )


def near_miss_reply(knowledge: Knowledge, question: str, match: Match) -> Reply:
    """First what the article does not say, then, labelled as related, what it does."""
    assert match.gap is not None
    related = match.candidates[0]
    entry = knowledge.entries[related.entry_id]
    said = match.gap.describe(question)
    if related.score >= THRESHOLDS.near_miss:
        # Close enough to show in full: the related answer with its quotes.
        return _related(
            knowledge,
            question,
            said,
            entry.answer,
            entry.citations,
            entry.id,
            match.score,
            related.phrasing,
        )
    return Reply(
        question=question,
        kind=Kind.NEAR_MISS,
        text=said,
        options=suggestions(knowledge, [entry.id]),
        score=match.score,
        related=entry.id,
    )


def said_reply(knowledge: Knowledge, question: str, match: Match) -> Reply:
    """ "Who said ...?": the speaker and the quotation; or, when the closest quotation says
    something else, that nobody is reported saying it, then that quotation as related."""
    assert match.said is not None
    said = match.said
    quote = said.quote
    who = f"{quote.speaker}, {quote.role}" if quote.role else str(quote.speaker)
    if quote.kind == "quote":
        told = knowledge.messages["said_quote"].replace("{speaker}", who)
    else:
        told = knowledge.messages["said_claim"].replace("{speaker}", who)
    citation = Citation(quote.text, quote.paragraph, quote.speaker, quote.role, quote.id)
    if match.decision is Kind.NEAR_MISS:
        not_said = knowledge.messages["not_said"]
        return _related(
            knowledge, question, not_said, told, (citation,), said.entry_id, match.score, quote.text
        )
    return Reply(
        question=question,
        kind=Kind.ANSWER,
        text=told,
        citations=(citation,),
        entry=said.entry_id,
        score=match.score,
        source=_source(knowledge),
        followups=_followups(knowledge, knowledge.entries.get(said.entry_id or "")),
        matched=quote.text,
    )
