"""The end of a report: its summary in words and the submission it becomes.

Both read the path the answers lead along and each question's declaration: what it
shows, which answer keys it owns, and what its path implies without asking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.messages import EvidenceFile
from flows.outcome import Submission

if TYPE_CHECKING:
    from flows.step import Step


def summary_lines(step: Step) -> list[str]:
    """Every answer on the path in words, the tier, and what the all-user package holds."""
    lines = []
    for q in step.path_questions():
        if q.editable:
            lines.append(f"• {q.label(step)}: {q.show(step) or '-'}")
        inferred = q.infers  # answered by this path, not asked: shown right after
        if inferred and inferred.when.test(step.answers, step.policy):
            other = step.flow.table.questions[inferred.question]
            lines.append(f"• {other.label(step)}: {other.show(step)}")
    decision = step.decision()
    lines.append(f"• {step.t('field.tier')}: {step.flow.tier_label(decision, step.lang)}")
    # What everyone gets, whatever the tier, labelled as such.
    lines.append(f"• {step.t('tier.package', package=step.policy.package(step.lang))}")
    return lines


def build_submission(step: Step) -> Submission:
    """What the confirmed report carries into a case: the answers of its path only."""
    a, asked = step.answers, step.path_questions()
    path = [q.name for q in asked]
    decision = step.flow.decision(a)
    monetary = bool(a.get("monetary"))
    keys = {key for q in asked for key in q.keys}
    answers = {k: v for k, v in a.items() if k in keys}
    for q in asked:  # e.g. the service is a Channel: running one is inferred, not asked
        if q.infers and q.infers.when.test(a, step.policy):
            answers.update(q.infers.answers)
    evidence = tuple(
        EvidenceFile(name=f["name"], mime=f["mime"], size=f["size"], sha256=f["sha256"])
        for f in a.get("evidence", [])
        if "evidence" in path
    )
    return Submission(
        draft_id=step.record.draft_id,
        user_id=step.record.user_id,
        lang=step.lang,
        policy_id=step.policy.id,
        reporter_type=a["reporter_type"],
        service=a["service"],
        service_other=a.get("service_other") if "service_other" in path else None,
        paid=bool(a.get("paid")),
        monetary=monetary,
        tier=decision.tier.id,
        amount=a.get("amount") if monetary else None,
        tentative_support=decision.tier.support,
        channel_cash=decision.channel_cash is not None,
        business_number=a.get("business_number") if "business_number" in path else None,
        description=(a.get("description") or None) if "description" in path else None,
        evidence=evidence,
        answers=answers,
        documents_due=step.flow.documents_due(a) if "evidence" in path else (),
    )
