"""livechat: live customer-support chat (Flask, Flask-SocketIO on gevent, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from config import Config, load_config


class LivechatFlask(Flask):
    def create_url_adapter(self, request: Any) -> Any:
        """Socket.IO events run in a request context made from their handshake's environ; they
        route nothing, so they skip URL matching (a fifth of the context's cost per event)."""
        if request is not None and request.environ.get("PATH_INFO", "").startswith(
            self.config["SOCKETIO_PATH"]
        ):
            return None
        return super().create_url_adapter(request)


def create_app(config_name_or_object: str | Config | dict[str, Any] | None = None) -> Flask:
    """Build the app. Accepts an env name, a Config instance, or a dict of overrides."""
    from livechat import cli, cors, errorhandlers, logs, runtime, security
    from livechat.ai.setup import init_ai
    from livechat.api import register_blueprints
    from livechat.auth import build_verifier
    from livechat.directory import build_directory
    from livechat.events import EventBus
    from livechat.events.bus import install as install_bus
    from livechat.extensions import db, migrate
    from livechat.idle import init_idle
    from livechat.listeners import assistant as assistant_listeners
    from livechat.metrics import init_metrics
    from livechat.ratelimit import init_rate_limits
    from livechat.realtime import init_realtime
    from livechat.webhooks import init_webhooks
    from livechat.writer import init_writer

    if isinstance(config_name_or_object, Config):
        config = config_name_or_object
        config.validate()
        overrides: dict[str, Any] = {}
    elif isinstance(config_name_or_object, dict):
        overrides = dict(config_name_or_object)
        config = load_config(overrides.pop("LIVECHAT_ENV", None))
    else:
        config = load_config(config_name_or_object)
        overrides = {}

    app = LivechatFlask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.as_dict())
    app.config.update(overrides)
    app.config["LIVECHAT_ENV"] = config.ENV_NAME
    logs.configure(app)

    if not app.config["SQLALCHEMY_DATABASE_URI"] and app.config.get("EMBEDDED_POSTGRES_DIR"):
        from pathlib import Path

        from livechat import embedded_db

        app.config["SQLALCHEMY_DATABASE_URI"] = embedded_db.start(
            Path(app.config["EMBEDDED_POSTGRES_DIR"])
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    install_bus()
    runtime.bus.set(app, EventBus())
    runtime.verifier.set(app, build_verifier(app))
    runtime.directory.set(app, build_directory(app))
    init_metrics(app)
    init_writer(app)
    init_rate_limits(app)
    init_realtime(app)
    init_ai(app)
    assistant_listeners.register(runtime.bus(app))
    init_webhooks(app)
    init_idle(app)

    errorhandlers.register(app)
    cors.register(app)
    security.register(app)
    register_blueprints(app)
    cli.register(app)
    if app.config["TRUSTED_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Outermost (around Flask-SocketIO's middleware too): REST, engine.io and socket events
        # all see the client's address and scheme, not the proxy's.
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def shutdown_app(app: Flask, timeout: float = 5) -> None:
    """Stop the app's background greenlets (AI turns, queue and typing timers, webhooks,
    sweepers, then the message writer, which stores what is queued), send what the relay has
    still to publish, and close its database connections: graceful shutdown, and clean
    teardown in tests."""
    from livechat import runtime
    from livechat.extensions import db

    for worker in (
        runtime.orchestrator.find(app),
        runtime.queue_broadcaster.find(app),
        runtime.agent_router.find(app),
        runtime.typing_tracker.find(app),
        runtime.webhook_sender.find(app),
        runtime.token_sweeper.find(app),
        runtime.idle_sweeper.find(app),
        runtime.sla_watch.find(app),
        runtime.writer.find(app),
    ):
        if worker is not None:
            worker.shutdown()
    # Last: what the stopped workers emitted is on its way to the other processes.
    socketio = app.extensions.get("socketio")
    flush = getattr(socketio.server.manager, "flush", None) if socketio is not None else None
    if flush is not None:
        flush()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
