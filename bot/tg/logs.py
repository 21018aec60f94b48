"""Logging for the bot process, with the token redacted from every record.

Bot API URLs contain the token, and PTB logs them at DEBUG ("Set Bot API URL: ...") and puts
the token in the message of an InvalidToken. The bot's own HTTP client (aiohttp,
``bot/tg/transport.py``) logs no requests. Records are redacted as they are created, so no
handler, formatter or test capture ever sees the secret, whatever the level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "<token>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# PTB's default HTTP client, which logs every request URL at INFO or DEBUG: the bot replaces it
# with aiohttp, but PTB still imports it, and anything built on PTB's defaults would use it.
QUIET_LOGGERS = ("httpx", "httpcore")


class TokenRedactor:
    """A log record factory that replaces each secret in a record's text with ``<token>``."""

    def __init__(self, factory: Callable[..., logging.LogRecord]) -> None:
        self.factory = factory
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.factory(*args, **kwargs)
        if not self.secrets:
            return record
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep everything it said, redacted
            record.msg, record.args = self.redact(f"{record.msg} {record.args!r}"), ()
        else:
            clean = self.redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters reuse exc_text when set: render the traceback once, redacted.
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return record


def redact_secrets(secrets: Iterable[str]) -> TokenRedactor:
    """Install (once) the redacting record factory and add ``secrets`` to it."""
    current = logging.getLogRecordFactory()
    redactor = current if isinstance(current, TokenRedactor) else TokenRedactor(current)
    redactor.secrets.update(s for s in secrets if s)
    logging.setLogRecordFactory(redactor)
    return redactor


def uninstall_redaction() -> None:
    """Put back the record factory that was there before :func:`redact_secrets` (for tests)."""
    current = logging.getLogRecordFactory()
    if isinstance(current, TokenRedactor):
        logging.setLogRecordFactory(current.factory)


class RetriedErrorPages(logging.Filter):
    """PTB logs a proxy's HTML error page (a 502 from Telegram's front end) at ERROR with a
    traceback before raising; the limiter retries that call and logs it once at INFO, so the
    ERROR (152 of them in one bad minute) says nothing an operator can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno >= logging.ERROR
            and str(record.msg).startswith("Can not load invalid JSON data")
        )


REQUEST_LOGGER = "telegram.request.BaseRequest"


def install_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger at ``level``, quiet request logs, redact ``secrets``."""
    redact_secrets(secrets)
    logging.basicConfig(format=FORMAT, level=level)
    logging.getLogger().setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    request = logging.getLogger(REQUEST_LOGGER)
    if not any(isinstance(f, RetriedErrorPages) for f in request.filters):
        request.addFilter(RetriedErrorPages())
