"""The one error handler: log the failure with its context, tell the user briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import NetworkError, TelegramError

from bot.tg import render
from bot.tg.context import Context
from bot.tg.ratelimit import is_unreachable

log = logging.getLogger(__name__)

SORRY_SHORT = "Something went wrong. Please try again."  # callback answers show ~200 chars


async def on_error(update: object, context: Context) -> None:
    """Log any handler or polling failure; say sorry to the user, never the exception text."""
    if update is None and isinstance(context.error, NetworkError):
        # Polling hiccups: PTB retries on its own, a traceback would only add noise.
        log.warning("network problem while polling: %s", context.error)
        return
    if isinstance(context.error, TelegramError) and is_unreachable(context.error):
        # Blocked by the user, removed from the group, chat gone: nobody to tell, nothing to fix,
        # and the limiter has logged it once already (bot/tg/ratelimit.py).
        return
    log.error("failed to handle %s", describe(update), exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(SORRY_SHORT)
        elif update.message:
            await update.message.reply_text(render.SORRY)
    except TelegramError as exc:  # the chat may be gone or blocked us: nothing more to do
        log.warning("could not tell the user about the failure in %s: %s", describe(update), exc)


def describe(update: object) -> str:
    """A one-line summary of an update for logs: id, kind, chat and user, never the text."""
    if not isinstance(update, Update):
        return "no update" if update is None else type(update).__name__
    kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None) is not None), "unknown")
    parts = [f"update {update.update_id} ({kind})"]
    if update.effective_chat:
        parts.append(f"in {update.effective_chat.type} chat {update.effective_chat.id}")
    if update.effective_user:
        parts.append(f"from user {update.effective_user.id}")
    return " ".join(parts)
