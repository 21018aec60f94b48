"""Webhook mode (``python -m bot run --webhook``): Telegram posts updates to the bot over HTTPS.

The bot listens on plain HTTP at ``WEBHOOK_LISTEN:WEBHOOK_PORT`` behind a reverse proxy that
terminates TLS for ``WEBHOOK_URL``; it serves the URL's path. PTB's webhook server refuses, with
403, any request whose ``X-Telegram-Bot-Api-Secret-Token`` header is not ``WEBHOOK_SECRET``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import Update

from bot.settings import Settings
from bot.tg.context import BotApplication

MAX_CONNECTIONS = 40  # Telegram's default number of simultaneous webhook requests


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Where Telegram posts (``url``), where the bot listens, and the shared secret."""

    url: str
    listen: str
    port: int
    secret: str

    @property
    def path(self) -> str:
        """The path the bot serves: the public URL's, as the proxy forwards it."""
        return urlsplit(self.url).path.rstrip("/") or "/"

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"WebhookConfig(url={self.url!r}, listen={self.listen!r}, port={self.port})"

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        """From WEBHOOK_*; :class:`~bot.settings.SettingsError` names a missing variable."""
        url, secret = settings.require_webhook()
        return cls(url, settings.webhook_listen, settings.webhook_port, secret.get_secret_value())


async def start_webhook(application: BotApplication, config: WebhookConfig) -> None:
    """Register the webhook with Telegram (setWebhook) and start serving it."""
    assert application.updater
    await application.updater.start_webhook(
        listen=config.listen,
        port=config.port,
        url_path=config.path,
        webhook_url=config.url,
        secret_token=config.secret,
        # Every update type, nothing dropped: what came while the bot was down gets answered.
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
        max_connections=MAX_CONNECTIONS,
    )
