"""Text normalisation shared by verification and matching."""

from __future__ import annotations

import re
import unicodedata

# Quote and dash styles a citation may differ in without ceasing to be verbatim.
_QUOTES = dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02"), '"')
_QUOTES.update(dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u00b4`\uff07"), "'"))
_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
_STYLE = {**_QUOTES, **_DASHES}

# Invisible characters people paste along with text (zero-width spaces, joiners, BOM, bidi marks).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def normalize_for_verify(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace, unify quote/dash styles; map each output char to its source index.

    The map lets a citation found in the normalised article be shown as the article's own text.
    """
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        if _INVISIBLE.match(ch):
            continue
        if pending_space:
            out.append(" ")
            index.append(i - 1)
            pending_space = False
        out.append(ch.translate(_STYLE))
        index.append(i)
    return "".join(out), index


def strip_outer_quotes(text: str) -> str:
    """A quotation may be cited with or without its own quote marks; compare without them."""
    return text.strip().strip("\"'\u201c\u201d\u2018\u2019\u00ab\u00bb").strip()


# Letters no accent-stripping reaches, read as the Latin letter people type for them when
# their keyboard lacks it: Turkish and Azerbaijani dotless ı ("Alıyev" is "Aliyev"), Azerbaijani
# schwa ("Əliyev", "atəşkəs").
_LATIN = str.maketrans({"ı": "i", "ə": "e", "Ə": "e"})
# Armenian writes its question, emphasis and exclamation marks inside the word ("ո՞վ", "ինչո՞ւ"):
# they are no word break.
_IN_WORD_MARKS = re.compile("[\u055b\u055c\u055e]")


def fold(text: str) -> str:
    """Lower-case, strip accents (Erdoğan -> erdogan, Alıyev -> aliyev), drop invisible
    characters, unify styles. Cyrillic and Armenian letters stay themselves (ё -> е, й -> и)."""
    if text.isascii():  # the common case, and ten times faster
        return text.casefold()
    text = _IN_WORD_MARKS.sub("", _INVISIBLE.sub("", text)).translate(_LATIN)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_STYLE).casefold()


# Letters of any script and digits: a word of Russian, Armenian or Turkish is one word, not
# dropped or cut at a letter outside a-z.
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Folded words: letters (any script) and digits; apostrophes and hyphens split words."""
    return _WORD.findall(fold(text))


# A capitalised run of words after a lower-case word or a comma: a name as the article writes
# it ("Mike Pompeo", "Terter"), not a sentence's first word.
CAPITALISED = re.compile(r"(?<=[a-z,] )[A-Z][\w-]+(?: [A-Z][\w-]+)*")

_SENTENCE_END = re.compile(r"(?<=[.!?\u201d\"])\s+(?=[\u201c\"A-Z])")


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences (good enough for news prose)."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]
