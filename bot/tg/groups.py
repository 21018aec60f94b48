"""Handlers for groups: ``/ask``, replies to the bot, @mentions; silence for everything else."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import filters

from bot.tg import render
from bot.tg.context import Context
from bot.tg.send import answer, send_html


class _ReplyToMe(filters.MessageFilter):
    """Replies to one of this bot's own messages (a follow-up question)."""

    def filter(self, message: Message) -> bool:
        original = message.reply_to_message
        return bool(
            original and original.from_user and original.from_user.id == message.get_bot().id
        )


class _MentionsMe(filters.MessageFilter):
    """Messages that @mention this bot; its username is known only after getMe."""

    def filter(self, message: Message) -> bool:
        me = message.get_bot().username.lower()
        mentions = message.parse_entities([MessageEntity.MENTION]).values()
        return any(m.lstrip("@").lower() == me for m in mentions)


REPLY_TO_ME = _ReplyToMe(name="REPLY_TO_ME")
MENTIONS_ME = _MentionsMe(name="MENTIONS_ME")


async def cmd_ask(update: Update, context: Context) -> None:
    """``/ask question`` (or ``/ask@Bot question``): answer it, quoting the asker in groups."""
    assert update.message
    await _answer(update.message, context, command_argument(update.message))


async def on_reply_to_me(update: Update, context: Context) -> None:
    """A reply to one of the bot's messages in a group: a follow-up question."""
    assert update.message and update.message.text is not None
    await _answer(update.message, context, update.message.text)


async def on_mention(update: Update, context: Context) -> None:
    """``@Bot question`` in a group (privacy mode off, or the bot is an admin)."""
    assert update.message
    await _answer(update.message, context, without_mentions(update.message))


async def cmd_start_group(update: Update, context: Context) -> None:
    """/start in a group: point to /ask."""
    assert update.message
    await send_html(
        update.message,
        render.group_start(context.bot.username),
        quote=True,
        outbox=context.bot_data.outbox,
    )


async def _answer(message: Message, context: Context, question: str) -> None:
    engine = context.bot_data.engine
    user = message.from_user
    examples = engine.examples(1, engine.language(user.language_code if user else None))
    usage = render.ask_usage(examples[0].question if examples else None)
    await answer(message, context, question, if_blank=usage)


def command_argument(message: Message) -> str:
    """The text after ``/ask`` or ``/ask@Bot``, newlines kept."""
    text = message.text or ""
    commands = message.parse_entities([MessageEntity.BOT_COMMAND])
    first = min(commands, key=lambda e: e.offset, default=None)
    if first is None or first.offset != 0:
        return text
    return text[len(commands[first]) :].strip()


def without_mentions(message: Message) -> str:
    """The message text with every @mention of this bot taken out."""
    text = message.text or ""
    me = message.get_bot().username.lower()
    spans = [
        e
        for e, value in message.parse_entities([MessageEntity.MENTION]).items()
        if value.lstrip("@").lower() == me
    ]
    # Entity offsets are UTF-16 units: cut in that space, from the end so earlier ones stay valid.
    units = text.encode("utf-16-le")
    for e in sorted(spans, key=lambda e: e.offset, reverse=True):
        units = units[: 2 * e.offset] + " ".encode("utf-16-le") + units[2 * (e.offset + e.length) :]
    return " ".join(units.decode("utf-16-le").split())
