"""The deployed topology (issue 21): the shipped deploy/nginx.conf in front of two web processes
started by the Procfile's own command, sharing Redis and PostgreSQL.

Clients are told apart by X-Forwarded-For (nginx trusts it from loopback, as the shipped file
does for a TLS terminator in front of it), so one machine can be many client addresses; the
access log says which process served each request.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shlex
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.support.nginx import Nginx
from tests.support.server import ROOT, SOCKET_PATH, ServerProcess, next_event, start_together

pytestmark = pytest.mark.timeout(180)
BASE = "/api/support/chat"


def _procfile_web() -> list[str]:
    web = next(
        line.split(":", 1)[1].strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    argv = shlex.split(web)
    argv[0] = str(Path(sys.executable).parent / argv[0])
    return argv


class Deployment:
    def __init__(self, app: Any, pg_url: str, redis_url: str, tmp: Path) -> None:
        env = {
            "LIVECHAT_ENV": "testing",
            "DATABASE_URL": pg_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "DB_POOL_SIZE": "5",
            "REDIS_URL": redis_url,
            "REDIS_CHANNEL": f"lc-nginx-{secrets.token_hex(4)}",
            "TRUSTED_PROXY_HOPS": "1",
            # Per client address: works behind nginx only because the app trusts its
            # X-Forwarded-For (TRUSTED_PROXY_HOPS); a key per deployment (REDIS_CHANNEL).
            "RATE_LIMIT_CONNECT": "3/minute",
            "WEB_CONCURRENCY": "1",
        }
        self.processes: list[ServerProcess] = []
        try:
            started = [
                ServerProcess(env, tmp / f"{name}.log", argv=_procfile_web(), wait=False)
                for name in ("a", "b")
            ]
            self.processes.extend(start_together(*started))
            self.nginx = Nginx([p.port for p in self.processes], tmp / "nginx")
        except Exception:
            self.stop()
            raise
        self.url = self.nginx.url

    def upstream(self, process: ServerProcess) -> str:
        return f"127.0.0.1:{process.port}"

    def request(
        self, method: str, path: str, token: str, address: str, body: Any = None
    ) -> tuple[int, Any]:
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "X-Forwarded-For": address,
                "X-Test-Client": f"rest-{address}",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def process_of(self, address: str) -> ServerProcess:
        """The process nginx routes ``address`` to (asked with a plain request)."""
        req = urllib.request.Request(
            self.url + "/healthz",
            headers={"X-Forwarded-For": address, "X-Test-Client": f"probe-{address}"},
        )
        with urllib.request.urlopen(req, timeout=10):
            pass
        deadline = time.monotonic() + 10
        while not (routes := self.nginx.routes(f"probe-{address}")):
            # nginx writes the log line just after the answer
            assert time.monotonic() < deadline, f"no access log line for {address}"
            time.sleep(0.02)
        return next(p for p in self.processes if self.upstream(p) == routes[0][0])

    def addresses_on_each_process(self) -> tuple[str, str]:
        """Two client addresses that nginx sends to different processes."""
        seen: dict[int, str] = {}
        for n in range(1, 60):
            address = f"10.21.0.{n}"
            seen.setdefault(self.process_of(address).port, address)
            if len(seen) == 2:
                a, b = (seen[p.port] for p in self.processes)
                return a, b
        raise AssertionError("every probed address went to one process")

    def stop(self) -> None:
        if getattr(self, "nginx", None) is not None:
            self.nginx.stop()
        for p in self.processes:
            p.stop()


@pytest.fixture()
def deployment(app: Any, pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[Deployment]:
    try:
        d = Deployment(app, pg_url, redis_url, tmp_path)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield d
    d.stop()


class Client:
    """A python-socketio client through nginx, as address ``address``, recording events."""

    def __init__(
        self,
        url: str,
        token: str,
        address: str,
        name: str,
        transports: list[str] | None = None,
        namespaces: list[str] | None = None,
        reconnection: bool = False,
    ) -> None:
        # python-engineio sends connect()'s headers with the handshake and the WebSocket only;
        # a session's own headers go with every long-polling request too (as a browser's
        # address would).
        session = requests.Session()
        session.headers.update({"X-Forwarded-For": address, "X-Test-Client": name})
        self.sio = socketio.Client(
            reconnection=reconnection,
            reconnection_delay=0.2,
            reconnection_delay_max=1,
            http_session=session,
        )
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.connects = 0
        self.sio.on("*", lambda event, *args: self.events.put((event, args[0] if args else None)))
        self.sio.on("connect", self._connected)
        self.sio.connect(
            url,
            socketio_path=SOCKET_PATH,
            auth={"token": token},
            headers={"X-Forwarded-For": address, "X-Test-Client": name},
            transports=transports,
            namespaces=namespaces or ["/"],
            wait_timeout=10,
        )

    def _connected(self) -> None:
        self.connects += 1

    def call(self, event: str, data: Any = None, namespace: str = "/") -> Any:
        return self.sio.call(event, data, namespace=namespace, timeout=10)

    def wait_for(self, name: str, predicate: Any = None, timeout: float = 15) -> Any:
        return next_event(self.events, name, predicate, timeout)

    def close(self) -> None:
        self.sio.disconnect()


def _kill_tree(process: ServerProcess) -> None:
    """SIGKILL gunicorn's master and its worker at once: the process is gone, as on a crash."""
    pids = [process.pid]
    try:
        pids += [
            int(c)
            for c in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        ]
    except OSError:
        pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.proc.wait()


