"""Questions in Russian, Turkish, Azerbaijani and Armenian: which language a text is in, and how
it reads in the English the matcher knows.

Reading is by a curated lexicon (``words`` in ``knowledge/<code>.yaml``), not machine
translation: each word (or phrase) of the question is looked up and replaced by the English
words it stands for; filler words are dropped; a word the lexicon does not know is kept as it
was typed, so the matcher sees it as a constraint nothing covers and says plainly that the
article doesn't mention it ("В статье не упоминается Франции" rather than an answer about
something else). The English matcher then decides, with every check it makes in English.

Words are matched after ``fold`` (case, accents, ё/е, ı/i, ə/e), so a question typed without
diacritics or with a Latin keyboard still reads. Endings are handled per language:

- Russian and Armenian: Snowball stemmers (snowballstemmer), whose endings tables are the
  standard ones for both languages ("перемирия" and "перемирие" are one stem);
- Turkish and Azerbaijani: agglutinative, suffixes only, so a lexicon stem matches the beginning
  of a word ("Qarabağın", "ateşkesi", "Erdoğan'ın"). Azerbaijani has no Snowball stemmer, and the
  Turkish one misreads its ə-harmony suffixes (-də, -dən, -lər); on Turkish itself it folds
  different words into one stem ("neden" why, "ne" what; "asker" troops, "askeri" military), so
  both rely on the beginning of the word;
- in every language, the longest lexicon word a typed word begins with, if it is four letters
  long and at least half of it (two fifths in Turkish and Azerbaijani, whose endings stack); then
  one slip (rapidfuzz, ratio 85) for words of six letters or more.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz import fuzz, process

from bot.engine.model import SmalltalkIntent, Translation
from bot.engine.text import _IN_WORD_MARKS
from bot.engine.text import fold as _fold

# Folding is called for every word of every question and lexicon key: cached.
fold = lru_cache(maxsize=65_536)(_fold)

ENGLISH = "en"
OTHER = "other"  # a language the bot does not read
READ = ("ru", "tr", "az", "hy")  # the languages knowledge/<code>.yaml may add to English
_STEMMERS = {"ru": "russian", "hy": "armenian"}
_LOCAL = threading.local()

# Words, and numbers apart from the endings typed onto them ("90larda" is 90 + "larda").
_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:['’][^\W\d_]+)?")
_APOSTROPHE = re.compile("['’]")
_MIN_PREFIX = 4
_SOFTENING = ("tr", "az")
_SOFTENED = {"g": "k", "b": "p", "d": "t"}  # folded ğ b d before a vowel: k p t
_SLIP_SCORE = 85.0
_SLIP_ROOT = 6  # the shortest word read with a slip before its endings

# Turkish and Azerbaijani endings, folded (ı ə ö ü ş ç ğ as i e o u s c g, so one spelling
# stands for every vowel-harmony form), any number in a row: a typed word is a lexicon word
# and a chain of these ("görüşüyor" is "görüş" + "üyor", "sürüb" is "sür" + "üb",
# "ateşkesin" is "ateşkes" + "in"). A root of three letters is found only with a whole chain
# after it, never by its beginning alone.
# fmt: off
_ENDINGS = frozenset((
    # plural, possessive, case, copula (nouns)
    "lar", "ler", "m", "im", "um", "n", "in", "un", "i", "u", "si", "su", "miz", "imiz", "umuz",
    "niz", "iniz", "unuz", "leri", "lari", "nin", "nun", "a", "e", "ya", "ye", "na", "ne", "yi",
    "yu", "ni", "nu", "da", "de", "ta", "te", "nda", "nde", "dan", "den", "tan", "ten", "ndan",
    "nden", "la", "le", "yla", "yle", "ca", "ce", "ki", "dir", "dur", "tir", "tur", "dek",
    "li", "lu", "lik", "luk", "liq", "luq", "ydi", "ydu", "ymis", "ymus",
    # verbs: tense, mood, person, voice, participles, converbs
    "di", "du", "ti", "tu", "mis", "mus", "ib", "ub", "yib", "yub", "ip", "up", "yip", "yup",
    "iyor", "uyor", "yor", "iyo", "uyo", "yo", "ir", "ur", "yir", "yur", "ar", "er", "r",
    "acak", "ecek", "yacak", "yecek", "acag", "eceg", "acaq", "yacaq", "yeceg", "mak", "mek",
    "maq", "ma", "me", "mas", "mes", "maz", "mez", "an", "en", "yan", "yen", "dik", "duk",
    "tik", "tuk", "dig", "dug", "tig", "tug", "diq", "duq", "arak", "erek", "araq", "ince",
    "unca", "ken", "yken", "madan", "meden", "sa", "se", "ysa", "yse", "mali", "meli",
    "il", "ul", "is", "us", "t", "k", "iz", "uz", "sin", "sun", "siniz", "sunuz", "yik", "yuk",
    "mi", "mu", "dikce", "ginen", "gin", "ecegi", "acagi",
))
# fmt: on
# Russian and Armenian endings written after a number and a hyphen ("90-х", "F-16-ները").
_NUMBER_ENDINGS = {
    "ru": frozenset(("х", "е", "ые", "ых", "ым", "ыми", "ми", "м", "й", "го", "му", "я", "ю")),
    "hy": frozenset(
        (
            "ը",
            "ն",
            "ի",
            "ից",
            "ում",
            "ով",
            "ին",
            "եր",
            "երը",
            "երի",
            "երին",
            "երից",
            "երով",
            "երում",
            "ներ",
            "ները",
            "ների",
            "ներին",
            "ներից",
            "ներով",
            "ներում",
            "ականներ",
            "ականներին",
        )
    ),
}  # fmt: skip
_ENDING_LENGTHS = tuple(sorted({len(e) for e in _ENDINGS}, reverse=True))
_MIN_ROOT = 3
_MAX_DETACHED = 5  # the longest ending chain typed apart from its word ("'ndan")
_MAX_ENDINGS = 6


def _nearest(word: str, pool: Iterable[str]) -> str | None:
    """The word of ``pool`` one slip from ``word`` (the closest), if any."""
    near = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=_SLIP_SCORE)
    return near[0] if near is not None else None


@lru_cache(maxsize=16_384)
def _ending_chain(rest: str, left: int = _MAX_ENDINGS) -> bool:
    """Whether ``rest`` (folded) is nothing but Turkish or Azerbaijani endings."""
    if not rest:
        return True
    if left == 0:
        return False
    return any(
        rest[:n] in _ENDINGS and _ending_chain(rest[n:], left - 1)
        for n in _ENDING_LENGTHS
        if n <= len(rest)
    )


@lru_cache(maxsize=65_536)
def _stem(code: str, word: str) -> str:
    """``word`` (lower case, not folded) by the language's Snowball stemmer, folded (cached:
    a stemmer is pure Python and questions repeat the same words)."""
    name = _STEMMERS.get(code)
    if name is None:
        return fold(word)
    stemmers = getattr(_LOCAL, "stemmers", None)
    if stemmers is None:
        stemmers = _LOCAL.stemmers = {}
    stemmer = stemmers.get(code)
    if stemmer is None:
        stemmer = stemmers[code] = snowballstemmer.stemmer(name)
    return fold(stemmer.stemWord(word))


def tokens(text: str, *, cased: bool = False) -> list[str]:
    """The words of ``text`` (lower case unless ``cased``; an apostrophe's suffix cut:
    "Erdoğan'ın" is "erdoğan")."""
    out = []
    if not text.isascii():
        text = _IN_WORD_MARKS.sub("", text)
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        at = match.start()
        if (
            at >= 2
            and text[at - 1] in "'’"
            and text[at - 2].isalnum()
            and not (text[at - 2].isdigit() and len(word) > 1)
        ):
            # An ending after an apostrophe ("Bakü'nün"); after a number it is kept, to say
            # what the number is ("1990'larda", "F-16'larla").
            continue
        if (
            at >= 3
            and text[at - 1] in "'’"
            and text[at - 2] == " "
            and text[at - 3].isalpha()
            and len(word) <= _MAX_DETACHED
            and _ending_chain(fold(word))
        ):
            continue  # the same ending typed apart from its word ("Aliyev 'in", "Bakü 'nün")
        if "'" in word or "’" in word:
            word = _APOSTROPHE.split(word)[0]
        out.append(word if cased else word.lower().replace("i\u0307", "i"))  # Turkish İ lowered
    return out


@dataclass(frozen=True, slots=True)
class Gloss:
    """A question as the English matcher reads it."""

    english: str  # the English words, in the question's order
    typed: Mapping[str, str]  # each English word -> the word the user typed for it
    known: int  # words the lexicon knew (content or filler)
    total: int  # words in the question


class Lexicon:
    """One language's words, ready to read questions with. Built once per knowledge."""

    def __init__(self, translation: Translation) -> None:
        self.code = translation.code
        self.stop_words: frozenset[str] = frozenset(fold(w) for w in translation.stopwords)
        self.stop: frozenset[str] = self.stop_words | frozenset(
            _stem(self.code, w.lower()) for w in translation.stopwords
        )
        self.exact: dict[str, str] = {}  # folded word -> English
        # Words as written (lower case, accents kept) where two differ only by accents
        # ("neçə" how many, "necə" how; "öldü" died, "oldu" happened): typed with its accents,
        # a word is that word, not the first one folding alike.
        self.written: dict[str, str] = {}
        self.written_stop: frozenset[str] = frozenset()
        self.stems: dict[str, str] = {}  # stem -> English
        # first word's stem -> (each word's stem, each word as written, English)
        self.phrases: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], str]]] = {}
        for key, english in translation.words.items():
            parts = tokens(key)
            if not parts:
                continue
            if len(parts) > 1:
                forms = tuple(self._base(p) for p in parts)
                raws = tuple(fold(p) for p in parts)
                self.phrases.setdefault(forms[0], []).append((forms, raws, english))
                continue
            self.exact.setdefault(fold(parts[0]), english)
            self.stems.setdefault(self._base(parts[0]), english)
            self.written.setdefault(parts[0], english)
        # Only words with a twin meaning something else (filler included) are kept as written.
        meanings: dict[str, set[str]] = {}
        for word, english in self.written.items():
            meanings.setdefault(fold(word), set()).add(english)
        for word in translation.stopwords:
            meanings.setdefault(fold(word), set()).add("")

        def twinned(word: str) -> bool:
            return len(meanings.get(fold(word), ())) > 1

        self.written = {w: e for w, e in self.written.items() if twinned(w)}
        self.written_stop = frozenset(w.lower() for w in translation.stopwords if twinned(w))
        for options in self.phrases.values():
            options.sort(key=lambda o: -len(o[0]))  # the longest phrase first
        # Phrases by the first letters of their first word: a typed word may begin with it.
        self._phrase_starts: dict[str, list[str]] = {}
        for form in self.phrases:
            if len(form) >= _MIN_PREFIX:
                self._phrase_starts.setdefault(form[:_MIN_PREFIX], []).append(form)
        self._by_letter: dict[str, list[str]] = {}
        for word in self.exact:
            self._by_letter.setdefault(word[:1], []).append(word)
        self._stems_by_letter: dict[str, list[str]] = {}
        for stem in self.stems:
            self._stems_by_letter.setdefault(stem[:1], []).append(stem)

    @property
    def share(self) -> float:
        """How much of a typed word a lexicon word it begins with must be: less in Turkish and
        Azerbaijani, whose endings stack ("ordusunun" is "ordu" + "su" + "nun")."""
        return 0.4 if self.code in _SOFTENING else 0.5

    def _base(self, word: str) -> str:
        return _stem(self.code, word)

    def word(self, word: str, *, slip: bool = True, accented: bool = True) -> str | None:
        """The English for one typed word (lower case), or None (``slip``: with one slip;
        ``accented``: the question is typed with accents, so a word without them has none)."""
        folded = fold(word)
        found = (
            (self.written.get(word) if accented or not word.isascii() else None)
            or self.exact.get(folded)
            or self.stems.get(self._base(word))
        )
        if found is not None:
            return found
        found = self._root(folded)
        if found is not None:
            return found
        for length in range(len(folded) - 1, _MIN_PREFIX - 1, -1):
            if length < len(folded) * self.share:
                break
            start = folded[:length]
            found = self.exact.get(start) or self.stems.get(start)
            if found is None and self.code in _SOFTENING and start[-1] in _SOFTENED:
                # Turkish and Azerbaijani soften a final consonant before a vowel ending:
                # "toprağı" is "toprak", "kitabı" is "kitap".
                found = self.exact.get(start[:-1] + _SOFTENED[start[-1]])
            if found is not None:
                return found
        if slip and len(folded) >= 6:
            near = _nearest(folded, self._by_letter.get(folded[:1], ()))
            if near is not None:
                return self.exact[near]
            if self.code in _STEMMERS and not isinstance(self, LatinLexicon):
                # A slip in a word with endings ("перемерия"): its stem, with one slip.
                base = self._base(word)
                if len(base) >= _SLIP_ROOT:
                    near = _nearest(base, self._stems_by_letter.get(base[:1], ()))
                    if near is not None:
                        return self.stems[near]
            if self.code in _SOFTENING:
                # A slip in a word with endings ("ateşkezi", "müharibesinde"): the word
                # before a whole chain of endings, with one slip.
                for cut in range(len(folded) - 1, _SLIP_ROOT - 1, -1):
                    if not _ending_chain(folded[cut:]):
                        continue
                    near = _nearest(folded[:cut], self._by_letter.get(folded[:1], ()))
                    if near is not None:
                        return self.exact[near]
        return None

    def _lookup(self, start: str) -> str | None:
        """The English of a lexicon word ``start`` (folded), or of its softened form."""
        found = self.exact.get(start) or self.stems.get(start)
        if found is None and start[-1] in _SOFTENED:
            found = self.exact.get(start[:-1] + _SOFTENED[start[-1]])
        return found

    def _root(self, folded: str) -> str | None:
        """Turkish and Azerbaijani: the English of the longest lexicon word ``folded`` is
        followed by nothing but endings ("sürüb" is "sür" + "üb"), or None."""
        if self.code not in _SOFTENING:
            return None
        for length in range(len(folded) - 1, _MIN_ROOT - 1, -1):
            if _ending_chain(folded[length:]):
                found = self._lookup(folded[:length])
                if found is not None:
                    return found
        return None

    def rooted(self, word: str) -> bool:
        """Turkish and Azerbaijani: a lexicon word followed by a whole chain of endings."""
        return self._root(fold(word)) is not None

    def ending(self, word: str) -> bool:
        """A word that is only endings, typed apart from the number it belongs to ("90 larda",
        "F-16 larla", "F-16-ները", "90-х")."""
        if self.code in _SOFTENING:
            return len(word) > 1 and _ending_chain(fold(word))
        return fold(word) in _NUMBER_ENDINGS.get(self.code, ())

    def knows(self, word: str) -> bool:
        """A word the lexicon has, exactly or by its stem (a name written alike included)."""
        return fold(word) in self.exact or self._base(word) in self.stems

    def own(self, word: str) -> bool:
        """A word of this language the lexicon knows as such (exactly or by its stem), and not
        a name every language writes alike."""
        folded = fold(word)
        found = self.exact.get(folded) or self.stems.get(self._base(word))
        # Not a name spelled another way either ("sarkisian" is "sarkissian").
        return found is not None and fuzz.ratio(fold(found), folded) < 80

    def _same(self, word: str, form: str, raw: str) -> bool:
        """A typed word is the phrase word ``raw`` (stem ``form``): written so, or another form
        of it, unless it is a word of its own ("какое" is "which", not "как" in "как именно")."""
        folded = fold(word)
        if folded == raw:
            return True
        if folded in self.exact:
            return False
        if self._base(word) == form:
            return True
        if (
            self.code in _SOFTENING
            and len(raw) >= _MIN_ROOT
            and folded.startswith(raw)
            and _ending_chain(folded[len(raw) :])
        ):
            return True  # "qüvvəyə minib" is the phrase "qüvvəyə min"
        if (
            len(form) >= _MIN_PREFIX
            and folded.startswith(form)
            and len(form) >= len(folded) * self.share
        ):
            return True
        # One slip in a word of a phrase whose first word was typed right ("ne zman").
        return (
            len(raw) >= _MIN_PREFIX + 1
            and len(folded) >= _MIN_PREFIX
            and folded[:1] == raw[:1]
            and fuzz.ratio(folded, raw) >= _SLIP_SCORE
        )

    def _phrase(self, said: Sequence[str], at: int) -> tuple[int, str] | None:
        """The longest phrase of the lexicon starting at ``said[at]``: (its length, English)."""
        first = said[at]
        base, folded = self._base(first), fold(first)
        options = self.phrases.get(base) or self.phrases.get(folded) or []
        if not options and folded not in self.exact:
            for form in self._phrase_starts.get(folded[:_MIN_PREFIX], ()):
                found = self.phrases[form]
                if self._same(first, form, found[0][1][0]):
                    options = found
                    break
        for forms, raws, english in options:
            n = len(forms)
            if at + n <= len(said) and all(
                self._same(said[at + k], forms[k], raws[k]) for k in range(n)
            ):
                return n, english
        return None

    def _decade(self, number: str, after: str) -> str:
        """A number as English reads it: in Turkish and Azerbaijani, a round one with a plural
        ending is a decade ("90larda" is "in the 1990s", "1990'lar" the 1990s)."""
        if (
            self.code in _SOFTENING
            and fold(after)[:3] in ("lar", "ler")
            and len(number) in (2, 4)
            and number.endswith("0")
        ):
            return f"{'19' if len(number) == 2 else ''}{number}s"
        return number

    def is_filler(self, word: str, *, accented: bool = True) -> bool:
        if accented or not word.isascii():
            if word in self.written_stop:
                return True
            if word in self.written:
                return False  # "yeni" (new) is not the filler "yəni" (that is)
        folded = fold(word)
        if folded in self.stop_words:
            return True
        base = self._base(word)
        if base == folded and folded in self.exact:
            # A word the stemmer leaves whole, that the lexicon has as written, is that word,
            # not filler another word stems to ("не", not, is not "ней", her, stemmed).
            return False
        return folded in self.stop or base in self.stop

    def gloss(self, text: str) -> Gloss:
        return self._gloss(tokens(text), tokens(text, cased=True))

    def _gloss(self, said: list[str], shown: list[str]) -> Gloss:
        """``said``: the words as read; ``shown``: as typed, for what the reply says it doesn't
        mention."""
        english: list[str] = []
        typed: dict[str, str] = {}
        known = 0
        # Typed with accents anywhere: a word typed without them is meant without them
        # ("başarısız oldu" is "oldu", happened; "kac kisi oldu" may be "öldü", died).
        accented = not all(w.isascii() for w in said)
        i = 0
        while i < len(said):
            phrase = self._phrase(said, i)
            if phrase is not None:
                n, words = phrase
                for w in words.split():
                    english.append(w)
                    typed.setdefault(w.casefold(), " ".join(shown[i : i + n]))
                known += n
                i += n
                continue
            word = said[i]
            i += 1
            if word.isdigit():
                english.append(self._decade(word, said[i] if i < len(said) else ""))
                continue
            if i >= 2 and said[i - 2].isdigit() and self.ending(word):
                known += 1  # "90larda", "F-16 larla": the number's endings
                continue
            if self.is_filler(word, accented=accented):
                known += 1
                continue
            if (
                i >= 2
                and self.code in _SOFTENING
                and len(word) <= _MAX_DETACHED
                and _ending_chain(fold(word))
                and not self.knows(word)
                and not self.rooted(word)
            ):
                known += 1  # "Aliyev 'in", "artsakh in": the last word's endings, typed apart
                continue
            found = self.word(word, accented=accented)
            if found is not None:
                known += 1
                for w in found.split():
                    english.append(w)
                    typed.setdefault(w.casefold(), shown[i - 1])
                continue
            # Unknown: kept as typed, capitalised so the English reader takes it for a name
            # and never "corrects" it into an English word.
            name = word[:1].upper() + word[1:]
            english.append(name)
            typed.setdefault(fold(name), shown[i - 1])
        return Gloss(" ".join(english), typed, known, len(said))


