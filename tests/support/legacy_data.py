"""Data directories written by earlier releases, migrated, for running the bot, the soak and the benchmarks on.

The proof that an upgrade loses nothing is that everything still passes on a
directory ``python -m bot migrate`` converted: ``migrated_copy`` copies a
committed one (tests/fixtures/data_v1, layout 1; data_v2, layout 2) and migrates
it, and ``legacy_cases`` says what it held, to check afterwards that it is all
still there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from flows.identity import UserKey
from storage.migrate import migrate
from storage.tinydb_store import TinyDBStorage

REPO = Path(__file__).resolve().parents[2]
DATA_V1 = REPO / "tests" / "fixtures" / "data_v1"
DATA_V2 = REPO / "tests" / "fixtures" / "data_v2"
# The Telegram users of both fixtures; 104 and 105 have drafts from 2022 that the bot
# expires (telling them) as soon as it starts.
LEGACY_USERS = (101, 102, 103, 104, 105, 106)
EXPIRED_AT_START = (104, 105)


def migrated_copy(target: Path, source: Path = DATA_V1, *, command: bool = False) -> str:
    """Copy ``source`` to ``target`` (which must not exist) and migrate it; return what was done.

    With ``command`` it runs ``python -m bot migrate`` as an operator would (its
    output is returned), else :func:`storage.migrate.migrate` in this process.
    The backup the migration makes lands beside ``target``.
    """
    if target.exists():
        raise FileExistsError(f"{target} exists: a migrated copy needs a fresh path")
    shutil.copytree(source, target)
    if not command:
        return repr(migrate(target))
    env = {k: v for k, v in os.environ.items() if k != "DATA_DIR"}
    env["DATA_DIR"] = str(target)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m bot migrate failed: {done.stderr.strip()}")
    return done.stdout.strip()


def legacy_cases(data_dir: Path) -> dict[str, tuple[UserKey, tuple[str, ...]]]:
    """Every case in ``data_dir``: number -> (user, evidence sha256s). The store must be closed."""
    store = TinyDBStorage(data_dir)
    try:
        return {
            row.case_number: (row.user_id, tuple(sorted(row.evidence_sha256)))
            for row in store.list_cases()
        }
    finally:
        store.close()


def missing_cases(data_dir: Path, before: dict[str, tuple[UserKey, tuple[str, ...]]]) -> list[str]:
    """What of ``before`` (from :func:`legacy_cases`) is no longer in ``data_dir``: [] when nothing.

    Each case must still exist under its number, for the same user, with the same
    evidence files, each readable with the bytes its name promises.
    """
    problems = []
    store = TinyDBStorage(data_dir)
    try:
        for number, (user, evidence) in before.items():
            case = store.get_case(number)
            if case is None:
                problems.append(f"legacy case {number} is gone")
                continue
            if case.user_id != user:
                problems.append(f"legacy case {number} belongs to {case.user_id}, not {user}")
            if tuple(sorted(ref.sha256 for ref in case.evidence)) != evidence:
                problems.append(f"legacy case {number} has other evidence")
            for digest in evidence:
                with store.open_evidence(digest) as f:
                    if hashlib.sha256(f.read()).hexdigest() != digest:
                        problems.append(f"legacy case {number}: evidence {digest[:12]} damaged")
    finally:
        store.close()
    return problems
