"""Knowledge files to a validated, immutable ``Knowledge``; every problem a ``file:line: message``.

The bot and ``python -m bot validate`` both load through ``load_knowledge``, so knowledge that
fails here can never be served.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine.fields import (
    ID_RE,
    _check_fields,
    _Collector,
    _identifier,
    _int,
    _string,
    _strings,
    did_you_mean,
)
from bot.engine.model import (
    Article,
    Citation,
    Entry,
    Followups,
    Paragraph,
    Quote,
    SmalltalkIntent,
    Translation,
)
from bot.engine.safeyaml import Located
from bot.engine.text import fold, normalize_for_verify, strip_outer_quotes, words
from bot.engine.translations import load_translations
from bot.engine.verify import Verifier
from bot.errors import KnowledgeError, KnowledgeProblem

ARTICLE_META = "article.yaml"
QUOTES = "quotes.yaml"
QA = "qa.yaml"
SYNONYMS = "synonyms.yaml"
CONVERSATION = "conversation.yaml"
KNOWLEDGE_FILES = (ARTICLE_META, QUOTES, QA, SYNONYMS, CONVERSATION)

QUOTE_KINDS = ("quote", "claim", "fact")
MESSAGE_KEYS = (
    "no_answer",
    "no_answer_group",
    "no_answer_named",
    "clarify",
    "suggest",
    "related",
    "said_quote",
    "said_claim",
    "not_said",
    "gap_mention",
    "gap_about",
    "gap_about_with",
    "gap_pair",
    "gap_said_nothing",
    "gap_said_about",
    "gap_how_many",
    "gap_no_number",
    "or",
    "welcome",
    "help",
    "busy",
    "not_text",
    "empty_question",
    "quotes_in_english",
    "untranslated",
    "unsupported_language",
    "paragraph",
    "headline",
    "source",
    "from_article",
    "also_said",
    "nothing_more",
    "quoted_nothing",
)


@dataclass(frozen=True, slots=True)
class Language:
    """What the matcher needs to know about words: synonyms, filler words, the parties."""

    synonyms: Mapping[str, tuple[str, ...]]  # canonical -> variants (words or phrases)
    case_sensitive: Mapping[str, tuple[str, ...]]  # canonical -> variants matched only as written
    stopwords: frozenset[str]
    actors: frozenset[str]  # canonical words naming parties; their order decides direction
    passive_markers: frozenset[str]  # "by": the actor after it is the agent
    answer_types: frozenset[str] = frozenset()  # who, when, where...: what a question asks for
    roles: frozenset[str] = frozenset()  # titles that belong to someone ("prime minister of X")
    speech: frozenset[str] = frozenset()  # verbs of "who said ...?" questions (say, warn, accuse)
    generic: frozenset[str] = frozenset()  # words that name no constraint (the topic, "stance")
    specific: frozenset[str] = frozenset()  # everyday words that always name a constraint
    people: frozenset[str] = frozenset()  # the actors who are persons ("he" in a follow-up)


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything the engine serves, validated as a whole."""

    directory: Path
    article: Article
    quotes: Mapping[str, Quote]
    entries: Mapping[str, Entry]
    language: Language
    smalltalk: tuple[SmalltalkIntent, ...]
    messages: Mapping[str, str]
    examples: tuple[str, ...]  # entry ids offered as example questions
    cited_paragraphs: frozenset[int]
    warnings: tuple[str, ...] = ()
    # Languages besides English, by code (knowledge/<code>.yaml; bot/engine/translations.py).
    translations: Mapping[str, Translation] = field(default_factory=dict)
    followups: Followups = field(default_factory=Followups)

    @property
    def coverage(self) -> tuple[int, int]:
        body = {p.number for p in self.article.paragraphs}
        return len(self.cited_paragraphs & body), len(body)


# --- the article -----------------------------------------------------------------------------


