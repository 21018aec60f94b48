"""``knowledge/<code>.yaml``: a language the bot reads and answers in besides English.

One file per language (ru, tr, az, hy), beside the English files, edited, uploaded and rolled
back like them. Each holds the lexicon the bot reads questions with (``stopwords``, ``words``),
the entries' translated ``labels`` and ``answers``, the bot's ``messages`` and ``smalltalk``.
Quotations are never translated: replies show them verbatim in English.

Checked like the English: every id and message key must exist, a message keeps the English
one's placeholders, and a translated answer gives the same numbers and names the same parties as
the English answer (it inherits the English entry's citations, so it cites the same quotes).
A translation that fails a check is not used (the English stands in for it, saying so) and is
reported as ``file:line: message (not used until fixed)``: a change to the English (an answer
edited, an entry removed) must not be blocked by four other files, while an upload of the
translation file itself is refused on it (bot/curation.py). What is missing is a warning too,
with the coverage per language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.engine.fields import At, Problems, Record, did_you_mean, read_file, read_record
from bot.engine.languages import READ, lexicon_of
from bot.engine.model import Entry, SmalltalkIntent, Translation
from bot.engine.schema import TRANSLATED_INTENT, translation

_PLACEHOLDER = re.compile(r"\{[a-z]+\}")
UNUSED = "(not used until fixed)"  # the end of a warning about a translation that is dropped
_NUMBER = re.compile(r"\d[\d,.\s]*\d|\d")


def _numbers(text: str) -> list[str]:
    """The numbers of a text, written any way ("30,000", "30 000", "30.000" are one)."""
    return sorted(re.sub(r"[,.\s]", "", n) for n in _NUMBER.findall(text))


def _unused(c: Problems, name: str, line: int, message: str) -> None:
    c.warnings.append(f"{name}:{line}: {message} {UNUSED}")


def _texts(
    c: Problems, name: str, data: Record, key: str, known: Mapping[str, object]
) -> dict[str, str]:
    """A mapping of id -> non-empty text, every id one of ``known``."""
    node = data.nodes.get(key)
    found: dict[str, str] = {}
    if node is None or node.value is None:
        return found
    if not isinstance(node.value, dict):
        c.add(name, node.line, f"'{key}' must be a mapping of id: text")
        return found
    for ident, value in node.value.items():
        if ident not in known:
            _unused(
                c, name, value.line, f"{key}: unknown id '{ident}'" + did_you_mean(ident, known)
            )
            continue
        if not isinstance(value.value, str) or not value.value.strip():
            c.add(name, value.line, f"{key}: '{ident}' must be a non-empty string")
            continue
        found[ident] = " ".join(value.value.split()) if key != "messages" else value.value.strip()
    return found


def load_translations(
    c: Problems,
    directory: Path,
    entries: Mapping[str, Entry],
    messages: Mapping[str, str],
    intents: tuple[SmalltalkIntent, ...],
    actors: frozenset[str],
    read_english: Callable[[str], set[str]],
) -> dict[str, Translation]:
    """Every ``<code>.yaml`` of the folder, checked against the English knowledge.

    ``read_english`` (text -> its content words, as the English matcher reads them) tells
    which parties an answer names; ``actors`` are the parties' canonical words.
    """
    found: dict[str, Translation] = {}
    for code in READ:
        spec = translation(code)
        if not (directory / spec.name).is_file():
            continue
        data = read_file(c, directory, spec)
        if data is None:
            continue
        name, title = spec.name, data.text("name")
        words: dict[str, str] = data.get("words", {})
        labels = _texts(c, name, data, "labels", entries)
        answers = _texts(c, name, data, "answers", entries)
        said = _messages(c, name, data, messages)
        small = _smalltalk(c, name, data, intents)
        if title is None or not words:
            continue
        stopwords = tuple(s for s, _ in data.texts("stopwords"))
        translated = Translation(code, title, stopwords, words, labels, answers, said, small)
        for ident in _check_answers(c, name, data, translated, entries, actors, read_english):
            del answers[ident]  # the English stands in for it
        found[code] = translated
        _coverage_warnings(c, name, entries, answers, messages, said)
    return found


def _messages(c: Problems, name: str, data: Record, english: Mapping[str, str]) -> dict[str, str]:
    """The bot's messages translated, each keeping the English one's placeholders."""
    said = _texts(c, name, data, "messages", english)
    node = data.nodes.get("messages")
    for key, text in list(said.items()):
        want, have = set(_PLACEHOLDER.findall(english[key])), set(_PLACEHOLDER.findall(text))
        if want != have:
            line = node.value[key].line if node is not None and isinstance(node.value, dict) else 1
            _unused(
                c,
                name,
                line,
                f"messages: '{key}' must keep the placeholders {sorted(want) or 'none'} "
                f"(it has {sorted(have) or 'none'})",
            )
            del said[key]
    return said


def _smalltalk(
    c: Problems, name: str, data: Record, intents: tuple[SmalltalkIntent, ...]
) -> tuple[SmalltalkIntent, ...]:
    """The English small-talk intents' patterns and replies in this language, by intent id."""
    node = data.nodes.get("smalltalk")
    if node is None:
        return ()
    if not isinstance(node.value, dict):
        c.add(name, node.line, "'smalltalk' must be a mapping of intent id: patterns, reply")
        return ()
    english = {i.id for i in intents}
    small: list[SmalltalkIntent] = []
    for ident, item in node.value.items():
        if ident not in english:
            c.add(
                name,
                item.line,
                f"smalltalk: unknown intent '{ident}'" + did_you_mean(ident, english),
            )
            continue
        intent = read_record(At(c, name, "intent"), item, TRANSLATED_INTENT, ident)
        if intent is None:
            continue
        patterns, reply = intent.texts("patterns"), intent.text("reply")
        if patterns and reply:
            small.append(SmalltalkIntent(ident, tuple(p for p, _ in patterns), reply))
    return tuple(small)


