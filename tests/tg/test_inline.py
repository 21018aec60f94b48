"""Inline mode end to end: ``@Bot question`` in any chat."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.engine.model import Kind
from bot.tg.inline import MAX_RESULTS
from tests.support.fake_bot_api import FakeBotAPI, JSONDict

from .conftest import Launch


async def inline_answer(fake: FakeBotAPI, query: str) -> JSONDict:
    alice = fake.user(42, "Alice")
    query_id = fake.inline_query(alice, query)
    await fake.wait_for(lambda: query_id in fake.inline_answers)
    assert fake.errors == []
    answer: JSONDict = fake.inline_answers[query_id]
    return answer


def blockquotes(result: JSONDict) -> list[str]:
    parsed = result["parsed_message"]
    units = parsed["text"].encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in parsed["entities"]
        if e["type"] == "blockquote"
    ]


async def test_a_question_offers_its_answer_first_with_citations(
    fake: FakeBotAPI, engine: Engine, question_of_kind: Callable[[Kind], str]
) -> None:
    question = question_of_kind(Kind.ANSWER)
    expected = engine.ask(question)
    answer = await inline_answer(fake, question)
    results = answer["results"]
    assert 1 <= len(results) <= MAX_RESULTS
    first = results[0]
    assert first["type"] == "article" and first["id"] == expected.entry
    assert first["title"] == engine.knowledge.entries[expected.entry or ""].title
    assert first["input_message_content"]["parse_mode"] == "HTML"
    assert len(blockquotes(first)) == len(expected.citations)
    assert (
        "paragraph" in first["parsed_message"]["text"]
        or "headline" in first["parsed_message"]["text"]
    )
    assert answer["is_personal"] is False and answer["cache_time"] <= 60


async def test_an_empty_query_offers_example_questions(fake: FakeBotAPI, engine: Engine) -> None:
    answer = await inline_answer(fake, "")
    ids = [r["id"] for r in answer["results"]]
    assert 3 <= len(ids) <= MAX_RESULTS
    assert ids == [o.entry_id for o in engine.examples(MAX_RESULTS)][: len(ids)]
    assert all(blockquotes(r) for r in answer["results"])


async def test_clarify_offers_one_result_per_candidate(launch: Launch, clarifying: Engine) -> None:
    fake, _ = await launch(clarifying)
    candidates = [o.entry_id for o in clarifying.ask("who said it?").options]
    answer = await inline_answer(fake, "who said it?")
    assert [r["id"] for r in answer["results"]] == candidates[:MAX_RESULTS]


@pytest.mark.parametrize(
    "query",
    [
        "what is the weather in Paris",
        "<b>&amp; </blockquote> <script>",
        "\u200b",
        "\u202eecurt eht dekorb ohw",
        "\U0001f600" * 128,
        "x" * 256,
        "hello",
    ],
)
async def test_any_query_gets_a_valid_answer(fake: FakeBotAPI, query: str) -> None:
    answer = await inline_answer(fake, query)
    assert len(answer["results"]) <= MAX_RESULTS
