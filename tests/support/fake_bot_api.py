"""A strict local fake of the Telegram Bot API server, for end-to-end tests of the bot.

The fake is a real HTTP server (``aiohttp.web`` on ``127.0.0.1`` with an OS-assigned port)
that speaks the Bot API wire format exactly as ``api.telegram.org`` does: the same URL
shapes, the same ``{"ok": ..., "result": ...}`` envelopes, the same HTTP status codes and,
where we know them, the same error strings.  Point a real python-telegram-bot ``Bot`` or
``Application`` at it and drive users, chats and buttons from the test.

Quick start::

    from telegram import Bot
    from tests.support.fake_bot_api import FakeBotAPI

    async def test_echo() -> None:
        async with FakeBotAPI() as fake:
            app = (
                ApplicationBuilder()
                .token(fake.token)
                .base_url(fake.base_url)
                .base_file_url(fake.base_file_url)
                .build()
            )
            ...  # add handlers
            await app.initialize()
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            alice = fake.user(42, "Alice")
            chat = fake.private_chat(alice)
            fake.send_text(chat, alice, "/start")
            [reply] = await fake.wait_sent(chat["id"])
            assert reply["text"] == "Hello!"
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            assert fake.errors == []

Constructor: ``FakeBotAPI(token=DEFAULT_TOKEN, username="KarabakhNewsBot",
can_read_all_group_messages=False, *, first_name="Karabakh News", privacy_filter=True,
reject_nested_blockquotes=True)``.  ``await start()`` / ``await stop()`` or ``async with``.
``base_url`` is ``"http://127.0.0.1:PORT/bot"`` and ``base_file_url`` is
``"http://127.0.0.1:PORT/file/bot"`` (PTB appends the token to both).

Wire behaviour
--------------
* ``/bot<token>/<method>`` (GET or POST, method name case-insensitive) and
  ``/file/bot<token>/<file_path>`` (GET, downloads).  A token not shaped ``<digits>:<chars>``
  gives 401 ``Unauthorized: invalid token specified``; another well-formed token gives 401
  ``Unauthorized``; an unknown method gives 404 ``Not Found: method not found``; any other
  path gives 404 ``Not Found``.  (PTB maps 401 and 404 to ``InvalidToken``.)
* Parameters come from the query string plus a form-urlencoded, multipart or JSON body.
  Form values are strings; only parameters that are non-string in the Bot API (``chat_id``,
  ``reply_markup``, ``offset``, ``show_alert``, ... see ``JSON_PARAMS``) are JSON-decoded,
  so a ``text`` of ``"123"`` or ``"true"`` stays a string.  ``attach://name`` is resolved.
* Errors are ``{"ok":false,"error_code":N,"description":"..."}`` with HTTP status N, plus
  ``"parameters":{"retry_after":N}`` and a ``Retry-After`` header for 429.

Implemented methods
-------------------
getMe, logOut, close, setWebhook, deleteWebhook, getWebhookInfo, getUpdates (offset
confirmation incl. negative offsets, limit clamped to 1..100, timeout clamped to 0..50 with
real long polling, 409 for a superseded long poll, allowed_updates), sendMessage,
editMessageText, editMessageReplyMarkup, deleteMessage, sendDocument (multipart upload,
file_id re-send), getFile, sendChatAction, answerCallbackQuery, answerInlineQuery,
setMyCommands, getMyCommands, deleteMyCommands, getChat.  Webhook *delivery* is not
modelled (only its state, so getUpdates fails with 409 while a webhook is set).

Text handling follows TDLib: ``parse_mode`` is case-insensitive; ``HTML`` is parsed by a
port of TDLib's ``parse_html`` (same tags, entity decoding, error texts and byte offsets);
``Markdown``/``MarkdownV2`` are accepted but the text is treated as plain (not modelled);
anything else is ``Bad Request: unsupported parse_mode``.  After parsing, the text is
cleaned like TDLib (``\\r`` dropped, other control characters become spaces), trimmed,
empty/nested-in-code entities removed, and ``url``/``mention``/``hashtag``/``bot_command``
entities detected; the 4096 (caption: 1024) limit is in code points after all that.
The Message returned to the bot and stored by the fake has the plain ``text`` plus
``entities`` with UTF-16 offsets, as Telegram returns it.

Deliberately stricter than Telegram (documented, "fake-only" checks):
* ``<blockquote>`` inside ``<blockquote>`` fails with
  ``Bad Request: can't parse entities: Nested blockquotes are not supported at byte offset N``
  (real Telegram silently drops the inner quote).  Disable with
  ``reject_nested_blockquotes=False``.
* An inline keyboard button with two actions (e.g. ``url`` and ``callback_data``) fails with
  ``Bad Request: can't parse inline keyboard button: exactly one action field must be
  specified`` (the real server silently uses one of them).
* Empty button text gives ``Bad Request: BUTTON_TEXT_INVALID`` (the exact real string is
  not verified).
Error strings not verified against the real server are marked "unverified" in the code.

Privacy mode
------------
Group delivery follows Telegram's privacy rules: unless ``can_read_all_group_messages`` is
True (or the bot is an administrator, or ``privacy_filter=False``), a group message reaches
the bot only if it starts with a command for this bot (``/cmd`` or ``/cmd@ThisBot``), replies
to one of the bot's messages, or is a service message.  Plain text and ``@mentions`` in
groups are *not* delivered: ``send_text`` still returns the Message, the update is recorded
in ``undelivered`` instead of being queued.  Messages from other bots are never delivered in
groups, and nothing is delivered from a chat the bot left or was kicked from.

Driving API (each call builds a realistic Update and queues it for getUpdates)
------------------------------------------------------------------------------
``user(user_id, first_name="Alice", username=None, language_code="en")``,
``private_chat(user)``, ``group(chat_id=-100123, title="Group", type="supergroup")``,
``channel(chat_id, title)`` (bot is admin), ``send_text(chat, user, text, *, reply_to=None)``,
``edit_text(message, new_text)``, ``send_sticker``, ``send_photo``, ``send_voice``,
``send_document(chat, user, file_name, content, mime_type="application/x-yaml", caption=None)``,
``channel_post(chat, text)``, ``service_message(chat, kind, *, user=None, value=None)``,
``my_chat_member(chat, user, old_status, new_status)``, ``press_button(message, data, user)``
(returns the callback query id), ``inline_query(user, query, offset="")`` (returns the inline
query id), ``push_raw(update)``.  Dates are int timestamps; update and message ids increase
(message ids per chat).  ``chat``/``user``/``message`` arguments are the dicts returned by these
helpers (a bare message id works with ``chat=``); misuse a real client could not commit
(unknown chat, replying to a missing message, pressing a button that is not there, a stranger
writing in a private chat) raises ``ValueError`` in the test.  Bot entities: ``bot_command``
follows TDLib (``/`` + 1-64 of ``[A-Za-z0-9_]``, optional ``@`` + 3-32, at word boundaries).

Observation
-----------
``calls`` (``RecordedCall``: method, params, response, status, ...), ``sent(chat_id=None)``
(the bot's messages as ``SentMessage`` dicts), ``errors`` (``ErrorRecord`` for every error
response caused by the bot's own requests; tests normally assert it is empty),
``injected_faults`` (errors produced by fault injection, kept apart from ``errors``),
``inline_answers``, ``callback_answers``, ``commands`` (keyed by ``(scope_json, language)``),
``chat_actions``, ``documents_sent``, ``undelivered`` (withheld by privacy/membership, with the
reason), ``filtered_updates`` (dropped by allowed_updates), ``confirmed_offset``,
``pending_updates``, ``is_long_polling``, ``bot_status(chat_id)``, ``calls_to(method)``,
``get_commands(scope=None, language_code="")``, ``describe_state()``.  Async helpers:
``wait_for(predicate, timeout=5.0)``, ``wait_sent(chat_id, count=1, timeout=5.0)``,
``wait_call(method, count=1)``, ``wait_idle(timeout=5.0, quiet=0.05)``,
``wait_handled(*update_ids, timeout=5.0)``.

Handled updates
---------------
The bot under test reports each update it has completely handled (its replies sent or given
up on) with ``report_handled(update_id)``; ``tests/support/harness.py`` wires that to the
bot's update processor.  ``wait_handled()`` then waits until every update queued so far (or
the given ones) is handled: after it, whatever the bot was going to call for them has been
called, so an empty ``sent()`` proves silence without waiting for a quiet period.

Fault injection
---------------
``fail_next(method, status, description, *, times=1, retry_after=None, json_body=None,
after_processing=False)``, ``fail_rate(method, rate, status=502, description="Bad Gateway",
seed=0)``, ``drop_connection_next(method, times=1, *, after_processing=False)`` (the TCP
connection is closed without a response; PTB raises ``NetworkError``),
``delay(method, seconds)`` and ``clear_faults()``.  ``method`` is case-insensitive, ``"*"``
matches every method, ``"fileDownload"`` matches file downloads.  By default the call is not
executed; ``after_processing=True`` executes it first and then fails (a lost response).
Status 502/503/504 faults are answered like Telegram's nginx front-end: an HTML body with
``Content-Type: text/html`` (PTB raises ``NetworkError("Bad Gateway (502). Parsing the
server response ... failed")``); pass ``json_body=True`` to get a Bot-API JSON error body.
Other statuses always use the JSON error body (so 429 + ``retry_after`` gives ``RetryAfter``).
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import mimetypes
import random
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from aiohttp.web_request import FileField

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "EntityParseError",
    "ErrorRecord",
    "FakeBotAPI",
    "JSONDict",
    "RecordedCall",
    "UploadedFile",
    "detect_entities",
    "finalize_text",
    "parse_html",
    "utf16_len",
]

JSONDict = dict[str, Any]

DEFAULT_TOKEN: Final = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"

MESSAGE_TEXT_MAX: Final = 4096
CAPTION_MAX: Final = 1024
RAW_TEXT_MAX_BYTES: Final = 1 << 15
CALLBACK_DATA_MAX_BYTES: Final = 64
INLINE_RESULTS_MAX: Final = 50
INLINE_RESULT_ID_MAX_BYTES: Final = 64
INLINE_NEXT_OFFSET_MAX_BYTES: Final = 64
INLINE_QUERY_MAX: Final = 256
CALLBACK_ANSWER_TEXT_MAX: Final = 200
COMMANDS_MAX: Final = 100
COMMAND_DESCRIPTION_MAX: Final = 256
LONG_POLL_MAX_TIMEOUT: Final = 50
MAX_DOWNLOAD_FILE_SIZE: Final = 20 << 20
MAX_UPLOAD_FILE_SIZE: Final = 50 << 20
INLINE_KEYBOARD_MAX_BUTTONS: Final = 100

TOKEN_RE: Final = re.compile(r"^(\d+):([A-Za-z0-9_-]+)$")
COMMAND_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGE_RE: Final = re.compile(r"^[a-z]{2}$")

CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types that an empty/omitted allowed_updates does NOT include.
DEFAULT_EXCLUDED_UPDATES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
SERVICE_KEYS: Final = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "message_auto_delete_timer_changed",
    }
)
BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Bot API parameters whose values are not strings: PTB json.dumps them into form fields.
JSON_PARAMS: Final = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "user_id",
        "message_id",
        "message_ids",
        "message_thread_id",
        "direct_messages_topic_id",
        "reply_to_message_id",
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "results",
        "commands",
        "scope",
        "allowed_updates",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "is_personal",
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "disable_web_page_preview",
        "drop_pending_updates",
        "max_connections",
        "button",
        "disable_content_type_detection",
        "show_caption_above_media",
        "has_spoiler",
        "duration",
        "width",
        "height",
        "until_date",
        "revoke_messages",
        "only_if_banned",
        "is_big",
        "reaction",
        "suggested_post_parameters",
    }
)

NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = "query is too old and response timeout expired or query ID is invalid"
CONFLICT_GET_UPDATES: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
FILE_DOWNLOAD: Final = "fileDownload"

_HTTP_PHRASES: Final = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def _nginx_page(status: int) -> str:
    phrase = _HTTP_PHRASES.get(status, "Error")
    return (
        f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


# --------------------------------------------------------------------------------------------
# Errors and records
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error response of the Bot API: ``description`` is the full Telegram string."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        parameters: JSONDict = {}
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if parameters:
            body["parameters"] = parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class EntityParseError(Exception):
    """A TDLib text-entity parse failure; ``str(exc)`` is TDLib's (capitalised) message."""


