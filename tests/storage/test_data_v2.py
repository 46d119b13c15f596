"""The committed data directory of layout 2 (tests/fixtures/data_v2/).

Made by tests/fixtures/make_layout2_data.py with that release's code: users are
UserKeys, processed Telegram update ids are bare ints in ``update_ids.jsonl``.
Layout 3 keeps processed request ids per channel (``request_ids.jsonl``); these
tests run ``migrate`` on a copy and check nothing is lost.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.intake import IntakeService
from flows.conversation import IntakeFlow
from flows.messages import ChoiceInput
from flows.policy import load_policy
from storage import NeedsMigration
from storage.data_layout import DataLayout
from storage.migrate import migrate
from storage.read_only import ReadOnlyStorage
from storage.schema import DATA_SCHEMA
from storage.tinydb_store import TinyDBStorage
from tests.storage.test_data_v1 import NOW, run_bot, snapshot
from tests.support.users import tg

DATA_V2 = Path(__file__).parents[1] / "fixtures" / "data_v2"


@pytest.fixture
def layout2_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_V2, target)
    return target


def test_the_fixture_is_layout_2_with_int_update_ids():
    assert json.loads((DATA_V2 / "schema.json").read_text()) == {"schema": 2}
    assert (DATA_V2 / "update_ids.jsonl").read_text().split() == [str(n) for n in range(9001, 9008)]


def test_a_layout_2_directory_is_refused_by_the_stores(layout2_dir):
    before = snapshot(layout2_dir)
    with pytest.raises(NeedsMigration, match="layout 2"):
        TinyDBStorage(layout2_dir)
    with pytest.raises(NeedsMigration, match="python -m bot migrate"):
        ReadOnlyStorage(layout2_dir)
    assert snapshot(layout2_dir) == before


def test_migrate_carries_the_update_ids_over_as_telegram_requests(layout2_dir):
    """Regression: the update ids of layout 2 must survive as ``("telegram", "<id>")``;
    forgetting them would let Telegram's redelivery of an answered update through."""
    before = snapshot(layout2_dir)
    done = migrate(layout2_dir, now=NOW)
    assert done.backup is not None and snapshot(done.backup) == before
    assert done.request_ids == 7 and done.conversations == 0 and done.cases == 0
    layout = DataLayout(layout2_dir)
    assert json.loads(layout.schema_file.read_text()) == {"schema": DATA_SCHEMA}
    assert not (layout2_dir / "update_ids.jsonl").exists()
    store = TinyDBStorage(layout2_dir)
    try:
        assert all(store.seen_request("telegram", str(u)) for u in range(9001, 9008))
        assert not store.seen_request("telegram", "9008")
        assert not store.seen_request("web", "9001")
        # Everything else is as it was: six conversations, three cases, the audit.
        assert len(list(store.iter_conversations())) == 6
        assert len(store.list_cases()) == 3
        assert len(list(store.iter_audit())) == 9
    finally:
        store.close()


def test_a_redelivered_update_after_the_upgrade_reasks(layout2_dir):
    """105 answered the consent with update 9006 before the upgrade; its redelivery
    (the mark lost) is caught by the conversation's last_input_id, kept as it was."""
    migrate(layout2_dir, now=NOW)
    store = TinyDBStorage(layout2_dir)
    try:
        service = IntakeService(IntakeFlow(load_policy()), store)
        record = store.load_conversation(tg(105))
        assert record.state == "reporter_type" and record.last_input_id == 9006
        service.handle(tg(105), ChoiceInput("consent", "agree"), input_id=9006)
        assert store.load_conversation(tg(105)).history == ["consent"]
        service.handle(tg(105), ChoiceInput("reporter_type", "general"), input_id=9008)
        assert store.load_conversation(tg(105)).state == "service"
    finally:
        store.close()


def test_migrating_layout_2_twice_changes_nothing(layout2_dir):
    migrate(layout2_dir, now=NOW)
    once = snapshot(layout2_dir)
    again = migrate(layout2_dir, now=NOW + 60)
    assert again.backup is None
    assert snapshot(layout2_dir) == once


def test_a_migration_cut_short_is_finished_by_running_it_again(layout2_dir, monkeypatch):
    """Killed after writing the request ids but before the layout was marked: the next
    run converts again from the update ids still there, and nothing is doubled."""
    from storage import migrate as migrate_module

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(migrate_module, "write_schema", crash)
    with pytest.raises(KeyboardInterrupt):
        migrate(layout2_dir, now=NOW)
    monkeypatch.undo()
    migrate(layout2_dir, now=NOW + 60)
    layout = DataLayout(layout2_dir)
    lines = layout.request_ids_file.read_text().splitlines()
    assert lines == [f'"telegram:{n}"' for n in range(9001, 9008)]
    store = TinyDBStorage(layout2_dir)
    try:
        assert all(store.seen_request("telegram", str(u)) for u in range(9001, 9008))
    finally:
        store.close()


def test_the_migrate_command_on_layout_2(layout2_dir):
    done = run_bot(["migrate"], layout2_dir)
    assert done.returncode == 0, done.stderr
    assert "7 processed request ids" in done.stdout and "data.backup-" in done.stdout
    assert "up to date" in run_bot(["migrate"], layout2_dir).stdout
