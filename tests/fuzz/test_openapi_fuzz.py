"""Schemathesis against GET /api/openapi.json, in process (WSGI), with real tokens and data.

Every documented operation is called with generated requests, valid (positive) and invalid
(negative), by a caller of a role the operation admits, with path ids that sometimes name real
sessions, tickets, customers and canned replies. Each response must: not be a 5xx, use a
documented status code and content type, match the documented schema, and (for invalid input)
be a 4xx; and come back at all.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

import gevent
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import fuzz_settings

POSITIVE_EXAMPLES = 30
NEGATIVE_EXAMPLES = 20
# What invalid input may get (schemathesis' default set, less 5xx which is never right).
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429"]
# A request that takes this long has hung (they take milliseconds here).
HANG_SECONDS = 15


def _checks() -> list[Any]:
    from schemathesis import checks

    return [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_schema_conformance,
        checks.response_headers_conformance,
        checks.negative_data_rejection,
        valid_input_is_not_refused_as_invalid,
    ]


# Fields whose limits OpenAPI 3.0 cannot state (metadata: key length, size in bytes, depth);
# their descriptions state them instead.
UNDESCRIBABLE = {"metadata"}


def valid_input_is_not_refused_as_invalid(ctx: Any, response: Any, case: Any) -> None:
    """Schema-valid input refused as malformed means the document promises too much.

    (Schemathesis' positive_data_acceptance also fails business refusals such as 422
    not_an_agent or 400 confirmation_mismatch, which a schema cannot express.)
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code in (400, 422):
        error = response.json()["error"]
        code = error["code"]
        if set(error.get("details") or {}) <= UNDESCRIBABLE:
            return
        assert code not in ("validation_error", "invalid_json"), (
            f"schema-valid input refused with {response.status_code} {code}: {response.text}"
        )


