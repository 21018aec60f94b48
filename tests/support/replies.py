"""Questions of every shape, and the check that each reply to them is one Telegram accepts
(tests/test_properties.py and benchmarks/reliability.py).

Each message is checked the way Telegram checks it (the fake Bot API's port of TDLib's HTML
parser): at most 32768 bytes raw, markup that parses, non-empty and at most 4096 characters
after parsing.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import strategies as st

from bot.engine import Engine
from bot.engine.model import Reply
from bot.tg import render
from tests.support.fake_bot_api import EntityParseError, finalize_text, parse_html, utf16_len

MAX_QUESTION = 4096  # the longest text a Telegram message can carry

# Words that reach the knowledge, so that answers with citations are produced too, not only
# "I don't know"; mixed with everything Unicode has that could break parsing or rendering.
KNOWN = ["truce", "ceasefire", "Azerbaijan", "Armenia", "Aliyev", "brokered", "who", "Karabakh"]
TRICKY = [
    "<b>",
    "</blockquote>",
    "&amp;",
    "&#0;",
    "&",
    "<",
    ">",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u0645\u0646 \u062a\u0648\u0633\u0637",  # Arabic
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark
    "\u2060",  # word joiner
    "\x00",
    "\x07",
    "\r\n",
    "\t",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # one emoji of five code points
    "e\u0301",  # combining accent
    "\U0001d54f",  # astral letter: two UTF-16 units
    "/ask",
    "@KarabakhNewsBot",
]
# Any code point but lone surrogates, which no UTF-8 message can carry.
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
TOKENS = st.one_of(
    st.sampled_from(KNOWN),
    st.sampled_from(TRICKY),
    st.text(ANY_CHARACTER, min_size=1, max_size=12),
)
ASKED = [
    str(item["q"])
    for item in yaml.safe_load(
        (Path(__file__).parents[2] / "knowledge" / "eval.yaml").read_text(encoding="utf-8")
    )
]


def _insert(question: str, where: int, token: str) -> str:
    cut = where % (len(question) + 1)
    return question[:cut] + token + question[cut:]


QUESTIONS = st.one_of(
    st.text(ANY_CHARACTER, max_size=MAX_QUESTION),
    # Real questions with something odd put in: these reach answers, clarifications, quotes.
    st.builds(_insert, st.sampled_from(ASKED), st.integers(0, 200), TOKENS),
    st.lists(TOKENS, max_size=60).map(" ".join),
    st.tuples(TOKENS, st.integers(1, 4096)).map(lambda t: (t[0] * t[1])[:MAX_QUESTION]),
).filter(lambda text: len(text) <= MAX_QUESTION)


def telegram_accepts(html: str) -> str:
    """What Telegram would show for this HTML, or an AssertionError saying why it would refuse."""
    assert len(html.encode("utf-8")) <= 32768, "text is too long"
    try:
        text, entities = parse_html(html)
    except EntityParseError as exc:
        raise AssertionError(f"can't parse entities: {exc}: {html!r}") from None
    shown, _ = finalize_text(text, entities)
    assert shown, f"text must be non-empty: {html!r}"
    assert len(shown) <= render.MAX_CHARS, "message is too long"
    assert utf16_len(shown) <= render.MAX_CHARS  # what clients count
    return shown


def check_reply(reply: Reply, engine: Engine) -> None:
    """The reply renders (private and group, with and without a heading) to messages and
    buttons Telegram accepts; AssertionError otherwise."""
    wording = engine.knowledge.messages
    for group in (False, True):
        for heading in (None, reply.question):
            rendered = render.render_reply(reply, group=group, heading=heading, wording=wording)
            assert rendered.messages
            for html in rendered.messages:
                telegram_accepts(html)
            if rendered.keyboard is not None:
                for row in rendered.keyboard.inline_keyboard:
                    for button in row:
                        assert button.text.strip()
                        assert len(str(button.callback_data).encode()) <= 64
