"""A match to the reply a user sees, as structured data (front ends render it)."""

from __future__ import annotations

from bot.engine.decide import Match
from bot.engine.load import Knowledge
from bot.engine.model import Citation, Entry, Kind, Option, Reply, Source
from bot.engine.thresholds import Thresholds

SUGGESTIONS = 3
RELATED = Thresholds().related  # an entry this close is offered as a suggestion


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
    followups = tuple(
        _option(knowledge.entries[f]) for f in entry.followups if f in knowledge.entries
    )
    return Reply(
        question=question,
        kind=Kind.ANSWER,
        text=entry.answer,
        citations=entry.citations,
        entry=entry.id,
        score=score,
        source=_source(knowledge),
        followups=followups,
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
    if match.decision is Kind.CLARIFY:
        options = tuple(_option(knowledge.entries[c.entry_id]) for c in match.candidates)
        return Reply(
            question=question,
            kind=Kind.CLARIFY,
            text=knowledge.messages["clarify"],
            options=options,
            score=match.score,
        )
    related = [c.entry_id for c in match.candidates[:2] if c.score >= RELATED]
    return Reply(
        question=question,
        kind=Kind.NO_ANSWER,
        text=_fill(knowledge.messages["no_answer"], knowledge),
        options=suggestions(knowledge, related),
        score=match.score,
    )
