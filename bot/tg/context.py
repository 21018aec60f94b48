"""Typed state shared by every handler, reached through ``context.bot_data``."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.engine import Engine


class BotData:
    """The engine every handler asks; set once by :func:`bot.tg.app.build_application`."""

    __slots__ = ("_engine",)

    def __init__(self) -> None:  # PTB builds bot_data with no arguments
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("BotData.engine is used before build_application set it")
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
BotApplication = Application[ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, Any]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
