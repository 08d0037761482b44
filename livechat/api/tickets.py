"""Ticket endpoints: agents work tickets; customers see their own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, body, query, response
from livechat.models import Role
from livechat.schemas.base import Augmented, page_of
from livechat.schemas.tickets import (
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListSchema,
    TicketPageSchema,
    TicketSchema,
    TicketsQuerySchema,
    TicketUpdateSchema,
)
from livechat.services import tickets

bp = Blueprint("tickets", __name__, url_prefix="/api/support/tickets")

STAFF = (Role.AGENT, Role.ADMIN)


@bp.get("")
@authenticated(*STAFF)
@response(TicketPageSchema(), 200, "A page of tickets, newest first")
@query(TicketsQuerySchema())
def list_tickets(query: dict[str, Any]) -> Any:
    """List tickets, filtered by status, priority or customer."""
    items, total = tickets.list_tickets(g.actor, **query)
    return page_of(items, query["page"], query["page_size"], total)


@bp.post("")
@authenticated(*STAFF)
@response(TicketSchema(), 201, "The new ticket", errors={404: "No such customer (user_not_found)"})
@body(TicketCreateSchema())
def create_ticket(body: dict[str, Any]) -> Any:
    """Open a ticket for a customer."""
    return tickets.open_ticket(g.actor, **body), 201


@bp.get("/mine")
@authenticated()
@response(TicketListSchema(), 200, "Your tickets, newest first")
def my_tickets() -> Any:
    """Your own tickets and their status."""
    return {"items": tickets.my_tickets(g.actor)}


@bp.get("/<ticket_id>")
@authenticated(*STAFF)
@response(TicketDetailSchema(), 200, "The ticket and its linked chat session")
def get_ticket(ticket_id: str) -> Any:
    """A ticket with its linked chat session."""
    ticket, session = tickets.ticket_with_session(g.actor, ticket_id)
    return Augmented(ticket, session=session)


@bp.patch("/<ticket_id>")
@authenticated(*STAFF)
@response(TicketSchema(), 200, "The updated ticket")
@body(TicketUpdateSchema())
def update_ticket(ticket_id: str, body: dict[str, Any]) -> Any:
    """Change a ticket's status, priority or assignee (invalid transitions: 409)."""
    return tickets.update_ticket(g.actor, ticket_id, **body)
