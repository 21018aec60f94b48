"""Admins change knowledge safely: validated whole, written atomically, backed up, undoable."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from bot.curation import Curator
from bot.engine import Engine, load_knowledge
from bot.tg import deliverable

NEW_ENTRY = """
- id: lachin-region
  questions:
    - Where is the Lachin region mentioned?
    - lachin region villages
  answer: >-
    Azerbaijan's Defense Ministry says Armenian troops shelled villages in the Lachin region.
  cite:
    - az-mod-shelling
"""


def curator_for(knowledge_copy: Path, tmp_path: Path) -> Curator:
    return Curator(Engine(load_knowledge(knowledge_copy)), knowledge_copy, tmp_path / "data")


def test_good_upload_is_applied_backed_up_and_served(knowledge_copy: Path, tmp_path: Path) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    outcome = curator.upload("qa.yaml", original + NEW_ENTRY.encode())
    assert outcome.applied, outcome.text()
    assert "added (1): lachin-region" in outcome.text()
    assert (knowledge_copy / "qa.yaml").read_bytes().endswith(NEW_ENTRY.encode())
    backups = [p for p in (tmp_path / "data" / "backups").iterdir() if p.name.endswith("qa.yaml")]
    assert [p.read_bytes() for p in backups] == [original]
    assert curator.engine.answer_entry("lachin-region") is not None


def test_fabricated_citation_is_rejected_and_nothing_changes(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    before = (knowledge_copy / "qa.yaml").read_bytes()
    bad = (
        before
        + NEW_ENTRY.replace(
            "- az-mod-shelling", '- "Armenian troops shelled the city of Ganja"'
        ).encode()
    )
    outcome = curator.upload("qa.yaml", bad)
    assert not outcome.applied
    assert any(
        e.file == "qa.yaml" and "does not appear verbatim" in e.message for e in outcome.errors
    )
    assert "keeps serving" in outcome.message
    assert (knowledge_copy / "qa.yaml").read_bytes() == before
    assert curator.engine.ask("who brokered the truce").entry == "who-brokered"


def test_rollback_restores_the_previous_version(knowledge_copy: Path, tmp_path: Path) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    assert curator.upload("qa.yaml", original + NEW_ENTRY.encode()).applied
    outcome = curator.rollback()
    assert outcome.applied and "removed (1): lachin-region" in outcome.text()
    assert (knowledge_copy / "qa.yaml").read_bytes() == original
    assert curator.engine.answer_entry("lachin-region") is None
    assert "Nothing to roll back" in curator.rollback().message


def test_an_edit_on_disk_is_picked_up_or_reported(knowledge_copy: Path, tmp_path: Path) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    assert curator.changed_on_disk() is None
    qa = knowledge_copy / "qa.yaml"
    good = qa.read_bytes()
    qa.write_bytes(good + NEW_ENTRY.encode())
    outcome = curator.changed_on_disk()
    assert outcome is not None and outcome.applied
    assert curator.engine.answer_entry("lachin-region") is not None
    qa.write_bytes(good + b"\n- id: [broken\n")
    outcome = curator.changed_on_disk()
    assert outcome is not None and not outcome.applied
    assert outcome.errors and outcome.errors[0].file == "qa.yaml"
    assert curator.engine.answer_entry("lachin-region") is not None  # old knowledge still serves
    assert curator.changed_on_disk() is None  # a broken save is reported once


def test_only_knowledge_files_and_reasonable_sizes(knowledge_copy: Path, tmp_path: Path) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    assert "not a knowledge file" in curator.upload("evil.py", b"print(1)").message
    assert "larger than" in curator.upload("qa.yaml", b"#" * 600_000).message
    same = (knowledge_copy / "qa.yaml").read_bytes()
    assert "same as the current" in curator.upload("qa.yaml", same).message


def test_a_change_that_hurts_the_evaluation_set_is_refused(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    (knowledge_copy / "eval.yaml").write_text(
        "- {q: 'who brokered the truce', expect: who-brokered}\n"
        "- {q: 'what is the weather in baku', expect: null}\n",
        encoding="utf-8",
    )
    curator = curator_for(knowledge_copy, tmp_path)
    qa = (knowledge_copy / "qa.yaml").read_text(encoding="utf-8")
    # A careless phrasing makes the bot answer a question the article says nothing about.
    sponsored = "    - Who sponsored the ceasefire?\n"
    careless = qa.replace(sponsored, sponsored + "    - What is the weather in Baku?\n")
    outcome = curator.upload("qa.yaml", careless.encode())
    assert not outcome.applied
    assert "accuracy" in outcome.message and "100.0% -> 50.0%" in outcome.text()
    assert "now failing: what is the weather in baku" in outcome.text()
    assert (knowledge_copy / "qa.yaml").read_text(encoding="utf-8") == qa


def test_questions_during_a_swap_get_old_or_new_answers_never_errors(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    # Only the new knowledge's lachin-region entry answers this; the old one answers it with
    # another entry, so every reply tells which knowledge served it.
    question = "lachin region villages"
    old = curator.engine.ask(question).entry
    assert old is not None and old != "lachin-region"
    errors: list[BaseException] = []
    served: list[str | None] = []
    seen_new = threading.Event()
    seen_old = threading.Event()
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                entry = curator.engine.ask(question).entry
            except BaseException as exc:  # the point of the test: nothing may escape
                errors.append(exc)
                return
            served.append(entry)
            (seen_new if entry == "lachin-region" else seen_old).set()
            # A pause between questions: askers that never yield the GIL starve the swap.
            stop.wait(0.005)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            seen_new.clear()
            assert curator.upload("qa.yaml", original + NEW_ENTRY.encode()).applied
            assert seen_new.wait(10), "the new knowledge never answered"
            seen_old.clear()
            assert curator.rollback().applied
            assert seen_old.wait(10), "the old knowledge never answered after the rollback"
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert set(served) == {old, "lachin-region"}


def test_export_returns_the_files_served(knowledge_copy: Path, tmp_path: Path) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    exported = dict(curator.export())
    assert set(exported) >= {"qa.yaml", "quotes.yaml", "synonyms.yaml"}
    assert exported["qa.yaml"] == (knowledge_copy / "qa.yaml").read_bytes()
    assert not any(name.startswith(".") for name in os.listdir(knowledge_copy))


def test_a_folder_that_cannot_be_written_is_reported_not_crashed(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()

    replace = os.replace

    def read_only(source: str, target: str) -> None:  # a read-only knowledge mount (even to root)
        if Path(target).parent == knowledge_copy:
            raise OSError(30, "Read-only file system")
        replace(source, target)

    monkeypatch.setattr(os, "replace", read_only)
    outcome = curator.upload("qa.yaml", original + NEW_ENTRY.encode())
    assert not outcome.applied and "could not write the knowledge folder" in outcome.message
    assert "Read-only file system" in outcome.message
    assert (knowledge_copy / "qa.yaml").read_bytes() == original
    assert curator.engine.answer_entry("lachin-region") is None
    # No backup is recorded for a write that failed: /rollback has nothing to undo.
    assert "Nothing to roll back" in curator.rollback().message
    assert not list((tmp_path / "data" / "backups").glob("*qa.yaml"))


def test_a_torn_backup_journal_is_read_past(knowledge_copy: Path, tmp_path: Path) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    assert curator.upload("qa.yaml", original + NEW_ENTRY.encode()).applied
    with (tmp_path / "data" / "backups" / "journal.jsonl").open("a") as journal:
        journal.write('{"file": "qa.yaml", "backup": "2026')  # a crash mid-write
    outcome = curator.rollback()
    assert outcome.applied, outcome.text()
    assert (knowledge_copy / "qa.yaml").read_bytes() == original


def test_a_broken_evaluation_set_is_reported_not_raised(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    eval_file = knowledge_copy / "eval.yaml"
    eval_file.unlink()
    eval_file.write_text("- {q: [unclosed\n", encoding="utf-8")
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    outcome = curator.upload("qa.yaml", original + NEW_ENTRY.encode())
    assert not outcome.applied and "eval.yaml cannot be read" in outcome.message
    assert outcome.errors and outcome.errors[0].file == "eval.yaml"
    assert (knowledge_copy / "qa.yaml").read_bytes() == original


def test_a_message_telegram_would_refuse_is_refused_at_its_line(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = Curator(
        Engine(load_knowledge(knowledge_copy)),
        knowledge_copy,
        tmp_path / "data",
        check=deliverable.problems,
    )
    conversation = (knowledge_copy / "conversation.yaml").read_text()
    line = next(
        n for n, text in enumerate(conversation.splitlines(), 1) if "no_answer_group:" in text
    )
    too_long = conversation.replace(
        'no_answer_group: "The article doesn\'t cover that."',
        f'no_answer_group: "{"The article does not cover that. " * 130}"',
    )
    outcome = curator.upload("conversation.yaml", too_long.encode())
    assert not outcome.applied
    [error] = outcome.errors
    assert (error.file, error.line) == ("conversation.yaml", line)
    assert "Telegram sends at most 4096" in error.message
    # An answer that would take a dozen messages is refused too, naming its entry.
    qa = (knowledge_copy / "qa.yaml").read_text()
    huge = qa + NEW_ENTRY.replace(
        "Azerbaijan's Defense Ministry says Armenian troops shelled villages in the Lachin region.",
        "Azerbaijan's Defense Ministry says Armenian troops shelled villages. " * 600,
    )
    outcome = curator.upload("qa.yaml", huge.encode())
    assert not outcome.applied
    assert any("lachin-region" in e.message and "at most 3" in e.message for e in outcome.errors)
    assert curator.engine.knowledge.messages["no_answer_group"] == "The article doesn't cover that."
    # Saved on disk instead of uploaded: refused the same way, and the old message keeps serving.
    (knowledge_copy / "conversation.yaml").write_text(too_long)
    on_disk = curator.changed_on_disk()
    assert on_disk is not None and not on_disk.applied
    assert "could not be sent on Telegram" in on_disk.message
    assert [(e.file, e.line) for e in on_disk.errors] == [("conversation.yaml", line)]
    assert curator.engine.knowledge.messages["no_answer_group"] == "The article doesn't cover that."
    assert curator.changed_on_disk() is None  # reported once, not at every look


def test_a_copied_folder_keeps_its_gate_and_a_dangling_link_does_not_break_uploads(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    # The evaluation set is a real file of the folder: a copy (cp -r, a Docker volume) has it.
    assert (knowledge_copy / "eval.yaml").is_file() and not (
        knowledge_copy / "eval.yaml"
    ).is_symlink()
    (knowledge_copy / "notes.yaml").symlink_to(tmp_path / "gone.yaml")  # points nowhere
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    outcome = curator.upload("qa.yaml", original + NEW_ENTRY.encode())
    assert outcome.applied, outcome.text()
    assert outcome.evaluation is not None  # the gate ran
    assert curator.rollback().applied
    assert (knowledge_copy / "qa.yaml").read_bytes() == original


def test_answers_emptied_of_their_grounding_need_confirmation(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    qa = (knowledge_copy / "qa.yaml").read_text()
    # Every answer replaced by a refusal still routes every evaluation question.
    emptied = re.sub(r"(?m)^(  answer: ).*(\n    .*)*", r"\1I would rather not say.", qa)
    outcome = curator.upload("qa.yaml", emptied.encode())
    assert not outcome.applied and outcome.confirm
    assert "no longer share a word with their own quotes" in outcome.message
    assert (knowledge_copy / "qa.yaml").read_text() == qa
    confirmed = curator.upload("qa.yaml", emptied.encode(), confirmed=True)
    assert confirmed.applied, confirmed.text()


def test_removing_many_entries_needs_confirmation(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without an evaluation set to catch it, and with the share lowered to what this knowledge
    # can lose while staying valid (entries named by follow-ups and examples must stay).
    (knowledge_copy / "eval.yaml").unlink()
    monkeypatch.setattr("bot.curation.MAX_REMOVED_SHARE", 0.1)
    curator = curator_for(knowledge_copy, tmp_path)
    knowledge = curator.engine.knowledge
    named = set(knowledge.examples).union(*(e.followups for e in knowledge.entries.values()))
    gone = [i for i in knowledge.entries if i not in named]
    assert len(gone) > 4
    blocks = (knowledge_copy / "qa.yaml").read_text().split("\n- id: ")
    kept = [b for b in blocks if b.split("\n", 1)[0].strip() not in gone]
    outcome = curator.upload("qa.yaml", "\n- id: ".join(kept).encode())
    assert not outcome.applied and outcome.confirm, outcome.text()
    assert f"it removes {len(gone)} of the 40 entries" in outcome.message
    assert curator.upload("qa.yaml", "\n- id: ".join(kept).encode(), confirmed=True).applied


def test_an_upload_built_on_an_older_copy_is_refused_with_the_change_it_would_undo(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    exported = dict(curator.export(who=1))["qa.yaml"]
    theirs = exported + NEW_ENTRY.encode()
    assert curator.upload("qa.yaml", theirs).applied  # another admin, meanwhile
    mine = exported.replace(b"Who brokered", b"Who mediated", 1)
    outcome = curator.upload("qa.yaml", mine, base=curator.base_of(1, "qa.yaml"))
    assert not outcome.applied and outcome.confirm
    assert "has changed since your copy was exported" in outcome.message
    assert any(
        "+  - id: lachin-region" in line or "lachin-region" in line for line in outcome.details
    )
    assert curator.upload("qa.yaml", mine, base=exported, confirmed=True).applied


def test_an_exported_copy_is_still_known_after_a_restart(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    exported = dict(curator_for(knowledge_copy, tmp_path).export(who=1))["qa.yaml"]
    restarted = curator_for(knowledge_copy, tmp_path)  # the same data folder, a new process
    assert restarted.upload("qa.yaml", exported + NEW_ENTRY.encode()).applied  # another admin
    mine = exported.replace(b"Who brokered", b"Who mediated", 1)
    outcome = restarted.upload("qa.yaml", mine, base=restarted.base_of(1, "qa.yaml"))
    assert not outcome.applied and outcome.confirm
    assert "has changed since your copy was exported" in outcome.message


def test_a_miss_added_as_a_phrasing_is_gated_like_an_upload(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = curator_for(knowledge_copy, tmp_path)
    original = (knowledge_copy / "qa.yaml").read_text()
    added = curator.add_phrasing("hajiyev", "whats the scoop on hajiyev")
    assert added.applied and "changed (1): hajiyev" in added.text()
    assert curator.engine.ask("whats the scoop on hajiyev").entry == "hajiyev"
    # The rest of the file is untouched: one line more, comments and layout kept.
    after = (knowledge_copy / "qa.yaml").read_text().splitlines()
    assert len(after) == len(original.splitlines()) + 1
    # A phrasing that would route evaluation questions elsewhere is refused, naming them.
    wrong = curator.add_phrasing("lavrov", "who brokered this truce")
    assert not wrong.applied and "it would break" in wrong.message
    assert "now failing:" in wrong.text()
    assert curator.rollback().applied  # undoes the phrasing like any change
    assert (knowledge_copy / "qa.yaml").read_text() == original
