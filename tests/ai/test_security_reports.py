"""Fraud and account-takeover reports in the customer's own words, in six languages (issue 19).

The rules of ``lexicon_security`` (a money movement the customer disowns, someone else using the
card, someone else changing or entering the account, a SIM swap) and the typo tolerance of
``typos`` for their words; and the near misses that must stay calm.
"""

from __future__ import annotations

import pytest

from livechat.ai import typos
from livechat.ai.analysis import analyse
from livechat.ai.lexicon_security import TYPO_KEEP, TYPO_VOCABULARY
from livechat.ai.policy import decide


def _urgent(text: str) -> bool:
    decision = decide(analyse(text), unresolved_tickets=0)
    return decision.escalate and decision.priority == "URGENT"


# --- typos ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("sombody", "somebody"),  # a letter dropped
        ("someome", "someone"),  # changed
        ("unathorized", "unauthorized"),
        ("withdrawl", "withdrawal"),
        ("fruad", "fraud"),  # two neighbours swapped
        ("recongize", "recognize"),
        ("passwrod", "password"),
        ("accuont", "account"),
        ("stolne", "stolen"),
        ("transacion", "transaction"),
        ("alguein", "alguien"),
        ("qualcunno", "qualcuno"),  # a letter added
        ("reconheço", "reconheco"),  # normalised first: accents are stripped before respell
    ],
)
def test_one_edit_from_a_fraud_word_is_put_right(typo: str, word: str) -> None:
    from livechat.ai.analysis import _normalise

    assert typos.respell(_normalise(typo)) == word


@pytest.mark.parametrize(
    "word",
    # Real words one edit from a vocabulary word, in the six languages: a correction would invent a
    # report ("Betrag" is an amount, "estaba" is "was", "passport" is KYC).
    (
        "charged change purchased accounts stole passwort demand carta algum robado tuffa passport "
        "betrag estaba hacer backed packed tacked card fraude frauds geklart unbenannt"
    ).split(),
)
def test_real_words_are_left_alone(word: str) -> None:
    assert typos.respell(word) == word


def test_short_long_and_ambiguous_words_are_left_alone() -> None:
    assert typos.respell("frud") == "frud"  # under five letters: too many real neighbours
    assert typos.respell("x" * 20_000) == "x" * 20_000
    assert typos.respell("clonadx") == "clonadx"  # clonado or clonada: no guess
    assert typos.respell("recognice") == "recognice"  # recognise or recognize: no guess


@pytest.mark.parametrize("text", ["", "   ", "😀😡👍", "1234 5678", "l'argent d'un ami"])
def test_respell_is_harmless_on_odd_input(text: str) -> None:
    assert typos.respell(text) == text


def test_the_keep_list_and_the_vocabulary_are_consistent() -> None:
    assert not TYPO_KEEP & set(TYPO_VOCABULARY)
    # Every kept word is there because it is one edit from a vocabulary word.
    assert all(any(typos.one_edit(k, w) for w in TYPO_VOCABULARY) for k in TYPO_KEEP)
    assert all(len(w) >= typos.MIN_LETTERS and w == w.lower() for w in TYPO_VOCABULARY)


def test_one_edit() -> None:
    assert typos.one_edit("fraud", "fruad")
    assert typos.one_edit("stolen", "stolne")
    assert typos.one_edit("someone", "someon")
    assert not typos.one_edit("fraud", "fraud")
    assert not typos.one_edit("fraud", "furad")  # two edits
    assert not typos.one_edit("xabc", "abcy")  # shares a delete key, but two edits apart


