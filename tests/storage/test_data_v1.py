"""The committed data directory of the release before UserKey (tests/fixtures/data_v1/).

Made by tests/fixtures/make_legacy_data.py with that release's code; these tests
open a copy of it and read everything in it, so a change that cannot read what
is already on disk shows up here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storage import CaseStatus
from storage.tinydb_store import TinyDBStorage

DATA_V1 = Path(__file__).parents[1] / "fixtures" / "data_v1"


@pytest.fixture
def legacy_dir(tmp_path: Path) -> Path:
    """A copy of the fixture: opening a store writes to its directory."""
    target = tmp_path / "data"
    shutil.copytree(DATA_V1, target)
    return target


def test_the_fixture_is_small():
    files = [p for p in DATA_V1.rglob("*") if p.is_file()]
    assert 10 < len(files) < 40
    assert sum(p.stat().st_size for p in files) < 20_000


def test_everything_in_data_v1_reads(legacy_dir):
    store = TinyDBStorage(legacy_dir)
    try:
        conversations = {r.user_id: r for r in store.iter_conversations()}
        assert set(conversations) == {101, 102, 103, 104, 105}
        assert conversations[104].state == "evidence"
        assert conversations[105].state == "consent"
        rows = {row.case_number: row for row in store.list_cases()}
        statuses = {row.user_id: row.status for row in rows.values()}
        assert statuses == {
            101: CaseStatus.APPROVED,
            102: CaseStatus.DOCUMENTS_REQUESTED,
            103: CaseStatus.REJECTED,
        }
        for number, row in rows.items():
            case = store.get_case(number)
            assert case is not None and case.user_id == row.user_id
            assert conversations[row.user_id].case_number == number
            (ref,) = case.evidence
            with store.open_evidence(ref.sha256) as f:
                assert f.read() == f"ledger-{row.user_id}".encode()
            actions = [e.action for e in store.iter_audit(number)]
            assert actions[0] == "case.created"
            assert any(a.startswith("review.") for a in actions)
        (held,) = conversations[104].evidence_sha256()
        assert store.evidence_holders(held) == {"draft:104"}
        assert store.load_user_lang(103) == "en"
        assert store.load_user_lang(101) is None
        assert all(store.seen_update(u) for u in range(9001, 9006))
        assert not store.seen_update(9006)
    finally:
        store.close()
