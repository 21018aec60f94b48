"""Reading YAML fields with every problem collected as ``file:line: message`` (shared by the
knowledge loader and the translations loader)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.engine.safeyaml import Located, read_yaml
from bot.errors import KnowledgeProblem, YamlError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # short enough for 64-byte callback data


class _Collector:
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


# --- small typed accessors -------------------------------------------------------------------


def _mapping(c: _Collector, file: str, node: Located, what: str) -> dict[str, Located] | None:
    if not isinstance(node.value, dict):
        c.add(file, node.line, f"{what} must be a mapping of fields")
        return None
    return node.value


def _check_fields(
    c: _Collector, file: str, node: Located, fields: Mapping[str, bool], what: str
) -> dict[str, Located] | None:
    """Check required and unknown fields; ``fields`` maps name -> required."""
    data = _mapping(c, file, node, what)
    if data is None:
        return None
    for name, required in fields.items():
        if required and name not in data:
            c.add(file, node.line, f"{what}: missing field '{name}'")
    for name, value in data.items():
        if name not in fields:
            c.add(
                file,
                value.line,
                f"{what}: unknown field '{name}' (expected one of: {', '.join(fields)})",
            )
    return data


def _string(
    c: _Collector,
    file: str,
    data: dict[str, Located],
    key: str,
    what: str,
    *,
    optional: bool = False,
) -> str | None:
    node = data.get(key)
    if node is None or (optional and node.value is None):
        return None
    if not isinstance(node.value, str) or not node.value.strip():
        c.add(file, node.line, f"{what}: '{key}' must be a non-empty string")
        return None
    return node.value.strip()


def _int(c: _Collector, file: str, data: dict[str, Located], key: str, what: str) -> int | None:
    node = data.get(key)
    if node is None:
        return None
    if isinstance(node.value, bool) or not isinstance(node.value, int):
        c.add(file, node.line, f"{what}: '{key}' must be a whole number")
        return None
    return node.value


def _strings(
    c: _Collector,
    file: str,
    data: dict[str, Located],
    key: str,
    what: str,
    *,
    optional: bool = False,
) -> list[tuple[str, int]]:
    node = data.get(key)
    if node is None:
        return []
    if optional and node.value is None:
        return []
    if not isinstance(node.value, list) or (not node.value and not optional):
        c.add(file, node.line, f"{what}: '{key}' must be a non-empty list of strings")
        return []
    items: list[tuple[str, int]] = []
    for item in node.value:
        if isinstance(item.value, bool | int | float):
            # YAML reads on/off/yes/no and bare numbers as non-strings; say how to fix it.
            c.add(
                file,
                item.line,
                f"{what}: every item of '{key}' must be a string; "
                f"put quotes around {item.value!r} as written",
            )
            continue
        if not isinstance(item.value, str) or not item.value.strip():
            c.add(file, item.line, f"{what}: every item of '{key}' must be a non-empty string")
            continue
        items.append((item.value.strip(), item.line))
    return items


def _identifier(c: _Collector, file: str, data: dict[str, Located], what: str) -> str | None:
    ident = _string(c, file, data, "id", what)
    if ident is not None and not ID_RE.match(ident):
        c.add(
            file,
            data["id"].line,
            f"{what}: id '{ident}' must be 1-40 characters of a-z, 0-9 and '-'",
        )
        return None
    return ident


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