# --- Armenian typed in Latin letters ----------------------------------------------------------

# Armenian letters (folded) as people type them in Latin letters, aspirated and plain alike
# (թ and տ are both "t"), so one spelling of a word stands for the ways it is typed.
_ARMENIAN_LATIN = str.maketrans(
    {
        "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y",
        "թ": "t", "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h",
        "ձ": "dz", "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o",
        "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r",
        "ց": "ts", "ւ": "v", "փ": "p", "ք": "k", "օ": "o", "ֆ": "f",
    }
)  # fmt: skip
# Latin spellings of one Armenian letter, made one: "x" and "kh" are խ, "q" and "k" are ք/կ.
_LATIN_SPELLINGS = (("ch", "\0"), ("x", "kh"), ("q", "k"), ("w", "v"), ("c", "ts"),
                    ("\0", "ch"), ("ou", "u"), ("th", "t"), ("ph", "p"))  # fmt: skip


def armenian_latin(word: str) -> str:
    """One Armenian word (folded) in the Latin letters it is typed with, and a Latin-typed
    word in the same spelling: "հրադադարը" and "hradadary" are both "hradadary"."""
    if not word.isascii():
        word = word.replace("ու", "u").replace("եւ", "ev").translate(_ARMENIAN_LATIN)
    if word.isascii():
        for old, new in _LATIN_SPELLINGS:
            word = word.replace(old, new)
        if word.startswith("ye"):
            word = word[1:]  # "Yerevan": ե at the start of a word is said "ye"
        elif word.startswith("vo"):
            word = word[1:]  # "vor": so is ո, "vo"
    return word


