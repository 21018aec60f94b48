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

from bot.engine.fields import _check_fields, _Collector, _string, _strings, did_you_mean
from bot.engine.languages import READ, Lexicon
from bot.engine.model import Entry, SmalltalkIntent, Translation
from bot.engine.safeyaml import Located

FIELDS = {
    "language": True,
    "name": True,
    "stopwords": False,
    "words": True,
    "labels": False,
    "answers": False,
    "messages": False,
    "smalltalk": False,
}
_PLACEHOLDER = re.compile(r"\{[a-z]+\}")
UNUSED = "(not used until fixed)"  # the end of a warning about a translation that is dropped
_NUMBER = re.compile(r"\d[\d,.\s]*\d|\d")


def file_name(code: str) -> str:
    return f"{code}.yaml"


def _numbers(text: str) -> list[str]:
    """The numbers of a text, written any way ("30,000", "30 000", "30.000" are one)."""
    return sorted(re.sub(r"[,.\s]", "", n) for n in _NUMBER.findall(text))


def _unused(c: _Collector, name: str, line: int, message: str) -> None:
    c.warnings.append(f"{name}:{line}: {message} {UNUSED}")


def _texts(
    c: _Collector, name: str, data: dict[str, Located], key: str, known: Mapping[str, object]
) -> dict[str, str]:
    """A mapping of id -> non-empty text, every id one of ``known``."""
    node = data.get(key)
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
    c: _Collector,
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
        name = file_name(code)
        if not (directory / name).is_file():
            continue
        root = c.read(directory, name)
        if root is None:
            continue
        data = _check_fields(c, name, root, FIELDS, "translation")
        if data is None:
            continue
        language = _string(c, name, data, "language", "translation")
        if language is not None and language != code:
            c.add(name, data["language"].line, f"'language' must be '{code}' in {name}")
            continue
        title = _string(c, name, data, "name", "translation")
        stopwords = tuple(
            s for s, _ in _strings(c, name, data, "stopwords", "translation", optional=True)
        )
        words: dict[str, str] = {}
        node = data.get("words")
        if node is not None and isinstance(node.value, dict):
            for key, value in node.value.items():
                if not isinstance(value.value, str) or not value.value.strip():
                    c.add(name, value.line, f"words: '{key}' must map to English words")
                    continue
                words[str(key).casefold()] = value.value.strip().casefold()
        elif node is not None:
            c.add(name, node.line, "'words' must be a mapping of word: English words")
        labels = _texts(c, name, data, "labels", entries)
        answers = _texts(c, name, data, "answers", entries)
        said = _texts(c, name, data, "messages", messages)
        message_nodes = data["messages"].value if "messages" in data else {}
        for key, text in list(said.items()):
            want, have = set(_PLACEHOLDER.findall(messages[key])), set(_PLACEHOLDER.findall(text))
            if want != have:
                line = message_nodes[key].line if isinstance(message_nodes, dict) else 1
                _unused(
                    c,
                    name,
                    line,
                    f"messages: '{key}' must keep the placeholders {sorted(want) or 'none'} "
                    f"(it has {sorted(have) or 'none'})",
                )
                del said[key]
        small: list[SmalltalkIntent] = []
        node = data.get("smalltalk")
        english_intents = {i.id: i for i in intents}
        if node is not None and isinstance(node.value, dict):
            for ident, item in node.value.items():
                if ident not in english_intents:
                    c.add(
                        name,
                        item.line,
                        f"smalltalk: unknown intent '{ident}'"
                        + did_you_mean(ident, english_intents),
                    )
                    continue
                fields = _check_fields(c, name, item, {"patterns": True, "reply": True}, "intent")
                if fields is None:
                    continue
                patterns = _strings(c, name, fields, "patterns", f"intent '{ident}'")
                reply = _string(c, name, fields, "reply", f"intent '{ident}'")
                if patterns and reply:
                    small.append(SmalltalkIntent(ident, tuple(p for p, _ in patterns), reply))
        elif node is not None:
            c.add(name, node.line, "'smalltalk' must be a mapping of intent id: patterns, reply")
        if title is None or not words:
            continue
        translation = Translation(
            code, title, stopwords, words, labels, answers, said, tuple(small)
        )
        for ident in _check_answers(c, name, data, translation, entries, actors, read_english):
            del answers[ident]  # the English stands in for it
        found[code] = translation
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
    return found


def _check_answers(
    c: _Collector,
    name: str,
    data: dict[str, Located],
    translation: Translation,
    entries: Mapping[str, Entry],
    actors: frozenset[str],
    read_english: Callable[[str], set[str]],
) -> list[str]:
    """The translated answers that do not give the English answer's numbers or name its
    parties (each reported): they are not used."""
    lexicon = Lexicon(translation)
    lines = data["answers"].value if "answers" in data else {}
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
