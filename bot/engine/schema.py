"""The shape of every knowledge file: its fields, which are required, what each holds and the
field's own check. ``bot/engine/fields.py`` reads a file against its shape; the loaders
(load.py, translations.py) check what spans fields and files.
"""

from __future__ import annotations

import re

from bot.engine.fields import (
    At,
    Field,
    FileSpec,
    Lines,
    Reader,
    Shape,
    as_written,
    identifier,
    number,
    one_of,
    record,
    records,
    text,
    texts,
)
from bot.engine.safeyaml import Located
from bot.engine.text import fold, words

ARTICLE_META = "article.yaml"
QUOTES = "quotes.yaml"
QA = "qa.yaml"
SYNONYMS = "synonyms.yaml"
CONVERSATION = "conversation.yaml"
KNOWLEDGE_FILES = (ARTICLE_META, QUOTES, QA, SYNONYMS, CONVERSATION)

QUOTE_KINDS = ("quote", "claim", "fact")
MESSAGE_KEYS = (
    "no_answer",
    "no_answer_group",
    "no_answer_named",
    "clarify",
    "suggest",
    "related",
    "said_quote",
    "said_claim",
    "not_said",
    "gap_mention",
    "gap_about",
    "gap_about_with",
    "gap_pair",
    "gap_said_nothing",
    "gap_said_about",
    "gap_doer",
    "gap_how_many",
    "gap_no_number",
    "or",
    "welcome",
    "help",
    "busy",
    "not_text",
    "empty_question",
    "quotes_in_english",
    "untranslated",
    "unsupported_language",
    "paragraph",
    "headline",
    "source",
    "from_article",
    "also_said",
    "nothing_more",
    "quoted_nothing",
)
FOLLOWUP_LISTS = (
    "person",
    "person_possessive",
    "party",
    "party_possessive",
    "thing",
    "it",
    "ellipsis",
    "more",
    "other",
    "sides",
    "new_topic",
    "pick_words",
    "pick_nouns",
    "plural",
    "person_party",
    "reciprocal",
    "asks_actor",
    "asks",
    "opposing",
    "identity",
    "side",
)
# The lists of words synonyms.yaml may give, by key; Language names ``speech_verbs`` ``speech``.
WORD_LISTS = (
    "stopwords",
    "actors",
    "passive_markers",
    "answer_types",
    "roles",
    "speech_verbs",
    "generic",
    "specific",
    "people",
    "actions",
    "source_markers",
    "contested",
    "targeted",
)


# --- readers for values only one file has ----------------------------------------------------


def groups(*, folded: bool) -> Reader:
    """canonical word -> its variants (synonyms.yaml), folded unless matched as written."""

    def read(at: At, key: str, node: Located) -> dict[str, tuple[str, ...]] | None:
        if not isinstance(node.value, dict):
            at.add(node.line, f"'{key}' must map each canonical word to its variants")
            return None
        result: dict[str, tuple[str, ...]] = {}
        for canonical, variants in node.value.items():
            if not isinstance(variants.value, list) or not all(
                isinstance(v.value, str) and v.value.strip() for v in variants.value
            ):
                at.add(
                    variants.line, f"'{key}': '{canonical}' must have a list of non-empty strings"
                )
                continue
            values = [str(v.value).strip() for v in variants.value]
            result[fold(canonical) if folded else canonical] = tuple(
                fold(v) if folded else v for v in values
            )
        return result

    return read


def _phrase(text: str) -> str:
    """A phrase as the follow-up reader compares it: folded words, space-joined."""
    return " ".join(words(text)) or text


def phrases() -> Reader:
    """A list of words and phrases (possibly empty), as the follow-up reader compares them."""
    as_texts = texts(empty=True)

    def read(at: At, key: str, node: Located) -> frozenset[str] | None:
        found: Lines | None = as_texts(at, key, node)
        return None if found is None else frozenset(_phrase(p) for p, _ in found)

    return read


def ordinals(at: At, key: str, node: Located) -> dict[str, int] | None:
    """Words for picking the n-th choice, by n ("-1" for the last)."""
    if not isinstance(node.value, dict):
        at.add(node.line, f"{at.what}: 'ordinals' must map numbers to words")
        return None
    found: dict[str, int] = {}
    as_texts = texts()
    for written, said in node.value.items():
        n = int(written) if re.fullmatch(r"-?\d+", written) else 0
        if n == 0:
            message = f"ordinal '{written}' must be a whole number (-1 for the last)"
            at.add(said.line, f"{at.what}: {message}")
            continue
        for word, _ in as_texts(at.naming(f"ordinal {n}"), "words", said) or []:
            found[_phrase(word)] = n
    return found


