"""Hostile text, unsupported updates and failures: never a crash, never an API error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.engine import Engine, load_knowledge
from bot.engine.model import Citation, Kind
from bot.tg import admin, render
from tests.conftest import KNOWLEDGE
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.harness import entity_texts

from .conftest import Launch
from .test_groups import group_with_alice

# What the bot says to a message that is not text (conversation.yaml, English users).
NOT_TEXT = load_knowledge(KNOWLEDGE).messages["not_text"]

HOSTILE = [
    "<b>Who</b> brokered the <i>truce</i>? & </blockquote> <br> &amp; &lt; <script>x</script>",
    "Who brokered the truce? " * 170 + "x" * (4096 - 24 * 170),  # exactly 4096 characters
    "\u0645\u0646 \u062a\u0648\u0633\u0637 \u0641\u064a \u0627\u0644\u0647\u062f\u0646\u0629\u061f",
    "\u202eWho brokered the truce?\u202c \u200f\u200e",
    "Who\u200b brokered\u200d the\u2060 truce\ufeff?",
    "\U0001f91d\U0001f3fd who brokered the truce? \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f600" * 2048,  # 4096 UTF-16 units
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff",
    "' OR 1=1; --",
    "{{7*7}} ${jndi:ldap://x} %s %n",
    "a\nb\n\n\nc\r\n\t",
    "/",
    "@",
    "&#0; &#x110000; &#xD800;",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_private_text_gets_a_valid_reply(fake: FakeBotAPI, text: str) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, text)
    [reply] = await fake.wait_sent(chat["id"])
    assert reply["text"].strip()
    assert fake.errors == []


async def test_hostile_text_in_groups(fake: FakeBotAPI) -> None:
    group, alice = await group_with_alice(fake)
    for sent, text in enumerate(HOSTILE, start=1):
        command = "/ask " + text
        if len(command) > 4096:
            command = command[:4096]
        fake.send_text(group, alice, command)
        # One at a time: asked together, equal answers would be merged into one reply.
        await fake.wait_sent(group["id"], sent, timeout=10)
    assert fake.errors == []


async def test_long_answers_are_split_into_valid_messages(
    launch: Launch, engine: Engine, question_of_kind: Callable[[Kind], str]
) -> None:
    # An entry whose answer and citations cannot fit in one message.
    question = question_of_kind(Kind.ANSWER)
    entry_id = engine.ask(question).entry
    assert entry_id
    entry = engine.knowledge.entries[entry_id]
    paragraphs = engine.knowledge.article.paragraphs
    long_entry = replace(
        entry,
        answer=" ".join(p.text for p in paragraphs) * 2,
        citations=tuple(Citation(p.text, p.number, "A <speaker> & co") for p in paragraphs),
    )
    entries = {**engine.knowledge.entries, entry_id: long_entry}
    fake, _ = await launch(Engine(replace(engine.knowledge, entries=entries)))
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, question)
    await fake.wait_sent(chat["id"], 3)
    await fake.wait_handled()
    messages = fake.sent(chat["id"])
    quotes = [q for m in messages for q in entity_texts(m, "blockquote")]
    assert len(quotes) == len(paragraphs)  # every citation whole, none cut or lost
    assert all(
        q.endswith("A <speaker> & co \u00b7 paragraph " + str(p.number))
        for q, p in zip(quotes, paragraphs, strict=True)
    )
    assert all(len(m["text"]) <= 4096 for m in messages)
    assert fake.errors == []


async def test_unsupported_messages_in_private_get_one_hint(fake: FakeBotAPI) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_sticker(chat, alice)
    fake.send_photo(chat, alice)
    fake.send_photo(chat, alice, caption="Who brokered the truce?")
    fake.send_voice(chat, alice)
    fake.send_document(chat, alice, "notes.txt", b"hello", "text/plain")
    replies = await fake.wait_sent(chat["id"], 5)
    assert [r["text"] for r in replies].count(NOT_TEXT) == 4
    # A file from someone who is not an admin is refused, and never downloaded.
    assert admin.REFUSED_DOCUMENT in [r["text"] for r in replies]
    assert not [c for c in fake.calls if c.method == "getFile"]
    fake.send_text(chat, alice, "/nonsense")
    [*_, unknown] = await fake.wait_sent(chat["id"], 6)
    assert unknown["text"] == render.UNKNOWN_COMMAND
    assert fake.errors == []


async def test_edited_messages_channel_posts_and_service_messages_get_no_reply(
    fake: FakeBotAPI,
) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    asked = fake.send_text(chat, alice, "Who brokered the truce?")
    await fake.wait_sent(chat["id"])
    fake.edit_text(asked, "Who violated the truce?")

    group, _ = await group_with_alice(fake)
    question = fake.send_text(group, alice, "/ask who brokered the truce?")
    await fake.wait_sent(group["id"])
    fake.edit_text(question, "/ask who violated the truce?")
    fake.service_message(group, "new_chat_title", value="Renamed")
    fake.service_message(group, "pinned_message", value=question["message_id"])
    fake.service_message(group, "new_chat_members", value=[fake.user(44, "Carol")])
    fake.service_message(group, "left_chat_member", value=fake.user(44, "Carol"))
    fake.my_chat_member(group, alice, "member", "administrator")

    channel = fake.channel()
    fake.channel_post(channel, "Who brokered the truce? @KarabakhNewsBot /ask")
    fake.service_message(channel, "new_chat_title", value="News")

    await fake.wait_handled()
    assert len(fake.sent(chat["id"])) == 1
    assert len(fake.sent(group["id"])) == 1
    assert fake.sent(channel["id"]) == []
    assert fake.errors == []


async def test_other_update_types_are_ignored(fake: FakeBotAPI) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    user = {"id": 42, "is_bot": False, "first_name": "Alice"}
    fake.push_raw(
        {
            "message_reaction": {
                "chat": chat,
                "message_id": 1,
                "user": user,
                "date": 1700000000,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "\U0001f44d"}],
            }
        }
    )
    fake.push_raw(
        {
            "poll_answer": {
                "poll_id": "1",
                "user": user,
                "option_ids": [0],
                "option_persistent_ids": ["a"],
            }
        }
    )
    fake.push_raw(
        {
            "chat_join_request": {
                "chat": fake.group(),
                "from": user,
                "user_chat_id": 42,
                "date": 1700000000,
            }
        }
    )
    fake.push_raw({"some_future_update": {"anything": True}})
    fake.my_chat_member(fake.group(), alice, "member", "left")
    await fake.wait_handled()
    assert fake.sent() == []
    # A message with content this version does not know: treated like any non-text message.
    fake.push_raw({"message": {"message_id": 9, "date": 1700000000, "chat": chat, "from": user}})
    [hint] = await fake.wait_sent(chat["id"])
    assert hint["text"] == NOT_TEXT
    fake.my_chat_member(chat, alice, "member", "kicked")  # Alice blocks the bot
    await fake.wait_handled()
    assert fake.errors == []


async def test_a_failed_reply_is_logged_and_the_user_gets_a_short_apology(
    fake: FakeBotAPI, caplog: pytest.LogCaptureFixture, question_of_kind: Callable[[Kind], str]
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.tg.errors")
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.fail_next("sendMessage", 400, "Bad Request: secret internal detail")
    fake.send_text(chat, alice, question_of_kind(Kind.ANSWER))
    [apology] = await fake.wait_sent(chat["id"])
    assert apology["text"] == render.SORRY
    [record] = [r for r in caplog.records if r.name == "bot.tg.errors"]
    assert "private chat 42" in record.getMessage() and record.exc_info
    assert fake.errors == []


async def test_a_failed_button_is_answered_with_a_notice(
    launch: Launch, clarifying: Engine
) -> None:
    fake, _ = await launch(clarifying)
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "who said it?")
    [choice] = await fake.wait_sent(chat["id"])
    data = choice["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.fail_next("editMessageText", 400, "Bad Request: secret internal detail")
    query_id = fake.press_button(choice["message_id"], data, alice, chat=chat)
    await fake.wait_for(lambda: query_id in fake.callback_answers)
    notice = fake.callback_answers[query_id]["text"]
    assert notice and "secret" not in notice
    assert fake.errors == []


async def test_a_user_who_blocked_the_bot_gets_no_apology_attempt(
    fake: FakeBotAPI, caplog: pytest.LogCaptureFixture, question_of_kind: Callable[[Kind], str]
) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", times=2)
    fake.send_text(chat, alice, question_of_kind(Kind.ANSWER))
    await fake.wait_for(lambda: fake.injected_faults)
    await fake.wait_handled()
    assert len(fake.injected_faults) == 1  # the answer; no apology sent into a blocked chat
    # Logged once, by the limiter that saw it (tests/tg/test_reliability.py); not again here.
    assert [r.levelname for r in caplog.records if r.name == "bot.tg.errors"] == []
    assert [r.levelname for r in caplog.records if r.name == "bot.tg.ratelimit"] == ["WARNING"]
    assert fake.errors == []


async def test_an_update_with_a_lone_surrogate_does_not_stop_the_bot(fake: FakeBotAPI) -> None:
    # Telegram can send text that UTF-8 cannot encode; the journal once failed on it, and PTB
    # fetched the same batch again forever, so nobody was answered.
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "\ud800 who brokered the truce?")
    fake.send_text(chat, alice, "Who brokered the truce?")
    sent = await fake.wait_sent(chat["id"], 2, timeout=10)
    assert "United States" in sent[-1]["text"]
