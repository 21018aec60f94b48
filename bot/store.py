"""What the bot remembers between restarts (SQLite): misses to learn from, feedback, usage stats.

Personal data is kept to what the features need: the text of questions the bot could not answer
(so admins can add phrasings), the chat type, and a salted hash of the voter's user id (so a vote
counts once per user per answer). No names, no chat ids, no answered question texts.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,            -- answer | clarify | smalltalk | no_answer
    entry TEXT,                    -- the entry answered, if any
    question TEXT,                 -- kept only for no_answer and clarify
    chat_type TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE TABLE IF NOT EXISTS feedback (
    answer_key TEXT NOT NULL,      -- which answer message
    voter TEXT NOT NULL,           -- salted hash of the user id
    entry TEXT,
    vote INTEGER NOT NULL,         -- +1 or -1
    ts REAL NOT NULL,
    PRIMARY KEY (answer_key, voter)
);
"""

DAY = 86_400.0
WINDOWS = (("last day", DAY), ("last week", 7 * DAY), ("all time", None))
LEARN_FROM = ("no_answer", "clarify")


@dataclass(frozen=True, slots=True)
class Miss:
    question: str
    count: int
    last_seen: float
    kind: str


@dataclass(frozen=True, slots=True)
class WindowStats:
    label: str
    counts: dict[str, int]  # kind -> count
    top_entries: list[tuple[str, int]]
    top_misses: list[tuple[str, int]]
    up: int
    down: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def normalise_question(text: str) -> str:
    """Group the same miss typed with different case and spacing."""
    return " ".join(text.split()).strip(" ?!.").casefold()[:500]


class Store:
    """A small thread-safe SQLite store; every call is one short transaction.

    Questions handled are buffered in memory by :meth:`record` (called for every answer, on the
    event loop: microseconds) and written by :meth:`flush` in one transaction; the bot flushes
    within a second, and every read and :meth:`close` flush first, so nothing read is stale.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        # WAL with NORMAL sync: durable across crashes of the bot, not of the machine, and no
        # fsync per question.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
        if row is None:
            salt = secrets.token_hex(16)
            self._db.execute("INSERT INTO meta VALUES ('salt', ?)", (salt,))
        else:
            salt = row[0]
        self._salt = salt
        self._buffer: list[tuple[float, str, str | None, str | None, str]] = []

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()

    # --- recording ---------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        chat_type: str,
        *,
        entry: str | None = None,
        question: str | None = None,
        now: float | None = None,
    ) -> None:
        """One question handled (buffered until :meth:`flush`). Question text is kept only when
        the bot could not answer."""
        text = normalise_question(question) if question and kind in LEARN_FROM else None
        with self._lock:
            self._buffer.append((now or time.time(), kind, entry, text, chat_type))

    def flush(self) -> None:
        """Write the buffered questions in one transaction (dropped if SQLite refuses)."""
        with self._lock:
            rows, self._buffer = self._buffer, []
        if rows:
            with self._tx() as db:
                db.executemany(
                    "INSERT INTO events (ts, kind, entry, question, chat_type) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )

    def voter_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:32]

    def vote(
        self, answer_key: str, user_id: int, entry: str | None, vote: int, now: float | None = None
    ) -> bool:
        """Record a thumbs up/down; a user's later vote on the same answer replaces the first.

        Returns False when the same vote was already recorded (nothing changed).
        """
        voter = self.voter_hash(user_id)
        with self._tx() as db:
            row = db.execute(
                "SELECT vote FROM feedback WHERE answer_key=? AND voter=?", (answer_key, voter)
            ).fetchone()
            if row is not None and row[0] == vote:
                return False
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?)",
                (answer_key, voter, entry, vote, now or time.time()),
            )
            return True

    # --- reading -----------------------------------------------------------------------------

    def unanswered(
        self, limit: int = 15, since_days: float = 30.0, now: float | None = None
    ) -> list[Miss]:
        """The most frequent recent questions the bot abstained on or had to clarify."""
        since = (now or time.time()) - since_days * DAY
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT question, COUNT(*), MAX(ts), "
                "  SUM(kind='no_answer') >= SUM(kind='clarify') "
                "FROM events WHERE question IS NOT NULL AND ts >= ? "
                "GROUP BY question ORDER BY COUNT(*) DESC, MAX(ts) DESC LIMIT ?",
                (since, limit),
            ).fetchall()
        return [
            Miss(q, n, last, "no_answer" if mostly_no else "clarify")
            for q, n, last, mostly_no in rows
        ]

    def stats(self, now: float | None = None, top: int = 5) -> list[WindowStats]:
        now = now or time.time()
        result = []
        self.flush()
        with self._lock:
            for label, span in WINDOWS:
                since = now - span if span else 0.0
                counts = dict(
                    self._db.execute(
                        "SELECT kind, COUNT(*) FROM events WHERE ts >= ? GROUP BY kind", (since,)
                    ).fetchall()
                )
                entries = self._db.execute(
                    "SELECT entry, COUNT(*) FROM events WHERE ts >= ? AND entry IS NOT NULL "
                    "GROUP BY entry ORDER BY COUNT(*) DESC, entry LIMIT ?",
                    (since, top),
                ).fetchall()
                misses = self._db.execute(
                    "SELECT question, COUNT(*) FROM events WHERE ts >= ? AND question IS NOT NULL"
                    " GROUP BY question ORDER BY COUNT(*) DESC, question LIMIT ?",
                    (since, top),
                ).fetchall()
                up, down = self._db.execute(
                    "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) "
                    "FROM feedback WHERE ts >= ?",
                    (since,),
                ).fetchone()
                result.append(WindowStats(label, counts, entries, misses, up, down))
        return result
