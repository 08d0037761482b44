"""What the model is told, and the assistant's fixed sentences in the customer's language."""

from __future__ import annotations

import json
from typing import Any

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
}

SYSTEM_PROMPT = """\
You are the support assistant of a fintech app, chatting live with one of its customers.
- Be brief, warm and precise: two to five short sentences or a short list.
- Reply in {language}.
- Use only the customer context and help-centre passages below. If they do not answer the
  question, say plainly that you do not know and offer to connect the customer with a human agent.
- Never invent balances, transactions, limits, dates or fees; never promise a refund, reversal,
  compensation or a specific outcome; never ask for a full card number, PIN, password or one-time
  code.
- If the customer reports fraud, a lost or stolen card or an account takeover, tell them to freeze
  the card in the app and that a human agent will take over.
- When you used a help-centre passage, end with "Source: <title>".

Customer context (the signed-in customer's own account; personal data redacted):
{profile}

Customer's open tickets:
{tickets}

Help-centre passages:
{passages}
"""


def system_prompt(
    language: str, profile: dict[str, Any], tickets: list[dict[str, Any]], passages: list[Any]
) -> str:
    """The system message: rules, then only this customer's data and the retrieved passages."""
    passage_text = "\n\n".join(f"[{p.title}]\n{p.text}" for p in passages) or "(none found)"
    ticket_text = (
        "\n".join(f"- {t['subject']} ({t['status']}, {t['priority']})" for t in tickets) or "(none)"
    )
    return SYSTEM_PROMPT.format(
        language=LANGUAGE_NAMES.get(language, "English"),
        profile=json.dumps(profile, ensure_ascii=False, sort_keys=True) if profile else "(none)",
        tickets=ticket_text,
        passages=passage_text,
    )