def _coverage_warnings(
    c: Problems,
    name: str,
    entries: Mapping[str, Entry],
    answers: Mapping[str, str],
    messages: Mapping[str, str],
    said: Mapping[str, str],
) -> None:
    """What is still shown in English: a warning with the coverage, not an error."""
    missing = [i for i in entries if i not in answers]
    if missing:
        c.warnings.append(
            f"{name}: {len(entries) - len(missing)}/{len(entries)} answers translated "
            f"(the English is shown for {', '.join(missing[:8])}"
            + (", ..." if len(missing) > 8 else "")
            + ")"
        )
    untold = [k for k in messages if k not in said]
    if untold:
        c.warnings.append(f"{name}: messages in English: {', '.join(untold)}")


def _check_answers(
    c: Problems,
    name: str,
    data: Record,
    translation: Translation,
    entries: Mapping[str, Entry],
    actors: frozenset[str],
    read_english: Callable[[str], set[str]],
) -> list[str]:
    """The translated answers that do not give the English answer's numbers or name its
    parties (each reported): they are not used."""
    lexicon = lexicon_of(translation)
    node = data.nodes.get("answers")
    lines = node.value if node is not None else {}
    wrong = []
    for ident, text in translation.answers.items():
        english = entries[ident].answer
        line = lines[ident].line if isinstance(lines, dict) and ident in lines else 1
        if _numbers(english) != _numbers(text):
            _unused(
                c,
                name,
                line,
                f"answers: '{ident}' gives the numbers {_numbers(text) or 'none'}, the English "
                f"answer {_numbers(english) or 'none'}",
            )
            wrong.append(ident)
            continue
        named = read_english(english) & actors
        told = read_english(lexicon.gloss(text).english) & actors
        if named - told:
            _unused(
                c,
                name,
                line,
                f"answers: '{ident}' does not name {', '.join(sorted(named - told))} as the "
                "English answer does (or the words for it are missing from 'words')",
            )
            wrong.append(ident)
    return wrong
