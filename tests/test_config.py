"""Configuration from the environment; production refuses unsafe settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent
PROD_OK = {
    "LIVECHAT_ENV": "production",
    "SECRET_KEY": "s3cret",
    "DATABASE_URL": "postgres://u:p@db.example.com:5432/app",
    "AUTH_MODE": "firebase",
    "FIREBASE_PROJECT_ID": "demo-prod",
}


def test_heroku_style_urls_use_psycopg3() -> None:
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DATABASE_URL", "AUTH_MODE", "SECRET_KEY", "OPENAI_MODEL", "EMBEDDED_POSTGRES_DIR"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config("development")
    # No DATABASE_URL: create_app() starts the embedded PostgreSQL under instance/.
    assert cfg.SQLALCHEMY_DATABASE_URI == ""
    assert cfg.EMBEDDED_POSTGRES_DIR == str(ROOT / "instance" / "postgres")
    assert cfg.AUTH_MODE == "dev"
    assert cfg.OPENAI_MODEL == "gpt-4o-mini"
    assert cfg.SOCKETIO_PATH == "/socket.io/chat"


def test_production_accepts_safe_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in PROD_OK.items():
        monkeypatch.setenv(k, v)
    cfg = load_config()
    assert cfg.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")
    assert cfg.SQLALCHEMY_ENGINE_OPTIONS["max_overflow"] == 0
    assert cfg.LOG_FORMAT == "json"  # a log pipeline's format unless asked otherwise


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"AUTH_MODE": "dev"}, "AUTH_MODE=dev"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:///prod.db"}, "needs PostgreSQL"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "FIREBASE_AUTH_EMULATOR_HOST"),
    ],
)
def test_production_refuses_unsafe_settings(
    monkeypatch: pytest.MonkeyPatch, override: dict[str, str], needle: str
) -> None:
    for k, v in {**PROD_OK, **override}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=needle):
        load_config()


def test_development_embeds_postgres_only_without_database_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EMBEDDED_POSTGRES_DIR", str(tmp_path / "pg"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_config("development").EMBEDDED_POSTGRES_DIR == str(tmp_path / "pg")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/app")
    cfg = load_config("development")
    assert cfg.EMBEDDED_POSTGRES_DIR is None
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db.internal/app"


def test_testing_never_embeds_and_needs_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("EMBEDDED_POSTGRES_DIR", "/nowhere")
    with pytest.raises(ConfigError, match="DATABASE_URL is not set"):
        load_config("testing")


@pytest.mark.parametrize("env", ["development", "testing", "production"])
@pytest.mark.parametrize(
    "url", ["sqlite:///instance/livechat.db", "sqlite://", "mysql://u:hunter2@db/app"]
)
def test_other_databases_are_refused_with_a_way_out(
    monkeypatch: pytest.MonkeyPatch, env: str, url: str
) -> None:
    for k, v in {**PROD_OK, "LIVECHAT_ENV": env, "DATABASE_URL": url}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match="livechat needs PostgreSQL") as refused:
        load_config()
    message = str(refused.value)
    assert "hunter2" not in message  # the URL's password is never repeated
    if env == "development":
        assert "unset DATABASE_URL to use the embedded one" in message
    else:
        assert "embedded" not in message  # only development embeds a server


def test_postgresql_through_another_driver_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u@db/app")
    with pytest.raises(ConfigError, match=r"psycopg 3.*not postgresql\+psycopg2://"):
        load_config("development")


def test_loading_the_config_starts_no_database() -> None:
    """Only create_app() starts the embedded server: importing and loading config do not."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    code = (
        "import sys, config; cfg = config.load_config('development');"
        "print(cfg.EMBEDDED_POSTGRES_DIR is not None, 'embedded_postgres' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.split() == ["True", "False"], proc.stderr


