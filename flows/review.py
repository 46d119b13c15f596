"""The review of a submitted case as a state table: which staff action is allowed from which status.

submitted → (documents_requested ↔ documents_received) → approved with a final amount /
rejected with a reason → paid. A case waiting for documents can still be approved
or rejected (staff may decide without them), and an approved amount can be
corrected, with a reason, until it is paid. Like the intake, one plain machine is
shared and a throwaway model carries the status for each check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from transitions import Machine

from flows.errors import FlowError

if TYPE_CHECKING:
    from transitions.core import TransitionConfigDict  # in the stubs only

STATUSES = (
    "submitted",
    "documents_requested",
    "documents_received",
    "approved",
    "rejected",
    "paid",
)
OPEN = ("submitted", "documents_requested", "documents_received")

REVIEW_TRANSITIONS: list[TransitionConfigDict] = [
    {"trigger": "request_documents", "source": list(OPEN), "dest": "documents_requested"},
    {
        "trigger": "receive_documents",
        "source": ["documents_requested", "documents_received"],
        "dest": "documents_received",
    },
    {"trigger": "approve", "source": list(OPEN), "dest": "approved"},
    {"trigger": "reject", "source": list(OPEN), "dest": "rejected"},
    {"trigger": "correct_amount", "source": "approved", "dest": "approved"},
    {"trigger": "pay", "source": "approved", "dest": "paid"},
]
ACTIONS = tuple(dict.fromkeys(t["trigger"] for t in REVIEW_TRANSITIONS))
# receive_documents happens when the user sends what was asked for, never by staff.
STAFF_ACTIONS = tuple(a for a in ACTIONS if a != "receive_documents")


class ReviewError(FlowError):
    """A review action that the case's status does not allow."""

    def __init__(self, action: str, status: str) -> None:
        super().__init__(
            f"cannot {action.replace('_', ' ')} a case that is {status.replace('_', ' ')}"
        )
        self.action = action
        self.status = status


class ReviewInputError(ReviewError):
    """A review action given what it cannot use (no documents named, no reason, a negative amount)."""

    def __init__(self, message: str) -> None:
        FlowError.__init__(self, message)
        self.action = ""
        self.status = ""


@dataclass
class _Status:
    state: str


def build_review_machine() -> Machine:
    """The shared review machine (no model registered)."""
    return Machine(
        model=None,
        states=list(STATUSES),
        transitions=REVIEW_TRANSITIONS,
        initial="submitted",
        auto_transitions=False,
        ignore_invalid_triggers=True,
    )


def next_status(machine: Machine, status: str, action: str) -> str:
    """Return the status ``action`` leads to from ``status``, or raise ReviewError."""
    if action not in machine.events or status not in STATUSES:
        raise ReviewError(action, status)
    model = _Status(status)
    if not machine.events[action].trigger(model):
        raise ReviewError(action, status)
    return model.state


def allowed_actions(machine: Machine, status: str) -> list[str]:
    """The staff actions available for a case in ``status``, in table order."""
    return [a for a in STAFF_ACTIONS if status in machine.events[a].transitions]
