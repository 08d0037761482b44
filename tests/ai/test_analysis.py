"""The local analysers: intents, human requests, keywords, sentiment, complexity, language."""

from __future__ import annotations

import json
import re
import re._parser as sre
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from livechat.ai import analysis
from livechat.ai.analysis import INTENTS, LANGUAGES, Analysis, analyse, detect_language, to_dict
from livechat.ai.policy import decide


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Somebody used my account and I don't recognise these transactions", "fraud_report"),
        ("My card got declined at the petrol station", "card_issue"),
        ("I was charged twice for one coffee", "payment_issue"),
        ("I can't log in since the update", "account_access"),
        ("What proof of address do you accept?", "kyc"),
        ("How much does an international transfer cost?", "fees"),
        ("The shop promised a refund three weeks ago", "refund"),
        ("What are your opening hours?", "general"),
        ("Let me talk to a person", "human_request"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert analyse(text).intent == intent


def test_intent_priority_when_several_match() -> None:
    # fraud beats card, card beats payment, payment beats refund, refund beats fees.
    assert analyse("Fraud! Someone used my card").intent == "fraud_report"
    assert analyse("My card was declined and the transfer failed").intent == "card_issue"
    assert analyse("The transfer failed, I want a refund").intent == "payment_issue"
    assert analyse("Please refund the fee").intent == "refund"
    # A person wins over everything, even a fraud report.
    assert analyse("I need to speak to someone about a fraudulent charge").intent == (
        "human_request"
    )


def test_card_needs_a_card_problem_not_just_the_word() -> None:
    assert analyse("I paid by card at the hotel, how do I get a refund?").intent == "refund"
    assert analyse("My ID card was rejected during verification").intent == "kyc"
    assert analyse("I lost my keys, not my card. When do you open?").intent == "general"


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "can I speak to a real person please",
        "Let me chat with someone",
        "Please connect me with a customer service representative",
        "Can I get a human?",
        "stop, I want an agent",
        "Operator!",
        "agent please",
        "Put me through to your support staff",
        "Is there a live agent available?",
        "Quiero hablar con una persona",
        "¿Puedo hablar con un agente?",
        "Je veux parler à un conseiller",
        "Je voudrais parler à un humain",
        "Ich möchte mit einem Menschen sprechen",
        "Kann ich mit einem Mitarbeiter sprechen?",
        "Quero falar com um atendente",
        "Posso falar com um humano?",
        "Vorrei parlare con un operatore",
    ],
)
def test_human_requests(text: str) -> None:
    a = analyse(text)
    assert a.human_request is True
    assert a.intent == "human_request"


@pytest.mark.parametrize(
    "text",
    [
        "Are you a bot?",
        "are you a human?",
        "Is this a real person?",
        "I work in human resources",
        "I'm only human, I made a typo",
        "Sorry, human error on my side",
        "How do I change my email?",
        "¿Eres un robot?",
    ],
)
def test_not_human_requests(text: str) -> None:
    assert analyse(text).human_request is False


@pytest.mark.parametrize(
    "text",
    [
        "I don't need a human",
        "I do not need to speak to an agent, thanks",
        "no need for an agent",
        "you don't have to transfer me to anyone",
        "I'm not asking for a person, just tell me the fee",
        "I never asked for a human",
        "I don't think I need a human",
        "I would talk to a human if this didn't work, but it did",
        "I would have asked for an agent but you solved it",
        "Why would I need a human? Just tell me the fee",
        "If I need a human I'll let you know",
        "no quiero hablar con una persona",
        "No necesito hablar con un agente, gracias",
        "Si necesito hablar con una persona te aviso",
        "pas besoin d'un conseiller",
        "Je n'ai pas besoin d'un conseiller",
        "Je ne veux pas parler à un conseiller",
        "ich brauche keinen Mitarbeiter",
        "Ich möchte nicht mit einem Mitarbeiter sprechen",
        "não preciso falar com um atendente",
        "Não quero falar com um atendente, só quero saber a taxa",
        "non serve un operatore",
        "Non voglio parlare con un operatore",
    ],
)
def test_negated_or_hypothetical_asks_are_not_requests(text: str) -> None:
    a = analyse(text)
    assert a.human_request is False
    assert a.intent != "human_request"