def load_article(directory: Path, text: bytes | None = None) -> Article:
    """The article as article.yaml describes it; with ``text``, as it would be with that text
    in place of its file (an article correction, checked before anything is written)."""
    c = _Collector()
    article = _load_article(c, directory, text)
    if c.errors or article is None:
        raise KnowledgeError(
            c.errors or [KnowledgeProblem(ARTICLE_META, 1, "the article could not be read")]
        )
    return article


def _load_article(
    c: _Collector, directory: Path, replacement: bytes | None = None
) -> Article | None:
    root = c.read(directory, ARTICLE_META)
    if root is None:
        return None
    fields = {
        "file": True,
        "title": True,
        "publisher": True,
        "section": True,
        "url": False,
        "date": False,
        "author": False,
        "not_body": False,
        "subheadings": False,
    }
    data = _check_fields(c, ARTICLE_META, root, fields, "article")
    if data is None:
        return None
    name = _string(c, ARTICLE_META, data, "file", "article")
    title = _string(c, ARTICLE_META, data, "title", "article")
    publisher = _string(c, ARTICLE_META, data, "publisher", "article")
    section = _string(c, ARTICLE_META, data, "section", "article")
    optional = {
        k: _string(c, ARTICLE_META, data, k, "article", optional=True)
        for k in ("url", "date", "author")
    }
    skip = {
        fold(s) for s, _ in _strings(c, ARTICLE_META, data, "not_body", "article", optional=True)
    }
    skip |= {
        fold(s) for s, _ in _strings(c, ARTICLE_META, data, "subheadings", "article", optional=True)
    }
    if name is None or title is None or publisher is None or section is None:
        return None
    path = directory / name
    if path.parent.resolve() != directory.resolve():
        c.add(ARTICLE_META, data["file"].line, "article: 'file' must name a file in this folder")
        return None
    try:
        raw = path.read_bytes() if replacement is None else replacement
        text = raw.decode("utf-8")
    except FileNotFoundError:
        c.add(ARTICLE_META, data["file"].line, f"article: file '{name}' not found")
        return None
    except UnicodeDecodeError:
        c.add(name, 1, "article text is not valid UTF-8")
        return None
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
        c.add(ARTICLE_META, data["title"].line, "article: the title does not appear in the article")
    return Article(
        title=title,
        publisher=publisher,
        section=section,
        url=optional["url"],
        date=optional["date"],
        author=optional["author"],
        paragraphs=tuple(paragraphs),
        file=name,
    )


# --- quotes ----------------------------------------------------------------------------------


def _load_quotes(c: _Collector, directory: Path, verifier: Verifier | None) -> dict[str, Quote]:
    root = c.read(directory, QUOTES)
    quotes: dict[str, Quote] = {}
    if root is None:
        return quotes
    if not isinstance(root.value, list):
        c.add(QUOTES, root.line, "quotes.yaml must be a list of quotes")
        return quotes
    fields = {
        "id": True,
        "kind": True,
        "speaker": True,
        "role": False,
        "text": True,
        "paragraph": True,
    }
    first_line: dict[str, int] = {}
    for node in root.value:
        data = _check_fields(c, QUOTES, node, fields, "quote")
        if data is None:
            continue
        ident = _identifier(c, QUOTES, data, "quote")
        what = f"quote '{ident}'" if ident else "quote"
        kind = _string(c, QUOTES, data, "kind", what)
        speaker = _string(c, QUOTES, data, "speaker", what, optional=True)
        role = _string(c, QUOTES, data, "role", what, optional=True)
        text = _string(c, QUOTES, data, "text", what)
        paragraph = _int(c, QUOTES, data, "paragraph", what)
        if kind is not None and kind not in QUOTE_KINDS:
            c.add(
                QUOTES,
                data["kind"].line,
                f"{what}: kind must be one of {', '.join(QUOTE_KINDS)}, not '{kind}'",
            )
        if kind in ("quote", "claim") and speaker is None and "speaker" in data:
            c.add(QUOTES, data["speaker"].line, f"{what}: a {kind} needs a speaker")
        if ident is not None and ident in first_line:
            c.add(
                QUOTES,
                data["id"].line,
                f"duplicate quote id '{ident}' (first defined at line {first_line[ident]})",
            )
            continue
        if ident is None or kind is None or text is None or paragraph is None:
            continue
        first_line[ident] = data["id"].line
        c.defined_quotes.add(ident)
        if verifier is None:
            continue
        found = verifier.find(text, paragraph)
        if found is None:
            elsewhere = verifier.find(text)
            if elsewhere is not None:
                c.add(
                    QUOTES,
                    data["paragraph"].line,
                    f"{what}: text is in paragraph {elsewhere.paragraph}, not {paragraph}",
                )
            else:
                near, passage = verifier.closest(text)
                c.add(
                    QUOTES,
                    data["text"].line,
                    f"{what}: text does not appear verbatim in the article "
                    f"(closest, paragraph {near}: {word_diff(text, passage)})",
                )
            continue
        quotes[ident] = Quote(ident, found.text, found.paragraph, speaker, role, kind)
    return quotes


