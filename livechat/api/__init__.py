"""REST blueprints: parse, call one service, dump."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from livechat import web
    from livechat.api import (
        admin,
        canned,
        chat_support,
        chat_user,
        health,
        me,
        openapi,
        privacy,
        search,
        team,
        tickets,
    )

    for module in (
        chat_user,
        chat_support,
        tickets,
        canned,
        me,
        admin,
        team,
        privacy,
        search,
        health,
        openapi,
        web,
    ):
        app.register_blueprint(module.bp)
