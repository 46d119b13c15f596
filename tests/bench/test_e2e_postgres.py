"""bench/e2e.py --store postgres --instances 2 runs end to end with a handful of users.

Two instances on one durable PostgreSQL behind HAProxy, one PostgreSQL instance alone and
one TinyDB instance, each through whole reports; the last line is JSON with the keys of
../shared/docs/benchmarks.md. Only that it ran and what it counted is checked, never a
timing (the figures are the script's to print).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.haproxy import require_haproxy

pytestmark = pytest.mark.slow  # a PostgreSQL server, HAProxy and four bot processes

ROOT = Path(__file__).resolve().parents[2]


def test_e2e_bench_runs_two_postgres_instances_behind_haproxy(pg_server):
    """Regression: ``--store postgres --instances N`` did not exist, so the issue's figure
    (two instances behind the balancer next to TinyDB, CPU per update of each) had no script."""
    require_haproxy()  # pg_server above: PostgreSQL's binaries are there (or skip / fail in CI)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "e2e.py"), "--store", "postgres",
         "--instances", "2", "--users", "3", "--warmup", "0", "--idle-s", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "e2e" and result["mode"] == "webhook"
    assert result["store"] == "postgres" and result["instances"] == 2
    # Three users, the three scripted reports: 12 + 10 + 11 updates for each run.
    assert result["users"] == 3 and result["updates"] == 33
    assert result["failed_users"] == 0
    # Every update the balancer forwarded is counted on exactly one instance.
    assert len(result["updates_by_instance"]) == 2
    assert sum(result["updates_by_instance"]) == 33
    by_instance = result["cpu_ms_per_update_by_instance"]
    assert len(by_instance) == 2
    assert len(result["cpu_ratio_vs_tinydb_by_instance"]) == 2
    assert len(result["idle_cpu_ms_per_s_by_instance"]) == 2
    assert len(result["net_cpu_ms_per_update_by_instance"]) == 2
    for key in (
        "updates_per_s",
        "p50_ms",
        "p99_ms",
        "single_instance_updates_per_s",
        "single_instance_p99_ms",
        "single_instance_cpu_ms_per_update",
        "tinydb_updates_per_s",
        "tinydb_p99_ms",
        "tinydb_cpu_ms_per_update",
        "bot_cpu_ms_per_update",
        "postgres_cpu_ms_per_update",
        "single_instance_postgres_cpu_ms_per_update",
        "peak_rss_mb",
    ):
        assert result[key] > 0, key
    assert result["synchronous_commit"] == "on"
    for key in ("peer_updates_per_s", "ratio_vs_peer", "cpu_goal_met", "loadavg_1m"):
        assert key in result, key
