"""bench/e2e.py runs end to end with a handful of users and prints its JSON last line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_e2e_bench_runs_both_bots_through_whole_reports():
    # Three users cover the three scripted reports (12, 9 and 10 updates); no warm-up.
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "e2e.py"), "--users", "3", "--warmup", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "e2e" and result["mode"] == "webhook"
    assert result["users"] == 3 and result["updates"] == 31
    assert result["failed_users"] == 0
    for key in ("updates_per_s", "p50_ms", "p99_ms", "peer_updates_per_s", "ratio_vs_peer"):
        assert result[key] > 0, key
    assert result["peak_rss_mb"] > 0
