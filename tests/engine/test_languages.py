"""Questions in Russian, Turkish, Azerbaijani and Armenian: understood, answered in the asker's
language with the article's quotes verbatim in English, and refused honestly when the article
does not say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.curation import Curator
from bot.engine import Engine, languages, load_knowledge
from bot.engine.model import Kind, Translation
from bot.engine.text import words
from bot.engine.translations import UNUSED
from tests.conftest import KNOWLEDGE


@pytest.mark.parametrize(
    ("language", "question", "entry"),
    [
        ("ru", "Кто нарушил перемирие?", "who-violated"),
        ("ru", "Кто такой Пашинян?", "pashinyan"),
        ("tr", "Ateşkesi kim ihlal etti?", "who-violated"),
        ("tr", "Paşinyan kimdir?", "pashinyan"),
        ("az", "Əliyev kimdir?", "aliyev"),
        ("az", "Atəşkəsə kim vasitəçilik edib?", "who-brokered"),
        ("hy", "Ով է Փաշինյանը", "pashinyan"),
        ("hy", "Ո՞վ է միջնորդել հրադադարին", "who-brokered"),
    ],
)
def test_a_question_is_answered_in_its_language_with_the_quotes_in_english(
    engine: Engine, language: str, question: str, entry: str
) -> None:
    reply = engine.ask(question)
    assert (reply.kind, reply.entry, reply.language) == (Kind.ANSWER, entry, language)
    translation = engine.knowledge.translations[language]
    note = translation.messages["quotes_in_english"]
    assert reply.text == f"{translation.answers[entry]}\n\n{note}"
    article = " ".join(p.text for p in engine.knowledge.article.paragraphs)
    assert reply.citations and all(
        " ".join(c.quote.split()).strip('“”"') in " ".join(article.split()) for c in reply.citations
    )


def test_letters_of_every_script_are_words_and_dotless_i_is_a_letter() -> None:
    assert words("Кто такой Пашинян?") == ["кто", "такои", "пашинян"]
    assert words("çatışmada Alıyev Əliyev") == ["catismada", "aliyev", "eliyev"]
    assert words("Ալիևը Երևան") == ["ալիեւը", "երեւան"]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Что Эрдоган сказал о Франции?", "Франции"),
        ("Erdoğan Fransa hakkında ne dedi?", "Fransa"),
    ],
)
def test_a_near_miss_in_another_language_says_plainly_what_the_article_does_not(
    engine: Engine, question: str, named: str
) -> None:
    reply = engine.ask(question)
    assert reply.kind is not Kind.ANSWER
    first = reply.text.split("\n")[0]
    assert named in first and "article" not in first  # in the asker's language


def test_a_language_the_bot_does_not_read_gets_an_honest_reply(engine: Engine) -> None:
    for question in ("停火是谁促成的？", "Qui a négocié la trêve ?"):
        reply = engine.ask(question)
        assert reply.kind is Kind.NO_ANSWER
        assert reply.text == engine.knowledge.messages["unsupported_language"]


def test_english_stays_english_and_a_hint_settles_only_ambiguous_text(engine: Engine) -> None:
    assert engine.ask("Who brokered the truce?", hint="ru").language == "en"
    short = engine.ask("Aliyev?", hint="ru")
    assert (short.language, short.entry) == ("ru", "aliyev")
    assert engine.ask("Aliyev?").language == "en"


def test_small_talk_in_another_language_is_answered_in_it(engine: Engine) -> None:
    reply = engine.ask("привет")
    assert reply.kind is Kind.SMALLTALK and reply.language == "ru"
    assert reply.text.startswith("Здравствуйте")


def test_an_answer_not_yet_translated_comes_in_english_saying_so(
    knowledge_copy: Path,
) -> None:
    ru = knowledge_copy / "ru.yaml"
    text = ru.read_text("utf-8")
    start = text.index("\n  pashinyan: ", text.index("\nanswers:"))
    end = text.index("\n  ", start + 1)
    while text[end + 3] == " ":  # the folded lines of that answer
        end = text.index("\n  ", end + 1)
    ru.write_text(text[:start] + text[end:], "utf-8")
    knowledge = load_knowledge(knowledge_copy)
    assert any("ru.yaml: 39/40 answers translated" in w for w in knowledge.warnings)
    reply = Engine(knowledge).ask("Кто такой Пашинян?")
    untranslated = knowledge.translations["ru"].messages["untranslated"]
    assert reply.text == f"{untranslated}\n\n{knowledge.entries['pashinyan'].answer}"


def _line(path: Path, needle: str, after: str) -> int:
    """The line of ``needle``, first after ``after``."""
    text = path.read_text("utf-8")
    return text[: text.index(needle, text.index(after))].count("\n") + 1


def _broken_ru(knowledge: Path) -> bytes:
    """ru.yaml with a number changed in an answer, a placeholder and an id misspelt."""
    text = (knowledge / "ru.yaml").read_text("utf-8")
    answers = text.index("\nanswers:")
    at = text.index("30 000", answers)
    broken = text[:at] + "40 000" + text[at + 6 :]
    broken = broken.replace("{missing}", "{missin}", 1)
    return broken.replace("\n  who-brokered:", "\n  who-brokerd:", 1).encode()


def test_a_translation_that_fails_its_checks_is_not_used_and_says_where(
    knowledge_copy: Path,
) -> None:
    ru = knowledge_copy / "ru.yaml"
    ru.write_bytes(_broken_ru(knowledge_copy))
    knowledge = load_knowledge(knowledge_copy)  # the English still serves
    told = [w for w in knowledge.warnings if w.startswith("ru.yaml:") and UNUSED in w]
    number = [w for w in told if "gives the numbers ['1992', '40000']" in w]
    assert len(number) == 1
    assert int(number[0].split(":")[1]) == _line(ru, "death-toll:", "\nanswers:")
    assert any("must keep the placeholders" in w and "'{missin}'" in w for w in told)
    assert any("unknown id 'who-brokerd'; did you mean 'who-brokered'?" in w for w in told)
    # The death toll's answer is shown in English, saying so, not with the wrong number.
    reply = Engine(knowledge).ask("Сколько людей погибло в войне?")
    assert reply.entry == "death-toll"
    untranslated = knowledge.translations["ru"].messages["untranslated"]
    assert reply.text.startswith(untranslated) and "30,000" in reply.text


def test_an_upload_of_a_bad_translation_is_refused_at_its_line(
    knowledge_copy: Path, tmp_path: Path
) -> None:
    curator = Curator(Engine(load_knowledge(knowledge_copy)), knowledge_copy, tmp_path / "data")
    before = (knowledge_copy / "ru.yaml").read_bytes()
    outcome = curator.upload("ru.yaml", _broken_ru(knowledge_copy))
    assert not outcome.applied
    assert any(e.file == "ru.yaml" and "40000" in e.message for e in outcome.errors)
    assert (knowledge_copy / "ru.yaml").read_bytes() == before
    # An English answer edited: applied, and the admin is told its translations are not used.
    qa = (knowledge_copy / "qa.yaml").read_text("utf-8")
    edited = qa.replace("killed some 30,000 people.", "killed some 30,000 people in 2 years.", 1)
    assert edited != qa
    outcome = curator.upload("qa.yaml", edited.encode())
    assert outcome.applied, outcome.text()
    assert any("death-toll" in d and UNUSED in d for d in outcome.details)


def test_a_translation_file_is_optional(knowledge_copy: Path, tmp_path: Path) -> None:
    for code in ("ru", "tr", "az", "hy"):
        shutil.move(knowledge_copy / f"{code}.yaml", tmp_path / f"{code}.yaml")
    engine = Engine(load_knowledge(knowledge_copy))
    reply = engine.ask("Кто нарушил перемирие?")
    assert reply.text == engine.knowledge.messages["unsupported_language"]


def test_what_someone_said_is_checked_with_the_verb_last(engine: Engine) -> None:
    # Turkish puts the verb last: read word by word, "Sarkissian Turkey about what thinks".
    # The article reports nothing Sarkissian said about Turkey.
    reply = engine.ask("Sarkisyan Türkiye hakkında ne düşünüyor?")
    assert reply.kind is not Kind.ANSWER and reply.language == "tr"
    assert "Türkiye" in reply.text.split("\n")[0]
    # Two names joined are one speaker, as in English.
    assert engine.ask("What did Armenia's president Sarkissian say?").kind is Kind.ANSWER


@pytest.mark.parametrize(
    ("language", "question", "entry"),
    [
        # a short root and a chain of endings: "min" + "ib", "boz" + "an" + "lar" + ...
        ("az", "Razılaşma hansı gün qüvvəyə minib?", "truce-timing"),
        ("tr", "Ateşkesi bozanlar kimlermiş?", "who-violated"),
        # endings typed apart from the number they belong to
        ("tr", "Aliyev F16 larla kimi tehdit etti?", "aliyev-f16"),
        ("hy", "Ալիևը ինչով է սպառնացել F-16-ներով", "aliyev-f16"),
        # one slip in a phrase whose first word was typed right ("ne zamn")
        ("tr", "Çatışmalar ne zamn başladı?", "conflict-reerupted"),
        # Armenian typed in Latin letters
        ("hy", "ov e mijnordel hradadarin?", "who-brokered"),
        # typed with its accents, "neçə" is how many, not "necə" (how) that folds alike
        ("az", "Neçə atəşkəs olub?", "russian-ceasefires"),
        # and without accents anywhere, "oldu" may still be "öldü" (died)
        ("tr", "kac kisi oldu", "death-toll"),
        ("az", "Əvvəlki atəşkəslər niyə nəticə vermədi?", "russian-ceasefires"),
        # an ending typed after a number in Latin-typed Armenian ("F-16erov")
        ("hy", "Aliyev F-16erov e sparnacel?", "aliyev-f16"),
        # "ինչի մասին" asks what someone spoke about, not only what the article is about
        ("hy", "Ինչի՞ մասին է խոսել Լավրովը։", "lavrov"),
        ("hy", "Ինչի՞ մասին է հոդվածը։", "summary"),
        ("hy", "Ալիևն ի՞նչ պայման է դրել։", "aliyev-demands"),
        # speaking about something is saying it; "գնդակոծել" is shelling; a truce "concluded"
        # (կնքված) is the truce, not a second deed of its broker
        ("hy", "Ալիևն F-16-ների մասին էր խոսում", "aliyev-f16"),
        ("hy", "Ո՞ր գյուղերն են գնդակոծել հայկական զորքերը", "azerbaijan-accusations"),
        ("hy", "Վաշինգտոնում կնքված հրադադարը ինչքա՞ն տևեց", "truce-collapse"),
        # Azerbaijani "bəyan etmək" is stating, not announcing a deal
        ("az", "Azərbaycan ordusu atəşkəsə riayət etdiyini bəyan edibmi?", "azerbaijan-position"),
        # "etkilemek" is affecting, not a truce taking effect; "mesele" is the question at
        # stake and a "problem" between two sides their dispute, not an issued statement
        ("tr", "Bu çatışma Türkiye ile NATO ilişkilerini etkiledi mi?", "turkey-nato"),
        ("az", "Türkiyə ilə NATO arasında nə problem var?", "turkey-nato"),
    ],
)
def test_endings_slips_accents_and_idioms_of_each_language_read_right(
    engine: Engine, language: str, question: str, entry: str
) -> None:
    reply = engine.ask(question)
    assert (reply.kind, reply.entry, reply.language) == (Kind.ANSWER, entry, language)
    assert reply.text.startswith(engine.knowledge.translations[language].answers[entry])


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Pompeo ne dedi?", "tr"),  # "ne" and "dedi" are Turkish, "Pompeo" is everyone's
        ("Aliyev F 16 larla ne yapacakmış?", "tr"),  # "F", "16" are not English words
        ("hradadary vashingtonum en haytararel?", "hy"),
    ],
)
def test_names_and_numbers_do_not_make_a_question_english(
    engine: Engine, question: str, language: str
) -> None:
    reply = engine.ask(question)
    assert reply.language == language
    assert reply.kind is Kind.ANSWER


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("erdoghany inch asec Fransiayi masin?", "Fransiayi"),  # Armenian in Latin letters
        ("Erdoğan Fransalılar hakkında ne demiş?", "Fransalılar"),
    ],
)
def test_what_the_article_does_not_say_is_still_refused_however_it_is_typed(
    engine: Engine, question: str, named: str
) -> None:
    reply = engine.ask(question)
    assert reply.kind is not Kind.ANSWER
    assert named in reply.text.split("\n")[0]


def test_a_lexicon_is_built_once_per_load_and_shared_by_the_check_and_the_matcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = languages.Lexicon.__init__

    def counting(self: languages.Lexicon, translation: Translation) -> None:
        built.append(translation.code)
        real(self, translation)

    monkeypatch.setattr(languages.Lexicon, "__init__", counting)
    engine = Engine(load_knowledge(KNOWLEDGE))
    assert sorted(built) == sorted(engine.knowledge.translations)  # once each, not twice
    assert engine.ask("Кто нарушил перемирие?").entry == "who-violated"


def test_english_questions_are_still_told_english(engine: Engine) -> None:
    for question in (
        "What did Lavrov say?",
        "is nagorno-karabkh azerbaijans or armenias",
        "armen sarkisian russia mediater",
        "Did Aliyev threaten to use F-16s?",
    ):
        assert engine.ask(question).language == "en"


def test_a_word_typed_without_accents_in_an_unaccented_question_keeps_its_old_reading(
    engine: Engine,
) -> None:
    # "nece" may be "neçə" or "necə": read as before, as how
    reply = engine.ask("Nece ateskes olub?")
    assert reply.language == "az"
    assert reply.entry != "russian-ceasefires"


def test_arming_someone_the_article_does_not_say_was_criticised_is_refused(
    engine: Engine,
) -> None:
    reply = engine.ask("Pompeo Rusiyanın Ermənistana silah verməsini tənqid edib?")
    assert reply.language == "az"
    assert reply.kind is not Kind.ANSWER


@pytest.mark.parametrize(
    ("question", "language", "entry"),
    [
        # Russian typed in Latin letters, in the spellings people use
        ("kto takoi pashinyan", "ru", "pashinyan"),
        ("Kto takoy Pashinyan?", "ru", "pashinyan"),
        ("kto narushil peremirie", "ru", "who-violated"),
        # "не" is read, not dropped: not keeping the truce is breaking it
        ("кто не соблюдал перемирие", "ru", "who-violated"),
        ("pochemu peremirie ne srabotalo", "ru", "truce-collapse"),
        # a Turkish ending typed apart from its word, with its apostrophe
        ("Ateşkes 'i kim ihlal etti?", "tr", "who-violated"),
        # a post someone "occupies" is their role, not the article's title
        ("Какую должность занимает Гаджиев?", "ru", "hajiyev"),
        ("Hacıyevin vəzifəsi nədir?", "az", "hajiyev"),
        # a round number with a plural ending is a decade: "in the 90s"
        ("90larda qarabağda nə qədər adam öldü", "az", "death-toll"),
        ("1990'larda kaç kişi öldü?", "tr", "death-toll"),
        # short Armenian in Latin letters: "ov" (who), and ը typed "@"
        ("ov e pashinyan", "hy", "pashinyan"),
        ("inch asec aliev@", "hy", "aliyev"),
    ],
)
def test_latin_typing_negation_and_detached_endings_read_right(
    engine: Engine, question: str, language: str, entry: str
) -> None:
    reply = engine.ask(question)
    assert (reply.kind, reply.entry, reply.language) == (Kind.ANSWER, entry, language)
    assert reply.text.startswith(engine.knowledge.translations[language].answers[entry])


def test_russian_negation_reaches_the_english_reading(engine: Engine) -> None:
    assert engine.reading("Почему перемирие не продержалось?") == (
        "ru",
        "why truce not hold",
    )
    assert "not" in engine.reading("pochemu peremirie ne srabotalo")[1].split()


def test_latin_typed_russian_spelling_makes_one_word_of_its_spellings() -> None:
    for typed in ("pashinyan", "pashinian", "Пашинян"):
        assert languages.russian_latin(languages.fold(typed)) == "pashinian"
    for typed in ("takoi", "takoy", "такой"):
        assert languages.russian_latin(languages.fold(typed)) == "takoi"
    assert languages.russian_latin(languages.fold("yerevan")) == "erevan"
    assert languages.russian_latin(languages.fold("Ереван")) == "erevan"


@pytest.mark.parametrize(
    ("language", "typed", "english"),
    [
        # a slip in a word that carries endings: the root before them, or the stem
        ("tr", "arabulcuyu", "mediator"),
        ("tr", "saldrılarında", "attack"),
        ("az", "muharebesinde", "war"),
        ("ru", "перимирия", "truce"),
        ("ru", "перемерия", "truce"),
    ],
)
def test_a_slip_in_a_word_with_endings_is_still_read(
    engine: Engine, language: str, typed: str, english: str
) -> None:
    lexicon = languages.lexicon_of(engine.knowledge.translations[language])
    assert lexicon.word(typed) == english


def test_a_turkish_ending_typed_apart_with_its_apostrophe_does_not_change_the_language(
    engine: Engine,
) -> None:
    reply = engine.ask("Aliyev 'in talepleri ne?")
    assert (reply.language, reply.kind, reply.entry) == ("tr", Kind.ANSWER, "aliyev-demands")


@pytest.mark.parametrize(
    "question",
    [
        # the bot's own opinion asked for, and a future the article cannot report
        "Как вы думаете, Россия в конце концов поможет?",
        "Sizin fikrinizcə, Rusiya Ermənistana kömək edəcək?",
        "Ձեր կարծիքով Ռուսաստանը կօգնի՞",
    ],
)
def test_the_bots_opinion_on_what_will_happen_is_not_answered(
    engine: Engine, question: str
) -> None:
    assert engine.ask(question).kind is not Kind.ANSWER


@pytest.mark.parametrize(
    ("question", "language"),
    [
        # "in your opinion" frames the question; the article's facts still answer it
        ("По-вашему, кто нарушил перемирие?", "ru"),
        ("Ձեր կարծիքով ո՞վ է խախտել հրադադարը", "hy"),
    ],
)
def test_asking_the_bots_opinion_of_a_fact_gets_the_articles_answer(
    engine: Engine, question: str, language: str
) -> None:
    reply = engine.ask(question)
    assert (reply.kind, reply.entry, reply.language) == (Kind.ANSWER, "who-violated", language)