class _ClientGoneError(Exception):
    """The HTTP client disconnected while its request was parked."""


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.field!r}, {self.filename!r}, {len(self.data)} bytes)"


@dataclass
class RecordedCall:
    """One HTTP request the fake received (appended when it arrives, completed later)."""

    method: str
    params: JSONDict
    http_method: str
    started: float
    status: int | None = None
    response: JSONDict | None = None
    finished: float | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return None if self.response is None else self.response.get("result")


@dataclass
class ErrorRecord:
    """An error response the fake returned."""

    method: str | None
    params: JSONDict
    status: int
    description: str
    injected: bool = False


@dataclass
class _FileRecord:
    file_id: str
    file_unique_id: str
    data: bytes
    size: int
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None


@dataclass
class _Fault:
    method: str
    kind: str  # "fail" | "drop"
    remaining: int
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    json_body: bool | None = None
    after_processing: bool = False


@dataclass
class _RateFault:
    rate: float
    status: int
    description: str
    rng: random.Random
    json_body: bool | None


@dataclass
class _OkWithDescription:
    result: Any
    description: str


@dataclass
class _OpenTag:
    tag: str
    argument: str
    offset: int
    out_pos: int


@dataclass
class _Span:
    start: int
    end: int
    entity: JSONDict = field(default_factory=dict)


_Handler = Callable[[JSONDict, web.Request], Awaitable[Any]]


# --------------------------------------------------------------------------------------------
# Text: UTF-16, TDLib-style HTML parsing and entity post-processing
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Telegram entity offsets count)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _u16_prefix(text: str) -> list[int]:
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return prefix


_SPACE: Final = frozenset(b" \t\r\n\x00\x0b\x0c")
_DIGITS: Final = frozenset(b"0123456789")
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_ALPHA: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALNUM: Final = _ALPHA | _DIGITS
_NAMED_ENTITIES: Final = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}
_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_SPLITTABLE: Final = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_PRE_LIKE: Final = frozenset({"code", "pre"})
_BLOCKQUOTES: Final = frozenset({"blockquote", "expandable_blockquote"})
_USER_ENTITY_TYPES: Final = (
    _SPLITTABLE
    | _PRE_LIKE
    | _BLOCKQUOTES
    | {
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)
_ENTITY_PRIORITY: Final = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "spoiler": 94,
    "custom_emoji": 99,
    "expandable_blockquote": 0,
}


def _lower_ascii(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").translate(
        str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    )


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Port of TDLib ``decode_html_entity``: returns (code point or 0, position after it)."""
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    end = pos + 1
    res = 0
    if at(pos + 1) == 0x23:  # '#'
        end += 1
        if at(pos + 2) == 0x78:  # 'x'
            end += 1
            while at(end) in _HEX:
                res = res * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while at(end) in _DIGITS:
                res = res * 10 + at(end) - 0x30
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while at(end) in _ALPHA:
            end += 1
        res = _NAMED_ENTITIES.get(data[pos + 1 : end], 0)
        if res == 0:
            return 0, pos
    if at(end) == 0x3B:  # ';'
        return res, end + 1
    return res, end


def _sort_key(entity: JSONDict) -> tuple[int, int, int]:
    return (
        int(entity["offset"]),
        -int(entity["length"]),
        _ENTITY_PRIORITY.get(str(entity["type"]), 50),
    )


def checked_link(url: str) -> str | None:
    """A simplified TDLib ``get_checked_link``: the URL to store, or None if unusable.

    http(s) URLs need a plausible host; tg://, ton:// and tonsite:// links pass; a URL without
    a scheme gets ``http://`` when it starts with a dotted host; other schemes are rejected.
    """
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme in ("tg", "ton", "tonsite"):
            return url
        if scheme not in ("http", "https"):
            return None
        host = re.split(r"[/?#]", url[scheme_match.end() :], maxsplit=1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
        if not host or not re.fullmatch(r"[\w.~-]+", host):
            return None
        return url
    if re.match(r"^tg:", url, flags=re.IGNORECASE):
        return url
    host = re.split(r"[/?#:]", url, maxsplit=1)[0]
    if "." not in host.strip(".") or not re.fullmatch(r"[\w.~-]+", host):
        return None
    return "http://" + url


def parse_html(text: str, *, reject_nested_blockquotes: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML exactly like TDLib's ``parse_html``.

    Returns the plain text and entities (UTF-16 offsets, sorted like TDLib).  Raises
    ``EntityParseError`` with TDLib's message (e.g. ``Unsupported start tag "br" at byte
    offset 5``).  ``text_mention`` entities carry ``{"user": {"id": N}}`` only.
    """
    data = text.encode("utf-8", "surrogatepass")
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    out = bytearray()
    entities: list[JSONDict] = []
    stack: list[_OpenTag] = []
    utf16 = 0
    bad_surrogate = False
    i = 0
    while i < n:
        c = data[i]
        if c == 0x26:  # '&'
            code, new_i = _decode_html_entity(data, i)
            if code:
                i = new_i
                utf16 += 2 if code > 0xFFFF else 1
                if 0xD800 <= code <= 0xDFFF:
                    bad_surrogate = True
                out += chr(code).encode("utf-8", "surrogatepass")
                continue
        if c != 0x3C:  # not '<'
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != 0x2F:  # start tag
            while at(i) not in _SPACE and at(i) != 0x3E:
                i += 1
            if at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = _lower_ascii(data[begin + 1 : i])
            if tag not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != 0x3E:
                while at(i) != 0 and at(i) in _SPACE:
                    i += 1
                if at(i) == 0x3E:
                    break
                attr_begin = i
                while at(i) not in _SPACE and at(i) not in b"=>/\"'":
                    i += 1
                attr = data[attr_begin:i]
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) != 0 and at(i) in _SPACE:
                    i += 1
                if at(i) != 0x3D:  # no '=': a value-less attribute
                    if at(i) == 0:
                        raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    if tag == "blockquote" and attr == b"expandable":
                        argument = "1"
                    continue
                i += 1
                while at(i) != 0 and at(i) in _SPACE:
                    i += 1
                if at(i) == 0:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in (0x22, 0x27):  # a name token
                    token_begin = i
                    while at(i) in _ALNUM or at(i) in (0x2E, 0x2D):
                        i += 1
                    value = _lower_ascii(data[token_begin:i])
                    if at(i) not in _SPACE and at(i) != 0x3E:
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:  # a string literal
                    end_char = at(i)
                    i += 1
                    buf = bytearray()
                    while at(i) != end_char and at(i) != 0:
                        if at(i) == 0x26:
                            code, new_i = _decode_html_entity(data, i)
                            if code:
                                buf += chr(code).encode("utf-8", "surrogatepass")
                                i = new_i
                                continue
                        buf.append(at(i))
                        i += 1
                    if at(i) == end_char:
                        i += 1
                    value = buf.decode("utf-8", "replace")
                if at(i) == 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                if tag == "a" and attr == b"href":
                    argument = value
                elif tag == "code" and attr == b"class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr == b"class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr == b"emoji-id":
                    argument = value
                elif tag == "blockquote" and attr == b"expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            if (
                tag == "blockquote"
                and reject_nested_blockquotes
                and any(t.tag == "blockquote" for t in stack)
            ):
                # Fake-only strictness: TDLib silently drops the inner blockquote.
                raise EntityParseError(
                    f"Nested blockquotes are not supported at byte offset {begin}"
                )
            stack.append(_OpenTag(tag, argument, utf16, len(out)))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while at(i) not in _SPACE and at(i) != 0x3E:
            i += 1
        end_tag = _lower_ascii(data[begin + 2 : i])
        while at(i) in _SPACE and at(i) != 0:
            i += 1
        if at(i) != 0x3E:
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        top = stack[-1]
        if end_tag and end_tag != top.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > top.offset:
            _close_html_entity(top, utf16, out, entities)
        stack.pop()
        i += 1

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    if bad_surrogate:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    entities.sort(key=_sort_key)
    return out.decode("utf-8", "replace"), entities


def _close_html_entity(top: _OpenTag, utf16: int, out: bytearray, entities: list[JSONDict]) -> None:
    offset = top.offset
    length = utf16 - offset
    tag = top.tag
    if tag in _SIMPLE_TAG_TYPES:
        entities.append({"type": _SIMPLE_TAG_TYPES[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        try:
            emoji_id = int(top.argument)
        except ValueError:
            emoji_id = 0
        if emoji_id == 0 or not -(2**63) <= emoji_id < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": str(emoji_id),
            }
        )
    elif tag == "a":
        url = top.argument or out[top.out_pos :].decode("utf-8", "replace")
        user_match = re.fullmatch(r"tg://user\?id=(\d+)", url.strip(), flags=re.IGNORECASE)
        if user_match:
            entities.append(
                {
                    "type": "text_mention",
                    "offset": offset,
                    "length": length,
                    "user": {"id": int(user_match.group(1))},
                }
            )
        else:
            checked = checked_link(url)
            if checked is not None:
                entities.append(
                    {"type": "text_link", "offset": offset, "length": length, "url": checked}
                )
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
            and top.argument
        ):
            last["language"] = top.argument
        else:
            entity: JSONDict = {"type": "code", "offset": offset, "length": length}
            if top.argument:
                entity["language"] = top.argument
            entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def _is_word_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LN"


def _is_hashtag_letter(ch: str) -> bool:
    if ch in "_\u200c\xb7" or "\u0d80" <= ch <= "\u0dff":
        return True
    category = unicodedata.category(ch)
    return category[0] == "L" or category == "Nd"


_ASCII_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_URL_RE: Final = re.compile(
    r"(?<![\w/@#.])(?:(?:https?|ftp|tg|ton)://|www\.)[^\s<>\"«»]+", re.IGNORECASE
)
_URL_BAD_END: Final = ".:;,('?!`"


