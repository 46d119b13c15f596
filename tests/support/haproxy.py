"""HAProxy from Debian in front of bot instances, for the two-instance test and bench/e2e.py.

One binary and a one-file configuration written here (the README's "Several instances
behind a load balancer" shows it), run in the foreground on a free loopback port, no
root needed. ``make test`` installs Debian's ``haproxy`` package as root, as it does
PostgreSQL and Chromium.

With ``stats_socket`` HAProxy also listens on a Unix socket (mode 600: only this user)
for ``show stat``, whose per-server ``req_tot`` is the exact number of requests it
forwarded to each instance (health checks not counted): the benchmark divides each
instance's CPU time by it.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.support.postgres_server import free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
NO_HAPROXY = (
    "HAProxy is not installed, so the tests of several instances cannot run: install "
    "Debian's haproxy package (`make test` does it as root)"
)

# The configuration the README shows (the ports filled in; servers a, b, ... in order).
HAPROXY_CFG = """\
global
    maxconn 256
{stats}
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A health check's answer may take this long (without it the check interval, 200ms,
    # is the limit, and a busy instance is taken out: both at once make HAProxy answer
    # 503). A stopped instance refuses the connection at once and is out within 200ms.
    timeout check 5s
    # A connection refused by an instance that is down is tried on the other one.
    retries 3
    option redispatch

frontend telegram_webhook
    bind 127.0.0.1:{lb_port}
    default_backend bot

backend bot
    balance random
    option httpchk GET /healthz
    default-server inter 200ms fall 1 rise 1
{servers}
"""


def haproxy_installed() -> bool:
    return os.access(HAPROXY, os.X_OK)


def require_haproxy() -> None:
    """In a test: skip without HAProxy and say so; under ``CI`` fail (CI must run it)."""
    import pytest

    if not haproxy_installed():
        if os.environ.get("CI"):
            pytest.fail(NO_HAPROXY)
        pytest.skip(NO_HAPROXY)


def server_names(count: int) -> list[str]:
    """The backend's server names: a, b, c, ..."""
    return [chr(ord("a") + n) for n in range(count)]


def haproxy_config(lb_port: int, ports: Sequence[int], stats_socket: Path | None = None) -> str:
    stats = f"    stats socket {stats_socket} mode 600 level user\n" if stats_socket else ""
    servers = "\n".join(
        f"    server {name} 127.0.0.1:{port} check"
        for name, port in zip(server_names(len(ports)), ports, strict=True)
    )
    return HAPROXY_CFG.format(lb_port=lb_port, stats=stats, servers=servers)


class HAProxy:
    """A running HAProxy: its port, and (with a stats socket) its per-server figures."""

    def __init__(self, port: int, stats_socket: Path | None, servers: list[str], pid: int) -> None:
        self.port = port
        self.pid = pid
        self.stats_socket = stats_socket
        self.servers = servers

    def stats(self) -> dict[str, dict[str, str]]:
        """``show stat`` of the backend's servers: server name -> CSV fields."""
        if self.stats_socket is None:
            raise RuntimeError("HAProxy was started without a stats socket")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        lines = b"".join(chunks).decode().splitlines()
        rows = csv.DictReader([lines[0].lstrip("# "), *(line for line in lines[1:] if line)])
        return {
            r["svname"]: r for r in rows if r["pxname"] == "bot" and r["svname"] in self.servers
        }

    def requests_by_server(self) -> dict[str, int]:
        """Requests forwarded to each server so far (health checks are not requests)."""
        return {name: int(row["req_tot"] or 0) for name, row in self.stats().items()}

    def connections_by_server(self) -> dict[str, tuple[int, int]]:
        """Connections HAProxy opened to each server, and requests sent on one reused."""
        return {
            name: (int(row["connect"] or 0), int(row["reuse"] or 0))
            for name, row in self.stats().items()
        }

    def downs_by_server(self) -> dict[str, int]:
        """How often each server's health check took it out (UP to DOWN) so far."""
        return {name: int(row["chkdown"] or 0) for name, row in self.stats().items()}

    def wait_all_up(self, timeout: float = 10.0) -> None:
        """Until every server passed its health check (status UP)."""
        deadline = time.monotonic() + timeout
        while True:
            states = {name: row["status"] for name, row in self.stats().items()}
            if len(states) == len(self.servers) and all(s == "UP" for s in states.values()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"HAProxy's servers not all up: {states}")
            time.sleep(0.05)


@contextlib.contextmanager
def haproxy(work: Path, ports: Sequence[int], *, stats: bool = False) -> Iterator[HAProxy]:
    """HAProxy in the foreground on a free port in front of the instances on ``ports``."""
    lb_port = free_port()
    config = work / "haproxy.cfg"
    stats_socket = work / "haproxy.sock" if stats else None
    config.write_text(haproxy_config(lb_port, ports, stats_socket))
    check = subprocess.run([HAPROXY, "-c", "-q", "-f", str(config)], capture_output=True)
    if check.returncode != 0:
        raise RuntimeError(f"haproxy -c: {check.stderr.decode(errors='replace')}")
    log = (work / "haproxy.log").open("wb")
    proc = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        if stats_socket is not None:
            deadline = time.monotonic() + 10
            while not stats_socket.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"HAProxy did not start: {(work / 'haproxy.log').read_text()}"
                    )
                time.sleep(0.02)
        yield HAProxy(lb_port, stats_socket, server_names(len(ports)), proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
