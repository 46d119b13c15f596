"""Persistence: conversations in progress, submitted cases, evidence, the case index,
processed update ids, notices and the audit log, behind one small contract (:class:`Storage`)."""

from storage.base import Storage
from storage.errors import (
    CaseNotFound,
    CorruptFile,
    DataDirInUse,
    EvidenceNotFound,
    NeedsMigration,
    NoticeNotFound,
    StorageError,
    StoreUnavailable,
)
from storage.records import (
    AuditEntry,
    Case,
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseMessage,
    CaseStatus,
    CaseSummary,
    EvidenceRef,
    Notice,
)

__all__ = [
    "AuditEntry",
    "Case",
    "CaseChange",
    "CaseDraft",
    "CaseFilter",
    "CaseMessage",
    "CaseNotFound",
    "CaseStatus",
    "CaseSummary",
    "CorruptFile",
    "DataDirInUse",
    "EvidenceNotFound",
    "EvidenceRef",
    "NeedsMigration",
    "Notice",
    "NoticeNotFound",
    "Storage",
    "StorageError",
    "StoreUnavailable",
]