# --- synonyms --------------------------------------------------------------------------------


def _load_language(c: _Collector, directory: Path) -> Language | None:
    root = c.read(directory, SYNONYMS)
    if root is None:
        return None
    fields = {
        "synonyms": True,
        "case_sensitive": False,
        "stopwords": False,
        "actors": False,
        "passive_markers": False,
        "answer_types": False,
        "roles": False,
        "speech_verbs": False,
        "generic": False,
        "specific": False,
        "people": False,
    }
    data = _check_fields(c, SYNONYMS, root, fields, "synonyms file")
    if data is None:
        return None

    def groups(key: str, *, folded: bool) -> dict[str, tuple[str, ...]]:
        node = data.get(key)
        result: dict[str, tuple[str, ...]] = {}
        if node is None:
            return result
        if not isinstance(node.value, dict):
            c.add(SYNONYMS, node.line, f"'{key}' must map each canonical word to its variants")
            return result
        for canonical, variants in node.value.items():
            if not isinstance(variants.value, list) or not all(
                isinstance(v.value, str) and v.value.strip() for v in variants.value
            ):
                c.add(
                    SYNONYMS,
                    variants.line,
                    f"'{key}': '{canonical}' must have a list of non-empty strings",
                )
                continue
            values = [str(v.value).strip() for v in variants.value]
            result[fold(canonical) if folded else canonical] = tuple(
                fold(v) if folded else v for v in values
            )
        return result

    synonyms = groups("synonyms", folded=True)
    seen: dict[str, str] = {}
    node = data.get("synonyms")
    lines = (
        {fold(k): v.line for k, v in node.value.items()}
        if node and isinstance(node.value, dict)
        else {}
    )
    for canonical, variants in synonyms.items():
        for variant in variants:
            key = " ".join(words(variant))
            if key in seen and seen[key] != canonical:
                c.add(
                    SYNONYMS,
                    lines.get(canonical, data["synonyms"].line),
                    f"'{variant}' is a variant of both '{seen[key]}' and '{canonical}'",
                )
            seen[key] = canonical
    stop = {s for s, _ in _strings(c, SYNONYMS, data, "stopwords", "synonyms file", optional=True)}
    actors = {s for s, _ in _strings(c, SYNONYMS, data, "actors", "synonyms file", optional=True)}
    passive = {
        s for s, _ in _strings(c, SYNONYMS, data, "passive_markers", "synonyms file", optional=True)
    }
    types = {
        s for s, _ in _strings(c, SYNONYMS, data, "answer_types", "synonyms file", optional=True)
    }
    roles = {s for s, _ in _strings(c, SYNONYMS, data, "roles", "synonyms file", optional=True)}
    speech = {
        s for s, _ in _strings(c, SYNONYMS, data, "speech_verbs", "synonyms file", optional=True)
    }
    generic = {s for s, _ in _strings(c, SYNONYMS, data, "generic", "synonyms file", optional=True)}
    specific = {
        s for s, _ in _strings(c, SYNONYMS, data, "specific", "synonyms file", optional=True)
    }
    people = _strings(c, SYNONYMS, data, "people", "synonyms file", optional=True)
    for person, line in people:
        if fold(person) not in {fold(a) for a in actors}:
            c.add(SYNONYMS, line, f"people: '{person}' is not one of the actors")
    return Language(
        synonyms=synonyms,
        case_sensitive=groups("case_sensitive", folded=False),
        stopwords=frozenset(fold(s) for s in stop),
        actors=frozenset(fold(a) for a in actors),
        passive_markers=frozenset(fold(p) for p in passive),
        answer_types=frozenset(fold(t) for t in types),
        roles=frozenset(fold(r) for r in roles),
        speech=frozenset(fold(v) for v in speech),
        generic=frozenset(fold(g) for g in generic),
        specific=frozenset(fold(g) for g in specific),
        people=frozenset(fold(p) for p, _ in people),
    )


