"""Inline mode: ``@Bot question`` in any chat offers answers ready to send there."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot.engine import Engine
from bot.engine.model import Entry, Kind, Reply
from bot.tg import render
from bot.tg.context import Context
from bot.tg.send import NO_PREVIEW

MAX_RESULTS = 5  # Telegram allows 50; a handful is easier to choose from
CACHE_SECONDS = 30  # answers change only when the knowledge is reloaded
DESCRIPTION_CHARS = 120


async def on_inline_query(update: Update, context: Context) -> None:
    """Offer up to a handful of cited answers; example questions for an empty query."""
    query = update.inline_query
    assert query
    engine = context.bot_data.engine
    replies = await context.bot_data.run(partial(inline_replies, engine, query.query))
    entries = engine.knowledge.entries
    results = [
        article_result(_title(engine, r, entries), r, engine.wording(r.language).messages)
        for r in replies
    ]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)


def inline_replies(engine: Engine, text: str, limit: int = MAX_RESULTS) -> list[Reply]:
    """What to offer for ``text``: its answer and follow-ups, clarify candidates, or examples."""
    replies: list[Reply] = []
    # The language of the text alone (no user hint): results are cached for everyone who
    # types the same query, whatever their Telegram language.
    language = "en"
    if render.is_blank(text):
        ids = [o.entry_id for o in engine.examples(limit)]
    else:
        reply = engine.ask(text)
        language = reply.language
        if reply.kind is Kind.ANSWER:
            replies.append(reply)
            ids = [o.entry_id for o in reply.followups]
        elif reply.kind is Kind.NEAR_MISS:
            # First the honest "the article doesn't say", then what it does say nearby.
            replies.append(reply)
            ids = [o.entry_id for o in reply.options] or [reply.related or ""]
        elif reply.kind is Kind.SMALLTALK:
            ids = [o.entry_id for o in engine.examples(limit)]
        else:  # clarify candidates, or the suggestions that come with no_answer
            ids = [o.entry_id for o in reply.options]
    seen = {r.entry for r in replies}
    for entry_id in ids:
        if len(replies) >= limit:
            break
        answer = engine.answer_entry(entry_id, language=language) if entry_id not in seen else None
        if answer is not None:
            seen.add(entry_id)
            replies.append(answer)
    return replies[:limit]


def _title(engine: Engine, reply: Reply, entries: Mapping[str, Entry]) -> str:
    """The curated question a result answers, in its language; else the question as asked."""
    entry = entries.get(reply.entry) if reply.entry else None
    return engine.wording(reply.language).label(entry) if entry else reply.question


def article_result(
    title: str, reply: Reply, wording: Mapping[str, str] | None = None
) -> InlineQueryResultArticle:
    """One choosable result: the title is the question, the message is the cited answer."""
    rendered = render.render_reply(reply, heading=title, wording=wording)
    description = " ".join(reply.text.split())
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1].rstrip() + "\u2026"
    return InlineQueryResultArticle(
        id=reply.entry or reply.kind.value,
        title=render.button_label(title, "Answer"),
        description=description or None,
        input_message_content=InputTextMessageContent(
            rendered.messages[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )
