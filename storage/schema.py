"""The version of a data directory's layout, kept in ``schema.json`` at its root.

Layout 1 (no ``schema.json``) is what releases before UserKey wrote: users were
Telegram ints. Layout 2 keys users by :class:`flows.identity.UserKey`. Layout 3
keeps processed requests per channel (``request_ids.jsonl``, ``"telegram:<update
id>"``) instead of Telegram update ids (``update_ids.jsonl``, bare ints). A store
refuses to open a directory of another layout; ``python -m bot migrate``
(:mod:`storage.migrate`) converts layouts 1 and 2.
"""

from __future__ import annotations

import json

from storage.data_layout import DataLayout
from storage.durable_files import DurableFiles
from storage.errors import NeedsMigration, StorageError

DATA_SCHEMA = 3
LEGACY_SCHEMA = 1  # Telegram int users
USER_KEY_SCHEMA = 2  # UserKeys; Telegram update ids as bare ints


def read_schema(layout: DataLayout) -> int | None:
    """The directory's layout: its ``schema.json``, else 1 when it holds data, else None (new)."""
    try:
        raw = layout.schema_file.read_bytes()
    except FileNotFoundError:
        # Every store of layout 1 wrote its audit log and case index when it opened.
        if layout.audit_file.exists() or layout.index_file.exists():
            return LEGACY_SCHEMA
        return None
    try:
        value = json.loads(raw)["schema"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"{layout.schema_file} is unreadable: {exc}") from exc
    if not isinstance(value, int):
        raise StorageError(f"{layout.schema_file} is unreadable: schema {value!r}")
    return value


def check_schema(layout: DataLayout, files: DurableFiles | None = None) -> None:
    """Refuse a directory of another layout; mark a new one (with ``files``) as the current one.

    Raises :class:`storage.NeedsMigration` for an older layout and StorageError
    for a newer one (written by a later release).
    """
    found = read_schema(layout)
    if found is None:
        if files is not None:
            write_schema(layout, files)
        return
    if found < DATA_SCHEMA:
        raise NeedsMigration(layout.root, found)
    if found > DATA_SCHEMA:
        raise StorageError(
            f"data directory {layout.root} has layout {found}, newer than this release's "
            f"{DATA_SCHEMA}: run the newer release"
        )


def write_schema(layout: DataLayout, files: DurableFiles, schema: int = DATA_SCHEMA) -> None:
    """Durably record that the directory has layout ``schema`` (the current one by default)."""
    files.replace(layout.schema_file, json.dumps({"schema": schema}).encode() + b"\n")