def _detect_spans(text: str) -> list[tuple[int, int, str]]:
    """Auto-detected entities as (start, end, type) in code points (TDLib's matchers)."""
    n = len(text)
    found: list[tuple[int, int, str]] = []
    for match in _URL_RE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_BAD_END:
            end -= 1
        body = text[start:end]
        if "://" in body and body.endswith("://"):
            continue
        if end - start > 4:
            found.append((start, end, "url"))

    others: list[tuple[int, int, str]] = []
    # bot commands: (?<!\b|[/<>])/([a-zA-Z0-9_]{1,64})(?:@([a-zA-Z0-9_]{3,32}))?(?!\B|[/<>])
    i = 0
    while (i := text.find("/", i)) >= 0:
        if i > 0 and (_is_word_char(text[i - 1]) or text[i - 1] in "/<>"):
            i += 1
            continue
        j = i + 1
        while j < n and text[j] in _ASCII_WORD:
            j += 1
        if not 1 <= j - i - 1 <= 64:
            i = max(j, i + 1)
            continue
        end = j
        if j < n and text[j] == "@":
            k = j + 1
            while k < n and text[k] in _ASCII_WORD:
                k += 1
            if not 3 <= k - j - 1 <= 32:
                i = k
                continue
            end = j = k
        if j < n and (_is_word_char(text[j]) or text[j] in "/<>"):
            i = j
            continue
        others.append((i, end, "bot_command"))
        i = j
    # mentions: (?<=\B)@([a-zA-Z0-9_]{2,32})(?=\b)
    i = 0
    while (i := text.find("@", i)) >= 0:
        if i > 0 and _is_word_char(text[i - 1]):
            i += 1
            continue
        j = i + 1
        while j < n and text[j] in _ASCII_WORD:
            j += 1
        if not 2 <= j - i - 1 <= 32 or (j < n and _is_word_char(text[j])):
            i = max(j, i + 1)
            continue
        others.append((i, j, "mention"))
        i = j
    # hashtags: at least one letter, at most 256 characters, not followed by '#'
    i = 0
    while (i := text.find("#", i)) >= 0:
        if i > 0 and _is_hashtag_letter(text[i - 1]):
            i += 1
            continue
        j = i + 1
        has_letter = False
        while j < n and _is_hashtag_letter(text[j]):
            has_letter = has_letter or unicodedata.category(text[j])[0] == "L"
            j += 1
        if j == i + 1 or (j < n and text[j] == "#") or not has_letter:
            i = max(j, i + 1)
            continue
        others.append((i, min(j, i + 257), "hashtag"))
        i = j

    for start, end, kind in others:
        if not any(start < e and s < end for s, e, _ in found):
            found.append((start, end, kind))
    found.sort()
    return found


def detect_entities(text: str) -> list[JSONDict]:
    """Entities Telegram detects in a user's text: url, bot_command, mention, hashtag."""
    prefix = _u16_prefix(text)
    return [
        {"type": kind, "offset": prefix[start], "length": prefix[end] - prefix[start]}
        for start, end, kind in _detect_spans(text)
    ]


def _subtract(span: tuple[int, int], holes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [span]
    for h_start, h_end in holes:
        next_pieces: list[tuple[int, int]] = []
        for start, end in pieces:
            if h_end <= start or end <= h_start:
                next_pieces.append((start, end))
                continue
            if start < h_start:
                next_pieces.append((start, h_start))
            if h_end < end:
                next_pieces.append((h_end, end))
        pieces = next_pieces
    return pieces


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def finalize_text(
    text: str, entities: list[JSONDict], *, detect: bool = True
) -> tuple[str, list[JSONDict]]:
    """TDLib's ``fix_formatted_text`` (simplified) applied to parsed text and entities.

    Drops ``\\r`` and a few invisible characters, turns other control characters into
    spaces, trims spaces/newlines (leading ones only up to the first entity), removes empty
    entities and formatting inside ``code``/``pre``, merges touching formatting of one type
    and (``detect``) adds url/mention/hashtag/bot_command entities.  Returns ``("", [])``
    when nothing is left.
    """
    prefix = _u16_prefix(text)
    index = {u: k for k, u in enumerate(prefix)}
    spans: list[_Span] = []
    for entity in entities:
        start = index.get(int(entity["offset"]))
        end = index.get(int(entity["offset"]) + int(entity["length"]))
        if start is None or end is None:
            raise EntityParseError("Entity begins or ends in a middle of a UTF-16 symbol")
        rest = {k: v for k, v in entity.items() if k not in ("offset", "length")}
        spans.append(_Span(start, end, rest))

    chars: list[str] = []
    mapping = [0] * (len(text) + 1)
    for k, ch in enumerate(text):
        mapping[k] = len(chars)
        code = ord(ch)
        if ch == "\r" or 0x2028 <= code <= 0x202E or code in (0x030A, 0x0333, 0x033F):
            continue
        chars.append(" " if code < 32 and ch != "\n" else ch)
    mapping[len(text)] = len(chars)
    spans = [_Span(mapping[s.start], mapping[s.end], s.entity) for s in spans]
    spans = [s for s in spans if s.end > s.start]

    last = len(chars)
    while last > 0 and chars[last - 1] in " \n":
        last -= 1
    spans = [_Span(s.start, min(s.end, last), s.entity) for s in spans]
    spans = [s for s in spans if s.end > s.start]
    first_entity = min((s.start for s in spans), default=last)
    skip = 0
    while skip < min(first_entity, last) and chars[skip] in " \n":
        skip += 1
    chars = chars[skip:last]
    spans = [_Span(s.start - skip, s.end - skip, s.entity) for s in spans]
    if not chars:
        return "", []

    pre_ranges = [(s.start, s.end) for s in spans if s.entity["type"] in _PRE_LIKE]
    kept: list[_Span] = []
    splittable: dict[str, list[tuple[int, int]]] = {}
    for span in spans:
        kind = span.entity["type"]
        if kind in _SPLITTABLE:
            splittable.setdefault(kind, []).extend(_subtract((span.start, span.end), pre_ranges))
        else:
            kept.append(span)
    for kind, ranges in splittable.items():
        kept.extend(_Span(start, end, {"type": kind}) for start, end in _merge(ranges))

    plain = "".join(chars)
    if detect:
        blockers = [
            (s.start, s.end) for s in kept if s.entity["type"] not in _SPLITTABLE | _BLOCKQUOTES
        ]
        for start, end, kind in _detect_spans(plain):
            if not any(start < b_end and b_start < end for b_start, b_end in blockers):
                kept.append(_Span(start, end, {"type": kind}))

    prefix = _u16_prefix(plain)
    result = [
        {
            "offset": prefix[s.start],
            "length": prefix[s.end] - prefix[s.start],
            **s.entity,
        }
        for s in kept
    ]
    result.sort(key=_sort_key)
    return plain, result


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


# --------------------------------------------------------------------------------------------
# Parameter access
# --------------------------------------------------------------------------------------------


def _decode_param(name: str, value: str) -> Any:
    """JSON-decode a form value only for parameters that are not strings in the Bot API."""
    if name not in JSON_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, str):
        return value
    return decoded


