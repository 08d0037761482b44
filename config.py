"""Environment-driven configuration (12-factor): one class per LIVECHAT_ENV."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to fix."""


# FIREBASE_WEB_CONFIG needs these; FIREBASE_SIGNIN_PROVIDERS takes these.
WEB_CONFIG_KEYS = ("apiKey", "authDomain", "projectId")
SIGNIN_PROVIDERS = ("password", "google")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        # A typo ("ture", "enabled") must not quietly mean "off" for a switch like
        # RATE_LIMITS_ENABLED or AI_ENABLED.
        raise ConfigError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")
    return value in _TRUE


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def normalize_database_url(url: str) -> str:
    """Make Heroku-style ``postgres://`` and bare ``postgresql://`` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment; each value can come from the environment."""

    ENV_NAME = "base"

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY: str | None = env.get("SECRET_KEY") or None
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(env.get("DATABASE_URL") or "")
        # Development without DATABASE_URL: create_app() starts an embedded PostgreSQL there
        # (livechat.embedded_db) and fills in SQLALCHEMY_DATABASE_URI. Nothing starts here.
        self.EMBEDDED_POSTGRES_DIR: str | None = (
            None if self.SQLALCHEMY_DATABASE_URI else self.default_embedded_postgres_dir()
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = self.engine_options()
        self.REDIS_URL: str | None = env.get("REDIS_URL") or None
        self.AUTH_MODE = (env.get("AUTH_MODE") or self.default_auth_mode()).strip().lower()
        self.FIREBASE_PROJECT_ID: str | None = env.get("FIREBASE_PROJECT_ID") or None
        self.GOOGLE_APPLICATION_CREDENTIALS: str | None = (
            env.get("GOOGLE_APPLICATION_CREDENTIALS") or None
        )
        self.FIREBASE_CHECK_REVOKED = _bool("FIREBASE_CHECK_REVOKED", False)
        self.FIREBASE_AUTH_EMULATOR_HOST: str | None = (
            env.get("FIREBASE_AUTH_EMULATOR_HOST") or None
        )
        # The console's Firebase web app (its public config JSON: apiKey, authDomain, projectId,
        # ...) and which sign-in methods it offers; without it the console takes a pasted token.
        self._firebase_web_config_raw = env.get("FIREBASE_WEB_CONFIG") or ""
        self.FIREBASE_WEB_CONFIG: dict[str, Any] | None = None
        self.FIREBASE_SIGNIN_PROVIDERS = [
            p.strip().lower()
            for p in (env.get("FIREBASE_SIGNIN_PROVIDERS") or "password").split(",")
            if p.strip()
        ]
        self.CORS_ORIGINS = [
            o.strip() for o in (env.get("CORS_ORIGINS") or "").split(",") if o.strip()
        ]
        self.OPENAI_API_KEY: str | None = env.get("OPENAI_API_KEY") or None
        self.OPENAI_BASE_URL: str | None = env.get("OPENAI_BASE_URL") or None
        self.OPENAI_MODEL = env.get("OPENAI_MODEL") or "gpt-4o-mini"
        self.AI_PROVIDER = (
            (env.get("AI_PROVIDER") or ("openai" if self.OPENAI_API_KEY else "offline"))
            .strip()
            .lower()
        )
        # Tests switch the assistant on where they test it; everywhere else it answers.
        self.AI_ENABLED = _bool("AI_ENABLED", self.ENV_NAME != "testing")
        self.AI_MAX_CONCURRENCY = _int("AI_MAX_CONCURRENCY", 20)
        self.AI_READ_TIMEOUT = _float("AI_READ_TIMEOUT", 20.0)
        self.AI_TOTAL_TIMEOUT = _float("AI_TOTAL_TIMEOUT", 60.0)
        self.AI_MAX_RETRIES = _int("AI_MAX_RETRIES", 2)
        self.AI_HISTORY_TOKENS = _int("AI_HISTORY_TOKENS", 2000)
        self.AI_OFFLINE_CHUNK_DELAY = _float("AI_OFFLINE_CHUNK_DELAY", 0.02)
        # Model tokens arriving within this many seconds of the last ai:delta are sent together
        # with the next one (0: one ai:delta per chunk). A model streaming a token every ~20 ms
        # would otherwise cost every process on the way one event per token per reply.
        self.AI_DELTA_INTERVAL = _float("AI_DELTA_INTERVAL", 0.05)
        # An assistant process sends the events it emits within this many seconds to the web
        # processes as one Redis message (0: one per event): each costs every web process a
        # wake-up and a read, and a reply is ~18 events. 50 ms (it was 10) gathers the events
        # of the replies streaming together: with 20 replies streaming, human p99 moved
        # x1.17-1.46 at 10 ms and x0.98-1.04 at 50 ms in the same hour (docs/performance.md);
        # a reply's deltas are already 50 ms apart (AI_DELTA_INTERVAL).
        self.AI_RELAY_INTERVAL = _float("AI_RELAY_INTERVAL", 0.05)
        # With Redis: how long a chat message that overtook an earlier one (stored by another
        # process) waits for it before going out anyway (livechat/realtime/reorder.py).
        self.RELAY_REORDER_WAIT = _float("RELAY_REORDER_WAIT", 0.1)
        # inline: each web process runs its own AI turns. external: web processes hand turns to
        # `flask livechat assistant` processes through Redis, so people's messages never share
        # a CPU with the assistant (README, "Deployment").
        self.AI_WORKER = (env.get("AI_WORKER") or "inline").strip().lower()
        # An assistant process re-checks for customer messages left unanswered (it was down, or
        # Redis was) this often, for messages at most AI_RESUME_WINDOW seconds old.
        self.AI_RESUME_INTERVAL = _float("AI_RESUME_INTERVAL", 15.0)
        self.AI_RESUME_WINDOW = _float("AI_RESUME_WINDOW", 600.0)
        self.KNOWLEDGE_BASE_DIR: str | None = env.get("KNOWLEDGE_BASE_DIR") or None
        self.CUSTOMER_CONTEXT_URL: str | None = env.get("CUSTOMER_CONTEXT_URL") or None
        self.ESCALATION_UNRESOLVED_TICKETS = _int("ESCALATION_UNRESOLVED_TICKETS", 2)
        self.ESCALATION_NEGATIVE_THRESHOLD = _float("ESCALATION_NEGATIVE_THRESHOLD", -0.3)
        self.ESCALATION_RULES = env.get("ESCALATION_RULES") or ""
        self.QUEUE_MINUTES_PER_CHAT = _float("QUEUE_MINUTES_PER_CHAT", 4.0)
        # While queue changes keep coming, queue:updated goes to every agent at most this often
        # (longer with many agents online: livechat/realtime/queue.py). 0.05 under testing: a
        # test's last announcement would otherwise wait out the interval its predecessor
        # started, and every test that changes the queue waits for it at teardown.
        self.QUEUE_UPDATE_INTERVAL_SECONDS = _float(
            "QUEUE_UPDATE_INTERVAL_SECONDS", 0.05 if self.ENV_NAME == "testing" else 0.25
        )
        # With the assistant off, a chat's first customer message queues it for a person
        # (livechat/ai/handover.py). Off under testing, like AI_ENABLED: tests that post
        # messages keep their chats ACTIVE unless they test this.
        self.QUEUE_WITHOUT_ASSISTANT = _bool("QUEUE_WITHOUT_ASSISTANT", self.ENV_NAME != "testing")
        # An ACTIVE chat whose customer has not answered support (assistant or agent) for
        # IDLE_CLOSE_SECONDS ends by itself (0: never); an agent's chat is warned at
        # IDLE_WARN_SECONDS first. Checked every IDLE_SWEEP_SECONDS (livechat/idle.py). Off in
        # tests, which switch it on where they test it.
        self.IDLE_CLOSE_SECONDS = _int(
            "IDLE_CLOSE_SECONDS", 0 if self.ENV_NAME == "testing" else 1800
        )
        self.IDLE_WARN_SECONDS = _int("IDLE_WARN_SECONDS", 1500)
        self.IDLE_SWEEP_SECONDS = _float("IDLE_SWEEP_SECONDS", 15.0)
        # A chat waiting this long for a human with no agent message is announced to the agents
        # and the webhook (queue:sla_breached), once; 0 switches the check off.
        # Off in tests (like IDLE_CLOSE_SECONDS): the shared test app's watch would claim the
        # breaches the SLA tests stage; they switch it on where they test it.
        self.SLA_FIRST_RESPONSE_SECONDS = _float(
            "SLA_FIRST_RESPONSE_SECONDS", 0.0 if self.ENV_NAME == "testing" else 120.0
        )
        # manual: agents take chats ("Assign to me"). auto: each waiting chat goes, in queue
        # order, to the available agent with the fewest open chats below AGENT_CAPACITY
        # (livechat/routing.py). An agent whose last socket closed is offline after
        # AGENT_OFFLINE_GRACE_SECONDS, and their open chats go back to the queue.
        self.ROUTING = (env.get("ROUTING") or "manual").strip().lower()
        self.AGENT_CAPACITY = _int("AGENT_CAPACITY", 3)
        self.AGENT_OFFLINE_GRACE_SECONDS = _float("AGENT_OFFLINE_GRACE_SECONDS", 60.0)
        # How often each process looks for agents holding chats with no socket anywhere past
        # the grace (their process died within it; livechat/routing.py); 0 switches it off.
        # Off in tests (like SLA_FIRST_RESPONSE_SECONDS): the shared test app's sweep would
        # requeue the chats tests give to agents without sockets; they call it directly.
        self.AGENT_OFFLINE_SWEEP_SECONDS = _float(
            "AGENT_OFFLINE_SWEEP_SECONDS",
            0.0
            if self.ENV_NAME == "testing"
            else min(max(self.AGENT_OFFLINE_GRACE_SECONDS, 1.0), 30.0),
        )
        # How often each process ends sockets whose token expired, whose customer was erased or
        # whose staff member was removed (livechat/realtime/sweeper.py); 0 switches it off.
        self.TOKEN_SWEEP_SECONDS = _float("TOKEN_SWEEP_SECONDS", 15.0)
        self.SUPPORT_WEBHOOK_URL: str | None = env.get("SUPPORT_WEBHOOK_URL") or None
        self.SUPPORT_WEBHOOK_SECRET: str | None = env.get("SUPPORT_WEBHOOK_SECRET") or None
        self.SOCKETIO_PATH = env.get("SOCKETIO_PATH") or "/socket.io/chat"
        # Rate limits, "N/period" ("30/10seconds", "20/minute"; empty disables one): a burst of N,
        # then one more every period/N (livechat/ratelimit.py).
        self.RATE_LIMITS_ENABLED = _bool("RATE_LIMITS_ENABLED", True)
        self.RATE_LIMIT_MESSAGES = env.get("RATE_LIMIT_MESSAGES", "30/10seconds")
        self.RATE_LIMIT_TYPING = env.get("RATE_LIMIT_TYPING", "60/10seconds")
        self.RATE_LIMIT_SESSIONS = env.get("RATE_LIMIT_SESSIONS", "20/minute")
        self.RATE_LIMIT_REST = env.get("RATE_LIMIT_REST", "600/minute")
        # With Redis: a process may count a key's next hits ahead, to spend them from memory
        # within this many seconds (livechat/ratelimit.py); 0 asks Redis on every hit.
        self.RATE_LIMIT_LOOKAHEAD = _float("RATE_LIMIT_LOOKAHEAD", 2.0)
        # Per client address: off by default (behind a proxy every client shares its address).
        self.RATE_LIMIT_CONNECT = env.get("RATE_LIMIT_CONNECT", "")
        # Redis pub/sub channel and key prefix, so deployments (or test runs) sharing one Redis
        # stay apart.
        self.REDIS_CHANNEL = env.get("REDIS_CHANNEL") or "livechat"
        # Connections per Redis client and process (the relay, rate limits, presence, agent
        # statuses each have one pool); past them a greenlet waits up to REDIS_POOL_TIMEOUT s
        # for a free one (livechat/redisconn.py).
        self.REDIS_MAX_CONNECTIONS = _int("REDIS_MAX_CONNECTIONS", 50)
        self.REDIS_POOL_TIMEOUT = _float("REDIS_POOL_TIMEOUT", 5.0)
        self.TYPING_TIMEOUT = _float("TYPING_TIMEOUT", 5.0)
        self.MAX_CONTENT_LENGTH = _int("MAX_BODY_BYTES", 64 * 1024)
        # Proxies in front of the app whose X-Forwarded-For/-Proto to trust (nginx: 1). 0 trusts
        # none: behind a proxy every client then has the proxy's address.
        self.TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", 0)
        # Largest Socket.IO packet: a bigger one closes that client's connection (engine.io).
        # Far above any valid event (a message is at most ~60 KB of JSON), so an over-long
        # message reaches validation and gets an ack (message_too_long); the socket stays.
        self.MAX_SOCKET_MESSAGE_BYTES = _int("MAX_SOCKET_MESSAGE_BYTES", 1024 * 1024)
        self.DEV_TOKEN_TTL = _int("DEV_TOKEN_TTL", 3600)
        self.AUTO_MIGRATE = _bool("AUTO_MIGRATE", self.ENV_NAME == "development")
        self.LOG_LEVEL = (env.get("LOG_LEVEL") or "INFO").upper()
        # json: one object per line with request/socket/chat ids (for a log pipeline); text: for
        # people. Never tokens or message bodies either way.
        self.LOG_FORMAT = (env.get("LOG_FORMAT") or self.default_log_format()).lower()
        self.JSON_SORT_KEYS = False

    def default_embedded_postgres_dir(self) -> str | None:
        return None

    def default_auth_mode(self) -> str:
        return "dev"

    def default_log_format(self) -> str:
        return "text"

    @staticmethod
    def engine_options() -> dict:
        """A fixed-size pool: overflow connections are reopened on every checkout under load."""
        return {
            # Shown in pg_stat_activity; `flask livechat assistant` adds "-assistant".
            "connect_args": {
                "application_name": os.environ.get("DB_APPLICATION_NAME", "").strip() or "livechat"
            },
            "pool_size": _int("DB_POOL_SIZE", 10),
            "max_overflow": 0,
            # No pre-ping (a round trip per checkout on the hot path): a dropped connection fails
            # one statement, SQLAlchemy then invalidates the pool, and connections are recycled.
            "pool_recycle": 1800,
            # A burst of connects (a reconnect storm) queues for a connection rather than being
            # refused: at 10 s, 183 of 1,000 reconnecting clients got `unavailable`
            # (bench/run scale).
            "pool_timeout": _float("DB_POOL_TIMEOUT", 30.0),
        }

    def validate(self) -> None:
        """Raise ConfigError when the settings cannot run; production is stricter."""
        self._check_database_url()
        if self.AUTH_MODE not in {"dev", "firebase"}:
            raise ConfigError(f"AUTH_MODE must be 'dev' or 'firebase', got {self.AUTH_MODE!r}")
        if self.AUTH_MODE == "dev" and not self.SECRET_KEY:
            raise ConfigError("AUTH_MODE=dev signs tokens with SECRET_KEY: set SECRET_KEY")
        if self.AUTH_MODE == "firebase" and not self.FIREBASE_PROJECT_ID:
            raise ConfigError("AUTH_MODE=firebase needs FIREBASE_PROJECT_ID")
        self._check_firebase_web()
        if self.AI_PROVIDER not in {"openai", "offline"}:
            raise ConfigError(
                f"AI_PROVIDER must be 'openai' or 'offline', got {self.AI_PROVIDER!r}"
            )
        if self.AI_MAX_CONCURRENCY < 1:
            raise ConfigError("AI_MAX_CONCURRENCY must be at least 1")
        if self.AI_WORKER not in {"inline", "external"}:
            raise ConfigError(f"AI_WORKER must be 'inline' or 'external', got {self.AI_WORKER!r}")
        if self.AI_WORKER == "external" and not self.REDIS_URL:
            raise ConfigError("AI_WORKER=external hands turns over through Redis: set REDIS_URL")
        if not 0 <= self.AI_DELTA_INTERVAL <= 1:
            raise ConfigError("AI_DELTA_INTERVAL must be between 0 and 1 second")
        if not 0 <= self.AI_RELAY_INTERVAL <= 0.5:
            raise ConfigError("AI_RELAY_INTERVAL must be between 0 and 0.5 second")
        if not 0 <= self.RATE_LIMIT_LOOKAHEAD <= 10:
            raise ConfigError("RATE_LIMIT_LOOKAHEAD must be between 0 and 10 seconds")
        if not 0 <= self.RELAY_REORDER_WAIT <= 1:
            raise ConfigError("RELAY_REORDER_WAIT must be between 0 and 1 second")
        if self.AI_RESUME_INTERVAL <= 0:
            raise ConfigError("AI_RESUME_INTERVAL must be positive")
        self._check_idle()
        if not 0 <= self.TRUSTED_PROXY_HOPS <= 5:
            raise ConfigError("TRUSTED_PROXY_HOPS must be 0 (no proxy) to 5")
        if not 0 <= self.QUEUE_UPDATE_INTERVAL_SECONDS <= 2:
            raise ConfigError("QUEUE_UPDATE_INTERVAL_SECONDS must be between 0 and 2 seconds")
        if not 0 <= self.SLA_FIRST_RESPONSE_SECONDS < float("inf"):
            raise ConfigError("SLA_FIRST_RESPONSE_SECONDS must be a number of seconds, 0 or more")
        if self.REDIS_MAX_CONNECTIONS < 1:
            raise ConfigError("REDIS_MAX_CONNECTIONS must be at least 1")
        if not 0 < self.REDIS_POOL_TIMEOUT < float("inf"):
            raise ConfigError("REDIS_POOL_TIMEOUT must be a positive number of seconds")
        if not 0 < _float("DB_POOL_TIMEOUT", 30.0) < float("inf"):
            raise ConfigError("DB_POOL_TIMEOUT must be a positive number of seconds")
        if not 0 <= self.TOKEN_SWEEP_SECONDS < float("inf"):
            raise ConfigError("TOKEN_SWEEP_SECONDS must be a number of seconds, 0 (off) or more")
        self._check_routing()
        if self.LOG_FORMAT not in ("json", "text"):
            raise ConfigError(f"LOG_FORMAT must be 'json' or 'text', got {self.LOG_FORMAT!r}")
        if self.SUPPORT_WEBHOOK_URL and not self.SUPPORT_WEBHOOK_SECRET:
            raise ConfigError(
                "SUPPORT_WEBHOOK_URL needs SUPPORT_WEBHOOK_SECRET to sign notifications"
            )
        if self.FIREBASE_CHECK_REVOKED and not (
            self.GOOGLE_APPLICATION_CREDENTIALS or self.FIREBASE_AUTH_EMULATOR_HOST
        ):
            raise ConfigError(
                "FIREBASE_CHECK_REVOKED needs a service account: set GOOGLE_APPLICATION_CREDENTIALS"
            )

    def _check_firebase_web(self) -> None:
        """FIREBASE_WEB_CONFIG: the web app's public config, for the same project the server
        verifies tokens of (a console signed in elsewhere would get every token refused)."""
        unknown = sorted(set(self.FIREBASE_SIGNIN_PROVIDERS) - set(SIGNIN_PROVIDERS))
        if unknown or not self.FIREBASE_SIGNIN_PROVIDERS:
            raise ConfigError(
                "FIREBASE_SIGNIN_PROVIDERS must be a comma-separated list of "
                f"{', '.join(SIGNIN_PROVIDERS)}, got {unknown or 'nothing'}"
            )
        raw = self._firebase_web_config_raw.strip()
        if not raw:
            return
        try:
            web = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(
                "FIREBASE_WEB_CONFIG must be the web app's config as JSON "
                '({"apiKey": ..., "authDomain": ..., "projectId": ...}); it is not valid JSON'
            ) from exc
        if not isinstance(web, dict):
            raise ConfigError("FIREBASE_WEB_CONFIG must be a JSON object")
        missing = [k for k in WEB_CONFIG_KEYS if not isinstance(web.get(k), str) or not web[k]]
        if missing:
            raise ConfigError(f"FIREBASE_WEB_CONFIG is missing {', '.join(missing)}")
        if self.FIREBASE_PROJECT_ID and web["projectId"] != self.FIREBASE_PROJECT_ID:
            raise ConfigError(
                f"FIREBASE_WEB_CONFIG is for project {web['projectId']!r} but FIREBASE_PROJECT_ID "
                f"is {self.FIREBASE_PROJECT_ID!r}: the server would refuse every console sign-in"
            )
        self.FIREBASE_WEB_CONFIG = web

    def _check_idle(self) -> None:
        if self.IDLE_CLOSE_SECONDS < 0:
            raise ConfigError("IDLE_CLOSE_SECONDS must be 0 (never close) or a positive number")
        if self.IDLE_CLOSE_SECONDS and not 0 < self.IDLE_WARN_SECONDS < self.IDLE_CLOSE_SECONDS:
            raise ConfigError(
                f"IDLE_WARN_SECONDS must be positive and less than IDLE_CLOSE_SECONDS "
                f"({self.IDLE_CLOSE_SECONDS}), got {self.IDLE_WARN_SECONDS}"
            )
        if not 0 < self.IDLE_SWEEP_SECONDS <= 3600:
            raise ConfigError("IDLE_SWEEP_SECONDS must be between 0 and 3600 seconds (exclusive 0)")

    def _check_routing(self) -> None:
        if self.ROUTING not in {"manual", "auto"}:
            raise ConfigError(f"ROUTING must be 'manual' or 'auto', got {self.ROUTING!r}")
        if not 1 <= self.AGENT_CAPACITY <= 100:
            raise ConfigError(
                f"AGENT_CAPACITY must be between 1 and 100, got {self.AGENT_CAPACITY}"
            )
        if not 0 <= self.AGENT_OFFLINE_GRACE_SECONDS <= 86400:
            raise ConfigError(
                "AGENT_OFFLINE_GRACE_SECONDS must be between 0 and 86400 seconds, got "
                f"{self.AGENT_OFFLINE_GRACE_SECONDS}"
            )
        if not 0 <= self.AGENT_OFFLINE_SWEEP_SECONDS <= 3600:
            raise ConfigError(
                "AGENT_OFFLINE_SWEEP_SECONDS must be between 0 and 3600 seconds, got "
                f"{self.AGENT_OFFLINE_SWEEP_SECONDS}"
            )

    def _check_database_url(self) -> None:
        """PostgreSQL through psycopg 3 only: the SQL, the migrations and gevent rely on it."""
        uri = self.SQLALCHEMY_DATABASE_URI
        if not uri and not self.EMBEDDED_POSTGRES_DIR:
            raise ConfigError("DATABASE_URL is not set")
        if not uri or uri.startswith("postgresql+psycopg://"):
            return
        scheme = uri.split(":", 1)[0]  # never the rest: it may hold a password
        if scheme.startswith("postgresql+"):
            raise ConfigError(
                f"livechat talks to PostgreSQL through psycopg 3: DATABASE_URL must start with "
                f"postgresql:// (or postgres://), not {scheme}://"
            )
        hint = (
            "unset DATABASE_URL to use the embedded one, or point it at a PostgreSQL server"
            if self.default_embedded_postgres_dir()
            else "point DATABASE_URL at a PostgreSQL server (postgresql://...)"
        )
        raise ConfigError(f"livechat needs PostgreSQL (DATABASE_URL is {scheme}:...); {hint}")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(Config):
    """Zero-setup local run: an embedded PostgreSQL under instance/ unless DATABASE_URL is set,
    dev tokens, a fixed dev secret."""

    ENV_NAME = "development"
    DEBUG = False

    def default_embedded_postgres_dir(self) -> str | None:
        return os.environ.get("EMBEDDED_POSTGRES_DIR") or str(BASE_DIR / "instance" / "postgres")

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            # Development only: a fixed key so dev tokens survive restarts (production: refused).
            self.SECRET_KEY = "dev-insecure-secret-key-change-me"


class TestingConfig(Config):
    """The test suite: PostgreSQL from DATABASE_URL (the fixtures set it), dev tokens."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            self.SECRET_KEY = "testing-secret-key"


class ProductionConfig(Config):
    """Production: refuses to start on insecure or throwaway settings."""

    ENV_NAME = "production"

    def default_auth_mode(self) -> str:
        return "firebase"

    def default_log_format(self) -> str:
        return "json"

    def validate(self) -> None:
        problems = []
        if self.AUTH_MODE == "dev":
            problems.append("AUTH_MODE=dev is for local use only; use AUTH_MODE=firebase")
        if not self.SECRET_KEY:
            problems.append("SECRET_KEY is not set")
        if not self.SQLALCHEMY_DATABASE_URI:
            problems.append("DATABASE_URL is not set")
        if self.FIREBASE_AUTH_EMULATOR_HOST:
            problems.append(
                "FIREBASE_AUTH_EMULATOR_HOST is set: the emulator skips token signature and "
                "expiry checks"
            )
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))
        super().validate()


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build and validate the config named by ``name`` or ``LIVECHAT_ENV`` (default development)."""
    name = (name or os.environ.get("LIVECHAT_ENV") or "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigError(f"LIVECHAT_ENV must be one of {sorted(CONFIGS)}, got {name!r}")
    config = CONFIGS[name]()
    config.validate()
    return config
