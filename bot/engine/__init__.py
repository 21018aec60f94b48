"""How a question becomes an answer. No Telegram here: the CLI, the bot and the tests share it."""

from bot.engine.engine import Engine
from bot.engine.load import load_knowledge
from bot.engine.model import Knowledge
from bot.errors import KnowledgeError, KnowledgeProblem

__all__ = ["Engine", "Knowledge", "KnowledgeError", "KnowledgeProblem", "load_knowledge"]