def test_a_sqlite_url_stops_the_server_with_a_clear_message() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"LIVECHAT_ENV"}}
    env["DATABASE_URL"] = "sqlite:///instance/livechat.db"
    proc = subprocess.run(
        [sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("livechat: configuration error: livechat needs PostgreSQL")
    assert "Traceback" not in proc.stderr


def test_bad_values_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_MODE", "magic")
    with pytest.raises(ConfigError, match="AUTH_MODE"):
        load_config("development")
    monkeypatch.setenv("AUTH_MODE", "dev")
    with pytest.raises(ConfigError, match="LIVECHAT_ENV"):
        load_config("staging")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config("development")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("DB_POOL_SIZE", "many")
    with pytest.raises(ConfigError, match="DB_POOL_SIZE"):
        load_config("production")


def test_production_server_exits_with_a_clear_message() -> None:
    env = {**os.environ, **PROD_OK, "AUTH_MODE": "dev"}
    proc = subprocess.run(
        [sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert "refusing to start in production" in proc.stderr
    assert "AUTH_MODE=dev" in proc.stderr


@pytest.mark.parametrize("redis", [None, "redis://127.0.0.1:6379/0"])
def test_several_gunicorn_workers_refuse_to_start(redis: str | None) -> None:
    """Issue 21: two workers sharing one port break every client that starts on polling (no
    sticky routing between them), with or without Redis: refused, pointing at the N-process +
    nginx layout. Heroku-style hosts set WEB_CONCURRENCY themselves, so the message says how."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEB_CONCURRENCY")}
    env.update(
        WEB_CONCURRENCY="2", LIVECHAT_ENV="testing", **({"REDIS_URL": redis} if redis else {})
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.run(
        [str(gunicorn), "-c", "gunicorn.conf.py", "--check-config", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "WEB_CONCURRENCY=2" in out and "one gunicorn worker per process" in out
    assert "deploy/nginx.conf" in out and "WEB_CONCURRENCY=1" in out


def test_workers_on_the_gunicorn_command_line_are_refused_too() -> None:
    """``-w 3`` overrides the config file's ``workers``: refused at start, before any worker."""
    from tests.support.server import free_port

    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    env.update(LIVECHAT_ENV="testing", PORT=str(free_port()))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.run(
        [str(gunicorn), "-c", "gunicorn.conf.py", "-w", "3", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "3 workers requested" in proc.stdout + proc.stderr


def test_assistant_worker_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("AI_WORKER", "elsewhere")
    with pytest.raises(ConfigError, match="AI_WORKER must be"):
        load_config("development")
    monkeypatch.setenv("AI_WORKER", "external")
    with pytest.raises(ConfigError, match=r"AI_WORKER=external .* REDIS_URL"):
        load_config("development")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_config("development").AI_WORKER == "external"
    monkeypatch.setenv("AI_RESUME_INTERVAL", "0")
    with pytest.raises(ConfigError, match="AI_RESUME_INTERVAL"):
        load_config("development")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AI_DELTA_INTERVAL", "-0.1"),
        ("AI_DELTA_INTERVAL", "2"),
        ("AI_DELTA_INTERVAL", "soon"),
        ("AI_RELAY_INTERVAL", "-0.01"),
        ("AI_RELAY_INTERVAL", "0.6"),
        ("AI_RELAY_INTERVAL", "later"),
        ("RELAY_REORDER_WAIT", "-0.1"),
        ("RELAY_REORDER_WAIT", "1.5"),
        ("RELAY_REORDER_WAIT", "briefly"),
        ("RATE_LIMIT_LOOKAHEAD", "-1"),
        ("RATE_LIMIT_LOOKAHEAD", "11"),
        ("RATE_LIMIT_LOOKAHEAD", "ahead"),
        ("QUEUE_UPDATE_INTERVAL_SECONDS", "-0.25"),
        ("QUEUE_UPDATE_INTERVAL_SECONDS", "3"),
        ("QUEUE_UPDATE_INTERVAL_SECONDS", "often"),
    ],
)
def test_ai_event_intervals_are_checked(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config("development")
    monkeypatch.setenv(name, "0")  # 0 = one event (one Redis message) each
    assert getattr(load_config("development"), name) == 0


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "livechat"), ("  ", "livechat"), ("acme-chat", "acme-chat")]
)
def test_database_connections_carry_an_application_name(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/livechat")
    if value is None:
        monkeypatch.delenv("DB_APPLICATION_NAME", raising=False)
    else:
        monkeypatch.setenv("DB_APPLICATION_NAME", value)
    options = load_config("development").SQLALCHEMY_ENGINE_OPTIONS
    assert options["connect_args"] == {"application_name": expected}


def test_idle_close_defaults_and_is_off_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in PROD_OK.items():
        monkeypatch.setenv(k, v)
    cfg = load_config("production")
    assert (cfg.IDLE_CLOSE_SECONDS, cfg.IDLE_WARN_SECONDS) == (1800, 1500)
    assert load_config("testing").IDLE_CLOSE_SECONDS == 0
    monkeypatch.setenv("IDLE_CLOSE_SECONDS", "0")
    monkeypatch.setenv("IDLE_WARN_SECONDS", "5000")  # no close, so no warning to order
    assert load_config("production").IDLE_CLOSE_SECONDS == 0


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"IDLE_CLOSE_SECONDS": "soon"}, "IDLE_CLOSE_SECONDS must be an integer"),
        ({"IDLE_CLOSE_SECONDS": "-5"}, "IDLE_CLOSE_SECONDS must be 0"),
        ({"IDLE_CLOSE_SECONDS": "60", "IDLE_WARN_SECONDS": "60"}, "less than IDLE_CLOSE"),
        ({"IDLE_CLOSE_SECONDS": "60", "IDLE_WARN_SECONDS": "0"}, "IDLE_WARN_SECONDS must be"),
        ({"IDLE_WARN_SECONDS": "1.5"}, "IDLE_WARN_SECONDS must be an integer"),
        ({"IDLE_SWEEP_SECONDS": "0"}, "IDLE_SWEEP_SECONDS"),
        ({"IDLE_SWEEP_SECONDS": "often"}, "IDLE_SWEEP_SECONDS must be a number"),
    ],
)
def test_bad_idle_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], needle: str
) -> None:
    for k, v in {**PROD_OK, **settings}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=needle):
        load_config("production")


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf", "2 minutes"])
def test_a_bad_first_response_sla_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SLA_FIRST_RESPONSE_SECONDS", value)
    with pytest.raises(ConfigError, match="SLA_FIRST_RESPONSE_SECONDS"):
        load_config("development")


