"""What the bot remembers between restarts (SQLite): misses to learn from, feedback, usage stats.

Personal data is kept to what the features need: the text of questions the bot could not answer
and of answers their asker gave a thumbs down (so admins can add phrasings), the chat type, and a
salted hash of the voter's user id (so a vote counts once per user per answer). No names, no
user ids, no texts of questions answered without complaint. Rows older
than the retention (``STORE_RETENTION_DAYS``, 90 by default) are deleted.

Reading never holds up answering: :meth:`Store.record` only appends to a buffer, the writer has
its own lock, and every read (``/stats``, ``/unanswered``) opens its own read-only connection,
which SQLite's WAL mode lets run beside the writer. A file that is not this bot's database (not
SQLite, malformed, truncated, another schema) is moved aside with a timestamp and replaced by a
fresh one: it holds only statistics, feedback and misses, never what the bot needs to answer.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

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
CREATE INDEX IF NOT EXISTS events_ts ON events (ts, kind);
CREATE INDEX IF NOT EXISTS events_entry ON events (entry, ts) WHERE entry IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_question ON events (question, ts) WHERE question IS NOT NULL;
CREATE TABLE IF NOT EXISTS feedback (
    answer_key TEXT NOT NULL,      -- which answer message (salted hash of chat:message)
    voter TEXT NOT NULL,           -- salted hash of the user id
    entry TEXT,
    vote INTEGER NOT NULL,         -- +1 or -1
    ts REAL NOT NULL,
    PRIMARY KEY (answer_key, voter)
);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts);
CREATE TABLE IF NOT EXISTS disliked (
    answer_key TEXT PRIMARY KEY,   -- the answer a user gave a thumbs down (as in feedback)
    question TEXT NOT NULL,        -- what they had asked, as normalised
    entry TEXT,                    -- the entry it got
    ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS disliked_ts ON disliked (ts);
CREATE TABLE IF NOT EXISTS triage (
    question TEXT PRIMARY KEY,     -- a miss, as normalised
    action TEXT NOT NULL,          -- needs_entry | ignored | added
    ts REAL NOT NULL
);
"""
# Columns this code reads and writes, per table: a file with others is not ours.
COLUMNS = {
    "meta": {"key", "value"},
    "events": {"id", "ts", "kind", "entry", "question", "chat_type"},
    "feedback": {"answer_key", "voter", "entry", "vote", "ts"},
    "disliked": {"answer_key", "question", "entry", "ts"},
    "triage": {"question", "action", "ts"},
}
TRIAGE = ("needs_entry", "ignored", "added")
RETENTION_DAYS = 90.0
PRUNE_EVERY = 3_600.0  # seconds between deletions of expired rows

DAY = 86_400.0
WINDOWS = (("last day", DAY), ("last week", 7 * DAY), ("all time", None))
# Questions kept as text, for /unanswered: what the bot could not answer, answered only with a
# related point (a near miss), or had to clarify.
LEARN_FROM = ("no_answer", "near_miss", "clarify")
DISLIKED = "disliked"  # an answer its asker gave a thumbs down (a Miss's kind)


@dataclass(frozen=True, slots=True)
class Miss:
    question: str
    count: int
    last_seen: float
    kind: str  # how it was mostly handled: one of LEARN_FROM, or DISLIKED
    got: str | None = None  # for DISLIKED: the entry the thumbs down was given on


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


def _unusable(exc: sqlite3.DatabaseError) -> bool:
    """The file is not (or no longer) this bot's database, as opposed to a disk problem."""
    text = str(exc).lower()
    return any(
        sign in text
        for sign in ("not a database", "malformed", "quick_check", "columns", "no such column")
    )


def normalise_question(text: str) -> str:
    """Group the same miss typed with different case and spacing."""
    return " ".join(text.split()).strip(" ?!.").casefold()[:500]


