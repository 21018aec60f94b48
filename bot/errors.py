"""Every exception the bot raises of its own, in one tree. Only exceptions are named ``*Error``.

The hierarchy (each a subclass of the one above it)::

    Exception
    ├── SettingsError        a setting is missing or malformed; str() names the variable
    │   └── MissingTokenError   TELEGRAM_BOT_TOKEN is not set
    └── KnowledgeError       knowledge, or an evaluation set, cannot be loaded; carries every
        │                    KnowledgeProblem found, not just the first
        └── YamlError        one file is not YAML the loader accepts (one problem, its line)

A :class:`KnowledgeProblem` is not an exception: it is one ``file:line: message`` found in
knowledge, collected so that one run reports all of them. What fails by design is a value, not
an exception: an admin's change refused (``bot.curation.Outcome``), an unhealthy bot
(``bot.health.check``). The bot also catches others' exceptions by name: PTB's
``telegram.error.TelegramError`` family (``bot/tg/ratelimit.py``, ``bot/tg/errors.py``),
``sqlite3.Error`` (``bot/store.py``) and ``OSError``.

No import here: the health check and the settings read this module before anything else.
"""

from __future__ import annotations

from dataclasses import dataclass


class SettingsError(Exception):
    """A setting is missing or malformed; ``str()`` is one line naming the variable."""


class MissingTokenError(SettingsError):
    """TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram."""

    def __init__(self) -> None:
        super().__init__(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or in .env (see .env.example), or try the bot without Telegram "
            "with `python -m bot chat`."
        )


@dataclass(frozen=True, slots=True)
class KnowledgeProblem:
    """One problem in a knowledge file, reported as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class KnowledgeError(Exception):
    """Knowledge cannot be loaded; ``problems`` holds every problem found, in file order."""

    def __init__(self, problems: list[KnowledgeProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class YamlError(KnowledgeError):
    """One file is not YAML the loader accepts (malformed, too large, aliases, objects...)."""

    def __init__(self, problem: KnowledgeProblem) -> None:
        self.problem = problem
        super().__init__([problem])