# --- conversation ----------------------------------------------------------------------------


def _load_conversation(
    c: _Collector, directory: Path
) -> tuple[tuple[SmalltalkIntent, ...], dict[str, str], list[tuple[str, int]], Followups]:
    root = c.read(directory, CONVERSATION)
    if root is None:
        return (), {}, [], Followups()
    data = _check_fields(
        c,
        CONVERSATION,
        root,
        {"messages": True, "examples": True, "smalltalk": True, "followups": False},
        "conversation file",
    )
    if data is None:
        return (), {}, [], Followups()
    messages: dict[str, str] = {}
    node = data.get("messages")
    if node is not None:
        msgs = _check_fields(c, CONVERSATION, node, dict.fromkeys(MESSAGE_KEYS, True), "messages")
        for key in MESSAGE_KEYS:
            if msgs is not None and (value := _string(c, CONVERSATION, msgs, key, "messages")):
                messages[key] = value
    examples = _strings(c, CONVERSATION, data, "examples", "conversation file")
    intents: list[SmalltalkIntent] = []
    node = data.get("smalltalk")
    if node is not None:
        if not isinstance(node.value, list):
            c.add(CONVERSATION, node.line, "'smalltalk' must be a list of intents")
        else:
            for item in node.value:
                intent = _check_fields(
                    c, CONVERSATION, item, {"id": True, "patterns": True, "reply": True}, "intent"
                )
                if intent is None:
                    continue
                ident = _identifier(c, CONVERSATION, intent, "intent")
                patterns = _strings(c, CONVERSATION, intent, "patterns", f"intent '{ident}'")
                reply = _string(c, CONVERSATION, intent, "reply", f"intent '{ident}'")
                if ident and patterns and reply:
                    intents.append(SmalltalkIntent(ident, tuple(p for p, _ in patterns), reply))
    followups = Followups()
    if (node := data.get("followups")) is not None:
        followups = _load_followups(c, node)
    return tuple(intents), messages, examples, followups


_FOLLOWUP_LISTS = (
    "person",
    "person_possessive",
    "party",
    "party_possessive",
    "thing",
    "ellipsis",
    "more",
    "other",
    "sides",
    "new_topic",
    "pick_words",
    "pick_nouns",
)


