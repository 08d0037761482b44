"""The trained intent model: features, predictions, the cache, and the fallback without a model.

These run against the model the test session built (tests/conftest.py builds it if the cache is
missing). Its quality on data it never saw is measured by cross-validation (`intents evaluate`,
figures in docs/assistant.md) and by the hold-out set in tests/data (test_holdout.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from livechat.ai import analysis, intents
from livechat.ai.banking77 import (
    ACCOUNT_TAKEOVER,
    COARSE,
    DATA_DIR,
    FRAUD_INTENTS,
    LABELS,
    MODEL_COARSE,
    MODEL_ONLY,
    SECURITY_INTENTS,
)
from livechat.ai.policy import decide

SAMPLES = [
    "My card still hasn't arrived!!",
    "  double   spaces\tand\ttabs  ",
    "Mi tarjeta no funciona en el cajero",
    "Überweisung fehlgeschlagen, warum?",
    "a",
    "I'd like to top-up £50 via Apple Pay",
]


@pytest.fixture(scope="module")
def model() -> intents.IntentModel:
    found = intents.model()
    assert found is not None, "the test session builds the model; none was loaded"
    return found


# --- the map and the features --------------------------------------------------------------------


def test_every_label_has_one_coarse_intent_the_analysers_know() -> None:
    assert len(LABELS) == 77 and set(COARSE) == set(LABELS)
    assert set(COARSE.values()) <= set(analysis.INTENTS)
    assert FRAUD_INTENTS <= SECURITY_INTENTS <= set(LABELS) | set(MODEL_ONLY)


def test_classes_beyond_the_77_are_few_and_map_onto_known_coarse_intents() -> None:
    assert set(MODEL_ONLY) == {ACCOUNT_TAKEOVER} and not set(MODEL_ONLY) & set(LABELS)
    assert set(MODEL_COARSE) == set(LABELS) | set(MODEL_ONLY)
    assert set(MODEL_COARSE.values()) <= set(analysis.INTENTS)
    assert MODEL_COARSE[ACCOUNT_TAKEOVER] == "fraud_report" and ACCOUNT_TAKEOVER in FRAUD_INTENTS


def test_the_security_rows_train_the_guard_only() -> None:
    assert DATA_DIR / "security.csv" in intents.training_files()
    corpus = intents.full_corpus()
    assert corpus.main is not None
    guard_only = {c for c, main in zip(corpus.classes, corpus.main, strict=True) if not main}
    assert ACCOUNT_TAKEOVER in guard_only
    assert ACCOUNT_TAKEOVER not in {
        c for c, m in zip(corpus.classes, corpus.main, strict=True) if m
    }


def test_features_repeat_scikit_learns_analyzers_exactly() -> None:
    # Inference re-implements the analyzers in numpy: they must cut text as training did.
    word = TfidfVectorizer(
        ngram_range=intents.WORD_NGRAMS, token_pattern=r"(?u)\b\w+\b"
    ).build_analyzer()
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=intents.CHAR_NGRAMS).build_analyzer()
    for text in SAMPLES:
        assert intents.word_ngrams(text) == word(text), text
        assert intents.char_ngrams(text) == char(text), text


def test_a_saved_model_predicts_what_the_trained_one_did(tmp_path: Path) -> None:
    corpus = intents.Corpus(
        ["my card has not arrived", "where is my new card", "hello there", "someone used my card"]
        * 3,
        ["card_arrival", "card_arrival", intents.OUTSIDE, "compromised_card"] * 3,
        [True, True, True, False] * 3,
    )
    arrays = intents.fit(corpus, intents.embedder(), temperature=0.5)
    path = tmp_path / "tiny.npz"
    intents.save(arrays, path)
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, nothing left behind
    trained, loaded = intents.IntentModel(arrays), intents.load(path)
    for text in ["card not arrived yet", "hi", "¿dónde está mi tarjeta?"]:
        assert np.allclose(trained.scores(text), loaded.scores(text))
        assert trained.predict(text) == loaded.predict(text)


# --- predictions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("My new card still hasn't come in the post", "card_arrival"),
        ("There's a payment on my card I didn't make", "card_payment_not_recognised"),
        ("How do I change my PIN?", "change_pin"),
        ("I forgot my passcode and can't open the app", "passcode_forgotten"),
        ("I'd like to close my account please", "terminate_account"),
        ("Why did my top up fail?", "top_up_failed"),
    ],
)
def test_clear_banking_questions_get_their_label(
    model: intents.IntentModel, text: str, label: str
) -> None:
    prediction = model.predict(text)
    assert prediction.label == label
    assert intents.MIN_CONFIDENCE <= prediction.confidence <= 1
    assert prediction.coarse == COARSE[label]


@pytest.mark.parametrize(
    "text", ["hello", "thanks, bye!", "What's the weather like in Lisbon?", "Tell me a joke"]
)
def test_messages_outside_banking_get_no_label(model: intents.IntentModel, text: str) -> None:
    prediction = model.predict(text)
    assert prediction.label is None and prediction.coarse is None
    assert 0 <= prediction.confidence <= 1


@pytest.mark.parametrize("text", ["", "   ", "😀😡", "?!?!", "1," * 5_000, "9" * 20_000])
def test_text_without_letters_is_not_classified(model: intents.IntentModel, text: str) -> None:
    assert model.predict(text) == intents.Prediction(label=None, confidence=0.0, best="outside")


def test_long_and_odd_text_is_classified_without_error(model: intents.IntentModel) -> None:
    for text in ["card " * 4_000, "a" * 20_000, "\x00card\x00 arrived?", "İstanbul ǅ ﬁ card"]:
        prediction = model.predict(text)
        assert prediction.label in (*LABELS, *MODEL_ONLY, None)
        assert prediction.detail in (*LABELS, None)
        assert 0 <= prediction.confidence <= prediction.coarse_confidence <= 1


def test_a_takeover_is_a_fraud_report_without_an_intent_detail(model: intents.IntentModel) -> None:
    prediction = model.predict("My password and my email were both changed and it wasn't me")
    assert prediction.security == ACCOUNT_TAKEOVER and prediction.coarse == "fraud_report"
    assert prediction.detail is None  # intentDetail is one of the 77 labels or null
    found = analysis.analyse("My password and my email were both changed and it wasn't me")
    assert (found.intent, found.intent_detail, found.security) == (
        "fraud_report",
        None,
        ACCOUNT_TAKEOVER,
    )
    stored = analysis.to_dict(found)
    assert stored["intentDetail"] is None
    assert "security" not in stored and ACCOUNT_TAKEOVER not in str(stored)


def test_the_guard_reads_fraud_only_when_sure() -> None:
    classes = np.array([ACCOUNT_TAKEOVER, intents.GUARD_FRAUD, intents.GUARD_OTHER])

    def reading(*p: float) -> tuple[str | None, float]:
        security, report = intents.guard_reading(classes, np.array(p))
        return security, round(report, 4)

    assert reading(0.01, 0.98, 0.01) == (intents.GUARD_FRAUD, 0.99)
    assert reading(0.01, 0.01, 0.98) == (None, 0.02)
    # Split between fraud and a takeover, a report is still likelier than not: the likelier one.
    assert reading(0.3, 0.25, 0.45) == (ACCOUNT_TAKEOVER, 0.55)
    assert reading(0.17, 0.18, 0.65) == (None, 0.35)  # under GUARD_MIN_CONFIDENCE (0.4)
    assert intents.guard_reading(np.array([intents.GUARD_OTHER]), np.array([1.0])) == (None, 0.0)
    assert [
        intents.guard_class(c) for c in ("compromised_card", ACCOUNT_TAKEOVER, "top_up_failed")
    ] == [
        intents.GUARD_FRAUD,
        ACCOUNT_TAKEOVER,
        intents.GUARD_OTHER,
    ]
    sure = intents.Prediction(
        "passcode_forgotten", 0.9, "passcode_forgotten", 0.9, ACCOUNT_TAKEOVER, 0.8
    )
    assert (sure.coarse, sure.detail) == ("fraud_report", None)
    fraud = intents.Prediction(
        "declined_card_payment", 0.7, "declined_card_payment", 0.8, "fraud", 0.7
    )
    assert (fraud.coarse, fraud.detail) == ("fraud_report", "declined_card_payment")


def test_the_coarse_confidence_sums_the_classes_of_one_coarse_intent() -> None:
    unsure = intents.Prediction(None, 0.35, "compromised_card", coarse_confidence=0.7)
    assert unsure.label is None and unsure.detail is None and unsure.coarse == "fraud_report"
    assert intents.Prediction(None, 0.35, "compromised_card", coarse_confidence=0.4).coarse is None
    assert intents.Prediction(None, 0.9, "outside", coarse_confidence=0.9).coarse is None


def test_a_negated_object_is_not_what_the_message_is_about() -> None:
    assert analysis.analyse("I lost my keys, not my card. When do you open?").intent_detail is None


# --- escalation reads the model --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("There's a transaction on my statement from a shop I've never been to", "URGENT"),
        ("Cash was taken out of an ATM with my card but it wasn't me", "URGENT"),
        ("I think my card details were copied, there are weird online purchases", "URGENT"),
        ("Alguien ha usado mi tarjeta sin mi permiso", "URGENT"),
        ("I left my card in a taxi last night", "HIGH"),
        # account_takeover: a class of the model's own, never a BANKING77 intentDetail
        ("Somebody changed the phone number on my profile and I can't log in anymore", "URGENT"),
        ("I never asked for these login codes and now there's a transfer I didn't send", "URGENT"),
        ("Alguien ha cambiado mi contraseña y mi correo, yo no he sido", "URGENT"),
        ("Quelqu'un s'est connecté à mon compte depuis un appareil inconnu", "URGENT"),
        ("Mein Passwort wurde von jemand anderem zurückgesetzt, das war ich nicht", "URGENT"),
        ("Qualcuno ha cambiato la mia password e la mia email, non sono stato io", "URGENT"),
    ],
)
def test_fraud_and_security_intents_escalate_without_keywords(text: str, priority: str) -> None:
    found = analysis.analyse(text)
    decision = decide(found, unresolved_tickets=0)
    assert (decision.escalate, decision.rule, decision.priority) == (
        True,
        "priority_keyword",
        priority,
    ), (found.intent_detail, found.confidence, found.priority_keywords)


def test_a_question_about_a_card_does_not_escalate() -> None:
    found = analysis.analyse("When will my replacement card be delivered?")
    assert found.intent == "card_delivery"
    assert decide(found, unresolved_tickets=0).escalate is False


@pytest.mark.parametrize(
    "text",
    [
        "How do I change my password to something stronger?",
        "I have a new email address, how do I update it in the app?",
        "Wie ändere ich meine Handynummer in der App?",
        "Come imposto un addebito diretto per la bolletta del gas?",
        "Comment je me connecte sur mon nouveau téléphone ?",
        "Ya reconozco el cargo, era la suscripción de mi pareja, gracias",
    ],
)
def test_benign_security_look_alikes_do_not_go_urgent(text: str) -> None:
    decision = decide(analysis.analyse(text), unresolved_tickets=0)
    assert not (decision.escalate and decision.priority == "URGENT"), decision


# --- the cache and the fallback --------------------------------------------------------------------


def test_the_cache_key_follows_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = intents.cache_key()
    assert key == intents.cache_key() and len(key) == 16
    copies = []
    for path in intents.training_files():
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(intents, "training_files", lambda: copies)
    assert intents.cache_key() == key
    with copies[-1].open("a", encoding="utf-8") as f:
        f.write("one more row,en\n")
    assert intents.cache_key() != key


def test_build_is_a_no_op_when_the_cache_matches() -> None:
    path, built = intents.build()
    assert built is False and path == intents.model_path() and path.is_file()


def test_without_a_built_model_the_rules_answer_and_say_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(intents.MODEL_DIR_ENV, str(tmp_path / "empty"))
    with caplog.at_level("WARNING", logger="livechat.ai.intents"):
        found = analysis.analyse("My card was declined at the supermarket")
    assert found.intent == "card_issue"  # the keyword rules
    assert (found.intent_detail, found.confidence) == (None, 0.0)
    assert "intents build" in caplog.text


# --- retrieval with the model's label ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("my card still hasnt arrived, its been 10 days", "card-delivery"),
        ("How can I get Google Pay working?", "apple-google-pay"),
        ("what is the maximum I can top up", "limits"),
        ("Why was I charged for taking cash out?", "fees"),
        ("I want to delete my account", "account-closure"),
        ("The exchange rate on my card payment abroad was wrong", "exchange-rates"),
        ("I don't recognise a payment on my card", "fraud-security"),
    ],
)
def test_the_offline_assistant_cites_the_article_for_common_questions(
    question: str, article: str
) -> None:
    from livechat.ai.knowledge import KnowledgeBase
    from livechat.ai.turns import find_passages

    found = analysis.analyse(question)
    passages = find_passages(KnowledgeBase.load(), question, found.intent, found.intent_detail)
    assert passages and passages[0].article_id == article, (found.intent_detail, passages[:1])


def test_a_sure_77_way_label_outweighs_an_unsure_guard() -> None:
    model = intents.model()
    assert model is not None

    def predicted(label: str, confidence: float, report: float) -> intents.Prediction:
        p = np.full(len(model.classes), (1 - confidence) / (len(model.classes) - 1))
        p[model.classes.index(label)] = confidence
        guard = np.zeros(len(model.guard_classes))
        guard[model.guard_classes.index(ACCOUNT_TAKEOVER)] = report
        guard[model.guard_classes.index(intents.GUARD_OTHER)] = 1 - report
        return model.prediction(p, guard)

    # "meine Karte wurde vom ATM eingezogen": the head is sure of card_swallowed, the guard is not
    # sure enough to overrule it; the label stands as intentDetail.
    calm = predicted("card_swallowed", 0.68, 0.64)
    assert calm.security is None and calm.detail == "card_swallowed"
    sure = predicted("card_swallowed", 0.68, 0.85)
    assert sure.security == ACCOUNT_TAKEOVER and sure.detail is None
    unsure_head = predicted("card_swallowed", 0.4, 0.55)
    assert unsure_head.security == ACCOUNT_TAKEOVER
    # A security label is no reason to yield: a lost phone and a takeover are both reports.
    assert predicted("lost_or_stolen_phone", 0.9, 0.6).security == ACCOUNT_TAKEOVER


def test_the_guards_rows_change_nothing_the_77_way_head_learns() -> None:
    texts = ["my card has not arrived", "where is my new card", "hello there", "hi"] * 3
    classes = ["card_arrival", "card_arrival", intents.OUTSIDE, intents.OUTSIDE] * 3
    extra = ["someone used my card", "a stranger changed my password", "card payment I never made"]
    extra_classes = ["compromised_card", ACCOUNT_TAKEOVER, "card_payment_not_recognised"]
    plain = intents.fit(intents.Corpus(texts, classes), intents.embedder())
    guarded = intents.fit(
        intents.Corpus(texts + extra, classes + extra_classes, [True] * 12 + [False] * 3),
        intents.embedder(),
    )
    for key in ("classes", "word_vocab", "char_vocab", "word_idf", "char_idf", "weights", "bias"):
        assert np.array_equal(plain[key], guarded[key]), key
    assert set(guarded["guard_classes"]) == {intents.GUARD_FRAUD, ACCOUNT_TAKEOVER, "other"}


# --- the complaint head --------------------------------------------------------------------------


def test_the_complaint_rows_teach_the_complaint_head_and_the_guard_only() -> None:
    assert DATA_DIR / "complaints.csv" in intents.training_files()
    corpus = intents.full_corpus()
    assert corpus.main is not None and corpus.angry is not None
    angry = [i for i, a in enumerate(corpus.angry) if a]
    assert len(angry) == len(intents.complaint_rows()) > 0
    assert not any(corpus.main[i] for i in angry)  # the 77-way head never learns from them


@pytest.mark.parametrize(
    "text",
    [
        "Third time this month you've charged me a 'service fee' nobody told me about. FIFTEEN "
        "euros gone, again. I've been with you for eight years and this is how you treat me? "
        "Absolutely disgraceful, I'm moving my salary elsewhere.",
        "Sei giorni che il mio bonifico è 'in lavorazione' e nessuno mi risponde. Devo pagare "
        "l'affitto domani. Vergognatevi, siete una banca ridicola e io chiudo il conto.",
        "Vous avez bloqué ma carte SANS prévenir, en plein supermarché, devant tout le monde. "
        "Trois appels, personne ne sait pourquoi. C'est la dernière fois que je vous fais confiance.",
    ],
)
def test_an_angry_complaint_reads_as_one(model: intents.IntentModel, text: str) -> None:
    assert model.predict(text).complaint > 0


@pytest.mark.parametrize(
    "text",
    [
        "How do I change my PIN?",
        "¿Cuánto tarda en llegar una transferencia a Alemania?",
        "Hello, I moved house last month and would like to update my address on the account, "
        "could you tell me where I can do that in the app? Thanks a lot for your help.",
    ],
)
def test_a_calm_question_reads_as_no_complaint(model: intents.IntentModel, text: str) -> None:
    assert model.predict(text).complaint < 0


def test_without_angry_rows_the_complaint_head_reads_none() -> None:
    texts = ["my card has not arrived", "where is my new card", "hello there", "hi"] * 3
    classes = ["card_arrival", "card_arrival", intents.OUTSIDE, intents.OUTSIDE] * 3
    arrays = intents.fit(intents.Corpus(texts, classes), intents.embedder())
    assert not arrays["complaint_weights"].any()
    assert intents.IntentModel(arrays).predict("YOU TOOK MY MONEY, DISGRACEFUL").complaint == -1.0


def test_negation_marks_cover_the_words_after_a_negation_in_its_clause() -> None:
    marks = intents.negation_marks
    assert marks("I didn't make this payment, but I bought shoes") == ["¬make", "¬this", "¬payment"]
    assert marks("Je n'ai pas fait ce virement.") == ["¬ai", "¬fait", "¬ce", "¬virement"]
    assert marks("Das war nicht ich! Ich war zu Hause") == ["¬ich"]
    assert marks("NÃO fiz esta compra") == ["¬fiz", "¬esta", "¬compra"]
    assert marks("I made this payment") == []
    # The guard's block is the word n-grams and the marks, made once at inference.
    words = intents.word_ngrams("non ho fatto io")
    assert intents.guard_grams("non ho fatto io", words) == [*words, "¬ho", "¬fatto", "¬io"]
