"""The glossary: English glosses of banking words in es/fr/de/pt/it, read beside the message."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from livechat.ai import glossary, intents
from livechat.ai.banking77 import ACCOUNT_TAKEOVER
from livechat.ai.knowledge import KnowledgeBase
from livechat.ai.turns import find_passages


@pytest.fixture(scope="module")
def table() -> dict[str, str]:
    return intents.glossary_table()


def test_every_language_has_a_checked_file() -> None:
    assert [p.stem for p in glossary.files()] == list(glossary.LANGUAGES)
    for path in glossary.files():
        assert path in intents.training_files()  # a changed gloss rebuilds the model
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) >= 500, path.name
        words = [r["word"] for r in rows]
        assert len(words) == len(set(words)), f"{path.name}: a word twice"
        assert all(w == w.lower() for w in words), path.name
    lines = [path.read_text(encoding="utf-8").count("\n") - 1 for path in glossary.files()]
    assert len(glossary.read()) == sum(lines)


def test_english_words_are_never_glossed(table: dict[str, str]) -> None:
    english = glossary.english_words(t for t, _ in intents.banking77_rows())
    assert {"use", "change", "arrive", "card", "money"} <= english
    assert not english & set(table)
    assert glossary.gloss("my card was stolen and someone used it at an atm", table) == ""
    assert glossary.with_gloss("where is my card?", table) == "where is my card?"


def test_rare_english_words_and_single_letters() -> None:
    queries = ["non stop", "non-EU", "non member", "use it", "use that", "use this", "use it again"]
    english = glossary.english_words(queries)
    assert english == {"use"}  # in more than ENGLISH_USES (3) queries
    assert "non" in glossary.english_words([*queries, "non resident"])
    rows = [("non", "not"), ("è", "is"), ("use", "used"), ("uso", "use"), ("USO", "usage")]
    assert glossary.table(rows, english) == {"non": "not", "uso": "use usage"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alguien sacó dinero de mi cuenta", {"someone", "money", "account"}),
        ("Jemand hat Geld von meinem Konto abgehoben", {"someone", "money", "account"}),
        ("Quelqu'un a utilisé ma carte", {"someone", "card"}),
        ("Não reconheço essa compra no cartão", {"recognise", "purchase", "card"}),
        ("Ho perso la carta, la devo bloccare", {"lost", "card", "block"}),
    ],
)
def test_a_message_is_read_with_the_english_of_its_words(
    table: dict[str, str], text: str, expected: set[str]
) -> None:
    glossed = glossary.gloss(text, table)
    assert expected <= set(glossed.split()), glossed
    assert glossary.with_gloss(text, table) == f"{text}\n{glossed}"


def test_accents_left_out_are_forgiven(table: dict[str, str]) -> None:
    assert glossary.fold("Überweisung") == "uberweisung"
    assert glossary.fold("Straße") == "strasse"
    assert glossary.gloss("Überweisung", table) == glossary.gloss("uberweisung", table) != ""
    assert glossary.gloss("tarjeta robada", table) == glossary.gloss("TARJETA ROBADA", table)


@pytest.mark.parametrize(
    "row",
    [
        "palavra-passe,password",  # two words for the tokenizer
        "mot de passe,password",
        ",card",
        "tarjeta,",
        "tarjeta,a card that is",  # four English words
    ],
)
def test_a_bad_row_stops_the_build_with_its_place(tmp_path: Path, row: str) -> None:
    path = tmp_path / "xx.csv"
    path.write_text(f"word,english\ncuenta,account\n{row}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"xx\.csv:3: expected one word"):
        glossary.read([path])


def test_no_glossary_leaves_the_text_alone() -> None:
    assert glossary.gloss("Alguien sacó dinero", {}) == ""
    assert glossary.with_gloss("Alguien sacó dinero", {}) == "Alguien sacó dinero"


def test_english_training_reaches_another_language_through_the_glossary() -> None:
    # Trained on English only: with the glosses, the Spanish report reads as the English ones.
    texts = [
        "someone stole my card",
        "my card was stolen",
        "where is my new card",
        "my card has not arrived",
        "hello there",
        "good morning",
    ] * 3
    classes = (["lost_or_stolen_card"] * 2 + ["card_arrival"] * 2 + [intents.OUTSIDE] * 2) * 3
    words = {"robaron": "stole", "robada": "stolen", "tarjeta": "card", "llegado": "arrived"}
    glossed = intents.IntentModel(
        intents.fit(intents.Corpus(texts, classes), intents.embedder(), glossed=words)
    )
    assert glossed.glossary == words  # stored with the model
    report = "me robaron la tarjeta"
    assert glossed.predict(report).best == "lost_or_stolen_card"
    assert glossed.predict("la tarjeta no ha llegado").best == "card_arrival"
    plain = intents.IntentModel(
        intents.fit(intents.Corpus(texts, classes), intents.embedder(), glossed={})
    )
    assert plain.glossary == {}
    scores = glossed.scores(report)
    assert (
        scores[glossed.classes.index("lost_or_stolen_card")]
        > plain.scores(report)[plain.classes.index("lost_or_stolen_card")]
    )


def test_the_shipped_model_reads_the_shipped_glossary(table: dict[str, str]) -> None:
    model = intents.model()
    assert model is not None
    assert model.glossary == table
    assert ACCOUNT_TAKEOVER in model.guard_classes


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("¿Cuánto tarda en llegar la tarjeta nueva?", "card-delivery"),
        ("Wie lange dauert die Lieferung meiner neuen Karte?", "card-delivery"),
        ("Comment recharger mon compte avec une carte bancaire ?", "top-up-problems"),
        ("Esqueci a minha senha, como faço para recuperar?", "account-access"),
        ("Quanto costa prelevare contanti al bancomat?", "fees"),
        ("Quel est le taux de change pour les dollars ?", "exchange-rates"),
    ],
)
def test_a_question_in_another_language_finds_its_english_article(
    question: str, article: str
) -> None:
    # Without a confident label, BM25 searches the English articles with the question's glosses.
    kb = KnowledgeBase.load()
    plain = kb.search(question, k=1)
    assert not plain or plain[0].article_id != article  # the words alone miss it
    passages = find_passages(kb, question, "general", None)
    assert passages and passages[0].article_id == article
    assert intents.with_glosses(question).startswith(f"{question}\n")


def test_retrieval_without_a_model_searches_the_question_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(intents.MODEL_DIR_ENV, str(tmp_path))  # no model built there
    assert intents.with_glosses("¿Cuánto tarda la tarjeta?") == "¿Cuánto tarda la tarjeta?"
