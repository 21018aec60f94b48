"""Can Telegram take every message the knowledge can produce? Checked before a change applies.

A knowledge file can be valid and still unusable on Telegram: a 4,290-character
``no_answer_group`` passed validation, and then every group no-answer failed with "message is too
long"; a 150 kB answer made one question produce 39 messages. So ``python -m bot validate`` and
every admin change from Telegram (an upload, /rollback) render what the knowledge can send, as
the bot would send it, and refuse it when:

- a fixed message (``conversation.yaml``) does not fit in one Telegram message;
- an entry's answer, with its quotes, needs more than ``MAX_PARTS`` messages, in a private chat,
  in a group, or under a heading (a pressed button).
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.engine import Engine
from bot.errors import KnowledgeProblem
from bot.tg import render

MAX_PARTS = 3  # messages one answer may take
QA = "qa.yaml"
CONVERSATION = "conversation.yaml"


def problems(engine: Engine, directory: Path | None = None) -> list[KnowledgeProblem]:
    """What Telegram would refuse, or what would flood a chat, as ``file:line: message``.
    ``directory`` holds the files as validated (a candidate's copy), for the line numbers."""
    knowledge = engine.knowledge
    folder = directory or knowledge.directory
    found: list[KnowledgeProblem] = []
    for key, text in knowledge.messages.items():
        size = len(render.esc(text))
        if size > render.MAX_CHARS:
            found.append(
                KnowledgeProblem(
                    CONVERSATION,
                    _line(folder / CONVERSATION, rf"^\s*{re.escape(key)}\s*:"),
                    f"message '{key}' is {size} characters; Telegram sends at most "
                    f"{render.MAX_CHARS} in one message",
                )
            )
    for entry_id, entry in knowledge.entries.items():
        reply = engine.answer_entry(entry_id)
        if reply is None:
            continue
        parts = max(
            len(
                render.render_reply(
                    reply, group=group, heading=heading, wording=knowledge.messages
                ).messages
            )
            for group in (False, True)
            for heading in (None, entry.label or None)
        )
        if parts > MAX_PARTS:
            found.append(
                KnowledgeProblem(
                    QA,
                    _line(
                        knowledge.directory / QA, rf"^\s*-?\s*id:\s*['\"]?{re.escape(entry_id)}\b"
                    ),
                    f"entry '{entry_id}': its answer with its quotes takes {parts} Telegram "
                    f"messages; at most {MAX_PARTS} (shorten the answer or cite less)",
                )
            )
    return found


def _line(path: Path, pattern: str) -> int:
    """The first line of ``path`` matching ``pattern`` (1 if none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return 1
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(pattern, line):
            return number
    return 1
