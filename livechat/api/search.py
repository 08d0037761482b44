"""Full-text search over chat history, for the support team."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, query, response
from livechat.models import Role
from livechat.schemas.search import SearchPageSchema, SearchQuerySchema
from livechat.services import search as search_service

bp = Blueprint("search", __name__, url_prefix="/api/support/search")


@bp.get("")
@authenticated(Role.AGENT, Role.ADMIN)
@response(
    SearchPageSchema(),
    200,
    "Matching messages and internal notes, newest first (or by relevance), with highlights",
    errors={
        400: "The query has no words (empty_query), or 'to' is not after 'from' (bad_date_range)",
    },
)
@query(SearchQuerySchema())
def search(query: dict[str, Any]) -> Any:
    """Search messages and internal notes in every language the assistant speaks."""
    page, page_size = query.pop("page"), query.pop("page_size")
    items, more = search_service.search(
        g.actor, query.pop("q"), page=page, page_size=page_size, **query
    )
    return {"items": items, "page": page, "page_size": page_size, "has_more": more}
