"""GET /api/openapi.json: the OpenAPI document, generated from the views' marshmallow schemas."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app

from livechat import runtime
from livechat.schemas.base import ErrorSchema

bp = Blueprint("openapi", __name__)

_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_spec(app: Flask) -> dict[str, Any]:
    """Walk the URL map; every view decorated in livechat.api.decorators becomes an operation."""
    spec = APISpec(
        title="livechat",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Live customer-support chat: REST API (sockets: docs/protocol.md)."},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    error_ref = {"$ref": "#/components/schemas/Error"}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = getattr(app.view_functions.get(rule.endpoint), "_apidoc", None)
        if doc is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAM.findall(rule.rule)
        ]
        errors = {
            401: "Missing or invalid token",
            429: "Rate limited (rate_limited; Retry-After says when to retry)",
            503: "Sign-in cannot be checked, or a dependency is briefly down: retry",
        }
        if doc["roles"] and "user" not in doc["roles"]:
            errors[403] = "Your role may not use this endpoint"
        if params:
            errors[403] = "Not yours"
            errors[404] = "Not found"
        if "body" in doc or "query" in doc:
            errors[422] = "Invalid input (field errors in details)"
        if "body" in doc:
            errors[400] = "Body is not valid JSON"
            errors[413] = "Body too large"
            errors[409] = "Conflict with the current state"
        errors.update(doc.get("errors", {}))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_"),
                "summary": doc.get("summary", ""),
                "security": [{"bearerAuth": []}],
                "parameters": list(params),
                "responses": {
                    str(code): {"description": text or "OK"}
                    | ({"content": {"application/json": {"schema": schema}}} if schema else {})
                    for code, (schema, text) in doc["responses"].items()
                },
            }
            if "query" in doc:
                operation["parameters"].append({"in": "query", "schema": doc["query"]})
            if "body" in doc:
                operation["requestBody"] = _request_body(doc["body"])
            for code, text in errors.items():
                operation["responses"].setdefault(
                    str(code),
                    {"description": text, "content": {"application/json": {"schema": error_ref}}},
                )
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _request_body(schema: Any) -> dict[str, Any]:
    """The body is required when a field is; a schema's ``Meta.json_schema`` adds what marshmallow
    validators express but apispec cannot see (e.g. ``minProperties``)."""
    extra = getattr(schema.Meta, "json_schema", None) or {}
    return {
        "required": any(f.required for f in schema.fields.values())
        or extra.get("minProperties", 0) > 0,
        "content": {
            "application/json": {"schema": {"allOf": [schema], **extra} if extra else schema}
        },
    }


@bp.get("/api/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3 document of the REST API."""
    cached = runtime.openapi_spec.find()
    if cached is None:
        cached = runtime.openapi_spec.set(current_app, build_spec(current_app))
    return cached
