"""Tests of the fake Bot API server, driven by a real PTB ``Bot`` and ``Application``."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.support.fake_bot_api import (
    DEFAULT_TOKEN,
    EntityParseError,
    FakeBotAPI,
    detect_entities,
    finalize_text,
    parse_html,
    utf16_len,
)

JSONDict = dict[str, Any]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


@pytest.fixture
def alice(fake: FakeBotAPI) -> JSONDict:
    return fake.user(42, "Alice", username="alice")


@pytest.fixture
def dm(fake: FakeBotAPI, alice: JSONDict) -> JSONDict:
    return fake.private_chat(alice)


# ------------------------------------------------------------------------------ parser units


def test_parse_html_entities_and_utf16_offsets() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> <a href="https://e.com/x?a=1&amp;b=2">link</a>'
    )
    assert text == "😀 bold both link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 13, "length": 4, "url": "https://e.com/x?a=1&b=2"},
    ]


def test_parse_html_decodes_entities_like_tdlib() -> None:
    text, entities = parse_html("&lt;b&gt; &amp; &quot; &#65;&#x42; &nbsp; &unknown; a > b &amp")
    assert text == '<b> & " AB &nbsp; &unknown; a > b &'
    assert entities == []


def test_parse_html_tags_case_insensitive_and_special_tags() -> None:
    text, entities = parse_html(
        '<B>x</B><pre><code class="language-python">p</code></pre><code>c</code>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote><blockquote>r</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        '<a href="tg://user?id=42">u</a><u>v</u><s>w</s>'
    )
    assert text == "xpcstqr👍uvw"
    kinds = {(e["type"], e["offset"]) for e in entities}
    assert ("bold", 0) in kinds
    assert {"type": "pre", "offset": 1, "length": 1, "language": "python"} in entities
    assert {"type": "code", "offset": 2, "length": 1} in entities
    assert ("spoiler", 3) in kinds and ("spoiler", 4) in kinds
    assert ("expandable_blockquote", 5) in kinds and ("blockquote", 6) in kinds
    assert {
        "type": "custom_emoji",
        "offset": 7,
        "length": 2,
        "custom_emoji_id": "5368324170671202286",
    } in entities
    assert {"type": "text_mention", "offset": 9, "length": 1, "user": {"id": 42}} in entities


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("Hello<br>world", 'Unsupported start tag "br" at byte offset 5'),
        ("é<p>x</p>", 'Unsupported start tag "p" at byte offset 2'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        (
            "<blockquote>a<blockquote>b</blockquote></blockquote>",
            "Nested blockquotes are not supported at byte offset 13",
        ),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
    ],
)
def test_parse_html_errors(html: str, message: str) -> None:
    with pytest.raises(EntityParseError) as info:
        parse_html(html)
    assert str(info.value) == message


def test_finalize_trims_cleans_and_drops_formatting_inside_code() -> None:
    text, entities = parse_html("<b>  a<code>b</code></b>\r\n\t ")
    assert finalize_text(text, entities) == (
        "  ab",
        [{"offset": 0, "length": 3, "type": "bold"}, {"offset": 3, "length": 1, "type": "code"}],
    )
    assert finalize_text(*parse_html("  <b>a</b>")) == (
        "a",
        [{"offset": 0, "length": 1, "type": "bold"}],
    )
    assert finalize_text(" \n x \n ", []) == ("x", [])
    assert finalize_text("<b> </b>", []) == ("<b> </b>", [])
    assert finalize_text(*parse_html("<b> </b>")) == ("", [])


def test_detect_entities_like_telegram() -> None:
    text = "😀 /start@KarabakhNewsBot hi @alice_x #tag https://example.com/a. a/b /x@ab"
    found = {(text_slice(text, e), e["type"]) for e in detect_entities(text)}
    assert found == {
        ("/start@KarabakhNewsBot", "bot_command"),
        ("@alice_x", "mention"),
        ("#tag", "hashtag"),
        ("https://example.com/a", "url"),
    }
    first = detect_entities(text)[0]
    assert (first["offset"], first["length"]) == (3, 22)  # the emoji is 2 UTF-16 units


def text_slice(text: str, entity: JSONDict) -> str:
    encoded = text.encode("utf-16-le")
    start, end = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
    return encoded[start:end].decode("utf-16-le")


# ------------------------------------------------------------------------------ wire format


async def test_get_me(bot: Bot, fake: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.username == "KarabakhNewsBot"
    assert me.is_bot and me.can_join_groups and me.supports_inline_queries
    assert me.can_read_all_group_messages is False
    assert fake.calls_to("getMe")[-1].ok
    assert fake.errors == []


async def test_raw_wire_format(fake: FakeBotAPI) -> None:
    base = f"http://127.0.0.1:{fake.port}"
    chat = fake.private_chat(fake.user(7, "Bob"))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/bot{fake.token}/GETME") as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True and body["result"]["id"] == 123456
        # form values that look like JSON stay strings for string parameters
        form = {"chat_id": str(chat["id"]), "text": "123", "disable_notification": "true"}
        async with http.post(f"{base}/bot{fake.token}/sendMessage", data=form) as resp:
            body = await resp.json()
            assert body["result"]["text"] == "123"
        payload = {"chat_id": chat["id"], "text": "true", "reply_markup": None}
        async with http.post(f"{base}/bot{fake.token}/sendmessage", json=payload) as resp:
            assert (await resp.json())["result"]["text"] == "true"
        async with http.get(
            f"{base}/bot{fake.token}/sendMessage", params={"chat_id": "7", "text": "q"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "q"
        async with http.post(f"{base}/bot{fake.token}/nope") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{base}/somewhere") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found"
        async with http.post(f"{base}/botabc/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized: invalid token specified"
        async with http.post(f"{base}/bot1:other/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"
        fake.fail_next("getMe", 429, "", retry_after=7)
        async with http.post(f"{base}/bot{fake.token}/getMe") as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "7"
            assert await resp.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            }
    assert [e.status for e in fake.errors] == [404, 404, 401, 401]
    assert [e.status for e in fake.injected_faults] == [429]


async def test_invalid_and_wrong_tokens(fake: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(InvalidToken, match="Not Found: method not found"):
        await bot._post("fooBar")
    other = Bot("999:wrong", base_url=fake.base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        await other.initialize()
    await other.shutdown()
    broken = Bot("no-token-here", base_url=fake.base_url)
    with pytest.raises(InvalidToken):
        await broken.get_me()
    # Never initialized, so shutdown() would skip it: close its HTTP client, or a socket leaks.
    await broken.request.shutdown()
    assert [e.description for e in fake.errors][-1] == "Unauthorized: invalid token specified"


# ------------------------------------------------------------------------------ sendMessage


async def test_send_message_html_becomes_text_and_entities(
    bot: Bot, fake: FakeBotAPI, dm: JSONDict
) -> None:
    html = '😀 <b>Answer</b>: see <a href="https://example.com">here</a> &amp; /help'
    message = await bot.send_message(dm["id"], html, parse_mode=ParseMode.HTML)
    assert message.text == "😀 Answer: see here & /help"
    assert message.parse_entities() == {
        message.entities[0]: "Answer",
        message.entities[1]: "here",
        message.entities[2]: "/help",
    }
    assert [e.type for e in message.entities] == [
        MessageEntityType.BOLD,
        MessageEntityType.TEXT_LINK,
        MessageEntityType.BOT_COMMAND,
    ]
    assert message.entities[0].offset == 3
    [record] = fake.sent(dm["id"])
    assert record["text"] == message.text
    assert record["raw_text"] == html
    assert record["message_id"] == message.message_id
    assert record["chat"]["id"] == dm["id"]
    assert record["entities"][0] == {"type": "bold", "offset": 3, "length": 6}
    assert fake.errors == []


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("Hello<br>world", 'Can\'t parse entities: unsupported start tag "br" at byte offset 5'),
        ("<b>bold", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        (
            "<b><i>x</b></i>",
            'Can\'t parse entities: unmatched end tag at byte offset 7, expected "</i>", '
            'found "</b>"',
        ),
        ("x <b", "Can't parse entities: unclosed start tag at byte offset 2"),
        (
            "<span>x</span>",
            'Can\'t parse entities: tag "span" must have class "tg-spoiler" at byte offset 0',
        ),
        ("1 < 2", 'Can\'t parse entities: unsupported start tag "" at byte offset 2'),
        (
            "<blockquote><blockquote>x</blockquote></blockquote>",
            "Can't parse entities: nested blockquotes are not supported at byte offset 12",
        ),
    ],
)
async def test_send_message_malformed_html(
    bot: Bot, fake: FakeBotAPI, dm: JSONDict, html: str, expected: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(dm["id"], html, parse_mode=ParseMode.HTML)
    assert info.value.message == expected
    [error] = fake.errors
    assert error.method == "sendMessage" and error.status == 400
    assert error.description.startswith("Bad Request: can't parse entities: ")
    assert fake.sent() == []


async def test_send_message_limits_and_empty_text(bot: Bot, fake: FakeBotAPI, dm: JSONDict) -> None:
    chat_id = dm["id"]
    ok = await bot.send_message(chat_id, "<b>" + "é" * 4096 + "</b>", parse_mode="html")
    assert ok.text is not None and len(ok.text) == 4096
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(chat_id, "a" * 4097)
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(chat_id, "")
    with pytest.raises(BadRequest, match=r"^Text must be non-empty$"):
        await bot.send_message(chat_id, "  \n ")
    with pytest.raises(BadRequest, match=r"^Text must be non-empty$"):
        await bot.send_message(chat_id, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"^Unsupported parse_mode$"):
        await bot.send_message(chat_id, "x", parse_mode="HTML5")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(999, "x")
    assert [e.description for e in fake.errors] == [
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
        "Bad Request: text must be non-empty",
        "Bad Request: text must be non-empty",
        "Bad Request: unsupported parse_mode",
        "Bad Request: chat not found",
    ]


async def test_reply_parameters_and_markup(bot: Bot, fake: FakeBotAPI, alice: JSONDict) -> None:
    group = fake.group()
    question = fake.send_text(group, alice, "/ask@KarabakhNewsBot where?")
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("More", callback_data="more:1")],
            [InlineKeyboardButton("Source", url="https://example.com/article")],
        ]
    )
    reply = await bot.send_message(
        group["id"],
        "Here.",
        reply_parameters=ReplyParameters(question["message_id"]),
        reply_markup=keyboard,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "/ask@KarabakhNewsBot where?"
    assert reply.reply_markup == keyboard
    [record] = fake.sent(group["id"])
    assert record["reply_to_message_id"] == question["message_id"]
    assert record["link_preview_options"] == {"is_disabled": True}

    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(group["id"], "x", reply_parameters=ReplyParameters(9999))
    orphan = await bot.send_message(
        group["id"],
        "x",
        reply_parameters=ReplyParameters(9999, allow_sending_without_reply=True),
    )
    assert orphan.reply_to_message is None

    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(group["id"], "x", reply_markup=too_long)
    text_only = {"inline_keyboard": [[{"text": "x"}]]}
    with pytest.raises(BadRequest, match="text buttons are unallowed in the inline keyboard"):
        await bot.send_message(group["id"], "x", reply_markup=text_only)  # type: ignore[arg-type]
    two = {"inline_keyboard": [[{"text": "x", "url": "https://a.b", "callback_data": "d"}]]}
    with pytest.raises(BadRequest, match="exactly one action field"):
        await bot.send_message(group["id"], "x", reply_markup=two)  # type: ignore[arg-type]
    assert len(fake.errors) == 4


async def test_edit_and_delete(bot: Bot, fake: FakeBotAPI, dm: JSONDict, alice: JSONDict) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])
    sent = await bot.send_message(
        dm["id"], "<i>thinking</i>", parse_mode="HTML", reply_markup=keyboard
    )
    with pytest.raises(
        BadRequest, match=r"^Message is not modified: specified new message content"
    ):
        await bot.edit_message_text(
            "<i>thinking</i>", dm["id"], sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    edited = await bot.edit_message_text(
        "<b>done</b>", dm["id"], sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message) and edited.text == "done"
    [record] = fake.sent(dm["id"])
    assert record["text"] == "done" and record["reply_markup"] is None
    assert record["edits"][0]["text"] == "thinking"
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", dm["id"], 4242)
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(dm["id"], sent.message_id, reply_markup=None)
    await bot.edit_message_reply_markup(dm["id"], sent.message_id, reply_markup=keyboard)
    user_message = fake.send_text(dm, alice, "hello")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("x", dm["id"], user_message["message_id"])
    assert await bot.delete_message(dm["id"], sent.message_id) is True
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(dm["id"], sent.message_id)
    assert fake.sent(dm["id"])[0]["deleted"] is True


# ------------------------------------------------------------------------------ getUpdates


async def test_long_poll_returns_update_with_utf16_entities(
    bot: Bot, fake: FakeBotAPI, alice: JSONDict, dm: JSONDict
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.is_long_polling, what="a parked getUpdates")
    fake.send_text(dm, alice, "🇦🇿😀 hi /ask@KarabakhNewsBot what?")
    [update] = await poll
    assert time.monotonic() - started < 2
    message = update.message
    assert message is not None and message.text is not None
    [entity] = message.entities
    assert entity.type == MessageEntityType.BOT_COMMAND
    assert (entity.offset, entity.length) == (utf16_len("🇦🇿😀 hi "), 20) == (10, 20)
    assert message.parse_entity(entity) == "/ask@KarabakhNewsBot"
    assert message.from_user is not None and message.from_user.id == alice["id"]
    assert isinstance(message.date.timestamp(), float)


async def test_offset_confirmation_limit_and_negative_offset(
    bot: Bot, fake: FakeBotAPI, alice: JSONDict, dm: JSONDict
) -> None:
    for word in ("one", "two", "three"):
        fake.send_text(dm, alice, word)
    assert len(fake.pending_updates) == 3
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two if u.message] == ["one", "two"]
    everything = await bot.get_updates()
    assert len(everything) == 3
    ids = [u.update_id for u in everything]
    assert ids == sorted(ids) and ids[1] == ids[0] + 1
    assert len(await bot.get_updates(offset=ids[1])) == 2
    assert [u["update_id"] for u in fake.pending_updates] == ids[1:]
    assert fake.confirmed_offset == ids[1]
    assert await bot.get_updates(offset=ids[-1] + 1) == ()
    assert fake.pending_updates == []
    assert fake.confirmed_offset == ids[-1] + 1
    for word in ("four", "five", "six"):
        fake.send_text(dm, alice, word)
    [last] = await bot.get_updates(offset=-1)
    assert last.message is not None and last.message.text == "six"
    assert len(fake.pending_updates) == 1
    assert fake.errors == []


async def test_newer_get_updates_terminates_parked_one(bot: Bot, fake: FakeBotAPI) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.is_long_polling)
    # A second bot instance (PTB's own getUpdates pool has a single connection).
    async with Bot(fake.token, base_url=fake.base_url) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()
    [error] = fake.errors
    assert error.status == 409 and error.description.startswith("Conflict: terminated by other")


async def test_allowed_updates_and_webhook_conflict(
    bot: Bot, fake: FakeBotAPI, alice: JSONDict, dm: JSONDict
) -> None:
    fake.send_text(dm, alice, "text")
    fake.inline_query(alice, "query")
    [update] = await bot.get_updates(allowed_updates=["inline_query"])
    assert update.inline_query is not None and update.inline_query.query == "query"
    assert len(fake.filtered_updates) == 1
    await bot.set_webhook("https://example.com/hook")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    assert await bot.delete_webhook() is True
    assert fake.calls_to("deleteWebhook")[-1].response == {
        "ok": True,
        "result": True,
        "description": "Webhook was deleted",
    }
    fake.errors.clear()


async def test_driving_helpers_produce_updates_ptb_understands(
    bot: Bot, fake: FakeBotAPI, alice: JSONDict, dm: JSONDict
) -> None:
    group = fake.group(-100555, "Readers", "supergroup")
    channel = fake.channel(-100777, "News")
    first = fake.send_text(dm, alice, "hello @KarabakhNewsBot")
    fake.edit_text(first, "hello again")
    fake.send_sticker(dm, alice)
    fake.send_photo(dm, alice, caption="see #photo")
    fake.send_voice(dm, alice)
    fake.send_document(dm, alice, "article.yaml", b"title: x\n", caption="my file")
    fake.channel_post(channel, "breaking")
    fake.service_message(group, "new_chat_members")
    fake.service_message(group, "new_chat_title", user=alice, value="Readers 2")
    fake.my_chat_member(group, alice, "member", "administrator")
    fake.inline_query(alice, "karabakh", offset="10")
    fake.push_raw({"message": {"message_id": 99, "date": 1, "chat": {"id": 1, "type": "private"}}})
    updates = await bot.get_updates()
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in updates]
    assert kinds == [
        "message",
        "edited_message",
        "message",
        "message",
        "message",
        "message",
        "channel_post",
        "message",
        "message",
        "my_chat_member",
        "inline_query",
        "message",
    ]
    assert updates[1].edited_message is not None
    assert updates[1].edited_message.text == "hello again"
    assert updates[2].message is not None and updates[2].message.sticker is not None
    assert (
        updates[3].message is not None and updates[3].message.caption_entities[0].type == "hashtag"
    )
    assert updates[5].message is not None and updates[5].message.document is not None
    assert updates[5].message.document.file_name == "article.yaml"
    assert updates[7].message is not None and updates[7].message.new_chat_members[0].id == 123456
    assert updates[9].my_chat_member is not None
    assert updates[9].my_chat_member.new_chat_member.status == "administrator"
    for update in updates:
        assert update.api_kwargs == {}
    assert fake.errors == []


async def test_privacy_mode_and_membership(bot: Bot, fake: FakeBotAPI, alice: JSONDict) -> None:
    group = fake.group()
    fake.send_text(group, alice, "plain talk")
    fake.send_text(group, alice, "@KarabakhNewsBot question?")
    fake.send_text(group, alice, "/ask@OtherBot question?")
    command = fake.send_text(group, alice, "/ask question?")
    fake.send_text(group, alice, "/ask@karabakhnewsbot question?")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == [
        "/ask question?",
        "/ask@karabakhnewsbot question?",
    ]
    assert len(fake.undelivered) == 3
    answer = await bot.send_message(
        group["id"], "answer", reply_to_message_id=command["message_id"]
    )
    fake.send_text(group, alice, "follow-up", reply_to=answer.message_id)
    [follow_up] = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert follow_up.message is not None and follow_up.message.reply_to_message is not None
    fake.my_chat_member(group, alice, "member", "kicked")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(group["id"], "still here?")
    fake.errors.clear()


async def test_privacy_off_delivers_everything() -> None:
    async with FakeBotAPI(can_read_all_group_messages=True) as fake:
        alice = fake.user(1, "Alice")
        group = fake.group()
        fake.send_text(group, alice, "@KarabakhNewsBot question?")
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            assert (await bot.get_me()).can_read_all_group_messages is True
            [update] = await bot.get_updates()
            assert update.message is not None
            assert update.message.entities[0].type == MessageEntityType.MENTION


# ------------------------------------------------------------------------------ inline, callbacks


async def test_inline_answers(bot: Bot, fake: FakeBotAPI, alice: JSONDict) -> None:
    query_id = fake.inline_query(alice, "karabakh")

    def article(i: int, text: str = "<b>Answer</b>") -> InlineQueryResultArticle:
        content = InputTextMessageContent(text, parse_mode=ParseMode.HTML)
        return InlineQueryResultArticle(str(i), f"Title {i}", content)

    with pytest.raises(BadRequest, match=r"^Results_too_much$"):
        await bot.answer_inline_query(query_id, [article(i) for i in range(51)])
    with pytest.raises(BadRequest, match=r"^Can't parse entities: unsupported start tag"):
        await bot.answer_inline_query(query_id, [article(1, "a<br>b")])
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.answer_inline_query(query_id, [article(1, "x" * 4097)])
    with pytest.raises(BadRequest, match=r"^Result_id_duplicate$"):
        await bot.answer_inline_query(query_id, [article(1), article(1)])
    with pytest.raises(BadRequest, match=r"^Result_id_invalid$"):
        await bot.answer_inline_query(query_id, [article(int("9" * 65))])
    assert await bot.answer_inline_query(query_id, [article(i) for i in range(50)], cache_time=0)
    answer = fake.inline_answers[query_id]
    assert len(answer["results"]) == 50
    assert answer["results"][0]["parsed_message"] == {
        "text": "Answer",
        "entities": [{"offset": 0, "length": 6, "type": "bold"}],
    }
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await bot.answer_inline_query(query_id, [article(1)])
    assert len(fake.errors) == 6


async def test_button_press_and_callback_answers(
    bot: Bot, fake: FakeBotAPI, alice: JSONDict, dm: JSONDict
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    sent = await bot.send_message(dm["id"], "Answer", reply_markup=keyboard)
    with pytest.raises(ValueError, match="no button with callback_data='less'"):
        fake.press_button(fake.sent(dm["id"])[0], "less", alice)
    query_id = fake.press_button(fake.sent(dm["id"])[0], "more", alice)
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.id == query_id and update.callback_query.data == "more"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    with pytest.raises(BadRequest, match=r"^Message_too_long$"):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert await bot.answer_callback_query(query_id, "ok", show_alert=True)
    assert fake.callback_answers[query_id]["text"] == "ok"
    assert fake.callback_answers[query_id]["show_alert"] is True
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await bot.answer_callback_query("123")
    assert len(fake.errors) == 3


# ------------------------------------------------------------------------------ other methods


async def test_commands_and_chat_actions(bot: Bot, fake: FakeBotAPI, dm: JSONDict) -> None:
    group = fake.group()
    await bot.set_my_commands([BotCommand("ask", "Ask a question"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("ask", "Ask in the group")], scope=BotCommandScopeAllGroupChats()
    )
    await bot.set_my_commands(
        [BotCommand("start", "Начать")], scope=BotCommandScopeChat(group["id"]), language_code="ru"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["ask", "help"]
    groups = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
    assert [c.description for c in groups] == ["Ask in the group"]
    assert (
        fake.get_commands({"type": "chat", "chat_id": group["id"]}, "ru")[0]["command"] == "start"
    )
    assert len(fake.commands) == 3
    await bot.delete_my_commands(scope=BotCommandScopeAllGroupChats())
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == ()
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await bot.set_my_commands([BotCommand("Ask", "x")])
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await bot.set_my_commands([BotCommand("/ask", "x")])
    with pytest.raises(BadRequest, match=r"^Bot_command_description_invalid$"):
        await bot.set_my_commands([BotCommand("ask", "")])
    with pytest.raises(BadRequest, match=r"^Bot_commands_too_much$"):
        await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])

    assert await bot.send_chat_action(dm["id"], ChatAction.TYPING)
    assert fake.chat_actions[-1]["action"] == "typing"
    with pytest.raises(BadRequest, match=r"^Wrong parameter action in request$"):
        await bot.send_chat_action(dm["id"], "dancing")
    chat = await bot.get_chat(group["id"])
    assert chat.title == "Group" and chat.type == "supergroup"
    assert await bot.log_out() is True and await bot.close() is True
    assert len(fake.errors) == 5


async def test_get_file_and_download(
    bot: Bot, fake: FakeBotAPI, alice: JSONDict, dm: JSONDict
) -> None:
    content = "title: Qarabağ ✓\n".encode()
    fake.send_document(dm, alice, "article.yaml", content)
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    file = await document.get_file()
    assert file.file_path is not None
    assert file.file_path.startswith(fake.base_file_url)
    assert file.file_path.endswith(".yaml") and "/documents/file_" in file.file_path
    buffer = io.BytesIO()
    await file.download_to_memory(buffer)
    assert buffer.getvalue() == content
    assert await file.download_as_bytearray() == bytearray(content)
    with pytest.raises(BadRequest, match=r"^Invalid file_id$"):
        await bot.get_file("nope")
    fake.send_document(dm, alice, "huge.pdf", b"%PDF", "application/pdf", file_size=21 << 20)
    [big] = await bot.get_updates(offset=update.update_id + 1)
    assert big.message is not None and big.message.document is not None
    with pytest.raises(BadRequest, match=r"^File is too big$"):
        await bot.get_file(big.message.document.file_id)
    assert len(fake.errors) == 2


async def test_send_document_upload(bot: Bot, fake: FakeBotAPI, dm: JSONDict) -> None:
    message = await bot.send_document(
        dm["id"],
        b"q: a\n",
        filename="answers.yaml",
        caption="<i>Your</i> file",
        parse_mode="HTML",
    )
    assert message.document is not None and message.document.file_name == "answers.yaml"
    assert message.caption == "Your file"
    [document] = fake.documents_sent
    assert document["content"] == b"q: a\n" and document["file_name"] == "answers.yaml"
    again = await bot.send_document(dm["id"], message.document.file_id)
    assert again.document is not None and again.document.file_id == message.document.file_id
    file = await bot.get_file(message.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"q: a\n")
    assert fake.errors == []


# ------------------------------------------------------------------------------ faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_injection(bot: Bot, fake: FakeBotAPI, dm: JSONDict) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(dm["id"], "x")
    assert info.value.retry_after == 3
    fake.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(NetworkError, match=r"Bad Gateway \(502\)"):
        await bot.send_message(dm["id"], "x")
    fake.drop_connection_next("SENDMESSAGE")
    with pytest.raises(NetworkError):
        await bot.send_message(dm["id"], "x")
    fake.drop_connection_next("sendMessage", after_processing=True)
    with pytest.raises(NetworkError):
        await bot.send_message(dm["id"], "lost reply")
    assert [r["text"] for r in fake.sent()] == ["lost reply"]
    await bot.send_message(dm["id"], "fine")
    assert fake.errors == []
    assert len(fake.injected_faults) == 4

    fake.fail_rate("getMe", 0.5, seed=1)
    outcomes = []
    for _ in range(10):
        try:
            await bot.get_me()
            outcomes.append(True)
        except NetworkError:
            outcomes.append(False)
    assert 0 < outcomes.count(False) < 10
    fake.fail_rate("getMe", 0)

    fake.delay("getMe", 0.2)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.2
    fake.clear_faults()
    assert fake.errors == []


# ------------------------------------------------------------------------------ Application


async def test_application_polling_end_to_end(fake: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        text = " ".join(context.args or []) or "(nothing)"
        await update.effective_message.reply_html(f"<b>echo</b>: {text}")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("echo", echo))
    alice = fake.user(42, "Alice")
    dm = fake.private_chat(alice)
    group = fake.group()
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        fake.send_text(dm, alice, "/echo hello 😀")
        [reply] = await fake.wait_sent(dm["id"])
        assert reply["text"] == "echo: hello 😀"
        assert reply["entities"] == [{"offset": 0, "length": 4, "type": "bold"}]
        fake.send_text(group, alice, "chatter without a command")
        fake.send_text(group, alice, "/echo@KarabakhNewsBot group")
        [group_reply] = await fake.wait_sent(group["id"])
        assert group_reply["text"] == "echo: group"
        assert group_reply["reply_to_message_id"] is not None  # PTB quotes in groups
        await fake.wait_idle()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake.pending_updates == []
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    assert fake.calls_to("getUpdates")[-1].params.get("timeout") == 0
    assert len(fake.undelivered) == 1
    assert fake.errors == []


async def test_default_token_and_urls() -> None:
    fake = FakeBotAPI()
    assert fake.token == DEFAULT_TOKEN
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    await fake.start()
    try:
        assert fake.base_url == f"http://127.0.0.1:{fake.port}/bot"
        assert fake.base_file_url == f"http://127.0.0.1:{fake.port}/file/bot"
        assert json.loads(json.dumps(fake.bot_user))["username"] == "KarabakhNewsBot"
    finally:
        await fake.stop()
