"""Follow-up questions end to end: private chats, groups (per asker, and threads of replies to
one of the bot's answers) and buttons, against the fake Bot API."""

from __future__ import annotations

from bot.engine import Engine
from bot.tg import render
from tests.support.fake_bot_api import FakeBotAPI, JSONDict
from tests.support.harness import buttons, entity_texts

FIRST = "What did Aliyev threaten?"
MORE = "what else did he say?"


def aliyev_paragraphs(engine: Engine) -> set[str]:
    """How the bot names the paragraphs of Aliyev's quotations in a reply."""
    quotes = engine.knowledge.quotes.values()
    return {f"paragraph {q.paragraph}" for q in quotes if q.speaker == "Ilham Aliyev"}


def cites_aliyev(engine: Engine, reply: JSONDict) -> bool:
    shown = " ".join(entity_texts(reply, "blockquote"))
    return any(where in shown for where in aliyev_paragraphs(engine))


def new_quotes(before: JSONDict, after: JSONDict) -> set[str]:
    return set(entity_texts(after, "blockquote")) - set(entity_texts(before, "blockquote"))


async def test_private_follow_up_shows_the_same_speakers_other_quotes(
    fake: FakeBotAPI, engine: Engine
) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, FIRST)
    [first] = await fake.wait_sent(chat["id"])
    fake.send_text(chat, alice, MORE)
    [_, more] = await fake.wait_sent(chat["id"], 2)
    assert cites_aliyev(engine, more)
    assert new_quotes(first, more)
    assert fake.errors == []


async def test_private_chats_do_not_share_context(fake: FakeBotAPI, engine: Engine) -> None:
    alice, bob = fake.user(42, "Alice"), fake.user(43, "Bob")
    alice_chat, bob_chat = fake.private_chat(alice), fake.private_chat(bob)
    fake.send_text(alice_chat, alice, FIRST)
    await fake.wait_sent(alice_chat["id"])
    fake.send_text(bob_chat, bob, MORE)
    [bobs] = await fake.wait_sent(bob_chat["id"])
    assert not cites_aliyev(engine, bobs)


async def test_a_pressed_button_becomes_the_topic(fake: FakeBotAPI, engine: Engine) -> None:
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    fake.send_text(chat, alice, "What did the defense ministry say?")
    [clarify] = await fake.wait_sent(chat["id"])
    options = buttons(clarify)
    assert len(options) >= 2
    _, data = options[1]
    parsed = render.parse_callback(data)
    assert parsed is not None
    pressed = engine.answer_entry(parsed[1])
    assert pressed is not None and pressed.followups
    query = fake.press_button(clarify["message_id"], data, alice, chat=chat)
    await fake.wait_for(lambda: query in fake.callback_answers)
    # "The first one" now picks from what the pressed answer offers, not the old list.
    before = len(fake.sent(chat["id"]))
    fake.send_text(chat, alice, "the first one")
    sent = await fake.wait_sent(chat["id"], before + 1)
    expected = engine.answer_entry(pressed.followups[0].entry_id)
    assert expected is not None
    assert sent[-1]["text"].startswith(expected.text.split("\n")[0][:40])


async def group_of_two(fake: FakeBotAPI) -> tuple[JSONDict, JSONDict, JSONDict]:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    group = fake.group(-100500, "Readers")
    fake.service_message(group, "new_chat_members")
    return group, alice, bob


async def test_in_a_group_each_asker_has_their_own_context(
    fake: FakeBotAPI, engine: Engine
) -> None:
    group, alice, bob = await group_of_two(fake)
    fake.send_text(group, alice, f"/ask {FIRST}")
    [first] = await fake.wait_sent(group["id"])
    fake.send_text(group, bob, f"/ask {MORE}")
    [_, bobs] = await fake.wait_sent(group["id"], 2)
    assert not cites_aliyev(engine, bobs)  # Bob never asked about Aliyev
    fake.send_text(group, alice, f"/ask {MORE}")
    [_, _, alices] = await fake.wait_sent(group["id"], 3)
    assert cites_aliyev(engine, alices) and new_quotes(first, alices)
    assert fake.errors == []


async def test_a_reply_to_an_answer_continues_that_answers_thread(
    fake: FakeBotAPI, engine: Engine
) -> None:
    group, alice, bob = await group_of_two(fake)
    fake.send_text(group, alice, f"/ask {FIRST}")
    [first] = await fake.wait_sent(group["id"])
    # Bob asked nothing, but replies to Alice's answer: the thread is about Aliyev.
    fake.send_text(group, bob, MORE, reply_to=first["message_id"])
    [_, more] = await fake.wait_sent(group["id"], 2)
    assert cites_aliyev(engine, more) and new_quotes(first, more)
    # A reply to that reply's answer goes on in the same thread.
    fake.send_text(group, alice, "who is he?", reply_to=more["message_id"])
    [_, _, who] = await fake.wait_sent(group["id"], 3)
    alone = engine.ask("who is Ilham Aliyev?")
    assert who["text"].startswith(alone.text.split("\n")[0][:40])
    assert fake.errors == []