# The assistant's fixed sentences. Keys are used by the orchestrator and the offline provider.
NOTICES: dict[str, dict[str, str]] = {
    "en": {
        "customer_request": "Sure, a person from our team will take over. You are number "
        "{position} in the queue (about {minutes} min). Please stay in this chat.",
        "no_assistant": "Thanks for your message. A person from our team will answer here. You "
        "are number {position} in the queue (about {minutes} min).",
        "queued": "I'm handing you over to a human agent. You are number {position} in the queue "
        "(about {minutes} min). Please stay in this chat.",
        "ai_unavailable": "Sorry, I can't answer right now. I've asked a human agent to take "
        "over; you are number {position} in the queue.",
        "found": "Here is what our help centre says:",
        "source": "Source",
        "unknown": "I'm not sure about that, and I'd rather not guess. Would you like me to "
        'connect you with a human agent? Just say "agent".',
        "greeting": "Hello! I'm the virtual assistant. How can I help you today?",
        "thanks": "You're welcome! Is there anything else I can help with?",
        "more": "Does that answer your question? If not, I can connect you with a human agent.",
    },
    "es": {
        "customer_request": "De acuerdo, una persona de nuestro equipo te atenderá. Eres el "
        "número {position} en la cola (unos {minutes} min). Por favor, no cierres este chat.",
        "no_assistant": "Gracias por tu mensaje. Una persona de nuestro equipo te responderá "
        "aquí. Eres el número {position} en la cola (unos {minutes} min).",
        "queued": "Te paso con un agente humano. Eres el número {position} en la cola "
        "(unos {minutes} min). Por favor, no cierres este chat.",
        "ai_unavailable": "Lo siento, ahora no puedo responder. He pedido a un agente humano que "
        "te atienda; eres el número {position} en la cola.",
        "found": "Esto es lo que dice nuestro centro de ayuda (en inglés):",
        "source": "Fuente",
        "unknown": "No estoy seguro y prefiero no adivinar. ¿Quieres que te pase con un agente "
        'humano? Escribe "agente".',
        "greeting": "¡Hola! Soy el asistente virtual. ¿En qué puedo ayudarte?",
        "thanks": "¡De nada! ¿Puedo ayudarte con algo más?",
        "more": "¿Responde esto a tu pregunta? Si no, puedo pasarte con un agente humano.",
    },
    "fr": {
        "customer_request": "Bien sûr, un conseiller va prendre le relais. Vous êtes numéro "
        "{position} dans la file (environ {minutes} min). Merci de rester dans ce chat.",
        "no_assistant": "Merci pour votre message. Un conseiller va vous répondre ici. Vous "
        "êtes numéro {position} dans la file (environ {minutes} min).",
        "queued": "Je vous transfère à un conseiller. Vous êtes numéro {position} dans la file "
        "(environ {minutes} min). Merci de rester dans ce chat.",
        "ai_unavailable": "Désolé, je ne peux pas répondre pour le moment. J'ai demandé à un "
        "conseiller de prendre le relais ; vous êtes numéro {position} dans la file.",
        "found": "Voici ce que dit notre centre d'aide (en anglais) :",
        "source": "Source",
        "unknown": "Je ne suis pas sûr et je préfère ne pas deviner. Voulez-vous parler à un "
        "conseiller ? Écrivez « conseiller ».",
        "greeting": "Bonjour ! Je suis l'assistant virtuel. Comment puis-je vous aider ?",
        "thanks": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "more": "Cela répond-il à votre question ? Sinon, je peux vous mettre en relation avec "
        "un conseiller.",
    },
    "de": {
        "customer_request": "Gern, ein Mitarbeiter übernimmt. Sie sind Nummer {position} in "
        "der Warteschlange (etwa {minutes} Min.). Bitte bleiben Sie im Chat.",
        "no_assistant": "Danke für Ihre Nachricht. Ein Mitarbeiter antwortet Ihnen hier. Sie "
        "sind Nummer {position} in der Warteschlange (etwa {minutes} Min.).",
        "queued": "Ich verbinde Sie mit einem Mitarbeiter. Sie sind Nummer {position} in der "
        "Warteschlange (etwa {minutes} Min.). Bitte bleiben Sie im Chat.",
        "ai_unavailable": "Entschuldigung, ich kann gerade nicht antworten. Ein Mitarbeiter "
        "übernimmt; Sie sind Nummer {position} in der Warteschlange.",
        "found": "Das sagt unser Hilfe-Center (auf Englisch):",
        "source": "Quelle",
        "unknown": "Da bin ich mir nicht sicher und möchte nicht raten. Soll ich Sie mit einem "
        'Mitarbeiter verbinden? Schreiben Sie einfach "Mitarbeiter".',
        "greeting": "Hallo! Ich bin der virtuelle Assistent. Wie kann ich helfen?",
        "thanks": "Gern geschehen! Kann ich sonst noch helfen?",
        "more": "Beantwortet das Ihre Frage? Sonst verbinde ich Sie mit einem Mitarbeiter.",
    },
    "pt": {
        "customer_request": "Claro, um atendente da nossa equipe vai assumir. Você é o número "
        "{position} na fila (cerca de {minutes} min). Por favor, continue neste chat.",
        "no_assistant": "Obrigado pela sua mensagem. Um atendente da nossa equipe vai "
        "responder aqui. Você é o número {position} na fila (cerca de {minutes} min).",
        "queued": "Vou transferir você para um atendente humano. Você é o número {position} na "
        "fila (cerca de {minutes} min). Por favor, continue neste chat.",
        "ai_unavailable": "Desculpe, não consigo responder agora. Pedi a um atendente humano "
        "que assuma; você é o número {position} na fila.",
        "found": "Isto é o que diz a nossa central de ajuda (em inglês):",
        "source": "Fonte",
        "unknown": "Não tenho certeza e prefiro não adivinhar. Quer falar com um atendente "
        'humano? Escreva "atendente".',
        "greeting": "Olá! Sou o assistente virtual. Como posso ajudar?",
        "thanks": "De nada! Posso ajudar em mais alguma coisa?",
        "more": "Isso responde à sua pergunta? Se não, posso transferir você para um atendente.",
    },
    "it": {
        "customer_request": "Certo, un operatore del nostro team ti risponderà. Sei il numero "
        "{position} in coda (circa {minutes} min). Resta in questa chat, per favore.",
        "no_assistant": "Grazie per il messaggio. Un operatore del nostro team ti risponderà "
        "qui. Sei il numero {position} in coda (circa {minutes} min).",
        "queued": "Ti passo a un operatore. Sei il numero {position} in coda (circa {minutes} "
        "min). Resta in questa chat, per favore.",
        "ai_unavailable": "Mi dispiace, ora non riesco a rispondere. Ho chiesto a un operatore di "
        "subentrare; sei il numero {position} in coda.",
        "found": "Ecco cosa dice il nostro centro assistenza (in inglese):",
        "source": "Fonte",
        "unknown": "Non ne sono sicuro e preferisco non tirare a indovinare. Vuoi parlare con un "
        'operatore? Scrivi "operatore".',
        "greeting": "Ciao! Sono l'assistente virtuale. Come posso aiutarti?",
        "thanks": "Prego! Posso aiutarti con qualcos'altro?",
        "more": "Ho risposto alla tua domanda? Altrimenti posso passarti a un operatore.",
    },
}


def notice(language: str, key: str, **values: Any) -> str:
    """A fixed sentence in the customer's language (English when we do not have theirs)."""
    table = NOTICES.get(language, NOTICES["en"])
    return table.get(key, NOTICES["en"][key]).format(**values)
