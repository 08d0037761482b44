"""Shared fixtures: real PostgreSQL (a database per run, built by the migrations) and Redis."""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import secrets  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from tests.support import leaks, services  # noqa: E402

# Every test runs against its own configuration, never the developer's environment.
for _var in (
    "DATABASE_URL",
    "EMBEDDED_POSTGRES_DIR",
    "REDIS_URL",
    "AUTH_MODE",
    "SECRET_KEY",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "CORS_ORIGINS",
    "LIVECHAT_ENV",
):
    os.environ.pop(_var, None)


def pytest_configure(config: pytest.Config) -> None:
    services.ensure_running()
    # The assistant's intent model is built from the shipped data (make test builds it first; a
    # bare pytest builds it here, once, then finds it cached). A failed build stops the run.
    from livechat.ai import intents

    intents.build(log_to=lambda message: print(f"[intents] {message}"))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped at the end."""
    url = services.create_database(f"livechat_test_{secrets.token_hex(4)}")
    yield url
    services.drop_database(url)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database number of our own for this run."""
    return services.redis_url()


@pytest.fixture(scope="session")
def firebase_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real Firebase Auth emulator for this run (started on first use; fails loudly when
    firebase-tools is not installed: `make test` installs it)."""
    from tests.support.firebase_emulator import AuthEmulator

    log = tmp_path_factory.mktemp("firebase") / "emulator.log"
    try:
        emulator = AuthEmulator(log)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield emulator
    emulator.stop()


@pytest.fixture()
def firebase_auth(firebase_emulator: Any) -> Any:
    """The emulator with no accounts in it."""
    firebase_emulator.reset()
    return firebase_emulator


@pytest.fixture(scope="session")
def app(pg_url: str) -> Iterator[Any]:
    """The app in testing mode on PostgreSQL, its schema built by running the migrations."""
    from flask_migrate import upgrade

    from livechat import create_app

    os.environ["DATABASE_URL"] = pg_url
    os.environ["SECRET_KEY"] = "test-" + secrets.token_hex(16)
    try:
        application = create_app("testing")
    finally:
        os.environ.pop("DATABASE_URL")
    with application.app_context():
        upgrade()
    yield leaks.enduring(application)
    from livechat import shutdown_app

    shutdown_app(application)


# Long enough for what a finished test leaves winding down (a queue refresh, a client's
# reader seeing its socket close); a loop that never ends costs this wait once.
LEAK_GRACE_SECONDS = 2.0


@pytest.fixture(autouse=True)
def _no_greenlet_leaks() -> Iterator[None]:
    """A greenlet a test started must be gone shortly after it (tests/support/leaks.py): one
    left running writes into the next test's tables or sockets, and hides a missing cleanup."""
    with leaks.no_leaks(grace=LEAK_GRACE_SECONDS):
        yield


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts from empty tables (TRUNCATE works across every connection the app opens)."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        from livechat.extensions import db

        with app.app_context():
            db.session.remove()
            services.truncate_all(db)


@pytest.fixture()
def ctx(app: Any) -> Iterator[Any]:
    """An application context for calling services directly."""
    from livechat.extensions import db

    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture()
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture()
def token(app: Any) -> Callable[..., str]:
    """token(uid, role="user", **claims) -> a dev-mode token for the test app."""
    from livechat import runtime

    verifier = runtime.verifier(app)

    def issue(uid: str, role: str = "user", **kwargs: Any) -> str:
        return verifier.issue(uid, role=role, **kwargs)

    return issue


@pytest.fixture()
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """auth(uid, role="user") -> Authorization headers."""

    def headers(uid: str, role: str = "user", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(uid, role, **kwargs)}"}

    return headers


@pytest.fixture()
def make_user(ctx: Any) -> Callable[..., Any]:
    """make_user(uid, role="user") -> User, created through the same path as a first request."""
    from livechat.models import Role
    from livechat.services.users import Identity, sync_user

    def make(uid: str, role: str = "user", name: str | None = None) -> Any:
        return sync_user(Identity(uid=uid, role=Role(role), name=name or uid.title()))

    return make
