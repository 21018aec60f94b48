"""Engine replies and admins' results as Telegram HTML messages and keyboards (pure functions).

Every piece of user or knowledge text goes through :func:`esc`. Messages are built from blocks
(a paragraph of the answer, one citation, the source line) and split only between blocks, so a
split never falls inside a tag or a quote; a single block too long for one message is cut on a
sentence or word boundary into several complete blocks.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.curation import Outcome
from bot.engine.model import HEADLINE, Article, Citation, Kind, Option, Quote, Reply
from bot.store import DISLIKED, Miss, WindowStats

MAX_CHARS = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted after entity parsing
MAX_CALLBACK_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64
MAX_BUTTON_LABEL = 60  # longer labels are cut by clients anyway

ANSWER_IN_PLACE = "a"  # callback "a:<entry_id>": replace the pressed message with the answer
ASK_AS_NEW = "q"  # callback "q:<entry_id>": answer in a new message, keep the pressed one
FEEDBACK = "f"  # callback "f:+:<entry_id>" / "f:-:<entry_id>": a vote on the answer above
NO_ENTRY = "-"  # the entry id in feedback on an answer quoted straight from the article
THUMBS = (("+", "\U0001f44d"), ("-", "\U0001f44e"))
# Reply keyboards kept built. Building PTB objects costs more than the rest of the rendering
# (every attribute set goes through TelegramObject.__setattr__), yet a keyboard depends only on
# the options, the action and the entry, and PTB objects are immutable, so one built keyboard
# can go under any number of messages. A knowledge base has a few per entry.
KEYBOARD_CACHE = 1024

GROUP_NO_ANSWER = "The article doesn't answer that, so I won't guess."
SORRY = "Sorry, something went wrong on my side. Please try again."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see how to ask."
GONE = "That answer is no longer available. Please ask again."
MAX_OUTCOME_LINES = 40  # of an admin's outcome shown in one message; the rest is summarised
_EMPTY = "I have nothing to add to that."

_BLOCK_SEPARATOR = "\n\n"
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+")
_WHITESPACE = re.compile(r"\s+")
_OUTER_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to send for one reply: one or more HTML messages, the keyboard goes on the last."""

    messages: tuple[str, ...]
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class _Block:
    """A piece of text that is never split across messages unless it alone is too long."""

    text: str  # plain text, unescaped
    tag: str | None = None  # "blockquote", "b" or "i": wraps the escaped text

    def html(self) -> str:
        body = esc(self.text)
        return f"<{self.tag}>{body}</{self.tag}>" if self.tag else body


def esc(text: str) -> str:
    """Escape user or knowledge text for Telegram HTML (``<``, ``>``, ``&``)."""
    return html.escape(text, quote=False)


def visible_length(text: str) -> int:
    """Length as Telegram counts it, in UTF-16 code units (never less than code points)."""
    return len(text.encode("utf-16-le")) // 2


