"""How a conversation moves: :func:`flows.machine.fire` on the state table's machine.

A step fires the machine about twice (``advance`` and, at the summary and on submitting,
a walk of the whole path). ``fire`` reads the machine's own transitions (the table
``transitions`` built from :mod:`flows.machine`'s rows) and moves the draft as
``transitions`` does, without its per-event machinery; a machine with callbacks is left
to ``transitions`` itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import transitions.core

from flows.machine import INTAKE, Draft, build_machine, fire, path_of
from flows.policy import Policy
from tests.flows.test_conversation import small_business_report


def fixed_draft_class(conditions: list[str]) -> type[Draft]:
    """A draft whose every condition answers from ``draft.truth`` (a dict per name)."""

    def answer(name: str) -> Any:
        def holds(self: Any, *_: object) -> bool:
            return bool(self.truth[name])

        return holds

    return type("FixedDraft", (INTAKE.draft_class,), {n: answer(n) for n in conditions})


def test_fire_moves_as_transitions_does_from_every_state(policy: Policy):
    """Every trigger from every state, with every truth of the conditions it reads (and
    every jump target, and one that is none): the same result and the same state as
    ``transitions``' own ``Event.trigger`` on a twin draft."""
    machine = build_machine()
    names = sorted(INTAKE.conditions)
    draft_class = fixed_draft_class(names)
    compared = 0
    for trigger, event in machine.events.items():
        targets: list[tuple[str, ...]] = [()]
        if trigger == "jump":
            targets = [(t,) for t in (*INTAKE.jump_targets, "nowhere")]
        for state in INTAKE.states:
            read = sorted(
                {
                    c.func
                    for t in event.transitions.get(state, [])
                    for c in t.conditions
                    if isinstance(c.func, str)
                }
            )
            for truths in itertools.product((False, True), repeat=len(read)):
                truth = dict.fromkeys(names, False) | dict(zip(read, truths, strict=True))
                for args in targets:
                    ours, theirs = draft_class(state, {}, policy), draft_class(state, {}, policy)
                    ours.truth = theirs.truth = truth  # type: ignore[attr-defined]
                    moved = fire(machine, ours, trigger, *args)
                    expected = event.trigger(theirs, *args)
                    assert (moved, ours.state) == (expected, theirs.state), (
                        trigger,
                        state,
                        truth,
                        args,
                    )
                    compared += 1
    assert compared > 500


def test_a_whole_report_runs_no_transitions_event(talk, receipt, monkeypatch):
    """Regression: every move of every step went through ``transitions``' Event.trigger
    (an EventData, Machine._process, empty callback lists, five debug log calls per
    move), half of the flow's CPU per step for a table with no callbacks at all."""
    triggered: list[str] = []
    original = transitions.core.Event.trigger

    def counting(self: transitions.core.Event, model: Any, *args: Any, **kwargs: Any) -> bool:
        triggered.append(self.name)
        result: bool = original(self, model, *args, **kwargs)
        return result

    monkeypatch.setattr(transitions.core.Event, "trigger", counting)
    small_business_report(talk, "35만 원")
    talk.files(receipt(1))
    talk.press("done")
    assert talk.state == "summary"
    talk.press("edit")
    talk.press("summary")
    talk.command("back")
    assert talk.state == "evidence"
    talk.press("done")
    talk.press("submit")
    assert talk.state == "submitted"
    assert triggered == []


def test_a_machine_with_callbacks_is_left_to_transitions(policy: Policy):
    """A machine built with callbacks (the docs may build one) still runs them on fire."""
    seen: list[str] = []
    machine = build_machine(after_state_change=lambda *_: seen.append("after"))
    draft = INTAKE.draft_class("summary", {}, policy)
    assert fire(machine, draft, "edit")
    assert draft.state == "edit_menu" and seen == ["after"]


def test_a_state_the_machine_does_not_know_is_refused_as_transitions_does(policy: Policy):
    """A stored conversation in a state no longer in the table: the same error as before."""
    machine = build_machine()
    with pytest.raises(ValueError, match="not a registered state"):
        fire(machine, INTAKE.draft_class("renamed_question", {}, policy), "advance")


def test_an_event_from_a_state_without_it_is_ignored(policy: Policy):
    machine = build_machine()
    draft = INTAKE.draft_class("submitted", {}, policy)
    assert not fire(machine, draft, "advance")
    assert draft.state == "submitted"


def test_path_of_a_small_business_report(policy: Policy):
    answers = {
        "consent": True,
        "reporter_type": "small_business",
        "service": "kakaomap",
        "monetary": True,
        "amount": 350_000,
    }
    path = path_of(build_machine(), answers, policy)
    assert path[0] == "consent" and path[-1] == "summary"
    assert {"business_number", "channel", "evidence"} <= set(path)
