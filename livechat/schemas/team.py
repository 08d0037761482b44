"""Wire shapes of the support team (``/api/support/agents``)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_dump, validate

from livechat.schemas.base import CamelSchema, QuerySchema

_ROLE = {"description": "agent or admin (anything else: 422 bad_role)", "enum": ["agent", "admin"]}


class TeamMemberSchema(CamelSchema):
    uid = fields.String(metadata={"description": "The Firebase uid (users' id once signed in)"})
    email = fields.String(allow_none=True)
    name = fields.String(attribute="display_name", allow_none=True)
    role = fields.String(metadata={"enum": ["agent", "admin"]})
    added_by = fields.String(
        metadata={
            "description": "Who added them: an admin's uid, cli, or token (their staff "
            "claim was set outside these tools and they signed in)"
        }
    )
    added_at = fields.DateTime()
    updated_at = fields.DateTime()
    removed_at = fields.DateTime(allow_none=True)
    removed_by = fields.String(allow_none=True)


_MEMBER_FIELDS = (
    "uid",
    "email",
    "display_name",
    "added_by",
    "added_at",
    "updated_at",
    "removed_at",
    "removed_by",
)


class TeamEntrySchema(TeamMemberSchema):
    status = fields.String(
        metadata={"description": "available, away or offline (offline unless a socket is open)"}
    )
    open_chats = fields.Integer()

    @pre_dump
    def _plain(self, entry: Any, **kwargs: Any) -> Any:
        member = entry.member
        return {f: getattr(member, f) for f in _MEMBER_FIELDS} | {
            "role": member.role.value,
            "status": entry.status,
            "open_chats": entry.open_chats,
        }


class TeamListSchema(CamelSchema):
    items = fields.List(fields.Nested(TeamEntrySchema))


class TeamQuerySchema(QuerySchema):
    include_removed = fields.Boolean(
        load_default=False, metadata={"description": "Also list removed members"}
    )


class AddMemberSchema(CamelSchema):
    email = fields.String(
        required=True,
        validate=validate.Length(max=320),
        metadata={"description": "Their sign-in address (not one: 422 bad_email)"},
    )
    role = fields.String(required=True, metadata=_ROLE)
    name = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata={"description": "Shown name"}
    )


class UpdateMemberSchema(CamelSchema):
    role = fields.String(load_default=None, metadata=_ROLE)
    name = fields.String(load_default=None, validate=validate.Length(max=200))


class AddedSchema(CamelSchema):
    member = fields.Nested(TeamMemberSchema)
    created_account = fields.Boolean(
        attribute="created", metadata={"description": "A new account was created for them"}
    )
    added = fields.Boolean(
        metadata={"description": "False: they were on the team with that role already"}
    )
    invitation = fields.String(
        allow_none=True,
        metadata={
            "description": "Send this to them: a Firebase link to set their password "
            "(AUTH_MODE=firebase), or a dev token (AUTH_MODE=dev)"
        },
    )


class RemovedSchema(CamelSchema):
    uid = fields.String()
    released_session_ids = fields.List(
        fields.String(), metadata={"description": "Their open chats, now back in the queue"}
    )
