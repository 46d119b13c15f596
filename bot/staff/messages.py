"""Staff answering a reporter's messages about a case, from any staff door.

The reporter writes through their channel (:mod:`flows.step`'s message step, stored by
:class:`bot.intake.IntakeService`); staff read the thread on the case page and answer
there. An answer is stored on the case first (audited as ``case.message``), then
delivered to the person in their language by :func:`deliver`, with a "reply" button
that opens their channel's message step for the case again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.intake import MESSAGE_QUESTION
from bot.staff.review import ReviewService
from flows.messages import Button, Reply
from flows.texts import CATALOG, t
from storage import Case, CaseMessage, CaseNotFound, Storage

log = logging.getLogger(__name__)
# Longest answer staff may send (a chat message holds 4096 characters, with room to spare).
ANSWER_MAX = 3000


@dataclass(frozen=True)
class Answered:
    """What answering came to: the case as it is now, and whether the person was told.

    ``sent`` is False when this answer was stored before (a form posted twice): it
    was neither stored nor delivered again. ``waits`` is True when the person's
    channel cannot push (web chat, KakaoTalk, console): the answer waits in their
    mailbox for their next visit, which is no failure.
    """

    case: Case
    delivered: bool
    sent: bool = True
    waits: bool = False


def answer_replies(case: Case, text: str, lang: str) -> list[Reply]:
    """The message the person gets: the case, staff's words, and a button to write back."""
    reply = Button(t(lang, "message.reply"), f"{MESSAGE_QUESTION}:{case.case_number}")
    body = t(lang, "message.from_staff", case_number=case.case_number, text=text)
    return [Reply(body, ((reply,),))]


async def deliver(review: ReviewService, case: Case, replies: list[Reply]) -> bool:
    """Send a staff answer through the person's channel; False when it could not be.

    The one place an answer leaves: through :meth:`bot.notices.Notices.post`, like the
    review's news (pushed where the channel pushes, else kept in the person's mailbox;
    a failed push is audited with the message, kept and retried).
    """
    return await review._tell(case, replies, kind="staff_message")


class StaffMessages:
    """Answers and "done" marks on cases' threads, stored and audited before anything is sent."""

    def __init__(
        self,
        storage: Storage,
        review: ReviewService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.review = review
        self.clock = clock

    async def answer(self, case_number: str, *, staff: str, text: str, message_id: str) -> Answered:
        """Store staff's answer on the case, then deliver it (once per ``message_id``).

        Raises :class:`storage.CaseNotFound` and ValueError for an empty answer.
        """
        text = text.strip()[:ANSWER_MAX]
        if not text:
            raise ValueError("an answer needs words")
        case = await asyncio.to_thread(self.storage.get_case, case_number)
        if case is None:
            raise CaseNotFound(case_number)
        if any(m.message_id == message_id for m in case.messages):
            return Answered(case, delivered=False, sent=False)
        message = CaseMessage(
            message_id=message_id,
            case_number=case.case_number,
            sender=staff,
            text=text,
            at=self.clock(),
        )
        case = await asyncio.to_thread(self.storage.add_case_message, message)
        lang = await asyncio.to_thread(self.lang_of, case)
        delivered = await deliver(self.review, case, answer_replies(case, text, lang))
        log.info("staff %r answered case %s (delivered: %s)", staff, case.case_number, delivered)
        return Answered(case, delivered, waits=not self.review.delivers_to(case.user_id))

    async def done(self, case_number: str, *, staff: str) -> Case:
        """Mark the case's thread done: nothing in it waits for staff any more."""
        return await asyncio.to_thread(
            self.storage.set_thread_done, case_number, actor=staff, now=self.clock()
        )

    def lang_of(self, case: Case) -> str:
        """The person's chosen language (/lang), else the one they reported in."""
        chosen = self.storage.load_user_lang(case.user_id)
        return chosen if chosen in CATALOG else case.lang
