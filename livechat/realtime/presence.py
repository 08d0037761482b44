"""Who is connected where: per-room socket counts, in memory or shared through Redis.

Used for user:joined / user:left (only a user's first/last socket in a room counts) and for
"agents online". With several processes the Redis backend makes every process agree.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any, Protocol


class Presence(Protocol):
    def add(self, room: str, user_id: str, sid: str) -> bool:
        """Record the socket; True when it is the user's first in the room."""

    def remove(self, room: str, user_id: str, sid: str) -> bool:
        """Forget the socket; True when it was the user's last in the room."""

    def members(self, room: str) -> set[str]:
        """Users with at least one socket in the room."""

    def sockets(self, room: str, user_id: str) -> set[str]:
        """The user's sockets in the room."""


class MemoryPresence:
    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._lock = threading.Lock()

    def add(self, room: str, user_id: str, sid: str) -> bool:
        with self._lock:
            sids = self._rooms[room][user_id]
            first = not sids
            sids.add(sid)
            return first

    def remove(self, room: str, user_id: str, sid: str) -> bool:
        with self._lock:
            users = self._rooms.get(room)
            if not users or sid not in users.get(user_id, ()):
                return False
            users[user_id].discard(sid)
            if users[user_id]:
                return False
            del users[user_id]
            if not users:
                del self._rooms[room]
            return True

    def members(self, room: str) -> set[str]:
        with self._lock:
            return set(self._rooms.get(room, {}))

    def sockets(self, room: str, user_id: str) -> set[str]:
        with self._lock:
            return set(self._rooms.get(room, {}).get(user_id, ()))


class RedisPresence:
    """Sets of socket ids per (room, user) in Redis, shared by every process."""

    def __init__(self, url: str, prefix: str, config: Any = None) -> None:
        from livechat import redisconn

        self._redis: Any = redisconn.client(url, config, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{prefix}:presence"

    def add(self, room: str, user_id: str, sid: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.sadd(f"{self._prefix}:{room}:{user_id}", sid)
        pipe.scard(f"{self._prefix}:{room}:{user_id}")
        pipe.sadd(f"{self._prefix}:{room}", user_id)
        _, count, _ = pipe.execute()
        return int(count) == 1

    def remove(self, room: str, user_id: str, sid: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.srem(f"{self._prefix}:{room}:{user_id}", sid)
        pipe.scard(f"{self._prefix}:{room}:{user_id}")
        removed, count = pipe.execute()
        if not removed or int(count) > 0:
            return False
        self._redis.srem(f"{self._prefix}:{room}", user_id)
        return True

    def members(self, room: str) -> set[str]:
        return {m.decode() for m in self._redis.smembers(f"{self._prefix}:{room}")}

    def sockets(self, room: str, user_id: str) -> set[str]:
        return {s.decode() for s in self._redis.smembers(f"{self._prefix}:{room}:{user_id}")}


def build_presence(redis_url: str | None, prefix: str, config: Any = None) -> Presence:
    return RedisPresence(redis_url, prefix, config) if redis_url else MemoryPresence()