@pytest.mark.parametrize(
    "text",
    [
        "I don't want the bot, I need a human",
        "I don't want the bot I need a human",  # a second wanting verb starts a new ask
        "don't make me wait, get me an agent",
        "why can't I talk to a person?",
        "I'm not able to reach a human, can you transfer me to someone?",
        "Is it not possible to talk to a human?",
        "no, I want a human",
        "no I want a human",
        "if this fails I want a human",
        "I'd like to talk to a human if possible",
        "Can you transfer me to anyone?",
        "No quiero al bot, quiero una persona",
        "¿Por qué no puedo hablar con una persona?",
        "Je ne veux pas le bot, je veux parler à un conseiller",
        "Je ne peux pas parler à un conseiller ?",
        "J'ai besoin d'un conseiller",
        "Ich will keinen Bot, sondern einen Menschen",
        "Warum kann ich nicht mit einem Mitarbeiter sprechen?",
        "Ich brauche einen Mitarbeiter",
        "Não quero o robô, quero falar com um atendente",
        "Não consigo falar com um atendente",
        "Preciso de um atendente",
        "Non voglio il bot, voglio un operatore",
        "Non posso parlare con un operatore?",
        "Mi serve un operatore",
    ],
)
def test_requests_survive_nearby_negations(text: str) -> None:
    a = analyse(text)
    assert a.human_request is True
    assert a.intent == "human_request"


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("I think this is fraud", "fraud"),
        ("fraudulent payment on my statement", "fraud"),
        ("An unauthorised direct debit", "unauthorized"),
        ("An unauthorized payment", "unauthorized"),
        ("My wallet was stolen", "stolen"),
        ("My account got hacked", "hacked"),
        ("I want to raise a chargeback", "chargeback"),
        ("I lost my card yesterday", "lost card"),
        ("I think it's a scam", "scam"),
        ("I fell for a phishing email", "phishing"),
        ("This is identity theft", "identity theft"),
        ("Looks like an account takeover", "account takeover"),
        ("Creo que es un fraude", "fraud"),
        ("Me han robado la tarjeta", "stolen"),
        ("Mi cuenta fue hackeada", "hacked"),
        ("Mon compte a subi un piratage", "hacked"),
        ("Meine Karte wurde gestohlen", "stolen"),
        ("Das ist Betrug", "fraud"),
        ("Meu cartão foi roubado", "stolen"),
        ("Mi hanno rubato la carta, è un furto", "stolen"),
        # Theft in everyday words, six languages.
        ("I got robbed on the way home, they took my cards", "stolen"),
        ("me asaltaron anoche y se llevaron la cartera", "stolen"),
        ("Me quitaron el móvil en el metro", "stolen"),
        ("on m'a piqué mon portefeuille avec ma carte dedans", "stolen"),
        ("je me suis fait agresser dans le métro, ils ont pris mon sac", "stolen"),
        ("man hat mir das Portemonnaie mit der Karte entwendet", "stolen"),
        ("ich wurde gestern überfallen, Karte weg", "stolen"),
        ("me furtaram a carteira com o cartão", "stolen"),
        ("fui assaltado ontem, levaram meu celular", "stolen"),
        ("mi hanno scippato la borsa con dentro la carta", "stolen"),
        ("sono stato borseggiato a Roma", "stolen"),
        ("mi hanno fregato il portafoglio in metro", "stolen"),
    ],
)
def test_priority_keywords_are_normalised(text: str, keyword: str) -> None:
    assert keyword in analyse(text).priority_keywords


@pytest.mark.parametrize(
    "text",
    [
        "I ordered scampi with my card",  # word boundaries
        "It's not fraud, I just forgot the purchase",  # negated
        "How can I recognise phishing emails?",  # asking about, not reporting
        "I lost my keys, not my card",
        "My new card arrived, thanks!",
        # Theft words said of our prices, or of nothing.
        "mi hanno fregato con le commissioni",
        "esto es un robo, vaya comisiones",
        "c'est du vol ces frais",
        "nadie me ha hurtado nada",
        "What should I do if I get pickpocketed abroad?",
        "Mon vol de retour est annulé, puis-je payer un autre billet par carte ?",
    ],
)
def test_no_priority_keywords(text: str) -> None:
    assert analyse(text).priority_keywords == ()