def is_blank(text: str) -> bool:
    """True when Telegram would see no text: only whitespace and invisible format characters."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


# --- replies -------------------------------------------------------------------------------


def render_reply(
    reply: Reply,
    *,
    group: bool = False,
    heading: str | None = None,
    wording: Mapping[str, str] | None = None,
    feedback: bool = False,
) -> Rendered:
    """The messages and keyboard for one engine reply, in a private chat or in a group.

    ``heading`` is a question shown in bold above an answer: for a pressed button or an inline
    result, where the question is not visible just above. ``wording`` is the knowledge's
    ``messages`` (``no_answer_group``, ``suggest``); built-in texts stand in for missing ones.
    ``feedback`` adds a thumbs up / down row under an answer (private chats).
    """
    wording = wording or {}
    if group and reply.kind is Kind.NO_ANSWER:
        return Rendered((esc(wording.get("no_answer_group") or GROUP_NO_ANSWER),))
    blocks: list[_Block] = []
    if heading and reply.kind in (Kind.ANSWER, Kind.NEAR_MISS):
        blocks.append(_Block(heading, "b"))
    blocks.extend(_Block(part) for part in re.split(r"\n\s*\n", reply.text))
    blocks.extend(_Block(citation_text(c, wording), "blockquote") for c in reply.citations)
    if reply.citations and reply.source:
        source = wording.get("source") or "Source"
        blocks.append(
            _Block(f"{source}: {reply.source.title} \u2014 {reply.source.publisher}", "i")
        )
    if reply.kind in (Kind.NO_ANSWER, Kind.NEAR_MISS) and reply.options and wording.get("suggest"):
        blocks.append(_Block(wording["suggest"]))
    options: tuple[Option, ...] = ()
    action = ANSWER_IN_PLACE
    if reply.kind in (Kind.CLARIFY, Kind.NO_ANSWER, Kind.NEAR_MISS):
        options = reply.options
    elif reply.kind is Kind.ANSWER and not group:
        options, action = reply.followups, ASK_AS_NEW
    thumbs = feedback and reply.kind is Kind.ANSWER
    keyboard = _reply_keyboard(options, action, thumbs, reply.entry if thumbs else None)
    return Rendered(pack(blocks), keyboard)


@lru_cache(maxsize=KEYBOARD_CACHE)
def _reply_keyboard(
    options: tuple[Option, ...], action: str, feedback: bool, entry_id: str | None
) -> InlineKeyboardMarkup | None:
    """The keyboard under a reply: its options (if any), then 👍 / 👎 when ``feedback``."""
    keyboard = keyboard_for(options, action)
    return with_feedback(keyboard, entry_id) if feedback else keyboard


def with_feedback(
    keyboard: InlineKeyboardMarkup | None, entry_id: str | None
) -> InlineKeyboardMarkup:
    """The keyboard with a last row of 👍 / 👎 for the answer."""
    row = [
        InlineKeyboardButton(
            label, callback_data=callback_data(FEEDBACK, f"{sign}:{entry_id or NO_ENTRY}")
        )
        for sign, label in THUMBS
    ]
    rows = [list(r) for r in keyboard.inline_keyboard] if keyboard else []
    return InlineKeyboardMarkup([*rows, row])


def parse_feedback(data: str | None) -> tuple[int, str | None] | None:
    """``(+1 or -1, entry_id or None)`` from feedback callback data, else None."""
    action, _, rest = (data or "").partition(":")
    sign, _, entry_id = rest.partition(":")
    if action != FEEDBACK or sign not in ("+", "-") or not entry_id:
        return None
    return (1 if sign == "+" else -1), (None if entry_id == NO_ENTRY else entry_id)


def citation_text(citation: Citation, wording: Mapping[str, str] | None = None) -> str:
    """``“quote”`` and, on its own line, who said it and where: the text inside a blockquote
    (the quote verbatim, in English; "paragraph" in the reply's language)."""
    who = ", ".join(part for part in (citation.speaker, citation.role) if part)
    where = citation.where
    if wording:
        where = (
            wording.get("headline", where)
            if citation.paragraph == HEADLINE
            else wording.get("paragraph", where).replace("{n}", str(citation.paragraph))
        )
    attribution = f"{who} \u00b7 {where}" if who else where
    quote = citation.quote.strip().strip(_OUTER_QUOTES).strip()
    return f"\u201c{quote}\u201d\n\u2014 {attribution}"


# --- keyboards -------------------------------------------------------------------------------


def callback_data(action: str, entry_id: str) -> str:
    """``<action>:<entry_id>``; a ValueError if it would exceed Telegram's 64 bytes."""
    data = f"{action}:{entry_id}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, str] | None:
    """``(action, entry_id)`` from callback data this module made, else None."""
    if not data:
        return None
    action, sep, entry_id = data.partition(":")
    if not sep or action not in (ANSWER_IN_PLACE, ASK_AS_NEW) or not entry_id:
        return None
    return action, entry_id


def keyboard_for(options: Iterable[Option], action: str) -> InlineKeyboardMarkup | None:
    """One button per option, one option per row (question labels are long)."""
    rows = [
        [
            InlineKeyboardButton(
                button_label(o.question, o.entry_id),
                callback_data=callback_data(action, o.entry_id),
            )
        ]
        for o in options
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def button_label(question: str, fallback: str) -> str:
    """A one-line, non-empty button label of at most :data:`MAX_BUTTON_LABEL` characters."""
    label = _WHITESPACE.sub(" ", question).strip()
    if is_blank(label):
        label = fallback
    if len(label) > MAX_BUTTON_LABEL:
        label = label[: MAX_BUTTON_LABEL - 1].rstrip() + "\u2026"
    return label


# --- fixed texts -----------------------------------------------------------------------------


def welcome(
    article: Article, examples: Sequence[Option], wording: Mapping[str, str] | None = None
) -> Rendered:
    """/start: what the bot knows and a few example questions as buttons (``wording``: the
    messages of the user's language; the ``welcome`` message, its {title} in bold)."""
    template = (wording or {}).get("welcome") or (
        "Hi! I answer questions about one article: {title} ({publisher}). Every answer quotes "
        "the article word for word and says which paragraph it comes from. Type a question."
    )
    text = (
        esc(template)
        .replace("{title}", f"<b>{esc(article.title)}</b>")
        .replace("{publisher}", esc(article.publisher))
    )
    return Rendered((text,), keyboard_for(examples, ASK_AS_NEW))


def group_start(username: str) -> str:
    """/start in a group: where the real instructions are."""
    return f"Ask me here with <code>/ask your question</code>, or send /help@{esc(username)}."


def help_text(username: str, example: str | None, wording: Mapping[str, str] | None = None) -> str:
    """/help: how to ask, in a private chat, in groups, and inline, from the ``help`` message
    of the user's language (*stars* make a heading bold)."""
    sample = example or "your question"
    me = esc(f"@{username}") if username else "me"
    template = (wording or {}).get("help") or "Just type your question, for example: {example}"
    text = esc(template)
    text = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", text)
    text = text.replace("/ask {example}", f"<code>/ask {esc(sample)}</code>")
    return text.replace("{example}", f"<i>{esc(sample)}</i>").replace("{me}", me)


def sources_text(article: Article, quotes: Iterable[Quote]) -> str:
    """/sources: the article and what the bot can cite from it."""
    citable = list(quotes)
    paragraphs = {q.paragraph for q in citable}
    speakers = sorted({q.speaker for q in citable if q.speaker})
    lines = [f"<b>{esc(article.title)}</b>", esc(article.publisher)]
    details = [part for part in (article.section, article.author, article.date) if part]
    if details:
        lines.append(esc(" \u00b7 ".join(details)))
    if article.url:
        lines.append(esc(article.url))
    lines.append("")
    lines.append(
        f"I can cite {len(citable)} passages from {len(paragraphs)} of its "
        f"{len(article.paragraphs)} paragraphs, always word for word, with the paragraph number."
    )
    if speakers:
        lines.append("Quoted or attributed: " + esc(", ".join(speakers)) + ".")
    lines.append("I answer only from this article; for anything else I say I don't know.")
    return "\n".join(lines)


def ask_usage(example: str | None) -> str:
    """/ask without a question."""
    sample = esc(example or "your question")
    return f"Put your question after the command, for example:\n<code>/ask {sample}</code>"


# --- splitting -------------------------------------------------------------------------------


# --- admins' messages ---------------------------------------------------------------------


def _pre(text: str) -> str:
    """Plain text as a monospace block (errors and diffs line up), escaped."""
    return f"<pre>{html.escape(text, quote=False)}</pre>"


def printable(text: str) -> str:
    """Users' text as shown to admins: control and format characters (a bell, a right-to-left
    override) made visible as "\ufffd" instead of acting on the admin's screen."""
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def pre_messages(body: str, head: str = "") -> list[str]:
    """Plain text as monospace blocks, each message within Telegram's limit and each block whole
    (never split through a tag); ``head`` (HTML) opens the first message."""
    chunks = split_text(body, MAX_CHARS - 40 - len(head)) if body.strip() else []
    messages = [_pre(chunk) for chunk in chunks] or [""]
    messages[0] = f"{head}{messages[0]}".rstrip()
    return messages


def outcome_messages(outcome: Outcome) -> list[str]:
    """An admin's result: a bold first line (✅ or ⚠️), then the details as monospace blocks."""
    lines = outcome.text().splitlines()
    if len(lines) > MAX_OUTCOME_LINES:
        lines = [*lines[:MAX_OUTCOME_LINES], f"… and {len(lines) - MAX_OUTCOME_LINES} more lines"]
    head, *rest = lines
    mark = "\u2705" if outcome.applied else "\u26a0\ufe0f"
    return pre_messages("\n".join(rest), f"{mark} <b>{html.escape(head, quote=False)}</b>\n")


def changed_by(name: str, message: str) -> str:
    """An admin's change as the other admins are told of it: who made it, then the outcome."""
    return f"<i>By {html.escape(name, quote=False)}:</i>\n{message}"


def unanswered_messages(misses: Iterable[Miss]) -> list[str]:
    """/unanswered: each miss with how often it was asked, what it got, and when last."""
    lines = ["Most frequent unanswered questions (last 30 days):"]
    for m in misses:
        when = time.strftime("%Y-%m-%d", time.gmtime(m.last_seen))
        what = {
            "no_answer": "no answer",
            "near_miss": "near miss",
            DISLIKED: f"\U0001f44e on the answer {m.got or 'quoted from the article'}",
        }.get(m.kind, "clarified")
        lines.append(f"{m.count:>3}\u00d7  {printable(m.question)}  ({what}, last {when})")
    lines.append("Tap below to add the top ones as phrasings, or edit qa.yaml and send it back.")
    return pre_messages("\n".join(lines))


def quoted_question(question: str) -> str:
    """A user's question in quotation marks, above the buttons that triage it."""
    return f"\u201c{html.escape(printable(question), quote=False)}\u201d"


def stats_messages(windows: Iterable[WindowStats]) -> list[str]:
    """/stats: per window, the questions by outcome, the feedback, the top answers and misses."""
    out = []
    for w in windows:
        c = w.counts
        out.append(
            f"{w.label}: {w.total} questions — {c.get('answer', 0)} answered, "
            f"{c.get('no_answer', 0)} not covered, {c.get('near_miss', 0)} near misses, "
            f"{c.get('clarify', 0)} clarified, "
            f"{c.get('smalltalk', 0)} small talk; feedback 👍 {w.up} 👎 {w.down}"
        )
        if w.top_entries:
            out.append("  top answers: " + ", ".join(f"{e} ({n})" for e, n in w.top_entries))
        if w.top_misses:
            out.append(
                "  top misses: " + "; ".join(f"{printable(q)} ({n})" for q, n in w.top_misses)
            )
    return pre_messages("\n".join(out))


# --- splitting into messages ---------------------------------------------------------------


def pack(blocks: Iterable[_Block], limit: int = MAX_CHARS) -> tuple[str, ...]:
    """Join blocks into as few messages as fit ``limit``, splitting only between blocks."""
    pieces: list[_Block] = []
    for block in blocks:
        if is_blank(block.text):
            continue
        if visible_length(block.text) <= limit:
            pieces.append(block)
        else:
            pieces.extend(_Block(part, block.tag) for part in split_text(block.text, limit))
    messages: list[str] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        size = visible_length(piece.text)
        extra = size + (len(_BLOCK_SEPARATOR) if current else 0)
        if current and used + extra > limit:
            messages.append(_BLOCK_SEPARATOR.join(current))
            current, used = [], 0
            extra = size
        current.append(piece.html())
        used += extra
    if current:
        messages.append(_BLOCK_SEPARATOR.join(current))
    return tuple(messages) or (esc(_EMPTY),)


def split_text(text: str, limit: int) -> list[str]:
    """Cut plain text into non-blank parts of at most ``limit`` UTF-16 units.

    Prefers the last sentence end, then the last whitespace, then a cut between characters
    (never inside a surrogate pair, a combining sequence or an emoji joined with ZWJ).
    """
    parts: list[str] = []
    rest = text.strip()
    while visible_length(rest) > limit:
        end = _fit(rest, limit)
        cut = _boundary(rest, end)
        head, rest = rest[:cut].strip(), rest[cut:].strip()
        if not is_blank(head):
            parts.append(head)
    if not is_blank(rest):
        parts.append(rest)
    return parts


def _fit(text: str, limit: int) -> int:
    """The largest prefix length (in code points) whose UTF-16 length is within ``limit``."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _boundary(text: str, end: int) -> int:
    """Where to cut ``text`` at or before ``end``: a sentence end, a space, or a safe character."""
    window = text[:end]
    floor = end // 2  # a boundary far back would make a tiny message; cut harder instead
    sentence = [m.end() for m in _SENTENCE_END.finditer(window)]
    if sentence and sentence[-1] > floor:
        return sentence[-1]
    space = max(window.rfind(" "), window.rfind("\n"))
    if space > floor:
        return space + 1
    cut = end
    while cut > 1 and (_joins(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    return cut if cut > 1 else end


def _joins(ch: str) -> bool:
    """Characters that belong to the character before them."""
    return (
        unicodedata.combining(ch) != 0
        or ch == "\u200d"
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tone modifiers
        or unicodedata.category(ch) == "Me"
    )
