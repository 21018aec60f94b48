"""Keeping the knowledge current: reload, upload, rollback, export; whole or not at all.

Every change is validated completely (the same ``load_knowledge`` as ``python -m bot validate``)
on a candidate copy before anything on disk or in memory changes. A good change is written
atomically, the previous file is kept in ``BOT_DATA_DIR/backups/``, and the engine swaps to the new
knowledge in one assignment; a bad one changes nothing and reports ``file:line: message``.
No Telegram here: the bot's admin handlers and the tests call it alike.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine import Engine, KnowledgeError, KnowledgeProblem, load_knowledge
from bot.engine.correction import correct, renumbered
from bot.engine.evaluate import Report, evaluate, load_cases
from bot.engine.languages import READ
from bot.engine.load import load_article
from bot.engine.model import Article, Knowledge
from bot.engine.schema import KNOWLEDGE_FILES, QUOTES, file_name
from bot.engine.translations import UNUSED

log = logging.getLogger(__name__)

EDITABLE = KNOWLEDGE_FILES  # the YAML files an admin may replace (and the article's text)
TRANSLATION_FILES = tuple(file_name(code) for code in READ)  # ru.yaml, tr.yaml, az.yaml, hy.yaml
EVAL_FILE = "eval.yaml"
QA_FILE = "qa.yaml"  # an evaluation set in the knowledge folder gates every change
MAX_UPLOAD_BYTES = 512_000
REGRESSION_TOLERANCE = 1.0  # accuracy points a change may lose before it is refused
# A change removing more than this share of the entries needs the admin's confirmation.
MAX_REMOVED_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class KnowledgeDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    coverage: tuple[int, int]

    def lines(self) -> list[str]:
        out = []
        for label, ids in (
            ("added", self.added),
            ("removed", self.removed),
            ("changed", self.changed),
        ):
            if ids:
                out.append(f"{label} ({len(ids)}): {', '.join(ids)}")
        if not out:
            out.append("no entries added, removed or changed")
        out.append(f"coverage: {self.coverage[0]}/{self.coverage[1]} paragraphs cited")
        return out


# Checks a candidate engine (and the folder its files were validated in) for what the chat front
# end could not deliver.
Check = Callable[[Engine, Path], list[KnowledgeProblem]]


def diff(old: Knowledge, new: Knowledge) -> KnowledgeDiff:
    before, after = old.entries, new.entries
    changed = tuple(sorted(i for i in before.keys() & after.keys() if before[i] != after[i]))
    return KnowledgeDiff(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=changed,
        coverage=new.coverage,
    )


@dataclass(frozen=True, slots=True)
class EvalComparison:
    before: float
    after: float
    newly_failing: tuple[str, ...]
    newly_passing: tuple[str, ...]

    @property
    def regressed(self) -> bool:
        return self.after < self.before - REGRESSION_TOLERANCE

    def lines(self) -> list[str]:
        out = [f"evaluation: {self.before:.1f}% -> {self.after:.1f}%"]
        out += [f"  now failing: {q}" for q in self.newly_failing[:10]]
        out += [f"  now passing: {q}" for q in self.newly_passing[:10]]
        return out


@dataclass(frozen=True)
class Outcome:
    """What an admin is told: applied or not, the diff, the evaluation, or every problem."""

    applied: bool
    message: str
    diff: KnowledgeDiff | None = None
    errors: tuple[KnowledgeProblem, ...] = ()
    evaluation: EvalComparison | None = None
    details: list[str] = field(default_factory=list)
    # Not applied only because it needs the admin's confirmation (they may confirm it as is).
    confirm: bool = False

    def text(self) -> str:
        lines = [self.message]
        if self.diff is not None:
            lines += self.diff.lines()
        if self.evaluation is not None:
            lines += self.evaluation.lines()
        lines += [str(e) for e in self.errors]
        lines += self.details
        return "\n".join(lines)


def ungrounded(old: Knowledge, new: Knowledge, engine: Engine) -> list[str]:
    """New or changed entries whose answer shares no meaningful word with its own quotes: an
    answer emptied of its grounding ("I would rather not say.") still routes questions, so the
    evaluation set alone does not catch it."""
    found = []
    for entry_id, entry in sorted(new.entries.items()):
        if old.entries.get(entry_id) == entry or not entry.citations:
            continue
        said = engine.content_words(entry.answer)
        cited = frozenset().union(*(engine.content_words(c.quote) for c in entry.citations))
        # An answer with no meaningful word at all ("I would rather not say.") is no more
        # grounded than one with other words.
        if not said & cited:
            found.append(entry_id)
    return found


def _text_diff(before: bytes, after: bytes, name: str, limit: int = 30) -> list[str]:
    """A unified diff of a file, cut at ``limit`` lines."""
    lines = list(
        difflib.unified_diff(
            before.decode("utf-8", "replace").splitlines(),
            after.decode("utf-8", "replace").splitlines(),
            f"{name} (your copy)",
            f"{name} (now)",
            lineterm="",
            n=1,
        )
    )
    return lines[:limit] + (
        [f"... and {len(lines) - limit} more lines"] if len(lines) > limit else []
    )


def _with_phrasing(text: str, entry_id: str, question: str) -> str | None:
    """``text`` (qa.yaml) with ``question`` appended to the entry's block list of questions,
    the rest of the file untouched (comments and layout kept); None if there is no such list."""
    lines = text.split("\n")
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if re.match(rf"^-\s+id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*$", line)
        ),
        None,
    )
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("- ")), len(lines))
    head = next((i for i in range(start, end) if re.match(r"^\s+questions:\s*$", lines[i])), None)
    if head is None:
        return None
    last = head
    for i in range(head + 1, end):
        if re.match(r"^\s+-\s", lines[i]):
            last = i
        elif lines[i].strip():
            break
    indent = re.match(r"^(\s+)-", lines[last]).group(1) if last > head else "    "  # type: ignore[union-attr]
    lines.insert(last + 1, f"{indent}- {json.dumps(question, ensure_ascii=False)}")
    return "\n".join(lines)


def _compare(old: Engine, new: Engine, cases_path: Path) -> EvalComparison | None:
    if not cases_path.is_file():
        return None
    cases = load_cases(cases_path)
    before: Report = evaluate(old, cases)
    after: Report = evaluate(new, cases)
    failing = tuple(
        b.case.question
        for b, a in zip(before.outcomes, after.outcomes, strict=True)
        if b.passed and not a.passed
    )
    passing = tuple(
        b.case.question
        for b, a in zip(before.outcomes, after.outcomes, strict=True)
        if a.passed and not b.passed
    )
    return EvalComparison(before.accuracy(), after.accuracy(), failing, passing)


def _as_error(warning: str) -> KnowledgeProblem:
    """``file:line: message`` back into its parts."""
    name, line, message = [*warning.split(":", 2), "", ""][:3]
    return KnowledgeProblem(name, int(line) if line.isdigit() else 1, message.strip())


def _atomic_write(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fingerprint(directory: Path) -> dict[str, str]:
    """A hash of every file in the folder (whatever article.yaml names the article file)."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if path.is_file() and not path.name.startswith(".")
    }


