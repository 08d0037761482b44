"""View decorators: authentication, input loading and output dumping, recorded for OpenAPI.

A view decorated here does four things only: read input, call one service, dump, return.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import g, request
from marshmallow import Schema
from werkzeug.exceptions import RequestEntityTooLarge

from livechat import ratelimit
from livechat.auth import authenticate, bearer_token
from livechat.errors import DomainError, Forbidden, InvalidInput, NotFound
from livechat.models import Role
from livechat.schemas.base import MessageContent, has_unstorable_text, message_too_long

View = Callable[..., Any]


def _doc(view: View) -> dict[str, Any]:
    if "_apidoc" not in view.__dict__:
        view._apidoc = {"responses": {}, "roles": None}  # type: ignore[attr-defined]
    return view._apidoc  # type: ignore[attr-defined]


def authenticated(*roles: Role) -> Callable[[View], View]:
    """Require a verified bearer token; with ``roles``, the caller must hold one of them."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = authenticate(bearer_token(request.headers.get("Authorization")))
            ratelimit.check("rest", user.id)
            if roles and user.role not in roles:
                raise Forbidden("Your role may not use this endpoint.")
            _check_path_ids(kwargs)
            g.actor = user
            return view(*args, **kwargs)

        _doc(wrapper)["roles"] = [r.value for r in roles] or ["user", "agent", "admin"]
        return wrapper

    return decorator


_NOT_FOUND_CODES = {
    "session_id": "session_not_found",
    "ticket_id": "ticket_not_found",
    "uid": "user_not_found",
    "canned_id": "canned_response_not_found",
    "agent_id": "agent_not_found",
}


def _check_path_ids(path: dict[str, Any]) -> None:
    """An id with a NUL in it names nothing (the database cannot even be asked about it)."""
    for name, value in path.items():
        if isinstance(value, str) and has_unstorable_text(value):
            raise NotFound("Not found.", code=_NOT_FOUND_CODES.get(name, "not_found"))


def _json_body() -> dict[str, Any]:
    raw = request.get_data(cache=True)  # 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: nested deeper than the parser goes (a few hundred KB of "[").
        raise DomainError("The request body is not valid JSON.", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise InvalidInput(
            "The request body must be a JSON object.",
            details={"_schema": ["Must be a JSON object."]},
        )
    return data


def body(schema: Schema) -> Callable[[View], View]:
    """Load and validate the JSON body with ``schema``; the view gets it as ``body=``."""

    # A valid message is far below MAX_BODY_BYTES (4000 characters, 8 KiB of metadata): a body
    # too large to read where a message is expected is a message over the limit, and is told so.
    takes_message = any(isinstance(f, MessageContent) for f in schema.fields.values())

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                data = _json_body()
            except RequestEntityTooLarge:
                if takes_message:
                    raise message_too_long() from None
                raise
            return view(*args, body=schema.load(data), **kwargs)

        _doc(wrapper)["body"] = schema
        return wrapper

    return decorator


def query(schema: Schema) -> Callable[[View], View]:
    """Load and validate the query string with ``schema``; the view gets it as ``query=``."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, query=schema.load(request.args.to_dict()), **kwargs)

        _doc(wrapper)["query"] = schema
        return wrapper

    return decorator


def response(
    schema: Schema | None,
    status: int = 200,
    description: str = "",
    *,
    alt: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
) -> Callable[[View], View]:
    """Dump the view's result with ``schema``; a view may return (result, status). Without a
    schema the answer has no body (204 No Content).

    ``errors`` documents refusals the generic rules in api/openapi.py cannot guess.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = view(*args, **kwargs)
            code = status
            if isinstance(result, tuple):
                result, code = result
            if schema is None:
                return "", code
            return schema.dump(result), code

        doc = _doc(wrapper)
        doc["responses"][status] = (schema, description)
        for code, text in (alt or {}).items():
            doc["responses"][code] = (schema, text)
        doc["errors"] = dict(errors or {})
        doc["summary"] = (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else ""
        return wrapper

    return decorator
