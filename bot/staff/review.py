"""Staff review of submitted cases: request documents, approve, correct the amount, reject, mark paid.

Every action is checked against the review table in :mod:`flows.review`, written
through storage (which audits the change), recorded with what the user was told,
and then announced to the user in their language through :meth:`bot.notices.Notices.post`:
pushed on a channel that pushes (Telegram), else kept in their mailbox and shown the
next time they write. :meth:`ReviewService.preview` builds that announcement without
taking the action, so staff confirm exactly the message the user will get. A push
that failed is audited (``review.notify_failed``, with the notice's id and text), kept
and retried by the scheduler; :meth:`ReviewService.resend` pushes it again now.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from bot.intake import DOCUMENTS_QUESTION, MESSAGE_QUESTION, REQUEST_ACTION
from bot.notices import Notices, reply_from_json
from flows.amount import format_amount
from flows.identity import TELEGRAM, UserKey
from flows.messages import Button, Reply
from flows.policy import KST, Text
from flows.review import ReviewError, ReviewInputError, build_review_machine, next_status
from flows.texts import t
from storage import AuditEntry, Case, CaseChange, CaseNotFound, CaseStatus, Notice, Storage

log = logging.getLogger(__name__)

# Pushes replies to a person (a test's inbox): see ReviewService's ``notify``.
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
        notices: Notices | None = None,
        notify: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        deadline_days: int = DOCUMENT_DEADLINE_DAYS,
        contact: Text | None = None,
    ) -> None:
        """``notices`` is the server's (:attr:`bot.intake.IntakeService.notices`).

        Without it the service keeps notices of its own: every one waits in its
        person's mailbox, except Telegram people's when ``notify`` is given, which
        then pushes them (tools and tests without a running channel).
        """
        self.storage = storage
        if notices is None:
            notices = Notices(storage, lang_of=self._lang, clock=clock)
            if notify is not None:
                notices.register(_PushBy(TELEGRAM, notify))
        self.notices = notices
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
        await self._tell(case, replies, kind="documents")
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

    def delivers_to(self, user_id: UserKey) -> bool:
        """Whether news for this person is pushed now (else it waits in their mailbox)."""
        return self.notices.pushes(user_id)

    async def undelivered(self, case_number: str) -> list[Notice]:
        """The case's notices its person has not got yet, oldest first."""
        waiting = await asyncio.to_thread(self.storage.undelivered_notices)
        return [n for n in waiting if n.case_number == case_number]

    async def resend(self, case_number: str, *, staff: str) -> bool:
        """Push the case's undelivered messages again now; return whether the user got them.

        A message a person's channel cannot push waits in their mailbox: nothing to do
        (False). A message that failed before this release kept only its audit entry:
        it becomes a notice now. Raises ReviewInputError when every message arrived.
        """
        case = await self._get(case_number)
        waiting = await self.undelivered(case.case_number)
        if not waiting:
            entries = await asyncio.to_thread(
                lambda: list(self.storage.iter_audit(case.case_number))
            )
            replies = pending_notice(entries)
            if replies is None:
                raise ReviewInputError("every message of this case reached the user")
            waiting = [
                await self.notices.post(
                    case.user_id, replies, kind="review", case_number=case.case_number
                )
            ]
        elif self.notices.pushes(case.user_id):
            waiting = [await self.notices.push(n) for n in waiting]
        if any(n.delivered_at is None for n in waiting):
            return False
        await self._record(case, staff, NOTICE_RESENT, notices=[n.notice_id for n in waiting])
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

    async def _tell(self, case: Case, replies: list[Reply], *, kind: str = "review") -> bool:
        """Tell the user through :meth:`Notices.post`; return whether they got it now.

        The notice is stored first, so it is never lost. A push that failed is audited
        with the message (the scheduler retries it); one waiting in a mailbox is not a
        failure. Neither undoes the decision.
        """
        notice = await self.notices.post(
            case.user_id, replies, kind=kind, case_number=case.case_number
        )
        if notice.delivered_at is not None:
            return True
        if notice.attempts:
            log.warning("could not notify the user of case %s", case.case_number)
            await self._record(
                case,
                "system",
                NOTIFY_FAILED,
                error=notice.last_error,
                notice_id=notice.notice_id,
                notice=list(notice.replies),
            )
        return False

    def _lang(self, user_id: UserKey) -> str:
        """The language of a person's unread-count line: their choice, else Korean."""
        return self.storage.load_user_lang(user_id) or "ko"


def ask_staff(case_number: str, lang: str) -> Button:
    """The "ask staff" button under a decision: it opens the person's message step for the case."""
    return Button(t(lang, "message.button"), f"{MESSAGE_QUESTION}:{case_number}")


def pending_notice(entries: Iterable[AuditEntry]) -> list[Reply] | None:
    """The message of a case that failed and was not delivered since, from its audit trail.

    Only a failure from before notices were stored (no ``notice_id``): a newer one's
    notice is kept, retried and shown from the store (:meth:`ReviewService.undelivered`).
    """
    pending: list[Reply] | None = None
    for entry in entries:
        if entry.action == NOTIFY_FAILED and "notice_id" in entry.detail:
            continue
        if entry.action == NOTIFY_FAILED:
            notice = entry.detail.get("notice")
            pending = [reply_from_json(r) for r in notice] if isinstance(notice, list) else None
        elif entry.action in NOTICE_ACTIONS:
            pending = None  # a newer message, or this one sent again
    return pending or None


class _PushBy:
    """A pushing notifier made of a function (``ReviewService(notify=...)``)."""

    pushes = True

    def __init__(self, channel: str, send: Notifier) -> None:
        self.channel = channel
        self._send = send

    async def deliver(self, user_id: UserKey, replies: list[Reply]) -> None:
        await self._send(user_id, replies)