def test_websocket_and_polling_clients_on_different_processes_chat_in_one_room(
    deployment: Deployment, token: Any
) -> None:
    d = deployment
    here, there = d.addresses_on_each_process()
    status, session = d.request("POST", f"{BASE}/sessions/user", token("ng-cust"), here, {})
    assert status == 201, session
    sid = session["id"]

    # The customer on long-polling only (as the widget when WebSocket is blocked), on one process;
    # the agent on WebSocket, on the other.
    customer = Client(d.url, token("ng-cust"), here, "ng-cust", transports=["polling"])
    agent = Client(
        d.url,
        token("ng-agent", "agent"),
        there,
        "ng-agent",
        transports=["websocket"],
        namespaces=["/", "/support"],
    )
    try:
        assert customer.sio.transport() == "polling" and agent.sio.transport() == "websocket"
        assert customer.call("join:session", sid)["ok"]
        assert agent.call("join:session", sid)["ok"]
        status, _ = d.request(
            "POST", f"{BASE}/sessions/{sid}/assign", token("ng-agent", "agent"), there
        )
        assert status == 200
        for n in range(5):
            sent = customer.call("message:send", {"sessionId": sid, "content": f"poll {n}"})
            assert sent["ok"], sent
            agent.wait_for("message:new", lambda m, i=sent["message"]["id"]: m["id"] == i)
            reply = agent.call("message:send", {"sessionId": sid, "content": f"ws {n}"})
            assert reply["ok"], reply
            customer.wait_for("message:new", lambda m, i=reply["message"]["id"]: m["id"] == i)
    finally:
        customer.close()
        agent.close()

    # Every request of the polling client went to its one process, and there were many.
    routes = d.nginx.routes("ng-cust")
    assert len(routes) >= 10, routes
    assert {upstream for upstream, _, _ in routes} == {d.upstream(d.process_of(here))}
    assert all(status in ("200", "101") for _, status, _ in routes), routes
    # The agent's WebSocket was held by the other process (logged when it closed).
    deadline = time.monotonic() + 10
    while not (agent_routes := d.nginx.routes("ng-agent")):  # logged once it has closed
        assert time.monotonic() < deadline, "the agent's WebSocket was never logged"
        time.sleep(0.05)
    assert {u for u, _, _ in agent_routes} == {d.upstream(d.process_of(there))}


