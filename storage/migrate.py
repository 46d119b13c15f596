"""``python -m bot migrate``: convert a data directory of an earlier layout to the current one (3).

Layout 2 keys every user by :class:`flows.identity.UserKey`; layout 3 keeps
processed requests per channel. The conversion:

1. takes the directory's lock, so it refuses to run while the bot (or any
   store) has the directory open (:class:`storage.DataDirInUse`);
2. does nothing more on a directory that is already layout 2 (idempotent);
3. copies the directory beside itself first, ``<name>.backup-<UTC time>``;
4. rewrites conversations and language files under their new names
   (``telegram:123.json``), the ``user_id`` of every case file, and in the audit
   log the ``user:<id>`` actors and the ``user_id`` of details;
5. rewrites the case index with user keys too, keeping the changes a crash left
   unfinished (a number reserved for a draft being submitted, a case file
   changed but not yet audited), which opening the store then settles as it
   always does; drops the evidence holds (rebuilt from the conversations when
   the store opens) and writes ``schema.json`` (layout 2);
6. from layout 2: carries the processed Telegram update ids (``update_ids.jsonl``
   and ``update_ids.prev.jsonl``, bare ints) over into ``request_ids.jsonl`` as
   ``"telegram:<id>"``, then deletes them and writes ``schema.json`` (layout 3).

Every step leaves what it converted readable by the next run, so a migration
cut short (a crash, a full disk) is finished by running it again. Telegram users
become ``telegram:<id>``; the console chat's user (id 1) becomes ``console:1``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flows.identity import CONSOLE, TELEGRAM, UserKey
from storage.data_layout import DataLayout
from storage.durable_files import DurableFiles
from storage.entity_files import DamagedDocument, EntityFiles, read_document
from storage.errors import StorageError
from storage.jsonl_log import JsonLinesLog, encode_line
from storage.request_ids import request_key
from storage.schema import (
    DATA_SCHEMA,
    LEGACY_SCHEMA,
    USER_KEY_SCHEMA,
    read_schema,
    write_schema,
)
from storage.tinydb_store import (
    CASE_TABLE,
    CONVERSATION_TABLE,
    USER_TABLE,
    TinyDBStorage,
    lock_data_dir,
)

# The id layout-1 console chats used (bot/console.py): no Telegram user has it.
LEGACY_CONSOLE_ID = 1


@dataclass(frozen=True)
class Migrated:
    """What :func:`migrate` did; ``backup`` is None when there was nothing to do."""

    backup: Path | None
    conversations: int = 0
    users: int = 0
    cases: int = 0
    audit_entries: int = 0
    quarantined: int = 0
    request_ids: int = 0


def legacy_key(user_id: int) -> UserKey:
    """The UserKey of a layout-1 user id."""
    if user_id == LEGACY_CONSOLE_ID:
        return UserKey(CONSOLE, str(user_id))
    return UserKey.telegram(user_id)


def migrate(data_dir: Path, *, now: float | None = None) -> Migrated:
    """Convert ``data_dir`` to the current layout (see the module docstring)."""
    layout = DataLayout(Path(data_dir))
    if not layout.root.is_dir():
        raise StorageError(f"no data directory at {layout.root}")
    fd = lock_data_dir(layout)
    try:
        found = read_schema(layout)
        if found is None or found == DATA_SCHEMA:
            if found is None:
                layout.create_dirs()
                write_schema(layout, DurableFiles(layout.tmp_dir, layout.quarantine_dir))
            return Migrated(backup=None)
        if found not in (LEGACY_SCHEMA, USER_KEY_SCHEMA):
            raise StorageError(f"data directory {layout.root} has layout {found}: not migratable")
        backup = _backup(layout.root, time.time() if now is None else now)
        layout.create_dirs()
        result = Migrated(backup)
        if found == LEGACY_SCHEMA:
            result = _convert(layout, backup)
        files = DurableFiles(layout.tmp_dir, layout.quarantine_dir)
        result = replace(result, request_ids=_carry_update_ids(layout, files))
    finally:
        os.close(fd)
    # Open it once: the dropped evidence holds are rebuilt now rather than at the
    # bot's next start, and changes a crash left unfinished are settled.
    TinyDBStorage(layout.root).close()
    return result


def _backup(root: Path, now: float) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    target = root.with_name(f"{root.name}.backup-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = root.with_name(f"{root.name}.backup-{stamp}-{n}")
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(".lock", "tmp"), symlinks=True)
    return target


def _convert(layout: DataLayout, backup: Path) -> Migrated:
    files = DurableFiles(layout.tmp_dir, layout.quarantine_dir)
    files.clear_tmp()
    entities = EntityFiles(layout.root, files)
    quarantined = 0

    def rename(paths: Iterator[Path], table: str, new_path: Any) -> int:
        nonlocal quarantined
        count = 0
        for path in list(paths):
            stem = path.name.removesuffix(".json")
            if not stem.isdigit():
                continue  # converted already
            key = legacy_key(int(stem))
            try:
                doc = read_document(path, table)
            except DamagedDocument as exc:
                files.quarantine(path, layout.root, f"migrate: {exc.reason}")
                quarantined += 1
                continue
            if doc is not None:
                doc["user_id"] = str(key)
                if table == CONVERSATION_TABLE:
                    doc["schema_version"] = 2
                entities.save(new_path(key), table, doc)
                count += 1
            files.delete(path)
        return count

    conversations = rename(
        layout.iter_conversation_files(), CONVERSATION_TABLE, layout.conversation_file
    )
    users = rename(layout.iter_user_files(), USER_TABLE, layout.user_file)
    cases = 0
    for path in list(layout.iter_case_files()):
        try:
            doc = read_document(path, CASE_TABLE)
        except DamagedDocument as exc:
            files.quarantine(path, layout.root, f"migrate: {exc.reason}")
            quarantined += 1
            continue
        if doc is not None and isinstance(doc.get("user_id"), int):
            doc["user_id"] = str(legacy_key(doc["user_id"]))
            entities.save(path, CASE_TABLE, doc)
            cases += 1
    audit_entries = _convert_audit(layout, files)
    _convert_index(layout, files)
    files.delete(layout.evidence_holds_file)
    write_schema(layout, files, USER_KEY_SCHEMA)
    return Migrated(backup, conversations, users, cases, audit_entries, quarantined)


def _carry_update_ids(layout: DataLayout, files: DurableFiles) -> int:
    """Layout 2 to 3: Telegram update ids become ``telegram`` requests; return how many.

    ``request_ids.jsonl`` gets what it held (written by a run cut short: no store
    opens a layout-2 directory) followed by the update ids, oldest first, each
    once; the update-id files are deleted after it is durable, and the layout is
    marked last, so running again after a crash at any point gives the same file.
    """
    keys: dict[str, None] = {}
    for path in (layout.previous_request_ids_file, layout.request_ids_file):
        for value in JsonLinesLog(path, files).scan(repair=False, strict=False):
            if isinstance(value, str):
                keys[value] = None
    for path in layout.legacy_update_ids_files:
        for value in JsonLinesLog(path, files).scan(repair=False, strict=False):
            if isinstance(value, int) and not isinstance(value, bool):
                keys[request_key(TELEGRAM, str(value))] = None
    lines = [encode_line(key) for key in keys]
    files.replace(layout.request_ids_file, lines)
    files.delete(layout.previous_request_ids_file)
    for path in layout.legacy_update_ids_files:
        files.delete(path)
    write_schema(layout, files)
    return len(keys)


def _convert_audit(layout: DataLayout, files: DurableFiles) -> int:
    """Rewrite the audit log with user keys; return how many entries changed."""
    if not layout.audit_file.exists():
        return 0
    changed = 0
    lines = []
    with open(layout.audit_file, "rb") as f:
        for raw in f:
            try:
                value = json.loads(raw)
            except ValueError:
                lines.append(raw)  # a torn tail: the store's repair deals with it
                continue
            if isinstance(value, dict) and _convert_entry(value):
                changed += 1
                raw = (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            lines.append(raw)
    if changed:
        files.replace(layout.audit_file, lines)
    return changed


def _convert_index(layout: DataLayout, files: DurableFiles) -> None:
    """Rewrite the case index with user keys: rows' ``user_id`` and the audit entries
    of ``begin`` lines.

    It is kept rather than rebuilt from the case files: its ``begin`` lines without
    a row are what a crash left unfinished, a number reserved for a draft (which
    submitting again must get) or a case file written but not yet audited (whose
    entry opening the store writes). A damaged index is left as it is: opening
    the store moves it to quarantine and rebuilds it, as for any damaged index.
    """
    if not layout.index_file.exists():
        return
    lines = []
    changed = False
    with open(layout.index_file, "rb") as f:
        for raw in f:
            try:
                value = json.loads(raw)
            except ValueError:
                lines.append(raw)
                continue
            if isinstance(value, dict) and _convert_index_line(value):
                changed = True
                raw = (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            lines.append(raw)
    if changed:
        files.replace(layout.index_file, lines)


def _convert_index_line(line: dict[str, Any]) -> bool:
    audit = line.get("audit")
    if isinstance(audit, dict):
        return _convert_entry(audit)
    row = line.get("row")
    if isinstance(row, dict) and type(row.get("user_id")) is int:
        row["user_id"] = str(legacy_key(row["user_id"]))
        return True
    return False


def _convert_entry(entry: dict[str, Any]) -> bool:
    changed = False
    actor = entry.get("actor")
    if isinstance(actor, str) and actor.startswith("user:") and actor[5:].isdigit():
        entry["actor"] = f"user:{legacy_key(int(actor[5:]))}"
        changed = True
    detail = entry.get("detail")
    if isinstance(detail, dict) and type(detail.get("user_id")) is int:
        detail["user_id"] = str(legacy_key(detail["user_id"]))
        changed = True
    return changed
