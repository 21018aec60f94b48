"""Knowledge files to a validated, immutable ``Knowledge``; every problem a ``file:line: message``.

The bot and ``python -m bot validate`` both load through ``load_knowledge``, so knowledge that
fails here can never be served. Each file is read against its shape (bot/engine/schema.py);
what this module adds is what spans fields and files: citations resolved to the article, and
the curated entries cross-checked against it and each other.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine.fields import ID_RE, Problems, Record, did_you_mean, read_file, read_list
from bot.engine.model import (
    Article,
    Citation,
    Entry,
    Followups,
    Knowledge,
    Language,
    Paragraph,
    Quote,
    SmalltalkIntent,
    Translation,
)
from bot.engine.schema import (
    ARTICLE,
    ARTICLE_META,
    CONVERSATION,
    CONVERSATION_FILE,
    ENTRY_LIST,
    FOLLOWUP_LISTS,
    LANGUAGE,
    MESSAGE_KEYS,
    QA,
    QUOTE_LIST,
    QUOTES,
    SYNONYMS,
    WORD_LISTS,
)
from bot.engine.text import fold, normalize_for_verify, strip_outer_quotes, words
from bot.engine.translations import load_translations
from bot.engine.verify import Verifier
from bot.errors import KnowledgeError, KnowledgeProblem

# --- the article -----------------------------------------------------------------------------


def load_article(directory: Path, text: bytes | None = None) -> Article:
    """The article as article.yaml describes it; with ``text``, as it would be with that text
    in place of its file (an article correction, checked before anything is written)."""
    c = Problems()
    article = _load_article(c, directory, text)
    if c.errors or article is None:
        raise KnowledgeError(
            c.errors or [KnowledgeProblem(ARTICLE_META, 1, "the article could not be read")]
        )
    return article


def _load_article(c: Problems, directory: Path, replacement: bytes | None = None) -> Article | None:
    meta = read_file(c, directory, ARTICLE)
    if meta is None:
        return None
    name, title, publisher, section = (
        meta.text(k) for k in ("file", "title", "publisher", "section")
    )
    if name is None or title is None or publisher is None or section is None:
        return None
    text = _article_text(c, directory, meta, name, replacement)
    if text is None:
        return None
    skip = {fold(s) for s, _ in meta.texts("not_body") + meta.texts("subheadings")}
    paragraphs: list[Paragraph] = []
    # One non-empty line is one paragraph: that is how the article file is laid out.
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or fold(stripped) in skip:
            continue
        paragraphs.append(Paragraph(len(paragraphs) + 1, stripped, line_no))
    if not paragraphs:
        c.add(name, 1, "the article has no body paragraphs")
        return None
    if fold(title) not in {fold(line.strip()) for line in text.splitlines()}:
        c.add(ARTICLE_META, meta.line("title"), "article: the title does not appear in the article")
    return Article(
        title=title,
        publisher=publisher,
        section=section,
        url=meta.text("url"),
        date=meta.text("date"),
        author=meta.text("author"),
        paragraphs=tuple(paragraphs),
        file=name,
    )


def _article_text(
    c: Problems, directory: Path, meta: Record, name: str, replacement: bytes | None
) -> str | None:
    """The text of the file article.yaml names (or its replacement), which must be beside it."""
    path = directory / name
    if path.parent.resolve() != directory.resolve():
        c.add(ARTICLE_META, meta.line("file"), "article: 'file' must name a file in this folder")
        return None
    try:
        raw = path.read_bytes() if replacement is None else replacement
        return raw.decode("utf-8")
    except FileNotFoundError:
        c.add(ARTICLE_META, meta.line("file"), f"article: file '{name}' not found")
    except UnicodeDecodeError:
        c.add(name, 1, "article text is not valid UTF-8")
    return None


# --- quotes ----------------------------------------------------------------------------------


def _load_quotes(c: Problems, directory: Path, verifier: Verifier | None) -> dict[str, Quote]:
    quotes: dict[str, Quote] = {}
    first_line: dict[str, int] = {}
    for q in read_list(c, directory, QUOTE_LIST):
        ident, kind, speaker = q.text("id"), q.text("kind"), q.text("speaker")
        if kind in ("quote", "claim") and speaker is None and "speaker" in q.nodes:
            c.add(QUOTES, q.line("speaker"), f"{q.what}: a {kind} needs a speaker")
        if ident is not None and ident in first_line:
            c.add(
                QUOTES,
                q.line("id"),
                f"duplicate quote id '{ident}' (first defined at line {first_line[ident]})",
            )
            continue
        if ident is None or kind is None or q.text("text") is None or "paragraph" not in q.values:
            continue
        first_line[ident] = q.line("id")
        c.defined_quotes.add(ident)
        if verifier is not None and (quote := _verified_quote(c, q, ident, kind, verifier)):
            quotes[ident] = quote
    return quotes


def _verified_quote(
    c: Problems, q: Record, ident: str, kind: str, verifier: Verifier
) -> Quote | None:
    """The quote as the article has it, or None when its text is not in its paragraph."""
    text, paragraph = q.get("text", ""), q.get("paragraph", 0)
    found = verifier.find(text, paragraph)
    if found is not None:
        return Quote(ident, found.text, found.paragraph, q.text("speaker"), q.text("role"), kind)
    elsewhere = verifier.find(text)
    if elsewhere is not None:
        c.add(
            QUOTES,
            q.line("paragraph"),
            f"{q.what}: text is in paragraph {elsewhere.paragraph}, not {paragraph}",
        )
    else:
        near, passage = verifier.closest(text)
        c.add(
            QUOTES,
            q.line("text"),
            f"{q.what}: text does not appear verbatim in the article "
            f"(closest, paragraph {near}: {word_diff(text, passage)})",
        )
    return None


# --- synonyms --------------------------------------------------------------------------------


def _load_language(c: Problems, directory: Path) -> Language | None:
    data = read_file(c, directory, LANGUAGE)
    if data is None:
        return None
    synonyms: dict[str, tuple[str, ...]] = data.get("synonyms", {})
    _check_variants(c, data, synonyms)
    lists = {key: {s for s, _ in data.texts(key)} for key in WORD_LISTS}
    actors = {fold(a) for a in lists["actors"]}
    for person, line in data.texts("people"):
        if fold(person) not in actors:
            c.add(SYNONYMS, line, f"people: '{person}' is not one of the actors")
    for key in ("actions", "contested", "targeted"):
        for action, line in data.texts(key):
            if fold(action) not in synonyms:
                c.add(SYNONYMS, line, f"{key}: '{action}' is not a word the synonyms define")

    def folded(key: str) -> frozenset[str]:
        return frozenset(fold(s) for s in lists[key])

    return Language(
        synonyms=synonyms,
        case_sensitive=data.get("case_sensitive", {}),
        stopwords=folded("stopwords"),
        actors=folded("actors"),
        passive_markers=folded("passive_markers"),
        answer_types=folded("answer_types"),
        roles=folded("roles"),
        speech=folded("speech_verbs"),
        generic=folded("generic"),
        specific=folded("specific"),
        people=frozenset(fold(p) for p, _ in data.texts("people")),
        actions=folded("actions"),
        source_markers=folded("source_markers"),
        contested=folded("contested"),
        targeted=folded("targeted"),
    )


def _check_variants(c: Problems, data: Record, synonyms: Mapping[str, tuple[str, ...]]) -> None:
    """A variant belongs to one synonym group only."""
    node = data.nodes.get("synonyms")
    lines = (
        {fold(k): v.line for k, v in node.value.items()}
        if node and isinstance(node.value, dict)
        else {}
    )
    seen: dict[str, str] = {}
    for canonical, variants in synonyms.items():
        for variant in variants:
            key = " ".join(words(variant))
            if key in seen and seen[key] != canonical:
                c.add(
                    SYNONYMS,
                    lines.get(canonical, data.line("synonyms")),
                    f"'{variant}' is a variant of both '{seen[key]}' and '{canonical}'",
                )
            seen[key] = canonical


# --- conversation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Conversation:
    """conversation.yaml as the loader hands it on."""

    smalltalk: tuple[SmalltalkIntent, ...] = ()
    messages: Mapping[str, str] = field(default_factory=dict)
    examples: tuple[tuple[str, int], ...] = ()  # entry ids, each with its line
    followups: Followups = field(default_factory=Followups)


def _load_conversation(c: Problems, directory: Path) -> _Conversation:
    data = read_file(c, directory, CONVERSATION_FILE)
    if data is None:
        return _Conversation()
    said: Record | None = data.get("messages")
    messages = {k: v for k in MESSAGE_KEYS if said is not None and (v := said.text(k))}
    listed: list[Record] = data.get("smalltalk", [])
    intents = tuple(
        SmalltalkIntent(ident, tuple(p for p, _ in patterns), reply)
        for i in listed
        if (ident := i.text("id"))
        and (patterns := i.texts("patterns"))
        and (reply := i.text("reply"))
    )
    lists: Record | None = data.get("followups")
    followups = Followups()
    if lists is not None:
        followups = Followups(
            **{key: lists.get(key, frozenset()) for key in FOLLOWUP_LISTS},
            ordinals=lists.get("ordinals", {}),
        )
    return _Conversation(intents, messages, tuple(data.texts("examples")), followups)


# --- curated entries: parse, resolve citations, cross-check ---------------------------------

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-z]+(?:-[A-Z][a-z]+)*")


def article_vocabulary(article: Article) -> frozenset[str]:
    """Every word of the article, its title, publisher and section."""
    texts = [p.text for p in article.paragraphs] + [
        article.title,
        article.publisher,
        article.section,
    ]
    return frozenset(w for text in texts for w in words(text))


@dataclass(frozen=True, slots=True)
class _Draft:
    """One qa.yaml entry as written, with its citations resolved (None: one could not be)."""

    ident: str | None
    record: Record
    citations: tuple[Citation, ...] | None

    @property
    def what(self) -> str:
        return self.record.what


def _load_entries(
    c: Problems,
    directory: Path,
    article: Article | None,
    verifier: Verifier | None,
    quotes: Mapping[str, Quote],
    contested: frozenset[str] = frozenset(),
) -> tuple[dict[str, Entry], set[int]]:
    """qa.yaml in three phases: each entry parsed by its shape, its citations resolved to the
    article, then all of them cross-checked; the entries built, and the paragraphs they cite."""
    drafts = [
        _Draft(r.text("id"), r, _resolve_citations(c, r, verifier, quotes))
        for r in read_list(c, directory, ENTRY_LIST)
    ]
    for draft in drafts:
        for deed, line in draft.record.texts("both_sides"):
            if fold(deed) not in contested:
                c.add(
                    QA,
                    line,
                    f"{draft.what}: both_sides: '{deed}' is not one of the contested deeds "
                    "(synonyms.yaml)",
                )
    return _cross_check(c, drafts, article)


def _resolve_citations(
    c: Problems, entry: Record, verifier: Verifier | None, quotes: Mapping[str, Quote]
) -> tuple[Citation, ...] | None:
    """Each ``cite`` of an entry as the article has it: a quote id from quotes.yaml, or an
    excerpt found verbatim. None (each problem reported) unless every one resolves."""
    cites = entry.texts("cite")
    citations: list[Citation] = []
    for item, line in cites:
        if ID_RE.match(item) and " " not in item:
            citation = _cite_quote(c, entry.what, item, line, quotes)
        elif verifier is not None:
            citation = _cite_excerpt(c, entry.what, item, line, verifier, quotes)
        else:
            citation = None
        if citation is not None:
            citations.append(citation)
    return tuple(citations) if len(citations) == len(cites) else None


def _cite_quote(
    c: Problems, what: str, ident: str, line: int, quotes: Mapping[str, Quote]
) -> Citation | None:
    quote = quotes.get(ident)
    if quote is None:
        if ident not in c.defined_quotes:
            c.add(
                QA,
                line,
                f"{what}: unknown quote id '{ident}' (not in quotes.yaml)"
                + did_you_mean(ident, c.defined_quotes),
            )
        return None
    # Only a direct quotation is shown as someone's words; a claim is the article's sentence
    # about what someone said, and the answer text attributes it.
    said = quote.kind == "quote"
    return Citation(
        quote.text,
        quote.paragraph,
        quote.speaker if said else None,
        quote.role if said else None,
        quote.id,
    )


def _cite_excerpt(
    c: Problems, what: str, excerpt: str, line: int, verifier: Verifier, quotes: Mapping[str, Quote]
) -> Citation | None:
    found = verifier.find(excerpt)
    if found is None:
        near, passage = verifier.closest(excerpt)
        c.add(
            QA,
            line,
            f"{what}: citation does not appear verbatim in the article "
            f'(closest, paragraph {near}: "{passage}")',
        )
        return None
    speaker = _speaker_of(found.text, found.paragraph, quotes)
    return Citation(
        found.text,
        found.paragraph,
        speaker.speaker if speaker else None,
        speaker.role if speaker else None,
        speaker.id if speaker else None,
    )


def _cross_check(
    c: Problems, drafts: list[_Draft], article: Article | None
) -> tuple[dict[str, Entry], set[int]]:
    """The entries that hold up against each other and the article, and the paragraphs they
    cite: ids and phrasings unique, follow-ups naming entries, answers grounded."""
    first_line, duplicates = _unique_ids(c, drafts)
    _unique_phrasings(c, drafts)
    _followups_exist(c, drafts, first_line)
    vocabulary = article_vocabulary(article) if article is not None else None
    entries: dict[str, Entry] = {}
    cited: set[int] = set()
    for n, draft in enumerate(drafts):
        r = draft.record
        ident, answer, citations = draft.ident, r.text("answer"), draft.citations
        if ident is None or n in duplicates:
            continue
        if answer is None or not r.texts("questions") or not r.texts("cite") or citations is None:
            continue  # an unverifiable citation already reported; never build the entry
        if vocabulary is not None:
            for problem in _grounding_problems(
                answer, " ".join(x.quote for x in citations), vocabulary
            ):
                c.add(QA, r.line("answer"), f"{draft.what}: {problem}")
        cited.update(x.paragraph for x in citations)
        entries[ident] = Entry(
            id=ident,
            questions=tuple(q for q, _ in r.texts("questions")),
            answer=answer,
            citations=citations,
            followups=tuple(f for f, _ in r.texts("followups")),
            label=r.text("label") or "",
            both_sides=tuple(fold(d) for d, _ in r.texts("both_sides")),
        )
    return entries, cited


def _unique_ids(c: Problems, drafts: Iterable[_Draft]) -> tuple[dict[str, int], set[int]]:
    """Each entry id -> the line it is first defined at, and the positions of the drafts that
    define one again (each reported)."""
    first_line: dict[str, int] = {}
    duplicates: set[int] = set()
    for n, draft in enumerate(drafts):
        if draft.ident is None:
            continue
        line = draft.record.line("id")
        if draft.ident in first_line:
            duplicates.add(n)
            c.add(
                QA,
                line,
                f"duplicate entry id '{draft.ident}' (first defined at line "
                f"{first_line[draft.ident]})",
            )
        else:
            first_line[draft.ident] = line
    return first_line, duplicates


def _unique_phrasings(c: Problems, drafts: Iterable[_Draft]) -> None:
    """A phrasing reaches one entry only: case and punctuation do not make a new phrasing."""
    owner_of: dict[str, tuple[str, int]] = {}
    for draft in drafts:
        for question, line in draft.record.texts("questions"):
            key = " ".join(words(question))
            owner = owner_of.get(key)
            if owner is not None and owner[0] != draft.ident:
                c.add(
                    QA,
                    line,
                    f'{draft.what}: the phrasing "{question}" is also in entry '
                    f"'{owner[0]}' (line {owner[1]})",
                )
            elif owner is None:
                owner_of[key] = (draft.ident or "?", line)


def _followups_exist(c: Problems, drafts: Iterable[_Draft], ids: Mapping[str, int]) -> None:
    for draft in drafts:
        for target, line in draft.record.texts("followups"):
            if target not in ids:
                c.add(
                    QA,
                    line,
                    f"entry '{draft.ident or '?'}': follow-up '{target}' is not an entry id"
                    + did_you_mean(target, ids),
                )


def _grounding_problems(answer: str, cited: str, vocabulary: frozenset[str]) -> list[str]:
    """An answer may not add numbers its citations lack, nor names the article lacks."""
    problems = []
    for number in _NUMBER.findall(answer):
        if number not in cited and number.replace(",", "") not in cited.replace(",", ""):
            problems.append(f"answer states '{number}', which none of its citations contains")
    for name in _NAME.findall(answer):
        if not set(words(name)) <= vocabulary:
            problems.append(f"answer names '{name}', which the article never mentions")
    return problems


def _speaker_of(text: str, paragraph: int, quotes: Mapping[str, Quote]) -> Quote | None:
    """A verbatim excerpt inside a known quotation is attributed to that quotation's speaker."""
    needle, _ = normalize_for_verify(strip_outer_quotes(text))
    for quote in quotes.values():
        if quote.paragraph == paragraph and quote.speaker and quote.kind == "quote":
            hay, _ = normalize_for_verify(quote.text)
            if needle in hay:
                return quote
    return None


