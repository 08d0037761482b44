"""Query shapes of the pages' helper endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from livechat.models import Role
from livechat.schemas.base import QuerySchema


class DevTokenQuery(QuerySchema):
    uid = fields.String(required=True, validate=validate.Length(min=1, max=128))
    role = fields.Enum(Role, by_value=True, load_default=Role.USER)
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None)
