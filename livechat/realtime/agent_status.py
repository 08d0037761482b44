"""Where each agent's status (available, away, offline) is kept: in memory, or in Redis so that
every process agrees. The rules about status (who is routed, when chats return) live in
services/agents.py; this only stores ``{status, since}`` per agent."""

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


_NEVER = AgentState(OFFLINE, 0.0)


class MemoryAgentStatus:
    def __init__(self) -> None:
        self._states: dict[str, AgentState] = {}
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


class RedisAgentStatus:
    """One Redis hash: agent id -> ``{"status", "since"}``, shared by every process."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._key = f"{prefix}:agent-status"

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


def _decode(raw: bytes | None) -> AgentState:
    if raw is None:
        return _NEVER
    try:
        status, since = json.loads(raw)
        return AgentState(str(status), float(since))
    except (ValueError, TypeError):
        return _NEVER


def build_agent_status(redis_url: str | None, prefix: str) -> AgentStatusStore:
    return RedisAgentStatus(redis_url, prefix) if redis_url else MemoryAgentStatus()