class Store:
    """A small thread-safe SQLite store; every write is one short transaction.

    Questions handled are buffered in memory by :meth:`record` (called for every answer, on the
    event loop: microseconds) and written by :meth:`flush` in one transaction; the bot flushes
    within a second, and every read and :meth:`close` flush first, so nothing read is stale.
    """

    def __init__(self, path: Path, retention_days: float = RETENTION_DAYS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention = retention_days * DAY
        self._buffered = threading.Lock()  # the buffer only: record() never waits for SQLite
        self._lock = threading.Lock()  # the writing connection
        self._buffer: list[tuple[float, str, str | None, str | None, str]] = []
        self._pruned_at = 0.0
        try:
            self._db, self._salt = self._open()
        except sqlite3.DatabaseError as exc:
            if not _unusable(exc):
                raise  # a full disk or a read-only folder: the file itself may be fine
            self._db, self._salt = self._replace(exc)
        self.prune()

    def _open(self) -> tuple[sqlite3.Connection, str]:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync: durable across crashes of the bot, not of the machine, and
            # no fsync per question.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            for table, wanted in COLUMNS.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if have != wanted:
                    raise sqlite3.DatabaseError(f"table {table} has columns {sorted(have)}")
            row = db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
            if row is None:
                salt = secrets.token_hex(16)
                db.execute("INSERT INTO meta VALUES ('salt', ?)", (salt,))
            else:
                salt = str(row[0])
        except BaseException:
            db.close()
            raise
        return db, salt

    def _replace(self, exc: sqlite3.DatabaseError) -> tuple[sqlite3.Connection, str]:
        """Move an unusable file aside (with its WAL files) and start a fresh one."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.unusable-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.replace(Path(f"{aside}{suffix}"))
        log.warning(
            "%s is not a usable database (%s): moved it to %s and started a fresh one "
            "(statistics, feedback and misses recorded before are in the old file)",
            self.path,
            exc,
            aside.name,
        )
        return self._open()

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

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection of its own: reads wait for no lock of the writer's."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            yield db
        finally:
            db.close()

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()

    def prune(self, now: float | None = None) -> int:
        """Delete what is older than the retention; the number of rows deleted."""
        now = now or time.time()
        self._pruned_at = now
        if self.retention <= 0:
            return 0
        before = now - self.retention
        with self._tx() as db:
            gone = db.execute("DELETE FROM events WHERE ts < ?", (before,)).rowcount
            gone += db.execute("DELETE FROM feedback WHERE ts < ?", (before,)).rowcount
            gone += db.execute("DELETE FROM disliked WHERE ts < ?", (before,)).rowcount
            gone += db.execute("DELETE FROM triage WHERE ts < ?", (before,)).rowcount
        return gone

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
        with self._buffered:
            self._buffer.append((now or time.time(), kind, entry, text, chat_type))

    def flush(self) -> None:
        """Write the buffered questions in one transaction (dropped if SQLite refuses), and
        delete expired rows once in a while."""
        with self._buffered:
            rows, self._buffer = self._buffer, []
        if rows:
            with self._tx() as db:
                db.executemany(
                    "INSERT INTO events (ts, kind, entry, question, chat_type) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        if time.time() - self._pruned_at >= PRUNE_EVERY:
            self.prune()

    def voter_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:32]

    def vote(
        self,
        answer_key: str,
        user_id: int,
        entry: str | None,
        vote: int,
        now: float | None = None,
        *,
        question: str | None = None,
    ) -> bool:
        """Record a thumbs up/down; a user's later vote on the same answer replaces the first.

        A thumbs down on the answer to ``question`` keeps that question for /unanswered (an
        answer its asker found wrong is a miss to learn from); a later thumbs up withdraws it.
        Returns False when the same vote was already recorded (nothing changed).
        """
        voter = self.voter_hash(user_id)
        # Hashed like the voter: "chat:message" would keep the chat id, which is the user's id.
        answer_key = hashlib.sha256(f"{self._salt}:answer:{answer_key}".encode()).hexdigest()[:32]
        when = now or time.time()
        with self._tx() as db:
            row = db.execute(
                "SELECT vote FROM feedback WHERE answer_key=? AND voter=?", (answer_key, voter)
            ).fetchone()
            if row is not None and row[0] == vote:
                return False
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?)",
                (answer_key, voter, entry, vote, when),
            )
            if vote < 0 and question and question.strip():
                db.execute(
                    "INSERT OR REPLACE INTO disliked VALUES (?, ?, ?, ?)",
                    (answer_key, normalise_question(question), entry, when),
                )
            elif vote > 0:
                db.execute("DELETE FROM disliked WHERE answer_key=?", (answer_key,))
            return True

    # --- reading -----------------------------------------------------------------------------

    def unanswered(
        self, limit: int = 15, since_days: float = 30.0, now: float | None = None
    ) -> list[Miss]:
        """The most frequent recent questions the bot abstained on, answered only with a related
        point, had to clarify, or answered and got a thumbs down for; not those triaged."""
        since = (now or time.time()) - since_days * DAY
        self.flush()
        with self._reader() as db:
            rows = db.execute(
                "SELECT question, COUNT(*), MAX(ts), SUM(kind='no_answer'), "
                "  SUM(kind='near_miss'), SUM(kind='clarify'), SUM(kind='disliked'), "
                "  MAX(CASE WHEN kind='disliked' THEN entry END) "
                "FROM (SELECT question, ts, kind, NULL AS entry FROM events "
                "      WHERE question IS NOT NULL AND ts >= ? "
                "      UNION ALL SELECT question, ts, 'disliked', entry FROM disliked "
                "      WHERE ts >= ?) "
                "WHERE question NOT IN (SELECT question FROM triage) "
                "GROUP BY question ORDER BY COUNT(*) DESC, MAX(ts) DESC LIMIT ?",
                (since, since, limit),
            ).fetchall()
        misses = []
        for q, n, last, *counts, got in rows:
            # The way it was most often handled (ties: thumbs down, no answer, near miss).
            kinds = (*LEARN_FROM, DISLIKED)
            kind = max(zip(counts, (3, 2, 1, 4), kinds, strict=True))[2]
            misses.append(Miss(q, n, last, kind, got if kind == DISLIKED else None))
        return misses

    def triage(self, question: str, action: str, now: float | None = None) -> None:
        """An admin's decision on a miss: it leaves /unanswered; "needs_entry" ones are listed by
        :meth:`needing_entries` (and /export)."""
        if action not in TRIAGE:
            raise ValueError(f"unknown triage action {action!r}")
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO triage VALUES (?, ?, ?)",
                (normalise_question(question), action, now or time.time()),
            )

    def needing_entries(self) -> list[str]:
        """Misses an admin marked as needing a new entry, oldest first."""
        with self._reader() as db:
            rows = db.execute(
                "SELECT question FROM triage WHERE action='needs_entry' ORDER BY ts"
            ).fetchall()
        return [q for (q,) in rows]

    def stats(self, now: float | None = None, top: int = 5) -> list[WindowStats]:
        now = now or time.time()
        result = []
        self.flush()
        with self._reader() as db:
            for label, span in WINDOWS:
                since = now - span if span else 0.0
                counts = dict(
                    db.execute(
                        "SELECT kind, COUNT(*) FROM events WHERE ts >= ? GROUP BY kind", (since,)
                    ).fetchall()
                )
                entries = db.execute(
                    "SELECT entry, COUNT(*) FROM events WHERE ts >= ? AND entry IS NOT NULL "
                    "GROUP BY entry ORDER BY COUNT(*) DESC, entry LIMIT ?",
                    (since, top),
                ).fetchall()
                misses = db.execute(
                    "SELECT question, COUNT(*) FROM events WHERE ts >= ? AND question IS NOT NULL"
                    " GROUP BY question ORDER BY COUNT(*) DESC, question LIMIT ?",
                    (since, top),
                ).fetchall()
                up, down = db.execute(
                    "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) "
                    "FROM feedback WHERE ts >= ?",
                    (since,),
                ).fetchone()
                result.append(WindowStats(label, counts, entries, misses, up, down))
        return result