@pytest.mark.parametrize(
    "text",
    [
        "I'm not saying it's fraud, but why is there a charge from Netflix?",
        "If my card ever got stolen, how quickly can you block it?",
        "What happens if my card is stolen while I'm abroad?",
        "What should I do if I get hacked?",
        "No es que me hayan robado la tarjeta, solo la perdí",
        "Non mi hanno rubato niente, ho solo dimenticato la carta a casa",
        "Nobody stole my card, I just left it at home",
        "I don't think it's fraud, probably my husband bought something",
        "Ich sage nicht, dass es Betrug ist, aber die Abbuchung kenne ich nicht",
        "Que se passe-t-il si on me vole ma carte ?",
        "Ce n'est pas que ma carte a été volée, je l'ai perdue",
        "Não é que me roubaram o cartão, eu é que o perdi",
        "Cosa succede se mi hanno rubato la carta all'estero?",
        "In case of fraud, do you refund the money?",
        "Falls meine Karte gestohlen wird, was muss ich tun?",
        "Nessuno mi ha rubato la carta, l'ho solo persa",
        "Nadie me ha robado nada, solo quiero cambiar el PIN",
        "no me han robado la tarjeta",
        # "none" words and an article after the verb
        "No es ningún fraude, solo quiero saber por qué me cobrasteis dos veces",
        "Non è una truffa, voglio solo capire perché il pagamento è in sospeso",
        "Não é nenhum golpe, só quero entender a cobrança em dobro",
        "Ce n'est aucunement une arnaque, je veux juste comprendre ce paiement",
        # feared, then taken back in the same sentence
        "I was worried it was fraud but it turned out to be my gym membership, all good",
        "I thought my card was stolen but it was just in my other jacket",
        "Pensaba que era un fraude pero era la suscripción de Netflix, ya está",
        "Je croyais que c'était une fraude mais c'était mon abonnement, tout va bien",
        "Ich dachte erst an Betrug, aber es war mein Fitnessstudio, alles gut",
        "Achei que era golpe mas era a assinatura da Netflix, tudo certo",
        "Pensavo fosse una truffa ma era l'abbonamento alla palestra, tutto a posto",
    ],
)
def test_a_denied_or_supposed_keyword_is_no_report(text: str) -> None:
    assert analyse(text).priority_keywords == ()


@pytest.mark.parametrize(
    "text",
    [
        "Someone I don't know has stolen my card details",
        "My card was stolen",
        "I'm not sure if it's fraud but there's a payment I didn't make",
        "Can you check if these payments are fraud?",
        "I didn't make this payment, it's fraud",
        "Nobody answered me and my card was stolen yesterday",
        "It wasn't me, someone hacked my account",
        "I don't know who but someone stole my card",
        "My phone was stolen and the app is on it",
        "Mi hanno rubato la carta, è un furto",
        # an article after "no idea" is no negation of what follows
        "I have no idea a hacker got into my account but money is gone",
        # a fear confirmed, or not taken back, is a report
        "I thought it was fraud, so I froze the card",
        "I thought it was a scam but my money is gone now",
        "Pensé que era un fraude y lo es, hay tres cargos",
        "mi hanno rubato la carta ma era solo un momento fa",
        "Me robaron la cartera en el metro",
        "Ich glaube, meine Karte wurde gestohlen",
        "If this isn't fraud I don't know what is, 3 payments I never made",
        "nobody in my family has the card, so this charge is fraud",
        "no one else uses my card and these payments are fraud",
        "nobody else has made these fraudulent payments",
        "I never gave anyone my PIN and cash was withdrawn without my permission",
        "My account was hacked, I don't think it's safe anymore",
    ],
)
def test_a_report_beside_a_denial_or_a_doubt_keeps_its_keyword(text: str) -> None:
    assert analyse(text).priority_keywords != ()


def test_english_falls_is_no_german_if() -> None:
    assert "fraud" in analyse("this payment falls under fraud").priority_keywords
    assert analyse("Falls meine Karte gestohlen wird, was tue ich?").priority_keywords == ()


