"""An article correction: what a new text of the article changes, and what it would break.

Publishers correct articles. Before a new ``article.txt`` replaces the old one, ``correct``
compares the two paragraph by paragraph:

- paragraphs kept word for word but renumbered (a paragraph inserted above them): every quote
  citing one is renumbered in ``quotes.yaml`` by ``renumbered`` (admins never do it by hand);
  the report lists them;
- paragraphs edited, added or removed;
- citations (quotes.yaml, and excerpts cited in qa.yaml) no longer in the text, each with the
  closest passage of the new text and the words that differ;
- new or edited paragraphs no citation is in (nothing answers from them yet).

Pure: the same report for ``python -m bot diff-article`` and for an upload from Telegram.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml
from rapidfuzz import fuzz

from bot.engine.load import word_diff
from bot.engine.model import HEADLINE, Article, Knowledge
from bot.engine.schema import QA, QUOTES
from bot.engine.verify import Verifier

# Paragraphs this alike (rapidfuzz ratio, 0-100) are one paragraph edited, not one removed and
# another added.
EDITED_AT_LEAST = 60.0


@dataclass(frozen=True, slots=True)
class Broken:
    """A citation the new text no longer holds."""

    file: str
    line: int
    what: str  # "quote 'az-mod-shelling'", "entry 'who-brokered' cites"
    closest: int  # the new paragraph most like it
    differs: str  # the words that differ, cut at word boundaries

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.what} is no longer in the article; closest is "
            f"paragraph {self.closest}: {self.differs}"
        )


@dataclass(frozen=True)
class Correction:
    before: int  # paragraphs in the article now
    after: int  # ... and in the new text
    moved: tuple[tuple[int, int], ...] = ()  # (old, new): the same words, another number
    edited: tuple[tuple[int, int], ...] = ()  # (old, new): the same paragraph, words changed
    added: tuple[int, ...] = ()  # new numbers
    removed: tuple[int, ...] = ()  # old numbers
    broken: tuple[Broken, ...] = ()
    renumber: dict[str, tuple[int, int]] = field(default_factory=dict)  # quote id: (old, new)
    uncited: tuple[int, ...] = ()  # new or edited paragraphs (new numbers) nothing cites

    @property
    def breaks(self) -> bool:
        return bool(self.broken)

    @property
    def same(self) -> bool:
        """The text differs at most in layout: the same paragraphs, in the same order."""
        return not (self.moved or self.edited or self.added or self.removed)

    def lines(self) -> list[str]:
        out = [f"article: {self.before} paragraphs now, {self.after} in the new text"]
        if self.same:
            out.append("the paragraphs are the same, word for word")
        if self.edited:
            out.append("edited: " + ", ".join(_arrow(o, n) for o, n in self.edited))
        if self.added:
            out.append("new: " + ", ".join(map(str, self.added)))
        if self.removed:
            out.append("removed: " + ", ".join(map(str, self.removed)))
        if self.moved:
            out.append("renumbered, words unchanged: " + _ranges(self.moved))
        if self.renumber:
            ids = ", ".join(sorted(self.renumber))
            out.append(
                f"{QUOTES}: the paragraph of {len(self.renumber)} quote(s) is renumbered: {ids}"
            )
        if self.uncited:
            out.append(
                "new or edited paragraphs no entry cites: " + ", ".join(map(str, self.uncited))
            )
        if self.broken:
            out.append(f"citations no longer in the article ({len(self.broken)}):")
            out += [f"  {b}" for b in self.broken]
        return out


def _arrow(old: int, new: int) -> str:
    return str(old) if old == new else f"{old} (now {new})"


def _ranges(pairs: Iterable[tuple[int, int]]) -> str:
    """ "12-27 are now 13-28": runs of paragraphs shifted by the same amount, as one range."""
    runs: list[list[tuple[int, int]]] = []
    for old, new in pairs:
        last = runs[-1][-1] if runs else None
        if last and old == last[0] + 1 and new - old == last[1] - last[0]:
            runs[-1].append((old, new))
        else:
            runs.append([(old, new)])
    shown = []
    for run in runs:
        (o1, n1), (o2, n2) = run[0], run[-1]
        shown.append(f"{o1} is now {n1}" if o1 == o2 else f"{o1}-{o2} are now {n1}-{n2}")
    return "; ".join(shown)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def align(old: Article, new: Article) -> tuple[dict[int, int], set[tuple[int, int]]]:
    """Which new paragraph each old one became (old number: new number), and which of those
    pairs were edited; an old paragraph with no counterpart is absent from the map."""
    a = [_squeeze(p.text) for p in old.paragraphs]
    b = [_squeeze(p.text) for p in new.paragraphs]
    mapping: dict[int, int] = {}
    edited: set[tuple[int, int]] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[i1 + k + 1] = j1 + k + 1
        elif tag == "replace":
            # In order: each old paragraph pairs with the most alike new one after the last
            # paired, if alike enough to be the same paragraph edited.
            start = j1
            for i in range(i1, i2):
                best = max(range(start, j2), key=lambda j: fuzz.ratio(a[i], b[j]), default=None)
                if best is not None and fuzz.ratio(a[i], b[best]) >= EDITED_AT_LEAST:
                    mapping[i + 1] = best + 1
                    edited.add((i + 1, best + 1))
                    start = best + 1
    return mapping, edited


_ID = re.compile(r"^-\s+id:\s*['\"]?([a-z0-9-]+)['\"]?\s*$")


def _id_lines(text: str) -> dict[str, int]:
    """Line of each ``- id: x`` in a YAML list, for reports that point at it."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = _ID.match(line)
        if m:
            found.setdefault(m.group(1), number)
    return found


