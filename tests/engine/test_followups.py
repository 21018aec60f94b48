"""Follow-up questions read against the conversation so far (bot/engine/followup.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine, load_knowledge
from bot.engine.followup import Memory, Topic
from bot.engine.model import Kind, Reply

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def talk(engine: Engine, *questions: str) -> list[Reply]:
    """The replies to ``questions`` asked one after another in one conversation."""
    topic: Topic | None = None
    replies = []
    for question in questions:
        reply, topic = engine.converse(question, None, topic)
        replies.append(reply)
    return replies


def quote_ids(reply: Reply) -> set[str]:
    return {c.quote_id for c in reply.citations if c.quote_id}


def speakers(engine: Engine, reply: Reply) -> set[str | None]:
    """Who said each cited quotation (quotes.yaml), as the reply shows or its quote records."""
    quotes = engine.knowledge.quotes
    return {
        quotes[c.quote_id].speaker if c.quote_id is not None and c.quote_id in quotes else c.speaker
        for c in reply.citations
    }


def test_what_else_did_he_say_shows_that_speakers_other_quotes(engine: Engine) -> None:
    first, more = talk(engine, "What did Aliyev threaten?", "What else did he say?")
    assert first.kind is Kind.ANSWER
    assert more.kind is Kind.ANSWER
    assert "Ilham Aliyev" in speakers(engine, more), more.plain_text()
    # Something the first answer did not show.
    assert quote_ids(more) - quote_ids(first)


def test_when_everything_was_shown_the_bot_says_so_and_lists_it(engine: Engine) -> None:
    replies = talk(engine, "What did Aliyev threaten?", *["what else did he say?"] * 4)
    last = replies[-1]
    assert last.kind is Kind.ANSWER
    assert last.text == engine.knowledge.messages["nothing_more"].replace(
        "{speaker}", "Ilham Aliyev"
    )
    assert speakers(engine, last) == {"Ilham Aliyev"}


def test_a_pronoun_means_the_party_just_talked_about(engine: Engine) -> None:
    _, follow = talk(engine, "What did Mike Pompeo accuse Turkey of?", "How did they respond?")
    alone = engine.ask("How did Turkey respond?")
    assert alone.kind is Kind.ANSWER
    assert (follow.kind, follow.entry) == (alone.kind, alone.entry)
    assert follow.read_as is not None and "Turkey" in follow.read_as


def test_and_x_asks_the_last_question_of_someone_else(engine: Engine) -> None:
    first, other = talk(engine, "What did Azerbaijan's defense ministry say?", "and Armenia?")
    alone = engine.ask("What did Armenia's defense ministry say?")
    assert first.kind is other.kind is Kind.ANSWER
    assert other.entry == alone.entry != first.entry


def test_picking_from_the_last_choices(engine: Engine) -> None:
    question = "What did the defense ministry say?"
    clarify = engine.ask(question)
    assert clarify.kind is Kind.CLARIFY and len(clarify.options) >= 2
    for said, index in (("the second one", 1), ("2", 1), ("first", 0), ("the last one", -1)):
        _, picked = talk(engine, question, said)
        assert picked.entry == clarify.options[index].entry_id, said


def test_an_explicit_question_always_wins(engine: Engine) -> None:
    _, switched = talk(engine, "Who is Hikmet Hajiyev?", "Who is Pompeo?")
    alone = engine.ask("Who is Pompeo?")
    assert (switched.kind, switched.entry, switched.text) == (alone.kind, alone.entry, alone.text)


def test_a_follow_up_the_article_cannot_answer_is_refused(engine: Engine) -> None:
    _, refused = talk(engine, "Who is Hikmet Hajiyev?", "What did he say about Iran?")
    assert refused.kind is not Kind.ANSWER
    assert "Iran" in refused.text


def test_they_can_be_the_thing_just_talked_about_not_only_a_country(engine: Engine) -> None:
    # "they" are the jets: read as Azerbaijan, the question would be a near miss, but a
    # reading that answers every word of it wins, in chat spelling too.
    _, jets = talk(engine, "what did aliyev threaten to do", "whose jets r they")
    assert jets.kind is Kind.ANSWER, jets.text
    assert "Turkish F-16" in jets.text.split("\n")[0]


def test_it_is_the_last_topic_before_anything_else(engine: Engine) -> None:
    # Alone, "who shelled?" is Armenia's account of artillery fire; "it" is Terter, which
    # Azerbaijan says Armenian troops shelled.
    _, shelled = talk(engine, "what happened in terter", "who shelled it")
    assert shelled.kind is Kind.ANSWER and shelled.entry == "azerbaijan-accusations"
    assert shelled.read_as is not None and "terter" in shelled.read_as.casefold()


def test_and_what_do_they_deny_is_a_question_not_a_request_for_more(engine: Engine) -> None:
    _, denied = talk(engine, "what does azerbaijan say", "and what do they deny")
    assert denied.kind is Kind.ANSWER and denied.entry == "azerbaijan-position", denied.text
    assert denied.read_as is not None and "Azerbaijan" in denied.read_as


def test_they_is_what_was_asked_about_when_the_asker_named_no_country(engine: Engine) -> None:
    # The US came from the answer about who brokered the truce: "did they stick to it?" is
    # about the truce, not about whether the US kept it.
    _, kept = talk(engine, "who brokered the truce", "did they stick to it")
    assert kept.kind is Kind.ANSWER and kept.entry != "russia-role", kept.text
    assert "violated" in kept.text.split("\n")[0]


def test_a_new_topic_said_outright_drops_the_old_one(engine: Engine) -> None:
    _, fresh = talk(engine, "Who is Hikmet Hajiyev?", "different question, who is Lavrov?")
    assert fresh.entry == engine.ask("who is Lavrov?").entry


def test_small_talk_keeps_the_topic(engine: Engine) -> None:
    _, thanks, more = talk(engine, "What did Aliyev threaten?", "thanks", "what else did he say?")
    assert thanks.kind is Kind.SMALLTALK
    assert "Ilham Aliyev" in speakers(engine, more)


def test_memory_forgets_after_a_quiet_while() -> None:
    now = [0.0]
    memory: Memory[str] = Memory(size=10, ttl=600.0, clock=lambda: now[0])
    topic = Topic(question="Who is Hikmet Hajiyev?", context="hikmet hajiyev")
    memory.put("chat", topic)
    now[0] = 599.0
    assert memory.get("chat") == topic
    now[0] = 1200.0
    assert memory.get("chat") is None


def test_memory_is_bounded_least_recently_active_first() -> None:
    memory: Memory[int] = Memory(size=3)
    for key in range(3):
        memory.put(key, Topic(question=str(key), context=""))
    assert memory.get(0) is not None  # reading does not count as activity; writing does
    memory.put(0, Topic(question="again", context=""))
    memory.put(3, Topic(question="3", context=""))
    assert len(memory) == 3
    assert memory.get(1) is None
    assert memory.get(0) is not None and memory.get(3) is not None


def run_cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--knowledge", str(KNOWLEDGE), *args], out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_ask_json_sessions_continue_one_conversation_each() -> None:
    lines = [
        {"question": "What did Aliyev threaten?", "session": "a"},
        {"question": "Who is Pompeo?", "session": "b"},
        {"question": "What else did he say?", "session": "a"},
        {"question": "What else did he say?", "session": "b"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    code, out, err = run_cli("ask", "--json", "-", stdin=stdin)
    assert code == 0, err
    replies = [json.loads(line) for line in out.splitlines()]
    assert len(replies) == 4
    aliyev = {"aliyev-response", "aliyev-hazardous", "aliyev-f16", "aliyev-go-to-the-end"}
    paragraphs = {
        q.paragraph
        for q in Engine(load_knowledge(KNOWLEDGE)).knowledge.quotes.values()
        if q.id in aliyev
    }
    assert {c["paragraph"] for c in replies[2]["citations"]} & paragraphs
    # Session b was about Pompeo: its "he" is not Aliyev.
    assert not {c["paragraph"] for c in replies[3]["citations"]} & paragraphs
    assert replies[2]["read_as"] and "Aliyev" in replies[2]["read_as"]


def test_ask_json_line_without_a_question_is_reported_and_skipped() -> None:
    stdin = '{"session": "a"}\n{"question": "Who brokered the truce?"}\n'
    code, out, err = run_cli("ask", "--json", "-", stdin=stdin)
    assert code == 0
    assert "stdin:1:" in err and '"question"' in err
    assert len(out.splitlines()) == 1


def test_eval_runs_a_conversation_set(tmp_path: Path) -> None:
    path = tmp_path / "conversations.yaml"
    path.write_text(
        """