def test_the_first_response_sla_defaults_to_two_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLA_FIRST_RESPONSE_SECONDS", raising=False)
    assert load_config("development").SLA_FIRST_RESPONSE_SECONDS == 120
    monkeypatch.setenv("SLA_FIRST_RESPONSE_SECONDS", "0")  # off
    assert load_config("development").SLA_FIRST_RESPONSE_SECONDS == 0


def test_routing_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in PROD_OK.items():
        monkeypatch.setenv(k, v)
    cfg = load_config("production")
    assert (cfg.ROUTING, cfg.AGENT_CAPACITY, cfg.AGENT_OFFLINE_GRACE_SECONDS) == ("manual", 3, 60)
    assert cfg.AGENT_OFFLINE_SWEEP_SECONDS == 30  # the grace, at most 30
    monkeypatch.setenv("ROUTING", " Auto ")
    assert load_config("production").ROUTING == "auto"
    monkeypatch.setenv("AGENT_OFFLINE_GRACE_SECONDS", "0")
    assert load_config("production").AGENT_OFFLINE_SWEEP_SECONDS == 1  # at least 1
    assert load_config("testing").AGENT_OFFLINE_SWEEP_SECONDS == 0


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"ROUTING": "round-robin"}, "ROUTING must be 'manual' or 'auto'"),
        ({"AGENT_CAPACITY": "0"}, "AGENT_CAPACITY must be between 1 and 100"),
        ({"AGENT_CAPACITY": "many"}, "AGENT_CAPACITY must be an integer"),
        ({"AGENT_OFFLINE_GRACE_SECONDS": "-1"}, "AGENT_OFFLINE_GRACE_SECONDS must be between"),
        ({"AGENT_OFFLINE_GRACE_SECONDS": "later"}, "AGENT_OFFLINE_GRACE_SECONDS must be a number"),
        ({"AGENT_OFFLINE_SWEEP_SECONDS": "-1"}, "AGENT_OFFLINE_SWEEP_SECONDS must be between"),
    ],
)
def test_bad_routing_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], needle: str
) -> None:
    for k, v in {**PROD_OK, **settings}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=needle):
        load_config("production")


@pytest.mark.parametrize("value", ["maybe", "ture", "enabled", "2"])
def test_a_switch_that_is_neither_true_nor_false_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("RATE_LIMITS_ENABLED", value)
    with pytest.raises(ConfigError, match="RATE_LIMITS_ENABLED must be true or false"):
        load_config("development")