# --- reports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # en
        "There is a purchase on my statement I didn't make",
        "a withdrawal of 300 I don't recognise",
        "unknown transaction on my card this morning",
        "the payment to Amazon was not me",
        "an unathorized paymnet on my acount",
        # es
        "Hay una compra en mi tarjeta que yo no hice",
        "No reconozco este cargo de 45 euros",
        "Hay un cargo de una tienda que no conozco",
        # fr
        "Il y a un paiement que je n'ai pas fait sur mon compte",
        "Je ne reconnais pas ce prélèvement",
        # de
        "Da ist eine Abbuchung, die ich nicht gemacht habe",
        "Ich erkenne diese Zahlung nicht",
        "Eine Kartenzahlung über 80 €, das war ich nicht",
        # pt
        "Há um levantamento que eu não fiz",
        "Não reconheço esta compra",
        "Tenho um débito no cartão que não fui eu que fiz",
        # it
        "C'è un pagamento che non ho fatto",
        "Non riconosco questo addebito",
        "Vedo un prelievo, non sono stato io",
    ],
)
def test_a_disowned_payment_is_urgent(text: str) -> None:
    assert "unauthorized" in analyse(text).priority_keywords
    assert analyse(text).intent == "fraud_report"
    assert _urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "somebody has been using my card online",
        "sombody used my debit card in a shop, I was at home",
        "my card was cloned at an ATM",
        "I think my card details were skimmed",
        "Alguien ha usado mi tarjeta en una tienda online",
        "Clonaron mi tarjeta",
        "Quelqu'un a utilisé ma carte",
        "Jemand hat meine Karte benutzt",
        "Alguém usou o meu cartão",
        "Qualcuno ha usato la mia carta",
    ],
)
def test_someone_else_using_the_card_is_urgent(text: str) -> None:
    assert "unauthorized" in analyse(text).priority_keywords
    assert _urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        # en: credentials changed by someone else
        "somone changed my password and now I can't get in",
        "Someone changed the email on my account, it wasn't me",
        "my phone number was changed on the app and I never did that",
        "I got a text saying my PIN was reset but I didn't request it",
        "I didn't change my password but the app says it was changed",
        "my email address on the account got changed last night, I didn't do it",
        "Got a notification that a new device was added to my account, wasn't me",
        # en: log-ins nobody owns up to, attempts, lock-outs, SIM swaps
        "There's a login I don't recognise on my account",
        "I see an unknown device in my account settings",
        "Login attempt from an unknown location on my account last night",
        "someone is trying to log into my account, I keep getting codes",
        "I was locked out after someone tried to get in",
        "I got locked out after a password reset I didn't ask for",
        "I think I'm a victim of a SIM swap, my phone has no signal",
        "my sim was swapped and now I can't get codes",
        # es
        "Alguien cambió mi contraseña y no puedo entrar",
        "Me cambiaron el correo de la cuenta sin mi permiso",
        "Mi contraseña fue cambiada y no fui yo",
        "La contraseña de mi cuenta fue cambiada, no fui yo",
        "Hay un inicio de sesión que no reconozco",
        "Creo que me han hecho un duplicado de la SIM",
        # fr
        "Quelqu'un a changé mon mot de passe",
        "Mon adresse e-mail a été modifiée, ce n'était pas moi",
        "Une connexion inconnue sur mon compte hier soir",
        "Quelqu'un a essayé de se connecter à mon compte",
        # de
        "Jemand hat mein Passwort geändert",
        "Meine Telefonnummer wurde geändert, das war ich nicht",
        "Eine Anmeldung, die ich nicht kenne",
        "Meine SIM-Karte wurde dupliziert",
        # pt
        "Alguém mudou a minha senha",
        "A minha senha foi alterada e não fui eu",
        "Acesso desconhecido na minha conta",
        "Clonaram o meu chip",
        # it
        "Qualcuno ha cambiato la mia password",
        "La mia email è stata cambiata, non sono stato io",
        "Un accesso che non riconosco sul mio conto",
        "Un nuovo dispositivo è stato aggiunto al conto senza il mio consenso",
        "Mi hanno clonato la SIM, la sim è stata clonata",
    ],
)
def test_an_account_taken_over_is_urgent(text: str) -> None:
    a = analyse(text)
    assert "account takeover" in a.priority_keywords
    assert a.intent == "fraud_report"
    assert _urgent(text)


