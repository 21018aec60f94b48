"""Every knowledge problem is reported as file:line: message, and nothing invalid is served."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import KnowledgeError, load_knowledge


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path.name}")


def problems(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(e) for e in caught.value.problems]


def validate(directory: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(directory)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_shipped_knowledge_validates_with_full_coverage() -> None:
    code, out, err = validate(Path(__file__).resolve().parents[2] / "knowledge")
    assert code == 0, err
    assert "coverage: 27/27 body paragraphs cited" in out
    assert "all verified verbatim" in out


def test_fabricated_quote_is_rejected_with_its_line(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(
        qa,
        '    - "Karabakh conflict: US-brokered truce breaks down as Yerevan, Baku trade blame"\n'
        "  followups: [summary, article-source]",
        '    - "Russia has agreed to send peacekeepers to Karabakh"\n'
        "  followups: [summary, article-source]",
    )
    line = line_of(qa, "Russia has agreed to send peacekeepers")
    found = problems(knowledge_copy)
    assert any(
        p.startswith(f"qa.yaml:{line}: ") and "does not appear verbatim" in p for p in found
    ), found


def test_altered_quote_text_is_rejected_and_the_closest_passage_shown(knowledge_copy: Path) -> None:
    quotes = knowledge_copy / "quotes.yaml"
    edit(
        quotes,
        "The Azerbaijani side is exercising restraint.",
        "The Azerbaijani side is exercising great restraint.",
    )
    line = line_of(quotes, "exercising great restraint")
    found = problems(knowledge_copy)
    assert any(
        p.startswith(f"quotes.yaml:{line}: ") and "closest, paragraph 9" in p for p in found
    ), found


def test_citation_differing_only_in_whitespace_quotes_and_dashes_is_verbatim(
    knowledge_copy: Path,
) -> None:
    # The article writes ’ and — ; a citation typed with ' and - and extra spaces still verifies.
    edit(
        knowledge_copy / "qa.yaml",
        "    - hajiyev-status-quo\n  followups: [hajiyev, karabakh-status]",
        '    - "Armenia\'s goal is to preserve   the status quo based on occupation"\n'
        "  followups: [hajiyev, karabakh-status]",
    )
    knowledge = load_knowledge(knowledge_copy)
    citation = knowledge.entries["armenia-goal-claim"].citations[0]
    assert citation.quote == "Armenia’s goal is to preserve the status quo based on occupation"
    assert citation.paragraph == 9
    assert citation.speaker == "Hikmet Hajiyev"  # an excerpt of a known quotation keeps its speaker


def test_quote_in_the_wrong_paragraph_is_reported(knowledge_copy: Path) -> None:
    quotes = knowledge_copy / "quotes.yaml"
    start = line_of(quotes, "id: lavrov-call")
    edit(
        quotes,
        'relaunching the peace process,"\n  paragraph: 16',
        'relaunching the peace process,"\n  paragraph: 15',
    )
    found = problems(knowledge_copy)
    assert f"quotes.yaml:{start + 5}: quote 'lavrov-call': text is in paragraph 16, not 15" in found


def test_malformed_yaml_reports_the_line_of_the_cause_in_plain_words(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(qa, "    - What is the headline?", "    - [What is the headline?")
    line = line_of(qa, "[What is the headline?")
    [found] = problems(knowledge_copy)
    assert found.startswith(f"qa.yaml:{line}: this [...] is not closed, or misses a comma")


def test_an_unclosed_quote_is_reported_where_it_opens(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(qa, "    - What is the headline?", '    - "What is the headline?')
    line = line_of(qa, '"What is the headline?')
    [found] = problems(knowledge_copy)
    # The parser gives up at the end of the file; the cause is where the quote opens.
    assert found == f"qa.yaml:{line}: this quoted text is never closed: add the closing quote"


def test_missing_and_wrong_typed_fields(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(
        qa,
        "- id: truce-purpose\n  label: What kind of ceasefire was it, and what was it for?\n",
        "- id: truce-purpose\n  label: [not, a, string]\n",
    )
    edit(qa, "- id: lavrov\n", "- ident: lavrov\n")
    label_line = line_of(qa, "label: [not, a, string]")
    lavrov_line = line_of(qa, "- ident: lavrov")
    found = problems(knowledge_copy)
    assert (
        f"qa.yaml:{label_line}: entry 'truce-purpose': 'label' must be a non-empty string" in found
    )
    assert f"qa.yaml:{lavrov_line}: entry: missing field 'id'" in found
    assert any(p.startswith(f"qa.yaml:{lavrov_line}: entry: unknown field 'ident'") for p in found)


def test_duplicate_ids_and_duplicate_phrasings(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(qa, "- id: weapons\n", "- id: timeline\n")
    edit(qa, "    - What did Erdogan say?\n", "    - what did Lavrov say\n")
    text = qa.read_text(encoding="utf-8").splitlines()
    first, second = [i for i, line in enumerate(text, 1) if line == "- id: timeline"]
    phrasing_line = line_of(qa, "what did Lavrov say")
    original_line = line_of(qa, "What did Lavrov say?")
    found = problems(knowledge_copy)
    assert (
        f"qa.yaml:{second}: duplicate entry id 'timeline' (first defined at line {first})" in found
    )
    assert (
        f"qa.yaml:{phrasing_line}: entry 'erdogan': the phrasing \"what did Lavrov say\" is "
        f"also in entry 'lavrov' (line {original_line})"
    ) in found


def test_unknown_quote_id_and_follow_up(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(
        qa,
        "    - aliyev-f16\n  followups: [aliyev-demands, turkey-role]",
        "    - aliyev-f17\n  followups: [aliyev-demands, turkey-roles]",
    )
    cite_line = line_of(qa, "- aliyev-f17")
    follow_line = line_of(qa, "turkey-roles")
    found = problems(knowledge_copy)
    assert (
        f"qa.yaml:{cite_line}: entry 'aliyev-f16': unknown quote id 'aliyev-f17' "
        "(not in quotes.yaml); did you mean 'aliyev-f16'?" in found
    )
    assert (
        f"qa.yaml:{follow_line}: entry 'aliyev-f16': follow-up 'turkey-roles' is not an entry id; "
        "did you mean 'turkey-role'?" in found
    )


def test_answer_may_not_add_names_or_numbers_its_sources_lack(knowledge_copy: Path) -> None:
    qa = knowledge_copy / "qa.yaml"
    edit(
        qa,
        "    On Monday Azerbaijan's President Ilham Aliyev threatened to use Turkish F-16 jets",
        "    On Monday Vladimir Putin said 12 Turkish F-16 jets",
    )
    line = line_of(qa, "Vladimir Putin") - 1  # the answer's block scalar starts a line above
    found = problems(knowledge_copy)
    assert (
        f"qa.yaml:{line}: entry 'aliyev-f16': answer names 'Vladimir', "
        "which the article never mentions" in found
    )
    assert (
        f"qa.yaml:{line}: entry 'aliyev-f16': answer states '12', "
        "which none of its citations contains" in found
    )


def test_aliases_are_refused(knowledge_copy: Path) -> None:
    (knowledge_copy / "qa.yaml").write_text(
        "- &a {id: x, questions: [q], answer: a, cite: [truce-announced]}\n- *a\n", encoding="utf-8"
    )
    assert problems(knowledge_copy) == [
        "qa.yaml:1: YAML anchors and aliases are not allowed in knowledge files"
    ]


def test_oversized_file_is_refused(knowledge_copy: Path) -> None:
    (knowledge_copy / "synonyms.yaml").write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    assert "synonyms.yaml:1: file is larger than 1000000 bytes" in problems(knowledge_copy)


def test_unquoted_yaml_boolean_gets_a_hint(knowledge_copy: Path) -> None:
    synonyms = knowledge_copy / "synonyms.yaml"
    edit(synonyms, '"on", once', "on, once")
    line = line_of(synonyms, " on, once")
    assert (
        f"synonyms.yaml:{line}: synonyms file: every item of 'stopwords' must be a string; "
        "put quotes around True as written"
    ) in problems(knowledge_copy)


def test_a_variant_in_two_synonym_groups_is_refused(knowledge_copy: Path) -> None:
    edit(
        knowledge_copy / "synonyms.yaml",
        "  pompeo: [",
        "  pompeo: [erdogen, ",
    )
    assert any("'erdogen' is a variant of both" in p for p in problems(knowledge_copy))


def test_validate_command_prints_every_problem_and_exits_1(knowledge_copy: Path) -> None:
    edit(
        knowledge_copy / "qa.yaml",
        "    - aliyev-f16\n  followups",
        "    - no-such-quote\n  followups",
    )
    edit(knowledge_copy / "quotes.yaml", "  kind: fact\n", "  kind: rumour\n")
    code, out, err = validate(knowledge_copy)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert any(line.startswith("qa.yaml:") and "no-such-quote" in line for line in lines)
    assert any(line.startswith("quotes.yaml:") and "rumour" in line for line in lines)
    assert lines[-1].startswith("2 problem(s)")


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    code, _, err = validate(tmp_path / "nowhere")
    assert code == 1 and "knowledge folder not found" in err


def test_deep_nesting_is_refused_with_its_line(knowledge_copy: Path) -> None:
    (knowledge_copy / "qa.yaml").write_text(
        "- id: x\n  questions: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8"
    )
    assert "qa.yaml:2: nested deeper than 32 levels" in problems(knowledge_copy)


def test_a_quote_that_fails_its_check_is_reported_once_with_the_words_that_differ(
    knowledge_copy: Path,
) -> None:
    quotes = knowledge_copy / "quotes.yaml"
    edit(
        quotes,
        "according to Azerbaijan Defense Ministry.",
        "according to Azerbaijan Defense Minister.",
    )
    line = line_of(quotes, "according to Azerbaijan Defense Minister.")
    found = problems(knowledge_copy)
    # One problem, at the quote's own line; the entries citing it are not reported again.
    [error] = found
    assert error.startswith(f"quotes.yaml:{line}: quote 'az-mod-shelling': text does not appear")
    assert "[Minister. \u2192 Ministry.]" in error


# --- each file's shape (bot/engine/schema.py): conversation, synonyms, article, translations

# (file, text as shipped, broken text, a line of the broken text, the problem reported there)
CASES = [
    pytest.param(
        "conversation.yaml",
        "  sides: [armenia, azerbaijan]",
        "  sides: [armenia]",
        "  sides: [armenia]",
        "followups: 'sides' names the two sides",
        id="followups-need-two-sides",
    ),
    pytest.param(
        "conversation.yaml",
        '    "2": [second',
        '    "two": [second',
        '    "two": [second',
        "followups: ordinal 'two' must be a whole number (-1 for the last)",
        id="ordinal-not-a-number",
    ),
    pytest.param(
        "conversation.yaml",
        '    "2": [second, 2nd, two, "2"]',
        '    "2": []',
        '    "2": []',
        "ordinal 2: 'words' must be a non-empty list of strings",
        id="ordinal-without-words",
    ),
    pytest.param(
        "conversation.yaml",
        "  - id: greeting\n",
        "  - id: greeting\n    mood: cheerful\n",
        "    mood: cheerful",
        "intent: unknown field 'mood' (expected one of: id, patterns, reply)",
        id="intent-unknown-field",
    ),
    pytest.param(
        "synonyms.yaml",
        "people: [aliyev,",
        "people: [putin, aliyev,",
        "people: [putin, aliyev,",
        "people: 'putin' is not one of the actors",
        id="person-not-an-actor",
    ),
    pytest.param(
        "synonyms.yaml",
        "actions: [broker,",
        "actions: [bombard, broker,",
        "actions: [bombard, broker,",
        "actions: 'bombard' is not a word the synonyms define",
        id="action-not-a-synonym",
    ),
    pytest.param(
        "synonyms.yaml",
        "targeted: [accuse]",
        "targeted: [scold]",
        "targeted: [scold]",
        "targeted: 'scold' is not a word the synonyms define",
        id="targeted-not-a-synonym",
    ),
    pytest.param(
        "qa.yaml",
        "  both_sides: [violate]",
        "  both_sides: [shell]",
        "  both_sides: [shell]",
        "entry 'who-violated': both_sides: 'shell' is not one of the contested deeds "
        "(synonyms.yaml)",
        id="both-sides-not-contested",
    ),
    pytest.param(
        "synonyms.yaml",
        "stopwords: [a,",
        "stopwords: [no, a,",
        "stopwords: [no, a,",
        "synonyms file: every item of 'stopwords' must be a string; "
        "put quotes around False as written",
        id="stopword-read-as-boolean",
    ),
    pytest.param(
        "article.yaml",
        "file: article.txt",
        "file: ../article.txt",
        "file: ../article.txt",
        "article: 'file' must name a file in this folder",
        id="article-file-outside-folder",
    ),
    pytest.param(
        "quotes.yaml",
        "  kind: fact\n",
        "  kind: opinion\n",
        "  kind: opinion",
        "quote 'truce-violated-within-hours': kind must be one of quote, claim, fact, "
        "not 'opinion'",
        id="quote-kind",
    ),
    pytest.param(
        "ru.yaml",
        "\nwords:\n",
        "\nwords:\n  хлебушек: ''\n",
        "  хлебушек: ''",
        "words: 'хлебушек' must map to English words",
        id="translation-word-without-english",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "at", "message"), CASES)
def test_a_field_breaking_its_files_shape_is_reported_at_its_line(
    knowledge_copy: Path, name: str, old: str, new: str, at: str, message: str
) -> None:
    path = knowledge_copy / name
    edit(path, old, new)
    assert f"{name}:{line_of(path, at)}: {message}" in problems(knowledge_copy)


def test_a_translation_naming_another_language_is_not_read_further(knowledge_copy: Path) -> None:
    ru = knowledge_copy / "ru.yaml"
    edit(ru, "language: ru\nname: Русский", "language: tr\nname: ''")
    found = [p for p in problems(knowledge_copy) if p.startswith("ru.yaml:")]
    # The empty name is not reported: the file is not read as Russian at all.
    assert found == [f"ru.yaml:{line_of(ru, 'language: tr')}: 'language' must be 'ru' in ru.yaml"]
