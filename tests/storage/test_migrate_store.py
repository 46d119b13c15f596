"""``python -m bot migrate-store --to postgres`` on a generated TinyDB data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import CaseChange, CaseStatus, EvidenceRef
from storage.postgres import PostgresStorage
from storage.records import AuditEntry, CaseMessage, Notice, draft_holder
from storage.tinydb_store import TinyDBStorage
from tests.support.users import tg

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def generated(tmp_path, make_draft, make_conversation) -> Path:
    """A data directory with some of everything the bot writes."""
    root = tmp_path / "data"
    tiny = TinyDBStorage(root)
    try:
        shared = tiny.put_evidence(b"the same receipt twice")
        for i in range(12):
            refs = [EvidenceRef(sha256=shared, name="r.jpg", mime="image/jpeg", size=22)]
            if i % 3 == 0:
                own = tiny.put_evidence(f"statement {i}".encode() * 100)
                refs.append(EvidenceRef(sha256=own, name="s.pdf", mime="application/pdf", size=1))
            case = tiny.create_case(
                make_draft(user_id=tg(100 + i % 8), evidence=refs), now=1000.0 + i
            )
            if i % 4 == 0:
                tiny.update_case(
                    case.case_number,
                    CaseChange(actor="staff:kim", now=2000.0 + i, status=CaseStatus.APPROVED),
                )
            if i == 5:
                tiny.add_case_message(
                    CaseMessage("m1", case.case_number, "user", "언제 돼요?", at=3000.0)
                )
        for i in range(5):
            user = tg(500 + i)
            tiny.save_conversation(make_conversation(user, updated_at=4000.0 + i))
            tiny.put_evidence(f"draft photo {i}".encode(), holder=draft_holder(user))
            tiny.save_user_lang(user, "en" if i % 2 else "ko")
        tiny.append_audit(AuditEntry(at=5000.0, actor="system", action="bot.started"))
        for n, delivered in (("n1", None), ("n2", 6001.0)):
            tiny.add_notice(
                Notice(n, tg(100), None, "review", ({"text": "결과가 나왔어요"},), 6000.0)
            )
            if delivered:
                tiny.mark_notice_delivered(n, delivered)
        # A draft's reminder dropped by /delete_my_data: a tombstone line, not copied.
        tiny.add_notice(Notice("n3", tg(101), None, "reminder", ({"text": "남아 있어요"},), 6002.0))
        tiny.drop_caseless_notices(tg(101))
        for update_id in range(900, 910):
            tiny.mark_request("telegram", str(update_id))
        tiny.mark_request("web", "form-token-1")
    finally:
        tiny.close()
    return root


def migrate_store(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_DIR")}
    env.update(DATA_DIR=str(data_dir), DATABASE_URL=url, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate-store", "--to", "postgres"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_everything_is_copied_and_verified_and_again_changes_nothing(
    generated, pg_database, make_draft
):
    first = migrate_store(generated, pg_database)
    assert first.returncode == 0, first.stderr
    assert "12 cases, 5 conversations, 5 language choices, 10 evidence files" in first.stdout
    again = migrate_store(generated, pg_database)
    assert again.returncode == 0, again.stderr
    assert "(0 copied now)" in again.stdout

    tiny, pg = TinyDBStorage(generated), PostgresStorage(pg_database)
    try:
        assert pg.list_cases() == tiny.list_cases()
        for row in tiny.list_cases():
            assert pg.get_case(row.case_number) == tiny.get_case(row.case_number)
        assert list(pg.iter_audit()) == list(tiny.iter_audit())
        by_user = {r.user_id: r for r in tiny.iter_conversations()}
        assert {r.user_id: r for r in pg.iter_conversations()} == by_user
        assert all(pg.load_user_lang(u) == tiny.load_user_lang(u) for u in by_user)
        for path in (generated / "evidence").glob("??/*"):
            with pg.open_evidence(path.name) as fh:
                assert fh.read() == path.read_bytes()
            assert pg.evidence_holders(path.name) == tiny.evidence_holders(path.name)
        assert pg.undelivered_notices() == tiny.undelivered_notices()
        assert pg.get_notice("n2") == tiny.get_notice("n2")
        assert pg.get_notice("n3") is None
        assert pg.seen_request("telegram", "905") and pg.seen_request("web", "form-token-1")
        assert not pg.seen_request("web", "905")
        # The store goes on: a new case gets a number of its own.
        new = pg.create_case(make_draft(draft_id="after-the-move"), now=9000.0)
        assert new.case_number not in {r.case_number for r in tiny.list_cases()}
    finally:
        tiny.close()
        pg.close()


def test_refused_while_the_bot_holds_the_directory(generated, pg_database):
    bot = TinyDBStorage(generated)  # the bot's lock on the directory
    try:
        result = migrate_store(generated, pg_database)
    finally:
        bot.close()
    assert result.returncode == 2
    assert "in use by another process" in result.stderr
    pg = PostgresStorage(pg_database)
    try:
        assert pg.list_cases() == []  # nothing was copied
    finally:
        pg.close()


def test_a_damaged_evidence_file_stops_the_copy(generated, pg_database):
    victim = sorted((generated / "evidence").glob("??/*"))[0]
    victim.write_bytes(b"not what was sent")
    result = migrate_store(generated, pg_database)
    assert result.returncode == 2
    assert "does not hold the bytes of its name" in result.stderr


def test_needs_database_url(generated):
    result = migrate_store(generated, "")
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr
