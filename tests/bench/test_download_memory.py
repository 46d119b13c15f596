"""The bot's memory stays bounded while a hundred 20 MB files arrive at once (bench/downloads.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a hundred 20 MB downloads in a subprocess

ROOT = Path(__file__).resolve().parents[2]
ALLOWANCE_MB = 48  # the stated bound: peak RSS at most this far above the baseline


def test_rss_stays_bounded_while_100_files_of_20_mb_arrive():
    """Regression: every file was downloaded at once and held twice in memory.

    20 PDFs of 8 MB took the bot from 60 to 272 MiB, growing linearly with the
    files (50 of 20 MB: 1.5 GiB). The bot runs in its own process against the
    Bot API stand-in; 100 files of 20 MB are posted to its webhook together, for
    ten users at the evidence question. Its peak RSS must stay within
    ALLOWANCE_MB of what it was before them, every file must be stored, and no
    temporary file may be left behind.
    """
    bench = str(ROOT / "bench" / "downloads.py")
    sizes = ["--files", "100", "--file-mb", "20", "--users", "10"]
    done = subprocess.run(
        [sys.executable, bench, *sizes, "--allowance-mb", str(ALLOWANCE_MB)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "downloads", done.stdout[-2000:] + done.stderr[-2000:]
    assert result["webhook_failures"] == 0
    assert result["stored"] == 100 and result["spool_left"] == 0
    assert result["peak_rss_mb"] <= result["baseline_rss_mb"] + ALLOWANCE_MB, result
    assert result["within_bound"] and done.returncode == 0
