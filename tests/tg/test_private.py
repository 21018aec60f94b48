"""Private chats end to end: the real bot polling the fake Bot API, as a user sees it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from bot.engine import Engine
from bot.engine.followup import Topic
from bot.engine.model import Kind, Reply
from bot.tg import render
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.harness import buttons, entity_texts

from .conftest import Launch


async def test_start_names_the_article_and_its_example_buttons_ask(
    fake: FakeBotAPI, engine: Engine
) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "/start")
    [greeting] = await fake.wait_sent(chat["id"])
    article = engine.knowledge.article
    assert article.title in greeting["text"] and article.publisher in greeting["text"]
    examples = buttons(greeting)
    assert 3 <= len(examples) <= 4

    label, data = examples[0]
    query_id = fake.press_button(greeting["message_id"], data, alice, chat=chat)
    sent = await fake.wait_sent(chat["id"], 2)
    answer = sent[1]
    await fake.wait_for(lambda: query_id in fake.callback_answers)  # the spinner stops
    assert fake.callback_answers[query_id]["text"] is None
    assert entity_texts(answer, "bold") == [label]  # the question it answers, on top
    assert entity_texts(answer, "blockquote")
    assert "paragraph" in answer["text"] or "headline" in answer["text"]
    assert fake.sent(chat["id"])[0]["text"] == greeting["text"]  # the greeting stays
    assert fake.errors == []


async def test_question_gets_the_answer_with_each_citation_as_a_blockquote(
    fake: FakeBotAPI, engine: Engine, question_of_kind: Callable[[Kind], str]
) -> None:
    question = question_of_kind(Kind.ANSWER)
    expected = engine.ask(question)
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, question)
    [reply] = await fake.wait_sent(chat["id"])
    assert reply["parse_mode"] == "HTML"
    assert reply["text"].startswith(expected.text.split("\n")[0][:50])
    quotes = entity_texts(reply, "blockquote")
    assert len(quotes) == len(expected.citations)
    for shown, citation in zip(quotes, expected.citations, strict=True):
        assert citation.quote.strip('\u201c\u201d"') in shown
        assert (
            "headline" if citation.paragraph == 0 else f"paragraph {citation.paragraph}"
        ) in shown
    assert f"Source: {engine.knowledge.article.title}" in reply["text"]
    assert reply["reply_to_message_id"] is None  # private chats need no quoting
    assert fake.chat_actions == []  # the answer was ready at once: no "typing…"
    assert fake.errors == []


async def test_clarify_offers_candidates_and_pressing_one_answers_in_place(
    launch: Launch, engine: Engine, clarifying: Engine
) -> None:
    fake, _ = await launch(clarifying)
    question = "Who said it?"
    options = clarifying.ask(question).options
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, question)
    [choice] = await fake.wait_sent(chat["id"])
    offered = buttons(choice)
    assert [data for _, data in offered] == [f"a:{o.entry_id}" for o in options]
    assert all(len(data.encode()) <= 64 for _, data in offered)

    query_id = fake.press_button(choice["message_id"], offered[0][1], alice, chat=chat)
    await fake.wait_for(lambda: query_id in fake.callback_answers)
    assert fake.sent(chat["id"])[0]["edit_date"] is not None
    [edited, *more] = fake.sent(chat["id"])
    assert not more
    assert entity_texts(edited, "bold") == [engine.knowledge.entries[options[0].entry_id].title]
    assert entity_texts(edited, "blockquote")
    assert fake.errors == []


async def test_no_answer_is_honest_and_suggestions_answer_in_place(
    fake: FakeBotAPI, engine: Engine, question_of_kind: Callable[[Kind], str]
) -> None:
    question = question_of_kind(Kind.NO_ANSWER)
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, question)
    [reply] = await fake.wait_sent(chat["id"])
    assert engine.ask(question).text.split("\n")[0] in reply["text"]
    assert not entity_texts(reply, "blockquote")  # no citation without an answer
    suggestions = buttons(reply)
    if suggestions:
        fake.press_button(reply["message_id"], suggestions[0][1], alice, chat=chat)
        await fake.wait_for(lambda: fake.sent(chat["id"])[0]["edit_date"] is not None)
        assert entity_texts(fake.sent(chat["id"])[0], "blockquote")
    assert fake.errors == []


async def test_follow_up_buttons_ask_in_a_new_message(
    fake: FakeBotAPI, engine: Engine, eval_questions: list[str]
) -> None:
    question = next(q for q in eval_questions if engine.ask(q).followups)
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, question)
    [answer] = await fake.wait_sent(chat["id"])
    [(label, data), *_] = buttons(answer)
    assert data.startswith("q:")
    fake.press_button(answer["message_id"], data, alice, chat=chat)
    [first, second] = await fake.wait_sent(chat["id"], 2)
    assert first["edit_date"] is None
    assert entity_texts(second, "bold") == [label]
    assert fake.errors == []


async def test_button_for_an_entry_that_no_longer_exists_says_so(
    launch: Launch, engine: Engine
) -> None:
    fake, app = await launch()
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "/start")
    [greeting] = await fake.wait_sent(chat["id"])
    _, data = buttons(greeting)[0]
    gone = data.partition(":")[2]
    # The knowledge is reloaded without that entry while the old keyboard is still on screen.
    entries = {k: v for k, v in engine.knowledge.entries.items() if k != gone}
    app.bot_data.engine = Engine(replace(engine.knowledge, entries=entries))
    query_id = fake.press_button(greeting["message_id"], data, alice, chat=chat)
    await fake.wait_for(lambda: query_id in fake.callback_answers)
    assert fake.callback_answers[query_id]["text"] == render.GONE
    await fake.wait_handled()
    assert len(fake.sent(chat["id"])) == 1
    assert fake.errors == []


async def test_help_and_sources(fake: FakeBotAPI, engine: Engine) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "/help")
    [help_message] = await fake.wait_sent(chat["id"])
    assert "/ask" in help_message["text"] and "group" in help_message["text"].lower()
    assert f"@{fake.username}" in help_message["text"]
    fake.send_text(chat, alice, "/sources")
    [_, sources] = await fake.wait_sent(chat["id"], 2)
    article = engine.knowledge.article
    assert article.title in sources["text"] and article.publisher in sources["text"]
    assert "cite" in sources["text"]
    assert fake.errors == []


async def test_slow_answers_show_typing_first(launch: Launch, engine: Engine) -> None:
    class SlowEngine(Engine):
        def converse(
            self, text: str, hint: str | None = None, topic: Topic | None = None
        ) -> tuple[Reply, Topic | None]:
            time.sleep(0.6)  # not a wait: a slow engine call, long enough to show typing
            return super().converse(text, hint, topic)

    fake, _ = await launch(SlowEngine(engine.knowledge))
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "Who brokered the truce?")
    await fake.wait_sent(chat["id"])
    [action] = fake.chat_actions
    assert action["action"] == "typing" and action["chat_id"] == chat["id"]
    methods = [c.method for c in fake.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods == ["sendChatAction", "sendMessage"]
    assert fake.errors == []


async def test_a_near_miss_says_what_the_article_does_not_say_before_the_related_quotes(
    fake: FakeBotAPI, engine: Engine
) -> None:
    # Erdogan is in the article; nothing he said about France is.
    question = "What did Erdogan say about France?"
    expected = engine.ask(question)
    assert expected.kind is Kind.NEAR_MISS
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, question)
    [reply] = await fake.wait_sent(chat["id"])
    assert reply["text"].startswith("The article doesn't mention France.")
    # The related point follows, labelled, with its verbatim quotes; no feedback thumbs, since
    # it is not an answer.
    assert engine.knowledge.messages["related"] in reply["text"]
    assert len(entity_texts(reply, "blockquote")) == len(expected.citations) > 0
    assert not any("👍" in label for label, _ in buttons(reply))
    assert fake.errors == []


async def test_a_russian_user_is_greeted_answered_and_shown_buttons_in_russian(
    fake: FakeBotAPI, engine: Engine
) -> None:
    ivan = fake.user(43, "Иван", language_code="ru")
    chat = fake.private_chat(ivan)
    ru = engine.knowledge.translations["ru"]
    fake.send_text(chat, ivan, "/start")
    [greeting] = await fake.wait_sent(chat["id"])
    assert greeting["text"].startswith(ru.messages["welcome"].split("{title}")[0].strip())
    assert engine.knowledge.article.title in greeting["text"]  # the article's own title
    labels = [label for label, _ in buttons(greeting)]
    assert labels and all(label in ru.labels.values() for label in labels)
    fake.send_text(chat, ivan, "Кто такой Пашинян?")
    [answer] = (await fake.wait_sent(chat["id"], 2))[1:]
    assert answer["text"].startswith(ru.answers["pashinyan"][:40])
    quotes = entity_texts(answer, "blockquote")
    assert quotes and all("абзац" in q for q in quotes)  # the quotes stay English
    assert "strictly adhere" in " ".join(quotes) or "continues" in " ".join(quotes)
    assert ru.messages["source"] in answer["text"]
    # A follow-up button answers in Russian too.
    followups = [(label, data) for label, data in buttons(answer) if data.startswith("q:")]
    assert followups
    label, data = followups[0]
    fake.press_button(answer["message_id"], data, ivan, chat=chat)
    [pressed] = (await fake.wait_sent(chat["id"], 3))[2:]
    assert entity_texts(pressed, "bold") == [label] and label in ru.labels.values()
    # /help is in Russian.
    count = len(fake.sent(chat["id"]))
    fake.send_text(chat, ivan, "/help")
    [shown] = (await fake.wait_sent(chat["id"], count + 1))[count:]
    heading = ru.messages["help"].split("*")[1]
    assert heading in entity_texts(shown, "bold")
    assert fake.errors == []


async def test_a_question_in_english_from_a_russian_user_is_answered_in_english(
    fake: FakeBotAPI, engine: Engine
) -> None:
    ivan = fake.user(43, "Иван", language_code="ru")
    chat = fake.private_chat(ivan)
    fake.send_text(chat, ivan, "Who brokered the truce?")
    [answer] = await fake.wait_sent(chat["id"])
    assert answer["text"].startswith(engine.ask("Who brokered the truce?").text[:40])
    assert "paragraph" in answer["text"]
    assert fake.errors == []
