"""Where each kind of file lives under the data directory."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flows.identity import UserKey
from storage.durable_files import DIR_MODE, fsync_dir, make_dir

# Entity files are spread over 256 sub-folders by the first two hex digits of a
# hash of their key: about 410 files per folder at 105,000 entities, so no
# folder grows large enough to slow down lookups, listing or backups.
FAN_OUT = [f"{i:02x}" for i in range(256)]
CASE_SUFFIX = ".json"
CONVERSATION_SUFFIX = ".json"
USER_SUFFIX = ".json"


def fan_out(key: str) -> str:
    """Return the sub-folder name for an entity key."""
    return hashlib.sha256(key.encode()).hexdigest()[:2]


@dataclass(frozen=True)
class DataLayout:
    """The file tree of a TinyDB data directory::

    schema.json                         the layout's version ({"schema": 3}), see storage/migrate.py
    conversations/ab/<user key>.json   one TinyDB file per conversation (telegram:123.json)
    users/ab/<user key>.json           one TinyDB file per user who chose a language
    cases/ab/<case number>.json         one TinyDB file per submitted case
    evidence/ab/<sha256>                evidence bytes, content-addressed
    case_index.jsonl                    append-only index of cases (rebuildable)
    audit.jsonl                         append-only audit log
    evidence_holds.jsonl                which evidence files each draft holds (rebuildable)
    notices.jsonl                       notices for people, a line per change (optional: absent = none;
                                        a {"notice_id", "dropped": true} line forgets one)
    request_ids.jsonl                   recently processed requests ("telegram:<update id>")
    request_ids.prev.jsonl              the ones before those (rolled over)
    tmp/                                temporary files of writes in flight and of downloads
    quarantine/                         unreadable files, moved aside
    .lock                               held (flock) by the one process using the folder
    """

    root: Path

    @property
    def conversations_dir(self) -> Path:
        return self.root / "conversations"

    @property
    def users_dir(self) -> Path:
        return self.root / "users"

    @property
    def cases_dir(self) -> Path:
        return self.root / "cases"

    @property
    def evidence_dir(self) -> Path:
        return self.root / "evidence"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def index_file(self) -> Path:
        return self.root / "case_index.jsonl"

    @property
    def evidence_holds_file(self) -> Path:
        return self.root / "evidence_holds.jsonl"

    @property
    def audit_file(self) -> Path:
        return self.root / "audit.jsonl"

    @property
    def notices_file(self) -> Path:
        return self.root / "notices.jsonl"

    @property
    def request_ids_file(self) -> Path:
        return self.root / "request_ids.jsonl"

    @property
    def previous_request_ids_file(self) -> Path:
        return self.root / "request_ids.prev.jsonl"

    # Layout 2's processed Telegram update ids (bare ints), read only by storage/migrate.py.
    @property
    def legacy_update_ids_files(self) -> tuple[Path, Path]:
        """The previous and the current file, oldest first."""
        return self.root / "update_ids.prev.jsonl", self.root / "update_ids.jsonl"

    @property
    def schema_file(self) -> Path:
        return self.root / "schema.json"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def conversation_file(self, user_id: UserKey) -> Path:
        """The person's conversation file: made once per person while they are about
        (:func:`_person_file`), read and written on every step."""
        return _person_file(self.root, "conversations", str(user_id), CONVERSATION_SUFFIX)

    def user_file(self, user_id: UserKey) -> Path:
        return _person_file(self.root, "users", str(user_id), USER_SUFFIX)

    def case_file(self, case_number: str) -> Path:
        """Path of a case; ``case_number`` must already be canonical (it becomes a file name)."""
        return self.cases_dir / fan_out(case_number) / (case_number + CASE_SUFFIX)

    def evidence_file(self, sha256: str) -> Path:
        """Path of an evidence file; ``sha256`` must already be checked to be 64 hex digits."""
        return self.evidence_dir / sha256[:2] / sha256

    def create_dirs(self) -> None:
        """Create every folder (owner-only), including all fan-out sub-folders."""
        for folder in (self.root, self.tmp_dir, self.quarantine_dir):
            make_dir(folder)
        for parent in (self.conversations_dir, self.users_dir, self.cases_dir, self.evidence_dir):
            make_dir(parent)
            missing = set(FAN_OUT) - set(os.listdir(parent))
            for name in sorted(missing):
                os.mkdir(parent / name, DIR_MODE)
                os.chmod(parent / name, DIR_MODE)
            if missing:
                fsync_dir(parent)  # one flush makes all the new names durable

    def iter_case_files(self) -> Iterator[Path]:
        yield from _iter_files(self.cases_dir, CASE_SUFFIX)

    def iter_conversation_files(self) -> Iterator[Path]:
        yield from _iter_files(self.conversations_dir, CONVERSATION_SUFFIX)

    def iter_user_files(self) -> Iterator[Path]:
        yield from _iter_files(self.users_dir, USER_SUFFIX)


# People being answered now: their files' paths, so a step's load and save (and the next
# step's) do not each make it again (a sha256 and three pathlib joins, then its string for
# the system call). Paths are immutable; a few thousand are a few MB at most.
PERSON_PATHS_KEPT = 4096


@functools.lru_cache(maxsize=PERSON_PATHS_KEPT)
def _person_file(root: Path, folder: str, key: str, suffix: str) -> Path:
    return root / folder / fan_out(key) / (key + suffix)


def _iter_files(parent: Path, suffix: str) -> Iterator[Path]:
    for name in FAN_OUT:
        try:
            entries = sorted(os.scandir(parent / name), key=lambda e: e.name)
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.name.endswith(suffix) and entry.is_file():
                yield Path(entry.path)
