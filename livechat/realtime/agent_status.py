"""Where each agent's status (available, away, offline) is kept: in memory, or in Redis so that
every process agrees. The rules about status (who is routed, when chats return) live in
services/agents.py; this only stores ``{status, since}`` per agent, and when each agent's last
socket closed (``seen``), which the router's offline sweep reads on any process."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol

from livechat.services.agents import OFFLINE, AgentState


class AgentStatusStore(Protocol):
    def set(self, user_id: str, status: str, at: float | None = None) -> AgentState:
        """Record the agent's status (``since`` = ``at``, default now) and return it."""

    def get(self, user_id: str) -> AgentState:
        """The agent's status; offline since 0 when never set."""

    def many(self, user_ids: list[str]) -> dict[str, AgentState]:
        """The statuses of several agents, offline for those never set."""

    def seen(self, user_id: str, at: float | None = None) -> None:
        """Record that a socket of the agent was open at ``at`` (default now)."""

    def last_seen(self, user_ids: list[str]) -> dict[str, float]:
        """When each agent was last seen (epoch seconds), 0 for those never recorded."""


_NEVER = AgentState(OFFLINE, 0.0)


class MemoryAgentStatus:
    def __init__(self) -> None:
        self._states: dict[str, AgentState] = {}
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def set(self, user_id: str, status: str, at: float | None = None) -> AgentState:
        state = AgentState(status, time.time() if at is None else at)
        with self._lock:
            self._states[user_id] = state
        return state

    def get(self, user_id: str) -> AgentState:
        with self._lock:
            return self._states.get(user_id, _NEVER)

    def many(self, user_ids: list[str]) -> dict[str, AgentState]:
        with self._lock:
            return {u: self._states.get(u, _NEVER) for u in user_ids}

    def seen(self, user_id: str, at: float | None = None) -> None:
        with self._lock:
            self._seen[user_id] = time.time() if at is None else at

    def last_seen(self, user_ids: list[str]) -> dict[str, float]:
        with self._lock:
            return {u: self._seen.get(u, 0.0) for u in user_ids}


class RedisAgentStatus:
    """Two Redis hashes, shared by every process: agent id -> ``[status, since]``, and agent
    id -> last seen."""

    def __init__(self, url: str, prefix: str, config: Any = None) -> None:
        from livechat import redisconn

        self._redis: Any = redisconn.client(url, config, socket_timeout=2, socket_connect_timeout=2)
        self._key = f"{prefix}:agent-status"
        self._seen_key = f"{prefix}:agent-seen"

    def set(self, user_id: str, status: str, at: float | None = None) -> AgentState:
        state = AgentState(status, time.time() if at is None else at)
        self._redis.hset(self._key, user_id, json.dumps([state.status, state.since]))
        return state

    def get(self, user_id: str) -> AgentState:
        return self.many([user_id])[user_id]

    def many(self, user_ids: list[str]) -> dict[str, AgentState]:
        if not user_ids:
            return {}
        raw = self._redis.hmget(self._key, user_ids)
        return {u: _decode(r) for u, r in zip(user_ids, raw, strict=True)}

    def seen(self, user_id: str, at: float | None = None) -> None:
        self._redis.hset(self._seen_key, user_id, repr(time.time() if at is None else at))

    def last_seen(self, user_ids: list[str]) -> dict[str, float]:
        if not user_ids:
            return {}
        raw = self._redis.hmget(self._seen_key, user_ids)
        return {u: float(r) if r else 0.0 for u, r in zip(user_ids, raw, strict=True)}


def _decode(raw: bytes | None) -> AgentState:
    if raw is None:
        return _NEVER
    try:
        status, since = json.loads(raw)
        return AgentState(str(status), float(since))
    except (ValueError, TypeError):
        return _NEVER


def build_agent_status(redis_url: str | None, prefix: str, config: Any = None) -> AgentStatusStore:
    return RedisAgentStatus(redis_url, prefix, config) if redis_url else MemoryAgentStatus()