def _load_followups(c: _Collector, node: Located) -> Followups:
    """conversation.yaml ``followups``: lists of words and phrases, and ordinals by number."""
    fields = {**dict.fromkeys(_FOLLOWUP_LISTS, False), "ordinals": False}
    data = _check_fields(c, CONVERSATION, node, fields, "followups")
    if data is None:
        return Followups()

    def phrases(key: str) -> frozenset[str]:
        found = _strings(c, CONVERSATION, data, key, "followups", optional=True)
        return frozenset(" ".join(words(p)) or p for p, _ in found)

    ordinals: dict[str, int] = {}
    if (ords := data.get("ordinals")) is not None:
        if not isinstance(ords.value, dict):
            c.add(CONVERSATION, ords.line, "followups: 'ordinals' must map numbers to words")
        else:
            for key, said in ords.value.items():
                number = int(key) if re.fullmatch(r"-?\d+", key) else 0
                if number == 0:
                    c.add(
                        CONVERSATION,
                        said.line,
                        f"followups: ordinal '{key}' must be a whole number (-1 for the last)",
                    )
                    continue
                for word, _ in _strings(
                    c, CONVERSATION, {"words": said}, "words", f"ordinal {number}"
                ):
                    ordinals[" ".join(words(word)) or word] = number
    lists = {key: phrases(key) for key in _FOLLOWUP_LISTS}
    if len(lists["sides"]) not in (0, 2):
        c.add(CONVERSATION, data["sides"].line, "followups: 'sides' names the two sides")
    return Followups(**lists, ordinals=ordinals)


# --- curated entries -------------------------------------------------------------------------

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


