"""Handlers for private chats: commands, questions, and anything that is not text."""

from __future__ import annotations

from telegram import Update

from bot.tg import render
from bot.tg.context import Context
from bot.tg.send import answer, in_group, send, send_html

EXAMPLES_ON_START = 4
EMPTY_QUESTION = "Type a question about the article, or send /help to see how to ask."


async def cmd_start(update: Update, context: Context) -> None:
    """Greet, say which article the bot knows, and offer example questions as buttons."""
    assert update.message
    engine = context.bot_data.engine
    welcome = render.welcome(engine.knowledge.article, engine.examples(EXAMPLES_ON_START))
    await send(update.message, welcome)


async def cmd_help(update: Update, context: Context) -> None:
    """Explain how to ask: in private, in groups and inline (works in every chat)."""
    assert update.message
    examples = context.bot_data.engine.examples(1)
    text = render.help_text(context.bot.username, examples[0].question if examples else None)
    await send_html(
        update.message, text, quote=in_group(update.message), outbox=context.bot_data.outbox
    )


async def cmd_sources(update: Update, context: Context) -> None:
    """Name the article and what the bot can cite from it."""
    assert update.message
    knowledge = context.bot_data.engine.knowledge
    text = render.sources_text(knowledge.article, knowledge.quotes.values())
    await send_html(
        update.message, text, quote=in_group(update.message), outbox=context.bot_data.outbox
    )


async def on_text(update: Update, context: Context) -> None:
    """Any text in a private chat is a question: answer it with quotes."""
    message = update.message
    assert message and message.text is not None
    await answer(message, context, message.text, if_blank=render.esc(EMPTY_QUESTION))


async def on_unknown_command(update: Update, _context: Context) -> None:
    """A command this bot does not have, in a private chat."""
    assert update.message
    await send_html(update.message, render.esc(render.UNKNOWN_COMMAND))


async def on_not_text(update: Update, _context: Context) -> None:
    """A sticker, photo, voice note or other non-text message in a private chat."""
    assert update.message
    await send_html(update.message, render.esc(render.NOT_TEXT))