@pytest.mark.parametrize(
    "text",
    [
        "someone got into my account and moved money",
        "somebody logged into my account and changed my email",
        "Somebody logged into my account and changed my password",
        "I got a login alert from a device that isn't mine and now money is gone",
        "my account was accessed by someone else",
        "My Acme account was accessed from another country",
        "my account has been compromised",
        "money was transferred out of my account and it wasn't me",
        "£450 was sent from my account last night, it wasn't me",
        "Someone moved £300 out of my account",
        "someone is logging into my account right now",
        "alguien entró en mi cuenta y sacó dinero",
        "Alguien sacó 200 euros de mi cuenta",
        "Mi cuenta fue vulnerada",
        "quelqu'un s'est connecté à mon compte",
        "Quelqu'un a viré 300 euros depuis mon compte",
        "jemand hat sich in mein Konto eingeloggt und Geld überwiesen",
        "Jemand hat gestern auf mein Konto zugegriffen",
        "alguém entrou na minha conta",
        "Alguém acessou a minha conta e transferiu dinheiro",
        "qualcuno è entrato nel mio conto",
        "Qualcuno ha fatto l'accesso al mio account",
    ],
)
def test_account_takeover_in_the_customers_words(text: str) -> None:
    a = analyse(text)
    assert "account takeover" in a.priority_keywords
    assert a.intent == "fraud_report"


@pytest.mark.parametrize(
    "text",
    [
        "how do I protect my account from being hacked?",
        "nobody got into my account, I just forgot my password",
        "I don't think someone got into my account, I just forgot my password",
        "What happens if someone logs into my account?",  # a hypothetical, not a report
        "I logged into my account from a new phone",
        "My husband logged into my account with my permission",
        "How do I add someone to my account?",
        "nadie entró en mi cuenta, solo olvidé mi contraseña",
        "personne ne s'est connecté à mon compte",
        "niemand hat sich in mein Konto eingeloggt",
        "ninguém entrou na minha conta",
        "nessuno è entrato nel mio conto",
    ],
)
def test_no_account_takeover(text: str) -> None:
    assert analyse(text).priority_keywords == ()


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to take legal action against you",
        "If you don't refund me I'll sue",  # the negation is the condition
        "My lawyer will be in touch",
        "I've already spoken to my solicitor about this",
        "I'm reporting you to the FCA",
        "I will file a complaint with the CFPB",
        "I'm taking this to the Financial Ombudsman",
        "I'll make a complaint to the central bank",
        "I'll see you in court",
        "I'm filing a small claims case",
        "Voy a poner una demanda contra ustedes",
        "Los voy a denunciar",
        "Si no me devuelven el dinero los voy a demandar",
        "Voy a hablar con mi abogado",
        "Voy a reclamar ante el Banco de España",
        "Je vais vous poursuivre en justice",
        "Je vais contacter mon avocat",
        "Je vais saisir le médiateur",
        "Ich werde Sie verklagen",
        "Mein Anwalt wird sich bei Ihnen melden",
        "Ich wende mich an die Schlichtungsstelle",
        "Das geht vor Gericht",
        "Wenn das nicht bis Montag geklärt ist, schalte ich meinen Anwalt und die BaFin ein.",
        "Dann schalten wir die BaFin ein",
        "Ich nehme mir jetzt einen Anwalt",
        "Vou processar vocês",
        "Vou falar com o meu advogado",
        "Vou reclamar no Procon",
        "Vou apresentar queixa ao Banco de Portugal",
        "Vi denuncio",
        "Contatterò il mio avvocato",
        "Vi porto in tribunale",
        "Farò ricorso all'Arbitro Bancario Finanziario",
    ],
)
def test_legal_threats(text: str) -> None:
    assert analyse(text).legal_threat is True


