"""bench/kakao.py runs whole reports through the KakaoTalk skill and prints its JSON last line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a bot process and whole reports

ROOT = Path(__file__).resolve().parents[2]


def test_kakao_bench_files_whole_reports():
    # Five people: two small businesses (13 steps, one photo) and three general users (8).
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "kakao.py"), "--users", "5", "--think-ms", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "kakao" and result["users"] == 5
    assert result["steps"] == 2 * 13 + 3 * 8 and result["reports"] == 5
    assert result["failed_users"] == 0 and result["over_5s"] == 0
    for key in ("steps_per_s", "p50_ms", "p99_ms", "max_ms", "cpu_ms_per_step"):
        assert result[key] > 0, key
