"""The benchmarks that need no bot process run end to end at a tiny size and print their JSON.

Regression: bench/flow.py, bench/storage.py and bench/export.py still built
Telegram ``int`` user ids after users became UserKeys, and died with a
TypeError before measuring anything; no test ran them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # whole benchmark scripts, with a child process each

ROOT = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_flow_bench_runs():
    result = run_bench("flow.py", "--conversations", "30", "--repeat", "1")
    assert result["bench"] == "flow" and result["conversations"] == 30
    assert result["steps_per_s"] > 0


def test_storage_bench_runs():
    result = run_bench("storage.py", "--sizes", "200", "--ops", "20")
    assert result["bench"] == "storage"
    assert result["sizes"]["200"]["create_case_p50_ms"] > 0


def test_export_bench_runs(tmp_path):
    result = run_bench("export.py", "--cases", "600", "--data-dir", str(tmp_path / "data"))
    assert result["bench"] == "export" and result["cases"] == 600


def test_storage_bench_runs_on_postgres(pg_server):
    """The PostgreSQL run on the tests' server (its own durable one when run by hand)."""
    result = run_bench(
        "storage.py", "--store", "postgres", "--sizes", "200,400", "--ops", "20",
        "--tinydb-size", "200", "--database-url", pg_server.url(),
    )  # fmt: skip
    assert result["bench"] == "storage" and result["store"] == "postgres"
    assert result["sizes"]["400"]["create_case_p50_ms"] > 0
    assert result["sizes"]["400"]["list_page_ms"] > 0
    assert result["tinydb_200"]["create_case_p50_ms"] > 0


def test_export_bench_runs_on_postgres(pg_server):
    result = run_bench(
        "export.py", "--store", "postgres", "--cases", "600", "--database-url", pg_server.url()
    )
    assert result["bench"] == "export" and result["store"] == "postgres"
    assert result["cases"] == 600 and result["csv_s"] > 0 and result["peak_rss_mb"] > 0


def test_restart_bench_runs(pg_server):
    """bench/pg_restart.py starts a server of its own (pg_server: the binaries are there)."""
    result = run_bench("pg_restart.py", "--rounds", "1", "--skip", "outage,waiting")
    assert result["bench"] == "pg_restart" and result["restart_first_call_failed"] == 0


def test_form_read_bench_runs():
    """bench/form_read.py reads both of the web chat's form shapes and prints its figures."""
    result = run_bench("form_read.py", "--calls", "10", "--repeat", "1")
    assert result["bench"] == "form_read"
    assert result["urlencoded_us"] > 0 and result["multipart_us"] > 0
    assert len(result["urlencoded_runs_us"]) == len(result["multipart_runs_us"]) == 1
