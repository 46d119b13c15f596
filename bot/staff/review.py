"""Staff review of submitted cases: request documents, approve, reject, mark paid; the user is told.

Every action is checked against the review table in :mod:`flows.review`, written
through storage (which audits the change), recorded with what the user was told,
and then announced in the user's chat in their language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable

from bot.intake import DOCUMENTS_QUESTION, REQUEST_ACTION
from flows.amount import format_amount
from flows.messages import Button, Reply
from flows.policy import KST
from flows.review import ReviewInputError, build_review_machine, next_status
from flows.texts import t
from storage import AuditEntry, Case, CaseNotFound, CaseStatus, Storage

log = logging.getLogger(__name__)

# Sends replies to a user's chat; the Telegram channel provides it.
Notifier = Callable[[int, list[Reply]], Awaitable[None]]
DOCUMENT_DEADLINE_DAYS = 14


class ReviewService:
    """The review actions staff take on cases, from any door (web, Telegram)."""

    def __init__(
        self,
        storage: Storage,
        *,
        notify: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        deadline_days: int = DOCUMENT_DEADLINE_DAYS,
    ) -> None:
        self.storage = storage
        self.notify = notify
        self.clock = clock
        self.deadline_days = deadline_days
        self.machine = build_review_machine()

    async def request_documents(
        self, case_number: str, *, staff: str, documents: str, note: str = ""
    ) -> Case:
        """Ask the user for missing documents; they get a button that opens an upload step."""
        documents = documents.strip()
        if not documents:
            raise ReviewInputError("name the documents the user should send")
        case = await self._change(case_number, "request_documents", staff=staff, reason=documents)
        today = dt.datetime.fromtimestamp(self.clock(), KST).date()
        deadline = today + dt.timedelta(days=self.deadline_days)
        await self._record(
            case, staff, REQUEST_ACTION, documents=documents, note=note, deadline=str(deadline)
        )
        lang = case.lang
        text = t(
            lang,
            "review.documents_requested",
            case_number=case.case_number,
            documents=documents,
            note=f"{note.strip()}\n" if note.strip() else "",
            deadline=deadline.isoformat(),
        )
        button = Button(
            t(lang, "review.send_documents"), f"{DOCUMENTS_QUESTION}:{case.case_number}"
        )
        await self._tell(case, [Reply(text, ((button,),))])
        return case

    async def approve(
        self, case_number: str, *, staff: str, final_amount: int, note: str = ""
    ) -> Case:
        """Approve with a final amount (KRW; 0 means the all-user package only)."""
        if final_amount < 0:
            raise ReviewInputError("the final amount cannot be negative")
        case = await self._change(
            case_number, "approve", staff=staff, reason=note, final_amount=final_amount
        )
        await self._record(case, staff, "review.approved", final_amount=final_amount, note=note)
        amount = format_amount(final_amount, case.lang) if final_amount else "-"
        note_line = f"{note.strip()}\n" if note.strip() else ""
        text = t(
            case.lang,
            "review.approved",
            case_number=case.case_number,
            amount=amount,
            note=note_line,
        )
        await self._tell(case, [Reply(text)])
        return case

    async def reject(self, case_number: str, *, staff: str, reason: str) -> Case:
        """Reject with a reason the user is told."""
        reason = reason.strip()
        if not reason:
            raise ReviewInputError("give the reason the user will be told")
        case = await self._change(case_number, "reject", staff=staff, reason=reason)
        await self._record(case, staff, "review.rejected", reason=reason)
        text = t(case.lang, "review.rejected", case_number=case.case_number, reason=reason)
        await self._tell(case, [Reply(text)])
        return case

    async def mark_paid(self, case_number: str, *, staff: str) -> Case:
        """Record the payment of an approved case."""
        case = await self._change(case_number, "pay", staff=staff, reason="paid")
        await self._record(case, staff, "review.paid", final_amount=case.final_amount)
        amount = format_amount(case.final_amount or 0, case.lang)
        text = t(case.lang, "review.paid", case_number=case.case_number, amount=amount)
        await self._tell(case, [Reply(text)])
        return case

    # -- internals ---------------------------------------------------------------------------
    async def _change(
        self,
        case_number: str,
        action: str,
        *,
        staff: str,
        reason: str,
        final_amount: int | None = None,
    ) -> Case:
        case = await asyncio.to_thread(self.storage.get_case, case_number)
        if case is None:
            raise CaseNotFound(case_number)
        status = next_status(self.machine, str(case.status), action)
        return await asyncio.to_thread(
            self.storage.update_case,
            case.case_number,
            actor=staff,
            now=self.clock(),
            status=CaseStatus(status),
            final_amount=final_amount,
            reason=reason,
        )

    async def _record(self, case: Case, staff: str, action: str, **detail: object) -> None:
        entry = AuditEntry(
            at=self.clock(), actor=staff, action=action, case_number=case.case_number, detail=detail
        )
        await asyncio.to_thread(self.storage.append_audit, entry)

    async def _tell(self, case: Case, replies: list[Reply]) -> None:
        """Tell the user; a failure is logged and audited, and never undoes the decision."""
        if self.notify is None:
            return
        try:
            await self.notify(case.user_id, replies)
        except Exception as exc:
            log.warning(
                "could not notify the user of case %s: %s", case.case_number, type(exc).__name__
            )
            await self._record(case, "system", "review.notify_failed", error=type(exc).__name__)
