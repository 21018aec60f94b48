"""Synthetic knowledge of any size, built from the real one, for measuring how matching scales
(tests/engine/test_many_articles.py and benchmarks/bench.py).

Each synthetic entry is a real entry whose names, places and key nouns are replaced by invented
words (deterministic, seeded), so entries share the article's common vocabulary ("truce", "who",
"accuse") but each has rare words of its own: the matcher cannot shortcut on exact duplicates.
Each pass over the real entries makes one synthetic article (``Entry.article``), as a knowledge
base of many articles would hold them. The real entries stay in, so the evaluation set still has
its answers.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from bot.engine import Knowledge
from bot.engine.model import Entry

_SYLLABLES = (
    "ka",
    "ro",
    "vi",
    "le",
    "tan",
    "mar",
    "zu",
    "pel",
    "dor",
    "shi",
    "nav",
    "tek",
    "bul",
    "gor",
    "ani",
    "sel",
    "tro",
    "mi",
    "dan",
    "ost",
    "ru",
    "fen",
    "lak",
    "zo",
)
# Words of the real knowledge that name things; synthetic entries get their own instead.
_NAMED = re.compile(
    r"\b(Azerbaijan\w*|Armenia\w*|Azeri\w*|Baku|Yerevan|Karabakh|Nagorno-Karabakh|Artsakh|"
    r"Russia\w*|Moscow|Turk\w*|Ankara|United States|US|Washington|NATO|Aliyev|Pashinyan|"
    r"Hajiyev|Sarkissian|Lavrov|Erdogan|Pompeo|Terter|Lachin|F-16s?|Hikmet|Ilham|Nikol|"
    r"Sergei|Armen|Mike|Recep Tayyip|September|Sunday|Monday|Friday|1992)\b",
    re.IGNORECASE,
)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic(knowledge: Knowledge, size: int, seed: int = 7) -> Knowledge:
    """``knowledge`` plus synthetic entries, ``size`` entries in all."""
    rng = random.Random(seed)
    real = list(knowledge.entries.values())
    entries: dict[str, Entry] = dict(knowledge.entries)
    n = 0
    while len(entries) < size:
        base = real[n % len(real)]
        n += 1
        names: dict[str, str] = {}

        def rename(match: re.Match[str], names: dict[str, str] = names) -> str:
            key = match.group(0).casefold()
            if key not in names:
                names[key] = _word(rng)
            return names[key]

        # Keep a few phrasings per synthetic entry so 100,000 entries fit in memory. Each is
        # about its own invented place, as entries about other articles would be.
        place = _word(rng)
        phrasings = []
        for q in rng.sample(base.questions, k=min(4, len(base.questions))):
            renamed = _NAMED.sub(rename, q)
            phrasings.append(renamed if renamed != q else f"{q.rstrip('?')} in {place}?")
        entry_id = f"s{n}-{base.id}"[:40]
        entries[entry_id] = replace(
            base,
            id=entry_id,
            article=f"synthetic-{(n - 1) // len(real)}",
            questions=tuple(phrasings),
            answer=_NAMED.sub(rename, base.answer),
            label="",
            followups=(),
            citations=tuple(replace(c, quote=_NAMED.sub(rename, c.quote)) for c in base.citations),
        )
    return replace(knowledge, entries=entries)
