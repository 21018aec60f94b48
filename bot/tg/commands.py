"""The command menus Telegram shows, per chat type (set with setMyCommands)."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.ext import ExtBot

PRIVATE_COMMANDS = [
    BotCommand("start", "What I know, with example questions"),
    BotCommand("help", "How to ask, here and in groups"),
    BotCommand("sources", "The article I answer from"),
    BotCommand("ask", "Ask a question about the article"),
]
GROUP_COMMANDS = [
    BotCommand("ask", "Ask a question about the article"),
    BotCommand("help", "How to ask me in a group"),
]
# Added to an admin's own menu (BOT_ADMIN_IDS) once they start a chat with the bot.
ADMIN_COMMANDS = [
    BotCommand("reload", "Re-read the knowledge folder"),
    BotCommand("rollback", "Undo the last knowledge change"),
    BotCommand("export", "Send the knowledge files"),
    BotCommand("unanswered", "Questions I could not answer"),
    BotCommand("stats", "Questions, answers and feedback"),
]


async def set_menus(bot: ExtBot[Any]) -> None:
    """Register the command menus per chat type (once the bot is known to Telegram)."""
    await bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
