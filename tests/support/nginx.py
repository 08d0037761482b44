"""nginx (Debian's package, installed by .ci/ensure-nginx) in front of test server processes,
running the shipped `deploy/nginx.conf` with only its ports changed, on loopback.

The access log names, for every request, the client (the ``X-Test-Client`` header) and the
process that served it (``$upstream_addr``), so a test can see where each client went.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from deploy.nginx_site import site_config
from tests.support.server import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 4096; }}
http {{
    log_format routes '$http_x_test_client|$upstream_addr|$status|$request';
    access_log {dir}/access.log routes;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/livechat.conf;
}}
"""


class Nginx:
    def __init__(self, backends: list[int], workdir: Path) -> None:
        if not Path(NGINX).exists():
            raise RuntimeError(
                "nginx is not installed: run `make test` (it installs Debian's nginx) or "
                "`apt-get install nginx`"
            )
        self.dir = workdir
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / "tmp" / sub).mkdir(exist_ok=True)
            os.chmod(workdir / "tmp" / sub, 0o777)  # noqa: S103 (nginx's workers run as nobody)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "livechat.conf").write_text(site_config(backends, self.port))
        (workdir / "nginx.conf").write_text(MAIN_CONF.format(dir=workdir))
        check = subprocess.run(
            [NGINX, "-t", "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", "stderr"],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t refused the config:\n{check.stderr}")
        self.proc = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(workdir),
                "-c",
                str(workdir / "nginx.conf"),
                "-e",
                str(workdir / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.error_log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx not ready:\n{self.error_log()}")

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def routes(self, client: str) -> list[tuple[str, str, str]]:
        """(upstream address, status, request line) of every logged request of ``client``; the
        upstream is the one that answered (nginx lists each it tried: a dead one first)."""
        path = self.dir / "access.log"
        out = []
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            name, upstreams, status, request = line.split("|", 3)
            if name == client:
                out.append((upstreams.split(", ")[-1], status, request))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish and exit
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
