"""The intake conversation as a declarative `transitions` state table.

One plain :class:`transitions.Machine` is built per flow and shared by every
conversation. A conversation is a :class:`Draft` restored from its stored record for
each input; the machine moves it by ``machine.events[trigger].trigger(draft)``, so no
model is ever registered with the machine and nothing per user lives in it.

Forward moves are all ``advance``: after a valid answer, the first transition of the
current state whose conditions hold decides the next question. Those rows come from
each question's ``opens`` edges (:mod:`flows.questions`); the rest are below. Jumps back to an
earlier question (``/back``, editing from the summary, resuming) use ``jump`` with the
target as argument; they are left out of the diagram to keep it readable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from transitions import Machine

from flows.policy import Policy
from flows.question import Question, When
from flows.questions import INTAKE_QUESTIONS

# summary: confirm or edit; edit_menu: pick an answer to change; resume: continue or
# restart a draft after /start; submitted: a case exists; supplement: sending documents
# staff asked for, for one submitted case; message: writing to staff about a submitted
# case; closed: forget the draft.
AFTER_QUESTIONS = (
    "summary",
    "edit_menu",
    "resume",
    "submitted",
    "supplement",
    "message",
    "closed",
)
# Triggers drawn in the README diagram. ``pause`` (/start), ``cancel`` (/cancel) and
# ``open_supplement`` (staff asked for documents) and ``open_message`` (writing to staff)
# leave every question, and ``jump`` (/back, edits, resuming, finishing a supplement or a
# message) returns to an earlier state; drawn,
# they would bury the path, so the README states them in words.
DIAGRAM_TRIGGERS = frozenset({"advance", "retry_amount", "decline", "edit", "submit", "restart"})


class Draft:
    """The model the machine moves: a conversation's state plus read access to its answers.

    The state table names its conditions; each table's :attr:`StateTable.draft_class`
    answers every name (``draft.asks_paid()``) from the questions' :class:`When`
    declarations, as methods, so the machine finds them as fast as written ones.
    """

    def __init__(self, state: str, answers: Mapping[str, Any], policy: Policy) -> None:
        self.state = state
        self.answers = answers
        self.policy = policy


def _condition(when: When) -> Callable[[Draft], bool]:
    def holds(draft: Draft) -> bool:
        return when.test(draft.answers, draft.policy)

    holds.__name__ = when.name
    return holds


class StateTable:
    """The states and transitions of a flow asking ``questions`` (in walking order).

    The forward path is each question's ``opens`` edges, as ``advance`` rows: order
    matters, the first transition whose conditions hold wins. The other rows (declining,
    the summary, pausing, cancelling, supplements) are the same for any questions.
    """

    def __init__(self, questions: Sequence[Question]) -> None:
        self.questions: dict[str, Question] = {q.name: q for q in questions}
        self.names = tuple(self.questions)  # in the order a report walks them
        self.states = (*self.names, *AFTER_QUESTIONS)
        self.draft_states = (*self.names, "summary", "edit_menu")
        # Where a jump may land, and where it may start.
        self.jump_targets = (*self.draft_states, "resume", "submitted")
        self.jump_sources = (*self.draft_states, "resume", "supplement", "message")
        self.conditions: dict[str, When] = {}
        forward: list[dict[str, Any]] = []
        for q in questions:
            for edge in q.opens:
                if edge.dest not in self.states:
                    raise ValueError(f"{q.name} opens {edge.dest!r}, which is not a state")
                row: dict[str, Any] = {"trigger": "advance", "source": q.name, "dest": edge.dest}
                if edge.when is not None:
                    self.conditions[edge.when.name] = edge.when
                    row["conditions"] = edge.when.name
                forward.append(row)
        # The model class whose methods are this table's conditions.
        self.draft_class: type[Draft] = type(
            "Draft",
            (Draft,),
            {name: _condition(w) for name, w in self.conditions.items()},
        )
        draft_states = list(self.draft_states)
        self.transitions: list[dict[str, Any]] = [
            *forward,
            {"trigger": "retry_amount", "source": "amount_confirm", "dest": "amount"},
            {"trigger": "decline", "source": "consent", "dest": "closed"},
            {"trigger": "edit", "source": "summary", "dest": "edit_menu"},
            {"trigger": "submit", "source": "summary", "dest": "submitted"},
            {"trigger": "pause", "source": draft_states, "dest": "resume"},
            {"trigger": "restart", "source": ["resume", "submitted"], "dest": "consent"},
            {"trigger": "cancel", "source": [*draft_states, "resume"], "dest": "closed"},
            {
                "trigger": "open_supplement",
                "source": [*self.jump_targets, "supplement"],
                "dest": "supplement",
            },
            {
                "trigger": "open_message",
                "source": [*self.jump_targets, "message"],
                "dest": "message",
            },
        ]

    def jump_transitions(self) -> list[dict[str, Any]]:
        """Edges that let /back, edits and resuming return to any earlier state."""
        return [
            {
                "trigger": "jump",
                "source": list(self.jump_sources),
                "dest": d,
                "conditions": TargetIs(d),
            }
            for d in self.jump_targets
        ]


# The damage report's table, and its names as the rest of the code reads them.
INTAKE = StateTable(INTAKE_QUESTIONS)
QUESTIONS = INTAKE.names
STATES = INTAKE.states
DRAFT_STATES = INTAKE.draft_states
JUMP_TARGETS = INTAKE.jump_targets
JUMP_SOURCES = INTAKE.jump_sources
TRANSITIONS = INTAKE.transitions


@dataclass(frozen=True)
class TargetIs:
    """Condition of a ``jump`` edge: true when the jump asks for this edge's target."""

    target: str

    def __call__(self, target: str) -> bool:
        return target == self.target


def build_machine(
    machine_class: type[Machine] = Machine,
    *,
    table: StateTable = INTAKE,
    for_diagram: bool = False,
    **kwargs: Any,
) -> Machine:
    """Build the machine of ``table`` (the damage report's unless told).

    ``machine_class`` and ``for_diagram`` let the docs draw it with a GraphMachine,
    from the same table, leaving out the edges listed beside DIAGRAM_TRIGGERS.
    """
    if for_diagram:
        transitions = [t for t in table.transitions if t["trigger"] in DIAGRAM_TRIGGERS]
    else:
        transitions = table.transitions + table.jump_transitions()
    return machine_class(
        model=None,
        states=list(table.states),
        transitions=transitions,
        initial="consent",
        auto_transitions=False,
        ignore_invalid_triggers=True,
        **kwargs,
    )


def fire(machine: Machine, draft: Draft, trigger: str, *args: Any) -> bool:
    """Fire ``trigger`` on ``draft``; False when no transition of it applies from here."""
    result: bool = machine.events[trigger].trigger(draft, *args)
    return result


def path_of(
    machine: Machine, answers: Mapping[str, Any], policy: Policy, table: StateTable = INTAKE
) -> list[str]:
    """Walk the forward path the answers lead along, from consent up to the summary.

    The machine itself is the single source of truth for which questions apply.
    """
    draft = table.draft_class("consent", answers, policy)
    path = ["consent"]
    while draft.state != "summary" and len(path) <= len(table.names):
        fire(machine, draft, "advance")
        path.append(draft.state)
    return path