@pytest.mark.parametrize(
    "text",
    [
        "is Acme Pay regulated by the FCA?",
        "Are you regulated by BaFin?",
        "What is the FCA?",
        "Who is your ombudsman?",
        # A lawyer asking for a routine document is a document request, not a threat.
        "my lawyer asked for a statement, how do I download one?",
        "I'm not going to sue, I just want my money back",
        "I don't want to take legal action",
        "I'm suing my landlord and need six months of statements",
        "Mi abogado me pidió un extracto, ¿cómo lo descargo?",
        "Quiero denunciar un cargo que no reconozco",  # reporting a charge to us
        "Mon avocat m'a demandé un relevé",
        "Mein Anwalt braucht einen Kontoauszug",
        "Ich schalte die Benachrichtigungen ein, wie geht das?",
        "O meu advogado pediu um extrato",
        "Quando vão processar o meu pagamento?",  # "processar" as in processing
        "Il mio avvocato ha chiesto un estratto conto",
        "",
        "😀",
    ],
)
def test_no_legal_threat(text: str) -> None:
    assert analyse(text).legal_threat is False


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thank you so much, this is great!", "positive"),
        ("What are your opening hours?", "neutral"),
        ("This is terrible and I am very angry", "negative"),
        ("Muchas gracias, perfecto", "positive"),
        ("Merci beaucoup !", "positive"),
        ("Danke, perfekt!", "positive"),
        ("Estoy muy enfadado, esto es inaceptable", "negative"),
        ("Je suis furieux, c'est inadmissible", "negative"),
        ("Ich bin wütend, das ist eine Frechheit", "negative"),
        ("Estou irritado, isto é inaceitável", "negative"),
        ("Sono arrabbiato, è inaccettabile", "negative"),
        ("Das ist eine Zumutung, ich bin total genervt", "negative"),
        # Everyday words VADER scores as English ones: "die" (-2.9), "war", Portuguese "no"
        # ("in the"), Italian "mia", Spanish "sin", French "tard" made calm questions negative.
        ("Wie lange dauert die Lieferung der Karte?", "neutral"),
        ("Die Überweisung war gestern, wann kommt die an?", "neutral"),
        ("Paguei no cartão, quando aparece no extrato?", "neutral"),
        ("Dov'è la mia carta? L'ho ordinata ieri", "neutral"),
        ("¿Puedo pagar sin tarjeta? Ha llegado la factura", "neutral"),
        ("Je vais le dire à mon conseiller, je passerai plus tard", "neutral"),
    ],
)
def test_sentiment_labels(text: str, label: str) -> None:
    s = analyse(text).sentiment
    assert s.label == label
    assert -1.0 <= s.score <= 1.0


def test_a_furious_spanish_customer_is_negative_enough_to_count() -> None:
    assert analyse("¡Estoy furioso! Es una vergüenza, pésimo servicio").sentiment.score <= -0.3


def test_negation_does_not_leak_across_sentences() -> None:
    # Raw VADER reads "nobody helps. Absolutely unacceptable." as mildly positive.
    assert analyse("Nobody helps. Absolutely unacceptable.").sentiment.label == "negative"


def test_complexity() -> None:
    assert analyse("Hi").complexity == "low"
    assert analyse("My transfer of €200 is pending since Monday").complexity == "medium"
    long = (
        "I sent €1,200 on Monday and it never arrived. Also my card was declined twice "
        "yesterday and nobody answers. Why? And when will I get my money back?"
    )
    assert analyse(long).complexity == "high"


@pytest.mark.parametrize(
    "text",
    [
        "Your exchange rate is a total rip-off, I lost 40 euros on one payment, this is daylight "
        "robbery",
        "The rate you gave me was awful, way worse than the real rate, I want my money back",
        "Your fees are a total scam, I was charged 15 euros on a 50 euro transfer, refund me",
        "Tu tipo de cambio es un robo, perdí 40 euros en un solo pago, es una vergüenza",
        "Votre taux de change est du vol, j'ai perdu 40 euros sur un seul paiement, c'est "
        "scandaleux",
        "Euer Wechselkurs ist reine Abzocke, ich habe 40 Euro verloren, ich will mein Geld zurück",
        "A vossa taxa de câmbio é um roubo, perdi 40 euros num só pagamento, quero o meu dinheiro",
        "Il vostro tasso di cambio è una rapina, ho perso 40 euro su un solo pagamento, rivoglio i "
        "miei soldi",
    ],
)
def test_an_angry_money_complaint_is_negative_and_not_simple(text: str) -> None:
    a = analyse(text)
    assert a.sentiment.score <= -0.3
    assert a.complexity in {"medium", "high"}
    assert a.priority_keywords == ()  # "scam", "furto" here insult a price, report no crime


