"""Corrections to the article: `diff-article` reports what a new text changes and breaks, and
applies it with the quotes renumbered when nothing breaks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine, load_knowledge

INSERTED = "Editor's note: this article was updated to add the reactions below."


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, stdin=io.StringIO())
    return code, out.getvalue(), err.getvalue()


def corrected(knowledge: Path, tmp_path: Path, *, insert: bool = True, **words: str) -> Path:
    """The article with a paragraph inserted before the truce's announcement (paragraph 7),
    and each ``old=new`` phrase replaced."""
    lines = (knowledge / "article.txt").read_text("utf-8").split("\n")
    if insert:
        at = next(i for i, line in enumerate(lines) if line.startswith("The truce was announced"))
        lines.insert(at, INSERTED)
    text = "\n".join(lines)
    for old, new in words.items():
        assert old.replace("_", " ") in text
        text = text.replace(old.replace("_", " "), new)
    path = tmp_path / "new-article.txt"
    path.write_text(text, "utf-8")
    return path


def test_a_citation_the_new_text_breaks_is_reported_at_its_line_and_nothing_changes(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    new = corrected(knowledge_copy, tmp_path, insert=False, Terter_and_Lachin="Tartar and Lachin")
    before = (knowledge_copy / "article.txt").read_bytes()
    code, out, err = run(["diff-article", "--knowledge", str(knowledge_copy), str(new)])
    assert code == 1
    quotes = (knowledge_copy / "quotes.yaml").read_text("utf-8").splitlines()
    line = next(i for i, text in enumerate(quotes, 1) if text == "- id: az-mod-shelling")
    assert f"quotes.yaml:{line}: quote 'az-mod-shelling' is no longer in the article" in out
    assert "[Terter \u2192 Tartar]" in out
    assert "edited: 3" in out and "renumbered" not in out
    assert "nothing was changed" in err
    code, _, _ = run(["diff-article", "--knowledge", str(knowledge_copy), str(new), "--apply"])
    assert code == 1 and (knowledge_copy / "article.txt").read_bytes() == before


def test_an_inserted_paragraph_renumbers_the_quotes_after_it(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = corrected(knowledge_copy, tmp_path)
    code, out, _ = run(["diff-article", "--knowledge", str(knowledge_copy), str(new)])
    assert code == 0
    assert "new: 7" in out and "renumbered, words unchanged: 7-27 are now 8-28" in out
    assert "new or edited paragraphs no entry cites: 7" in out
    assert "hajiyev-violations" in out  # among the quotes renumbered
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run(["diff-article", "--knowledge", str(knowledge_copy), str(new), "--apply"])
    assert code == 0 and "Applied." in out
    assert (knowledge_copy / "article.txt").read_text("utf-8") == new.read_text("utf-8")
    # The folder is valid as it stands, and answers cite the paragraphs' new numbers.
    reply = Engine(load_knowledge(knowledge_copy)).ask("Who brokered the truce?")
    assert {c.paragraph for c in reply.citations} == {1, 8}
    assert list((tmp_path / "data" / "backups").glob("*-article.txt"))


def test_the_same_paragraphs_in_another_layout_change_nothing(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    text = (knowledge_copy / "article.txt").read_text("utf-8")
    new = tmp_path / "spaced.txt"
    new.write_text(text.replace("\n", "\n\n") + "\n", "utf-8")
    code, out, _ = run(["diff-article", "--knowledge", str(knowledge_copy), str(new)])
    assert code == 0
    assert "the paragraphs are the same, word for word" in out
    assert "citations no longer" not in out
