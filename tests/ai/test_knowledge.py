"""The shipped FAQ knowledge base and BM25 retrieval over it (pure: no app, database or network)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from livechat.ai import knowledge
from livechat.ai.banking77 import LABELS
from livechat.ai.knowledge import (
    DEFAULT_KB_DIR,
    DEFAULT_MIN_SCORE,
    Article,
    KnowledgeBase,
    KnowledgeBaseError,
    Passage,
    tokenize,
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


# --- the shipped articles ---------------------------------------------------------------------


def test_shipped_kb_loads_with_complete_unique_articles(kb: KnowledgeBase) -> None:
    # The 14 original articles plus those written for the BANKING77 intents (issue 19).
    assert 30 <= len(kb.articles) <= 40
    ids = [a.id for a in kb.articles]
    assert len(set(ids)) == len(ids)
    for article in kb.articles:
        assert isinstance(article, Article)
        assert article.id and article.title and article.body
        assert article.tags and all(isinstance(t, str) and t for t in article.tags)
        assert kb.get(article.id) is article
    assert kb.get("no-such-article") is None


def test_every_banking77_intent_has_exactly_one_shipped_article(kb: KnowledgeBase) -> None:
    claims = Counter(intent for article in kb.articles for intent in article.intents)
    assert sorted(claims) == sorted(LABELS)
    assert [label for label, n in claims.items() if n > 1] == []
    for label in LABELS:
        article = kb.article_for_intent(label)
        assert article is not None and label in article.intents
        # Whatever the customer wrote, the intent's article comes first.
        assert kb.search("", intent=label)[0].article_id == article.id
        assert kb.search("hello", k=1, intent=label)[0].article_id == article.id


def test_shipped_articles_are_answer_sized(kb: KnowledgeBase) -> None:
    # Long enough to answer the questions of their intents, short enough to read in the chat.
    sizes = {a.id: len(a.body.split()) for a in kb.articles}
    assert {i: n for i, n in sizes.items() if not 150 <= n <= 450} == {}


def test_article_files_are_named_after_their_ids(kb: KnowledgeBase) -> None:
    assert sorted(p.stem for p in DEFAULT_KB_DIR.glob("*.md")) == sorted(a.id for a in kb.articles)


def test_default_load_is_the_shipped_folder(kb: KnowledgeBase) -> None:
    again = KnowledgeBase.load(DEFAULT_KB_DIR)
    assert again.articles == kb.articles


def test_articles_split_into_paragraph_sized_passages(kb: KnowledgeBase) -> None:
    for article in kb.articles:
        chunks = knowledge._chunk(article.body)
        assert chunks, article.id
        assert all(0 < len(c) <= knowledge.MAX_CHUNK_CHARS for c in chunks), article.id


def test_long_paragraphs_are_cut_and_headings_kept() -> None:
    items = "\n".join(f"- item {i}: " + "word " * 20 for i in range(20))
    chunks = knowledge._chunk(f"## Section\n\n{items}\n\n## Other\n\nShort.")
    assert len(chunks) > 2
    assert all(len(c) <= knowledge.MAX_CHUNK_CHARS for c in chunks)
    assert all(c.startswith("## Section") for c in chunks[:-1])
    assert chunks[-1] == "## Other\n\nShort."


def test_a_paragraph_that_fits_only_without_its_heading_is_cut() -> None:
    items = "\n".join(f"- item {i}: " + " ".join(["word"] * 10) for i in range(11))
    heading = "## A heading long enough to push the list over the limit"
    assert len(items) <= knowledge.MAX_CHUNK_CHARS < len(heading) + 2 + len(items)
    chunks = knowledge._chunk(f"{heading}\n\nIntro.\n\n{items}")
    assert len(chunks) == 2
    assert all(c.startswith(heading) and len(c) <= knowledge.MAX_CHUNK_CHARS for c in chunks)
    assert "\n".join(c.split("\n\n", 1)[1] for c in chunks).replace("\n\n", "\n") == (
        f"Intro.\n{items}"
    )


# --- retrieval quality ------------------------------------------------------------------------

QUESTIONS = [
    ("I lost my card", "card-lost-stolen"),
    ("my card was stolen yesterday", "card-lost-stolen"),
    ("how long does a SEPA transfer take", "transfers"),
    ("my international transfer is still pending", "transfers"),
    ("what is the cut-off time for transfers", "transfers"),
    ("my passport was rejected during verification", "kyc-verification"),
    ("which documents do you accept for identity verification", "kyc-verification"),
    ("why was I charged a fee for withdrawing cash", "fees"),
    ("what are the exchange rate fees abroad", "exchange-rates"),
    ("how much does the premium plan cost", "fees"),
    ("I can't log in, new phone", "account-access"),
    ("I forgot my password", "account-access"),
    ("I'm not receiving the SMS code", "account-access"),
    ("someone used my card without permission", "fraud-security"),
    ("I got an email asking for my password, is it a scam?", "fraud-security"),
    ("there's a transaction I don't recognise", "fraud-security"),
    ("how do I activate my new card", "card-activation-pin"),
    ("I entered the wrong PIN three times", "card-activation-pin"),
    ("my card payment was declined at the supermarket", "card-declined"),
    ("my payment keeps failing online", "card-declined"),
    ("how do I unfreeze my card", "card-freeze"),
    ("I sent money to the wrong IBAN", "transfer-wrong-recipient"),
    ("can I cancel a transfer", "transfer-wrong-recipient"),
    ("when will I get my refund from the shop", "refunds-disputes"),
    ("I was charged twice for the same purchase", "refunds-disputes"),
    ("how do I close my account", "account-closure"),
    ("can I increase my daily spending limit", "limits"),
    ("I want to talk to a human", "contact-us"),
    ("I'd like to make a complaint", "contact-us"),
    ("the password reset email never came", "account-access"),
    ("money I sent on Friday evening still hasn't arrived", "transfers"),
    ("how do I get my money back from a wrong transfer", "transfer-wrong-recipient"),
    ("contactless isn't working on my new card", "card-not-working"),
    ("somebody stole my wallet", "card-lost-stolen"),
    ("is there a fee for paying in dollars", "fees"),
    ("do you accept a driving licence", "kyc-verification"),
    ("the merchant refunded me but I don't see it", "refunds-disputes"),
    ("someone called pretending to be from the bank", "fraud-security"),
    ("what's the maximum I can transfer per day", "limits"),
    # Questions the articles written for the BANKING77 intents answer.
    ("when will my new card arrive", "card-delivery"),
    ("the ATM kept my card", "atm-problems"),
    ("how do I top up with Apple Pay", "apple-google-pay"),
    ("why is my top-up still pending", "top-up-problems"),
    ("how do I exchange GBP to USD in the app", "currencies"),
    ("there's a direct debit I don't recognise", "direct-debits"),
    ("how old do I need to be to open an account", "eligibility"),
    ("I just got married and need to change my name", "personal-details"),
    ("my phone was stolen", "phone-lost-stolen"),
    ("why was my transfer declined", "transfer-declined"),
    ("how do I get a disposable virtual card", "virtual-cards"),
    ("I deposited a cheque but my balance hasn't changed", "cash-cheque-deposits"),
    ("why was my card payment reverted", "card-payment-pending"),
]


@pytest.mark.parametrize(("question", "article_id"), QUESTIONS)
def test_questions_retrieve_the_right_article_first(
    kb: KnowledgeBase, question: str, article_id: str
) -> None:
    results = kb.search(question)
    assert results, f"nothing for {question!r}"
    assert results[0].article_id == article_id, [(p.article_id, p.score) for p in results]


def test_passages_cite_their_article_and_come_from_it(kb: KnowledgeBase) -> None:
    for passage in kb.search("I lost my card, how do I get a replacement?", k=3):
        article = kb.get(passage.article_id)
        assert article is not None and passage.title == article.title
        assert all(line in article.body for line in passage.text.splitlines())
        assert isinstance(passage.score, float) and passage.score > DEFAULT_MIN_SCORE


UNRELATED = [
    "what's the weather in Paris",
    "tell me a joke",
    "asdf qwerty",
    "hello",
    "thanks!",
    "what is the capital of France",
    "recommend a good pizza place",
    "how old are you",
    "I need a new laptop",
    "who is the president of the United States",
    "give me a recipe for pancakes",
    "what is bitcoin price today",
    "where is the nearest train station",
    "my cat is sick",
    "lol",
    "",
    "   \n\t",
    "?!",
]


@pytest.mark.parametrize("query", UNRELATED)
def test_unrelated_queries_return_nothing(kb: KnowledgeBase, query: str) -> None:
    assert kb.search(query) == []


def test_the_default_threshold_is_what_filters_weak_matches(kb: KnowledgeBase) -> None:
    # BM25 does find something (the age-limit article's "18 years old"): the default cut-off is
    # what drops it.
    weak = kb.search("how old are you", min_score=0)
    assert weak and weak[0].score <= DEFAULT_MIN_SCORE
    assert kb.search("how old are you") == []


@pytest.mark.parametrize(
    "query",
    ["Ich habe meine Karte verloren", "¿Dónde está mi tarjeta?", "我的卡丢了", "💳❓", "a" * 5000],
)
def test_other_languages_and_odd_input_do_not_crash(kb: KnowledgeBase, query: str) -> None:
    assert isinstance(kb.search(query), list)


# --- k, min_score, ordering -------------------------------------------------------------------


def test_k_limits_the_number_of_passages(kb: KnowledgeBase) -> None:
    assert kb.search("card", k=0, min_score=0) == []
    assert len(kb.search("card", k=1, min_score=0)) == 1
    assert len(kb.search("card", k=4, min_score=0)) == 4


def test_results_are_best_first_and_above_min_score(kb: KnowledgeBase) -> None:
    results = kb.search("card payment declined abroad", k=10, min_score=2.0)
    scores = [p.score for p in results]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 2.0 for s in scores)
    assert kb.search("card payment declined abroad", min_score=1000.0) == []


def test_distinct_articles_preferred_and_at_most_two_passages_each(kb: KnowledgeBase) -> None:
    few = kb.search("card", k=5, min_score=0)
    assert len({p.article_id for p in few}) == 5
    many = kb.search("card account money app", k=100, min_score=0)
    per_article = [p.article_id for p in many]
    assert max(per_article.count(a) for a in per_article) == knowledge.MAX_PER_ARTICLE


def test_search_is_deterministic(kb: KnowledgeBase) -> None:
    query = "card payment declined abroad"
    assert kb.search(query, k=5, min_score=0) == KnowledgeBase.load().search(
        query, k=5, min_score=0
    )


def test_concurrent_searches_agree(kb: KnowledgeBase) -> None:
    # How fast a search is, is a figure for `bench/run knowledge`, not a clock in a test.
    queries = [q for q, _ in QUESTIONS] * 4
    expected = [kb.search(q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(kb.search, queries)) == expected


# --- search with an intent --------------------------------------------------------------------

INTENT_KB = [
    Article(
        "delivery",
        "Card delivery",
        "## When it arrives\n\nCards arrive within 5 working days.\n\n"
        "## Tracking\n\nTrack your card's delivery in the app.",
        ("card", "delivery", "post"),
        ("card_arrival", "card_delivery_estimate"),
    ),
    Article(
        "fees",
        "Fees",
        "ATM withdrawals over your allowance cost 2%.\n\nCard payments abroad may cost a fee.",
        ("fee", "atm", "charge"),
        ("cash_withdrawal_charge",),
    ),
    Article("pins", "Your PIN", "See your PIN in the app under Cards.", ("pin",)),
]


def test_intent_puts_its_article_first_even_below_the_cut_off() -> None:
    kb = KnowledgeBase(INTENT_KB)
    # "tracking" matches the delivery article, but too weakly to pass the default cut-off.
    weak = kb.search("tracking", min_score=0)
    assert weak and weak[0].article_id == "delivery" and weak[0].score <= DEFAULT_MIN_SCORE
    assert kb.search("tracking") == []
    [passage] = kb.search("tracking", intent="card_arrival")
    assert passage.article_id == "delivery" and passage.title == "Card delivery"
    assert passage.text.startswith("## Tracking")  # its best passage for the query, not its first
    assert passage.score == weak[0].score


def test_intent_article_leads_and_bm25_fills_the_other_slots() -> None:
    kb = KnowledgeBase(INTENT_KB)
    query = "why was I charged a fee at the ATM"
    plain = kb.search(query, k=3, min_score=0)
    assert plain[0].article_id == "fees"
    results = kb.search(query, k=3, min_score=0, intent="card_delivery_estimate")
    # Nothing in the question matches the delivery article: its first passage leads, score 0.
    assert results[0] == Passage("delivery", "Card delivery", results[0].text, 0.0)
    assert results[0].text.startswith("## When it arrives")
    assert [p.article_id for p in results[1:]] == [p.article_id for p in plain[:2]]
    assert kb.search(query, k=1, min_score=0, intent="card_arrival") == results[:1]
    assert kb.search(query, k=0, intent="card_arrival") == []


def test_intent_article_is_not_repeated_and_counts_towards_its_share() -> None:
    kb = KnowledgeBase(INTENT_KB)
    results = kb.search("card delivery tracking", k=5, min_score=0, intent="card_arrival")
    assert [p.article_id for p in results].count("delivery") == knowledge.MAX_PER_ARTICLE
    assert len({p.text for p in results}) == len(results)
    assert results[0].article_id == "delivery"


def test_intent_with_an_empty_query_still_gives_its_article() -> None:
    kb = KnowledgeBase(INTENT_KB)
    assert [p.article_id for p in kb.search("  ", intent="cash_withdrawal_charge")] == ["fees"]
    assert kb.search("  ") == []


def test_intent_in_a_kb_without_indexable_words() -> None:
    kb = KnowledgeBase([Article("dots", "!!", "...", (), ("card_arrival",))])
    assert kb.search("card", min_score=-1) == []
    assert kb.search("card", min_score=-1, intent="card_arrival") == [
        Passage("dots", "!!", "...", 0.0)
    ]


@pytest.mark.parametrize("intent", ["age_limit", "no_such_label", "", None])
def test_intent_no_article_answers_is_plain_bm25(intent: str | None) -> None:
    kb = KnowledgeBase(INTENT_KB)
    for query in ("why was I charged a fee at the ATM", "tracking", "where is my PIN", ""):
        for k, min_score in ((3, None), (5, 0.0)):
            assert kb.search(query, k=k, min_score=min_score, intent=intent) == kb.search(
                query, k=k, min_score=min_score
            )


def test_tokenize_folds_case_stopwords_and_simple_suffixes() -> None:
    assert tokenize("The Charges were charged, a charge") == ["charg"] * 3
    assert tokenize("Declined, declining, decline") == ["declin"] * 3
    assert tokenize("transferred transfers") == ["transfer", "transfer"]
    assert tokenize("how do I do it?") == []
    assert tokenize("recognised recognized recognize recognising") == ["recognis"] * 4
    assert tokenize("authorisation authorization") == ["authorisation"] * 2
    assert tokenize("size quiz") == ["siz", "quiz"]


# --- loading other folders --------------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_folder_with_yaml_and_markdown(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "pets.yaml",
        """
