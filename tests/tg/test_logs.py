"""The token never reaches a log line, whatever logs it and at whatever level."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.tg.logs import (
    REDACTED,
    REQUEST_LOGGER,
    install_logging,
    redact_secrets,
    uninstall_redaction,
)

TOKEN = "123456:AAHsecret-token_value"


@pytest.fixture
def redaction() -> Iterator[None]:
    redact_secrets([TOKEN])
    yield
    uninstall_redaction()


def test_message_args_and_tracebacks_are_redacted(
    redaction: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("httpx")
    log.debug("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    log.info(f"plain {TOKEN}")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("failed")
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert f"https://api.telegram.org/bot{REDACTED}/getMe" in caplog.text
    assert "was rejected" in caplog.text  # the traceback is still there, redacted


def test_a_malformed_log_call_does_not_raise_at_the_call_site(
    redaction: None, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("x").warning("%s %s %s", TOKEN, "only two arguments")
    assert TOKEN not in caplog.text
    assert "only two arguments" in caplog.text


def test_installing_twice_keeps_one_redactor(redaction: None) -> None:
    redact_secrets(["other"])
    factory = logging.getLogRecordFactory()
    redact_secrets([])
    assert logging.getLogRecordFactory() is factory


def test_install_logging_quiets_request_logs() -> None:
    try:
        install_logging("DEBUG", [TOKEN])
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    finally:
        uninstall_redaction()
        logging.getLogger().setLevel(logging.WARNING)


def test_a_retried_error_page_is_not_logged_as_an_error(caplog: pytest.LogCaptureFixture) -> None:
    # PTB logs Telegram's 502 HTML page at ERROR before raising; the limiter retries it and
    # logs the retry at INFO, so the ERROR line is noise.
    install_logging("INFO")
    try:
        with caplog.at_level(logging.INFO):
            request = logging.getLogger(REQUEST_LOGGER)
            request.error("Can not load invalid JSON data: %r", "<html>502 Bad Gateway</html>")
            request.error("something else went wrong")
        assert "Can not load invalid JSON data" not in caplog.text
        assert "something else went wrong" in caplog.text
    finally:
        uninstall_redaction()