# --- near misses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "how do I change my password?",
        "How do I change my email address?",
        "how do I freeze my card?",
        "I bought a new phone, how do I log in?",
        "I changed my phone number, how do I update it in the app?",
        "I changed my password and now I can't log in",
        "I forgot my password and reset it but didn't get the email",
        "My account is locked after too many attempts",
        "I was locked out after typing my PIN wrong three times",
        "I logged in from a new phone and it asks for verification",
        "I got a new SIM card, will the app still work?",
        "I want to swap my SIM to an eSIM, will the app work?",
        "I added a new device to my account, how do I remove the old one?",
        "my password change didn't work",
        "what if someone changes my password?",
        "The payment isn't showing in my balance yet",
        "How do I know if a login is suspicious?",
        "Can my wife use my card?",
        "The transfer didn't arrive, I didn't do anything wrong",
        "my payment failed and I don't know why",
        "I made a payment to the wrong account",
        "The passport photo was rejected",
        "I packed my card in my bag, is contactless safe?",
        "¿Cómo cambio mi contraseña?",
        "Hice una transferencia pero no conozco el plazo",
        "Comment changer mon mot de passe ?",
        "Le virement n'est pas arrivé, je n'ai pas fait d'erreur",
        "Wie ändere ich mein Passwort?",
        "Die Überweisung wurde nicht durchgeführt",
        "Ich kenne die Gebühren für die Überweisung nicht",
        "Der Betrag wurde zweimal abgebucht",
        "Como altero a minha senha?",
        "Fiz uma transferência mas não conheço o prazo",
        "Come cambio la password?",
        "Il bonifico non è arrivato, non ho fatto niente di strano",
        "Estaba esperando mi tarjeta",
    ],
)
def test_benign_questions_are_not_reports(text: str) -> None:
    assert analyse(text).priority_keywords == ()
    assert not _urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "I don't think someone used my card, I probably lost it",
        "nobody changed my password, I just forgot it",
        "it's not fraud, I made the payment myself",
    ],
)
def test_a_denied_report_is_not_one(text: str) -> None:
    assert not {"unauthorized", "account takeover", "fraud"} & set(analyse(text).priority_keywords)


def test_a_german_deadline_is_not_a_theft() -> None:
    # "geklärt" (resolved) is one edit from "geklaut" (stolen): it must not read as a theft.
    text = "Mein Konto ist gesperrt. Wenn das nicht bis Montag geklärt ist, gehe ich zur BaFin."
    assert analyse(text).priority_keywords == ()


def test_negations_still_hold() -> None:
    assert decide(analyse("I don't need a human"), unresolved_tickets=0).escalate is False
    a = analyse("not my card, the app")
    assert a.intent != "fraud_report" and a.priority_keywords == ()


# --- odd input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "😀😡👍", "🔒💳🚨" * 50, "sombody" * 3_000])
def test_odd_input_reports_nothing(text: str) -> None:
    assert analyse(text).priority_keywords == ()


def test_a_report_at_the_end_of_a_very_long_message_is_read() -> None:
    text = "I have a question about my statement. " * 500 + "Also sombody used my card yesterday."
    assert "unauthorized" in analyse(text).priority_keywords


def test_a_long_run_of_payment_words_returns() -> None:
    # ~20 KB of money movements with no disowning: nothing found, and it returns (linear scan).
    assert analyse("payment transfer Zahlung compra " * 600).priority_keywords == ()
    assert analyse("Kartenzahlung" * 1_600).priority_keywords == ()


@pytest.mark.parametrize(
    "text",
    [
        "Hola, somebody used my tarjeta ayer, please block it",
        "Bonjour, there's a paiement que je n'ai pas fait, help",
        "Hallo, jemand hat meine Karte benutzt, what do I do?",
    ],
)
def test_mixed_language_reports_are_urgent(text: str) -> None:
    assert _urgent(text)


# --- questions about the card's own controls ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "how do I freeze my card?",
        "How do I freeze my card? And unfreeze it later?",
        "Can I lock my card from the app?",
        "¿Cómo congelo mi tarjeta?",
        "Comment bloquer ma carte dans l'appli ?",
        "Wie kann ich meine Karte sperren?",
        "Como bloqueio o cartão na app?",
        "come posso bloccare la carta?",
    ],
)
def test_a_question_on_freezing_the_card_is_no_fraud_report(text: str) -> None:
    found = analyse(text)
    assert found.card_control_question and found.security is None
    assert found.intent != "fraud_report" or found.intent_detail is None
    assert not _urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "Can you freeze my card? I think someone has my details",  # a request, and a report
        "How do I freeze my card? Someone is buying things with it right now",
        "how do I block my card, it was stolen?",
        "¿Cómo bloqueo la tarjeta? Hay un cargo que no reconozco",
    ],
)
def test_a_freeze_question_with_a_report_in_it_stays_urgent(text: str) -> None:
    assert _urgent(text)