@pytest.mark.parametrize(("value", "expected"), [(" Yes ", True), ("OFF", False), ("0", False)])
def test_switches_read_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("RATE_LIMITS_ENABLED", value)
    assert load_config("development").RATE_LIMITS_ENABLED is expected


@pytest.mark.parametrize("value", ["-1", "6", "one"])
def test_trusted_proxy_hops_are_checked(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        load_config("development")
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")  # behind the shipped nginx
    assert load_config("development").TRUSTED_PROXY_HOPS == 1


WEB_CONFIG = json.dumps(
    {"apiKey": "AIza-test", "authDomain": "demo-prod.firebaseapp.com", "projectId": "demo-prod"}
)


def test_the_consoles_firebase_web_config_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**PROD_OK, "FIREBASE_WEB_CONFIG": WEB_CONFIG}.items():
        monkeypatch.setenv(k, v)
    cfg = load_config()
    assert cfg.FIREBASE_WEB_CONFIG == {
        "apiKey": "AIza-test",
        "authDomain": "demo-prod.firebaseapp.com",
        "projectId": "demo-prod",
    }
    assert cfg.FIREBASE_SIGNIN_PROVIDERS == ["password"]  # Google only when asked for
    monkeypatch.setenv("FIREBASE_SIGNIN_PROVIDERS", " Password, google ")
    assert load_config().FIREBASE_SIGNIN_PROVIDERS == ["password", "google"]
    monkeypatch.delenv("FIREBASE_WEB_CONFIG")
    assert load_config().FIREBASE_WEB_CONFIG is None  # the console takes a pasted token


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"FIREBASE_WEB_CONFIG": "{apiKey: 1}"}, "not valid JSON"),
        ({"FIREBASE_WEB_CONFIG": '["demo-prod"]'}, "must be a JSON object"),
        ({"FIREBASE_WEB_CONFIG": '{"projectId": "demo-prod"}'}, "missing apiKey, authDomain"),
        (
            {"FIREBASE_WEB_CONFIG": WEB_CONFIG.replace('"AIza-test"', '""')},
            "missing apiKey$",
        ),
        (
            {"FIREBASE_WEB_CONFIG": WEB_CONFIG.replace('"demo-prod"', '"x"')},
            "project 'x' but FIREBASE_PROJECT_ID is 'demo-prod'",
        ),
        ({"FIREBASE_SIGNIN_PROVIDERS": "password,facebook"}, r"\['facebook'\]"),
        ({"FIREBASE_SIGNIN_PROVIDERS": " , "}, "got nothing"),
    ],
)
def test_a_broken_firebase_web_config_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, override: dict[str, str], needle: str
) -> None:
    for k, v in {**PROD_OK, "FIREBASE_WEB_CONFIG": WEB_CONFIG, **override}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=needle):
        load_config()


@pytest.mark.parametrize("value", ["-1", "often", "nan", "inf", "15s"])
def test_a_bad_token_sweep_interval_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TOKEN_SWEEP_SECONDS", value)
    with pytest.raises(ConfigError, match="TOKEN_SWEEP_SECONDS"):
        load_config("development").validate()


def test_the_token_sweep_interval_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_config("development").TOKEN_SWEEP_SECONDS == 15.0
    monkeypatch.setenv("TOKEN_SWEEP_SECONDS", "0")
    config = load_config("development")
    config.validate()
    assert config.TOKEN_SWEEP_SECONDS == 0.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_MAX_CONNECTIONS", "0"),
        ("REDIS_MAX_CONNECTIONS", "many"),
        ("REDIS_POOL_TIMEOUT", "0"),
        ("REDIS_POOL_TIMEOUT", "-1"),
        ("REDIS_POOL_TIMEOUT", "inf"),
        ("REDIS_POOL_TIMEOUT", "soon"),
    ],
)
def test_bad_redis_pool_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config("development").validate()


@pytest.mark.parametrize("value", ["0", "-5", "inf", "half a minute"])
def test_a_bad_database_pool_timeout_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DB_POOL_TIMEOUT", value)
    with pytest.raises(ConfigError, match="DB_POOL_TIMEOUT"):
        load_config("development").validate()


def test_the_database_pool_waits_30_seconds_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_config("development").engine_options()["pool_timeout"] == 30.0
    monkeypatch.setenv("DB_POOL_TIMEOUT", "12.5")
    assert load_config("development").engine_options()["pool_timeout"] == 12.5
