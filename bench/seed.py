#!/usr/bin/env python3
"""Fill a PostgreSQL database with a realistic chat history: `bench/seed [--messages N] URL`.

Reusable by any benchmark that needs history at scale (search: bench/search.py; later ones:
bench/README.md). The schema comes from the project's migrations (``flask db upgrade`` through
``create_app``); the rows go in with COPY, in the column lists of the project's models, from
two processes at once. By default: 1,000,000 messages in 100,000 chats of 20,000 customers,
10,000 tickets, 200 agents, 20,000 internal notes, in English, Spanish, French, German,
Portuguese and Italian (each customer writes in one; agents answer in it), over the past year,
1 % of the customers erased (as services/privacy.py leaves them); rows go in roughly in time
order, as a live system appends them. ``--messages`` scales every
count with it (10,000 gives 1,000 chats of 200 customers, 2 agents). The same ``--seed`` gives
the same data. The GIN indexes are dropped during the load and rebuilt after (faster than
maintaining them row by row). ``--waiting N`` adds N more customers (``bench-queue-<i>``), each
with one chat WAITING in the queue (escalated, priorities mixed, its opening message), for the
queue's measurements (bench/large_data.py): the history's own open chats are too few for that.

The database must be named explicitly (argument or BENCH_DATABASE_URL): it is created if
missing, and refused if it holds any chat already (``--replace`` drops and recreates it).
Never point it at the test database.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

LANGUAGES = ("en", "es", "fr", "de", "pt", "it")
NOW = datetime(2026, 12, 1, tzinfo=UTC)

# Per language: what customers ask (with slots), what agents answer, what notes say.
TEXT: dict[str, dict[str, list[str]]] = {
    "en": {
        "ask": [
            "My card was declined at the {shop} yesterday",
            "I sent {amount} EUR to my landlord and it never arrived",
            "Why was I charged a fee of {amount} on my transfer?",
            "I lost my phone and need to freeze my card",
            "The refund from {shop} is still pending after two weeks",
            "How do I change my address and phone number?",
            "My top-up with Apple Pay failed three times",
            "Someone made payments I do not recognise, reference {ref}",
            "Can I get a virtual card for online shopping?",
            "The exchange rate on my last transfer looks wrong",
        ],
        "answer": [
            "Thanks for waiting, I am checking your account now",
            "I can see the transfer {ref}, it is being processed",
            "I have frozen your card; a replacement will arrive in five days",
            "The refund was released by the merchant and should arrive soon",
            "Could you confirm the last four digits of your card?",
        ],
        "note": [
            "Customer verified, possible fraud on {ref}",
            "Chargeback opened with the card scheme",
            "Escalated to payments team, waiting for the bank",
        ],
    },
    "es": {
        "ask": [
            "Mi tarjeta fue rechazada ayer en {shop}",
            "Envié {amount} EUR a mi casero y nunca llegaron",
            "¿Por qué me cobraron una comisión de {amount} en la transferencia?",
            "Perdí mi teléfono y necesito bloquear mi tarjeta",
            "El reembolso de {shop} sigue pendiente después de dos semanas",
            "¿Cómo cambio mi dirección y mi número de teléfono?",
            "Hay pagos que no reconozco, referencia {ref}",
        ],
        "answer": [
            "Gracias por esperar, estoy revisando su cuenta",
            "Veo la transferencia {ref}, se está procesando",
            "He bloqueado su tarjeta; la nueva llegará en cinco días",
        ],
        "note": ["Cliente verificado, posible fraude en {ref}", "Contracargo abierto"],
    },
    "fr": {
        "ask": [
            "Ma carte a été refusée hier chez {shop}",
            "J'ai envoyé {amount} EUR à mon propriétaire et ils ne sont jamais arrivés",
            "Pourquoi ai-je payé des frais de {amount} sur mon virement ?",
            "J'ai perdu mon téléphone et je dois bloquer ma carte",
            "Le remboursement de {shop} est toujours en attente",
            "Il y a des paiements que je ne reconnais pas, référence {ref}",
        ],
        "answer": [
            "Merci de votre patience, je vérifie votre compte",
            "Je vois le virement {ref}, il est en cours de traitement",
            "J'ai bloqué votre carte ; la nouvelle arrivera dans cinq jours",
        ],
        "note": ["Client vérifié, fraude possible sur {ref}", "Rétrofacturation ouverte"],
    },
    "de": {
        "ask": [
            "Meine Karte wurde gestern bei {shop} abgelehnt",
            "Ich habe {amount} EUR an meinen Vermieter überwiesen und sie sind nie angekommen",
            "Warum wurde mir eine Gebühr von {amount} für die Überweisung berechnet?",
            "Ich habe mein Handy verloren und muss meine Karte sperren",
            "Die Rückerstattung von {shop} ist nach zwei Wochen noch ausstehend",
            "Es gibt Zahlungen, die ich nicht kenne, Referenz {ref}",
        ],
        "answer": [
            "Danke für Ihre Geduld, ich prüfe Ihr Konto",
            "Ich sehe die Überweisung {ref}, sie wird bearbeitet",
            "Ich habe Ihre Karte gesperrt; die neue kommt in fünf Tagen",
        ],
        "note": ["Kunde verifiziert, möglicher Betrug bei {ref}", "Rückbuchung eröffnet"],
    },
    "pt": {
        "ask": [
            "O meu cartão foi recusado ontem na {shop}",
            "Enviei {amount} EUR ao meu senhorio e nunca chegaram",
            "Porque é que me cobraram uma taxa de {amount} na transferência?",
            "Perdi o meu telemóvel e preciso de bloquear o cartão",
            "O reembolso da {shop} continua pendente",
            "Há pagamentos que não reconheço, referência {ref}",
        ],
        "answer": [
            "Obrigado por aguardar, estou a verificar a sua conta",
            "Vejo a transferência {ref}, está a ser processada",
            "Bloqueei o seu cartão; o novo chega em cinco dias",
        ],
        "note": ["Cliente verificado, possível fraude em {ref}", "Estorno aberto"],
    },
    "it": {
        "ask": [
            "La mia carta è stata rifiutata ieri da {shop}",
            "Ho inviato {amount} EUR al mio padrone di casa e non sono mai arrivati",
            "Perché mi hanno addebitato una commissione di {amount} sul bonifico?",
            "Ho perso il telefono e devo bloccare la carta",
            "Il rimborso di {shop} è ancora in sospeso",
            "Ci sono pagamenti che non riconosco, riferimento {ref}",
        ],
        "answer": [
            "Grazie per l'attesa, sto controllando il suo conto",
            "Vedo il bonifico {ref}, è in elaborazione",
            "Ho bloccato la sua carta; la nuova arriverà in cinque giorni",
        ],
        "note": ["Cliente verificato, possibile frode su {ref}", "Storno aperto"],
    },
}
SHOPS = ["Zara", "Lidl", "Amazon", "Carrefour", "MediaMarkt", "Decathlon", "Ikea", "Uber"]
RULES = (
    "negative_sentiment",
    "customer_request",
    "legal_threat",
    "fraud_keyword",
    "low_confidence",
)
PRIORITIES = ("LOW", "MEDIUM", "HIGH", "URGENT")
ERASED = "[erased]"


def counts(messages: int) -> dict[str, int]:
    """Every count scaled from the number of messages (the defaults at 1,000,000)."""
    return {
        "messages": messages,
        "sessions": max(1, messages // 10),
        "customers": max(1, messages // 50),
        "agents": max(2, messages // 5000),
        "tickets": max(1, messages // 100),
        "notes": max(1, messages // 50),
    }


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        shop=rng.choice(SHOPS),
        amount=f"{rng.randint(5, 2500)}.{rng.randint(0, 99):02d}",
        ref=f"TX-{rng.randint(100000, 999999)}",
    )


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _copy(cur: Any, table: str, columns: list[str], rows: Any) -> int:
    n = 0
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(stmt) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _load_part(args: tuple[str, int, int, dict[str, int], int]) -> dict[str, int]:
    """One process's share: the chats numbered part, part + parts, ... with their rows."""
    url, part, parts, n, seed = args
    rng = random.Random(seed * 1000 + part)  # noqa: S311 (reproducible data, not secrets)
    per_chat = n["messages"] // n["sessions"]
    extra = n["messages"] - per_chat * n["sessions"]
    open_left = n["customers"] // 50  # a few chats are still open (at most one per customer)
    sessions: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    tickets: list[tuple[Any, ...]] = []
    done = {"sessions": 0, "messages": 0, "notes": 0, "tickets": 0}
    span = 365 * 24 * 3600
    sessions_per_ticket = max(1, n["sessions"] // n["tickets"])
    sessions_per_note = max(1, n["sessions"] // n["notes"])

    def flush(conn: Any) -> None:
        with conn.cursor() as cur:
            done["sessions"] += _copy(cur, "chat_sessions", SESSION_COLUMNS, sessions)
            done["messages"] += _copy(cur, "chat_messages", MESSAGE_COLUMNS, messages)
            done["notes"] += _copy(cur, "chat_notes", NOTE_COLUMNS, notes)
            done["tickets"] += _copy(cur, "tickets", TICKET_COLUMNS, tickets)
        conn.commit()
        for batch in (sessions, messages, notes, tickets):
            batch.clear()

    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for index in range(part, n["sessions"], parts):
            customer = index % n["customers"]
            uid = _customer_id(customer)
            language = LANGUAGES[customer % len(LANGUAGES)]
            erased = customer % 100 == 99
            agent = f"bench-agent-{index % n['agents']}"
            # Chats start in index order over the year (plus up to 10 minutes): rows reach the
            # table roughly in time order, as a live system appends them.
            started = NOW - timedelta(seconds=span * (1 - index / n["sessions"]))
            started += timedelta(seconds=rng.randrange(600))
            count = per_chat + (1 if index < extra else 0)
            is_open = index >= n["sessions"] - n["customers"] and open_left > 0 and not erased
            if is_open:
                open_left -= 1
            status = ("ACTIVE" if index % 2 else "WAITING") if is_open else "ENDED"
            escalated = index % 3 == 0
            meta: dict[str, Any] = {}
            if escalated:
                meta = {
                    "escalation": {
                        "rule": RULES[index % len(RULES)],
                        "priority": PRIORITIES[index % len(PRIORITIES)],
                        "reason": "bench",
                    }
                }
            sid = _id(rng)
            last = started + timedelta(seconds=30 * count)
            sessions.append(
                (
                    sid,
                    uid,
                    None if status == "WAITING" else agent,
                    status,
                    json.dumps(meta),
                    count,
                    started,
                    last,
                    last if status == "WAITING" else None,
                    None if status == "WAITING" else started,
                    None if is_open else last,
                    "resolved" if status == "ENDED" else None,
                )
            )
            text = TEXT[language]
            for seq in range(1, count + 1):
                customer_turn = seq % 2 == 1
                if erased:
                    content = ERASED
                elif customer_turn:
                    content = _fill(rng.choice(text["ask"]), rng)
                else:
                    content = _fill(rng.choice(text["answer"]), rng)
                sender, kind = (uid, "USER") if customer_turn else (agent, "AGENT")
                messages.append(
                    (
                        _id(rng),
                        sid,
                        seq,
                        sender,
                        kind,
                        content,
                        True,
                        "{}",
                        started + timedelta(seconds=30 * seq),
                    )
                )
            if index % sessions_per_note == 0:
                notes.append(
                    (
                        _id(rng),
                        sid,
                        1,
                        count,
                        agent,
                        ERASED if erased else _fill(rng.choice(text["note"]), rng),
                        last,
                    )
                )
            if index % sessions_per_ticket == 0:
                tickets.append(
                    (
                        _id(rng),
                        uid,
                        sid,
                        "Escalated chat",
                        ERASED if erased else _fill(rng.choice(text["ask"]), rng),
                        PRIORITIES[index % len(PRIORITIES)],
                        "RESOLVED" if status == "ENDED" else "OPEN",
                        agent,
                        "{}",
                        started,
                        last,
                    )
                )
            if len(messages) >= 50_000:
                flush(conn)
        flush(conn)
    return done


def _customer_id(i: int) -> str:
    return f"bench-cust-{i}"


SESSION_COLUMNS = [
    "id",
    "user_id",
    "agent_id",
    "status",
    "metadata",
    "last_seq",
    "created_at",
    "updated_at",
    "waiting_since",
    "assigned_at",
    "ended_at",
    "outcome",
]
MESSAGE_COLUMNS = [
    "id",
    "session_id",
    "seq",
    "sender_id",
    "sender_type",
    "content",
    "is_read",
    "metadata",
    "created_at",
]
NOTE_COLUMNS = ["id", "session_id", "note_seq", "after_seq", "author_id", "content", "created_at"]
TICKET_COLUMNS = [
    "id",
    "user_id",
    "session_id",
    "subject",
    "description",
    "priority",
    "status",
    "created_by",
    "metadata",
    "created_at",
    "updated_at",
]


def _check_columns() -> None:
    """The column lists above name real, writable columns of the project's models."""
    from livechat.models import ChatMessage, ChatNote, ChatSession, Ticket

    for model, columns in (
        (ChatSession, SESSION_COLUMNS),
        (ChatMessage, MESSAGE_COLUMNS),
        (ChatNote, NOTE_COLUMNS),
        (Ticket, TICKET_COLUMNS),
    ):
        table = model.__table__
        writable = {c.name for c in table.columns if c.computed is None}
        unknown = set(columns) - writable
        if unknown:
            raise SystemExit(f"{table.name} has no writable column {sorted(unknown)}")
        required = {
            c.name
            for c in table.columns
            if not c.nullable and c.server_default is None and c.computed is None
        }
        if required - set(columns):
            raise SystemExit(f"{table.name} needs {sorted(required - set(columns))}")


def _waiting_rows(n: int, rng: random.Random) -> tuple[list[Any], list[Any], list[Any]]:
    """``n`` queue customers with one WAITING chat each (an escalated chat, its first message),
    joining the queue over the hour before NOW."""
    users, sessions, messages = [], [], []
    for i in range(n):
        uid = f"bench-queue-{i}"
        language = LANGUAGES[i % len(LANGUAGES)]
        users.append((uid, f"Queue {i}", "user", json.dumps({"language": language}), NOW, NOW))
        since = NOW - timedelta(seconds=3600 * (1 - i / n))
        meta = {"escalation": {"rule": RULES[i % len(RULES)], "priority": PRIORITIES[i % 4]}}
        sid = _id(rng)
        sessions.append(
            (sid, uid, None, "WAITING", json.dumps(meta), 1, since, since, since, None, None, None)
        )
        content = _fill(rng.choice(TEXT[language]["ask"]), rng)
        messages.append((_id(rng), sid, 1, uid, "USER", content, True, "{}", since))
    return users, sessions, messages


def prepare(url: str, *, replace: bool) -> None:
    """Create the database if needed (or drop it with ``replace``) and run the migrations."""
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database
    if not name or name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to seed database {name!r}: name a bench database")
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and replace:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from livechat import create_app, shutdown_app

    app = create_app("testing")
    try:
        with app.app_context():
            upgrade()
    finally:
        shutdown_app(app)
    with psycopg.connect(_libpq(url)) as conn:
        if conn.execute("SELECT count(*) FROM chat_sessions").fetchone()[0]:  # type: ignore[index]
            raise SystemExit(f"{name} holds chats already: use --replace to start again")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


GIN_INDEXES = ("ix_chat_messages_search_vector", "ix_chat_notes_search_vector")


def seed(
    url: str, messages: int, *, seed_value: int = 1, parts: int = 2, waiting: int = 0
) -> dict[str, Any]:
    """Load the rows; returns what was loaded and how long each step took."""
    _check_columns()
    n = counts(messages)
    timings: dict[str, float] = {}
    dsn = _libpq(url)
    start = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        definitions = {
            name: conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (name,)
            ).fetchone()[0]  # type: ignore[index]
            for name in GIN_INDEXES
        }
        for name in GIN_INDEXES:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        with conn.cursor() as cur:
            _copy(
                cur,
                "users",
                ["id", "display_name", "role", "profile", "created_at", "last_seen_at"],
                [
                    (f"bench-agent-{i}", f"Agent {i}", "agent", "{}", NOW, NOW)
                    for i in range(n["agents"])
                ],
            )
            _copy(
                cur,
                "users",
                [
                    "id",
                    "display_name",
                    "role",
                    "profile",
                    "created_at",
                    "last_seen_at",
                    "erased_at",
                ],
                [
                    (
                        _customer_id(i),
                        None if i % 100 == 99 else f"Customer {i}",
                        "user",
                        json.dumps({} if i % 100 == 99 else {"language": LANGUAGES[i % 6]}),
                        NOW - timedelta(days=400),
                        NOW,
                        NOW if i % 100 == 99 else None,
                    )
                    for i in range(n["customers"])
                ],
            )
        conn.commit()
    timings["users_s"] = time.perf_counter() - start
    start = time.perf_counter()
    jobs = [(dsn, part, parts, n, seed_value) for part in range(parts)]
    with multiprocessing.get_context("spawn").Pool(parts) as pool:
        loaded = pool.map(_load_part, jobs)
    if waiting:
        users, sessions, queued = _waiting_rows(waiting, random.Random(seed_value))  # noqa: S311
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            _copy(
                cur,
                "users",
                ["id", "display_name", "role", "profile", "created_at", "last_seen_at"],
                users,
            )
            _copy(cur, "chat_sessions", SESSION_COLUMNS, sessions)
            _copy(cur, "chat_messages", MESSAGE_COLUMNS, queued)
    timings["rows_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute(f"SET max_parallel_maintenance_workers = {parts}")
        for definition in definitions.values():
            conn.execute(definition)  # type: ignore[arg-type]
    timings["gin_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())),"
            " pg_size_pretty(pg_relation_size('ix_chat_messages_search_vector')),"
            " pg_size_pretty(pg_total_relation_size('chat_messages'))"
        ).fetchone()
    timings["analyze_s"] = time.perf_counter() - start
    totals = {k: sum(part[k] for part in loaded) for k in loaded[0]}
    return {
        "counts": {
            **totals,
            "customers": n["customers"],
            "agents": n["agents"],
            "waitingQueue": waiting,
        },
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "size": {"database": size[0], "messageGin": size[1], "messagesTotal": size[2]},  # type: ignore[index]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parts", type=int, default=2, help="loading processes")
    parser.add_argument("--replace", action="store_true", help="drop the database first")
    parser.add_argument(
        "--waiting", type=int, default=0, help="extra customers each waiting in the queue"
    )
    args = parser.parse_args()
    if not args.url:
        parser.error("name the database: an argument or BENCH_DATABASE_URL")
    url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
    prepare(url, replace=args.replace)
    report = seed(url, args.messages, seed_value=args.seed, parts=args.parts, waiting=args.waiting)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
