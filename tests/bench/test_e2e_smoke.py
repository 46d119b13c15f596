"""bench/e2e.py runs end to end with a handful of users and prints its JSON last line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the end-to-end benchmark, whole reports for every bot

ROOT = Path(__file__).resolve().parents[2]


def test_e2e_bench_runs_every_bot_through_whole_reports():
    # Three users cover the three scripted reports (12, 9 and 10 updates); no warm-up.
    bench = str(ROOT / "bench" / "e2e.py")
    done = subprocess.run(
        [sys.executable, bench, "--users", "3", "--warmup", "0", "--floor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "e2e" and result["mode"] == "webhook"
    assert result["users"] == 3 and result["updates"] == 33  # 12 + 10 + 11 steps
    assert result["failed_users"] == 0
    keys = ("updates_per_s", "p50_ms", "p99_ms", "peer_updates_per_s", "ratio_vs_peer")
    for key in (*keys, "floor_updates_per_s", "floor_p99_ms"):
        assert result[key] > 0, key
    assert result["peak_rss_mb"] > 0


def test_e2e_bench_runs_on_a_directory_migrated_from_the_release_before(tmp_path):
    """``--migrated``: our bot starts on tests/fixtures/data_v1 converted by ``python -m
    bot migrate``, runs whole reports as on a new directory, and loses none of its cases."""
    bench = str(ROOT / "bench" / "e2e.py")
    done = subprocess.run(
        [sys.executable, bench, "--users", "3", "--warmup", "0", "--skip-peer", "--migrated"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "migrated " in done.stdout and "3 cases" in done.stdout
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["migrated_from"].endswith("data_v1")
    assert result["updates"] == 33 and result["failed_users"] == 0
    assert result["legacy_cases"] == 3 and result["legacy_cases_missing"] == 0
