"""Admin replies render to messages Telegram accepts, however long the list of problems."""

from __future__ import annotations

from bot.curation import Outcome
from bot.errors import KnowledgeProblem
from bot.tg import render
from tests.support.fake_bot_api import parse_html


def test_a_long_list_of_problems_is_split_into_valid_messages() -> None:
    message = "citation does not appear verbatim <b>&" + "x" * 300
    errors = tuple(KnowledgeProblem("qa.yaml", n, message) for n in range(1, 61))
    outcome = Outcome(False, "Not applied: 60 problems", errors=errors)
    messages = render.outcome_messages(outcome)
    assert len(messages) > 1
    shown = []
    for html in messages:
        text, _entities = parse_html(html)  # raises on markup Telegram would refuse
        assert 0 < len(text) <= render.MAX_CHARS
        shown.append(text)
    assert shown[0].startswith("\u26a0\ufe0f Not applied: 60 problems")
    assert "qa.yaml:1: citation does not appear verbatim <b>&" in shown[0]
    assert "more lines" in shown[-1]  # past MAX_OUTCOME_LINES the rest is summarised
