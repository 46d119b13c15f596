"""The intake conversation as a declarative `transitions` state table.

One plain :class:`transitions.Machine` is built per process and shared by every
conversation. A conversation is a :class:`Draft` restored from its stored record for
each input; the machine moves it by ``machine.events[trigger].trigger(draft)``, so no
model is ever registered with the machine and nothing per user lives in it.

Forward moves are all ``advance``: after a valid answer, the first transition of the
current state whose conditions hold decides the next question. Jumps back to an
earlier question (``/back``, editing from the summary, resuming) use ``jump`` with the
target as argument; they are left out of the diagram to keep it readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import Machine

from flows.policy import Policy

# Questions in the order a report walks them.
QUESTIONS = (
    "consent",
    "reporter_type",
    "service",
    "service_other",
    "paid",
    "monetary",
    "description",  # the question or opinion; on the money path, what happened (skippable)
    "amount",
    "amount_confirm",
    "business_number",
    "channel",
    "evidence",
)
# summary: confirm or edit; edit_menu: pick an answer to change; resume: continue or
# restart a draft after /start; submitted: a case exists; supplement: sending documents
# staff asked for, for one submitted case; closed: forget the draft.
STATES = (*QUESTIONS, "summary", "edit_menu", "resume", "submitted", "supplement", "closed")
DRAFT_STATES = (*QUESTIONS, "summary", "edit_menu")
# Where a jump may land, and where it may start.
JUMP_TARGETS = (*DRAFT_STATES, "resume", "submitted")
JUMP_SOURCES = (*DRAFT_STATES, "resume", "supplement")

# The forward path. Order matters: the first transition whose conditions hold wins.
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "advance", "source": "consent", "dest": "reporter_type"},
    {"trigger": "advance", "source": "reporter_type", "dest": "service"},
    {
        "trigger": "advance",
        "source": "service",
        "dest": "service_other",
        "conditions": "is_other_service",
    },
    {"trigger": "advance", "source": "service", "dest": "paid", "conditions": "asks_paid"},
    {"trigger": "advance", "source": "service", "dest": "monetary"},
    {"trigger": "advance", "source": "service_other", "dest": "paid", "conditions": "asks_paid"},
    {"trigger": "advance", "source": "service_other", "dest": "monetary"},
    {"trigger": "advance", "source": "paid", "dest": "monetary"},
    {"trigger": "advance", "source": "monetary", "dest": "description"},
    {"trigger": "advance", "source": "description", "dest": "amount", "conditions": "is_monetary"},
    {"trigger": "advance", "source": "description", "dest": "summary"},
    {"trigger": "advance", "source": "amount", "dest": "amount_confirm"},
    {
        "trigger": "advance",
        "source": "amount_confirm",
        "dest": "business_number",
        "conditions": "is_small_business",
    },
    {"trigger": "advance", "source": "amount_confirm", "dest": "evidence"},
    {
        "trigger": "advance",
        "source": "business_number",
        "dest": "evidence",
        "conditions": "channel_implied",
    },
    {"trigger": "advance", "source": "business_number", "dest": "channel"},
    {"trigger": "advance", "source": "channel", "dest": "evidence"},
    {"trigger": "advance", "source": "evidence", "dest": "summary"},
    {"trigger": "retry_amount", "source": "amount_confirm", "dest": "amount"},
    {"trigger": "decline", "source": "consent", "dest": "closed"},
    {"trigger": "edit", "source": "summary", "dest": "edit_menu"},
    {"trigger": "submit", "source": "summary", "dest": "submitted"},
    {"trigger": "pause", "source": list(DRAFT_STATES), "dest": "resume"},
    {"trigger": "restart", "source": ["resume", "submitted"], "dest": "consent"},
    {"trigger": "cancel", "source": [*DRAFT_STATES, "resume"], "dest": "closed"},
    {"trigger": "open_supplement", "source": [*JUMP_TARGETS, "supplement"], "dest": "supplement"},
]
# Triggers drawn in the README diagram. ``pause`` (/start), ``cancel`` (/cancel) and
# ``open_supplement`` (staff asked for documents) leave every question, and ``jump``
# (/back, edits, resuming, finishing a supplement) returns to an earlier state; drawn,
# they would bury the path, so the README states them in words.
DIAGRAM_TRIGGERS = frozenset({"advance", "retry_amount", "decline", "edit", "submit", "restart"})


@dataclass(frozen=True)
class TargetIs:
    """Condition of a ``jump`` edge: true when the jump asks for this edge's target."""

    target: str

    def __call__(self, target: str) -> bool:
        return target == self.target


def jump_transitions() -> list[dict[str, Any]]:
    """Edges that let /back, edits and resuming return to any earlier state."""
    return [
        {"trigger": "jump", "source": list(JUMP_SOURCES), "dest": d, "conditions": TargetIs(d)}
        for d in JUMP_TARGETS
    ]


def build_machine(
    machine_class: type[Machine] = Machine, *, for_diagram: bool = False, **kwargs: Any
) -> Machine:
    """Build the shared intake machine.

    ``machine_class`` and ``for_diagram`` let the docs draw it with a GraphMachine,
    from the same table, leaving out the edges listed beside DIAGRAM_TRIGGERS.
    """
    if for_diagram:
        transitions = [t for t in TRANSITIONS if t["trigger"] in DIAGRAM_TRIGGERS]
    else:
        transitions = TRANSITIONS + jump_transitions()
    return machine_class(
        model=None,
        states=list(STATES),
        transitions=transitions,
        initial="consent",
        auto_transitions=False,
        ignore_invalid_triggers=True,
        **kwargs,
    )


class Draft:
    """The model the machine moves: a conversation's state plus read access to its answers.

    Conditions are methods here so the state table can name them.
    """

    def __init__(self, state: str, answers: Mapping[str, Any], policy: Policy) -> None:
        self.state = state
        self.answers = answers
        self.policy = policy

    def is_other_service(self) -> bool:
        service = self.policy.service(self.answers.get("service", ""))
        return bool(service and service.other)

    def asks_paid(self) -> bool:
        service = self.policy.service(self.answers.get("service", ""))
        return bool(service and service.billing == "both")

    def is_monetary(self) -> bool:
        return bool(self.answers.get("monetary"))

    def is_small_business(self) -> bool:
        return self.answers.get("reporter_type") == "small_business"

    def channel_implied(self) -> bool:
        """The damaged service is a Channel itself: no need to ask whether they run one."""
        cash = self.policy.channel_cash
        return bool(cash and cash.implied(self.answers))


def fire(machine: Machine, draft: Draft, trigger: str, *args: Any) -> bool:
    """Fire ``trigger`` on ``draft``; False when no transition of it applies from here."""
    return machine.events[trigger].trigger(draft, *args)


def path_of(machine: Machine, answers: Mapping[str, Any], policy: Policy) -> list[str]:
    """Walk the forward path the answers lead along, from consent up to the summary.

    The machine itself is the single source of truth for which questions apply.
    """
    draft = Draft("consent", answers, policy)
    path = ["consent"]
    while draft.state != "summary" and len(path) <= len(QUESTIONS):
        fire(machine, draft, "advance")
        path.append(draft.state)
    return path
