"""Hypothesis strategies for hostile input: wrong types, odd unicode, huge and deep values."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Deterministic by default (CI reruns the same examples). For a deeper search on a workstation:
# LIVECHAT_FUZZ_RANDOM=1 (new examples each run) and LIVECHAT_FUZZ_SCALE=10 (ten times as many).
_RANDOM = os.environ.get("LIVECHAT_FUZZ_RANDOM") == "1"
_SCALE = float(os.environ.get("LIVECHAT_FUZZ_SCALE", "1"))


def fuzz_settings(max_examples: int) -> settings:
    """Bounded runs with no deadline. The examples of one test share its function-scoped
    fixtures on purpose (clients, chats): the tests compare rows before and after each example
    instead of relying on the per-test reset (see conftest)."""
    return settings(
        max_examples=max(1, round(max_examples * _SCALE)),
        deadline=None,
        derandomize=not _RANDOM,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# Strings that have broken real services: NUL (PostgreSQL text refuses it), lone surrogates (not
# encodable as UTF-8), control and bidi characters, injections, and over-long values.
NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\r\nSet-Cookie: x=y",
    "%0d%0aSet-Cookie: x=y",
    "\u202eevil\u202c",
    "\ufeff",
    "\u0085\u2028\u2029",
    "🙂" * 10,
    "Ω≈ç√∫",
    "null",
    "undefined",
    "NaN",
    "-1",
    "0",
    "99999999999999999999999999",
    "<script>alert(1)</script>",
    "'; DROP TABLE chat_messages; --",
    "' OR '1'='1",
    "../../etc/passwd",
    "{{7*7}}",
    "$where",
    "x" * 65,
    "x" * 4001,
]

text = st.one_of(
    st.text(max_size=40),
    # Every code point, surrogates and NUL included (the default alphabet leaves surrogates out).
    st.text(st.characters(exclude_categories=()), max_size=20),
    st.sampled_from(NASTY_STRINGS),
    st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.text(max_size=5),
        st.sampled_from(NASTY_STRINGS),
        st.text(max_size=5),
    ),
    st.integers(min_value=4001, max_value=70_000).map(lambda n: "y" * n),
)

integers = st.one_of(
    st.integers(min_value=-10, max_value=1_000),
    st.sampled_from([-(2**31) - 1, 2**31, 2**63, -(2**63) - 1, 10**30]),
)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)

json_value = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(text, children, max_size=4),
    ),
    max_leaves=12,
)


def nest(depth: int, leaf: Any, as_dict: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


# Deep nesting within what a JSON encoder accepts (raw packets test the rest end to end).
deep = st.builds(nest, st.integers(min_value=6, max_value=300), json_leaf, st.booleans())

# Any value at all where a field is expected.
junk = st.one_of(json_value, deep, st.binary(max_size=16))


class NoPayload:
    """Sentinel: emit the event with no argument at all."""

    def __repr__(self) -> str:
        return "<no payload>"


NO_PAYLOAD = NoPayload()


def _mutate(payload: dict[str, Any], mutations: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    out = dict(payload)
    for kind, key, value in mutations:
        if kind == "drop":
            out.pop(key, None)
        else:
            out[key] = value
    return out


def event_payload(
    required: dict[str, st.SearchStrategy[Any]],
    optional: dict[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[Any]:
    """What a client may send for an event: nothing, anything, a well-typed object (whose strings
    are hostile), or such an object with one or two fields dropped, replaced by junk or added.
    """
    optional = optional or {}
    valid = st.fixed_dictionaries(required, optional=optional)
    names = sorted({*required, *optional})
    mutation = st.one_of(
        st.tuples(st.just("set"), st.sampled_from(names), junk),
        st.tuples(st.just("drop"), st.sampled_from(names), st.none()),
        st.tuples(st.just("extra"), text, json_value),
    )
    mutated = st.builds(_mutate, valid, st.lists(mutation, min_size=1, max_size=2))
    return st.one_of(st.just(NO_PAYLOAD), junk, valid, mutated, valid, mutated)