- id: one
  kind: pronoun
  turns:
  - q: What did Aliyev threaten?
    answerable: true
    paragraphs: [21]
  - q: What did he say about Iran?
    answerable: false
    paragraphs: []
""",
        encoding="utf-8",
    )
    code, out, err = run_cli("eval", str(path), "--min", "100")
    assert code == 0, out + err
    assert "follow-ups" in out and "100.0%" in out


@pytest.mark.parametrize(
    "body, message",
    [
        ("- id: x\n  turns: nope\n", "'turns' list"),
        ("- id: x\n  turns:\n  - q: hi\n    answerable: maybe\n", "'answerable'"),
        ("- id: x\n  turns:\n  - q: hi\n    said: 1\n", "unknown key 'said'"),
    ],
)
def test_a_bad_conversation_set_is_rejected_with_its_line(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "conversations.yaml"
    path.write_text(body, encoding="utf-8")
    code, _, err = run_cli("eval", str(path))
    assert code == 2
    assert message in err and f"{path}:" in err


def cited_paragraphs(reply: Reply) -> set[int]:
    return {c.paragraph for c in reply.citations}


def test_they_after_a_who_question_is_the_party_the_answer_names(engine: Engine) -> None:
    # "Who supports Azerbaijan?" is answered by Turkey: "their president" is Turkey's.
    _, president = talk(engine, "who supports azerbaijan", "who is their president")
    assert president.kind is Kind.ANSWER
    assert president.read_as is not None and "Turkey" in president.read_as
    assert 26 in cited_paragraphs(president), president.plain_text()


def test_they_before_a_name_is_not_that_name(engine: Engine) -> None:
    # "they" are the separatists the last question was about, not Azerbaijan.
    _, broke = talk(
        engine, "Who are the ethnic Armenian separatists?", "when did they break from Azerbaijan"
    )
    assert broke.kind is Kind.ANSWER
    assert 12 in cited_paragraphs(broke), broke.plain_text()


def test_they_with_each_other_is_both_sides(engine: Engine) -> None:
    _, accusations = talk(
        engine, "What did Hikmet Hajiyev say?", "what do they accuse each other of"
    )
    assert accusations.read_as is not None
    assert "Armenia and Azerbaijan" in accusations.read_as


def test_his_country_is_the_persons_country(engine: Engine) -> None:
    _, wants = talk(engine, "who is erdogan", "what does his country want")
    assert wants.kind is Kind.ANSWER
    assert wants.read_as is not None and "Turkey" in wants.read_as
    assert cited_paragraphs(wants) & {25, 27}, wants.plain_text()


def test_what_else_did_he_warn_gives_what_was_not_shown(engine: Engine) -> None:
    first, _, warned = talk(
        engine, "who threatened to use F-16 jets?", "when did he say it?", "what else did he warn?"
    )
    assert 22 not in cited_paragraphs(first)
    assert warned.kind is Kind.ANSWER
    assert 22 in cited_paragraphs(warned), warned.plain_text()


def test_a_follow_up_naming_what_the_article_never_mentions_is_not_answered(
    engine: Engine,
) -> None:
    _, iran = talk(engine, "who is Hikmet Hajiyev", "what did he say about Iran")
    assert iran.kind in (Kind.NEAR_MISS, Kind.NO_ANSWER)
    assert "Iran" in iran.plain_text()


def test_a_question_naming_what_the_article_never_mentions_is_matched_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every reading of it holds "Iran", so no reading but the first is tried.
    _, topic = engine.converse("Who is Hikmet Hajiyev?")
    matcher = engine._loaded.matcher
    calls: list[str] = []
    original = matcher.match

    def counting(text: str) -> object:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(matcher, "match", counting)
    reply, _ = engine.converse(
        "what did iran say about shells landing near its border", None, topic
    )
    assert reply.kind in (Kind.NEAR_MISS, Kind.NO_ANSWER)
    assert len(calls) == 1, calls


def test_after_who_said_they_is_the_one_who_said_it(engine: Engine) -> None:
    # Azerbaijan's Defense Ministry said Armenian troops shelled the villages: "they" next is
    # the ministry's side, not Armenia.
    _, topic = engine.converse("who said armenia shelled villages")
    assert topic is not None and topic.party == "azerbaijan", topic


def test_an_unanswered_follow_up_keeps_the_topic_before_it(engine: Engine) -> None:
    # "how come?" gets no answer; the conversation is still about the shelling.
    _, topic = engine.converse("Which villages did Azerbaijan say Armenian troops shelled?")
    reply, after = engine.converse("how come?", None, topic)
    assert reply.kind is Kind.NO_ANSWER
    assert after == topic


def test_and_when_is_a_question_not_a_request_for_more(engine: Engine) -> None:
    _, _, when = talk(
        engine,
        "Which villages did Azerbaijan say Armenian troops shelled?",
        "how come?",
        "and when?",
    )
    assert when.read_as != "what else did Hikmet Hajiyev say", when
    _, more = talk(engine, "What did Aliyev threaten?", "and?")
    assert "Ilham Aliyev" in speakers(engine, more)


def test_a_short_question_leans_on_the_last_topic(engine: Engine) -> None:
    first, case = talk(engine, "What jets did Aliyev threaten to use?", "in which case?")
    assert case.kind is Kind.ANSWER and case.entry == first.entry, case
    assert case.read_as is not None and "jets" in case.read_as


def test_and_about_x_is_about_the_last_topic_first(engine: Engine) -> None:
    first, about = talk(engine, "what did lavrov warn", "and about the peace process?")
    assert about.kind is Kind.ANSWER and about.entry == first.entry, about
    assert about.read_as is not None and "lavrov" in about.read_as.lower(), about.read_as


def test_words_leading_up_to_a_new_topic_are_dropped(engine: Engine) -> None:
    _, fresh = talk(engine, "Who is Hikmet Hajiyev?", "ok sorry, new question: who is Lavrov?")
    assert fresh.entry == engine.ask("who is Lavrov?").entry
    _, never = talk(engine, "Who is Hikmet Hajiyev?", "never mind, who is Erdogan?")
    assert never.entry == engine.ask("who is Erdogan?").entry


def test_is_he_the_man_who_keeps_the_description(engine: Engine) -> None:
    _, asked = talk(engine, "who is pashinyan", "is he the man who called on global players?")
    assert asked.read_as == "is Nikol Pashinyan the man who called on global players?"


def test_and_someones_comments_is_what_they_said(engine: Engine) -> None:
    _, comments = talk(engine, "What did Aliyev threaten?", "and Lavrov's comments?")
    assert comments.read_as == "what did Sergei Lavrov say"
    assert "Sergei Lavrov" in str(speakers(engine, comments))


def test_one_word_after_an_answer_is_read_as_asked(engine: Engine) -> None:
    _, alone = talk(engine, "Who is Hikmet Hajiyev?", "artillery")
    assert alone.read_as is None
    assert alone.entry == engine.ask("artillery").entry


def test_an_answer_found_only_with_the_last_questions_words_is_not_the_reply(
    engine: Engine,
) -> None:
    # Read with "mediated ceasefire" added, the question finds the earlier ceasefires; that
    # does not say what anyone paid, so the reply says the article doesn't say.
    _, paid = talk(engine, "who mediated the ceasefire", "how much did they pay for it")
    assert paid.kind is not Kind.ANSWER


def test_what_the_article_lacks_of_whom_they_means_is_not_answered_of_others(
    engine: Engine,
) -> None:
    # "they" are Turkey; the article says nothing of Turkish soldiers, and Aliyev's warning
    # about third parties' troops is not about Turkey sending any.
    _, sent = talk(engine, "which country backs Azerbaijan?", "did they send soldiers?")
    assert sent.kind is not Kind.ANSWER
    assert "Turkey" in (sent.read_as or "")


def test_who_replied_to_him_is_the_other_sides_answer(engine: Engine) -> None:
    # Sarkissian (Armenia) is the one replied to: the reply is Aliyev's (Azerbaijan) response,
    # not Sarkissian's own words again. "What did he reply?" still asks of him.
    first, replied = talk(
        engine, "what did Armen Sarkissian say about Moscow", "who replied to him?"
    )
    assert 19 in cited_paragraphs(replied)
    assert not cited_paragraphs(replied) & cited_paragraphs(first)
    _, own = talk(engine, "what did Armen Sarkissian say about Moscow", "what did he reply?")
    assert "Sarkissian" in (own.read_as or "")


def test_asking_what_he_does_is_answered_by_who_he_is(engine: Engine) -> None:
    # Nothing answers "which country does Sergei Lavrov work for?" word for word, but who he
    # is (Russia's foreign minister) does; a question about his words is not read so.
    _, works = talk(engine, "what did Lavrov say", "which country does he work for")
    assert works.kind is Kind.ANSWER
    assert works.entry == engine.ask("who is Sergei Lavrov").entry
    _, iran = talk(engine, "what did Lavrov say", "what did he say about Iran")
    assert iran.kind is not Kind.ANSWER


def test_the_last_topic_keeps_its_everyday_words(engine: Engine) -> None:
    # "the fighting" is what "where is the fighting?" was about, though the matcher reads it
    # as a generic word: "since when?" is when the fighting started.
    _, since = talk(engine, "where is the fighting", "since when?")
    assert since.kind is Kind.ANSWER
    assert 13 in cited_paragraphs(since)


def test_changing_the_subject_in_everyday_words_starts_a_new_topic(engine: Engine) -> None:
    # Said as people say it ("let's change the subject", "new q", "on another subject"),
    # the question after it is answered on its own, not against the last topic.
    _, changed = talk(
        engine,
        "Who accused Azerbaijan of a missile attack?",
        "Let's change the subject. What did Sarkissian say about Moscow?",
    )
    assert changed.kind is Kind.ANSWER
    assert changed.entry == engine.ask("What did Sarkissian say about Moscow?").entry
    _, new_q = talk(engine, "what did Lavrov say", "btw new q, who is Erdogan?")
    assert new_q.entry == engine.ask("who is Erdogan?").entry
    assert new_q.read_as == "who is Erdogan?"


def test_a_question_that_names_no_one_leaves_he_as_he_was(engine: Engine) -> None:
    # The article cannot say how many tanks Turkey has, and the bare refusal shows no one:
    # "he" is still Aliyev, not someone from an entry the reply never showed.
    _, tanks, more = talk(
        engine,
        "What did Aliyev threaten?",
        "how many tanks does Turkey have in Azerbaijan?",
        "what else did he say?",
    )
    assert tanks.kind is not Kind.ANSWER
    assert more.kind is Kind.ANSWER
    assert speakers(engine, more) == {"Ilham Aliyev"}, more.plain_text()


def test_a_name_alone_is_the_last_question_asked_of_it(engine: Engine) -> None:
    # "Azerbaijan's?" after Armenia's president asks the same of Azerbaijan, as "and
    # Azerbaijan's?" does; "the Armenian side" is Armenia, not a subject of its own.
    _, theirs = talk(engine, "Who is Armenia's president?", "Azerbaijan's?")
    assert theirs.kind is Kind.ANSWER
    assert theirs.entry == engine.ask("Who is Azerbaijan's president?").entry
    assert theirs.read_as is not None and "president" in theirs.read_as
    _, side = talk(engine, "what did Azerbaijan's president threaten?", "and the Armenian side?")
    assert side.read_as is not None
    assert side.read_as.lower() == "what did armenia's president threaten", side.read_as


def test_the_post_he_holds_is_who_he_is(engine: Engine) -> None:
    # "what position does he hold?" asks for his post: who he is answers it.
    _, post = talk(engine, "what did Lavrov warn?", "what position does he hold?")
    assert post.kind is Kind.ANSWER
    assert post.entry == engine.ask("who is Sergei Lavrov").entry


def test_a_follow_up_that_could_mean_several_things_is_settled_by_the_last_answer(
    engine: Engine,
) -> None:
    # Alone, "what accusation?" could be either side's; after the Armenian side's
    # accusations it is theirs, not a list of choices.
    assert engine.ask("what accusation?").kind is Kind.CLARIFY
    for entry in ("armenia-accusations", "azerbaijan-accusations"):
        shown = engine.answer_entry(entry)
        assert shown is not None
        reply, _ = engine.converse("what accusation?", None, engine.follow(shown))
        assert reply.kind is Kind.ANSWER
        assert reply.entry == entry


def test_who_said_that_is_answered_by_the_last_answer(engine: Engine) -> None:
    # The last answer says whose account it is; read alone, "who said that?" is anyone's.
    first, who = talk(engine, "where did the shelling happen?", "who said that?")
    assert who.kind is Kind.ANSWER
    assert who.entry == first.entry
    assert "Defense Ministry" in who.plain_text()


def test_by_whom_is_answered_by_the_last_answer(engine: Engine) -> None:
    # "by whom?" asks only who did what the last answer tells; that answer says who.
    first, whom = talk(engine, "which villages were shelled?", "by whom?")
    assert first.kind is Kind.ANSWER
    assert whom.kind is Kind.ANSWER
    assert whom.entry == first.entry