def _normalize_json_value(name: str, value: Any) -> Any:
    if name in JSON_PARAMS:
        return _decode_param(name, value) if isinstance(value, str) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _opt_int(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(f"invalid {name} specified")  # unverified wording
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad(f"invalid {name} specified")  # unverified wording


def _opt_bool(params: JSONDict, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _opt_str(params: JSONDict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, UploadedFile):
        return None
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _obj(value: Any, what: str) -> JSONDict | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {what} JSON object") from None
    if not isinstance(value, dict):
        raise _bad(f"can't parse {what} JSON object")
    return value


def _now() -> int:
    return int(time.time())


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """A strict, stateful fake of ``api.telegram.org`` for one bot.  See the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = "KarabakhNewsBot",
        can_read_all_group_messages: bool = False,
        *,
        first_name: str = "Karabakh News",
        privacy_filter: bool = True,
        reject_nested_blockquotes: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        match = TOKEN_RE.match(token)
        if match is None:
            raise ValueError(f"token {token!r} is not shaped like <digits>:<chars>")
        self.token = token
        self.bot_id = int(match.group(1))
        self.username = username
        self.first_name = first_name
        self.can_read_all_group_messages = can_read_all_group_messages
        self.privacy_filter = privacy_filter
        self.reject_nested_blockquotes = reject_nested_blockquotes
        self.host = host

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False

        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._bot_status: dict[int, str] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSONDict] = []
        self._next_update_id = 1000
        self._queued_ids: list[int] = []  # every update queued for the bot, in order
        self.handled: set[int] = set()  # update ids the bot reported handled
        self._confirmed_offset = 0
        self._allowed_updates: frozenset[str] | None = None
        self._parked: asyncio.Future[str] | None = None
        self._parked_count = 0
        self._inflight = 0
        self._webhook: JSONDict | None = None
        self._files: dict[str, _FileRecord] = {}
        self._file_paths: dict[str, str] = {}
        self._file_seq = 0
        self._query_seq = 0
        self._callback_queries: dict[str, JSONDict] = {}
        self._inline_queries: dict[str, JSONDict] = {}
        self._sent_index: dict[tuple[int, int], JSONDict] = {}
        self._faults: list[_Fault] = []
        self._rate_faults: dict[str, _RateFault] = {}
        self._delays: dict[str, float] = {}

        self.calls: list[RecordedCall] = []
        self.errors: list[ErrorRecord] = []
        self.injected_faults: list[ErrorRecord] = []
        self.inline_answers: dict[str, JSONDict] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.chat_actions: list[JSONDict] = []
        self.documents_sent: list[JSONDict] = []
        self.undelivered: list[JSONDict] = []
        self.filtered_updates: list[JSONDict] = []
        self._sent: list[JSONDict] = []

        handlers: dict[str, _Handler] = {
            "getMe": self._m_get_me,
            "logOut": self._m_true,
            "close": self._m_true,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "getUpdates": self._m_get_updates,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "sendDocument": self._m_send_document,
            "getFile": self._m_get_file,
            "sendChatAction": self._m_send_chat_action,
            "answerCallbackQuery": self._m_answer_callback_query,
            "answerInlineQuery": self._m_answer_inline_query,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "getChat": self._m_get_chat,
        }
        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start serving on 127.0.0.1 with an OS-assigned port."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_FILE_SIZE + (1 << 20))
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._stopping = False

    async def stop(self) -> None:
        """Answer a parked getUpdates, then shut the server down."""
        if self._runner is None:
            return
        self._stopping = True
        if self._parked is not None and not self._parked.done():
            self._parked.set_result("shutdown")
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not running: call `await fake.start()` first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a User object (what appears in ``from`` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    # ---------------------------------------------------------------- HTTP layer

    async def _handle_not_found(self, request: web.Request) -> web.StreamResponse:
        call = RecordedCall(
            "", {"path": request.path}, request.method, time.time(), note="unknown path"
        )
        self.calls.append(call)
        return self._error_response(call, ApiError(404, "Not Found"))

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        raw_method = request.match_info["method"]
        entry = self._methods.get(raw_method.lower())
        call = RecordedCall(entry[0] if entry else raw_method, {}, request.method, time.time())
        self.calls.append(call)
        self._inflight += 1
        try:
            return await self._process_api(request, call, entry)
        finally:
            self._inflight -= 1
            call.finished = time.time()

    async def _process_api(
        self, request: web.Request, call: RecordedCall, entry: tuple[str, _Handler] | None
    ) -> web.StreamResponse:
        try:
            self._check_token(request.match_info["token"])
            call.params = await self._read_params(request)
            if request.method not in ("GET", "POST"):
                raise ApiError(404, "Not Found")
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
        except ApiError as exc:
            return self._error_response(call, exc)
        name, handler = entry
        await self._apply_delay(name)
        fault = self._take_fault(name)
        if fault is not None and not fault.after_processing:
            return self._fault_response(request, call, fault)
        try:
            result = await handler(call.params, request)
        except ApiError as exc:
            if fault is not None:
                return self._fault_response(request, call, fault)
            return self._error_response(call, exc)
        except _ClientGoneError:
            call.note = "client disconnected while parked"
            return web.Response(status=499)
        except Exception as exc:  # a bug in the fake: make it loud
            return self._error_response(
                call, ApiError(500, f"Internal Server Error: fake bug: {exc!r}")
            )
        if fault is not None:
            return self._fault_response(request, call, fault)
        body: JSONDict = {"ok": True, "result": result}
        if isinstance(result, _OkWithDescription):
            body = {"ok": True, "result": result.result, "description": result.description}
        call.status = 200
        call.response = body
        return self._json_response(body, 200)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        call = RecordedCall(FILE_DOWNLOAD, {"path": path}, request.method, time.time())
        self.calls.append(call)
        self._inflight += 1
        try:
            try:
                self._check_token(request.match_info["token"])
                if request.method not in ("GET", "HEAD"):
                    raise ApiError(404, "Not Found")
            except ApiError as exc:
                return self._error_response(call, exc)
            await self._apply_delay(FILE_DOWNLOAD)
            fault = self._take_fault(FILE_DOWNLOAD)
            if fault is not None:
                return self._fault_response(request, call, fault)
            file_id = self._file_paths.get(path)
            if file_id is None:
                return self._error_response(call, ApiError(404, "Not Found"))
            record = self._files[file_id]
            call.status = 200
            call.note = f"{record.size} bytes"
            return web.Response(body=record.data, content_type="application/octet-stream")
        finally:
            self._inflight -= 1
            call.finished = time.time()

    def _check_token(self, token: str) -> None:
        if TOKEN_RE.match(token) is None:
            raise ApiError(401, "Unauthorized: invalid token specified")
        if token != self.token:
            raise ApiError(401, "Unauthorized")

    async def _read_params(self, request: web.Request) -> JSONDict:
        params: JSONDict = {}
        for key, value in request.query.items():
            params[key] = _decode_param(key, value)
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = json.loads(await request.text() or "{}")
                except ValueError:
                    raise _bad("can't parse JSON encoded request body") from None  # unverified
                if not isinstance(body, dict):
                    raise _bad("can't parse JSON encoded request body")  # unverified
                for key, value in body.items():
                    params[key] = _normalize_json_value(key, value)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, part in form.items():
                    if isinstance(part, FileField):
                        params[key] = UploadedFile(
                            key, part.filename, part.content_type, part.file.read()
                        )
                    elif isinstance(part, bytes | bytearray):
                        params[key] = _decode_param(key, bytes(part).decode("utf-8", "replace"))
                    else:
                        params[key] = _decode_param(key, part)
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                target = params.get(value[len("attach://") :])
                if isinstance(target, UploadedFile):
                    params[key] = target
        return params

    def _json_response(
        self, body: JSONDict, status: int, headers: dict[str, str] | None = None
    ) -> web.Response:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        try:
            text.encode()
        except UnicodeEncodeError:
            # A lone surrogate in some text (a client can send one): JSON escapes it, as
            # Telegram does, since UTF-8 cannot carry it.
            text = json.dumps(body, ensure_ascii=True, separators=(",", ":"))
        return web.Response(
            text=text, status=status, content_type="application/json", headers=headers
        )

    def _error_response(
        self, call: RecordedCall, exc: ApiError, *, injected: bool = False
    ) -> web.Response:
        body = exc.payload()
        call.status = exc.code
        call.response = body
        record = ErrorRecord(call.method or None, call.params, exc.code, exc.description, injected)
        (self.injected_faults if injected else self.errors).append(record)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return self._json_response(body, exc.code, headers)

    def _fault_response(
        self, request: web.Request, call: RecordedCall, fault: _Fault
    ) -> web.StreamResponse:
        if fault.kind == "drop":
            call.note = "connection dropped (fault injection)"
            self.injected_faults.append(
                ErrorRecord(call.method, call.params, 0, "connection dropped", injected=True)
            )
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        json_body = fault.json_body
        if json_body is None:
            json_body = fault.status not in _HTTP_PHRASES
        if not json_body:
            call.status = fault.status
            call.note = "nginx HTML error page (fault injection)"
            self.injected_faults.append(
                ErrorRecord(
                    call.method, call.params, fault.status, fault.description, injected=True
                )
            )
            return web.Response(
                text=_nginx_page(fault.status), status=fault.status, content_type="text/html"
            )
        return self._error_response(
            call,
            ApiError(fault.status, fault.description, retry_after=fault.retry_after),
            injected=True,
        )

    async def _apply_delay(self, method: str) -> None:
        seconds = self._delays.get(method.lower(), self._delays.get("*", 0.0))
        deadline = time.monotonic() + seconds
        while seconds > 0 and not self._stopping and time.monotonic() < deadline:
            await asyncio.sleep(min(0.02, deadline - time.monotonic()))

    def _take_fault(self, method: str) -> _Fault | None:
        key = method.lower()
        for fault in self._faults:
            if fault.method in (key, "*") and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        rate = self._rate_faults.get(key) or self._rate_faults.get("*")
        if rate is not None and rate.rng.random() < rate.rate:
            return _Fault(key, "fail", 1, rate.status, rate.description, None, rate.json_body)
        return None

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
        json_body: bool | None = None,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error instead of the result.

        ``description`` is the full text, e.g. ``"Too Many Requests: retry after 3"``.  For
        429 an empty description becomes Telegram's.  502/503/504 get an nginx HTML body
        unless ``json_body=True``.
        """
        if status == 429 and not description:
            description = f"Too Many Requests: retry after {retry_after or 1}"
        self._faults.append(
            _Fault(
                method.lower(),
                "fail",
                times,
                status,
                description,
                retry_after,
                json_body,
                after_processing,
            )
        )

    def fail_rate(
        self,
        method: str,
        rate: float,
        status: int = 502,
        description: str = "Bad Gateway",
        seed: int = 0,
        *,
        json_body: bool | None = None,
    ) -> None:
        """Fail a seeded-random fraction ``rate`` of the calls of ``method`` (0 disables)."""
        if rate <= 0:
            self._rate_faults.pop(method.lower(), None)
            return
        self._rate_faults[method.lower()] = _RateFault(
            rate, status, description, random.Random(seed), json_body
        )

    def drop_connection_next(
        self, method: str, times: int = 1, *, after_processing: bool = False
    ) -> None:
        """Close the TCP connection of the next ``times`` calls without any response."""
        self._faults.append(
            _Fault(method.lower(), "drop", times, after_processing=after_processing)
        )

    def delay(self, method: str, seconds: float) -> None:
        """Sleep ``seconds`` before handling every call of ``method`` (0 removes the delay)."""
        if seconds <= 0:
            self._delays.pop(method.lower(), None)
        else:
            self._delays[method.lower()] = seconds

    def clear_faults(self) -> None:
        self._faults.clear()
        self._rate_faults.clear()
        self._delays.clear()

    # ---------------------------------------------------------------- chats, users, messages

    def user(
        self,
        user_id: int,
        first_name: str = "Alice",
        username: str | None = None,
        language_code: str | None = "en",
        *,
        last_name: str | None = None,
        is_bot: bool = False,
    ) -> JSONDict:
        """Register and return a User object."""
        user: JSONDict = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return copy.deepcopy(user)

    def private_chat(self, user: JSONDict) -> JSONDict:
        """Register and return the private Chat between ``user`` and the bot."""
        known = self._users.setdefault(user["id"], copy.deepcopy(user))
        chat: JSONDict = {"id": known["id"], "type": "private", "first_name": known["first_name"]}
        for key in ("last_name", "username"):
            if key in known:
                chat[key] = known[key]
        self._chats[chat["id"]] = chat
        self._bot_status.setdefault(chat["id"], "member")
        return copy.deepcopy(chat)

    def group(
        self,
        chat_id: int = -100123,
        title: str = "Group",
        type: str = "supergroup",
        *,
        username: str | None = None,
        bot_status: str = "member",
    ) -> JSONDict:
        """Register and return a group/supergroup/channel Chat the bot is a member of."""
        if type not in ("group", "supergroup", "channel"):
            raise ValueError(f"group type must be group, supergroup or channel, not {type!r}")
        chat: JSONDict = {"id": chat_id, "type": type, "title": title}
        if username is not None:
            chat["username"] = username
        self._chats[chat_id] = chat
        self._bot_status[chat_id] = bot_status
        return copy.deepcopy(chat)

    def channel(
        self, chat_id: int = -1009999, title: str = "Channel", *, username: str | None = None
    ) -> JSONDict:
        """Register and return a channel where the bot is an administrator."""
        return self.group(chat_id, title, "channel", username=username, bot_status="administrator")

    def bot_status(self, chat_id: int) -> str:
        """The bot's membership status in a chat ("member", "administrator", "left", ...)."""
        return self._bot_status.get(chat_id, "member")

    def _chat(self, chat: JSONDict | int) -> JSONDict:
        chat_id = chat if isinstance(chat, int) else int(chat["id"])
        known = self._chats.get(chat_id)
        if known is None:
            raise ValueError(f"chat {chat_id} is not registered: use private_chat() or group()")
        return known

    def _user(self, user: JSONDict | int) -> JSONDict:
        user_id = user if isinstance(user, int) else int(user["id"])
        known = self._users.get(user_id)
        if known is None:
            if isinstance(user, int):
                raise ValueError(f"user {user_id} is not registered: use user()")
            known = self._users[user_id] = copy.deepcopy(user)
        return known

    def _alloc_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _stored(self, chat_id: int, message_id: int) -> JSONDict | None:
        key = (chat_id, message_id)
        if key in self._deleted:
            return None
        return self._messages.get(key)

    def _message_ref(self, message: JSONDict | int, chat_id: int | None = None) -> JSONDict:
        if isinstance(message, int):
            if chat_id is None:
                raise ValueError("a bare message id needs a chat")
            found = self._stored(chat_id, message)
        else:
            msg_chat = message.get("chat_id", message.get("chat", {}).get("id"))
            if msg_chat is None:
                raise ValueError("message dict has neither chat nor chat_id")
            found = self._stored(int(msg_chat), int(message["message_id"]))
        if found is None:
            raise ValueError(f"message {message!r} does not exist (or was deleted)")
        return found

    @staticmethod
    def _reply_copy(message: JSONDict) -> JSONDict:
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    def _incoming_message(
        self,
        chat: JSONDict | int,
        user: JSONDict | int | None,
        content: JSONDict,
        reply_to: JSONDict | int | None,
    ) -> JSONDict:
        chat_obj = self._chat(chat)
        msg: JSONDict = {"message_id": self._alloc_message_id(chat_obj["id"])}
        if user is not None:
            sender = self._user(user)
            if chat_obj["type"] == "private" and sender["id"] != chat_obj["id"]:
                raise ValueError(
                    f"user {sender['id']} cannot write in the private chat {chat_obj['id']}"
                )
            msg["from"] = copy.deepcopy(sender)
        if chat_obj["type"] == "channel":
            msg["sender_chat"] = copy.deepcopy(chat_obj)
        msg["chat"] = copy.deepcopy(chat_obj)
        msg["date"] = _now()
        if reply_to is not None:
            msg["reply_to_message"] = self._reply_copy(self._message_ref(reply_to, chat_obj["id"]))
        msg.update(copy.deepcopy(content))
        self._messages[(chat_obj["id"], msg["message_id"])] = msg
        return msg

    def _privacy_block(self, msg: JSONDict) -> str | None:
        """Why Telegram would not deliver this message to the bot, or None."""
        chat = msg["chat"]
        status = self._bot_status.get(chat["id"], "member")
        if status in ("left", "kicked"):
            if chat["type"] == "private":
                return "the user blocked the bot"
            return f"the bot is not a member of the chat (status {status})"
        if chat["type"] not in ("group", "supergroup"):
            return None
        sender = msg.get("from") or {}
        if sender.get("is_bot") and sender.get("id") != self.bot_id:
            return "messages from other bots are not delivered in groups"
        if (
            self.can_read_all_group_messages
            or not self.privacy_filter
            or status in ("administrator", "creator")
        ):
            return None
        if SERVICE_KEYS & msg.keys():
            return None
        replied = msg.get("reply_to_message") or {}
        if (replied.get("from") or {}).get("id") == self.bot_id:
            return None
        if (msg.get("via_bot") or {}).get("id") == self.bot_id:
            return None
        text = msg.get("text") or ""
        entities = msg.get("entities") or []
        if (
            text
            and entities
            and entities[0]["type"] == "bot_command"
            and entities[0]["offset"] == 0
        ):
            command = text[: entities[0]["length"]]
            if "@" not in command:
                return None
            if command.split("@", 1)[1].lower() == self.username.lower():
                return None
            return "privacy mode: the command is addressed to another bot"
        return (
            "privacy mode: group message that is not a command, reply to the bot or service message"
        )

    def _deliver(self, kind: str, msg: JSONDict) -> None:
        reason = self._privacy_block(msg)
        if reason is None:
            self._enqueue(kind, msg)
        else:
            self.undelivered.append({"kind": kind, "message": copy.deepcopy(msg), "reason": reason})

    def _enqueue(self, kind: str, payload: JSONDict) -> JSONDict:
        update_id = self._next_update_id
        update = {"update_id": update_id, kind: copy.deepcopy(payload)}
        self._next_update_id += 1
        self._updates.append(update)
        self._queued_ids.append(update_id)
        self._wake()
        return update

    def _wake(self) -> None:
        if self._parked is not None and not self._parked.done():
            self._parked.set_result("update")

    # ---------------------------------------------------------------- driving API

    def send_text(
        self,
        chat: JSONDict | int,
        user: JSONDict | int,
        text: str,
        *,
        reply_to: JSONDict | int | None = None,
    ) -> JSONDict:
        """A user writes ``text`` in ``chat``; returns the Message (entities like Telegram's)."""
        if not text.strip():
            raise ValueError("Telegram clients cannot send empty text")
        content: JSONDict = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        msg = self._incoming_message(chat, user, content, reply_to)
        self._deliver("message", msg)
        return copy.deepcopy(msg)

    def edit_text(
        self, message: JSONDict | int, new_text: str, *, chat: JSONDict | int | None = None
    ) -> JSONDict:
        """The author edits their message: queues an ``edited_message`` update."""
        chat_id = None if chat is None else self._chat(chat)["id"]
        stored = self._message_ref(message, chat_id)
        if (stored.get("from") or {}).get("id") == self.bot_id:
            raise ValueError("edit the bot's own messages through the Bot API, not edit_text()")
        if "text" not in stored:
            raise ValueError("edit_text() needs a text message")
        stored["text"] = new_text
        entities = detect_entities(new_text)
        stored.pop("entities", None)
        if entities:
            stored["entities"] = entities
        stored["edit_date"] = _now()
        self._deliver("edited_message", stored)
        return copy.deepcopy(stored)

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
    ) -> _FileRecord:
        self._file_seq += 1
        prefix = {
            "document": "BQACAgIAAxkBAAI",
            "photo": "AgACAgIAAxkBAAI",
            "voice": "AwACAgIAAxkBAAI",
            "sticker": "CAACAgIAAxkBAAI",
        }[kind]
        file_id = f"{prefix}{self._file_seq:06d}X{self.bot_id % 100000:05d}Fake"
        record = _FileRecord(
            file_id=file_id,
            file_unique_id=f"AgAD{self._file_seq:06d}",
            data=data,
            size=len(data) if size is None else size,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[file_id] = record
        return record

    def send_sticker(
        self,
        chat: JSONDict | int,
        user: JSONDict | int,
        emoji: str = "👍",
        *,
        reply_to: JSONDict | int | None = None,
    ) -> JSONDict:
        record = self._new_file("sticker", b"RIFF\x00\x00\x00\x00WEBPVP8 ", mime_type="image/webp")
        sticker = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": record.size,
        }
        msg = self._incoming_message(chat, user, {"sticker": sticker}, reply_to)
        self._deliver("message", msg)
        return copy.deepcopy(msg)

    def send_photo(
        self,
        chat: JSONDict | int,
        user: JSONDict | int,
        caption: str | None = None,
        *,
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        reply_to: JSONDict | int | None = None,
    ) -> JSONDict:
        sizes = []
        for width, height in ((90, 60), (320, 213), (800, 533)):
            record = self._new_file("photo", content, mime_type="image/jpeg")
            sizes.append(
                {
                    "file_id": record.file_id,
                    "file_unique_id": record.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": record.size,
                }
            )
        payload: JSONDict = {"photo": sizes}
        self._add_caption(payload, caption)
        msg = self._incoming_message(chat, user, payload, reply_to)
        self._deliver("message", msg)
        return copy.deepcopy(msg)

    def send_voice(
        self,
        chat: JSONDict | int,
        user: JSONDict | int,
        duration: int = 3,
        *,
        content: bytes = b"OggS\x00fake-voice",
        reply_to: JSONDict | int | None = None,
    ) -> JSONDict:
        record = self._new_file("voice", content, mime_type="audio/ogg")
        voice = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": record.size,
        }
        msg = self._incoming_message(chat, user, {"voice": voice}, reply_to)
        self._deliver("message", msg)
        return copy.deepcopy(msg)

    def send_document(
        self,
        chat: JSONDict | int,
        user: JSONDict | int,
        file_name: str,
        content: bytes,
        mime_type: str = "application/x-yaml",
        caption: str | None = None,
        *,
        reply_to: JSONDict | int | None = None,
        file_size: int | None = None,
    ) -> JSONDict:
        """A user sends a file; it becomes available through getFile and the file URL.

        ``file_size`` overrides the reported size (to test the 20 MiB getFile limit cheaply).
        """
        record = self._new_file(
            "document", content, file_name=file_name, mime_type=mime_type, size=file_size
        )
        payload: JSONDict = {"document": self._document_object(record)}
        self._add_caption(payload, caption)
        msg = self._incoming_message(chat, user, payload, reply_to)
        self._deliver("message", msg)
        return copy.deepcopy(msg)

    @staticmethod
    def _document_object(record: _FileRecord) -> JSONDict:
        document: JSONDict = {"file_id": record.file_id, "file_unique_id": record.file_unique_id}
        if record.file_name is not None:
            document["file_name"] = record.file_name
        if record.mime_type is not None:
            document["mime_type"] = record.mime_type
        document["file_size"] = record.size
        return document

    @staticmethod
    def _add_caption(payload: JSONDict, caption: str | None) -> None:
        if caption:
            payload["caption"] = caption
            entities = detect_entities(caption)
            if entities:
                payload["caption_entities"] = entities

    def channel_post(self, chat: JSONDict | int, text: str) -> JSONDict:
        """A post in a channel (queued as ``channel_post``)."""
        chat_obj = self._chat(chat)
        if chat_obj["type"] != "channel":
            raise ValueError("channel_post() needs a channel chat (see channel())")
        content: JSONDict = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        msg = self._incoming_message(chat_obj, None, content, None)
        self._deliver("channel_post", msg)
        return copy.deepcopy(msg)

    def service_message(
        self,
        chat: JSONDict | int,
        kind: str,
        *,
        user: JSONDict | int | None = None,
        value: Any = None,
    ) -> JSONDict:
        """A service message: ``new_chat_members`` (value: list of users, default the bot),
        ``left_chat_member`` (value: a user, default the bot), ``new_chat_title`` (value: str),
        ``pinned_message`` (value: a message or its id), ``group_chat_created``,
        ``supergroup_chat_created``, ``delete_chat_photo``, ``migrate_to_chat_id`` /
        ``migrate_from_chat_id`` (value: int), or any other field set to ``value`` (or True).
        Service messages are delivered regardless of privacy mode.
        """
        chat_obj = self._chat(chat)
        content: JSONDict
        if kind == "new_chat_members":
            members = value if value is not None else [self.bot_user]
            content = {kind: [copy.deepcopy(m) for m in members]}
            if any(m.get("id") == self.bot_id for m in members):
                self._bot_status[chat_obj["id"]] = "member"
        elif kind == "left_chat_member":
            member = value if value is not None else self.bot_user
            content = {kind: copy.deepcopy(member)}
        elif kind == "new_chat_title":
            title = value if value is not None else "New title"
            chat_obj["title"] = title
            content = {kind: title}
        elif kind == "pinned_message":
            if value is None:
                raise ValueError("pinned_message needs value=<message or message id>")
            content = {kind: self._reply_copy(self._message_ref(value, chat_obj["id"]))}
        elif kind in ("migrate_to_chat_id", "migrate_from_chat_id"):
            if not isinstance(value, int):
                raise ValueError(f"{kind} needs an int value")
            content = {kind: value}
        else:
            content = {kind: True if value is None else value}
        sender = (
            user
            if user is not None
            else (None if chat_obj["type"] == "channel" else self._any_user())
        )
        msg = self._incoming_message(chat_obj, sender, content, None)
        self._deliver("channel_post" if chat_obj["type"] == "channel" else "message", msg)
        if kind == "left_chat_member" and content[kind].get("id") == self.bot_id:
            self._bot_status[chat_obj["id"]] = "left"
        return copy.deepcopy(msg)

    def _any_user(self) -> JSONDict:
        if not self._users:
            self.user(1, "Admin")
        return next(iter(self._users.values()))

    def _chat_member(self, status: str, user: JSONDict) -> JSONDict:
        member: JSONDict = {"status": status, "user": copy.deepcopy(user)}
        if status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
            )
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update(
                is_member=True,
                until_date=0,
                **{
                    name: False
                    for name in (
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_send_messages",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_manage_topics",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_edit_tag",
                    )
                },
            )
        elif status not in ("member", "left"):
            raise ValueError(f"unknown chat member status {status!r}")
        return member

    def my_chat_member(
        self, chat: JSONDict | int, user: JSONDict | int, old_status: str, new_status: str
    ) -> JSONDict:
        """The bot's membership changes (``user`` did it); queues a ``my_chat_member`` update.

        "left"/"kicked" make later sends to the chat fail with 403 like Telegram (in a private
        chat "kicked" means the user blocked the bot).
        """
        chat_obj = self._chat(chat)
        payload = {
            "chat": copy.deepcopy(chat_obj),
            "from": copy.deepcopy(self._user(user)),
            "date": _now(),
            "old_chat_member": self._chat_member(old_status, self.bot_user),
            "new_chat_member": self._chat_member(new_status, self.bot_user),
        }
        self._bot_status[chat_obj["id"]] = new_status
        self._enqueue("my_chat_member", payload)
        return copy.deepcopy(payload)

    def _next_query_id(self) -> str:
        self._query_seq += 1
        return str(4_000_000_000_000_000 + self.bot_id * 1_000 + self._query_seq * 7_919_000)

    def press_button(
        self,
        message: JSONDict | int,
        data: str,
        user: JSONDict | int,
        *,
        chat: JSONDict | int | None = None,
    ) -> str:
        """``user`` presses the inline button with ``callback_data == data``; returns the query id.

        The button must exist in the message's current inline keyboard.
        """
        chat_id = None if chat is None else self._chat(chat)["id"]
        stored = self._message_ref(message, chat_id)
        markup = stored.get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        if not any(b.get("callback_data") == data for b in buttons):
            available = [b.get("callback_data") for b in buttons if "callback_data" in b]
            raise ValueError(
                f"message has no button with callback_data={data!r}; it has {available}"
            )
        query_id = self._next_query_id()
        query = {
            "id": query_id,
            "from": copy.deepcopy(self._user(user)),
            "message": copy.deepcopy(stored),
            "chat_instance": str(-(abs(stored["chat"]["id"]) * 7919 % 10**18) - 1),
            "data": data,
        }
        self._callback_queries[query_id] = {"answered": False, "query": query}
        self._enqueue("callback_query", query)
        return query_id

    def inline_query(
        self,
        user: JSONDict | int,
        query: str,
        offset: str = "",
        *,
        chat_type: str | None = "sender",
    ) -> str:
        """``user`` types ``@bot query``; returns the inline query id."""
        if len(query) > INLINE_QUERY_MAX:
            raise ValueError(f"inline queries are at most {INLINE_QUERY_MAX} characters")
        query_id = self._next_query_id()
        payload: JSONDict = {
            "id": query_id,
            "from": copy.deepcopy(self._user(user)),
            "query": query,
            "offset": offset,
        }
        if chat_type is not None:
            payload["chat_type"] = chat_type
        self._inline_queries[query_id] = {"answered": False, "query": payload}
        self._enqueue("inline_query", payload)
        return query_id

    def push_raw(self, update: JSONDict) -> JSONDict:
        """Queue an arbitrary update dict (``update_id`` is assigned when missing)."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._updates.append(update)
        self._queued_ids.append(int(update["update_id"]))
        self._wake()
        return copy.deepcopy(update)

    # ---------------------------------------------------------------- observation

    def sent(self, chat_id: int | None = None) -> list[JSONDict]:
        """The bot's messages in send order (deleted ones too, flagged ``deleted``).

        Each is a dict: ``message_id``, ``chat_id``, ``chat``, ``date``, ``method``,
        ``text`` (plain, after parsing; None for documents), ``entities``, ``raw_text`` (as
        the bot sent it), ``parse_mode``, ``caption``, ``caption_entities``, ``document``,
        ``reply_markup`` (as sent, any keyboard type), ``reply_to_message_id``,
        ``link_preview_options``, ``edit_date``, ``edits`` (previous versions), ``deleted``
        and ``message`` (the current Message object as Telegram returns it).
        """
        return [copy.deepcopy(r) for r in self._sent if chat_id is None or r["chat_id"] == chat_id]

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by an offset."""
        return copy.deepcopy(self._updates)

    @property
    def confirmed_offset(self) -> int:
        """The highest positive offset a getUpdates call confirmed (0 if none)."""
        return self._confirmed_offset

    @property
    def is_long_polling(self) -> bool:
        """True while a getUpdates call is parked waiting for updates."""
        return self._parked is not None and not self._parked.done()

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def get_commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        key = json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))
        return copy.deepcopy(self.commands.get((key, language_code), []))

    def describe_state(self) -> str:
        """A multi-line summary for assertion messages."""
        lines = ["recent calls:"]
        for call in self.calls[-15:]:
            params = {k: v for k, v in call.params.items() if k != "reply_markup"}
            text = json.dumps(params, ensure_ascii=False, default=repr)
            lines.append(f"  {call.method or '?'} -> {call.status} {text[:160]}")
        lines.append(f"errors: {[f'{e.method}: {e.description}' for e in self.errors]}")
        if self.injected_faults:
            lines.append(f"injected faults: {len(self.injected_faults)}")
        lines.append(
            f"pending updates: {len(self._updates)} "
            f"(ids {[u['update_id'] for u in self._updates][:10]}),"
            f" confirmed offset {self._confirmed_offset}, long polling: {self.is_long_polling}"
        )
        if self.undelivered:
            lines.append("undelivered (privacy/membership):")
            for item in self.undelivered[-5:]:
                message = item["message"]
                lines.append(
                    f"  {message.get('text')!r} in {message['chat']['id']}: {item['reason']}"
                )
        counts: dict[int, int] = {}
        for record in self._sent:
            counts[record["chat_id"]] = counts.get(record["chat_id"], 0) + 1
        lines.append(f"sent per chat: {counts}")
        return "\n".join(lines)

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,
        *,
        what: str | None = None,
        interval: float = 0.01,
    ) -> Any:
        """Poll ``predicate`` (sync or async) until truthy; return its value.

        Raises AssertionError with the fake's state on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if loop.time() >= deadline:
                description = what or getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {description}\n{self.describe_state()}"
                )
            await asyncio.sleep(interval)

    async def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[JSONDict]:
        """Wait until the bot has sent ``count`` messages to ``chat_id``; return all of them."""
        await self.wait_for(
            lambda: len(self.sent(chat_id)) >= count,
            timeout,
            what=f"{count} message(s) from the bot in chat {chat_id}",
        )
        return self.sent(chat_id)

    async def wait_call(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RecordedCall]:
        """Wait until ``method`` was called (and answered) ``count`` times."""
        await self.wait_for(
            lambda: len([c for c in self.calls_to(method) if c.finished is not None]) >= count,
            timeout,
            what=f"{count} completed {method} call(s)",
        )
        return self.calls_to(method)

    def report_handled(self, update_id: int) -> None:
        """The bot has handled ``update_id`` completely (called by the harness)."""
        self.handled.add(update_id)

    async def wait_handled(self, *update_ids: int, timeout: float = 5.0) -> None:
        """Wait until the bot has handled ``update_ids`` (by default: every update queued so
        far), replies included."""
        wanted = set(update_ids)

        def done() -> bool:
            return (wanted or set(self._queued_ids)) <= self.handled

        await self.wait_for(
            done,
            timeout,
            what=f"updates {sorted((wanted or set(self._queued_ids)) - self.handled)} handled",
        )

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.05) -> None:
        """Wait until every queued update is confirmed and no request (other than a parked
        getUpdates) is in flight, continuously for ``quiet`` seconds.

        This cannot see work inside the bot that has not reached the API yet, hence ``quiet``;
        prefer ``wait_sent`` when you know what to expect.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        since: float | None = None
        while True:
            now = loop.time()
            if not self._updates and self._inflight - self._parked_count <= 0:
                since = now if since is None else since
                if now - since >= quiet:
                    return
            else:
                since = None
            if now >= deadline:
                raise AssertionError(
                    f"fake Bot API not idle after {timeout}s "
                    f"(in flight: {self._inflight - self._parked_count})\n{self.describe_state()}"
                )
            await asyncio.sleep(0.01)

    # ---------------------------------------------------------------- helpers for methods

    def _resolve_chat(self, raw: Any) -> JSONDict:
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id: int | None = None
        if isinstance(raw, bool):
            raise _bad("chat not found")
        if isinstance(raw, int):
            chat_id = raw
        elif isinstance(raw, float) and raw.is_integer():
            chat_id = int(raw)
        elif isinstance(raw, str):
            value = raw.strip()
            if value.startswith("@"):
                for chat in self._chats.values():
                    if str(chat.get("username", "")).lower() == value[1:].lower():
                        return chat
                raise _bad("chat not found")
            try:
                chat_id = int(value)
            except ValueError:
                raise _bad("chat not found") from None
        if chat_id is None or chat_id not in self._chats:
            raise _bad("chat not found")
        return self._chats[chat_id]

    def _check_can_send(self, chat: JSONDict) -> None:
        status = self._bot_status.get(chat["id"], "member")
        if status not in ("left", "kicked"):
            return
        kind = chat["type"]
        if kind == "private":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")

    @staticmethod
    def _parse_mode(params: JSONDict, name: str = "parse_mode") -> str:
        value = params.get(name)
        mode = "" if value is None else str(value).lower()
        if mode not in ("", "html", "markdown", "markdownv2"):
            raise _bad("unsupported parse_mode")
        return mode

    def _explicit_entities(self, raw: Any, text: str) -> list[JSONDict]:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise _bad("can't parse entities JSON object") from None
        if not isinstance(raw, list):
            raise _bad("can't parse entities JSON object")
        total = utf16_len(text)
        result: list[JSONDict] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise _bad("can't parse MessageEntity JSON object")
            offset, length = item.get("offset"), item.get("length")
            if (
                not isinstance(offset, int)
                or not isinstance(length, int)
                or offset < 0
                or length < 0
            ):
                raise _bad("can't parse MessageEntity JSON object")
            if offset > total:
                raise _bad(f"entity begins after the end of the text at UTF-16 offset {offset}")
            if offset + length > total:
                raise _bad(
                    f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                    f"at UTF-16 offset {offset + length}"
                )
            if item["type"] not in _USER_ENTITY_TYPES or length == 0:
                continue
            if item["type"] == "text_link" and checked_link(str(item.get("url", ""))) is None:
                raise _bad(f"entity URL '{item.get('url', '')}' is invalid")
            result.append(copy.deepcopy(item))
        return result

    def _format(
        self,
        text: str,
        parse_mode: str,
        explicit_entities: Any,
        *,
        limit: int,
        is_caption: bool = False,
    ) -> tuple[str, list[JSONDict]]:
        """Parse, clean and check a text as Telegram does; raise ApiError like Telegram."""
        if not is_caption and len(text.encode("utf-8", "surrogatepass")) > RAW_TEXT_MAX_BYTES:
            raise _bad("text is too long")
        try:
            if explicit_entities is not None:
                entities = self._explicit_entities(explicit_entities, text)
            elif parse_mode == "html":
                text, entities = parse_html(
                    text, reject_nested_blockquotes=self.reject_nested_blockquotes
                )
            else:
                entities = []
            plain, entities = finalize_text(text, entities)
        except EntityParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
        if not plain and not is_caption:
            raise _bad("text must be non-empty")
        if len(plain) > limit:
            raise _bad("message caption is too long" if is_caption else "message is too long")
        for entity in entities:
            if entity["type"] == "text_mention":
                user = self._users.get(entity["user"]["id"])
                entity["user"] = (
                    copy.deepcopy(user)
                    if user
                    else {
                        "id": entity["user"]["id"],
                        "is_bot": False,
                        "first_name": "User",
                    }
                )
        return plain, entities

    def _message_text(self, params: JSONDict, *, name: str = "text") -> str:
        text = _opt_str(params, name)
        if not text:
            raise _bad("message text is empty")
        return text

    def _validate_inline_button(self, button: Any) -> None:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise _bad(prefix + "InlineKeyboardButton must be an Object")
        if "text" not in button:
            raise _bad(prefix + 'Can\'t find field "text"')
        if not isinstance(button["text"], str):
            raise _bad(prefix + 'Field "text" must be of type String')
        if not button["text"].strip():
            raise _bad("BUTTON_TEXT_INVALID")  # unverified
        actions = [
            key
            for key in BUTTON_ACTIONS
            if button.get(key) is not None
            and not (key in ("url", "callback_data") and button[key] == "")
        ]
        if not actions:
            raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:  # fake-only strictness
            raise _bad(
                prefix + f"exactly one action field must be specified, got {', '.join(actions)}"
            )
        if "callback_data" in actions:
            data = button["callback_data"]
            if not isinstance(data, str):
                raise _bad(prefix + 'Field "callback_data" must be of type String')
            if len(data.encode("utf-8")) > CALLBACK_DATA_MAX_BYTES:
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in actions and (
            not isinstance(button["url"], str) or checked_link(button["url"]) is None
        ):
            raise _bad("BUTTON_URL_INVALID")

    def _validate_reply_markup(self, raw: Any, *, inline_only: bool = False) -> JSONDict | None:
        markup = _obj(raw, "reply keyboard markup")
        if markup is None:
            return None
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
            total = 0
            for row in rows:
                if not isinstance(row, list):
                    raise _bad(
                        'field "inline_keyboard" of the InlineKeyboardMarkup '
                        "must be an Array of Arrays"
                    )
                for button in row:
                    self._validate_inline_button(button)
                    total += 1
            if total > INLINE_KEYBOARD_MAX_BUTTONS:
                raise _bad("REPLY_MARKUP_TOO_LONG")
            return markup
        if inline_only:
            raise _bad("inline keyboard expected")  # unverified
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else (button or {}).get("text")
                    if not isinstance(text, str) or not text:
                        raise _bad(
                            'can\'t parse keyboard button: Field "text" must be of type String'
                        )
            return markup
        if "remove_keyboard" in markup or "hide_keyboard" in markup or "force_reply" in markup:
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _resolve_reply(self, chat: JSONDict, params: JSONDict) -> JSONDict | None:
        allow = _opt_bool(params, "allow_sending_without_reply")
        quote: str | None = None
        target_chat = chat
        reply_parameters = _obj(params.get("reply_parameters"), "reply parameters")
        if reply_parameters is not None:
            message_id = _opt_int(reply_parameters, "message_id")
            if reply_parameters.get("chat_id") is not None:
                target_chat = self._resolve_chat(reply_parameters["chat_id"])
            allow = allow or _opt_bool(reply_parameters, "allow_sending_without_reply")
            raw_quote = reply_parameters.get("quote")
            quote = raw_quote if isinstance(raw_quote, str) else None
        else:
            message_id = _opt_int(params, "reply_to_message_id")
        if message_id is None:
            if reply_parameters is not None:
                raise _bad("message to be replied not found")
            return None
        replied = self._stored(target_chat["id"], message_id)
        if replied is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        if quote and quote not in (replied.get("text") or replied.get("caption") or ""):
            raise _bad("QUOTE_TEXT_INVALID")
        return replied

    def _store_bot_message(
        self,
        chat: JSONDict,
        content: JSONDict,
        *,
        method: str,
        reply_to: JSONDict | None,
        sent_markup: JSONDict | None,
        raw_text: str | None,
        parse_mode: str | None,
        link_preview_options: Any = None,
    ) -> JSONDict:
        message_id = self._alloc_message_id(chat["id"])
        msg: JSONDict = {"message_id": message_id}
        if chat["type"] == "channel":
            msg["sender_chat"] = copy.deepcopy(chat)
        else:
            msg["from"] = self.bot_user
        msg["chat"] = copy.deepcopy(chat)
        msg["date"] = _now()
        if reply_to is not None:
            msg["reply_to_message"] = self._reply_copy(reply_to)
        msg.update(content)
        self._messages[(chat["id"], message_id)] = msg
        record: JSONDict = {
            "message_id": message_id,
            "chat_id": chat["id"],
            "chat": copy.deepcopy(chat),
            "date": msg["date"],
            "method": method,
            "text": msg.get("text"),
            "entities": copy.deepcopy(msg.get("entities", [])),
            "raw_text": raw_text,
            "parse_mode": parse_mode,
            "caption": msg.get("caption"),
            "caption_entities": copy.deepcopy(msg.get("caption_entities", [])),
            "document": copy.deepcopy(msg.get("document")),
            "reply_markup": copy.deepcopy(sent_markup),
            "reply_to_message_id": None if reply_to is None else reply_to["message_id"],
            "link_preview_options": copy.deepcopy(link_preview_options),
            "edit_date": None,
            "edits": [],
            "deleted": False,
            "message": copy.deepcopy(msg),
        }
        self._sent.append(record)
        self._sent_index[(chat["id"], message_id)] = record
        return copy.deepcopy(msg)

    def _editable_message(self, params: JSONDict) -> JSONDict:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        stored = self._stored(chat["id"], message_id)
        if stored is None:
            raise _bad("message to edit not found")
        if (stored.get("from") or {}).get("id") != self.bot_id and "sender_chat" not in stored:
            raise _bad("message can't be edited")
        return stored

    def _record_edit(
        self, stored: JSONDict, previous: JSONDict, raw_text: str | None, parse_mode: str | None
    ) -> None:
        record = self._sent_index.get((stored["chat"]["id"], stored["message_id"]))
        if record is None:
            return
        record["edits"].append(previous)
        record["text"] = stored.get("text")
        record["entities"] = copy.deepcopy(stored.get("entities", []))
        record["reply_markup"] = copy.deepcopy(stored.get("reply_markup"))
        record["edit_date"] = stored.get("edit_date")
        if raw_text is not None:
            record["raw_text"] = raw_text
            record["parse_mode"] = parse_mode
        record["message"] = copy.deepcopy(stored)

    # ---------------------------------------------------------------- methods

    async def _m_true(self, params: JSONDict, request: web.Request) -> Any:
        return True

    async def _m_get_me(self, params: JSONDict, request: web.Request) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_set_webhook(self, params: JSONDict, request: web.Request) -> Any:
        url = _opt_str(params, "url") or ""
        if not url:
            return await self._m_delete_webhook(params, request)
        if not url.lower().startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if _opt_bool(params, "drop_pending_updates"):
            self._updates.clear()
        same = self._webhook is not None and self._webhook.get("url") == url
        self._webhook = {
            "url": url,
            "max_connections": _opt_int(params, "max_connections") or 40,
            "allowed_updates": params.get("allowed_updates"),
            "secret_token": _opt_str(params, "secret_token"),
        }
        return _OkWithDescription(True, "Webhook is already set" if same else "Webhook was set")

    async def _m_delete_webhook(self, params: JSONDict, request: web.Request) -> Any:
        if _opt_bool(params, "drop_pending_updates"):
            self._updates.clear()
        existed = self._webhook is not None
        self._webhook = None
        return _OkWithDescription(
            True, "Webhook was deleted" if existed else "Webhook is already deleted"
        )

    async def _m_get_webhook_info(self, params: JSONDict, request: web.Request) -> Any:
        info: JSONDict = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["url"] = self._webhook["url"]
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    def _allowed(self, kind: str) -> bool:
        if not self._allowed_updates:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _collect_updates(self, limit: int) -> list[JSONDict]:
        kept: list[JSONDict] = []
        for update in self._updates:
            kind = next((k for k in update if k != "update_id"), "")
            if self._allowed(kind):
                kept.append(update)
            else:
                self.filtered_updates.append(update)
                self._queued_ids.remove(update["update_id"])  # never reaches the bot
        self._updates = kept
        return copy.deepcopy(kept[:limit])

    async def _park(self, request: web.Request, deadline: float) -> str:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._parked = future
        self._parked_count += 1
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return "timeout"
                await asyncio.wait({future}, timeout=min(remaining, 0.05))
                if future.done():
                    outcome = future.result()
                    if outcome == "conflict":
                        # A client that gave up on this request (PTB cancels its poll on stop,
                        # then polls once more) is not a second bot instance: give its
                        # disconnect a moment to be noticed before answering 409.
                        await asyncio.sleep(0.02)
                        if _client_gone(request):
                            return "gone"
                    return outcome
                if _client_gone(request):
                    return "gone"
        finally:
            self._parked_count -= 1
            if self._parked is future:
                self._parked = None

    async def _m_get_updates(self, params: JSONDict, request: web.Request) -> Any:
        if self._parked is not None and not self._parked.done():
            self._parked.set_result("conflict")
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = min(max(_opt_int(params, "timeout") or 0, 0), LONG_POLL_MAX_TIMEOUT)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if isinstance(allowed, str):
                allowed = [allowed]
            if not isinstance(allowed, list):
                raise _bad("can't parse allowed_updates JSON array")  # unverified
            self._allowed_updates = frozenset(str(a) for a in allowed)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0 and len(self._updates) > -offset:
            self._updates = self._updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._collect_updates(limit)
            if batch or timeout == 0 or self._stopping:
                return batch
            outcome = await self._park(request, deadline)
            if outcome == "conflict":
                raise ApiError(409, CONFLICT_GET_UPDATES)
            if outcome == "gone":
                raise _ClientGoneError
            if outcome in ("timeout", "shutdown"):
                return self._collect_updates(limit)

    async def _m_send_message(self, params: JSONDict, request: web.Request) -> Any:
        raw_text = self._message_text(params)
        parse_mode = self._parse_mode(params)
        markup = self._validate_reply_markup(params.get("reply_markup"))
        text, entities = self._format(
            raw_text, parse_mode, params.get("entities"), limit=MESSAGE_TEXT_MAX
        )
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_send(chat)
        reply_to = self._resolve_reply(chat, params)
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = {"inline_keyboard": copy.deepcopy(markup["inline_keyboard"])}
        link_preview = _obj(params.get("link_preview_options"), "link preview options")
        if link_preview is not None:
            content["link_preview_options"] = copy.deepcopy(link_preview)
        return self._store_bot_message(
            chat,
            content,
            method="sendMessage",
            reply_to=reply_to,
            sent_markup=markup,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            link_preview_options=link_preview,
        )

    async def _m_edit_message_text(self, params: JSONDict, request: web.Request) -> Any:
        raw_text = self._message_text(params)
        parse_mode = self._parse_mode(params)
        markup = self._validate_reply_markup(params.get("reply_markup"), inline_only=True)
        text, entities = self._format(
            raw_text, parse_mode, params.get("entities"), limit=MESSAGE_TEXT_MAX
        )
        stored = self._editable_message(params)
        if "text" not in stored:
            raise _bad("there is no text in the message to edit")
        new_markup = None if markup is None else {"inline_keyboard": markup["inline_keyboard"]}
        if (
            stored["text"] == text
            and stored.get("entities", []) == entities
            and stored.get("reply_markup") == new_markup
        ):
            raise _bad(NOT_MODIFIED)
        previous = {k: copy.deepcopy(stored.get(k)) for k in ("text", "entities", "reply_markup")}
        stored["text"] = text
        stored.pop("entities", None)
        if entities:
            stored["entities"] = entities
        stored.pop("reply_markup", None)
        if new_markup is not None:
            stored["reply_markup"] = copy.deepcopy(new_markup)
        stored["edit_date"] = _now()
        self._record_edit(stored, previous, raw_text, params.get("parse_mode"))
        return copy.deepcopy(stored)

    async def _m_edit_message_reply_markup(self, params: JSONDict, request: web.Request) -> Any:
        markup = self._validate_reply_markup(params.get("reply_markup"), inline_only=True)
        stored = self._editable_message(params)
        new_markup = None if markup is None else {"inline_keyboard": markup["inline_keyboard"]}
        if stored.get("reply_markup") == new_markup:
            raise _bad(NOT_MODIFIED)
        previous = {k: copy.deepcopy(stored.get(k)) for k in ("text", "entities", "reply_markup")}
        stored.pop("reply_markup", None)
        if new_markup is not None:
            stored["reply_markup"] = copy.deepcopy(new_markup)
        stored["edit_date"] = _now()
        self._record_edit(stored, previous, None, None)
        return copy.deepcopy(stored)

    async def _m_delete_message(self, params: JSONDict, request: web.Request) -> Any:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        stored = self._stored(chat["id"], message_id)
        if stored is None:
            raise _bad("message to delete not found")
        own = (stored.get("from") or {}).get("id") == self.bot_id or "sender_chat" in stored
        is_admin = self._bot_status.get(chat["id"]) in ("administrator", "creator")
        if not own and chat["type"] != "private" and not is_admin:
            raise _bad("message can't be deleted")
        self._deleted.add((chat["id"], message_id))
        record = self._sent_index.get((chat["id"], message_id))
        if record is not None:
            record["deleted"] = True
        return True

    async def _m_send_document(self, params: JSONDict, request: web.Request) -> Any:
        document = params.get("document")
        parse_mode = self._parse_mode(params)
        markup = self._validate_reply_markup(params.get("reply_markup"))
        raw_caption = _opt_str(params, "caption")
        caption: str = ""
        caption_entities: list[JSONDict] = []
        if raw_caption:
            caption, caption_entities = self._format(
                raw_caption,
                parse_mode,
                params.get("caption_entities"),
                limit=CAPTION_MAX,
                is_caption=True,
            )
        if document is None or document == "":
            raise _bad("there is no document in the request")
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_send(chat)
        if isinstance(document, UploadedFile):
            if not document.data:
                raise _bad("file must be non-empty")
            if len(document.data) > MAX_UPLOAD_FILE_SIZE:
                raise ApiError(413, "Request Entity Too Large")
            file_name = document.filename or "document"
            mime = document.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
            record = self._new_file("document", document.data, file_name=file_name, mime_type=mime)
        elif isinstance(document, str) and document in self._files:
            record = self._files[document]
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        reply_to = self._resolve_reply(chat, params)
        content: JSONDict = {"document": self._document_object(record)}
        if caption:
            content["caption"] = caption
            if caption_entities:
                content["caption_entities"] = caption_entities
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = {"inline_keyboard": copy.deepcopy(markup["inline_keyboard"])}
        msg = self._store_bot_message(
            chat,
            content,
            method="sendDocument",
            reply_to=reply_to,
            sent_markup=markup,
            raw_text=raw_caption,
            parse_mode=params.get("parse_mode"),
        )
        self.documents_sent.append(
            {
                "chat_id": chat["id"],
                "message_id": msg["message_id"],
                "file_id": record.file_id,
                "file_name": record.file_name,
                "mime_type": record.mime_type,
                "content": record.data,
                "caption": caption or None,
            }
        )
        return msg

    async def _m_get_file(self, params: JSONDict, request: web.Request) -> Any:
        file_id = _opt_str(params, "file_id") or ""
        record = self._files.get(file_id.strip())
        if record is None:
            raise _bad("invalid file_id")
        if record.size > MAX_DOWNLOAD_FILE_SIZE:
            raise _bad("file is too big")
        if record.file_path is None:
            folder = {
                "document": "documents",
                "photo": "photos",
                "voice": "voice",
                "sticker": "stickers",
            }[record.kind]
            default_ext = {"document": "", "photo": ".jpg", "voice": ".oga", "sticker": ".webp"}[
                record.kind
            ]
            ext = Path(record.file_name).suffix if record.file_name else default_ext
            while True:
                self._file_seq += 1
                path = f"{folder}/file_{self._file_seq}{ext}"
                if not Path(path).exists():  # PTB reads existing local paths from disk instead
                    break
            record.file_path = path
            self._file_paths[path] = record.file_id
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.size,
            "file_path": record.file_path,
        }

    async def _m_send_chat_action(self, params: JSONDict, request: web.Request) -> Any:
        action = _opt_str(params, "action")
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_send(chat)
        self.chat_actions.append(
            {
                "chat_id": chat["id"],
                "action": action,
                "message_thread_id": _opt_int(params, "message_thread_id"),
                "time": time.time(),
            }
        )
        return True

    async def _m_answer_callback_query(self, params: JSONDict, request: web.Request) -> Any:
        query_id = (_opt_str(params, "callback_query_id") or "").strip()
        entry = self._callback_queries.get(query_id)
        if entry is None or entry["answered"]:
            raise _bad(QUERY_TOO_OLD)
        text = _opt_str(params, "text")
        if text is not None and len(text) > CALLBACK_ANSWER_TEXT_MAX:
            raise _bad("MESSAGE_TOO_LONG")
        url = _opt_str(params, "url")
        if url and checked_link(url) is None:
            raise _bad("URL_INVALID")  # unverified
        entry["answered"] = True
        self.callback_answers[query_id] = {
            "text": text,
            "show_alert": _opt_bool(params, "show_alert"),
            "url": url,
            "cache_time": _opt_int(params, "cache_time"),
            "params": copy.deepcopy(params),
        }
        return True

    def _check_inline_result(self, result: Any) -> JSONDict:
        prefix = "can't parse inline query result: "  # unverified prefix
        if not isinstance(result, dict):
            raise _bad(prefix + "InlineQueryResult must be an Object")
        kind = result.get("type")
        if not isinstance(kind, str):
            raise _bad(prefix + 'Field "type" must be of type String')
        processed = copy.deepcopy(result)
        if kind == "article":
            if not isinstance(result.get("title"), str) or not result["title"]:
                raise _bad(prefix + 'Field "title" must be of type String')
            if "input_message_content" not in result:
                raise _bad(prefix + 'Can\'t find field "input_message_content"')
        content = result.get("input_message_content")
        if content is not None:
            if not isinstance(content, dict):
                raise _bad(prefix + 'Field "input_message_content" must be of type Object')
            if "message_text" in content or kind == "article":
                raw = content.get("message_text")
                if not isinstance(raw, str) or not raw:
                    raise _bad("message text is empty")
                text, entities = self._format(
                    raw,
                    self._parse_mode(content),
                    content.get("entities"),
                    limit=MESSAGE_TEXT_MAX,
                )
                processed["parsed_message"] = {"text": text, "entities": entities}
        if result.get("reply_markup") is not None:
            self._validate_reply_markup(result["reply_markup"], inline_only=True)
        return processed

    async def _m_answer_inline_query(self, params: JSONDict, request: web.Request) -> Any:
        query_id = (_opt_str(params, "inline_query_id") or "").strip()
        results = params.get("results")
        if isinstance(results, str):
            try:
                results = json.loads(results)
            except ValueError:
                results = None
        if not isinstance(results, list):
            raise _bad("can't parse JSON encoded inline query results")  # unverified
        processed = [self._check_inline_result(r) for r in results]
        entry = self._inline_queries.get(query_id)
        if entry is None or entry["answered"]:
            raise _bad(QUERY_TOO_OLD)
        if len(results) > INLINE_RESULTS_MAX:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = str(result.get("id", ""))
            if not result_id or len(result_id.encode("utf-8")) > INLINE_RESULT_ID_MAX_BYTES:
                raise _bad("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result_id)
        next_offset = _opt_str(params, "next_offset") or ""
        if len(next_offset.encode("utf-8")) > INLINE_NEXT_OFFSET_MAX_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")  # unverified
        entry["answered"] = True
        self.inline_answers[query_id] = {
            "results": processed,
            "cache_time": _opt_int(params, "cache_time"),
            "is_personal": _opt_bool(params, "is_personal"),
            "next_offset": next_offset,
            "button": copy.deepcopy(params.get("button")),
            "params": copy.deepcopy(params),
        }
        return True

    def _scope_key(self, raw: Any) -> str:
        scope = _obj(raw, "BotCommandScope") or {"type": "default"}
        kind = scope.get("type")
        if kind not in SCOPE_TYPES:
            raise _bad("unsupported bot command scope type")  # unverified
        normalized: JSONDict = {"type": kind}
        if kind in ("chat", "chat_administrators", "chat_member"):
            normalized["chat_id"] = self._resolve_chat(scope.get("chat_id"))["id"]
        if kind == "chat_member":
            user_id = _opt_int(scope, "user_id")
            if user_id is None:
                raise _bad("user not found")
            normalized["user_id"] = user_id
        return json.dumps(normalized, sort_keys=True, separators=(",", ":"))

    def _language(self, params: JSONDict) -> str:
        language = _opt_str(params, "language_code") or ""
        if language and not LANGUAGE_RE.match(language):
            raise _bad("invalid language code specified")  # unverified
        return language

    async def _m_set_my_commands(self, params: JSONDict, request: web.Request) -> Any:
        raw = params.get("commands")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = None
        if not isinstance(raw, list):
            raise _bad("can't parse commands JSON object")  # unverified
        commands: list[JSONDict] = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand JSON object")  # unverified
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not COMMAND_RE.match(command):
                raise _bad("BOT_COMMAND_INVALID")
            if (
                not isinstance(description, str)
                or not 1 <= len(description.strip()) <= COMMAND_DESCRIPTION_MAX
            ):
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": command, "description": description})
        if len(commands) > COMMANDS_MAX:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        key = (self._scope_key(params.get("scope")), self._language(params))
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def _m_get_my_commands(self, params: JSONDict, request: web.Request) -> Any:
        key = (self._scope_key(params.get("scope")), self._language(params))
        return copy.deepcopy(self.commands.get(key, []))

    async def _m_delete_my_commands(self, params: JSONDict, request: web.Request) -> Any:
        key = (self._scope_key(params.get("scope")), self._language(params))
        self.commands.pop(key, None)
        return True

    async def _m_get_chat(self, params: JSONDict, request: web.Request) -> Any:
        chat = self._resolve_chat(params.get("chat_id"))
        info = copy.deepcopy(chat)
        info.update(
            accent_color_id=chat["id"] % 7,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info