_LATIN_NUMBER_ENDINGS = frozenset(armenian_latin(e) for e in _NUMBER_ENDINGS["hy"])


# --- Russian typed in Latin letters ------------------------------------------------------------

# Russian letters (folded: ё is е, й is и) as people type them in Latin letters ("kto takoi
# pashinyan", "chto skazal lavrov"), and the ways one letter is typed made one: "kh", "h" and
# "x" are х; "y", "j" and "i" are й, ы and и; "ya", "ia" and "ja" are я.
_RUSSIAN_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    }
)  # fmt: skip
_RUSSIAN_SPELLINGS = (("shch", "sh"), ("sch", "sh"), ("kh", "h"), ("x", "h"), ("tch", "\0"),
                      ("ch", "\0"), ("c", "ts"), ("tz", "ts"), ("\0", "ch"), ("w", "v"),
                      ("ph", "f"), ("q", "k"), ("y", "i"), ("j", "i"))  # fmt: skip
_DOUBLED = re.compile(r"([^aeiou])\1+")  # a doubled consonant ("sarkissian") is one
_VOWEL_IE = re.compile(r"(^|[aeiou])i(?=e)")


def russian_latin(word: str) -> str:
    """One Russian word (folded) in the Latin letters it is typed with, and a Latin-typed
    word in the same spelling: "пашинян" and "pashinyan" are both "pashinian"; "такой",
    "takoy" and "takoi" are "takoi"; "ереван" and "yerevan" are "erevan"."""
    if not word.isascii():
        word = word.translate(_RUSSIAN_LATIN)
    if word.isascii():
        for old, new in _RUSSIAN_SPELLINGS:
            word = word.replace(old, new)
        word = _VOWEL_IE.sub(r"\1", _DOUBLED.sub(r"\1", word))  # "ye" after a vowel is е
    return word


