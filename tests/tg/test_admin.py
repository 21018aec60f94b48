"""Admins keep the knowledge current from Telegram, end to end through the fake Bot API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine, load_knowledge
from bot.tg import admin, render
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.harness import buttons, running

from .conftest import Launch

ADMIN = 1001
NEW_ENTRY = b"""
- id: lachin-villages
  questions:
    - Which villages in Lachin were shelled?
  answer: >-
    Azerbaijan's Defense Ministry says Armenian troops shelled villages in the Lachin region.
  cite:
    - az-mod-shelling
"""

Start = Callable[..., Awaitable[tuple[FakeBotAPI, Path]]]


@pytest.fixture
def start(launch: Launch, knowledge_copy: Path, tmp_path: Path) -> Start:
    """The bot with ADMIN as its admin, serving a writable copy of the knowledge."""

    async def start_admin(
        data_dir: Path | None = None, admins: frozenset[int] = frozenset({ADMIN})
    ) -> tuple[FakeBotAPI, Path]:
        fake, _ = await launch(
            Engine(load_knowledge(knowledge_copy)),
            admin_ids=admins,
            data_dir=data_dir or tmp_path / "data",
        )
        return fake, knowledge_copy

    return start_admin


async def ask(
    fake: FakeBotAPI, chat: dict[str, Any], user: dict[str, Any], text: str, count: int
) -> dict[str, Any]:
    fake.send_text(chat, user, text)
    return (await fake.wait_sent(chat["id"], count))[-1]


async def test_non_admins_are_refused_everything(start: Start) -> None:
    fake, knowledge = await start()
    mallory = fake.user(666, "Mallory")
    chat = fake.private_chat(mallory)
    for i, command in enumerate(["/reload", "/rollback", "/export", "/unanswered", "/stats"], 1):
        assert (await ask(fake, chat, mallory, command, i))["text"] == admin.REFUSED
    before = (knowledge / "qa.yaml").read_bytes()
    fake.send_document(chat, mallory, "qa.yaml", before + NEW_ENTRY)
    assert (await fake.wait_sent(chat["id"], 6))[-1]["text"] == admin.REFUSED_DOCUMENT
    assert not [c for c in fake.calls if c.method == "getFile"]  # never downloaded
    assert (knowledge / "qa.yaml").read_bytes() == before
    assert fake.errors == []


async def test_good_upload_is_applied_persisted_backed_up_and_answers(
    start: Start, tmp_path: Path
) -> None:
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    original = (knowledge / "qa.yaml").read_bytes()
    fake.send_document(chat, boss, "qa.yaml", original + NEW_ENTRY)
    reply = (await fake.wait_sent(chat["id"]))[-1]["text"]
    assert "Applied." in reply and "added (1): lachin-villages" in reply
    assert (knowledge / "qa.yaml").read_bytes() == original + NEW_ENTRY
    backups = list((tmp_path / "data" / "backups").glob("*-qa.yaml"))
    assert [b.read_bytes() for b in backups] == [original]
    answer = await ask(fake, chat, boss, "Which villages in Lachin were shelled?", 2)
    assert answer["text"].startswith("Azerbaijan's Defense Ministry says Armenian troops shelled")
    assert fake.errors == []


async def test_broken_upload_is_rejected_with_its_line_and_old_knowledge_answers(
    start: Start,
) -> None:
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    original = (knowledge / "qa.yaml").read_bytes()
    broken = original + b"\n- id: oops\n  questions: [unclosed\n"
    fake.send_document(chat, boss, "qa.yaml", broken)
    reply = (await fake.wait_sent(chat["id"]))[-1]["text"]
    last_line = len(broken.decode().splitlines())
    assert "Not applied" in reply and "keeps serving" in reply
    assert f"qa.yaml:{last_line + 1}: malformed YAML" in reply or "qa.yaml:" in reply
    assert (knowledge / "qa.yaml").read_bytes() == original
    answer = await ask(fake, chat, boss, "Who brokered the truce?", 2)
    assert answer["text"].startswith("The United States brokered")
    assert fake.errors == []


async def test_fabricated_citation_in_an_upload_is_rejected(start: Start) -> None:
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    original = (knowledge / "qa.yaml").read_bytes()
    forged = NEW_ENTRY.replace(b"- az-mod-shelling", b'- "Armenian troops shelled Ganja at dawn"')
    fake.send_document(chat, boss, "qa.yaml", original + forged)
    reply = (await fake.wait_sent(chat["id"]))[-1]["text"]
    line = len(original.decode().splitlines()) + len(forged.decode().splitlines())
    assert f"qa.yaml:{line}: entry 'lachin-villages': citation does not appear verbatim" in reply
    assert (knowledge / "qa.yaml").read_bytes() == original
    assert fake.errors == []


async def test_rollback_restores_and_export_sends_the_files(start: Start) -> None:
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    original = (knowledge / "qa.yaml").read_bytes()
    fake.send_document(chat, boss, "qa.yaml", original + NEW_ENTRY)
    await fake.wait_sent(chat["id"])
    reply = await ask(fake, chat, boss, "/rollback", 2)
    assert "Rolled back qa.yaml" in reply["text"]
    assert "removed (1): lachin-villages" in reply["text"]
    assert (knowledge / "qa.yaml").read_bytes() == original
    fake.send_text(chat, boss, "/export")
    files = {p.name for p in knowledge.iterdir() if p.suffix in (".yaml", ".txt")} - {"eval.yaml"}
    await fake.wait_for(lambda: len(fake.documents_sent) >= len(files))
    names = {d["file_name"] for d in fake.documents_sent}
    assert names == files
    # Every file an admin may send back, the article's text included (to correct it).
    assert {"qa.yaml", "quotes.yaml", "synonyms.yaml", "article.txt"} <= names
    sent_qa = next(d for d in fake.documents_sent if d["file_name"] == "qa.yaml")
    assert sent_qa["content"] == original
    assert fake.errors == []


async def test_an_edit_saved_on_disk_is_picked_up_and_admins_told(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "WATCH_EVERY", 0.05)
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    await ask(fake, chat, boss, "/start", 1)  # the admin has a chat with the bot
    qa = knowledge / "qa.yaml"
    good = qa.read_bytes()
    qa.write_bytes(good + NEW_ENTRY)
    told = (await fake.wait_sent(chat["id"], 2))[-1]["text"]
    assert "reloaded after an edit on disk" in told and "lachin-villages" in told
    qa.write_bytes(good + b"\n- id: [broken\n")
    told = (await fake.wait_sent(chat["id"], 3))[-1]["text"]
    assert "Not reloaded" in told and "qa.yaml:" in told
    answer = await ask(fake, chat, boss, "Which villages in Lachin were shelled?", 4)
    assert answer["text"].startswith("Azerbaijan's Defense Ministry says")  # still served
    assert fake.errors == []


async def test_misses_stats_and_feedback_survive_a_restart(
    start: Start, knowledge_copy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "kept"
    engine = Engine(load_knowledge(knowledge_copy))
    async with FakeBotAPI() as fake, running(fake, engine, data_dir=data):
        alice = fake.user(42, "Alice")
        chat = fake.private_chat(alice)
        await ask(fake, chat, alice, "Who is Vladimir Putin?", 1)
        await ask(fake, chat, alice, "who is vladimir putin", 2)
        answer = await ask(fake, chat, alice, "Who brokered the truce?", 3)
        thumbs = [data for label, data in buttons(answer) if data.startswith("f:")]
        assert len(thumbs) == 2
        query = fake.press_button(answer, thumbs[0], alice)
        await fake.wait_for(lambda: query in fake.callback_answers)
        again = fake.press_button(answer, thumbs[0], alice)
        await fake.wait_for(lambda: again in fake.callback_answers)
        assert "already counted" in str(fake.callback_answers[again])
        assert fake.errors == []
    # The bot stopped right after answering; the next one over the same folder remembers.
    fake2, _ = await start(data)  # a second bot over the same data folder: a restart
    boss = fake2.user(ADMIN, "Boss")
    admin_chat = fake2.private_chat(boss)
    fake2.send_text(admin_chat, boss, "/unanswered")

    def listed() -> list[str]:
        return [m["text"] for m in fake2.sent(admin_chat["id"]) if "Most frequent" in m["text"]]

    [unanswered] = await fake2.wait_for(listed)
    assert "2\u00d7  who is vladimir putin" in unanswered
    fake2.send_text(admin_chat, boss, "/stats")

    def stats_shown() -> list[str]:
        return [m["text"] for m in fake2.sent(admin_chat["id"]) if "all time:" in m["text"]]

    [stats] = await fake2.wait_for(stats_shown)
    assert "all time: 3 questions — 1 answered, 2 not covered" in stats
    assert "👍 1 👎 0" in stats and "who-brokered (1)" in stats
    assert fake2.errors == []


async def test_every_other_admin_is_told_of_a_change_and_who_made_it(start: Start) -> None:
    fake, knowledge_copy = await start(admins=frozenset({ADMIN, ADMIN + 1}))
    boss, deputy = fake.user(ADMIN, "Boss"), fake.user(ADMIN + 1, "Deputy")
    chat, deputy_chat = fake.private_chat(boss), fake.private_chat(deputy)
    original = (knowledge_copy / "qa.yaml").read_bytes()
    fake.send_document(chat, boss, "qa.yaml", original + NEW_ENTRY)
    [told] = await fake.wait_sent(deputy_chat["id"])
    assert told["text"].startswith("By Boss:") and "added (1): lachin-villages" in told["text"]
    assert len(await fake.wait_sent(chat["id"])) == 1  # the one who made it is not told twice
    assert fake.errors == []


async def test_a_forged_feedback_entry_is_not_stored_and_a_failed_download_is_explained(
    start: Start, tmp_path: Path
) -> None:
    fake, knowledge = await start()
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    answer = await ask(fake, chat, alice, "Who brokered the truce?", 1)
    [thumb, _] = [data for _, data in buttons(answer) if data.startswith("f:")]
    # A modified client sends callback data of its own: an entry id that does not exist.
    forged = {
        "callback_query": {
            "id": "forged-1",
            "from": alice,
            "message": fake.sent(chat["id"])[-1]["message"],
            "chat_instance": "1",
            "data": thumb.rsplit(":", 1)[0] + ":" + "x" * 40,
        }
    }
    fake.push_raw(forged)
    await fake.wait_for(lambda: fake.calls_to("answerCallbackQuery"))
    boss = fake.user(ADMIN, "Boss")
    admin_chat = fake.private_chat(boss)
    stats = (await ask(fake, admin_chat, boss, "/stats", 1))["text"]
    assert "👍 0 👎 0" in stats
    # The file cannot be fetched from Telegram's file server: the admin is told so plainly.
    fake.fail_next("getFile", 400, "Bad Request: file is too big")
    fake.send_document(admin_chat, boss, "qa.yaml", (knowledge / "qa.yaml").read_bytes())
    reply = (await fake.wait_sent(admin_chat["id"], 2))[-1]["text"]
    assert "Could not download qa.yaml from Telegram; nothing was changed." in reply


def test_users_control_characters_are_shown_harmlessly_to_admins() -> None:
    assert render.printable("who\u202e is\u0007 putin") == "who\ufffd is\ufffd putin"


async def test_an_upload_that_would_undo_another_admins_change_waits_for_confirmation(
    start: Start,
) -> None:
    fake, knowledge_copy = await start(admins=frozenset({ADMIN, ADMIN + 1}))
    boss, deputy = fake.user(ADMIN, "Boss"), fake.user(ADMIN + 1, "Deputy")
    chat, deputy_chat = fake.private_chat(boss), fake.private_chat(deputy)
    fake.send_text(chat, boss, "/export")
    count = len(curator_files := sorted(p.name for p in knowledge_copy.glob("*.yaml")))
    await fake.wait_for(
        lambda: len([m for m in fake.sent(chat["id"]) if m["document"]]) >= count - 1
    )
    assert "qa.yaml" in curator_files
    exported = (knowledge_copy / "qa.yaml").read_bytes()
    # The deputy adds an entry meanwhile.
    fake.send_document(deputy_chat, deputy, "qa.yaml", exported + NEW_ENTRY)
    await fake.wait_for(lambda: b"lachin-villages" in (knowledge_copy / "qa.yaml").read_bytes())
    sent_before = len(fake.sent(chat["id"]))
    # The boss uploads an edit of the older copy: it would silently drop the deputy's entry.
    mine = exported.replace(b"Who brokered", b"Who set up", 1)
    fake.send_document(chat, boss, "qa.yaml", mine)

    def refusal() -> list[dict[str, Any]]:
        return [
            m for m in fake.sent(chat["id"])[sent_before:] if "changed since" in (m["text"] or "")
        ]

    [refused] = await fake.wait_for(refusal)
    assert "lachin-villages" in refused["text"]  # the change it would undo is shown
    assert b"lachin-villages" in (knowledge_copy / "qa.yaml").read_bytes()
    [(label, data)] = buttons(refused)
    assert "Apply anyway" in label
    # Someone else pressing it (a forged press) changes nothing.
    alice = fake.user(42, "Alice")
    forged = fake.press_button(refused, data, alice)
    await fake.wait_for(lambda: forged in fake.callback_answers)
    assert b"Who set up" not in (knowledge_copy / "qa.yaml").read_bytes()
    # The boss confirms: applied, and the deputy is told.
    pressed = fake.press_button(refused, data, boss)
    await fake.wait_for(lambda: pressed in fake.callback_answers)
    await fake.wait_for(lambda: b"Who set up" in (knowledge_copy / "qa.yaml").read_bytes())
    await fake.wait_for(
        lambda: any("By Boss:" in (m["text"] or "") for m in fake.sent(deputy_chat["id"]))
    )


async def test_an_admin_taps_a_miss_into_a_phrasing_and_it_is_answered_at_once(
    start: Start,
) -> None:
    fake, knowledge = await start()
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    miss = "whats the scoop on hajiyev"
    first = await ask(fake, chat, alice, miss, 1)
    assert "doesn't" in first["text"]  # not answered as such today
    await ask(fake, chat, alice, "who is vladimir putin", 2)
    boss = fake.user(ADMIN, "Boss")
    admin_chat = fake.private_chat(boss)
    fake.send_text(admin_chat, boss, "/unanswered")
    await fake.wait_for(
        lambda: len([m for m in fake.sent(admin_chat["id"]) if m["text"].startswith("\u201c")]) == 2
    )
    offers = [m for m in fake.sent(admin_chat["id"]) if m["text"].startswith("\u201c")]
    [scoop] = [m for m in offers if miss in m["text"]]
    choices = buttons(scoop)
    [(label, add)] = [(lb, d) for lb, d in choices if d.endswith(":hajiyev")]
    assert label.startswith("\u2795 add as a phrasing of:")
    # Someone who is not an admin cannot press it, even with the data.
    forged = fake.press_button(scoop, add, alice)
    await fake.wait_for(lambda: forged in fake.callback_answers)
    assert miss not in (knowledge / "qa.yaml").read_text()
    pressed = fake.press_button(scoop, add, boss)
    await fake.wait_for(lambda: pressed in fake.callback_answers)
    reply = await fake.wait_for(
        lambda: [m for m in fake.sent(admin_chat["id"]) if "Added." in m["text"]]
    )
    assert "that question now gets: Hikmet Hajiyev" in reply[0]["text"]
    assert f'- "{miss}"' in (knowledge / "qa.yaml").read_text()
    answer = await ask(fake, chat, alice, miss, 3)
    assert answer["text"].startswith("Hikmet Hajiyev")
    # The other miss is kept as needing a new entry: it leaves the list, /export includes it.
    [putin] = [m for m in offers if "putin" in m["text"]]
    [(_, needs)] = [(lb, d) for lb, d in buttons(putin) if "needs a new entry" in lb]
    kept = fake.press_button(putin, needs, boss)
    await fake.wait_for(lambda: kept in fake.callback_answers)
    count = len(fake.sent(admin_chat["id"]))
    fake.send_text(admin_chat, boss, "/unanswered")
    listing = (await fake.wait_sent(admin_chat["id"], count + 1))[count]["text"]
    assert "No unanswered questions" in listing
    fake.send_text(admin_chat, boss, "/export")
    await fake.wait_for(
        lambda: any(
            m["document"] and m["document"]["file_name"] == admin.NEEDS_ENTRIES
            for m in fake.sent(admin_chat["id"])
        )
    )
    # /rollback undoes the phrasing like any change.
    fake.send_text(admin_chat, boss, "/rollback")
    await fake.wait_for(lambda: miss not in (knowledge / "qa.yaml").read_text())


async def test_a_thumbs_down_answer_is_offered_in_unanswered_without_the_entry_it_got(
    start: Start,
) -> None:
    fake, _ = await start()
    alice = fake.user(42, "Alice")
    chat = fake.private_chat(alice)
    question = "Who brokered the truce?"
    answer = await ask(fake, chat, alice, question, 1)
    [down] = [data for label, data in buttons(answer) if label == "\U0001f44e"]
    [up] = [data for label, data in buttons(answer) if label == "\U0001f44d"]
    pressed = fake.press_button(answer, down, alice)
    await fake.wait_for(lambda: pressed in fake.callback_answers)
    boss = fake.user(ADMIN, "Boss")
    admin_chat = fake.private_chat(boss)
    fake.send_text(admin_chat, boss, "/unanswered")
    [listing] = await fake.wait_for(
        lambda: [m["text"] for m in fake.sent(admin_chat["id"]) if "Most frequent" in m["text"]]
    )
    assert "who brokered the truce  (\U0001f44e on the answer who-brokered" in listing
    [offer] = await fake.wait_for(
        lambda: [m for m in fake.sent(admin_chat["id"]) if m["text"].startswith("\u201c")]
    )
    adds = [d for lb, d in buttons(offer) if lb.startswith("\u2795")]
    assert adds and not any(d.endswith(":who-brokered") for d in adds)
    # Changing her mind to a thumbs up withdraws it.
    again = fake.press_button(answer, up, alice)
    await fake.wait_for(lambda: again in fake.callback_answers)
    count = len(fake.sent(admin_chat["id"]))
    fake.send_text(admin_chat, boss, "/unanswered")
    told = (await fake.wait_sent(admin_chat["id"], count + 1))[count]["text"]
    assert "No unanswered questions" in told
    assert fake.errors == []


async def test_an_article_correction_is_reported_gated_and_rolled_back_whole(
    start: Start,
) -> None:
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    article = (knowledge / "article.txt").read_bytes()
    quotes = (knowledge / "quotes.yaml").read_bytes()
    qa = (knowledge / "qa.yaml").read_bytes()
    # The publisher corrects a place name inside a quoted sentence, which an answer names too:
    # refused with the report (the answer's problem shows once the quote is right).
    fixed = article.replace(b"Terter and Lachin", b"Tartar and Lachin")
    fake.send_document(chat, boss, "article.txt", fixed)
    [refused] = await fake.wait_sent(chat["id"])
    assert "Not applied: with this text the knowledge would have" in refused["text"]
    assert "quote 'az-mod-shelling' is no longer in the article" in refused["text"]
    assert "[Terter → Tartar]" in refused["text"]
    assert (knowledge / "article.txt").read_bytes() == article
    # quotes.yaml corrected to the new text comes next: checked with it, still not enough.
    fake.send_document(chat, boss, "quotes.yaml", quotes.replace(b"Terter", b"Tartar"))
    [waiting] = (await fake.wait_sent(chat["id"], 2))[1:]
    assert "qa.yaml:" in waiting["text"] and "quote 'az-mod-shelling'" not in waiting["text"]
    assert "keep waiting" in waiting["text"]
    assert (knowledge / "article.txt").read_bytes() == article
    # Then qa.yaml: the three are applied as one change.
    fake.send_document(chat, boss, "qa.yaml", qa.replace(b"Terter", b"Tartar"))
    [applied] = (await fake.wait_sent(chat["id"], 3))[2:]
    assert "Applied, together with your correction of article.txt." in applied["text"]
    assert (knowledge / "article.txt").read_bytes() == fixed
    fake.send_text(chat, boss, "Which villages were shelled?")
    [answer] = (await fake.wait_sent(chat["id"], 4))[3:]
    assert "Tartar" in answer["text"] and "Terter" not in answer["text"]
    # /rollback undoes the correction whole.
    fake.send_text(chat, boss, "/rollback")
    [rolled] = (await fake.wait_sent(chat["id"], 5))[4:]
    assert "Rolled back" in rolled["text"]
    assert (knowledge / "article.txt").read_bytes() == article
    assert (knowledge / "quotes.yaml").read_bytes() == quotes
    assert (knowledge / "qa.yaml").read_bytes() == qa
    assert fake.errors == []


async def test_an_added_paragraph_is_applied_once_confirmed_with_quotes_renumbered(
    start: Start,
) -> None:
    fake, knowledge = await start()
    boss = fake.user(ADMIN, "Boss")
    chat = fake.private_chat(boss)
    article = (knowledge / "article.txt").read_bytes()
    note = b"Editor's note: this article was updated to add the reactions below.\n\n"
    at = article.index(b"The truce was announced")
    fake.send_document(chat, boss, "article.txt", article[:at] + note + article[at:])
    [report] = await fake.wait_sent(chat["id"])
    assert "Not applied yet" in report["text"] and "new: 7" in report["text"]
    assert "new or edited paragraphs no entry cites: 7" in report["text"]
    assert (knowledge / "article.txt").read_bytes() == article
    [(label, data)] = buttons(report)
    assert "Apply anyway" in label
    pressed = fake.press_button(report, data, boss)
    await fake.wait_for(lambda: pressed in fake.callback_answers)
    # Handled: saved and swapped in. The files change before the knowledge serving does.
    await fake.wait_handled(timeout=30)
    assert (knowledge / "article.txt").read_bytes() != article
    assert "paragraph: 9" in (knowledge / "quotes.yaml").read_text("utf-8")
    fake.send_text(chat, boss, "Who brokered the truce?")
    answer = await fake.wait_for(
        lambda: [m for m in fake.sent(chat["id"]) if "brokered this" in (m["text"] or "")]
    )
    assert "— paragraph 8" in answer[0]["text"] and "— paragraph 7" not in answer[0]["text"]
    assert fake.errors == []
