"""The committed data directory of the release before UserKey (tests/fixtures/data_v1/).

Made by tests/fixtures/make_legacy_data.py with that release's code (users were
Telegram ints). These tests run ``migrate`` on a copy of it and read everything
back under ``telegram:<id>`` keys; the bot refuses the unmigrated copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import CONSOLE_USER_ID
from bot.intake import IntakeService
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput, CommandInput
from flows.policy import load_policy
from storage import CaseStatus, DataDirInUse, NeedsMigration
from storage.data_layout import DataLayout, fan_out
from storage.migrate import migrate
from storage.read_only import ReadOnlyStorage
from storage.tinydb_store import TinyDBStorage, lock_data_dir
from tests.bot.test_serve import plain_env
from tests.support.users import tg

DATA_V1 = Path(__file__).parents[1] / "fixtures" / "data_v1"
# 2026-12-05 04:00:00 UTC, for the backup's name.
NOW = 1_796_443_200.0


@pytest.fixture
def legacy_dir(tmp_path: Path) -> Path:
    """A copy of the fixture: migrating and opening write to the directory."""
    target = tmp_path / "data"
    shutil.copytree(DATA_V1, target)
    return target


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the lock and temporary files, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock" and "tmp" not in p.relative_to(root).parts
    }


def test_the_fixture_is_small():
    files = [p for p in DATA_V1.rglob("*") if p.is_file()]
    assert 10 < len(files) < 40
    assert sum(p.stat().st_size for p in files) < 20_000


def test_an_unmigrated_directory_is_refused_by_the_stores(legacy_dir):
    """Regression: the upgrade must not read Telegram ints as user keys (or crash on them)."""
    before = snapshot(legacy_dir)
    with pytest.raises(NeedsMigration, match="python -m bot migrate"):
        TinyDBStorage(legacy_dir)
    with pytest.raises(NeedsMigration, match="python -m bot migrate"):
        ReadOnlyStorage(legacy_dir)
    assert snapshot(legacy_dir) == before


def test_migrate_keeps_everything_under_telegram_keys(legacy_dir):
    before = snapshot(legacy_dir)
    done = migrate(legacy_dir, now=NOW)
    assert done.backup == legacy_dir.with_name("data.backup-20261205T040000Z")
    assert snapshot(done.backup) == before  # the directory as it was
    assert (done.conversations, done.users, done.cases) == (5, 1, 3)
    assert done.audit_entries == 3 and done.quarantined == 0
    store = TinyDBStorage(legacy_dir)
    try:
        conversations = {r.user_id: r for r in store.iter_conversations()}
        assert set(conversations) == {tg(101), tg(102), tg(103), tg(104), tg(105)}
        assert conversations[tg(104)].state == "evidence"
        assert conversations[tg(105)].state == "consent"
        rows = {row.case_number: row for row in store.list_cases()}
        assert {row.user_id: row.status for row in rows.values()} == {
            tg(101): CaseStatus.APPROVED,
            tg(102): CaseStatus.DOCUMENTS_REQUESTED,
            tg(103): CaseStatus.REJECTED,
        }
        for number, row in rows.items():
            case = store.get_case(number)
            assert case is not None and case.user_id == row.user_id
            assert case.user_id.channel == "telegram"
            assert conversations[row.user_id].case_number == number
            (ref,) = case.evidence
            with store.open_evidence(ref.sha256) as f:
                assert f.read() == f"ledger-{row.user_id.id}".encode()
            entries = list(store.iter_audit(number))
            assert entries[0].action == "case.created"
            assert entries[0].actor == f"user:telegram:{row.user_id.id}"
            assert any(
                e.action.startswith("review.") and e.actor.startswith("staff:") for e in entries
            )
            assert store.evidence_holders(ref.sha256) == {f"case:{number}"}
        (held,) = conversations[tg(104)].evidence_sha256()
        assert store.evidence_holders(held) == {"draft:telegram:104"}
        assert store.load_user_lang(tg(103)) == "en"
        assert store.load_user_lang(tg(101)) is None
        assert all(store.seen_request("telegram", str(u)) for u in range(9001, 9006))
        assert not store.seen_request("telegram", "9006")
        assert len(list(store.iter_audit())) == 9
    finally:
        store.close()


def test_after_migrating_people_carry_on_and_see_their_cases(legacy_dir):
    migrate(legacy_dir, now=NOW)
    store = TinyDBStorage(legacy_dir)
    try:
        service = IntakeService(IntakeFlow(load_policy()), store)
        # 104 was at the evidence step with one file: done, then submit.
        replies = service.handle(tg(104), ChoiceInput("evidence", "done"))
        assert store.load_conversation(tg(104)).state == "summary", replies[-1].text
        service.handle(tg(104), ChoiceInput("summary", "submit"))
        number = store.load_conversation(tg(104)).case_number
        case = store.get_case(number)
        assert case.user_id == tg(104) and [e.name for e in case.evidence] == ["shot.png"]
        # 101 asks for their status and sees the approved case they filed before.
        (row,) = (r for r in store.list_cases() if r.user_id == tg(101))
        status = service.handle(tg(101), CommandInput("status"))[-1].text
        assert row.case_number in status
        # 103 chose English with /lang before the upgrade; the bot still speaks it.
        assert service.user_lang(tg(103)) == "en"
    finally:
        store.close()


def test_migrating_twice_changes_nothing(legacy_dir):
    migrate(legacy_dir, now=NOW)
    once = snapshot(legacy_dir)
    again = migrate(legacy_dir, now=NOW + 60)
    assert again.backup is None
    assert snapshot(legacy_dir) == once
    assert sorted(p.name for p in legacy_dir.parent.iterdir()) == [
        "data",
        "data.backup-20261205T040000Z",
    ]


def test_migrate_refuses_while_the_directory_is_held(legacy_dir):
    before = snapshot(legacy_dir)
    fd = lock_data_dir(DataLayout(legacy_dir))  # as the running bot holds it
    try:
        with pytest.raises(DataDirInUse):
            migrate(legacy_dir, now=NOW)
    finally:
        os.close(fd)
    assert snapshot(legacy_dir) == before
    assert [p.name for p in legacy_dir.parent.iterdir()] == ["data"]  # no backup either


def run_bot(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=plain_env(DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args", [[], ["serve"], ["chat"], ["export"], ["stats"], ["reindex"]], ids=" ".join
)
def test_commands_refuse_an_unmigrated_directory_naming_migrate(legacy_dir, args):
    before = snapshot(legacy_dir)
    done = run_bot(args, legacy_dir)
    assert done.returncode == 2, done.stderr
    assert "python -m bot migrate" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(legacy_dir) == before


def test_the_migrate_command_then_the_bot_opens(legacy_dir):
    done = run_bot(["migrate"], legacy_dir)
    assert done.returncode == 0, done.stderr
    assert "5 conversations" in done.stdout and "data.backup-" in done.stdout
    assert "up to date" in run_bot(["migrate"], legacy_dir).stdout
    stats = run_bot(["stats"], legacy_dir)
    assert stats.returncode == 0, stats.stderr


def test_the_console_user_of_layout_1_becomes_the_console_key(legacy_dir):
    """The console chat kept its one person as user 1; after migrating they are console:1
    (what bot/console.py now uses), not a Telegram user."""
    old = legacy_dir / "conversations" / fan_out("105") / "105.json"
    console = legacy_dir / "conversations" / fan_out("1") / "1.json"
    console.parent.mkdir(exist_ok=True)
    console.write_text(old.read_text().replace('"user_id":105', '"user_id":1'))
    migrate(legacy_dir, now=NOW)
    store = TinyDBStorage(legacy_dir)
    try:
        record = store.load_conversation(CONSOLE_USER_ID)
        assert record is not None and record.state == "consent"
        assert store.load_conversation(tg(1)) is None
    finally:
        store.close()


# -- changes to cases a crash left unfinished before the upgrade --------------------------

RESERVED = "HJK-MNP-QR6"  # a well-formed number no case of the fixture has
DRAFT_104 = "7b2bf23828a7465b894db9d53c8a7cc9"
REJECTED = "N2Q-T4Y-45Q"  # 103's case, rejected by staff:bob


def crash_during_submit_of_104(root: Path) -> None:
    """The old bot was killed after reserving a number for 104's draft (the ``begin``
    line), before the case file was written; nobody restarted it before upgrading."""
    audit = {
        "at": 1666141080.0,
        "actor": "user:104",
        "action": "case.created",
        "case_number": RESERVED,
        "detail": {"draft_id": DRAFT_104, "tier": "review"},
    }
    line = {"op": "begin", "seq": 6, "case_number": RESERVED, "draft_id": DRAFT_104}
    with open(root / "case_index.jsonl", "a") as f:
        f.write(json.dumps({**line, "audit": audit}, separators=(",", ":")) + "\n")


def crash_during_rejection(root: Path) -> None:
    """The old bot was killed while staff rejected 103's case: the case file says
    rejected, but the audit entries and the index row were never written."""
    index = root / "case_index.jsonl"
    lines = index.read_text().splitlines(keepends=True)
    assert json.loads(lines[-1])["op"] == "row" and json.loads(lines[-1])["seq"] == 5
    index.write_text("".join(lines[:-1]))
    audit = root / "audit.jsonl"
    kept = [ln for ln in audit.read_text().splitlines(keepends=True) if "staff:bob" not in ln]
    audit.write_text("".join(kept))


def test_a_number_reserved_before_the_upgrade_is_still_the_drafts(legacy_dir):
    """Regression: migrate dropped the case index, and with it the number a submit in
    flight had reserved for its draft; submitting again after the upgrade drew another
    number instead of the reserved one, and the reserved one was free to be drawn again."""
    crash_during_submit_of_104(legacy_dir)
    migrate(legacy_dir, now=NOW)
    store = TinyDBStorage(legacy_dir)
    try:
        service = IntakeService(IntakeFlow(load_policy()), store)
        service.handle(tg(104), ChoiceInput("evidence", "done"))
        service.handle(tg(104), ChoiceInput("summary", "submit"))
        assert store.load_conversation(tg(104)).case_number == RESERVED
        case = store.get_case(RESERVED)
        assert case.user_id == tg(104) and case.draft_id == DRAFT_104
        created = [e for e in store.iter_audit(RESERVED) if e.action == "case.created"]
        assert [e.actor for e in created] == ["user:telegram:104"]
        assert len(store.list_cases()) == 4
    finally:
        store.close()


def test_a_change_in_flight_before_the_upgrade_keeps_its_audit_entry(legacy_dir):
    """Regression: migrate rebuilt the index from the case files, so a change the old
    bot had written to a case file but not yet audited (it settles that when it opens)
    lost its audit entry: the case said rejected, its trail said nothing of who did it."""
    crash_during_rejection(legacy_dir)
    migrate(legacy_dir, now=NOW)
    store = TinyDBStorage(legacy_dir)
    try:
        (row,) = (r for r in store.list_cases() if r.case_number == REJECTED)
        assert row.status is CaseStatus.REJECTED and row.user_id == tg(103)
        (entry,) = (e for e in store.iter_audit(REJECTED) if e.action == "case.updated")
        assert entry.actor == "staff:bob" and entry.detail["recovered"] is True
        assert entry.detail["changes"]["status"]["to"] == "rejected"
    finally:
        store.close()


def test_migrating_with_changes_in_flight_twice_changes_nothing(legacy_dir):
    crash_during_rejection(legacy_dir)
    crash_during_submit_of_104(legacy_dir)
    migrate(legacy_dir, now=NOW)
    once = snapshot(legacy_dir)
    assert migrate(legacy_dir, now=NOW + 60).backup is None
    assert snapshot(legacy_dir) == once
