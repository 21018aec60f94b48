"""Rendering replies as Telegram HTML: escaping, citations, keyboards, splitting."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import load_knowledge
from bot.engine.model import Article, Citation, Kind, Option, Paragraph, Quote, Reply, Source
from bot.tg import render
from tests.conftest import KNOWLEDGE

from .tghtml import parse, utf16_len, visible

SOURCE = Source("Truce breaks down", "Example Press")


def answer(text: str = "The truce broke down.", *citations: Citation, **kw: object) -> Reply:
    return Reply(
        question="q",
        kind=Kind.ANSWER,
        text=text,
        citations=citations,
        entry="truce",
        source=SOURCE,
        **kw,  # type: ignore[arg-type]
    )


def cite(
    quote: str = "It held for hours.",
    paragraph: int = 3,
    speaker: str | None = "Ministry",
    role: str | None = None,
) -> Citation:
    return Citation(quote=quote, paragraph=paragraph, speaker=speaker, role=role)


def assert_sendable(messages: tuple[str, ...]) -> None:
    """What Telegram checks: valid markup, non-empty, at most 4096 units after parsing."""
    assert messages
    for html in messages:
        text = visible(html)
        assert text.strip(), html
        assert utf16_len(text) <= render.MAX_CHARS
        assert len(html.encode()) <= 32768


def test_answer_shows_text_then_each_citation_as_a_blockquote_and_the_source_once() -> None:
    reply = answer(
        "Both sides blame each other.",
        cite("Units are fully adhering", 4, "Azerbaijan's Defense Ministry"),
        cite("continues to strictly adhere", 6, "Nikol Pashinyan", "Prime Minister"),
    )
    [html] = render.render_reply(reply).messages
    text, spans = parse(html)
    assert text == (
        "Both sides blame each other.\n\n"
        "\u201cUnits are fully adhering\u201d\n"
        "\u2014 Azerbaijan's Defense Ministry \u00b7 paragraph 4"
        "\n\n"
        "\u201ccontinues to strictly adhere\u201d\n"
        "\u2014 Nikol Pashinyan, Prime Minister \u00b7 paragraph 6"
        "\n\nSource: Truce breaks down \u2014 Example Press"
    )
    assert [tag for tag, _, _ in spans] == ["blockquote", "blockquote", "i"]


def test_headline_and_unattributed_citations() -> None:
    assert render.citation_text(cite("Truce breaks down", 0, None)).endswith("\u2014 headline")
    assert render.citation_text(cite("x", 2, None)) == "\u201cx\u201d\n\u2014 paragraph 2"


def test_quote_marks_already_in_the_quote_are_not_doubled() -> None:
    text = render.citation_text(cite("\u201cWe adhere to the ceasefire.\u201d"))
    assert text.startswith("\u201cWe adhere to the ceasefire.\u201d\n")


def test_every_piece_of_text_is_escaped() -> None:
    hostile = "<b>bold</b> & <script>alert(1)</script> &amp; </blockquote>"
    reply = Reply(
        question=hostile,
        kind=Kind.ANSWER,
        text=hostile,
        citations=(cite(hostile, 1, hostile, hostile),),
        source=Source(hostile, hostile),
        entry="e",
    )
    rendered = render.render_reply(reply, heading=hostile)
    assert_sendable(rendered.messages)
    text = visible(rendered.messages[0])
    assert text.count(hostile) == 7  # heading, answer, quote, speaker, role, title, publisher


def test_source_line_only_with_citations() -> None:
    [html] = render.render_reply(answer("Hello.")).messages
    assert "Source" not in html


def test_clarify_offers_each_candidate_as_an_answer_in_place_button() -> None:
    reply = Reply(
        question="truce",
        kind=Kind.CLARIFY,
        text="Which one do you mean?",
        options=(
            Option("truce-broken", "Who broke the truce?"),
            Option("truce-us", "Who brokered it?"),
        ),
    )
    rendered = render.render_reply(reply)
    assert rendered.messages == ("Which one do you mean?",)
    assert rendered.keyboard is not None
    buttons = [row[0] for row in rendered.keyboard.inline_keyboard]
    assert [(b.text, b.callback_data) for b in buttons] == [
        ("Who broke the truce?", "a:truce-broken"),
        ("Who brokered it?", "a:truce-us"),
    ]


def test_no_answer_in_private_has_suggestions_in_a_group_one_short_line() -> None:
    reply = Reply(
        question="weather?",
        kind=Kind.NO_ANSWER,
        text="The article does not say.\n\nYou could ask one of these instead.",
        options=(Option("truce", "What happened to the truce?"),),
    )
    private = render.render_reply(reply)
    assert private.keyboard is not None
    group = render.render_reply(reply, group=True)
    assert group.keyboard is None
    [line] = group.messages
    assert "\n" not in line and len(line) < 80


def test_followups_are_new_question_buttons_in_private_only() -> None:
    reply = answer("Yes.", cite(), followups=(Option("next", "And then?"),))
    private = render.render_reply(reply)
    assert private.keyboard is not None
    assert private.keyboard.inline_keyboard[0][0].callback_data == "q:next"
    assert render.render_reply(reply, group=True).keyboard is None


def test_thumbs_under_an_answer_vote_for_that_answer_even_with_the_same_followups() -> None:
    followups = (Option("next", "And then?"),)
    keyboards = []
    for entry in ("truce", "talks", None):
        reply = dataclasses.replace(answer("Yes.", cite(), followups=followups), entry=entry)
        rendered = render.render_reply(reply, feedback=True)
        assert rendered.keyboard is not None
        keyboards.append(
            [[b.callback_data for b in row] for row in rendered.keyboard.inline_keyboard]
        )
    assert keyboards == [
        [["q:next"], ["f:+:truce", "f:-:truce"]],
        [["q:next"], ["f:+:talks", "f:-:talks"]],
        [["q:next"], ["f:+:-", "f:-:-"]],
    ]
    # Without feedback (groups, inline results) the same answer has no thumbs.
    plain = render.render_reply(answer("Yes.", followups=followups)).keyboard
    assert plain is not None
    assert [[b.callback_data for b in row] for row in plain.inline_keyboard] == [["q:next"]]


def test_heading_only_on_answers() -> None:
    [html] = render.render_reply(answer("Yes."), heading="Who?").messages
    assert html.startswith("<b>Who?</b>\n\n")


@pytest.mark.parametrize("entry_id", ["a", "x" * 40, "a-b-c-1-2-3"])
def test_callback_data_for_entry_ids_fits_64_bytes(entry_id: str) -> None:
    for action in (render.ANSWER_IN_PLACE, render.ASK_AS_NEW):
        data = render.callback_data(action, entry_id)
        assert len(data.encode()) <= 64
        assert render.parse_callback(data) == (action, entry_id)


def test_callback_data_over_64_bytes_is_refused() -> None:
    with pytest.raises(ValueError):
        render.callback_data("a", "x" * 63)


@pytest.mark.parametrize("data", [None, "", "a", "a:", "z:entry", "entry"])
def test_foreign_callback_data_is_not_parsed(data: str | None) -> None:
    assert render.parse_callback(data) is None


def test_button_labels_are_one_line_and_short() -> None:
    assert render.button_label("Who\nbroke   it?", "id") == "Who broke it?"
    assert render.button_label("\u200b \n", "fallback") == "fallback"
    long = render.button_label("word " * 40, "id")
    assert len(long) <= render.MAX_BUTTON_LABEL and long.endswith("\u2026")


# --- splitting ------------------------------------------------------------------------------


def test_many_citations_split_between_blocks_never_inside_one() -> None:
    quotes = [f"Quote number {i}: " + "words and more words " * 20 for i in range(40)]
    reply = answer("Here is what they said.", *(cite(q, i + 1) for i, q in enumerate(quotes)))
    messages = render.render_reply(reply).messages
    assert len(messages) > 1
    assert_sendable(messages)
    seen = []
    for html in messages:
        text, spans = parse(html)
        for tag, start, end in spans:
            if tag == "blockquote":
                seen.append(text[start:end])
    # Each citation is one whole blockquote, in order, exactly once.
    assert [s.split("\n")[0].strip("\u201c\u201d") for s in seen] == [q.strip() for q in quotes]


def test_a_single_too_long_answer_is_cut_at_sentence_ends() -> None:
    sentence = "The ceasefire was violated within hours of coming into force. "
    reply = answer(sentence * 150)
    messages = render.render_reply(reply).messages
    assert len(messages) == 3
    assert_sendable(messages)
    for html in messages:
        assert visible(html).endswith("force.")


def test_a_single_too_long_quote_becomes_several_complete_blockquotes() -> None:
    reply = answer("Short.", cite("word " * 2000, 5))
    messages = render.render_reply(reply).messages
    assert_sendable(messages)
    quotes = [s for html in messages for s in parse(html)[1] if s[0] == "blockquote"]
    assert len(quotes) >= 3


def test_text_without_spaces_is_cut_between_characters() -> None:
    messages = render.render_reply(answer("x" * 9000)).messages
    assert_sendable(messages)
    assert "".join(visible(m) for m in messages) == "x" * 9000


def test_astral_emoji_are_counted_as_two_units_and_never_cut() -> None:
    emoji = "\U0001f600"
    messages = render.render_reply(answer(emoji * 4096)).messages
    assert_sendable(messages)
    assert "".join(visible(m) for m in messages) == emoji * 4096


def test_zwj_emoji_sequences_are_not_cut() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    parts = render.split_text(family * 1000, 100)
    assert all(p.startswith("\U0001f468") and p.endswith("\U0001f467") for p in parts)


def test_escaped_specials_count_as_one_character() -> None:
    messages = render.render_reply(answer("<&>" * 1365)).messages  # 4095 visible characters
    assert len(messages) == 1
    assert visible(messages[0]) == "<&>" * 1365


def test_blank_or_invisible_text_never_makes_an_empty_message() -> None:
    for text in ["", "   ", "\u200b\u200d\ufeff", "\n\n\n"]:
        assert_sendable(render.render_reply(answer(text)).messages)


_texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]),  # no lone surrogates: not valid UTF-8
    max_size=300,
) | st.sampled_from(
    ["<", "&", "&amp;", "</b>", "\u202e", "\u200b", "\U0001f600" * 3000, "a " * 3000]
)


@settings(max_examples=200, deadline=None)
@given(text=_texts, quote=_texts, speaker=_texts, role=_texts, n=st.integers(0, 12))
def test_any_text_renders_to_sendable_messages(
    text: str, quote: str, speaker: str, role: str, n: int
) -> None:
    reply = answer(text, *(cite(quote, i, speaker, role) for i in range(n)))
    for group in (False, True):
        assert_sendable(render.render_reply(reply, group=group, heading=speaker or None).messages)


# --- fixed texts -----------------------------------------------------------------------------

ARTICLE = Article(
    title="A <b> title",
    publisher="P & Co",
    section="World",
    url=None,
    date=None,
    author=None,
    paragraphs=tuple(Paragraph(i, f"p{i}", i) for i in range(1, 6)),
)


def test_welcome_names_the_article_and_offers_examples() -> None:
    rendered = render.welcome(ARTICLE, [Option("a", "First?"), Option("b", "Second?")])
    text = visible(rendered.messages[0])
    assert "A <b> title" in text and "P & Co" in text
    assert rendered.keyboard is not None
    assert [r[0].callback_data for r in rendered.keyboard.inline_keyboard] == ["q:a", "q:b"]


def test_sources_names_the_article_and_what_can_be_cited() -> None:
    quotes = [
        Quote("q1", "x", 1, "Nikol Pashinyan", "PM", "quote"),
        Quote("q2", "y", 2, None, None, "fact"),
        Quote("q3", "z", 2, "A <ministry>", None, "claim"),
    ]
    text = visible(render.sources_text(ARTICLE, quotes))
    assert "A <b> title" in text and "P & Co" in text
    assert "3 passages from 2 of its 5 paragraphs" in text
    assert "A <ministry>, Nikol Pashinyan" in text


def test_help_and_usage_texts_are_valid_html() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    wordings = [knowledge.messages] + [
        {**knowledge.messages, **t.messages} for t in knowledge.translations.values()
    ]
    for wording in wordings:
        text = render.help_text("QaBot", "Who <broke> it?", wording)
        assert "/ask Who <broke> it?" in visible(text) and "@QaBot" in visible(text)
        assert "<b>" in text  # the headings
        assert visible(render.help_text("", None, wording)).strip()
    for html in (
        render.ask_usage("Who & why?"),
        render.ask_usage(None),
        render.group_start("QaBot"),
    ):
        assert visible(html).strip()


def test_knowledge_wording_replaces_built_in_texts() -> None:
    reply = Reply(
        question="?",
        kind=Kind.NO_ANSWER,
        text="Not in the article.",
        options=(Option("a", "A?"),),
    )
    wording = {"no_answer_group": "Not covered <here>.", "suggest": "Try these:"}
    assert render.render_reply(reply, group=True, wording=wording).messages == (
        "Not covered &lt;here&gt;.",
    )
    [html] = render.render_reply(reply, wording=wording).messages
    assert html == "Not in the article.\n\nTry these:"
