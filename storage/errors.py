"""The root of every error storage raises."""

from pathlib import Path


class StorageError(Exception):
    """Base class for errors raised by :mod:`storage`."""


class StoreUnavailable(StorageError):
    """The store cannot be reached for now (its database server down or restarting):
    nothing was done, and the same call later may succeed."""


class CaseNotFound(StorageError):
    """No case has that number."""


class NoticeNotFound(StorageError, KeyError):
    """No notice has that id."""


class EvidenceNotFound(StorageError):
    """No evidence file has that sha256."""


class CorruptFile(StorageError):
    """A file could not be read; it was moved aside (quarantined), never replaced."""

    def __init__(self, path: Path, quarantined_to: Path | None, reason: str) -> None:
        where = f", moved to {quarantined_to}" if quarantined_to else ""
        super().__init__(f"unreadable file {path}{where}: {reason}")
        self.path = path
        self.quarantined_to = quarantined_to
        self.reason = reason


class DataDirInUse(StorageError):
    """Another process holds the data directory (one process owns it at a time)."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(f"data directory {data_dir} is in use by another process")
        self.data_dir = data_dir


class NeedsMigration(StorageError):
    """The data directory was written by an earlier release: ``python -m bot migrate`` first."""

    def __init__(self, data_dir: Path, found: int) -> None:
        super().__init__(
            f"data directory {data_dir} was written by an earlier release (layout {found}); "
            "stop the bot and run `python -m bot migrate` (it backs the directory up first)"
        )
        self.data_dir = data_dir
        self.found = found
