"""Real servers for end-to-end tests: `python wsgi.py` subprocesses and Socket.IO clients."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import socketio

ROOT = Path(__file__).resolve().parents[2]
SOCKET_PATH = "/socket.io/chat"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(secret_key: str, database_url: str, **extra: str) -> dict[str, str]:
    """Environment of a test server: testing config, dev tokens signed with ``secret_key``."""
    return {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "DB_POOL_SIZE": "5",
        **extra,
    }


def refused_connect(url: str, auth: Any) -> dict[str, Any]:
    """Connect over websocket expecting a refusal; the connect_error payload {message, data}
    (the JS client sees the same as err.message and err.data)."""
    client = socketio.Client(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    try:
        client.connect(
            url, socketio_path=SOCKET_PATH, auth=auth, transports=["websocket"], wait_timeout=5
        )
    except socketio.exceptions.ConnectionError:
        assert errors, "refused without a connect_error payload"
        return errors[0]
    client.disconnect()
    raise AssertionError(f"the connection with {auth!r} was accepted")


def start_together(*servers: ServerProcess) -> list[ServerProcess]:
    """Wait until every one of ``servers`` (started with ``wait=False``) is ready; if one is
    not, stop them all and raise. Side by side, two processes start in the time of one."""
    try:
        for server in servers:
            server.wait_ready()
    except Exception:
        for server in servers:
            server.stop()
        raise
    return list(servers)


class ServerProcess:
    """`python wsgi.py` (or ``argv``, where ``{port}`` is replaced) on a free port."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        argv: list[str] | None = None,
        ready_path: str = "/readyz",
        wait: bool = True,
    ) -> None:
        """Starts the process; ``wait=False`` returns at once (call ``wait_ready``, or start
        several with ``start_together``: each start is ~3 s of imports, paid side by side)."""
        self.ready_path = ready_path  # /healthz for a server whose dependencies are down
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self._argv = argv or [sys.executable, "wsgi.py"]
        self._log_path = log_path
        self._log = open(log_path, "w")
        self._start(wait)

    @property
    def env(self) -> dict[str, str]:
        """The environment the process runs with."""
        return dict(self._env)

    def _start(self, wait: bool = True) -> None:
        argv = [a.replace("{port}", str(self.port)) for a in self._argv]  # e.g. gunicorn --bind
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=self._env, stdout=self._log, stderr=subprocess.STDOUT
        )
        if wait:
            self.wait_ready()

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, nothing flushed."""
        self.proc.kill()
        self.proc.wait()

    def restart(self) -> None:
        """Start again on the same port (clients reconnect to the same URL)."""
        if self.proc.poll() is None:
            self.kill()
        self._start()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self._log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready:\n{self._log_path.read_text()}")

    def request(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=data,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self._log_path.read_text()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int | None:
        """Resident memory of the server and its children (gunicorn's workers), from Linux /proc;
        None once it has exited."""
        pids, total = [self.proc.pid], 0
        while pids:
            pid = pids.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                if pid == self.proc.pid:
                    return None
                continue
            total += next(
                (int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0
            )
        return total


def next_event(
    events: queue.Queue[tuple[str, Any]], name: str, predicate: Any = None, timeout: float = 10
) -> Any:
    """Take events off ``events`` until one named ``name`` (matching ``predicate``) comes; the
    others are dropped. Fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {name!r} event within {timeout}s")
        try:
            event, data = events.get(timeout=remaining)
        except queue.Empty:
            continue
        if event == name and (predicate is None or predicate(data)):
            return data


class ChatClient:
    """python-socketio's client over the websocket transport, recording every event."""

    def __init__(self, url: str, token: str, namespaces: list[str] | None = None) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.history: list[tuple[str, Any]] = []  # every event received, in order
        self.connect_errors: list[Any] = []
        self.sio.on("*", self._record)
        self.sio.on("*", self._record, namespace="/support")
        self.sio.on("connect_error", self.connect_errors.append)
        self.sio.connect(
            url,
            socketio_path=SOCKET_PATH,
            auth={"token": token},
            transports=["websocket"],
            namespaces=namespaces or ["/"],
            wait_timeout=10,
        )

    def _record(self, event: str, *args: Any) -> None:
        self.history.append((event, args[0] if args else None))
        self.events.put((event, args[0] if args else None))

    @property
    def transport(self) -> str:
        return self.sio.transport()

    def call(self, event: str, data: Any = None, namespace: str = "/") -> Any:
        return self.sio.call(event, data, namespace=namespace, timeout=10)

    def wait_for(self, name: str, predicate: Any = None, timeout: float = 10) -> Any:
        """The next ``name`` event (matching ``predicate``); earlier other events are dropped."""
        return next_event(self.events, name, predicate, timeout)

    def sync(self) -> None:
        """A round trip on this socket: once it returns, everything the server sent this socket
        before has arrived and is in ``history`` (one connection delivers in order; each
        received packet is recorded by a greenlet started, and so run, before the ack's).
        ``leave:session`` for a chat the socket is not in is a no-op the server acknowledges
        and tells nobody about."""
        ack = self.call("leave:session", {"sessionId": "sync"})
        assert ack["ok"], ack

    def drain(self, settle: float = 0.3) -> list[tuple[str, Any]]:
        """Every event that arrives until none has for ``settle`` seconds (to clear the buffer:
        to know that nothing more is coming, sync() and look at ``history``)."""
        got = []
        while True:
            try:
                got.append(self.events.get(timeout=settle))
            except queue.Empty:
                return got

    def close(self) -> None:
        """Disconnect and wait for the client's reader and writer to end: after an aborted
        transport (a test cutting the network) the writer still waits for its next packet."""
        if self.sio.connected:
            self.sio.disconnect()
        eio = self.sio.eio
        tasks = [t for t in (eio.write_loop_task, eio.read_loop_task) if t is not None]
        if tasks:
            eio.queue.put(None)  # what an orderly disconnect tells the writer
        for task in tasks:
            task.join(timeout=5)
