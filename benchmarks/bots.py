"""The two bots the end-to-end benchmark compares, each run as its own process.

    python -m benchmarks.bots ours|echo

Both read TELEGRAM_BOT_TOKEN / TELEGRAM_BASE_URL / TELEGRAM_BASE_FILE_URL, poll with the same
connection settings and no rate limiter (the point is what each costs, not what Telegram allows):
``ours`` is this bot as ``build_application`` makes it; ``echo`` is a bare python-telegram-bot
echo bot, the framework's own cost.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.engine import Engine, load_knowledge
from bot.settings import load_settings
from bot.tg.app import CONCURRENT_UPDATES, CONNECTION_POOL_SIZE, build_application

ROOT = Path(__file__).resolve().parent.parent


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message and update.message.text
    await update.message.reply_text(update.message.text)


def main(which: str) -> None:
    settings = load_settings(env_file=None)
    if which == "ours":
        with tempfile.TemporaryDirectory(prefix="bench-data-") as scratch:
            app = build_application(
                settings.model_copy(update={"data_dir": Path(scratch)}),
                Engine(load_knowledge(ROOT / "knowledge")), rate_limited=False)
            app.run_polling(allowed_updates=Update.ALL_TYPES)
        return
    token = settings.require_token().get_secret_value()
    echo_app = (ApplicationBuilder().token(token).base_url(settings.base_url)
                .base_file_url(settings.base_file_url).concurrent_updates(CONCURRENT_UPDATES)
                .connection_pool_size(CONNECTION_POOL_SIZE).build())
    echo_app.add_handler(MessageHandler(filters.TEXT, echo))
    echo_app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    if len(sys.argv) > 2:  # python -m benchmarks.bots ours PROFILE_FILE: profile the run
        import cProfile

        cProfile.run(f"main({sys.argv[1]!r})", sys.argv[2])
    else:
        main(sys.argv[1])
