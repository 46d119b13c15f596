"""What creating and updating a case does to the record and the audit log, for every storage."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from storage.records import AuditEntry, Case, CaseChange, CaseDraft, CaseStatus


def case_from_draft(draft: CaseDraft, case_number: str, now: float) -> Case:
    """Return the new case for a draft: status SUBMITTED, all three times ``now``."""
    fields = {f.name: copy.deepcopy(getattr(draft, f.name)) for f in dataclasses.fields(CaseDraft)}
    return Case(
        **fields,
        case_number=case_number,
        status=CaseStatus.SUBMITTED,
        created_at=now,
        submitted_at=now,
        updated_at=now,
    )


def created_entry(case: Case) -> AuditEntry:
    """Return the audit entry that records a case's creation."""
    return AuditEntry(
        at=case.created_at,
        actor=f"user:{case.user_id}",
        action="case.created",
        case_number=case.case_number,
        detail={"draft_id": case.draft_id, "tier": case.tier},
    )


def apply_update(case: Case, change: CaseChange) -> tuple[Case, AuditEntry] | None:
    """Return the updated copy of ``case`` and its audit entry, or None when nothing changes.

    Evidence already attached (same sha256) is not attached twice, nor a message
    already in the thread (same ``message_id``). A message is audited as
    ``case.message`` (who, and what it said: the audit trail holds every message),
    marking the thread done as ``case.thread_done``; anything else as ``case.updated``.
    A message from the reporter counts as unread and opens a thread marked done; one
    from staff answers (and so reads) the thread.
    """
    status, final_amount, now = change.status, change.final_amount, change.now
    new = Case.from_dict(case.to_dict())
    changes: dict[str, Any] = {}
    if status is not None and CaseStatus(status) != case.status:
        new.status = CaseStatus(status)
        changes["status"] = {"from": str(case.status), "to": str(new.status)}
    if final_amount is not None and final_amount != case.final_amount:
        new.final_amount = final_amount
        changes["final_amount"] = {"from": case.final_amount, "to": final_amount}
    known = {e.sha256 for e in case.evidence}
    added = []
    action = "case.updated"
    message = change.message
    if message is not None and all(m.message_id != message.message_id for m in case.messages):
        new.messages.append(message)
        if message.from_user:
            new.unread_messages += 1
            new.thread_done = False
        else:
            new.unread_messages = 0
        changes["message"] = message.to_dict()
        action = "case.message"
    else:
        message = None
    if change.thread_done is not None and change.thread_done != new.thread_done:
        new.thread_done = change.thread_done
        if change.thread_done:
            new.unread_messages = 0
        changes["thread_done"] = change.thread_done
        action = "case.message" if message is not None else "case.thread_done"
    refs = change.add_evidence + (message.files if message is not None else ())
    for ref in refs:
        if ref.sha256 not in known:
            known.add(ref.sha256)
            new.evidence.append(ref)
            added.append(dataclasses.asdict(ref))
    if added:
        changes["evidence_added"] = added
    if not changes:
        return None
    new.updated_at = now
    detail: dict[str, Any] = {"changes": changes, "reason": change.reason}
    if message is not None:
        # The message itself, at the top of the entry, for the case page and audits.
        detail.update(
            message_id=message.message_id,
            sender=message.sender,
            text=message.text,
            files=[dataclasses.asdict(f) for f in message.files],
        )
    entry = AuditEntry(
        at=now,
        actor=change.actor,
        action=action,
        case_number=case.case_number,
        detail=detail,
    )
    return new, entry