class Curator:
    """Owns changes to one knowledge folder and the engine serving it. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        directory: Path,
        data_dir: Path,
        check: Check | None = None,
    ) -> None:
        self.engine = engine
        # What the chat front end cannot deliver (bot/tg/deliverable.py); refused like errors.
        self.check = check
        self.directory = directory
        self.backups = data_dir / "backups"
        self._journal = self.backups / "journal.jsonl"
        self._lock = threading.Lock()
        self._good = self._snapshot()
        self._prints = _fingerprint(directory)
        # Per admin, the files as they last exported or applied them (also on disk, in
        # BOT_DATA_DIR/bases/<admin id>/, read back after a restart).
        self._bases: dict[int, dict[str, bytes]] = {}
        self._bases_dir = data_dir / "bases"
        # Per admin, an article correction refused because citations must change with it: their
        # next quotes.yaml or qa.yaml is checked and applied together with it.
        self._corrections: dict[int, dict[str, bytes]] = {}

    def files(self) -> tuple[str, ...]:
        """The files an admin may replace: the YAML files (a language's, even one not there
        yet), and the article's text."""
        return (*EDITABLE, *TRANSLATION_FILES, self.engine.knowledge.article.file)

    def _snapshot(self) -> dict[str, bytes]:
        return {
            name: (self.directory / name).read_bytes()
            for name in self.files()
            if (self.directory / name).is_file()
        }

    # --- the one way knowledge changes ------------------------------------------------------

    def _candidate(self, replacements: dict[str, bytes]) -> tuple[Path, Knowledge]:
        """Validate the folder as it would be after the replacements, in a temporary copy."""
        workdir = Path(tempfile.mkdtemp(prefix="knowledge-candidate-"))
        candidate = workdir / "knowledge"
        # A dangling link in a copied folder must not fail every upload: it is no knowledge file.
        shutil.copytree(self.directory, candidate, ignore_dangling_symlinks=True)
        for name, content in replacements.items():
            (candidate / name).write_bytes(content)
        try:
            return workdir, load_knowledge(candidate)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise

    def _apply(
        self,
        replacements: dict[str, bytes],
        verb: str,
        *,
        confirmed: bool = False,
        strict: bool = False,
        done: str | None = None,
    ) -> Outcome:
        """Validate, evaluate and swap in the folder with ``replacements``; ``verb`` words the
        refusals ("Not applied: ..."), ``done`` the success (default: "Applied.")."""
        old = self.engine.knowledge
        try:
            workdir, knowledge = self._candidate(replacements)
        except KnowledgeError as exc:
            return Outcome(
                False,
                f"Not {verb}: the knowledge has {len(exc.problems)} problem(s); "
                "the current knowledge keeps serving.",
                errors=tuple(exc.problems),
            )
        # A translation file sent with a translation that fails its checks is refused at its
        # line; when the English changed instead, those translations fall back to the English
        # and the admin is told which (bot/engine/translations.py).
        dropped = [w for w in knowledge.warnings if UNUSED in w and w not in old.warnings]
        own = [w for w in dropped if w.split(":", 1)[0] in replacements]
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
            return Outcome(
                False,
                f"Not {verb}: {len(own)} translation(s) would not be used; the current "
                "knowledge keeps serving.",
                errors=tuple(_as_error(w) for w in own),
            )
        # The knowledge validated on the copy is the one served: it names the real folder.
        knowledge = dataclasses.replace(knowledge, directory=self.directory)
        candidate = Engine(knowledge)
        try:
            undeliverable = self.check(candidate, workdir / "knowledge") if self.check else []
            if undeliverable:
                return Outcome(
                    False,
                    f"Not {verb}: {len(undeliverable)} message(s) could not be sent on "
                    "Telegram; the current knowledge keeps serving.",
                    errors=tuple(undeliverable),
                )
            comparison = _compare(self.engine, candidate, workdir / "knowledge" / EVAL_FILE)
        except KnowledgeError as exc:  # a broken eval.yaml must not block every change
            return Outcome(
                False,
                f"Not {verb}: {EVAL_FILE} cannot be read; fix it first. The "
                "current knowledge keeps serving.",
                errors=tuple(KnowledgeProblem(EVAL_FILE, e.line, e.message) for e in exc.problems),
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        change = diff(old, knowledge)
        if not confirmed:
            reasons = []
            if len(change.removed) > MAX_REMOVED_SHARE * max(1, len(old.entries)):
                reasons.append(
                    f"it removes {len(change.removed)} of the {len(old.entries)} entries"
                )
            empty = ungrounded(old, knowledge, candidate)
            if empty:
                reasons.append(
                    f"{len(empty)} answer(s) no longer share a word with their own quotes: "
                    + ", ".join(empty[:10])
                )
            if reasons:
                return Outcome(
                    False,
                    f"Not {verb} yet: {'; '.join(reasons)}. Confirm to apply it anyway.",
                    diff=change,
                    evaluation=comparison,
                    confirm=True,
                )
        if comparison is not None and strict and comparison.newly_failing:
            # One phrasing should break nothing: any evaluation question it breaks refuses it.
            return Outcome(
                False,
                f"Not {verb}: it would break {len(comparison.newly_failing)} question(s) of "
                f"{EVAL_FILE}; the current knowledge keeps serving.",
                diff=change,
                evaluation=comparison,
            )
        if comparison is not None and comparison.regressed:
            return Outcome(
                False,
                f"Not {verb}: accuracy on {EVAL_FILE} would drop by more than "
                f"{REGRESSION_TOLERANCE:g} points; the current knowledge keeps "
                "serving.",
                diff=change,
                evaluation=comparison,
            )
        saved: list[tuple[str, Path]] = []
        change_id = f"{time.time_ns():x}"  # the files of one change are rolled back together
        try:
            for name in replacements:
                backup = self._save_backup(name, self._good.get(name))
                if backup is not None:
                    saved.append((name, backup))
        except OSError as exc:  # the data folder is full or read-only
            self._discard(saved)
            return Outcome(
                False,
                f"Not {verb}: could not keep a backup in {self.backups} ({exc}), so /rollback "
                "could not undo it; the current knowledge keeps serving.",
                diff=change,
                evaluation=comparison,
            )
        try:
            for name, content in replacements.items():
                _atomic_write(self.directory / name, content)
        except OSError as exc:  # a read-only mount, a full disk: say so; nothing was swapped
            self._discard(saved)
            return Outcome(
                False,
                f"Not {verb}: could not write the knowledge folder ({exc}); "
                "the current knowledge keeps serving.",
                diff=change,
                evaluation=comparison,
            )
        # Recorded only now that the write succeeded: a failed one leaves nothing to roll back.
        for name, backup in saved:
            self._record_backup(name, backup, change_id)
        self.engine.adopt(candidate)
        self._good = self._snapshot()
        self._prints = _fingerprint(self.directory)
        return Outcome(
            True,
            done or f"{verb.capitalize()}.",
            diff=change,
            evaluation=comparison,
            details=dropped,
        )

    def _backup(self, name: str, content: bytes | None) -> None:
        backup = self._save_backup(name, content)
        if backup is not None:
            self._record_backup(name, backup, f"{time.time_ns():x}")

    def _save_backup(self, name: str, content: bytes | None) -> Path | None:
        """Keep ``content`` (the version about to be replaced) in the backups folder."""
        if content is None:
            return None
        self.backups.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = self.backups / f"{stamp}-{time.time_ns() % 1_000_000:06d}-{name}"
        _atomic_write(path, content)
        return path

    def _record_backup(self, name: str, path: Path, change: str) -> None:
        """Make a kept version the one /rollback restores next (with the others of ``change``)."""
        record = {"file": name, "backup": path.name, "ts": time.time(), "change": change}
        with self._journal.open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(record) + "\n")

    @staticmethod
    def _discard(saved: list[tuple[str, Path]]) -> None:
        for _, path in saved:
            path.unlink(missing_ok=True)

    # --- what admins do ---------------------------------------------------------------------

    def reload(self) -> Outcome:
        """Re-read the folder as it is on disk."""
        with self._lock:
            return self._reload("reloaded")

    def _reload(self, verb: str) -> Outcome:
        old = self.engine.knowledge
        try:
            knowledge = load_knowledge(self.directory)
            engine = Engine(knowledge)
            undeliverable = self.check(engine, self.directory) if self.check else []
        except KnowledgeError as exc:
            self._prints = _fingerprint(self.directory)  # report a broken save once, not forever
            return Outcome(
                False,
                f"Not {verb}: the knowledge on disk has {len(exc.problems)} "
                "problem(s); the previous knowledge keeps serving.",
                errors=tuple(exc.problems),
            )
        if undeliverable:  # valid, but Telegram would refuse some of its messages
            self._prints = _fingerprint(self.directory)
            return Outcome(
                False,
                f"Not {verb}: {len(undeliverable)} message(s) could not be sent on Telegram; "
                "the previous knowledge keeps serving.",
                errors=tuple(undeliverable),
            )
        current = self._snapshot()
        for name, content in current.items():
            if self._good.get(name) not in (None, content):
                self._backup(name, self._good[name])  # so /rollback can undo an edit on disk
        self.engine.adopt(engine)
        self._good = current
        self._prints = _fingerprint(self.directory)
        return Outcome(True, f"Knowledge {verb}.", diff=diff(old, knowledge))

    def changed_on_disk(self) -> Outcome | None:
        """For the watcher: reload when a file changed since the last load, else None."""
        with self._lock:
            if _fingerprint(self.directory) == self._prints:
                return None
            return self._reload("reloaded after an edit on disk")

    def upload(
        self,
        name: str,
        content: bytes,
        *,
        base: bytes | None = None,
        confirmed: bool = False,
        who: int | None = None,
    ) -> Outcome:
        """Replace one knowledge file with an uploaded version, if the result is valid.

        ``base`` is the version the admin's file was made from (what /export sent them): if the
        file changed since (another admin's upload, an edit on disk), the upload would silently
        undo that change, so it is refused with that change shown, unless ``confirmed``.
        ``confirmed`` also lets through a change that removes many entries or empties answers
        of their grounding (see ``ungrounded``), and an article correction once its report was
        shown (see ``_correct``). ``who`` is the admin, whose article correction may be waiting
        for its citations.
        """
        files = self.files()
        if name not in files:
            return Outcome(
                False,
                f"Not applied: '{name}' is not a knowledge file. Send one of: {', '.join(files)}.",
            )
        if len(content) > MAX_UPLOAD_BYTES:
            return Outcome(False, f"Not applied: {name} is larger than {MAX_UPLOAD_BYTES} bytes.")
        article = self.engine.knowledge.article.file
        with self._lock:
            current = self._good.get(name)
            if current == content:
                dropped = name == article and self._corrections.pop(who or 0, None) is not None
                return Outcome(
                    False,
                    f"Not applied: {name} is the same as the current version"
                    + (
                        " (the correction that was waiting for its citations is dropped)."
                        if dropped
                        else "."
                    ),
                )
            stale: list[str] = []
            if not confirmed and base is not None and current is not None and base != current:
                stale = _text_diff(base, current, name)
            if name == article:
                return self._correct(content, who, confirmed=confirmed, stale=stale)
            if stale:
                return Outcome(
                    False,
                    f"Not applied yet: {name} has changed since your copy was exported (another "
                    "admin's upload or an edit on disk), and yours would undo that change. "
                    "Confirm to replace it anyway, or /export again and redo your edit.",
                    details=stale,
                    confirm=True,
                )
            waiting = self._corrections.get(who) if who is not None else None
            if waiting is not None and name in (QUOTES, QA_FILE):
                return self._with_correction(waiting, name, content, who, confirmed=confirmed)
            return self._apply({name: content}, "applied", confirmed=confirmed)

    def _correct(
        self, content: bytes, who: int | None, *, confirmed: bool, stale: list[str]
    ) -> Outcome:
        """A new text of the article (lock held): refused while the knowledge would not be valid
        with it (a citation no longer in it, an answer naming what it no longer says), and then
        kept for the corrected quotes.yaml or qa.yaml to come with it; applied, with quotes
        renumbered, once the admin has seen what it changes."""
        name = self.engine.knowledge.article.file
        try:
            new = load_article(self.directory, content)
        except KnowledgeError as exc:
            return Outcome(
                False,
                f"Not applied: the new {name} has {len(exc.problems)} problem(s); the current "
                "knowledge keeps serving.",
                errors=tuple(exc.problems),
            )
        quotes = self._good.get(QUOTES, b"").decode("utf-8", "replace")
        qa = self._good.get(QA_FILE, b"").decode("utf-8", "replace")
        report = correct(self.engine.knowledge, new, quotes, qa)
        replacements = self._renumbered({name: content}, new)
        problems = self._problems(replacements)
        if problems:
            if who is not None:
                self._corrections[who] = {name: content}
            shown = {(b.file, b.line) for b in report.broken}
            return Outcome(
                False,
                f"Not applied: with this text the knowledge would have {len(problems)} "
                f"problem(s). Send the files corrected to the new text ({QUOTES}, {QA_FILE}) "
                "next, one at a time: each is checked together with this correction, and all "
                "are applied at once when they are right. The current knowledge keeps serving.",
                errors=tuple(e for e in problems if (e.file, e.line) not in shown),
                details=report.lines(),
            )
        if not confirmed and (stale or not report.same):
            details = report.lines()
            if stale:
                details += [f"{name} has also changed since your copy was exported:", *stale]
            return Outcome(
                False,
                "Not applied yet: this is what the correction changes. Confirm to apply it.",
                details=details,
                confirm=True,
            )
        outcome = self._apply(replacements, "applied", confirmed=True)
        if outcome.applied and who is not None:
            self._corrections.pop(who, None)
        return dataclasses.replace(outcome, details=[*report.lines(), *outcome.details])

    def _renumbered(self, files: dict[str, bytes], article: Article) -> dict[str, bytes]:
        """``files`` with quotes.yaml (theirs, else the one served) renumbered to ``article``,
        included when it changes or was among them."""
        quotes = files.get(QUOTES, self._good.get(QUOTES, b"")).decode("utf-8", "replace")
        updated = renumbered(quotes, article)
        if QUOTES in files or updated != quotes:
            return {**files, QUOTES: updated.encode("utf-8")}
        return files

    def _problems(self, replacements: dict[str, bytes]) -> list[KnowledgeProblem]:
        """What validation says of the folder with ``replacements`` (nothing is written)."""
        try:
            workdir, _ = self._candidate(replacements)
        except KnowledgeError as exc:
            return list(exc.problems)
        shutil.rmtree(workdir, ignore_errors=True)
        return []

    def _with_correction(
        self,
        waiting: dict[str, bytes],
        name: str,
        content: bytes,
        who: int | None,
        *,
        confirmed: bool,
    ) -> Outcome:
        """quotes.yaml or qa.yaml sent after an article correction that needed it (lock held):
        the correction, the files sent with it before and this one are validated, gated and
        written as one change; while they are not right, they keep waiting together."""
        article = self.engine.knowledge.article.file
        try:
            new = load_article(self.directory, waiting[article])
        except (KnowledgeError, KeyError):  # article.yaml changed since: it no longer fits
            self._corrections.pop(who or 0, None)
            return self._apply({name: content}, "applied", confirmed=confirmed)
        files = self._renumbered({**waiting, name: content}, new)
        outcome = self._apply(files, "applied", confirmed=confirmed)
        if outcome.applied:
            self._corrections.pop(who or 0, None)
            return dataclasses.replace(
                outcome, message=f"Applied, together with your correction of {article}."
            )
        self._corrections[who or 0] = {**waiting, name: content}
        others = sorted(set(files) - {article})
        return dataclasses.replace(
            outcome,
            details=[
                *outcome.details,
                f"(checked together with your correction of {article} and {', '.join(others)}; "
                f"they keep waiting for the rest; send the current {article} again to drop them)",
            ],
        )

    def add_phrasing(self, entry_id: str, question: str) -> Outcome:
        """Add ``question`` (a user's miss) as a phrasing of ``entry_id`` in qa.yaml, through the
        same validation, gate, backup and /rollback as an upload."""
        with self._lock:
            current = self._good.get(QA_FILE)
            if current is None:
                return Outcome(False, f"Not added: there is no {QA_FILE}.")
            text = current.decode("utf-8")
            updated = _with_phrasing(text, entry_id, " ".join(question.split()))
            if updated is None:
                return Outcome(False, f"Not added: no entry '{entry_id}' with a questions list.")
            return self._apply({QA_FILE: updated.encode("utf-8")}, "added", strict=True)

    def rollback(self) -> Outcome:
        """Undo the last change: restore the file(s) it replaced, if the result is valid."""
        with self._lock:
            entries = self._journal_entries()
            if not entries:
                return Outcome(False, "Nothing to roll back: no earlier version is kept.")
            # The last change: its last entry and those written with it (an article correction
            # replaces the article and quotes.yaml at once). Older lines have no change id.
            change = entries[-1].get("change")
            group = [entries[-1]]
            while (
                change
                and len(group) < len(entries)
                and entries[-len(group) - 1].get("change") == change
            ):
                group.insert(0, entries[-len(group) - 1])
            restore: dict[str, bytes] = {}
            for entry in group:
                backup = self.backups / entry["backup"]
                if not backup.is_file():
                    return Outcome(False, f"Cannot roll back: backup {entry['backup']} is missing.")
                restore[entry["file"]] = backup.read_bytes()
            names = " and ".join(restore)
            outcome = self._apply(
                restore,
                "rolled back",
                done=f"Rolled back {names} to the version before the last change.",
            )
            if outcome.applied:
                # Drop the entries undone and those _apply just wrote for the versions replaced,
                # so a second /rollback goes one step further back.
                remaining = entries[: len(entries) - len(group)]
                self._journal.write_text(
                    "".join(json.dumps(e) + "\n" for e in remaining), encoding="utf-8"
                )
            return Outcome(
                outcome.applied,
                outcome.message,
                diff=outcome.diff,
                errors=outcome.errors,
                evaluation=outcome.evaluation,
            )

    def _journal_entries(self) -> list[dict[str, Any]]:
        """The backups /rollback can restore, oldest first. A line torn by a crash (or edited
        by hand) is read past: it must not make every later /rollback fail."""
        try:
            text = self._journal.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("file"), str)
                and isinstance(entry.get("backup"), str)
                and entry["file"] in self.files()
                and "/" not in entry["backup"]
            ):
                entries.append(entry)
        return entries

    def export(self, who: int | None = None) -> list[tuple[str, bytes]]:
        """The current knowledge files, as served; remembered as ``who``'s copy, so that an
        upload of theirs made from it is known to be built on it (``base_of``)."""
        with self._lock:
            if who is not None:
                self._bases[who] = dict(self._good)
                for name, content in self._good.items():
                    self._keep_base(who, name, content)
            return sorted(self._good.items())

    def base_of(self, who: int, name: str) -> bytes | None:
        """The version of ``name`` that ``who`` last exported or applied, if any (kept in the
        data folder too, so that a restart between /export and the upload loses nothing)."""
        with self._lock:
            known = self._bases.get(who, {}).get(name)
            if known is None:
                try:
                    known = (self._bases_dir / str(who) / name).read_bytes()
                except OSError:
                    return None
                self._bases.setdefault(who, {})[name] = known
            return known

    def applied_by(self, who: int, name: str, content: bytes) -> None:
        """``who``'s copy of ``name`` is now the one served."""
        with self._lock:
            self._bases.setdefault(who, {})[name] = content
            self._keep_base(who, name, content)

    def _keep_base(self, who: int, name: str, content: bytes) -> None:
        try:
            folder = self._bases_dir / str(who)
            folder.mkdir(parents=True, exist_ok=True)
            _atomic_write(folder / name, content)
        except OSError as exc:  # a full data folder: the base is still known until a restart
            log.warning("could not keep admin %s's copy of %s: %s", who, name, exc)
