"""Knowledge files read against a declared shape, every problem collected as ``file:line: message``.

A ``Shape`` says which fields a mapping may have, which are required, how each is read (its
type) and the field's own check. ``read_file`` and ``read_list`` walk a file against its shape
and hand back ``Record``s holding only the values that passed; the loaders (load.py,
translations.py) then check what spans fields and files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.safeyaml import Located, read_yaml
from bot.errors import KnowledgeProblem, YamlError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # short enough for 64-byte callback data
Lines = list[tuple[str, int]]  # strings with the line each stands on


class Problems:
    """Accumulates problems so one run reports all of them."""

    def __init__(self) -> None:
        self.errors: list[KnowledgeProblem] = []
        self.warnings: list[str] = []
        # Quote ids quotes.yaml defines, valid or not: an entry citing one that failed its own
        # check is not reported again (the quote's error says what is wrong).
        self.defined_quotes: set[str] = set()

    def add(self, file: str, line: int, message: str) -> None:
        self.errors.append(KnowledgeProblem(file, line, message))

    def read(self, directory: Path, name: str) -> Located | None:
        try:
            return read_yaml(directory / name, name)
        except YamlError as problem:
            self.errors.append(problem.problem)
            return None


@dataclass(frozen=True, slots=True)
class At:
    """Where a value is read: its file and how messages name what it belongs to."""

    problems: Problems
    file: str
    what: str

    def add(self, line: int, message: str) -> None:
        self.problems.add(self.file, line, message)

    def naming(self, what: str) -> At:
        return At(self.problems, self.file, what)


# How a field is read: its value, or None once the problem is reported.
Reader = Callable[[At, str, Located], Any]
# A field's own check of a value that was read, given how messages name its record and the
# field's key: the problem's message, or None. The value is kept either way: it is well formed,
# and what depends on it is still checked.
Check = Callable[[Any, str, str], str | None]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a shape: how it is read, whether it must be there, and its own check."""

    read: Reader
    required: bool = False
    check: Check | None = None
    # A value failing the check ends the record: nothing else in it is read (a translation that
    # says it is another language is not read as this one).
    final: bool = False


def _named(what: str, ident: str | None) -> str:
    return f"{what} '{ident}'" if ident else what


@dataclass(frozen=True, slots=True)
class Shape:
    """The fields of one mapping, in the order messages list them."""

    what: str  # how messages name the mapping: "entry", "quote", "synonyms file"
    fields: Mapping[str, Field]
    # How messages about its other fields name a record with an ``id`` (or a key naming it).
    named: Callable[[str, str | None], str] = _named


@dataclass(frozen=True, slots=True)
class Record:
    """A mapping read against its shape: its nodes as written, and the values that passed."""

    what: str  # as messages name it, by its id when it has one
    nodes: Mapping[str, Located]
    values: Mapping[str, Any] = field(default_factory=dict)

    def line(self, key: str) -> int:
        return self.nodes[key].line

    def get(self, key: str, default: Any = None) -> Any:
        """The value its field's reader gave, or ``default`` when it is absent or malformed."""
        return self.values.get(key, default)

    def text(self, key: str) -> str | None:
        value: str | None = self.values.get(key)
        return value

    def texts(self, key: str) -> Lines:
        value: Lines = self.values.get(key, [])
        return value


def read_record(at: At, node: Located, shape: Shape, ident: str | None = None) -> Record | None:
    """``node`` read against ``shape``; None when it is not a mapping or a final check fails.
    ``ident`` names a record keyed by name rather than by an ``id`` field."""
    data = _fields(at.naming(shape.what), node, shape.fields)
    if data is None:
        return None
    values: dict[str, Any] = {}
    what = shape.what
    if "id" in shape.fields:
        _read(at.naming(what), shape.fields["id"], "id", data, values)
        what = shape.named(shape.what, values.get("id"))
    elif ident is not None:
        what = shape.named(shape.what, ident)
    for key, spec in shape.fields.items():
        if key != "id" and not _read(at.naming(what), spec, key, data, values):
            return None
    return Record(what, data, values)


def _read(at: At, spec: Field, key: str, data: dict[str, Located], values: dict[str, Any]) -> bool:
    """Read one field into ``values`` if it is there and well formed; False if the record
    ends here (a final check failed)."""
    node = data.get(key)
    if node is None:
        return True
    value = spec.read(at, key, node)
    if value is None:
        return True
    values[key] = value
    problem = spec.check(value, at.what, key) if spec.check else None
    if problem is not None:
        at.add(node.line, problem)
        return not spec.final
    return True


