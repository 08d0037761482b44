"""Wire shapes of full-text search (GET /api/support/search)."""

from __future__ import annotations

from marshmallow import fields, validate

from livechat.schemas.base import CamelSchema
from livechat.schemas.chat import SessionSchema, SessionsQuerySchema

# services/search.py KINDS, SORTS and QUERY_MAX (schemas sit below services).
SEARCH_KINDS = ("message", "note")
SEARCH_SORTS = ("newest", "relevance")
SEARCH_QUERY_MAX = 200
SEARCH_PAGES_MAX = 50


class SearchQuerySchema(SessionsQuerySchema):
    """The words to find, plus the Conversations filters on the chats they are in."""

    # Each page reads every row before it: search pages stop at the 1,000th result.
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=SEARCH_PAGES_MAX))
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=SEARCH_QUERY_MAX),
        metadata={
            "description": 'Web-search syntax: words, "a phrase", -excluded, or. Matched in '
            "English, Spanish, French, German, Portuguese, Italian and as typed"
        },
    )
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(SEARCH_KINDS),
        metadata={"description": "Only messages, or only internal notes (default: both)"},
    )
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(SEARCH_SORTS),
        metadata={"description": "newest (default) or relevance (ts_rank_cd, then newest)"},
    )


class SegmentSchema(CamelSchema):
    text = fields.String()
    match = fields.Boolean(metadata={"description": "A word the query matched"})


class SearchHitSchema(CamelSchema):
    """A message or an internal note that matched, with its chat."""

    kind = fields.String(metadata={"enum": list(SEARCH_KINDS)})
    id = fields.String()
    session_id = fields.String()
    seq = fields.Integer(metadata={"description": "The message's seq, or the note's noteSeq"})
    sender_type = fields.String(metadata={"description": "Notes: AGENT"})
    sender_id = fields.String(metadata={"description": "Notes: the author"})
    created_at = fields.DateTime()
    segments = fields.List(
        fields.Nested(SegmentSchema),
        metadata={
            "description": "The whole content in order, split into matched and unmatched text:"
            " plain text, never markup"
        },
    )
    session = fields.Nested(SessionSchema)


class SearchPageSchema(CamelSchema):
    items = fields.List(fields.Nested(SearchHitSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    has_more = fields.Boolean()
