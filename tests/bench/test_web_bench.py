"""bench/web.py runs end to end with a handful of people and prints its JSON last line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # whole reports through the web chat and the Telegram webhook

ROOT = Path(__file__).resolve().parents[2]
KEYS = (
    "users",
    "steps_per_s",
    "reports_per_s",
    "p50_ms",
    "p99_ms",
    "cpu_ms_per_step",
    "telegram_cpu_ms_per_update",
    "failed_users",
    "peak_rss_mb",
    "sys_ms_per_step",
    "intake_cpu_ms_per_step",
    "intake_sys_ms_per_step",
    "telegram_intake_cpu_ms_per_update",
    "web_door_cpu_ms_per_step",
    "telegram_door_cpu_ms_per_update",
    "bare_http",
    "telegram_paced_cpu_ms_per_update",
    "telegram_paced_door_cpu_ms_per_update",
    "loop_cpu_ms_per_step",
    "workers_cpu_ms_per_step",
    "switches_per_step",
)


def test_web_bench_files_whole_reports_with_and_without_the_script():
    bench = str(ROOT / "bench" / "web.py")
    small = ["--paced", "3", "--pace-s", "0.05", "--burst", "3", "--telegram", "3"]
    done = subprocess.run(
        [sys.executable, bench, *small],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "web" and all(key in result for key in KEYS)
    assert result["users"] == 3 and result["failed_users"] == 0
    for key in ("steps_per_s", "reports_per_s", "cpu_ms_per_step", "telegram_cpu_ms_per_update"):
        assert result[key] > 0, key
    assert result["no_script"]["reports_per_s"] > 0 and result["burst"]["failed_users"] == 0
    # The floor (the same steps through the intake alone) and the doors' own part above it.
    assert result["intake_cpu_ms_per_step"] > 0 and result["telegram_intake_cpu_ms_per_update"] > 0
    assert result["web_door_cpu_ms_per_step"] == round(
        result["cpu_ms_per_step"] - result["intake_cpu_ms_per_step"], 3
    )
    assert result["telegram_door_cpu_ms_per_update"] == round(
        result["telegram_cpu_ms_per_update"] - result["telegram_intake_cpu_ms_per_update"], 3
    )
    # The Telegram path paced like the web chat, and where the server's time went per step.
    assert result["telegram_paced_cpu_ms_per_update"] > 0
    assert result["telegram_paced_door_cpu_ms_per_update"] == round(
        result["telegram_paced_cpu_ms_per_update"] - result["telegram_intake_cpu_ms_per_update"], 3
    )
    assert result["switches_per_step"] > 0
    assert result["loop_cpu_ms_per_step"] + result["workers_cpu_ms_per_step"] == pytest.approx(
        result["cpu_ms_per_step"], abs=0.002
    )
    bare = result["bare_http"]
    assert set(bare) == {"paced", "at_once", "paced_hop", "at_once_hop"}
    assert all(b["requests"] == 3 * 12 for b in bare.values())
