"""Citations checked verbatim against the article; coverage of its paragraphs."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.engine.model import HEADLINE, Article
from bot.engine.text import normalize_for_verify, strip_outer_quotes


@dataclass(frozen=True, slots=True)
class Found:
    paragraph: int
    text: str  # the article's own characters for the cited span


class Verifier:
    """Finds a citation in the article, insensitive only to whitespace, quote and dash styles."""

    def __init__(self, article: Article) -> None:
        self._blocks: list[tuple[int, str, str, list[int]]] = []
        for number, raw in [(HEADLINE, article.title)] + [
            (p.number, p.text) for p in article.paragraphs
        ]:
            norm, index = normalize_for_verify(raw)
            self._blocks.append((number, raw, norm, index))

    def find(self, citation: str, paragraph: int | None = None) -> Found | None:
        """Where the citation stands verbatim; in ``paragraph`` when given, else the first place."""
        needle, _ = normalize_for_verify(strip_outer_quotes(citation))
        if not needle:
            return None
        for number, raw, norm, index in self._blocks:
            if paragraph is not None and number != paragraph:
                continue
            at = norm.find(needle)
            if at >= 0:
                start, end = index[at], index[at + len(needle) - 1] + 1
                return Found(number, raw[start:end])
        return None

    def closest(self, citation: str) -> tuple[int, str]:
        """The paragraph most like a citation that failed, to help the admin fix it."""
        needle, _ = normalize_for_verify(strip_outer_quotes(citation))
        best = max(self._blocks, key=lambda b: fuzz.partial_ratio(needle, b[2]))
        number, raw = best[0], best[1]
        alignment = fuzz.partial_ratio_alignment(needle, best[2])
        if alignment is None:
            return number, raw[:120]
        norm, index = best[2], best[3]
        start = index[max(alignment.dest_start, 0)]
        end = index[min(alignment.dest_end, len(norm)) - 1] + 1
        return number, raw[start:end]