class LatinLexicon(Lexicon):
    """A lexicon of Snowball-stemmed Armenian or Russian words read in Latin letters: its
    words, stems and phrases spelled by ``armenian_latin`` or ``russian_latin``; a typed word
    matches by its beginning (both add endings: "vashingtonum" is "Վաշինգտոն" + "ում",
    "peremiriya" is "перемир" + "ия"), then with one slip."""

    def __init__(self, of: Lexicon) -> None:
        self.code = of.code
        spell = self.spell = russian_latin if of.code == "ru" else armenian_latin
        self.stop = frozenset(spell(w) for w in of.stop)
        self.stop_words = frozenset(spell(w) for w in of.stop_words)
        self.written, self.written_stop = {}, frozenset()
        self.exact = {}
        for word, english in of.exact.items():
            self.exact.setdefault(spell(word), english)
        self.stems = {}
        for stem, english in of.stems.items():
            self.stems.setdefault(spell(stem), english)
        self.phrases = {}
        for options in of.phrases.values():
            for forms, raws, english in options:
                latin = tuple(spell(f) for f in forms)
                raw = tuple(spell(r) for r in raws)
                self.phrases.setdefault(latin[0], []).append((latin, raw, english))
        for options in self.phrases.values():
            options.sort(key=lambda o: -len(o[0]))
        self._phrase_starts = {}
        for form in self.phrases:
            if len(form) >= _MIN_PREFIX:
                self._phrase_starts.setdefault(form[:_MIN_PREFIX], []).append(form)
        self._by_letter = {}
        for word in self.exact:
            self._by_letter.setdefault(word[:1], []).append(word)

    def _base(self, word: str) -> str:
        return self.spell(fold(word))

    def spelled(self, word: str) -> str:
        """A typed word in this lexicon's Latin spelling."""
        return self.spell(fold(word))

    def ending(self, word: str) -> bool:
        """An ending typed after a number, in Latin letters ("F-16erov")."""
        return self.code == "hy" and word in _LATIN_NUMBER_ENDINGS

    def gloss(self, text: str) -> Gloss:
        said = [self.spell(fold(w)) for w in tokens(text)]
        return self._gloss(said, tokens(text, cased=True))


