"""Staff lift the per-person limits (reports, bytes of files) for the user of a case."""

from __future__ import annotations

from bot.intake import LIMITS_LIFTED
from storage import AuditEntry, Case, CaseNotFound, Storage
from storage.case_numbers import normalize_case_number


def lift_limits(
    storage: Storage, case_number: str, *, actor: str, now: float, reason: str = ""
) -> Case:
    """Let the person who filed this case file more reports and send more files.

    One audit entry on the case (who, when, why) is the whole change: the intake
    reads it when that person reaches a limit. Raises CaseNotFound for an unknown
    number.
    """
    case = storage.get_case(normalize_case_number(case_number) or case_number)
    if case is None:
        raise CaseNotFound(case_number)
    storage.append_audit(
        AuditEntry(
            at=now,
            actor=actor,
            action=LIMITS_LIFTED,
            case_number=case.case_number,
            detail={"user_id": str(case.user_id), "reason": reason},
        )
    )
    return case


def limits_lifted(storage: Storage, case_number: str) -> bool:
    """Whether staff lifted the limits from this case."""
    return any(e.action == LIMITS_LIFTED for e in storage.iter_audit(case_number))