@pytest.mark.parametrize(
    "text",
    [
        "This app is terrible.",
        "Your exchange rate is a rip-off",
        "This is ridiculous",
        "Your fees are a scam",
        "Es un robo",
        "C'est scandaleux",
        "Abzocke!",
        "Que absurdo",
        "Questo tasso è un furto",
    ],
)
def test_a_one_line_vent_stays_simple(text: str) -> None:
    a = analyse(text)
    assert a.complexity == "low"
    assert a.priority_keywords == ()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I would like to know why my transfer is still pending", "en"),
        ("Quiero saber por qué mi transferencia sigue pendiente", "es"),
        ("Je voudrais savoir pourquoi mon virement est toujours en attente", "fr"),
        ("Ich möchte wissen, warum meine Überweisung noch aussteht", "de"),
        ("Gostaria de saber porque é que a minha transferência ainda está pendente", "pt"),
        ("Vorrei sapere perché il mio bonifico è ancora in sospeso", "it"),
        ("Combien coûte la carte premium ?", "fr"),  # langdetect unsure; hints decide
        # Unsupported languages are answered in English.
        ("Ik wil graag weten waarom mijn overboeking nog niet is aangekomen", "en"),
        ("Chcę wiedzieć, dlaczego mój przelew jeszcze nie dotarł", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hola", "es"),
        ("¿Eres un robot?", "es"),
        ("Bonjour", "fr"),
        ("Merci beaucoup", "fr"),
        ("Danke schön", "de"),
        ("Obrigado", "pt"),
        ("Grazie mille", "it"),
        ("Hello", "en"),
        ("ok", "en"),
        ("help", "en"),
        ("", "en"),
        ("12345", "en"),
        ("😀👍", "en"),
        ("asdf qwer", "en"),
    ],
)
def test_detect_language_short_texts(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_language_detection_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Combien coûte la carte premium ?",
        "¿Qué documentos necesito para verificar mi identidad?",
        "My transfer is still pending",
        "ciao",
        "Non riesco ad accedere all'app",
    ]
    first = [detect_language(t) for t in texts]
    for _ in range(20):
        assert [detect_language(t) for t in texts] == first
    # A freshly loaded detector (as in a new worker process) agrees too.
    monkeypatch.setattr(analysis, "_detector_factory", None)
    assert [detect_language(t) for t in texts] == first


def test_languages_are_supported_ones() -> None:
    for text in ["Hola amigo", "Hej, jag behöver hjälp med mitt konto", "Привет, помогите"]:
        assert analyse(text).language in LANGUAGES


def test_analyse_empty_text() -> None:
    a = analyse("")
    assert (a.intent, a.sentiment.label, a.complexity, a.language) == (
        "general",
        "neutral",
        "low",
        "en",
    )
    assert a.human_request is False
    assert a.priority_keywords == ()
    assert a.legal_threat is False


def test_analysis_is_frozen() -> None:
    a = analyse("hello")
    with pytest.raises(AttributeError):
        a.intent = "fees"  # type: ignore[misc]


def test_to_dict_shape() -> None:
    d = to_dict(analyse("My card was stolen, I want to talk to a human!"))
    assert set(d) == {
        "intent",
        "sentiment",
        "complexity",
        "language",
        "humanRequest",
        "priorityKeywords",
        "legalThreat",
        "intentDetail",
        "confidence",
    }
    assert set(d["sentiment"]) == {"score", "label"}
    assert d["intent"] in INTENTS
    assert d["humanRequest"] is True
    assert d["priorityKeywords"] == ["stolen"]
    assert d["legalThreat"] is False
    assert isinstance(d["sentiment"]["score"], float)
    assert json.loads(json.dumps(d)) == d


def test_results_are_plain_values() -> None:
    a = analyse("I lost my card")
    assert isinstance(a, Analysis)
    assert isinstance(a.priority_keywords, tuple)
    assert all(isinstance(k, str) for k in a.priority_keywords)