def correct(knowledge: Knowledge, new: Article, quotes_text: str, qa_text: str) -> Correction:
    """What replacing ``knowledge``'s article by ``new`` changes and breaks (``quotes_text`` and
    ``qa_text`` are the files' texts, for the lines the report points at)."""
    old = knowledge.article
    mapping, edited = align(old, new)
    verifier = Verifier(new)
    quote_lines, entry_lines = _id_lines(quotes_text), _id_lines(qa_text)
    broken: list[Broken] = []
    renumber: dict[str, tuple[int, int]] = {}
    cited: set[int] = set()

    def lost(file: str, line: int, what: str, text: str) -> None:
        closest, passage = verifier.closest(text)
        broken.append(Broken(file, line, what, closest, word_diff(text, passage)))

    for quote in knowledge.quotes.values():
        # Where its paragraph went first: a sentence the article repeats stays where it was.
        expected = mapping.get(quote.paragraph)
        found = (verifier.find(quote.text, expected) if expected else None) or verifier.find(
            quote.text
        )
        if found is None or (found.paragraph == HEADLINE and quote.paragraph != HEADLINE):
            lost(QUOTES, quote_lines.get(quote.id, 1), f"quote '{quote.id}'", quote.text)
            continue
        cited.add(found.paragraph)
        if found.paragraph != quote.paragraph:
            renumber[quote.id] = (quote.paragraph, found.paragraph)
    for entry in knowledge.entries.values():
        for citation in entry.citations:
            if citation.quote_id is not None:
                continue  # a quote of quotes.yaml: checked above
            found = verifier.find(citation.quote)
            if found is None:
                lost(
                    QA,
                    entry_lines.get(entry.id, 1),
                    f"a citation of entry '{entry.id}'",
                    citation.quote,
                )
            else:
                cited.add(found.paragraph)
    kept = set(mapping.values())
    moved = tuple((o, n) for o, n in sorted(mapping.items()) if o != n and (o, n) not in edited)
    added = tuple(p.number for p in new.paragraphs if p.number not in kept)
    fresh = sorted({n for _, n in edited} | set(added))
    return Correction(
        before=len(old.paragraphs),
        after=len(new.paragraphs),
        moved=moved,
        edited=tuple(sorted(edited)),
        added=added,
        removed=tuple(p.number for p in old.paragraphs if p.number not in mapping),
        broken=tuple(broken),
        renumber=renumber,
        uncited=tuple(n for n in fresh if n not in cited),
    )


def renumbered(quotes_text: str, article: Article) -> str:
    """``quotes.yaml`` with each quote's ``paragraph:`` set to where ``article`` has its text,
    when it has it elsewhere than the number given (comments and layout kept). A quote not in
    ``article`` at all is left as it is, for validation to report."""
    try:
        root = yaml.safe_load(quotes_text)
    except yaml.YAMLError:
        return quotes_text  # validation reports it at its line
    if not isinstance(root, list):
        return quotes_text
    verifier = Verifier(article)
    moves: dict[str, int] = {}
    for item in root:
        if not isinstance(item, dict):
            continue
        ident, text, number = item.get("id"), item.get("text"), item.get("paragraph")
        if not (isinstance(ident, str) and isinstance(text, str) and isinstance(number, int)):
            continue
        if verifier.find(text, number) is None:
            found = verifier.find(text)
            if found is not None and found.paragraph != HEADLINE:
                moves[ident] = found.paragraph
    if not moves:
        return quotes_text
    lines = quotes_text.split("\n")
    current: str | None = None
    for i, line in enumerate(lines):
        m = _ID.match(line)
        if m:
            current = m.group(1)
            continue
        p = re.match(r"^(\s+paragraph:\s*)(\d+)(\s*(?:#.*)?)$", line)
        if p and current in moves:
            lines[i] = f"{p.group(1)}{moves[current]}{p.group(3)}"
            current = None
    return "\n".join(lines)
