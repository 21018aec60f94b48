"""The bots the end-to-end benchmark compares, each run as its own process.

    python -m benchmarks.bots ours|echo|echo-aiohttp|echo-answer

All read TELEGRAM_BOT_TOKEN / TELEGRAM_BASE_URL / TELEGRAM_BASE_FILE_URL, poll with the same
connection and concurrency settings and no rate limiter (the point is what each costs, not what
Telegram allows):

* ``ours``: this bot as ``build_application`` makes it (its HTTP client: bot/tg/transport.py);
* ``echo``: a bare python-telegram-bot echo bot, as PTB makes it (its own client, httpx): the
  reference the issue sets the target against;
* ``echo-aiohttp``: the same echo bot on this bot's HTTP client: the framework's own cost
  with the client this bot uses;
* ``echo-answer``: that bot replying to every question with one cited answer exactly as this
  bot sends it (HTML, quotes, keyboard), so the difference to ``ours`` is what finding and
  rendering the answer costs, and the difference to ``echo-aiohttp`` what a longer message
  with buttons costs.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.engine import Engine, load_knowledge
from bot.settings import load_settings
from bot.tg import render
from bot.tg.app import CONCURRENT_UPDATES, CONNECTION_POOL_SIZE, build_application
from bot.tg.send import NO_PREVIEW
from bot.tg.transport import AiohttpRequest

ROOT = Path(__file__).resolve().parent.parent
HTTPX_POOL_SIZE = 8


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message and update.message.text
    await update.message.reply_text(update.message.text)


def answer_echo() -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """A handler that sends one typical cited answer, as this bot renders it, to any text."""
    engine = Engine(load_knowledge(ROOT / "knowledge"))
    reply = engine.ask("Who brokered the truce?")
    rendered = render.render_reply(reply, wording=engine.knowledge.messages, feedback=True)

    async def send(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message
        await update.message.reply_html(
            rendered.messages[0], reply_markup=rendered.keyboard, link_preview_options=NO_PREVIEW
        )

    return send


def main(which: str) -> None:
    settings = load_settings(env_file=None)
    if which == "ours":
        with tempfile.TemporaryDirectory(prefix="bench-data-") as scratch:
            app = build_application(
                settings.model_copy(update={"data_dir": Path(scratch)}),
                Engine(load_knowledge(ROOT / "knowledge")),
                rate_limited=False,
            )
            app.run_polling(allowed_updates=Update.ALL_TYPES)
        return
    token = settings.require_token().get_secret_value()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if which == "echo":
        # The reference gets the pool size that serves it best in this burst: httpx's pool
        # bookkeeping grows with connections and waiting requests (answers/s with 2, 4, 8, 16
        # and 64 connections, one run: 211, 262, 246, 218, 228).
        builder.connection_pool_size(HTTPX_POOL_SIZE)
    else:
        builder.request(AiohttpRequest(CONNECTION_POOL_SIZE)).get_updates_request(AiohttpRequest())
    echo_app = builder.build()
    echo_app.add_handler(
        MessageHandler(filters.TEXT, answer_echo() if which == "echo-answer" else echo)
    )
    echo_app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    if len(sys.argv) > 2:  # python -m benchmarks.bots ours PROFILE_FILE: profile the run
        import cProfile

        cProfile.run(f"main({sys.argv[1]!r})", sys.argv[2])
    else:
        main(sys.argv[1])