- id: pet-insurance
  title: Pet insurance
  tags: [pets, dog, cat, vet]
  body: |
    Our pet insurance covers vet bills for dogs and cats.

    Claims are usually paid within 10 working days.
- id: travel-insurance
  title: Travel insurance
  tags: travel, trip, luggage
  body: Travel insurance covers lost luggage and cancelled trips.
""",
    )
    _write(
        tmp_path,
        "loans.yml",
        "id: loans\ntitle: Personal loans\ntags: [loan, borrow]\nbody: You can borrow up to a limit.\n",
    )
    _write(
        tmp_path,
        "savings.md",
        "---\nid: savings\ntitle: Savings pots\ntags: [savings, interest]\n---\n"
        "## Interest\n\nSavings pots earn interest, paid monthly.\n",
    )
    _write(tmp_path, "notes.txt", "not an article")
    _write(tmp_path, ".draft.md", "no front matter: dotfiles are skipped")

    kb = KnowledgeBase.load(str(tmp_path))

    assert [a.id for a in kb.articles] == ["loans", "pet-insurance", "travel-insurance", "savings"]
    assert kb.get("travel-insurance").tags == ("travel", "trip", "luggage")
    savings = kb.get("savings")
    assert savings == Article(
        "savings",
        "Savings pots",
        "## Interest\n\nSavings pots earn interest, paid monthly.",
        ("savings", "interest"),
    )
    top = kb.search("does the insurance pay the vet bills for my dog?")
    assert top and top[0] == Passage(
        "pet-insurance",
        "Pet insurance",
        "Our pet insurance covers vet bills for dogs and cats.\n\n"
        "Claims are usually paid within 10 working days.",
        top[0].score,
    )
    assert kb.search("what's the weather in Paris") == []


def test_knowledge_base_from_articles_directly() -> None:
    kb = KnowledgeBase([Article("a", "Card fees", "Cards cost nothing.", ("card", "fee"))])
    assert kb.search("how much does a card cost", min_score=0)[0].article_id == "a"
    assert KnowledgeBase([]).search("card") == []
    with pytest.raises(KnowledgeBaseError, match="duplicate"):
        KnowledgeBase([Article("a", "A", "x", ()), Article("a", "B", "y", ())])


BROKEN = {
    "unclosed.md": "---\nid: x\ntitle: [unclosed\n---\nBody.\n",
    "no-front-matter.md": "# Just markdown\n\nNo front matter here.\n",
    "no-title.md": "---\nid: x\ntags: [a]\n---\nBody.\n",
    "empty-body.md": "---\nid: x\ntitle: X\ntags: [a]\n---\n\n",
    "list-front-matter.md": "---\n- id: x\n---\nBody.\n",
    "bad-tags.yaml": "id: x\ntitle: X\ntags: {a: 1}\nbody: Body.\n",
    "id-number.yaml": "id: 42\ntitle: X\nbody: Body.\n",
    "bad.yaml": "id: x\ntitle: : :\n  - nope\n",
    "scalar.yml": "just a string\n",
    "unknown-intent.md": "---\nid: x\ntitle: X\nintents: [card_arival]\n---\nBody.\n",
    "intents-string.md": "---\nid: x\ntitle: X\nintents: card_arrival\n---\nBody.\n",
    "intents-null.yaml": "id: x\ntitle: X\nintents:\nbody: Body.\n",
    "intents-mapping.yaml": "id: x\ntitle: X\nintents: {card_arrival: 1}\nbody: Body.\n",
    "intent-twice.md": "---\nid: x\ntitle: X\nintents: [card_arrival, card_arrival]\n---\nB.\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_article_raises_naming_the_file(tmp_path: Path, name: str) -> None:
    _write(tmp_path, "good.md", "---\nid: good\ntitle: Good\ntags: [ok]\n---\nFine.\n")
    _write(tmp_path, name, BROKEN[name])
    with pytest.raises(KnowledgeBaseError, match=name.replace(".", r"\.")):
        KnowledgeBase.load(tmp_path)


@pytest.mark.parametrize(
    ("intents", "message"),
    [
        ("[card_arrival, Card_Arrival]", "unknown BANKING77 intent 'Card_Arrival'"),
        ("[card_arrival, 42]", "unknown BANKING77 intent 42"),
        ("[reverted_card_payment]", "unknown BANKING77 intent 'reverted_card_payment'"),
        ("card_arrival", "'intents' must be a list of BANKING77 labels, got 'card_arrival'"),
        ("", "'intents' must be a list of BANKING77 labels, got None"),
    ],
)
def test_bad_intents_are_refused_naming_the_value(
    tmp_path: Path, intents: str, message: str
) -> None:
    _write(tmp_path, "cards.md", f"---\nid: cards\ntitle: Cards\nintents: {intents}\n---\nB.\n")
    with pytest.raises(KnowledgeBaseError, match=r"cards\.md") as exc:
        KnowledgeBase.load(tmp_path)
    assert message in str(exc.value)


def test_intents_load_from_front_matter_and_yaml(tmp_path: Path) -> None:
    # BANKING77 spells two labels oddly; both load as written ("?" quoted in YAML for clarity).
    _write(
        tmp_path,
        "refunds.md",
        "---\nid: refunds\ntitle: Refunds\n"
        "intents: [request_refund, Refund_not_showing_up, 'reverted_card_payment?']\n"
        "---\nRefunds take 5 days.\n",
    )
    _write(
        tmp_path,
        "cards.yaml",
        "- id: delivery\n  title: Card delivery\n  intents:\n    - card_arrival\n"
        "    - card_delivery_estimate\n  body: Cards arrive in a week.\n"
        "- id: plain\n  title: Plain\n  body: No intents here.\n",
    )
    kb = KnowledgeBase.load(tmp_path)
    assert kb.get("refunds").intents == (
        "request_refund",
        "Refund_not_showing_up",
        "reverted_card_payment?",
    )
    assert kb.get("delivery").intents == ("card_arrival", "card_delivery_estimate")
    assert kb.get("plain").intents == ()
    assert kb.article_for_intent("reverted_card_payment?") is kb.get("refunds")
    assert kb.article_for_intent("card_delivery_estimate") is kb.get("delivery")
    assert kb.article_for_intent("age_limit") is None
    assert kb.article_for_intent("no_such_label") is None


def test_an_intent_answered_by_two_articles_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "---\nid: a\ntitle: A\nintents: [card_arrival]\n---\nA.\n")
    _write(tmp_path, "b.md", "---\nid: b\ntitle: B\nintents: [age_limit, card_arrival]\n---\nB.\n")
    with pytest.raises(
        KnowledgeBaseError, match="'card_arrival' is answered by two articles: a, b"
    ):
        KnowledgeBase.load(tmp_path)


def test_duplicate_ids_across_files_name_both(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "---\nid: same\ntitle: A\n---\nA.\n")
    _write(tmp_path, "b.yaml", "id: same\ntitle: B\nbody: B.\n")
    with pytest.raises(KnowledgeBaseError, match="duplicate article id") as exc:
        KnowledgeBase.load(tmp_path)
    assert "a.md" in str(exc.value) and "b.yaml" in str(exc.value)


def test_missing_or_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not found"):
        KnowledgeBase.load(tmp_path / "nope")
    with pytest.raises(KnowledgeBaseError, match="no articles"):
        KnowledgeBase.load(tmp_path)
    assert issubclass(KnowledgeBaseError, ValueError)
