"""YAML read safely and with line numbers: plain data only, no aliases, bounded size."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeProblem, YamlError

MAX_FILE_BYTES = 1_000_000  # knowledge files are small; anything larger is a mistake or an attack
# libyaml when PyYAML was built with it (the wheels are): ten times faster than pure Python.
MAX_DEPTH = 32
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """The safe loader, with a quicker answer for most scalars: text that is quoted, or starts
    with a letter no implicit type (number, boolean, null, date) can start with, is a string.
    The safe resolver asks the same for every scalar in Python, and knowledge is mostly text
    (a third of composing the language files went to it)."""

    _STARTS = frozenset(k for k in _BASE_LOADER.yaml_implicit_resolvers if k)

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if (
            kind is yaml.ScalarNode
            and isinstance(value, str)
            and value
            and (not implicit[0] or value[0] not in self._STARTS)
            and None not in self.yaml_implicit_resolvers
            and not self.yaml_path_resolvers
        ):
            return _STR
        found: str = super().resolve(kind, value, implicit)
        return found


_LOADER = _Loader
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&", re.MULTILINE)  # where an anchor could start


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML value with the 1-based line where it starts."""

    value: object
    line: int


class _ScalarConstructor(yaml.constructor.SafeConstructor):
    """The safe constructor, used for scalars only (mappings and lists are walked by hand)."""


def _to_python(node: yaml.Node, name: str, scalars: _ScalarConstructor, depth: int = 0) -> object:
    """Convert a composed node to plain Python, keeping line numbers in ``Located`` wrappers."""
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:  # knowledge is a few levels deep; deeper is a mistake or an attack
        raise YamlError(KnowledgeProblem(name, line, f"nested deeper than {MAX_DEPTH} levels"))
    kind = type(node)
    if kind is yaml.ScalarNode:
        if node.tag == _STR:
            return Located(node.value, line)  # what the constructor returns for it, a third as slow
        # Resolve scalars with the safe constructor only: strings, numbers, booleans, null.
        try:
            value = scalars.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            problem = f"unsupported value: {exc.problem}"
            raise YamlError(KnowledgeProblem(name, line, problem)) from exc
        if not isinstance(value, str | int | float | bool | type(None)):
            # Timestamps and binary are legal YAML but not knowledge; keep the text as written.
            value = str(node.value)
        return Located(value, line)
    deeper = depth + 1
    if kind is yaml.MappingNode:
        result: dict[str, Located] = {}
        for key_node, value_node in node.value:
            key: object
            if type(key_node) is yaml.ScalarNode and key_node.tag == _STR:
                key = Located(key_node.value, key_node.start_mark.line + 1)  # the common case
            else:
                key = _to_python(key_node, name, scalars, deeper)
            if not isinstance(key, Located) or not isinstance(key.value, str):
                raise YamlError(
                    KnowledgeProblem(
                        name, key_node.start_mark.line + 1, "mapping keys must be plain strings"
                    )
                )
            if key.value in result:
                raise YamlError(KnowledgeProblem(name, key.line, f"duplicate key '{key.value}'"))
            result[key.value] = _wrap(value_node, name, scalars, deeper)
        return Located(result, line)
    assert kind is yaml.SequenceNode
    return Located([_wrap(item, name, scalars, deeper) for item in node.value], line)


def _wrap(node: yaml.Node, name: str, scalars: _ScalarConstructor, depth: int = 0) -> Located:
    result = _to_python(node, name, scalars, depth)
    assert isinstance(result, Located)
    return result


_QUOTED_START = re.compile(r"^\s*(?:-\s+|[\w\"' -]+:\s+)\"")


def _unclosed_quote(text: str, before: int) -> int | None:
    """The last line up to ``before`` whose value opens a double quote it does not close: a
    quote left open swallows the lines after it, and the parser only fails further down."""
    lines = text.splitlines()
    for number in range(min(before, len(lines)), 0, -1):
        line = lines[number - 1]
        found = _QUOTED_START.match(line)
        if found and line[found.end() :].replace('\\"', "").count('"') % 2 == 0:
            return number
    return None


def _plain(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The parser's error in plain words, at the line where the cause is: an unclosed quote
    is reported where it opens, not at the end of the file where the parser gave up."""
    problem = exc.problem or ""
    context = exc.context or ""
    at = exc.problem_mark.line + 1 if exc.problem_mark else 1
    opened = exc.context_mark.line + 1 if exc.context_mark else at
    if "quoted scalar" in context:
        return opened, "this quoted text is never closed: add the closing quote"
    if "flow sequence" in context or "flow mapping" in context:
        brackets = "[...]" if "sequence" in context else "{...}"
        return opened, (
            f"this {brackets} is not closed, or misses a comma (the parser gave up at line {at})"
        )
    if "mapping values are not allowed" in problem:
        return at, "a ': ' inside a value: put the whole value in double quotes"
    if "cannot start any token" in problem:
        return at, "a character YAML cannot start with here (a tab? indent with spaces only)"
    if "could not find expected ':'" in problem or "simple key" in context:
        return opened, "a line that is not 'key: value' or '- item': check it and its indentation"
    if any(sign in problem for sign in ("expected <block end>", "expected '-'", "expected key")):
        return at, "the indentation here does not match the lines around it"
    return at, f"malformed YAML: {problem or context or 'cannot be read'}"


def _compose(text: str, name: str) -> yaml.Node | None:
    """The document's node tree; YamlError if it has an anchor or an alias."""
    if _ANCHOR.search(text) is None:
        # With no '&' where a token starts, it has no anchor, so no alias can compose either (an
        # alias of no anchor fails to compose, and is reported below as an alias): no need to
        # walk every parse event first ('*' starts Markdown bold in messages, '&' is in "Q&A").
        # A text that does not compose is read again below, so its error is the one reported.
        try:
            return yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError:
            pass
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlError(
                KnowledgeProblem(
                    name,
                    event.start_mark.line + 1 if event.start_mark else 1,
                    "YAML anchors and aliases are not allowed in knowledge files",
                )
            )
    return yaml.compose(text, Loader=_LOADER)


def parse_yaml(text: str, name: str) -> Located:
    """Parse one YAML document into ``Located`` values, or raise ``YamlError`` with its line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YamlError(KnowledgeProblem(name, 1, f"file is larger than {MAX_FILE_BYTES} bytes"))
    try:
        node = _compose(text, name)
    except yaml.MarkedYAMLError as exc:
        line, message = _plain(exc)
        opened = _unclosed_quote(text, line)
        if opened is not None:
            line, message = opened, "this quoted text is never closed: add the closing quote"
        raise YamlError(KnowledgeProblem(name, line, message)) from exc
    except yaml.YAMLError as exc:
        raise YamlError(KnowledgeProblem(name, 1, f"malformed YAML: {exc}")) from exc
    if node is None:
        return Located(None, 1)
    return _wrap(node, name, _ScalarConstructor())  # one per file: it caches what it built


def read_yaml(path: Path, name: str | None = None) -> Located:
    label = name or path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise YamlError(KnowledgeProblem(label, 1, "file not found")) from exc
    except OSError as exc:  # a directory, no permission, an I/O error: still one clear line
        problem = KnowledgeProblem(label, 1, f"cannot read the file: {exc.strerror}")
        raise YamlError(problem) from exc
    if len(data) > MAX_FILE_BYTES:
        raise YamlError(KnowledgeProblem(label, 1, f"file is larger than {MAX_FILE_BYTES} bytes"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(KnowledgeProblem(label, 1, "file is not valid UTF-8")) from exc
    return parse_yaml(text, label)
