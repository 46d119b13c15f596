"""What one input to the intake flow gives: replies, the record to store, and what to file.

:class:`Outcome` is the flow's whole answer; :class:`Submission` and
:class:`SupplementDone` are what the caller turns into a case or attaches to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.identity import UserKey
from flows.messages import EvidenceFile, Reply
from flows.policy import Text
from flows.record import ConversationRecord


@dataclass(frozen=True)
class Submission:
    """What a confirmed report carries into a case (the caller adds the case number)."""

    draft_id: str
    user_id: UserKey
    lang: str
    policy_id: str
    reporter_type: str
    service: str
    paid: bool
    monetary: bool
    tier: str
    service_other: str | None = None
    amount: int | None = None
    tentative_support: int | None = None
    channel_cash: bool = False
    business_number: str | None = None
    description: str | None = None
    evidence: tuple[EvidenceFile, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    # Documents the review needs and the reporter will send after submitting: the case
    # then starts as "documents requested".
    documents_due: tuple[Text, ...] = ()


@dataclass(frozen=True)
class SupplementDone:
    """Documents a user sent for a submitted case; the caller attaches them to it."""

    case_number: str
    files: tuple[EvidenceFile, ...]


@dataclass(frozen=True)
class MessageToStaff:
    """What a reporter wrote to staff about one of their cases; the caller stores it on the case."""

    case_number: str
    text: str
    files: tuple[EvidenceFile, ...] = ()


@dataclass
class Outcome:
    """The result of one input.

    ``record`` None means the conversation is over and must be forgotten. Store
    ``accepted_files`` first, then create the case for ``submission`` (and call
    :meth:`IntakeFlow.complete_submission`), then save the record, then reply.
    """

    record: ConversationRecord | None
    replies: list[Reply]
    accepted_files: tuple[EvidenceFile, ...] = ()
    submission: Submission | None = None
    supplement: SupplementDone | None = None
    staff_message: MessageToStaff | None = None
    # A pressed button answered the question being asked (a stale or forged one did not).
    choice_taken: bool = False
    # The user chose this language (/lang): it is theirs, beyond this conversation.
    lang_chosen: str | None = None