def _two_sides(sides: frozenset[str], what: str, key: str) -> str | None:
    return None if len(sides) in (0, 2) else f"{what}: '{key}' names the two sides"


# --- the English knowledge -------------------------------------------------------------------

ARTICLE = FileSpec(
    ARTICLE_META,
    Shape(
        "article",
        {
            "file": Field(text(), required=True),
            "title": Field(text(), required=True),
            "publisher": Field(text(), required=True),
            "section": Field(text(), required=True),
            "url": Field(text(null=True)),
            "date": Field(text(null=True)),
            "author": Field(text(null=True)),
            "not_body": Field(texts(empty=True)),
            "subheadings": Field(texts(empty=True)),
        },
    ),
)

QUOTE_LIST = FileSpec(
    QUOTES,
    Shape(
        "quote",
        {
            "id": Field(identifier(), required=True),
            "kind": Field(text(), required=True, check=one_of(QUOTE_KINDS)),
            "speaker": Field(text(null=True), required=True),
            "role": Field(text(null=True)),
            "text": Field(text(), required=True),
            "paragraph": Field(number(), required=True),
        },
    ),
    not_a_list="quotes.yaml must be a list of quotes",
)

ENTRY_LIST = FileSpec(
    QA,
    Shape(
        "entry",
        {
            "id": Field(identifier(), required=True),
            "questions": Field(texts(), required=True),
            "answer": Field(text(), required=True),
            "cite": Field(texts(), required=True),
            "label": Field(text(null=True)),
            "tags": Field(texts(empty=True)),
            "followups": Field(texts(empty=True)),
            "both_sides": Field(texts(empty=True)),
        },
    ),
    not_a_list="qa.yaml must be a list of entries",
)

LANGUAGE = FileSpec(
    SYNONYMS,
    Shape(
        "synonyms file",
        {
            "synonyms": Field(groups(folded=True), required=True),
            "case_sensitive": Field(groups(folded=False)),
            **{key: Field(texts(empty=True)) for key in WORD_LISTS},
        },
    ),
)

MESSAGES = Shape("messages", {key: Field(text(), required=True) for key in MESSAGE_KEYS})
INTENT = Shape(
    "intent",
    {
        "id": Field(identifier(), required=True),
        "patterns": Field(texts(), required=True),
        "reply": Field(text(), required=True),
    },
    # Named by its id as written, even when that id is wrong.
    named=lambda what, ident: f"{what} '{ident}'",
)
FOLLOWUPS = Shape(
    "followups",
    {
        **{
            key: Field(phrases(), check=_two_sides if key == "sides" else None)
            for key in FOLLOWUP_LISTS
        },
        "ordinals": Field(ordinals),
    },
)
CONVERSATION_FILE = FileSpec(
    CONVERSATION,
    Shape(
        "conversation file",
        {
            "messages": Field(record(MESSAGES), required=True),
            "examples": Field(texts(), required=True),
            "smalltalk": Field(
                records(INTENT, "'smalltalk' must be a list of intents"), required=True
            ),
            "followups": Field(record(FOLLOWUPS)),
        },
    ),
)


# --- a language besides English (translations.py) --------------------------------------------


def lexicon(at: At, key: str, node: Located) -> dict[str, str] | None:
    """A word or phrase (as typed, case folded) -> the English words it stands for."""
    if not isinstance(node.value, dict):
        at.add(node.line, f"'{key}' must be a mapping of word: English words")
        return None
    found: dict[str, str] = {}
    for word, english in node.value.items():
        if not isinstance(english.value, str) or not english.value.strip():
            at.add(english.line, f"{key}: '{word}' must map to English words")
            continue
        found[str(word).casefold()] = english.value.strip().casefold()
    return found


TRANSLATED_INTENT = Shape(
    "intent", {"patterns": Field(texts(), required=True), "reply": Field(text(), required=True)}
)


def file_name(code: str) -> str:
    return f"{code}.yaml"


def translation(code: str) -> FileSpec:
    """``<code>.yaml``. Labels, answers, messages and small talk are read as written: they are
    checked against the English knowledge they translate."""
    name = file_name(code)

    def this_language(language: str, what: str, key: str) -> str | None:
        return None if language == code else f"'{key}' must be '{code}' in {name}"

    return FileSpec(
        name,
        Shape(
            "translation",
            {
                "language": Field(text(), required=True, check=this_language, final=True),
                "name": Field(text(), required=True),
                "stopwords": Field(texts(empty=True)),
                "words": Field(lexicon, required=True),
                "labels": Field(as_written),
                "answers": Field(as_written),
                "messages": Field(as_written),
                "smalltalk": Field(as_written),
            },
        ),
    )