# --- which language --------------------------------------------------------------------------

# Words that mark a Latin-script language the bot does not read (a question in French is
# not an English question full of unknown words).
# fmt: off
_OTHER_LATIN = frozenset((
    "le", "la", "les", "est", "une", "des", "du", "qui", "quoi", "pourquoi", "comment", "ou",
    "où", "et", "der", "die", "das", "und", "ist", "wer", "was", "warum", "wie", "nicht", "el",
    "los", "las", "que", "qué", "quién", "por", "cómo", "está", "il", "che", "chi", "perché",
    "è", "o", "os", "quem", "não",
))
# fmt: on


def _script(ch: str) -> str:
    code = ord(ch)
    if 0x0530 <= code <= 0x058F or 0xFB13 <= code <= 0xFB17:
        return "hy"
    if 0x0400 <= code <= 0x04FF:
        return "ru"
    if ch.isascii() or 0x00C0 <= code <= 0x024F or ch in "əƏ":
        return "latin"
    return OTHER


def _latin_score(
    lexicon: LatinLexicon,
    text: str,
    said: Sequence[str],
    english: frozenset[str],
    others: Sequence[Lexicon],
) -> float:
    """How much ``said`` reads as Armenian or Russian typed in Latin letters: its filler and the
    words its lexicon reads (by their beginning too: both languages add many endings), spelled
    as typed; no word English has, names included ("karabakh"). A short word counts as a word
    the lexicon has exactly ("ov" who, "kto" who), or Russian filler, that Turkish and
    Azerbaijani do not use ("ne" is their what, "da" their too); an Armenian ը typed "@"
    ("pashinyan@") counts too. It must read two words, and more than any other language."""
    score = 0.0
    for w in said:
        if fold(w) in english:
            continue
        spelled = lexicon.spelled(w)
        if lexicon.is_filler(spelled):
            if (
                len(spelled) > 3
                or lexicon.code == "hy"
                or not any(o.is_filler(w) or o.knows(w) for o in others)
            ):
                score += 1
        elif len(spelled) > 3:
            found = lexicon.word(spelled, slip=False)
            if found is not None and not found.startswith(spelled[:4]):
                score += 1  # not a name written alike ("armenias")
        elif spelled in lexicon.exact and not any(o.is_filler(w) or o.knows(w) for o in others):
            score += 1
    if lexicon.code == "hy":
        score += len(_ARMENIAN_ARTICLE.findall(text))
    return score


