"""The one exception family for knowledge problems: each names its file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KnowledgeError:
    """One problem in a knowledge file, reported as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class KnowledgeErrors(Exception):
    """Raised when knowledge cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, errors: list[KnowledgeError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))
