"""A strict reading of Telegram's HTML parse mode, for asserting what users would see.

Mirrors the rules in /work/shared/reference/telegram-bot-api.md §4: only Telegram's tags, fully
nested, no nested blockquotes, any bare ``<`` is an error, entities ``&lt; &gt; &amp; &quot;``
and numeric ones are decoded, and length is counted after parsing.
"""

from __future__ import annotations

import re

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlError(ValueError):
    pass


def parse(html: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Visible text and (tag, start, end) spans in UTF-16 units; HtmlError where Telegram fails."""
    out: list[str] = []
    units = 0
    stack: list[tuple[str, int]] = []
    spans: list[tuple[str, int, int]] = []
    i = 0
    while i < len(html):
        ch = html[i]
        if ch == "<":
            m = _TAG.match(html, i)
            if not m:
                raise HtmlError(f"bare '<' at {i}")
            closing, name = m.group(1), m.group(2).lower()
            if name not in ALLOWED:
                raise HtmlError(f"unsupported tag {name!r} at {i}")
            if closing:
                if not stack or stack[-1][0] != name:
                    raise HtmlError(f"unmatched end tag {name!r} at {i}")
                open_name, start = stack.pop()
                spans.append((open_name, start, units))
            else:
                if name == "blockquote" and any(n == "blockquote" for n, _ in stack):
                    raise HtmlError("nested blockquote")
                stack.append((name, units))
            i = m.end()
            continue
        if ch == "&":
            m = _ENTITY.match(html, i)
            if m:
                body = m.group(1)
                if body.startswith("#x"):
                    decoded = chr(int(body[2:], 16))
                elif body.startswith("#"):
                    decoded = chr(int(body[1:]))
                else:
                    decoded = _NAMED[body]
                out.append(decoded)
                units += utf16_len(decoded)
                i = m.end()
                continue
        out.append(ch)
        units += utf16_len(ch)
        i += 1
    if stack:
        raise HtmlError(f"unclosed tags {[n for n, _ in stack]}")
    return "".join(out), spans


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible(html: str) -> str:
    return parse(html)[0]