@pytest.fixture()
def api_schema(fuzz_app: Any) -> Any:
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict(
        {
            # NUL is refused in every text field by design (PostgreSQL cannot store it), which
            # JSON Schema cannot say short of a pattern on every string; test_injection and the
            # socket sweep cover that refusal.
            "generation": {"allow-x00": False},
            # A body over MAX_BODY_BYTES is refused with 413 before it is read: a rejection too.
            "checks": {"negative_data_rejection": {"expected-statuses": [*REJECTIONS, "413"]}},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app, config=config)


def _fresh_ids(app: Any) -> dict[str, list[str]]:
    """New chats (open, assigned to the fuzzing agent, ended), tickets, customers and canned
    replies (team, the fuzzing agent's, the fuzzing admin's) for one operation, so what earlier
    operations did (ending, reassigning, erasing, deleting) does not leak."""
    from livechat.models import CannedScope, Role
    from livechat.services import canned, sessions, tickets
    from livechat.services.users import Identity, sync_user

    tag = secrets.token_hex(3)
    agent = Identity(uid=f"sx-{tag}-agent", role=Role.AGENT)
    fuzz_agent = Identity(uid="sx-agent", role=Role.AGENT)
    fuzz_admin = Identity(uid="sx-admin", role=Role.ADMIN)
    ids: dict[str, list[str]] = {"session_id": [], "ticket_id": [], "uid": [], "canned_id": []}
    with app.app_context():
        sync_user(agent)
        sync_user(fuzz_agent)
        sync_user(fuzz_admin)
        body = "Hi {{customer.name}} ({{ customer.email }}), {{agent.name}} here: {{session.id}}"
        for owner, scope in (
            (fuzz_admin, CannedScope.TEAM),
            (fuzz_agent, CannedScope.PERSONAL),
            (fuzz_admin, CannedScope.PERSONAL),
        ):
            reply = canned.create_canned(
                owner, scope=scope, shortcut=f"sx-{tag}", title=f"{scope.value} {tag}", body=body
            )
            ids["canned_id"].append(reply.id)
        for n in range(3):
            # The first is the fuzzing customer's own chat (their token's uid).
            customer = Identity(uid="sx-user" if n == 0 else f"sx-{tag}-c{n}", role=Role.USER)
            sync_user(customer)
            ids["uid"].append(customer.uid)
            session, _ = sessions.open_session(customer, f"subject {n}")
            ids["session_id"].append(session.id)
            ticket = tickets.open_ticket(agent, user_id=customer.uid, subject=f"ticket {n}")
            ids["ticket_id"].append(ticket.id)
        sessions.assign_agent(fuzz_agent, ids["session_id"][1])
        sessions.end_session(agent, ids["session_id"][2])
    return ids


def _roles(app: Any, operation: Any) -> list[str]:
    """The roles the view admits (recorded by @authenticated), from its operationId."""
    op_id = operation.definition.raw["operationId"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.replace(".", "_") == op_id:
            return app.view_functions[rule.endpoint]._apidoc["roles"]
    raise AssertionError(f"no view for {op_id}")


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def _cases(
    operation: Any, mode: Any, headers: dict[str, Any], ids: dict[str, list[str]]
) -> st.SearchStrategy[Any]:
    """Cases for one role; path ids generated or real, and (valid cases) references to real
    customers, agents and chats, so that requests get past "not found" to the code behind."""
    generated = operation.as_strategy(mode, headers=headers)
    params = [p.name for p in operation.path_parameters]
    if params and all(n in ids for n in params):
        real = st.fixed_dictionaries({n: st.sampled_from(ids[n]) for n in params}).flatmap(
            lambda path: operation.as_strategy(mode, headers=headers, path_parameters=path)
        )
        generated = st.one_of(generated, real, real)
    if not mode.is_positive:
        return generated
    picks = st.fixed_dictionaries(
        {
            "userId": st.sampled_from(ids["uid"]),
            "agentId": st.sampled_from(["sx-agent", "sx-admin"]),
            "assigneeId": st.sampled_from(["sx-agent", "sx-admin"]),
            "sessionId": st.sampled_from(ids["session_id"]),
        }
    )
    return st.tuples(generated, picks, st.booleans()).map(lambda t: _refer(*t))


def _refer(case: Any, picks: dict[str, str], use: bool) -> Any:
    """Point the case's references (body and query) at real records, half of the time."""
    if use:
        for container in (case.body, case.query):
            if isinstance(container, dict):
                for key in picks.keys() & container.keys():
                    container[key] = picks[key]
        if isinstance(case.body, dict) and "confirm" in case.body and case.path_parameters:
            case.body["confirm"] = case.path_parameters.get("uid", case.body["confirm"])
    return case


def _fuzz(examples: int, cases: Any, error_log: Any) -> Counter[int]:
    """Run ``examples`` cases; returns the statuses seen."""
    checks = _checks()
    statuses: Counter[int] = Counter()

    @fuzz_settings(examples)
    @given(case=cases)
    def run(case: Any) -> None:
        with gevent.Timeout(HANG_SECONDS, AssertionError("no response: hung")):
            response = case.call()
        statuses[response.status_code] += 1
        case.validate_response(response, checks=checks)
        assert error_log.take() == [], f"{case.operation.label} logged an error"

    run()
    return statuses


def test_every_operation_conforms_to_its_schema(
    fuzz_app: Any,
    fuzz_token: Any,
    api_schema: Any,
    error_log: Any,
) -> None:
    from schemathesis import GenerationMode

    api_schema.validate()  # the document itself is valid OpenAPI 3.0
    operations = _operations(api_schema)
    assert len(operations) >= 15
    ran: dict[str, Counter[int]] = {}
    failures: list[str] = []
    for operation in operations:
        roles = _roles(fuzz_app, operation)
        ids = _fresh_ids(fuzz_app)
        raw = operation.definition.raw
        constrained = "requestBody" in raw or any(p["in"] == "query" for p in raw["parameters"])
        for mode, examples in (
            (GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
            # Only a body or a query can be invalid: path ids are free-form strings.
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES if constrained else 0),
        ):
            if not examples:
                continue
            cases = st.one_of(
                *(
                    _cases(
                        operation,
                        mode,
                        {"Authorization": f"Bearer {fuzz_token(f'sx-{role}', role)}"},
                        ids,
                    )
                    for role in roles
                )
            )
            label = f"{operation.label} [{mode.value}]"
            try:
                ran[label] = _fuzz(examples, cases, error_log)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                failures.append(f"{label}: {exc}")
    print("\nschemathesis examples per operation:")
    for label, statuses in sorted(ran.items()):
        seen = ", ".join(f"{code}x{n}" for code, n in sorted(statuses.items()))
        print(f"  {statuses.total():4d}  {label}  ({seen})")
    assert failures == [], "\n\n".join(failures)