def word_diff(text: str, passage: str, context: int = 3) -> str:
    """Where ``text`` differs from the article's ``passage``, word by word and cut at word
    boundaries: '...according to Azerbaijan Defense [Minister -> Ministry]'."""
    ours, theirs = text.split(), passage.split()
    shown: list[str] = []
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = " ".join(ours[max(0, i1 - context) : i1])
        after = " ".join(ours[i2 : i2 + context])
        was, now = " ".join(ours[i1:i2]) or "(nothing)", " ".join(theirs[j1:j2]) or "(nothing)"
        change = f"[{was} \u2192 {now}]"
        shown.append("…" + " ".join(p for p in (before, change, after) if p) + "…")
        if len(shown) == 3:
            break
    return "; ".join(shown) if shown else f'"{passage}"'


def load_knowledge(directory: Path) -> Knowledge:
    """Load and validate a knowledge folder, or raise ``KnowledgeError`` listing every problem."""
    c = Problems()
    if not directory.is_dir():
        raise KnowledgeError([KnowledgeProblem(str(directory), 1, "knowledge folder not found")])
    article = _load_article(c, directory)
    verifier = Verifier(article) if article is not None else None
    quotes = _load_quotes(c, directory, verifier)
    language = _load_language(c, directory)
    contested = language.contested if language is not None else frozenset()
    entries, cited = _load_entries(c, directory, article, verifier, quotes, contested)
    talk = _load_conversation(c, directory)
    _check_examples(c, talk.examples, entries)
    _coverage_warnings(c, article, quotes, entries, cited)
    translations: dict[str, Translation] = {}
    if language is not None and not c.errors:
        translations = load_translations(
            c,
            directory,
            entries,
            talk.messages,
            talk.smalltalk,
            language.actors,
            _party_reader(language),
        )
    if c.errors or article is None or language is None:
        raise KnowledgeError(
            c.errors or [KnowledgeProblem(str(directory), 1, "knowledge incomplete")]
        )
    return Knowledge(
        directory=directory,
        article=article,
        quotes=quotes,
        entries=entries,
        language=language,
        smalltalk=talk.smalltalk,
        messages=talk.messages,
        examples=tuple(e for e, _ in talk.examples),
        cited_paragraphs=frozenset(cited),
        warnings=tuple(c.warnings),
        translations=translations,
        followups=talk.followups,
    )


