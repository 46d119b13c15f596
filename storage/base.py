"""The storage contract every implementation fulfils (in memory, TinyDB, later PostgreSQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import BinaryIO

from flows.record import ConversationRecord
from storage.records import AuditEntry, Case, CaseDraft, CaseFilter, CaseStatus, CaseSummary


class Storage(ABC):
    """Durable home of conversations, cases, evidence, update ids and the audit log.

    Promises every implementation keeps (and ``tests/storage/test_contract.py`` checks):

    - A method that returned has made its write durable: a crash afterwards loses nothing.
    - Records are copies both ways: mutating what you passed in or got back
      changes nothing stored.
    - Methods are safe to call from several threads at once (the bot runs
      different users' updates concurrently).
    """

    # -- conversations in progress -------------------------------------------------
    @abstractmethod
    def load_conversation(self, user_id: int) -> ConversationRecord | None:
        """Return the user's conversation, or None when there is none."""

    @abstractmethod
    def save_conversation(self, record: ConversationRecord) -> None:
        """Store the conversation, replacing the user's previous one."""

    @abstractmethod
    def delete_conversation(self, user_id: int) -> None:
        """Forget the user's conversation; deleting a missing one is not an error."""

    @abstractmethod
    def iter_conversations(self) -> Iterator[ConversationRecord]:
        """Yield every stored conversation (for reminders and expiry)."""

    # -- submitted cases -----------------------------------------------------------
    @abstractmethod
    def create_case(self, draft: CaseDraft, now: float) -> Case:
        """Store a new case with a fresh case number and return it.

        Idempotent per ``draft.draft_id``: submitting the same draft again returns
        the case created the first time instead of a second one.
        """

    @abstractmethod
    def get_case(self, case_number: str) -> Case | None:
        """Return the case, or None when no case has that number."""

    @abstractmethod
    def update_case(
        self,
        case_number: str,
        *,
        actor: str,
        now: float,
        status: CaseStatus | None = None,
        final_amount: int | None = None,
        reason: str = "",
        add_evidence: tuple = (),
    ) -> Case:
        """Change a case's status / final amount / evidence, writing an audit entry.

        Raises :class:`storage.CaseNotFound` for an unknown number.
        """

    @abstractmethod
    def list_cases(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        """Return index rows of matching cases, oldest submission first."""

    # -- evidence files ------------------------------------------------------------
    @abstractmethod
    def put_evidence(self, data: bytes) -> str:
        """Store bytes content-addressed and return their sha256 hex digest."""

    @abstractmethod
    def open_evidence(self, sha256: str) -> BinaryIO:
        """Open a stored evidence file for reading (raises EvidenceNotFound)."""

    @abstractmethod
    def evidence_size(self, sha256: str) -> int:
        """Return the size in bytes of a stored evidence file (raises EvidenceNotFound)."""

    @abstractmethod
    def delete_evidence(self, sha256: str) -> None:
        """Delete a stored evidence file; deleting a missing one is not an error.

        Files are shared by content: the caller makes sure no case still holds it.
        """

    # -- processed Telegram update ids --------------------------------------------
    @abstractmethod
    def seen_update(self, update_id: int) -> bool:
        """Tell whether this update id was already processed."""

    @abstractmethod
    def mark_update(self, update_id: int) -> None:
        """Remember that this update id was processed.

        Cheap enough to call on the event loop (it never rewrites a file): a mark
        survives the process being killed but need not survive a power cut. Losing
        one only lets a redelivered update through: an answer to the conversation is
        caught by its ``last_input_id``, which asks the current question again; a
        reply that changes nothing (``/status``, a staff export) is sent again.
        """

    # -- audit log -----------------------------------------------------------------
    @abstractmethod
    def append_audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log."""

    @abstractmethod
    def iter_audit(self, case_number: str | None = None) -> Iterator[AuditEntry]:
        """Yield audit entries in the order written, optionally for one case."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing open
        """Release held resources; the default holds none."""
