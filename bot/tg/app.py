"""The composition root of the Telegram face: build the Application, run it (polling or webhook)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.curation import Curator
from bot.engine import Engine
from bot.errors import SettingsError
from bot.health import health_path
from bot.settings import Settings
from bot.store import Store
from bot.tg import admin, deliverable, render
from bot.tg.buttons import on_button, on_feedback
from bot.tg.commands import ADMIN_COMMANDS
from bot.tg.context import CONTEXT_TYPES, BotApplication
from bot.tg.errors import on_error
from bot.tg.flood import UserRateLimit
from bot.tg.groups import (
    MENTIONS_ME,
    REPLY_TO_ME,
    cmd_ask,
    cmd_start_group,
    on_mention,
    on_reply_to_me,
)
from bot.tg.inline import on_inline_query
from bot.tg.journal import JournalingProcessor, PollingRequest, UpdateJournal
from bot.tg.logs import install_logging
from bot.tg.outbox import Outbox
from bot.tg.private import (
    cmd_help,
    cmd_sources,
    cmd_start,
    on_not_text,
    on_text,
    on_unknown_command,
)
from bot.tg.ratelimit import BotApiLimiter
from bot.tg.run import serve
from bot.tg.transport import AiohttpRequest
from bot.tg.webhook import WebhookConfig

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64  # one slow chat must not hold up the others
# One connection per update being handled: no answer waits for another's connection (in a burst,
# waiting for one of 16 cost 20% more CPU per answer: benchmarks/bench.py). Other calls wait for
# a free one at most POOL_TIMEOUT seconds (then the call times out, and BotApiLimiter retries it).
CONNECTION_POOL_SIZE = CONCURRENT_UPDATES
POOL_TIMEOUT = 5.0

ADMIN_COMMAND_NAMES = [c.command for c in ADMIN_COMMANDS]
FEEDBACK_PATTERN = rf"^{render.FEEDBACK}:"


def build_application(
    settings: Settings, engine: Engine, *, rate_limited: bool = True
) -> BotApplication:
    """The Application with every handler registered; ``rate_limited=False`` only for benchmarks."""
    journal = UpdateJournal(settings.data_dir / "journal")  # what was fetched, not yet answered
    builder = (
        ApplicationBuilder()
        .token(settings.require_token().get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(JournalingProcessor(CONCURRENT_UPDATES, journal))
        .get_updates_request(PollingRequest(journal))
        .request(AiohttpRequest(CONNECTION_POOL_SIZE, pool_timeout=POOL_TIMEOUT))
    )
    limiter = BotApiLimiter.from_settings(settings) if rate_limited else None
    if limiter is not None:
        # Telegram's flood limits and retries of failed calls; the builder is mutable.
        builder.rate_limiter(limiter)
    application: BotApplication = builder.build()
    data = application.bot_data
    data.engine = engine
    data.admin_ids = settings.admin_ids
    data.outbox = Outbox(
        settings.group_queue_limit,
        settings.group_rate_period,
        limiter.room if limiter is not None else None,
    )
    data.store = open_store(settings)
    data.curator = Curator(
        engine, engine.knowledge.directory, settings.data_dir, check=deliverable.problems
    )
    admins = filters.User(user_id=settings.admin_ids)  # matches nobody when none is configured

    # Only new messages: an edited message was answered already, and channel posts are not ours.
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE & new
    groups = filters.ChatType.GROUPS & new
    group_text = groups & filters.TEXT & ~filters.COMMAND

    # Before any handler (group -1): someone flooding the bot is slowed down, others unaffected.
    application.add_handler(TypeHandler(Update, UserRateLimit.from_settings(settings)), group=-1)

    # --- Every handler, in the order they are tried (the first match handles the update) ---
    application.add_handlers(
        [
            # Private chats: any text that is not a command is a question. Tried first because
            # most updates are questions (each handler tried costs its filters, and the rate limit
            # tries them once more); no handler below takes such a message: commands are messages
            # starting with a command, documents carry a caption, never text.
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
            # Commands. /ask works everywhere; /start differs between private chats and groups.
            CommandHandler("start", admin.cmd_start_admin, filters=private & admins),
            CommandHandler("start", cmd_start, filters=private),
            CommandHandler("start", cmd_start_group, filters=groups),
            CommandHandler("help", cmd_help, filters=new),
            CommandHandler("sources", cmd_sources, filters=new),
            CommandHandler("ask", cmd_ask, filters=new),
            # Admins (BOT_ADMIN_IDS), in private chats: keep the knowledge current, see misses.
            # Everyone else is told no; a file from them is refused without being downloaded.
            CommandHandler("reload", admin.cmd_reload, filters=private & admins),
            CommandHandler("rollback", admin.cmd_rollback, filters=private & admins),
            CommandHandler("export", admin.cmd_export, filters=private & admins),
            CommandHandler("unanswered", admin.cmd_unanswered, filters=private & admins),
            CommandHandler("stats", admin.cmd_stats, filters=private & admins),
            CommandHandler(ADMIN_COMMAND_NAMES, admin.cmd_refuse, filters=private),
            MessageHandler(private & filters.Document.ALL & admins, admin.on_document),
            MessageHandler(private & filters.Document.ALL, admin.on_document_refused),
            # Private chats: other commands and non-text get a hint.
            MessageHandler(private & filters.COMMAND, on_unknown_command),
            MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_not_text),
            # Groups: follow-ups as replies to the bot, and @mentions (privacy mode off or admin).
            # Everything else in a group is chatter and gets no handler: silence.
            MessageHandler(group_text & REPLY_TO_ME, on_reply_to_me),
            MessageHandler(group_text & MENTIONS_ME, on_mention),
            # Buttons under answers, and inline mode in any chat.
            CallbackQueryHandler(on_feedback, pattern=FEEDBACK_PATTERN),
            CallbackQueryHandler(admin.on_confirm, pattern=rf"^{admin.CONFIRM}:"),
            CallbackQueryHandler(admin.on_triage, pattern=rf"^{admin.TRIAGE}:"),
            CallbackQueryHandler(on_button),
            InlineQueryHandler(on_inline_query),
        ]
    )
    application.add_error_handler(on_error)
    return application


def open_store(settings: Settings) -> Store | None:
    """The statistics store, or None when its file cannot be opened (a full disk, a read-only
    folder): the bot still answers, and /stats and /unanswered say they are unavailable."""
    path = settings.data_dir / "bot.sqlite3"
    try:
        return Store(path, settings.store_retention_days)
    except (sqlite3.Error, OSError) as exc:
        log.warning("cannot open %s (%s): answering without recording statistics", path, exc)
        return None


def main(settings: Settings, engine: Engine, *, webhook: bool = False) -> int:
    """``python -m bot run [--webhook]``: answer until SIGTERM or Ctrl+C; the exit code says how."""
    try:
        token = settings.require_token()
        config = WebhookConfig.from_settings(settings) if webhook else None
    except SettingsError as exc:  # a missing token, or WEBHOOK_URL / WEBHOOK_SECRET
        print(f"error: {exc}", file=sys.stderr)
        return 2
    secrets = [token.get_secret_value()] + ([config.secret] if config else [])
    install_logging(settings.log_level, secrets=secrets)
    application = build_application(settings, engine)
    try:
        # Polling or webhook until a stop signal, then every fetched update is answered first.
        asyncio.run(serve(application, webhook=config, health=health_path(settings.data_dir)))
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return 1
    except NetworkError as exc:
        log.error("could not reach the Bot API at %s: %s", settings.base_url, exc)
        return 1
    except OSError as exc:
        if config is None:
            raise
        log.error("cannot serve the webhook on %s:%s: %s", config.listen, config.port, exc)
        return 1
    except KeyboardInterrupt:  # a second Ctrl+C: the journal keeps what was not answered
        log.warning("stopped at once; unanswered updates are answered at the next start")
        return 130
    return 0