def test_first_use_emits_no_warnings() -> None:
    # A fresh interpreter with every warning an error and dev-mode ResourceWarnings on: loading
    # VADER's lexicon and langdetect's profiles must stay silent.
    code = (
        "from livechat.ai.analysis import analyse; "
        "print(analyse('Hola, necesito ayuda con mi tarjeta bloqueada').language)"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "es"
    assert proc.stderr == ""


# --- odd and hostile input -----------------------------------------------------------------------


def _compiled_patterns() -> list[re.Pattern[str]]:
    found: list[re.Pattern[str]] = []
    for value in vars(analysis).values():
        if isinstance(value, re.Pattern):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, re.Pattern)]
            found += [p for v in value.values() if isinstance(v, tuple) for p in v]
        elif isinstance(value, list):
            found += [v[0] for v in value if isinstance(v, tuple) and isinstance(v[0], re.Pattern)]
    return found


def _nested_unbounded(items: Any, inside_unbounded: bool = False) -> list[str]:
    """Unbounded repeats inside unbounded repeats: the shape of catastrophic backtracking."""
    bad: list[str] = []
    for op, arg in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _low, high, body = arg
            unbounded = high == sre.MAXREPEAT
            if unbounded and inside_unbounded:
                bad.append(str(body))
            bad += _nested_unbounded(body, inside_unbounded or unbounded)
        elif op == sre.SUBPATTERN:
            bad += _nested_unbounded(arg[-1], inside_unbounded)
        elif op == sre.BRANCH:
            for branch in arg[1]:
                bad += _nested_unbounded(branch, inside_unbounded)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            bad += _nested_unbounded(arg[1], inside_unbounded)
    return bad


def test_no_pattern_can_backtrack_catastrophically() -> None:
    patterns = _compiled_patterns()
    assert len(patterns) > 10  # the walk found the analysers' patterns
    for pattern in patterns:
        assert _nested_unbounded(sre.parse(pattern.pattern)) == [], pattern.pattern


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😡👍", "?!?!", "\n\n\n", "a" * 20_000, "'" * 5_000, "1," * 10_000, "9" * 20_000],
)
def test_odd_input_is_calm_and_general(text: str) -> None:
    a = analyse(text)
    assert (a.intent, a.human_request, a.priority_keywords) == ("general", False, ())
    assert a.language in LANGUAGES


def test_a_long_run_of_legal_words_is_read() -> None:
    text = ("lawyer sue court ombudsman FCA legal action regulator " * 100)[:5_000]
    a = analyse(text)
    assert a.legal_threat is True
    assert decide(a, unresolved_tickets=0).rule == "negative_complex"
    assert analyse("I am not going to sue " * 1_000).legal_threat is False


def test_a_runaway_sentence_still_gets_a_sentiment() -> None:
    # ~20 KB without a full stop: VADER scores it in pieces (whole, it is quadratic).
    a = analyse("this is terrible and awful and I am angry " * 480)
    assert a.sentiment.label == "negative"
    assert analyse("thank you so much, great service " * 600).sentiment.label == "positive"


@pytest.mark.parametrize("text", ["😀" * 4_000, "a😀" * 2_000, "😀👍🙂" * 1_300])
def test_a_message_of_thousands_of_emoji_is_scored_from_its_first_few(text: str) -> None:
    # VADER spells each emoji out and is quadratic in the words: 4,000 emoji whole took
    # seconds of CPU in one greenlet. Past the first few, symbols are left out.
    kept = analysis._few_symbols(text)
    assert sum(ch in "😀👍🙂" for ch in kept) == analysis._VADER_SYMBOLS
    assert len(kept) == len(text)  # spaces in their place: positions elsewhere are unchanged
    assert analyse(text).sentiment.label == "positive"


def test_a_few_emoji_are_left_alone() -> None:
    text = "thanks 😀👍 all sorted"
    assert analysis._few_symbols(text) is text


def test_a_long_message_full_of_keywords_is_read_whole() -> None:
    # ~20 KB: every mention is looked at (the negated ones stay blanked), and it returns.
    reported = analyse("fraud. " * 3_000)
    assert reported.priority_keywords == ("fraud",)
    assert reported.intent == "fraud_report"
    denied = analyse("not fraud " * 2_000)
    assert denied.priority_keywords == ()
