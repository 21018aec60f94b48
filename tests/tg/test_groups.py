"""Groups end to end: every way of addressing the bot, and silence for everything else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.engine.model import Kind
from tests.support.fake_bot_api import FakeBotAPI, JSONDict
from tests.support.harness import buttons, entity_texts

from .conftest import Launch


async def group_with_alice(fake: FakeBotAPI) -> tuple[JSONDict, JSONDict]:
    alice = fake.user(42, "Alice", "alice")
    group = fake.group(-100500, "Readers")
    fake.service_message(group, "new_chat_members")  # the bot is added to the group
    return group, alice


async def assert_silent(fake: FakeBotAPI, chat_id: int) -> None:
    await fake.wait_handled()
    assert fake.sent(chat_id) == []
    assert fake.errors == []


@pytest.mark.parametrize("command", ["/ask", "/ask@KarabakhNewsBot", "/ASK@karabakhnewsbot"])
async def test_ask_answers_as_a_reply_to_the_asker(
    fake: FakeBotAPI,
    engine: Engine,
    question_of_kind: Callable[[Kind], str],
    command: str,
) -> None:
    group, alice = await group_with_alice(fake)
    question = question_of_kind(Kind.ANSWER)
    asked = fake.send_text(group, alice, f"{command} {question}")
    [reply] = await fake.wait_sent(group["id"])
    assert reply["reply_to_message_id"] == asked["message_id"]
    assert entity_texts(reply, "blockquote")
    assert engine.ask(question).text.split("\n")[0][:40] in reply["text"]
    assert buttons(reply) == []  # no follow-up buttons cluttering the group
    assert fake.errors == []


async def test_ask_keeps_a_multi_line_question(
    fake: FakeBotAPI, question_of_kind: Callable[[Kind], str]
) -> None:
    group, alice = await group_with_alice(fake)
    fake.send_text(group, alice, "/ask\n" + question_of_kind(Kind.ANSWER))
    [reply] = await fake.wait_sent(group["id"])
    assert entity_texts(reply, "blockquote")


@pytest.mark.parametrize("text", ["/ask", "/ask@KarabakhNewsBot", "/ask   \u200b  "])
async def test_ask_without_a_question_explains_how(fake: FakeBotAPI, text: str) -> None:
    group, alice = await group_with_alice(fake)
    asked = fake.send_text(group, alice, text)
    [reply] = await fake.wait_sent(group["id"])
    assert "/ask " in reply["text"] and reply["reply_to_message_id"] == asked["message_id"]
    assert fake.errors == []


async def test_reply_to_the_bot_is_a_follow_up_question(
    fake: FakeBotAPI, question_of_kind: Callable[[Kind], str]
) -> None:
    group, alice = await group_with_alice(fake)
    fake.send_text(group, alice, "/ask " + question_of_kind(Kind.ANSWER))
    [first] = await fake.wait_sent(group["id"])
    follow_up = fake.send_text(group, alice, "Who brokered it?", reply_to=first["message_id"])
    [_, second] = await fake.wait_sent(group["id"], 2)
    assert second["reply_to_message_id"] == follow_up["message_id"]
    assert fake.errors == []


async def test_no_answer_in_a_group_is_one_short_line(
    fake: FakeBotAPI, engine: Engine, question_of_kind: Callable[[Kind], str]
) -> None:
    group, alice = await group_with_alice(fake)
    fake.send_text(group, alice, "/ask " + question_of_kind(Kind.NO_ANSWER))
    [reply] = await fake.wait_sent(group["id"])
    assert "\n" not in reply["text"] and len(reply["text"]) <= 100
    assert reply["text"] == engine.knowledge.messages.get("no_answer_group", reply["text"])
    assert buttons(reply) == []
    assert fake.errors == []


async def test_clarify_in_a_group_answers_in_place(launch: Launch, clarifying: Engine) -> None:
    fake, _ = await launch(clarifying)
    group, alice = await group_with_alice(fake)
    bob = fake.user(43, "Bob")
    fake.send_text(group, alice, "/ask who said it?")
    [choice] = await fake.wait_sent(group["id"])
    _, data = buttons(choice)[0]
    fake.press_button(choice["message_id"], data, bob, chat=group)  # anyone may choose
    await fake.wait_for(lambda: fake.sent(group["id"])[0]["edit_date"] is not None)
    [answer] = fake.sent(group["id"])
    assert entity_texts(answer, "blockquote") and buttons(answer) == []
    assert fake.errors == []


async def test_start_and_help_in_a_group(fake: FakeBotAPI) -> None:
    group, alice = await group_with_alice(fake)
    fake.send_text(group, alice, "/start@KarabakhNewsBot")
    [start] = await fake.wait_sent(group["id"])
    assert "/ask" in start["text"]
    fake.send_text(group, alice, "/help@KarabakhNewsBot")
    [_, help_message] = await fake.wait_sent(group["id"], 2)
    assert "/ask" in help_message["text"]
    assert fake.errors == []


async def test_chatter_is_not_even_delivered_in_privacy_mode(fake: FakeBotAPI) -> None:
    group, alice = await group_with_alice(fake)
    fake.send_text(group, alice, "Who brokered the truce?")
    fake.send_text(group, alice, "@KarabakhNewsBot who brokered the truce?")
    fake.send_text(group, alice, "/ask@OtherBot who brokered the truce?")
    await assert_silent(fake, group["id"])
    assert len(fake.undelivered) == 3


async def test_mentions_are_answered_when_the_bot_reads_the_group(
    launch: Launch, question_of_kind: Callable[[Kind], str]
) -> None:
    fake, _ = await launch(fake=FakeBotAPI(can_read_all_group_messages=True))
    group, alice = await group_with_alice(fake)
    question = question_of_kind(Kind.ANSWER)
    asked = fake.send_text(group, alice, f"@KarabakhNewsBot {question}")
    [reply] = await fake.wait_sent(group["id"])
    assert reply["reply_to_message_id"] == asked["message_id"]
    assert entity_texts(reply, "blockquote")
    fake.send_text(group, alice, "@karabakhnewsbot")  # a bare mention: how to ask
    [_, usage] = await fake.wait_sent(group["id"], 2)
    assert "/ask " in usage["text"]
    assert fake.errors == []


async def test_mention_in_the_middle_is_taken_out_of_the_question(
    launch: Launch, engine: Engine, question_of_kind: Callable[[Kind], str]
) -> None:
    fake, _ = await launch(fake=FakeBotAPI(can_read_all_group_messages=True))
    group, alice = await group_with_alice(fake)
    question = question_of_kind(Kind.ANSWER)
    fake.send_text(group, alice, f"\U0001f600 hey @KarabakhNewsBot, {question}")
    [reply] = await fake.wait_sent(group["id"])
    assert entity_texts(reply, "blockquote")
    assert fake.errors == []


async def test_unaddressed_chatter_gets_silence_even_when_the_bot_reads_everything(
    launch: Launch,
) -> None:
    fake, _ = await launch(fake=FakeBotAPI(can_read_all_group_messages=True))
    group, alice = await group_with_alice(fake)
    bob = fake.user(43, "Bob", "bob")
    said = fake.send_text(group, bob, "Who brokered the truce?")
    fake.send_text(group, alice, "No idea, ask @bob", reply_to=said["message_id"])
    fake.send_text(group, alice, "@bob what do you think about the ceasefire?")
    fake.send_text(group, alice, "/ask@OtherBot who brokered the truce?")
    start = fake.send_text(group, alice, "/start")  # a bare command: the one thing we answer
    fake.send_text(group, alice, "KarabakhNewsBot is great")
    fake.send_sticker(group, alice)
    fake.send_photo(group, alice, caption="@KarabakhNewsBot what is this?")
    await fake.wait_handled()
    [pointer] = fake.sent(group["id"])
    assert pointer["reply_to_message_id"] == start["message_id"] and "/ask" in pointer["text"]
    assert fake.errors == []


async def test_edited_group_question_is_not_answered_again(
    fake: FakeBotAPI, question_of_kind: Callable[[Kind], str]
) -> None:
    group, alice = await group_with_alice(fake)
    asked = fake.send_text(group, alice, "/ask " + question_of_kind(Kind.ANSWER))
    await fake.wait_sent(group["id"])
    fake.edit_text(asked, "/ask " + question_of_kind(Kind.NO_ANSWER))
    await fake.wait_handled()
    assert len(fake.sent(group["id"])) == 1
    assert fake.errors == []