def _load_entries(
    c: _Collector,
    directory: Path,
    article: Article | None,
    verifier: Verifier | None,
    quotes: Mapping[str, Quote],
) -> tuple[dict[str, Entry], set[int]]:
    root = c.read(directory, QA)
    entries: dict[str, Entry] = {}
    vocabulary = article_vocabulary(article) if article is not None else None
    cited: set[int] = set()
    if root is None:
        return entries, cited
    if not isinstance(root.value, list):
        c.add(QA, root.line, "qa.yaml must be a list of entries")
        return entries, cited
    fields = {
        "id": True,
        "questions": True,
        "answer": True,
        "cite": True,
        "label": False,
        "tags": False,
        "followups": False,
    }
    first_line: dict[str, int] = {}
    phrasing_owner: dict[str, tuple[str, int]] = {}
    followup_refs: list[tuple[str, str, int]] = []
    for node in root.value:
        data = _check_fields(c, QA, node, fields, "entry")
        if data is None:
            continue
        ident = _identifier(c, QA, data, "entry")
        what = f"entry '{ident}'" if ident else "entry"
        questions = _strings(c, QA, data, "questions", what)
        answer = _string(c, QA, data, "answer", what)
        cites = _strings(c, QA, data, "cite", what)
        label = _string(c, QA, data, "label", what, optional=True)
        _strings(c, QA, data, "tags", what, optional=True)  # the admins' own; checked, not kept
        followups = _strings(c, QA, data, "followups", what, optional=True)
        duplicate = ident is not None and ident in first_line
        if duplicate and ident is not None:
            c.add(
                QA,
                data["id"].line,
                f"duplicate entry id '{ident}' (first defined at line {first_line[ident]})",
            )
        elif ident is not None:
            first_line[ident] = data["id"].line
        for question, line in questions:
            key = " ".join(words(question))  # case and punctuation do not make a new phrasing
            owner = phrasing_owner.get(key)
            if owner is not None and owner[0] != ident:
                c.add(
                    QA,
                    line,
                    f'{what}: the phrasing "{question}" is also in entry '
                    f"'{owner[0]}' (line {owner[1]})",
                )
            elif owner is None:
                phrasing_owner[key] = (ident or "?", line)
        citations: list[Citation] = []
        for item, line in cites:
            if ID_RE.match(item) and " " not in item:
                quote = quotes.get(item)
                if quote is None:
                    if item not in c.defined_quotes:
                        c.add(
                            QA,
                            line,
                            f"{what}: unknown quote id '{item}' (not in quotes.yaml)"
                            + did_you_mean(item, c.defined_quotes),
                        )
                    continue
                # Only a direct quotation is shown as someone's words; a claim is the article's
                # sentence about what someone said, and the answer text attributes it.
                said = quote.kind == "quote"
                citations.append(
                    Citation(
                        quote.text,
                        quote.paragraph,
                        quote.speaker if said else None,
                        quote.role if said else None,
                        quote.id,
                    )
                )
                continue
            if verifier is None:
                continue
            found = verifier.find(item)
            if found is None:
                near, passage = verifier.closest(item)
                c.add(
                    QA,
                    line,
                    f"{what}: citation does not appear verbatim in the article "
                    f'(closest, paragraph {near}: "{passage}")',
                )
                continue
            speaker = _speaker_of(found.text, found.paragraph, quotes)
            citations.append(
                Citation(
                    found.text,
                    found.paragraph,
                    speaker.speaker if speaker else None,
                    speaker.role if speaker else None,
                    speaker.id if speaker else None,
                )
            )
        for followup, line in followups:
            followup_refs.append((ident or "?", followup, line))
        if duplicate or ident is None or answer is None or not questions or not cites:
            continue
        if len(citations) != len(cites):
            continue  # an unverifiable citation already reported; never build the entry
        if vocabulary is not None:
            for problem in _grounding_problems(
                answer, " ".join(x.quote for x in citations), vocabulary
            ):
                c.add(QA, data["answer"].line, f"{what}: {problem}")
        cited.update(x.paragraph for x in citations)
        entries[ident] = Entry(
            id=ident,
            questions=tuple(q for q, _ in questions),
            answer=answer,
            citations=tuple(citations),
            followups=tuple(f for f, _ in followups),
            label=label or "",
        )
    for referrer, target, ref_line in followup_refs:
        if target not in first_line:
            c.add(
                QA,
                ref_line,
                f"entry '{referrer}': follow-up '{target}' is not an entry id"
                + did_you_mean(target, first_line),
            )
    return entries, cited


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
    c = _Collector()
    if not directory.is_dir():
        raise KnowledgeError([KnowledgeProblem(str(directory), 1, "knowledge folder not found")])
    article = _load_article(c, directory)
    verifier = Verifier(article) if article is not None else None
    quotes = _load_quotes(c, directory, verifier)
    language = _load_language(c, directory)
    entries, cited = _load_entries(c, directory, article, verifier, quotes)
    smalltalk, messages, examples, followups = _load_conversation(c, directory)
    for example, line in examples:
        # Not when entries or quotes had problems: the entry may be missing only because of them.
        if example not in entries and not any(e.file in (QA, QUOTES) for e in c.errors):
            c.add(
                CONVERSATION,
                line,
                f"example '{example}' is not an entry id" + did_you_mean(example, entries),
            )
    used_quotes = {x.quote_id for e in entries.values() for x in e.citations}
    for ident in quotes:
        if ident not in used_quotes:
            c.warnings.append(f"{QUOTES}: quote '{ident}' is not cited by any entry")
    if article is not None:
        uncovered = [p.number for p in article.paragraphs if p.number not in cited]
        if uncovered and entries:
            c.warnings.append("paragraphs no entry cites: " + ", ".join(map(str, uncovered)))
    translations: dict[str, Translation] = {}
    if language is not None and not c.errors:
        translations = load_translations(
            c, directory, entries, messages, smalltalk, language.actors, _party_reader(language)
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
        smalltalk=smalltalk,
        messages=messages,
        examples=tuple(e for e, _ in examples),
        cited_paragraphs=frozenset(cited),
        warnings=tuple(c.warnings),
        translations=translations,
        followups=followups,
    )


def _party_reader(language: Language) -> Callable[[str], set[str]]:
    """Text -> the parties it names (their canonical words), by the words and one-word synonyms
    of ``language.actors``: enough to check a translated answer names the same parties."""
    names = {}
    for actor in language.actors:
        for variant in (actor, *language.synonyms.get(actor, ())):
            if " " not in variant:
                names[fold(variant)] = actor
    return lambda text: {names[w] for w in words(text) if w in names}