# The Armenian article ը typed "@" at the end of a word ("erdoghan@", "pashinyan@").
_ARMENIAN_ARTICLE = re.compile(r"(?<=[^\W\d_])@(?![^\W_])")


def detect(
    text: str,
    lexicons: Mapping[str, Lexicon],
    english: frozenset[str],
    hint: str | None = None,
    common: frozenset[str] | None = None,
    latin: Mapping[str, LatinLexicon] | None = None,
) -> str:
    """The language of ``text``: "en", a code of ``lexicons``, or "other".

    The script decides first (Armenian letters are Armenian, Cyrillic is Russian, Chinese or
    Arabic is a language the bot does not read); Latin text is the language whose words it uses
    most (``english``: English words; each lexicon: its words and filler), with ə, x and q
    counting for Azerbaijani; a word a lexicon knows counts for English only when it is a
    common English word (``common``), not a name or a knowledge term alone; Armenian typed in
    Latin letters is read by ``latin``. ``hint`` (the Telegram user's language) settles short
    or ambiguous text: "Aliyev?" from a Russian user is answered in Russian.
    """
    letters: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = _script(ch)
            letters[script] = letters.get(script, 0) + 1
    if not letters:
        return hint if hint is not None and hint in lexicons else ENGLISH
    script = max(letters, key=lambda s: letters[s])
    if script == OTHER and letters[OTHER] * 2 > sum(letters.values()):
        return OTHER
    if script in ("hy", "ru"):
        return script if script in lexicons else OTHER
    said = tokens(text)
    if text.isascii() and (hint is None or len(said) > 2) and all(w in english for w in said):
        return ENGLISH  # every word an English one: the common case, decided at once
    foreign = sum(1 for w in said if w in _OTHER_LATIN)
    if foreign >= 2 and foreign > sum(1 for w in said if w in english and w not in _OTHER_LATIN):
        return OTHER
    # A name every language writes alike ("lavrov"), or a word of one of them that English
    # only has as a knowledge term or a rare word ("ne", "dedi"), tells nothing for English.
    scores: dict[str, float] = {}
    others = [lexicon for code, lexicon in lexicons.items() if code in _SOFTENING]
    typed = {
        code: _latin_score(lexicon, text, said, english, others)
        for code, lexicon in (latin or {}).items()
    }
    if typed.get("hy", 0) >= 2:
        scores["hy"] = typed["hy"]  # before English: a tie is Armenian
    scores[ENGLISH] = float(
        sum(
            1
            for w in said
            if fold(w) in english
            and len(w) > 1
            and not w.isdigit()  # "F-16" is no more English than Turkish
            and (
                common is None
                or fold(w) in common
                or not any(lexicon.knows(w) for lexicon in lexicons.values())
            )
        )
    )
    for code, lexicon in lexicons.items():
        if code in ("ru", "hy"):
            continue  # a Latin-typed Russian question reads as English words it knows
        # Words of that language itself: its filler, and words it knows exactly (not by a
        # beginning or a slip, which English typos would find too) that are not names shared
        # with English ("erdogan" is "erdogan" in every language).
        # A word English does not have that is a lexicon word and a whole chain of endings
        # ("yapacakmış" is "yap" + "acak" + "mış") counts half.
        score = 0.0
        for w in said:
            if lexicon.is_filler(w) or lexicon.own(w):
                score += 1
            elif fold(w) not in english and lexicon.rooted(w):
                score += 0.5
        if score:
            if code == "az":
                score += 1.5 * sum(1 for ch in text.lower() if ch == "ə")
            score += 0.5 * sum(1 for ch in text if ch in "ğşıİöüçĞŞÖÜÇ")
        scores[code] = score
    if typed.get("ru", 0) >= 2 and "ru" not in scores:
        scores["ru"] = typed["ru"]  # after the others: a tie is not Russian
    best = max(scores.values())
    tied = [code for code, score in scores.items() if score == best]
    if hint is not None and hint in tied:
        return hint
    if ENGLISH in tied:
        # English words and names alone ("Aliyev?"): the user's language, when the bot reads it.
        return hint if hint is not None and hint in lexicons and len(said) <= 2 else ENGLISH
    return tied[0]


