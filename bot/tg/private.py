"""Handlers for private chats: commands, questions, and anything that is not text."""

from __future__ import annotations

from telegram import Update

from bot.tg import render
from bot.tg.context import Context
from bot.tg.send import answer, in_group, send, send_html

EXAMPLES_ON_START = 4


def users_language(update: Update, context: Context) -> str:
    """The language the bot answers this user in by default: their Telegram language, when it
    is one the knowledge has ("en" otherwise)."""
    user = update.effective_user
    return context.bot_data.engine.language(user.language_code if user else None)


async def cmd_start(update: Update, context: Context) -> None:
    """Greet, say which article the bot knows, and offer example questions as buttons, in the
    user's Telegram language."""
    assert update.message
    engine = context.bot_data.engine
    language = users_language(update, context)
    welcome = render.welcome(
        engine.knowledge.article,
        engine.examples(EXAMPLES_ON_START, language),
        engine.wording(language).messages,
    )
    await send(update.message, welcome)


async def cmd_help(update: Update, context: Context) -> None:
    """Explain how to ask: in private, in groups and inline (works in every chat)."""
    assert update.message
    engine = context.bot_data.engine
    language = users_language(update, context)
    examples = engine.examples(1, language)
    text = render.help_text(
        context.bot.username,
        examples[0].question if examples else None,
        engine.wording(language).messages,
    )
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
    empty = context.bot_data.engine.wording(users_language(update, context)).messages
    await answer(message, context, message.text, if_blank=render.esc(empty["empty_question"]))


async def on_unknown_command(update: Update, _context: Context) -> None:
    """A command this bot does not have, in a private chat."""
    assert update.message
    await send_html(update.message, render.esc(render.UNKNOWN_COMMAND))


async def on_not_text(update: Update, context: Context) -> None:
    """A sticker, photo, voice note or other non-text message in a private chat."""
    assert update.message
    wording = context.bot_data.engine.wording(users_language(update, context))
    await send_html(update.message, render.esc(wording.messages["not_text"]))
