"""Getting an answer and putting it in front of the user: typing, replies, edits in place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from telegram import LinkPreviewOptions, Message, User
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.engine.followup import Memory, Topic
from bot.engine.model import Kind
from bot.tg import render
from bot.tg.context import Context, Thread
from bot.tg.outbox import BUSY, Outbox
from bot.tg.render import Rendered

log = logging.getLogger(__name__)

TYPING_AFTER = 0.3  # seconds: a faster answer needs no "typing…"
TYPING_EVERY = 4.0  # Telegram shows the action for at most 5 seconds
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

R = TypeVar("R")


def conversation(message: Message, user: User | None) -> Thread:
    """Whose conversation a message belongs to: the chat in private; the user in a group, so
    two people asking in one group don't get each other's context."""
    if in_group(message) and user is not None:
        return ("user", message.chat_id, user.id)
    return ("chat", message.chat_id)


def replied_thread(message: Message) -> Thread | None:
    """The thread of the bot's answer that ``message`` replies to, if it replies to one."""
    original = message.reply_to_message
    if original is None or original.from_user is None:
        return None
    if original.from_user.id != message.get_bot().id:
        return None
    return ("answer", message.chat_id, original.message_id)


def remember_thread(topics: Memory[Thread], topic: Topic | None, sent: Message) -> None:
    """After an answer is sent in a group: replies to it continue its topic."""
    topics.put(("answer", sent.chat_id, sent.message_id), topic)


def in_group(message: Message) -> bool:
    """True in groups and supergroups, where answers quote the asker's message."""
    return message.chat.type != ChatType.PRIVATE


async def think(context: Context, chat_id: int, work: Callable[[], R]) -> R:
    """Run an engine call, showing "typing" while it takes noticeable time."""
    if context.bot_data.on_event_loop:  # done before any "typing" could show
        return await context.bot_data.run(work)
    task = asyncio.ensure_future(context.bot_data.run(work))
    timeout = TYPING_AFTER
    while True:
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if done:
            return task.result()
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:  # the indicator is a courtesy: never fail an answer on it
            log.debug("typing action failed in chat %s: %s", chat_id, exc)
        timeout = TYPING_EVERY


async def send(
    message: Message,
    rendered: Rendered,
    *,
    quote: bool = False,
    outbox: Outbox | None = None,
    asker: User | None = None,
    busy: str = BUSY,
    on_sent: Callable[[Message], None] | None = None,
) -> Message | None:
    """Reply to ``message``; in groups the first part quotes the asker's message. Returns the
    last message sent (the one with the buttons), or None when the reply was queued.

    With an ``outbox``, a reply in a group is queued there and this returns at once
    (bot/tg/outbox.py): the group's rate window is waited for by its queue, not by the handler.
    ``on_sent`` is given the last message sent, whenever it is sent.
    """
    if outbox is not None and in_group(message):
        outbox.post(
            message.chat_id,
            partial(_send_then, message, rendered, quote, on_sent),
            key=rendered.messages,
            asker=asker,
            busy=partial(_send_now, message, Rendered((render.esc(busy),)), True),
        )
        return None
    return await _send_then(message, rendered, quote, on_sent, ())


async def _send_then(
    message: Message,
    rendered: Rendered,
    quote: bool,
    on_sent: Callable[[Message], None] | None,
    others: tuple[str, ...],
) -> Message | None:
    sent = await _send_now(message, rendered, quote, others)
    if sent is not None and on_sent is not None:
        on_sent(sent)
    return sent


async def _send_now(
    message: Message, rendered: Rendered, quote: bool, others: tuple[str, ...]
) -> Message | None:
    messages = list(rendered.messages)
    if others:
        # The same question from several people: one answer, naming the others (who are
        # notified by the mention), if it fits in the last message.
        note = f"\n\n<i>Also asked by {', '.join(others)}</i>"
        if len(messages[-1]) + len(note) <= render.MAX_CHARS:
            messages[-1] += note
    last = len(messages) - 1
    sent = None
    for i, text in enumerate(messages):
        sent = await message.reply_html(
            text,
            do_quote=quote and i == 0,
            allow_sending_without_reply=True,
            reply_markup=rendered.keyboard if i == last else None,
            link_preview_options=NO_PREVIEW,
        )
    return sent


async def send_html(
    message: Message, text: str, *, quote: bool = False, outbox: Outbox | None = None
) -> None:
    """Reply with one fixed HTML text."""
    await send(message, Rendered((text,)), quote=quote, outbox=outbox)


async def replace(message: Message, rendered: Rendered, *, outbox: Outbox | None = None) -> None:
    """Edit ``message`` to show the first part; send any further parts after it (in a group,
    through its queue when an ``outbox`` is given)."""
    if outbox is not None and in_group(message):
        outbox.post(message.chat_id, lambda _: _replace_now(message, rendered))
        return
    await _replace_now(message, rendered)


async def _replace_now(message: Message, rendered: Rendered) -> None:
    last = len(rendered.messages) - 1
    try:
        await message.edit_text(
            rendered.messages[0],
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.keyboard if last == 0 else None,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        # A double press (two clients, or a slow network) edits to the same text twice.
        if "not modified" not in str(exc).lower():
            raise
        return
    if last:
        await _send_now(message, Rendered(rendered.messages[1:], rendered.keyboard), False, ())


async def answer(message: Message, context: Context, question: str, *, if_blank: str) -> None:
    """Answer a question asked in ``message``'s chat: engine (with "typing"), render, reply,
    then remember how it went. ``if_blank`` (HTML) is the reply to a blank question."""
    engine = context.bot_data.engine
    outbox = context.bot_data.outbox
    group = in_group(message)
    if render.is_blank(question):
        await send_html(message, if_blank, quote=group, outbox=outbox)
        return
    asker = message.from_user
    hint = asker.language_code if asker else None  # for short or ambiguous text only
    topics = context.bot_data.topics
    own = conversation(message, asker)
    thread = replied_thread(message)
    # A reply to one of the bot's answers continues that answer; else the asker's own topic.
    before = (topics.get(thread) if thread is not None else None) or topics.get(own)
    reply, topic = await think(
        context, message.chat_id, partial(engine.converse, question, hint, before)
    )
    topics.put(own, topic)
    wording = engine.wording(reply.language).messages
    rendered = render.render_reply(reply, group=group, wording=wording, feedback=not group)
    sent = await send(
        message,
        rendered,
        quote=group,
        outbox=outbox,
        asker=asker,
        busy=wording["busy"],
        on_sent=partial(remember_thread, topics, topic) if group else None,
    )
    if sent is not None and rendered.keyboard is not None and reply.kind is Kind.ANSWER:
        # A thumbs down on it keeps the question for /unanswered (admin.on_feedback).
        context.bot_data.answered(f"{sent.chat_id}:{sent.message_id}", question)
    context.bot_data.record(reply, message.chat.type)
