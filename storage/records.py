"""Typed records that go in and out of storage; storage hands out copies only."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from flows.identity import UserKey


class CaseStatus(StrEnum):
    """Where a submitted case is in review."""

    SUBMITTED = "submitted"
    DOCUMENTS_REQUESTED = "documents_requested"
    DOCUMENTS_RECEIVED = "documents_received"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


@dataclass(frozen=True)
class EvidenceRef:
    """One evidence file attached to a case: content hash plus what the user sent."""

    sha256: str
    name: str
    mime: str
    size: int


@dataclass(frozen=True)
class CaseMessage:
    """One message in a case's thread between its reporter and staff.

    ``sender`` is ``"user"`` (the case's reporter, through their channel) or
    ``"staff:<name>"``. ``message_id`` makes adding idempotent: the same id added
    twice is kept once (a redelivered input). Files are evidence like the report's;
    the case holds them (they are attached to its evidence too).
    """

    message_id: str
    case_number: str
    sender: str
    text: str
    files: tuple[EvidenceRef, ...] = ()
    at: float = 0.0

    @property
    def from_user(self) -> bool:
        return self.sender == USER_SENDER

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "case_number": self.case_number,
            "sender": self.sender,
            "text": self.text,
            "files": [asdict(f) for f in self.files],
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseMessage:
        return cls(
            message_id=str(data["message_id"]),
            case_number=str(data["case_number"]),
            sender=str(data["sender"]),
            text=str(data.get("text", "")),
            files=tuple(EvidenceRef(**f) for f in data.get("files", ())),
            at=float(data.get("at", 0.0)),
        )


# The sender of a message written by the case's reporter (staff are "staff:<name>").
USER_SENDER = "user"


@dataclass
class CaseDraft:
    """Everything a submission carries; storage adds the number, status and times."""

    draft_id: str
    user_id: UserKey
    lang: str
    policy_id: str
    reporter_type: str  # "general" | "small_business" | "company"
    service: str  # service id from the policy, "other" with service_other
    paid: bool
    monetary: bool
    tier: str  # tier id from the policy
    service_other: str | None = None
    amount: int | None = None
    tentative_support: int | None = None  # KRW cash of the tier, None when not cash
    channel_cash: bool = False
    business_number: str | None = None
    description: str | None = None
    evidence: list[EvidenceRef] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, UserKey):
            raise TypeError(f"user_id must be a UserKey, not {self.user_id!r}")


@dataclass
class Case(CaseDraft):
    """A submitted damage report; ``user_id`` is the UserKey, so it names the channel it came from."""

    case_number: str = ""
    status: CaseStatus = CaseStatus.SUBMITTED
    final_amount: int | None = None
    created_at: float = 0.0
    submitted_at: float = 0.0
    updated_at: float = 0.0
    # The thread with staff, oldest first (Storage.add_case_message), and its state:
    # the reporter's messages staff have not answered yet, and whether staff marked
    # the thread done (a new message from the reporter opens it again).
    messages: list[CaseMessage] = field(default_factory=list)
    unread_messages: int = 0
    thread_done: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return a deep, JSON-compatible copy."""
        data = asdict(self)
        data["status"] = str(self.status)
        data["user_id"] = str(self.user_id)
        data["messages"] = [m.to_dict() for m in self.messages]
        return copy.deepcopy(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, copy_data: bool = True) -> Case:
        """Build a case from :meth:`to_dict` output.

        ``copy_data=False`` adopts ``data`` as it is: only for a dict nobody else
        holds, such as one just parsed from a file (the copy is a third of a read).
        """
        data = copy.deepcopy(data) if copy_data else dict(data)
        data["evidence"] = [EvidenceRef(**e) for e in data.get("evidence", [])]
        data["status"] = CaseStatus(data.get("status", CaseStatus.SUBMITTED))
        data["user_id"] = UserKey.parse(data["user_id"])
        data["messages"] = [CaseMessage.from_dict(m) for m in data.get("messages", ())]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary(self) -> CaseSummary:
        """Return the index row of this case."""
        return CaseSummary(
            case_number=self.case_number,
            user_id=self.user_id,
            submitted_at=self.submitted_at,
            updated_at=self.updated_at,
            status=self.status,
            tier=self.tier,
            reporter_type=self.reporter_type,
            service=self.service,
            paid=self.paid,
            monetary=self.monetary,
            amount=self.amount,
            final_amount=self.final_amount,
            evidence_sha256=tuple(e.sha256 for e in self.evidence),
            message_count=len(self.messages),
            unread_messages=self.unread_messages,
            last_message_at=self.messages[-1].at if self.messages else None,
            thread_done=self.thread_done,
        )


@dataclass(frozen=True)
class CaseSummary:
    """One row of the case index: enough to list, filter and count without opening cases."""

    case_number: str
    user_id: UserKey
    submitted_at: float
    updated_at: float
    status: CaseStatus
    tier: str
    reporter_type: str
    service: str
    paid: bool
    monetary: bool
    amount: int | None
    final_amount: int | None
    evidence_sha256: tuple[str, ...] = ()
    # The case's thread with staff (Case.messages), so the list can filter and count.
    message_count: int = 0
    unread_messages: int = 0  # the reporter's messages staff have not answered yet
    last_message_at: float | None = None
    thread_done: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, UserKey):
            raise TypeError(f"user_id must be a UserKey, not {self.user_id!r}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["user_id"] = str(self.user_id)
        data["evidence_sha256"] = list(self.evidence_sha256)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseSummary:
        data = dict(data)
        data["status"] = CaseStatus(data["status"])
        data["user_id"] = UserKey.parse(data["user_id"])
        data["evidence_sha256"] = tuple(data.get("evidence_sha256", ()))
        return cls(**data)


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list; every field left as None matches everything."""

    submitted_from: float | None = None  # inclusive, POSIX seconds
    submitted_to: float | None = None  # exclusive
    status: CaseStatus | None = None
    tier: str | None = None
    reporter_type: str | None = None
    service: str | None = None
    user_id: UserKey | None = None
    unread_messages: bool | None = None  # True: only cases with messages staff have not answered

    def matches(self, row: CaseSummary) -> bool:
        """Tell whether an index row passes this filter."""
        return (
            (self.submitted_from is None or row.submitted_at >= self.submitted_from)
            and (self.submitted_to is None or row.submitted_at < self.submitted_to)
            and (self.status is None or row.status == self.status)
            and (self.tier is None or row.tier == self.tier)
            and (self.reporter_type is None or row.reporter_type == self.reporter_type)
            and (self.service is None or row.service == self.service)
            and (self.user_id is None or row.user_id == self.user_id)
            and (self.unread_messages is None or (row.unread_messages > 0) == self.unread_messages)
        )


@dataclass(frozen=True)
class CaseChange:
    """One update of a case, by ``actor`` at ``now``: what :meth:`Storage.update_case` applies.

    Fields left at their defaults change nothing; the update writes one audit
    entry (with ``reason``) unless nothing changes at all.
    """

    actor: str  # "user:<user key>" (user:telegram:123), "staff:<id>" or "system"
    now: float
    status: CaseStatus | None = None
    final_amount: int | None = None
    reason: str = ""
    add_evidence: tuple[EvidenceRef, ...] = ()  # attached unless already there (same sha256)
    # A message for the case's thread (added unless its message_id is there already;
    # its files are attached as evidence too), and staff marking the thread done.
    message: CaseMessage | None = None
    thread_done: bool | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who did what to which case, when, and why."""

    at: float
    actor: str  # "user:<user key>" (user:telegram:123), "staff:<id>" or "system"
    action: str  # e.g. "case.created", "case.status", "conversation.deleted"
    case_number: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(**copy.deepcopy(data))


def _copy_reply(reply: Any) -> Any:
    """A copy of one reply as JSON ({"text": ..., "buttons": [[[label, data], ...], ...]})."""
    if isinstance(reply, dict) and all(k in ("text", "buttons") for k in reply):
        buttons = reply.get("buttons")
        if isinstance(buttons, list):
            copied = dict(reply)
            copied["buttons"] = [
                [list(b) if isinstance(b, list) else copy.deepcopy(b) for b in row]
                if isinstance(row, list)
                else copy.deepcopy(row)
                for row in buttons
            ]
            return copied
    return copy.deepcopy(reply)


def notice_delivered(notice: Notice, at: float) -> Notice:
    """The notice marked delivered at ``at`` (a delivered one keeps its first time)."""
    return notice if notice.delivered_at is not None else replace(notice, delivered_at=at)


def notice_failed(notice: Notice, at: float, error: str) -> Notice:
    """The notice after one more failed push (a delivered one is left as it is)."""
    if notice.delivered_at is not None:
        return notice
    return replace(notice, attempts=notice.attempts + 1, last_error=str(error), last_attempt_at=at)


@dataclass(frozen=True)
class Notice:
    """One message for a person that they did not ask for: a review decision, a
    document request, a reminder, a staff message (:mod:`bot.notices`).

    Stored before anybody tries to deliver it, so a notice is never lost: it stays
    undelivered (``delivered_at`` None) until its channel pushed it or the person
    saw it in their mailbox. ``replies`` are :class:`flows.messages.Reply` as JSON
    (``{"text": ..., "buttons": [[[label, data], ...], ...]}``); ``attempts`` and
    ``last_error`` count and name the failed pushes (an error's type name, never
    a message that could hold personal data), ``last_attempt_at`` says when the
    last one failed (the scheduler waits longer after each).
    """

    notice_id: str
    user_id: UserKey
    case_number: str | None
    kind: str  # "review", "documents", "reminder", "expiry", "staff_message", ...
    replies: tuple[dict[str, Any], ...]
    created_at: float
    delivered_at: float | None = None
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: float | None = None  # when the last failed push was tried

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, UserKey):
            raise TypeError(f"user_id must be a UserKey, not {self.user_id!r}")
        if not self.notice_id:
            raise ValueError("a notice needs a notice_id")

    def to_dict(self) -> dict[str, Any]:
        """Return a deep, JSON-compatible copy."""
        data = copy.deepcopy(asdict(self))
        data["user_id"] = str(self.user_id)
        data["replies"] = list(data["replies"])
        return data

    def copy(self) -> Notice:
        """The same notice with replies nobody else holds (cheaper than a deep copy)."""
        return replace(self, replies=tuple(_copy_reply(r) for r in self.replies))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        data = copy.deepcopy(data)
        data["user_id"] = UserKey.parse(data["user_id"])
        data["replies"] = tuple(data.get("replies", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


# Who holds an evidence file. Evidence is stored once per sha256, so one file may
# be held by several drafts and cases at once; it is deleted only when none holds it.
DRAFT_HOLDER_PREFIX = "draft:"
CASE_HOLDER_PREFIX = "case:"


def draft_holder(user_id: UserKey) -> str:
    """The holder name of a user's conversation in progress: ``draft:telegram:123``."""
    return f"{DRAFT_HOLDER_PREFIX}{user_id}"


def case_holder(case_number: str) -> str:
    """The holder name of a submitted case; cases hold their evidence by themselves."""
    return f"{CASE_HOLDER_PREFIX}{case_number}"