def _fields(at: At, node: Located, fields: Mapping[str, Field]) -> dict[str, Located] | None:
    """The node's fields, every required one present and none unknown (each problem reported)."""
    if not isinstance(node.value, dict):
        at.add(node.line, f"{at.what} must be a mapping of fields")
        return None
    for name, spec in fields.items():
        if spec.required and name not in node.value:
            at.add(node.line, f"{at.what}: missing field '{name}'")
    for name, value in node.value.items():
        if name not in fields:
            at.add(
                value.line,
                f"{at.what}: unknown field '{name}' (expected one of: {', '.join(fields)})",
            )
    return node.value


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A knowledge file: its name, and the shape of the mapping it is (or of each in its list)."""

    name: str
    shape: Shape
    # For a file that is a list of records, the message when it is not.
    not_a_list: str | None = None


def read_file(problems: Problems, directory: Path, spec: FileSpec) -> Record | None:
    """A file that is one mapping, read against its shape."""
    root = problems.read(directory, spec.name)
    if root is None:
        return None
    return read_record(At(problems, spec.name, spec.shape.what), root, spec.shape)


def read_list(problems: Problems, directory: Path, spec: FileSpec) -> list[Record]:
    """A file that is a list of mappings: each that reads as its shape."""
    root = problems.read(directory, spec.name)
    if root is None:
        return []
    at = At(problems, spec.name, spec.shape.what)
    if not isinstance(root.value, list):
        at.add(root.line, spec.not_a_list or f"{spec.name} must be a list")
        return []
    return [r for node in root.value if (r := read_record(at, node, spec.shape)) is not None]


# --- the types a field reads as --------------------------------------------------------------


def text(*, null: bool = False) -> Reader:
    """A non-empty string, stripped; with ``null``, an empty (null) value reads as absent."""

    def read(at: At, key: str, node: Located) -> str | None:
        if null and node.value is None:
            return None
        if not isinstance(node.value, str) or not node.value.strip():
            at.add(node.line, f"{at.what}: '{key}' must be a non-empty string")
            return None
        return node.value.strip()

    return read


def texts(*, empty: bool = False) -> Reader:
    """A non-empty list of non-empty strings, each with its line; with ``empty``, an empty list
    or null is allowed."""

    def read(at: At, key: str, node: Located) -> Lines | None:
        if empty and node.value is None:
            return []
        if not isinstance(node.value, list) or (not node.value and not empty):
            at.add(node.line, f"{at.what}: '{key}' must be a non-empty list of strings")
            return None
        items: Lines = []
        for item in node.value:
            if isinstance(item.value, bool | int | float):
                # YAML reads on/off/yes/no and bare numbers as non-strings; say how to fix it.
                at.add(
                    item.line,
                    f"{at.what}: every item of '{key}' must be a string; "
                    f"put quotes around {item.value!r} as written",
                )
                continue
            if not isinstance(item.value, str) or not item.value.strip():
                at.add(item.line, f"{at.what}: every item of '{key}' must be a non-empty string")
                continue
            items.append((item.value.strip(), item.line))
        return items

    return read


def number() -> Reader:
    """A whole number."""

    def read(at: At, key: str, node: Located) -> int | None:
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            at.add(node.line, f"{at.what}: '{key}' must be a whole number")
            return None
        return node.value

    return read


def identifier() -> Reader:
    """An id: short, lower case, usable in callback data."""
    as_text = text()

    def read(at: At, key: str, node: Located) -> str | None:
        ident: str | None = as_text(at, key, node)
        if ident is not None and not ID_RE.match(ident):
            at.add(
                node.line, f"{at.what}: id '{ident}' must be 1-40 characters of a-z, 0-9 and '-'"
            )
            return None
        return ident

    return read


def record(shape: Shape) -> Reader:
    """A nested mapping of its own shape."""

    def read(at: At, key: str, node: Located) -> Record | None:
        return read_record(at, node, shape)

    return read


def records(shape: Shape, not_a_list: str) -> Reader:
    """A list of mappings of one shape (those that read)."""

    def read(at: At, key: str, node: Located) -> list[Record] | None:
        if not isinstance(node.value, list):
            at.add(node.line, not_a_list)
            return None
        return [r for item in node.value if (r := read_record(at, item, shape)) is not None]

    return read


def as_written(at: At, key: str, node: Located) -> Located:
    """The node itself, for a loader that checks it against other knowledge."""
    return node


def one_of(choices: Iterable[str]) -> Check:
    """The value is one of ``choices``."""
    allowed = tuple(choices)

    def check(value: str, what: str, key: str) -> str | None:
        if value in allowed:
            return None
        return f"{what}: {key} must be one of {', '.join(allowed)}, not '{value}'"

    return check


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
