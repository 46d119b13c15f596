"""The shallow JSON views write exactly what the records' own ``to_dict`` would."""

from __future__ import annotations

import json

from storage.case_changes import case_from_draft, created_entry
from storage.documents import audit_view, case_view, summary_view
from storage.records import CaseStatus, EvidenceRef


def test_views_match_to_dict(make_draft):
    ref = EvidenceRef(sha256="ab" * 32, name="영수증.jpg", mime="image/jpeg", size=10)
    case = case_from_draft(make_draft(evidence=[ref]), "K7F-3QX-9MZ", 5.0)
    case.status = CaseStatus.DOCUMENTS_REQUESTED
    case.final_amount = 50_000

    def as_json(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    assert as_json(case_view(case)) == as_json(case.to_dict())
    assert as_json(summary_view(case.summary())) == as_json(case.summary().to_dict())
    entry = created_entry(case)
    assert as_json(audit_view(entry)) == as_json(entry.to_dict())