def test_default_transport_clients_connect_through_nginx(
    deployment: Deployment, token: Any
) -> None:
    """The Socket.IO client's default (polling, then the upgrade): the failure issue 21 found
    with two workers on one port."""
    d = deployment
    clients = [
        Client(d.url, token(f"ng-default-{n}"), f"10.21.1.{n}", f"ng-default-{n}")
        for n in range(1, 9)
    ]
    try:
        for c in clients:
            assert c.call("leave:session", {"sessionId": "sync"})["ok"]
        served = {u for n in range(1, 9) for u, _, _ in d.nginx.routes(f"ng-default-{n}")}
        assert served == {d.upstream(p) for p in d.processes}  # both processes took clients
        # The connect limit (3 a minute) counts each client address, not nginx's: eight
        # addresses connected above; one address gets two more, then is refused.
        clients += [Client(d.url, token("ng-default-1"), "10.21.1.1", "ng-more") for _ in "ab"]
        with pytest.raises(socketio.exceptions.ConnectionError):
            Client(d.url, token("ng-default-1"), "10.21.1.1", "ng-more")
    finally:
        for c in clients:
            c.close()


def test_killing_a_process_moves_its_clients_to_the_other_with_nothing_lost(
    deployment: Deployment, token: Any
) -> None:
    d = deployment
    here, there = d.addresses_on_each_process()
    doomed = d.process_of(here)
    status, session = d.request("POST", f"{BASE}/sessions/user", token("ng-kill"), here, {})
    assert status == 201
    sid = session["id"]
    customer = Client(d.url, token("ng-kill"), here, "ng-kill", reconnection=True)
    agent = Client(
        d.url, token("ng-kagent", "agent"), there, "ng-kagent", namespaces=["/", "/support"]
    )
    try:
        assert customer.call("join:session", sid)["ok"]
        assert agent.call("join:session", sid)["ok"]
        status, _ = d.request(
            "POST", f"{BASE}/sessions/{sid}/assign", token("ng-kagent", "agent"), there
        )
        assert status == 200
        first = agent.call("message:send", {"sessionId": sid, "content": "before"})["message"]
        seen = customer.wait_for("message:new", lambda m: m["id"] == first["id"])
        last_seq = seen["seq"]

        _kill_tree(doomed)
        # While the customer is cut off, the agent (on the surviving process) goes on writing.
        sent = [
            agent.call("message:send", {"sessionId": sid, "content": f"during {n}"})["message"]
            for n in range(3)
        ]
        deadline = time.monotonic() + 30
        while not (customer.connects >= 2 and customer.sio.connected):
            assert time.monotonic() < deadline, "the customer did not reconnect"
            time.sleep(0.1)
        ack = customer.call("join:session", {"sessionId": sid, "afterSeq": last_seq})
        assert ack["ok"], ack
        history = customer.wait_for("session:history", lambda h: h["sessionId"] == sid)
        assert [m["id"] for m in history["messages"]] == [m["id"] for m in sent]
        assert [m["seq"] for m in history["messages"]] == [last_seq + 1, last_seq + 2, last_seq + 3]

        # The reconnected customer chats live again, through the surviving process.
        after = customer.call("message:send", {"sessionId": sid, "content": "back"})
        assert after["ok"], after
        agent.wait_for("message:new", lambda m: m["id"] == after["message"]["id"])
    finally:
        customer.close()
        agent.close()
    survivor = d.upstream(next(p for p in d.processes if p is not doomed))
    deadline = time.monotonic() + 10
    while True:  # nginx logs a WebSocket when it closes
        routes = d.nginx.routes("ng-kill")
        if routes and routes[-1][1] == "101" and routes[-1][0] == survivor:
            break
        assert time.monotonic() < deadline, routes
        time.sleep(0.1)
    assert routes[0][0] == d.upstream(doomed)
