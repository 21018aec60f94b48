"""The bot's HTTP client (bot/tg/transport.py) against the fake Bot API over real HTTP: what is
sent arrives intact, what Telegram answers comes back as PTB's usual results and errors, and
timeouts and dead servers end a call instead of hanging it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageEntityType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.tg.transport import AiohttpRequest
from tests.support.fake_bot_api import FakeBotAPI

JSONDict = dict[str, Any]


def bot_for(fake: FakeBotAPI, request: AiohttpRequest) -> Bot:
    return Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=request,
        get_updates_request=AiohttpRequest(),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    """The fake server alone: each test connects its own client (not the bot of conftest.py)."""
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
def dm(fake: FakeBotAPI) -> JSONDict:
    return fake.private_chat(fake.user(42, "Alice"))


async def test_an_answer_arrives_as_sent_and_comes_back_parsed(
    fake: FakeBotAPI, dm: JSONDict
) -> None:
    async with bot_for(fake, AiohttpRequest(4)) as bot:
        text = (
            "<b>Who brokered the truce?</b>\n<blockquote>«Ceasefire» — Բաքու, Bakı, "
            'Баку 🕊</blockquote>\n<a href="https://example.com/a?x=1&amp;y=2">source</a>'
        )
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="fb:1:up")]])
        sent = await bot.send_message(
            dm["id"], text, parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
        # The chat shows the text with its formatting and the button; the bot gets the same back.
        [shown] = fake.sent(dm["id"])
        assert shown["text"] == sent.text
        assert sent.text is not None
        assert sent.text.startswith("Who brokered the truce?\n«Ceasefire» — Բաքու, Bakı, Баку 🕊")
        assert {e.type for e in sent.entities} == {
            MessageEntityType.BOLD,
            MessageEntityType.BLOCKQUOTE,
            MessageEntityType.TEXT_LINK,
        }
        assert sent.entities[-1].url == "https://example.com/a?x=1&y=2"
        assert sent.reply_markup == keyboard
        # A text that looks like a number or a boolean stays text.
        assert (await bot.send_message(dm["id"], "123")).text == "123"
        assert (await bot.send_message(dm["id"], "true")).text == "true"
        assert fake.errors == []


async def test_a_file_goes_up_and_comes_down_unchanged(fake: FakeBotAPI, dm: JSONDict) -> None:
    async with bot_for(fake, AiohttpRequest(4)) as bot:
        content = "entries:\n  - id: truce\n    answer: «Ceasefire»\n".encode()
        message = await bot.send_document(
            dm["id"],
            content,
            filename="qa.yaml",
            caption="<i>the knowledge</i>",
            parse_mode=ParseMode.HTML,
        )
        [upload] = fake.documents_sent
        assert (upload["file_name"], upload["content"]) == ("qa.yaml", content)
        assert message.caption == "the knowledge"
        assert message.document is not None
        file = await bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == content


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after type
async def test_telegram_errors_keep_their_meaning(fake: FakeBotAPI, dm: JSONDict) -> None:
    async with bot_for(fake, AiohttpRequest(4)) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(123456, "hello")
        with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
            await bot.send_message(dm["id"], "<b>unclosed", parse_mode=ParseMode.HTML)
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(dm["id"], "x")
        assert flood.value.retry_after == 3
        fake.fail_next("sendMessage", 502, "Bad Gateway")  # nginx's HTML page, not JSON
        with pytest.raises(NetworkError, match=r"Bad Gateway \(502\)"):
            await bot.send_message(dm["id"], "x")
        fake.drop_connection_next("sendMessage")  # closed before any response
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.send_message(dm["id"], "x")
        # Nothing of this broke the client: the next answer goes out.
        await bot.send_message(dm["id"], "still here")
        assert fake.sent(dm["id"])[-1]["text"] == "still here"


async def test_a_slow_reply_times_out_at_the_read_timeout(fake: FakeBotAPI, dm: JSONDict) -> None:
    async with bot_for(fake, AiohttpRequest(2, read_timeout=0.3)) as bot:
        fake.delay("sendMessage", 2)
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(dm["id"], "slow")
        assert time.monotonic() - started < 1.5
        # A call may ask for longer than the default, as PTB does for long polling.
        fake.delay("sendMessage", 0.5)
        assert (await bot.send_message(dm["id"], "patient", read_timeout=3)).text == "patient"


async def test_when_every_connection_is_busy_a_call_times_out_unsent(
    fake: FakeBotAPI, dm: JSONDict
) -> None:
    # Waiting for a connection, free or new, is limited by pool_timeout + connect_timeout.
    async with bot_for(fake, AiohttpRequest(1, pool_timeout=0.2, connect_timeout=0.2)) as bot:
        fake.delay("sendMessage", 1.0)
        first = asyncio.ensure_future(bot.send_message(dm["id"], "first"))
        await fake.wait_for(lambda: len(fake.calls_to("sendMessage")) == 1)  # arrived, held
        with pytest.raises(TimedOut, match="not sent"):
            await bot.send_message(dm["id"], "second")
        assert (await first).text == "first"
        assert [m["text"] for m in fake.sent(dm["id"])] == ["first"]


async def test_an_unreachable_server_is_a_network_error_without_the_token() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "123456:secret-token-never-shown"
    request = AiohttpRequest(1, connect_timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as failure:
            await request.post(f"http://127.0.0.1:{port}/bot{token}/getMe")
    finally:
        await request.shutdown()
    assert "secret-token" not in str(failure.value)


async def test_a_closed_client_refuses_requests_until_initialized_again(
    fake: FakeBotAPI, dm: JSONDict
) -> None:
    request = AiohttpRequest(1)
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{fake.base_url}{fake.token}/getMe")
    async with bot_for(fake, request) as bot:
        assert (await bot.send_message(dm["id"], "one")).text == "one"
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{fake.base_url}{fake.token}/getMe")
    async with bot_for(fake, request) as bot:  # PTB initializes a request again on restart
        assert (await bot.send_message(dm["id"], "two")).text == "two"


async def test_a_proxy_set_in_the_environment_carries_the_requests(
    fake: FakeBotAPI, dm: JSONDict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where Telegram is blocked a bot reaches it through a proxy. Here the "proxy" is the fake
    # itself, and the Bot API's address one that does not resolve: only the proxy can answer.
    monkeypatch.setenv("HTTP_PROXY", f"http://{fake.host}:{fake.port}")
    monkeypatch.setenv("NO_PROXY", "")
    request = AiohttpRequest(1)
    async with Bot(
        fake.token,
        base_url="http://api.telegram.invalid/bot",
        request=request,
        get_updates_request=AiohttpRequest(),
    ) as bot:
        assert (await bot.send_message(dm["id"], "through the proxy")).text == "through the proxy"
    # A server listed in NO_PROXY is reached directly (and this one does not exist).
    monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
    with pytest.raises(NetworkError, match="aiohttp"):
        async with Bot(
            fake.token,
            base_url="http://api.telegram.invalid/bot",
            request=request,
            get_updates_request=AiohttpRequest(),
        ):
            pass
