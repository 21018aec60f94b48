"""Property-based tests: any text up to 4096 characters gets a reply Telegram accepts.

The question goes through the real engine and the real renderer; each message produced is then
checked the way Telegram checks it (tests/support/replies.py).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.engine.model import Kind, Reply
from tests.support.replies import (
    ANY_CHARACTER,
    MAX_QUESTION,
    QUESTIONS,
    check_reply,
    telegram_accepts,
)

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@PROPERTIES
@given(question=QUESTIONS)
@example("Who brokered the truce? " * 170)  # a long question that has an answer
@example("\U0001f600" * 2048)  # 4096 UTF-16 units
@example("\u202eWho brokered the truce?\u202c")
@example("")
def test_any_question_gets_a_reply_telegram_accepts(engine: Engine, question: str) -> None:
    reply = engine.ask(question)
    assert isinstance(reply.kind, Kind)
    event(f"{reply.kind.value}, {len(reply.citations)} citation(s)")
    event(f"question of {len(question) // 1000 * 1000}+ characters")
    check_reply(reply, engine)


@PROPERTIES
@given(text=st.text(ANY_CHARACTER, max_size=3 * MAX_QUESTION))
def test_any_answer_text_renders_to_messages_telegram_accepts(engine: Engine, text: str) -> None:
    # Knowledge is edited by admins: whatever an answer says, it must still go out.
    base = engine.ask("Who brokered the truce?")
    assert base.kind is Kind.ANSWER
    reply = Reply(
        question=text[:MAX_QUESTION],
        kind=Kind.ANSWER,
        text=text,
        citations=base.citations,
        entry=base.entry,
        source=base.source,
        followups=base.followups,
    )
    check_reply(reply, engine)


@pytest.mark.parametrize("html", ["<b>x</b>", "a &amp; b", "<blockquote>q</blockquote>"])
def test_the_checker_accepts_valid_html(html: str) -> None:
    assert telegram_accepts(html)


@pytest.mark.parametrize("html", ["<br>", "<b>x", "", "x" * 4097])
def test_the_checker_refuses_what_telegram_refuses(html: str) -> None:
    with pytest.raises(AssertionError):
        telegram_accepts(html)
