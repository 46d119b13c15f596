"""Shallow JSON views of records, for writing them out at once without deep copies.

The records' own ``to_dict`` methods return deep copies, safe to keep; that
costs about 70 µs for a case, more than a third of a durable write. A view
shares the record's nested values instead, so it must be serialised right
away and never kept or changed: every caller here passes it straight to
``json.dumps`` (directly or through :meth:`EntityFiles.save`, which encodes it at once).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from storage.records import AuditEntry, Case, CaseSummary

_CASE_FIELDS = tuple(f.name for f in fields(Case))
_SUMMARY_FIELDS = tuple(f.name for f in fields(CaseSummary))


def case_view(case: Case) -> dict[str, Any]:
    """The same JSON as ``case.to_dict()``, sharing nested values."""
    view = {name: getattr(case, name) for name in _CASE_FIELDS}
    view["status"] = str(case.status)
    view["user_id"] = str(case.user_id)
    view["evidence"] = [
        {"sha256": e.sha256, "name": e.name, "mime": e.mime, "size": e.size} for e in case.evidence
    ]
    view["messages"] = [m.to_dict() for m in case.messages]
    return view


def summary_view(row: CaseSummary) -> dict[str, Any]:
    """The same JSON as ``row.to_dict()``."""
    view = {name: getattr(row, name) for name in _SUMMARY_FIELDS}
    view["status"] = str(row.status)
    view["user_id"] = str(row.user_id)
    view["evidence_sha256"] = list(row.evidence_sha256)
    return view


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    """The same JSON as ``entry.to_dict()``, sharing ``detail``."""
    return {
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "case_number": entry.case_number,
        "detail": entry.detail,
    }
