"""Kill a process using the TinyDB storage at random moments; nothing it promised may be lost."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from flows.identity import UserKey
from storage.data_layout import DataLayout
from storage.tinydb_store import TinyDBStorage, rebuild_index

pytestmark = pytest.mark.slow  # twenty-odd processes killed at random moments

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 25
MIN_KILLS = 20
# Past this, stop after MIN_KILLS even on a slow machine (a bound, not an assertion).
TIME_BUDGET_S = 30.0


def run_and_kill(data_dir: Path, out: Path, seed: int, rng: random.Random) -> None:
    """Start the workload, let it run a random while, then SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(out, "wb") as stdout:
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(data_dir), str(seed)],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
        )
    try:
        if rng.random() < 0.2:
            # Sometimes die during start-up, while the last crash is being settled.
            time.sleep(rng.uniform(0.0, 0.4))
        else:
            deadline = time.monotonic() + 15
            while b"ready" not in out.read_bytes():
                assert child.poll() is None, f"workload exited with {child.returncode}"
                assert time.monotonic() < deadline, "workload did not start"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.01, 0.35))
        assert child.poll() is None, f"workload exited with {child.returncode}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_nothing_promised_is_lost_across_kills(tmp_path):
    data_dir = tmp_path / "data"
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    printed: dict[str, set[str]] = defaultdict(set)
    started = time.monotonic()
    for kill in range(KILLS):
        out = tmp_path / f"out-{kill}.txt"
        run_and_kill(data_dir, out, seed + kill, rng)
        for line in out.read_text().splitlines():
            if line.startswith("case "):
                _, draft_id, number = line.split()
                printed[draft_id].add(number)
        if kill + 1 >= MIN_KILLS and time.monotonic() - started > TIME_BUDGET_S:
            break
    assert len(printed) >= MIN_KILLS, "the workload barely created cases"

    # One draft, one case number, however often it was submitted again.
    assert all(len(numbers) == 1 for numbers in printed.values()), f"seed {seed}"

    store = TinyDBStorage(data_dir)  # settles whatever the last kill interrupted
    try:
        for draft_id, (number,) in printed.items():
            case = store.get_case(number)
            assert case is not None, f"printed case {number} is lost (seed {seed})"
            assert case.draft_id == draft_id

        rows = store.list_cases()
        cases = [store.get_case(row.case_number) for row in rows]
        assert [c.summary() for c in cases] == rows
        draft_ids = [c.draft_id for c in cases]
        assert len(set(draft_ids)) == len(draft_ids), "a draft became two cases"

        layout = DataLayout(data_dir)
        conversations = 0
        for path in layout.iter_conversation_files():
            record = store.load_conversation(UserKey.parse(path.stem))
            conversations += 1
            if record.case_number is not None:
                assert store.get_case(record.case_number).draft_id == record.draft_id
        assert conversations > 0
    finally:
        store.close()

    # A killed process leaves whole lines and whole files: nothing was torn or
    # quarantined, every log line reads, every evidence file is intact.
    assert list(layout.quarantine_dir.iterdir()) == []
    for log_file in (layout.index_file, layout.audit_file, layout.request_ids_file):
        for line in log_file.read_text().splitlines():
            json.loads(line)
    audited = set()
    for line in layout.audit_file.read_text().splitlines():
        entry = json.loads(line)
        if entry["action"] == "case.created":
            audited.add(entry["case_number"])
    assert {row.case_number for row in rows} <= audited, "a case without its audit entry"
    for path in layout.evidence_dir.glob("*/*"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name

    # The index equals one rebuilt from the case files alone.
    assert rebuild_index(data_dir) == len(rows)
    rebuilt = TinyDBStorage(data_dir)
    try:
        assert rebuilt.list_cases() == rows
    finally:
        rebuilt.close()