def language_of(code: str | None) -> str | None:
    """A Telegram ``language_code`` ("ru", "tr", "az", "hy", "en-US") as one of ours."""
    if not code:
        return None
    base = code.lower().split("-")[0]
    return base if base in (*READ, ENGLISH) else None


# The lexicons built last, by the translation they were built from: loading checks the translated
# answers with a language's lexicon (bot/engine/translations.py) and the matcher then reads
# questions with it, so it is built once per load, not twice. A few loads are kept (a reload
# builds the new knowledge's while the old one still answers); the translation itself is kept
# with its lexicon, so its id is never another object's.
_BUILT: dict[int, tuple[Translation, Lexicon]] = {}
_BUILT_LOCK = threading.Lock()
_KEEP = 16


def lexicon_of(translation: Translation) -> Lexicon:
    """The lexicon of ``translation``, built once for that translation object."""
    with _BUILT_LOCK:
        found = _BUILT.get(id(translation))
        if found is not None and found[0] is translation:
            return found[1]
    lexicon = Lexicon(translation)
    with _BUILT_LOCK:
        if len(_BUILT) >= _KEEP:
            del _BUILT[next(iter(_BUILT))]  # the oldest
        _BUILT[id(translation)] = (translation, lexicon)
    return lexicon


class Readers:
    """Every language of the knowledge, ready to detect and read questions in."""

    def __init__(
        self,
        translations: Mapping[str, Translation],
        english: frozenset[str],
        common: frozenset[str] | None = None,
    ) -> None:
        self.lexicons = {code: lexicon_of(t) for code, t in translations.items()}
        self.english = english
        self.common = common
        # Armenian typed in Latin letters ("hradadary vashingtonum en haytararel?").
        # Armenian and Russian typed in Latin letters ("hradadary vashingtonum en haytararel?",
        # "kto takoi pashinyan").
        self.latin: dict[str, LatinLexicon] = {
            code: LatinLexicon(self.lexicons[code])
            for code in ("hy", "ru")
            if code in self.lexicons
        }
        self._smalltalk: dict[str, list[tuple[str, SmalltalkIntent]]] = {}
        self._chat_words: dict[str, frozenset[str]] = {}
        for code, translation in translations.items():
            said = [
                (" ".join(fold(w) for w in tokens(p)), i)
                for i in translation.smalltalk
                for p in i.patterns
            ]
            self._smalltalk[code] = said
            self._chat_words[code] = frozenset(w for p, _ in said for w in p.split())

    def detect(self, text: str, hint: str | None = None) -> str:
        return detect(text, self.lexicons, self.english, hint, self.common, self.latin)

    def gloss(self, code: str, text: str) -> Gloss:
        if code in self.latin and all(_script(ch) == "latin" for ch in text if ch.isalpha()):
            return self.latin[code].gloss(text)
        return self.lexicons[code].gloss(text)

    def smalltalk(self, code: str, text: str) -> SmalltalkIntent | None:
        """Small talk in that language ("привет", "teşekkürler"): only when every word of the
        text is a small-talk word, as in English."""
        said = [fold(w) for w in tokens(text)]
        if not said or not set(said) <= self._chat_words.get(code, frozenset()):
            return None
        joined = " ".join(said)
        best = max(
            self._smalltalk[code], key=lambda item: fuzz.ratio(joined, item[0]), default=None
        )
        return best[1] if best is not None else None