def test_a_lost_phone_with_a_blocking_question_stays_high() -> None:
    decision = decide(analyse("Ho perso il telefono, come blocco l'app?"), unresolved_tickets=0)
    assert (decision.escalate, decision.priority) == (True, "HIGH")


# --- theft in other words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "my wallet got nicked on the tram, both cards were in it",
        "I was pickpocketed at the market and my card is gone",
        "got mugged on the way home, they have my phone with the banking app",
        "my bag was taken from my car with my cards inside",
        "mon portable a été volé dans le métro, l'appli de la banque est dessus",
    ],
)
def test_theft_in_other_words_is_urgent(text: str) -> None:
    assert "stolen" in analyse(text).priority_keywords
    assert _urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "my card was taken by the ATM",
        "the machine has taken my card",
        "I feel like I got mugged by your fees",
    ],
)
def test_a_swallowed_card_or_a_complaint_is_no_theft(text: str) -> None:
    assert "stolen" not in analyse(text).priority_keywords


# --- an alibi, or asking who took the money -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "6 payments on my card between 2 and 4am, I was asleep",
        "there are ATM withdrawals in Lisbon but I've never been to Portugal",
        "cash taken out twice today and I haven't been near a cash machine",
        "who took 200 in cash out of my account?",
        "who withdrew 100 quid from my account at the post office",
        "Hay cargos de madrugada y yo estaba durmiendo",
        "Des retraits à Madrid alors que je n'ai jamais été en Espagne",
        "Wer hat 300 Euro von meinem Konto abgehoben?",
        "Levantamentos de madrugada e eu estava a dormir",
        "Chi ha prelevato 200 euro dal mio conto?",
        "Pagamenti alle 3 di notte, stavo dormendo",
        "Zahlungen um 3 Uhr nachts, ich habe da geschlafen",
        "payments in Dubai?? I've never been to the UAE",
    ],
)
def test_an_alibi_or_asking_who_took_the_money_disowns_it(text: str) -> None:
    assert "unauthorized" in analyse(text).priority_keywords


@pytest.mark.parametrize(
    "text",
    [
        "I was at home when I tried to top up and it failed",
        "I have never been to Japan, which currencies can I hold?",
        "who can I talk to about my payment?",
        "I was asleep when the delivery came, can you resend my card?",
        "I'm going to be in bed all day, can I still transfer tomorrow?",
        "I've never been to a branch, can I take cash out at an ATM?",
        "what's the ATM limit, I haven't been to the bank in ages",
    ],
)
def test_where_the_customer_was_is_no_alibi_without_money_gone(text: str) -> None:
    assert analyse(text).priority_keywords == ()


@pytest.mark.parametrize(
    "text",
    [
        "payment to Airbnb $1,340 pending. didnt book it",
        "uber eats 6 orders last night between 1 and 4am. i was asleep",
        "€40, €40, €40 ... all from atms in Paris. i'm in bed!!!",
        "€1,800 at a jewellery shop in Milan?!?! that's not me PLEASE block it",
        "£29.99 a month to some streaming site, I never subscribed",
    ],
)
def test_an_amount_or_an_order_the_customer_disowns_is_a_report(text: str) -> None:
    assert "unauthorized" in analyse(text).priority_keywords


@pytest.mark.parametrize(
    "text",
    [
        "I ordered a new card 2 weeks ago, where is it?",
        "I paid £40 for a top up, didn't get it",
        "€50 transfer to my sister, did it arrive?",
        "I was charged €3.50, is that normal?",
        "I didn't order a physical card yet, how much is it?",
        "£20 top up failed, I didn't make any mistake",
    ],
)
def test_an_amount_alone_disowns_nothing(text: str) -> None:
    assert analyse(text).priority_keywords == ()


# --- personal numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "My card 4111-1111-1111-1111 keeps getting declined, why? Write to me at bob@example.org "
        "or IBAN DE89 3704 0044 0532 0130 00",
        "IBAN DE89 3704 0044 0532 0130 00",
        "transfer 250 to account 12345678 sort code 20-00-00",
        "Ma carte 4970 1012 3456 7890 est refusée",
        "call me on 07700 900456",
    ],
)
def test_a_message_full_of_numbers_is_no_report(text: str) -> None:
    # Reports often give amounts and times; the guard must not learn that digits are fraud.
    assert not _urgent(text)
