"""Staff review of submitted cases: request documents, approve, correct the amount, reject, mark paid.

Every action is checked against the review table in :mod:`flows.review`, written
through storage (which audits the change), recorded with what the user was told,
and then announced in the user's chat in their language. :meth:`ReviewService.preview`
builds that announcement without taking the action, so staff confirm exactly the
message the user will get. A message that could not be delivered is audited with
its text, and :meth:`ReviewService.resend` sends it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bot.intake import DOCUMENTS_QUESTION, MESSAGE_QUESTION, REQUEST_ACTION
from flows.amount import format_amount
from flows.identity import UserKey
from flows.messages import Button, Reply
from flows.policy import KST, Text
from flows.review import ReviewError, ReviewInputError, build_review_machine, next_status
from flows.texts import t
from storage import AuditEntry, Case, CaseChange, CaseNotFound, CaseStatus, Storage

log = logging.getLogger(__name__)

# Sends replies to a user's chat; the Telegram channel provides it.
Notifier = Callable[[UserKey, list[Reply]], Awaitable[None]]
DOCUMENT_DEADLINE_DAYS = 14
NOTIFY_FAILED = "review.notify_failed"
NOTICE_RESENT = "review.notice_resent"
# Audit actions that send the user a new message: a failed one before them is superseded.
NOTICE_ACTIONS = frozenset(
    {
        REQUEST_ACTION,
        "review.approved",
        "review.amount_corrected",
        "review.rejected",
        "review.paid",
        NOTICE_RESENT,
    }
)


class ReviewService:
    """The review actions staff take on cases, from any door (web, Telegram)."""

    def __init__(
        self,
        storage: Storage,
        *,
        notify: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        deadline_days: int = DOCUMENT_DEADLINE_DAYS,
        contact: Text | None = None,
        delivers: bool = True,
    ) -> None:
        self.storage = storage
        self.notify = notify
        # False when ``notify`` cannot reach anybody (a server without Telegram): pages
        # then say the decision is saved and the message waits to be sent again.
        self.delivers = delivers and notify is not None
        self.clock = clock
        self.deadline_days = deadline_days
        # The policy's line on how to reach staff outside the chat: ends a rejection,
        # after its "ask staff" button's line (writing to staff about the case).
        self.contact = contact
        self.machine = build_review_machine()

    async def preview(
        self,
        case_number: str,
        action: str,
        *,
        documents: str = "",
        note: str = "",
        final_amount: int | None = None,
        reason: str = "",
        deadline: dt.date | None = None,
    ) -> list[Reply]:
        """What the user would be told if ``action`` were taken now; nothing is changed or sent.

        Raises what the action itself would (ReviewError, ReviewInputError, CaseNotFound).
        """
        case = await self._get(case_number)
        next_status(self.machine, str(case.status), action)
        return self._notice(
            case,
            action,
            documents=documents,
            note=note,
            final_amount=final_amount,
            reason=reason,
            deadline=deadline,
        )

    def deadline(self, proposed: dt.date | None = None) -> dt.date:
        """The date documents are due: ``proposed`` (from a preview) if still sensible, else a new one."""
        today = dt.datetime.fromtimestamp(self.clock(), KST).date()
        latest = today + dt.timedelta(days=self.deadline_days)
        if proposed is not None and today <= proposed <= latest:
            return proposed
        return latest

    async def request_documents(
        self,
        case_number: str,
        *,
        staff: str,
        documents: str,
        note: str = "",
        deadline: dt.date | None = None,
    ) -> Case:
        """Ask the user for missing documents; they get a button that opens an upload step."""
        documents = documents.strip()
        case = await self._get(case_number)
        replies = self._notice(
            case, "request_documents", documents=documents, note=note, deadline=deadline
        )
        case = await self._change(case, "request_documents", staff=staff, reason=documents)
        await self._record(
            case,
            staff,
            REQUEST_ACTION,
            documents=documents,
            note=note,
            deadline=str(self.deadline(deadline)),
        )
        await self._tell(case, replies)
        return case

    async def approve(
        self, case_number: str, *, staff: str, final_amount: int, note: str = ""
    ) -> Case:
        """Approve with a final amount (KRW; 0 means the all-user package only)."""
        case = await self._get(case_number)
        replies = self._notice(case, "approve", final_amount=final_amount, note=note)
        case = await self._change(
            case, "approve", staff=staff, reason=note, final_amount=final_amount
        )
        await self._record(case, staff, "review.approved", final_amount=final_amount, note=note)
        await self._tell(case, replies)
        return case

    async def correct_amount(
        self, case_number: str, *, staff: str, final_amount: int, reason: str
    ) -> Case:
        """Correct the final amount of an approved case before it is paid; the reason is audited and told."""
        reason = reason.strip()
        case = await self._get(case_number)
        previous = case.final_amount
        replies = self._notice(case, "correct_amount", final_amount=final_amount, reason=reason)
        case = await self._change(
            case, "correct_amount", staff=staff, reason=reason, final_amount=final_amount
        )
        await self._record(
            case,
            staff,
            "review.amount_corrected",
            final_amount=final_amount,
            previous=previous,
            reason=reason,
        )
        await self._tell(case, replies)
        return case

    async def reject(self, case_number: str, *, staff: str, reason: str) -> Case:
        """Reject with a reason the user is told."""
        reason = reason.strip()
        case = await self._get(case_number)
        replies = self._notice(case, "reject", reason=reason)
        case = await self._change(case, "reject", staff=staff, reason=reason)
        await self._record(case, staff, "review.rejected", reason=reason)
        await self._tell(case, replies)
        return case

    async def mark_paid(self, case_number: str, *, staff: str) -> Case:
        """Record the payment of an approved case."""
        case = await self._get(case_number)
        replies = self._notice(case, "pay")
        case = await self._change(case, "pay", staff=staff, reason="paid")
        await self._record(case, staff, "review.paid", final_amount=case.final_amount)
        await self._tell(case, replies)
        return case

    async def resend(self, case_number: str, *, staff: str) -> bool:
        """Send the case's undelivered message again; return whether the user got it this time."""
        case = await self._get(case_number)
        entries = await asyncio.to_thread(lambda: list(self.storage.iter_audit(case.case_number)))
        replies = pending_notice(entries)
        if replies is None:
            raise ReviewInputError("every message of this case reached the user")
        if not await self._tell(case, replies):
            return False
        await self._record(case, staff, NOTICE_RESENT)
        return True

    # -- internals ---------------------------------------------------------------------------
    def _notice(
        self,
        case: Case,
        action: str,
        *,
        documents: str = "",
        note: str = "",
        final_amount: int | None = None,
        reason: str = "",
        deadline: dt.date | None = None,
    ) -> list[Reply]:
        """The message ``action`` sends the user, in their language; checks what staff typed.

        Their language is the one they chose last (``/lang``, kept by storage), else the
        one they reported in.
        """
        lang = self.storage.load_user_lang(case.user_id) or case.lang
        note_line = f"{note.strip()}\n" if note.strip() else ""
        if action == "request_documents":
            if not documents.strip():
                raise ReviewInputError("name the documents the user should send")
            text = t(
                lang,
                "review.documents_requested",
                case_number=case.case_number,
                documents=documents.strip(),
                note=note_line,
                deadline=self.deadline(deadline).isoformat(),
            )
            button = Button(
                t(lang, "review.send_documents"), f"{DOCUMENTS_QUESTION}:{case.case_number}"
            )
            text += "\n" + t(lang, "message.ask_staff")
            return [Reply(text, ((button,), (ask_staff(case.case_number, lang),)))]
        if action in ("approve", "correct_amount"):
            if final_amount is None or final_amount < 0:
                raise ReviewInputError("the final amount cannot be negative")
            amount = format_amount(final_amount, lang) if final_amount else "-"
            if action == "approve":
                text = t(
                    lang,
                    "review.approved",
                    case_number=case.case_number,
                    amount=amount,
                    note=note_line,
                )
                return [Reply(text)]
            if not reason.strip():
                raise ReviewInputError("give the reason for the correction the user will be told")
            if final_amount == case.final_amount:
                raise ReviewInputError("the corrected amount is the amount already approved")
            text = t(
                lang,
                "review.amount_corrected",
                case_number=case.case_number,
                amount=amount,
                reason=reason.strip(),
            )
            return [Reply(text)]
        if action == "reject":
            if not reason.strip():
                raise ReviewInputError("give the reason the user will be told")
            # Questions go to staff from the chat (the button); the policy's line
            # (a phone desk) is the way outside it.
            contact = "\n" + t(lang, "message.ask_staff")
            contact += f"\n{self.contact(lang)}" if self.contact else ""
            text = t(
                lang,
                "review.rejected",
                case_number=case.case_number,
                reason=reason.strip(),
                contact=contact,
            )
            return [Reply(text, ((ask_staff(case.case_number, lang),),))]
        if action == "pay":
            amount = format_amount(case.final_amount or 0, lang)
            return [Reply(t(lang, "review.paid", case_number=case.case_number, amount=amount))]
        raise ReviewError(action, str(case.status))

    async def _get(self, case_number: str) -> Case:
        case = await asyncio.to_thread(self.storage.get_case, case_number)
        if case is None:
            raise CaseNotFound(case_number)
        return case

    async def _change(
        self,
        case: Case,
        action: str,
        *,
        staff: str,
        reason: str,
        final_amount: int | None = None,
    ) -> Case:
        status = next_status(self.machine, str(case.status), action)
        return await asyncio.to_thread(
            self.storage.update_case,
            case.case_number,
            CaseChange(
                actor=staff,
                now=self.clock(),
                status=CaseStatus(status),
                final_amount=final_amount,
                reason=reason,
            ),
        )

    async def _record(self, case: Case, staff: str, action: str, **detail: object) -> None:
        entry = AuditEntry(
            at=self.clock(), actor=staff, action=action, case_number=case.case_number, detail=detail
        )
        await asyncio.to_thread(self.storage.append_audit, entry)

    async def _tell(self, case: Case, replies: list[Reply]) -> bool:
        """Tell the user; a failure is logged and audited with the message, and never undoes the decision."""
        if self.notify is None:
            return False
        try:
            await self.notify(case.user_id, replies)
        except Exception as exc:
            log.warning(
                "could not notify the user of case %s: %s", case.case_number, type(exc).__name__
            )
            await self._record(
                case,
                "system",
                NOTIFY_FAILED,
                error=type(exc).__name__,
                notice=[_reply_to_json(r) for r in replies],
            )
            return False
        return True


def ask_staff(case_number: str, lang: str) -> Button:
    """The "ask staff" button under a decision: it opens the person's message step for the case."""
    return Button(t(lang, "message.button"), f"{MESSAGE_QUESTION}:{case_number}")


def pending_notice(entries: Iterable[AuditEntry]) -> list[Reply] | None:
    """The message of a case that failed and was not delivered since, from its audit trail."""
    pending: list[Reply] | None = None
    for entry in entries:
        if entry.action == NOTIFY_FAILED:
            notice = entry.detail.get("notice")
            pending = [_reply_from_json(r) for r in notice] if isinstance(notice, list) else None
        elif entry.action in NOTICE_ACTIONS:
            pending = None  # a newer message, or this one sent again
    return pending or None


def _reply_to_json(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons],
    }


def _reply_from_json(raw: Any) -> Reply:
    rows = raw.get("buttons", []) if isinstance(raw, dict) else []
    return Reply(
        str(raw.get("text", "")) if isinstance(raw, dict) else "",
        tuple(tuple(Button(str(label), str(data)) for label, data in row) for row in rows),
    )