def _check_examples(
    c: Problems, examples: Iterable[tuple[str, int]], entries: Mapping[str, Entry]
) -> None:
    for example, line in examples:
        # Not when entries or quotes had problems: the entry may be missing only because of them.
        if example not in entries and not any(e.file in (QA, QUOTES) for e in c.errors):
            c.add(
                CONVERSATION,
                line,
                f"example '{example}' is not an entry id" + did_you_mean(example, entries),
            )


def _coverage_warnings(
    c: Problems,
    article: Article | None,
    quotes: Mapping[str, Quote],
    entries: Mapping[str, Entry],
    cited: set[int],
) -> None:
    """Quotes nothing cites, and paragraphs no entry cites: not wrong, but worth knowing."""
    used_quotes = {x.quote_id for e in entries.values() for x in e.citations}
    for ident in quotes:
        if ident not in used_quotes:
            c.warnings.append(f"{QUOTES}: quote '{ident}' is not cited by any entry")
    if article is not None:
        uncovered = [p.number for p in article.paragraphs if p.number not in cited]
        if uncovered and entries:
            c.warnings.append("paragraphs no entry cites: " + ", ".join(map(str, uncovered)))


def _party_reader(language: Language) -> Callable[[str], set[str]]:
    """Text -> the parties it names (their canonical words), by the words and one-word synonyms
    of ``language.actors``: enough to check a translated answer names the same parties."""
    names = {}
    for actor in language.actors:
        for variant in (actor, *language.synonyms.get(actor, ())):
            if " " not in variant:
                names[fold(variant)] = actor
    return lambda text: {names[w] for w in words(text) if w in names}
