"""Handlers for the buttons under answers: questions (clarify candidates, suggestions,
examples, follow-ups) and feedback (👍 / 👎)."""

from __future__ import annotations

import asyncio
from functools import partial

from telegram import Message, Update

from bot.tg import render
from bot.tg.context import Context
from bot.tg.send import conversation, in_group, remember_thread, replace, send, think


async def on_button(update: Update, context: Context) -> None:
    """Answer the pressed question: in place (``a:``) or as a new message (``q:``)."""
    query = update.callback_query
    assert query
    parsed = render.parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if parsed is None or message is None:  # not ours, or a message too old to touch
        await query.answer(render.GONE)
        return
    action, entry_id = parsed
    engine = context.bot_data.engine
    # In the presser's language: buttons carry only the entry id.
    language = engine.language(query.from_user.language_code)
    reply = await think(
        context, message.chat_id, partial(engine.answer_entry, entry_id, language=language)
    )
    if reply is None:  # the knowledge was reloaded without this entry
        await query.answer(render.GONE)
        return
    # What was pressed is what the conversation is about now ("what else did he say?").
    topics = context.bot_data.topics
    own = conversation(message, query.from_user)
    topic = engine.follow(reply, topics.get(own))
    topics.put(own, topic)
    heading = engine.wording(language).label(engine.knowledge.entries[entry_id])
    group = in_group(message)
    rendered = render.render_reply(
        reply,
        group=group,
        heading=heading,
        wording=engine.wording(language).messages,
        feedback=not group,
    )
    outbox = context.bot_data.outbox
    if action == render.ANSWER_IN_PLACE:
        await replace(message, rendered, outbox=outbox)
        if group:
            remember_thread(topics, topic, message)
    else:
        await send(
            message,
            rendered,
            outbox=outbox,
            on_sent=partial(remember_thread, topics, topic) if group else None,
        )
    # Answered last, so that if showing the answer fails the error handler can still answer it.
    await query.answer()


async def on_feedback(update: Update, context: Context) -> None:
    """👍 / 👎 under an answer: one vote per user per answer (a later press changes it)."""
    query = update.callback_query
    assert query
    parsed = render.parse_feedback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    store = context.bot_data.store
    if parsed is None or message is None or store is None:
        await query.answer()
        return
    vote, entry_id = parsed
    if entry_id is not None and entry_id not in context.bot_data.engine.knowledge.entries:
        await query.answer()  # forged, or an entry removed since: nothing to count
        return
    key = f"{message.chat_id}:{message.message_id}"
    question = context.bot_data.question_of(key)
    changed = await asyncio.to_thread(
        partial(store.vote, key, query.from_user.id, entry_id, vote, question=question)
    )
    await query.answer("Thanks for the feedback!" if changed else "Your vote is already counted.")
