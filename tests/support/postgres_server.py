"""A throw-away PostgreSQL server for the tests: initdb in a temporary directory, on a free port.

The server binaries come from Debian's ``postgresql`` package (``make test`` installs it
when missing and running as root, as it does Chromium). PostgreSQL refuses to run as
root, so as root the server runs as the ``postgres`` system user (or ``nobody``), which
owns the temporary directory; anyone else runs it as themselves. Authentication is
``trust`` on 127.0.0.1 only, and the directory is removed when the server stops.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"

# Tests trade durability for speed (the server dies with the test run anyway);
# the benchmarks start theirs with fsync on (see bench/storage.py).
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: PG_BINDIR, Debian's newest, or PATH."""
    if os.environ.get("PG_BINDIR"):
        path = Path(os.environ["PG_BINDIR"])
        return path if (path / "pg_ctl").exists() else None

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.parent.name))

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One server in its own temporary directory; ``url(db)`` names a database on it."""

    def __init__(self, bindir: Path, *, settings: dict[str, str] | None = None) -> None:
        self.bindir = bindir
        self.settings = dict(FAST_SETTINGS if settings is None else settings)
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    self._user = pwd.getpwnam(name)
                    break
            if self._user is None:
                raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run as")
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            check=check,
            capture_output=True,
            text=True,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "HOME": str(self.root)},
            **kwargs,  # type: ignore[call-overload]
        )

    def start(self) -> PostgresServer:
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        for _attempt in range(5):
            self.port = free_port()
            if self._pg_ctl("start").returncode == 0:
                return self
        raise RuntimeError(f"PostgreSQL did not start: {self.log.read_text(errors='replace')}")

    def _pg_ctl(self, action: str, *extra: str) -> subprocess.CompletedProcess[str]:
        options = [
            f"-p {self.port}",
            f"-k {self.root}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=200",
            *(f"-c {k}={v}" for k, v in self.settings.items()),
        ]
        return self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", " ".join(options), action, *extra, check=False,
        )  # fmt: skip

    def restart(self, mode: str = "fast") -> None:
        """``pg_ctl restart -m mode`` (``immediate`` is a crash and recovery)."""
        done = self._pg_ctl("restart", "-m", mode)
        if done.returncode != 0:
            raise RuntimeError(f"restart failed: {done.stderr}{self.log.read_text()}")

    def halt(self) -> None:
        """Stop the server as a crash does (``-m immediate``), keeping its files for :meth:`resume`."""
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"stop failed: {done.stderr}{self.log.read_text()}")

    def resume(self) -> None:
        """Start the halted server again on the same port (crash recovery runs first)."""
        done = self._pg_ctl("start")
        if done.returncode != 0:
            raise RuntimeError(f"start failed: {done.stderr}{self.log.read_text()}")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        # Wait briefly for the postmaster to be gone before removing its files.
        for _ in range(50):
            if not (self.data / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
