"""Unbound Flask extensions, initialised by create_app().

Socket.IO is created per app by livechat.realtime (app.extensions["socketio"]): one server per
app keeps apps built side by side (tests, CLI) from sharing a Socket.IO server.
"""

from typing import TYPE_CHECKING, Any

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # The models' base is db.Model, built from Base at run time; mypy cannot subclass an
    # attribute (python/mypy#8603), so it checks the models against Base itself.
    Model = Base
else:
    Model = db.Model
migrate = Migrate()


def tag_connections(engine: Engine, suffix: str) -> None:
    """Add ``suffix`` to the application_name of this engine's PostgreSQL connections, so that
    pg_stat_activity tells this kind of process apart (e.g. "livechat-assistant"); the
    connections already open are closed and reopened with it on next use."""

    @event.listens_for(engine, "do_connect")
    def _name(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["application_name"] = f"{cparams.get('application_name') or 'livechat'}{suffix}"

    engine.dispose()
