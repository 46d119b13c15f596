"""A question is one declaration: add a throwaway one to a copy of the flow and walk it.

The README's "Adding a question" promises that a declaration (with its texts and its
place among the questions) is all a new question needs: the state table, the buttons,
the summary, the edit menu and the submission read it. These tests hold the promise
without touching the module-level declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from flows.conversation import IntakeFlow
from flows.machine import QUESTIONS, TRANSITIONS, StateTable
from flows.policy import Policy
from flows.question import Asking, Invalid, Next, Question, when
from flows.questions import INTAKE_QUESTIONS

ASK = "장애 때문에 몇 시간 동안 이용하지 못하셨나요? (숫자만)"
LABEL = "이용하지 못한 시간"


@when
def asks_hours(answers: Mapping[str, Any], policy: Policy) -> bool:
    return answers.get("monetary") is False  # a question or opinion: how long it hurt


def parse_hours(ctx: Asking, text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        raise Invalid("hint.empty")
    return int(digits)


HOURS = Question(
    "hours",
    opens=(Next("description"),),
    answered=lambda ctx: "hours" in ctx.answers,
    show=lambda ctx: f"{ctx.answers['hours']}h" if "hours" in ctx.answers else None,
    text=lambda ctx: ASK,
    field_name=lambda ctx: LABEL,
    parse=parse_hours,
)


def with_hours() -> tuple[Question, ...]:
    """The report's questions, with the hours asked after "monetary" on the no-loss path."""
    questions: list[Question] = []
    for q in INTAKE_QUESTIONS:
        if q.name == "monetary":
            q = dataclasses.replace(q, opens=(Next("hours", when=asks_hours), *q.opens))
        questions.append(q)
        if q.name == "monetary":
            questions.append(HOURS)
    return tuple(questions)


@pytest.fixture
def hours_talk(policy: Policy, make_talk):
    return make_talk(flow=IntakeFlow(policy, questions=with_hours()))


def to_hours(talk) -> None:
    talk.command("start")
    talk.press("agree")
    talk.press("general")
    talk.press("kakaomap")
    talk.press("no")  # no money lost: a question or opinion


def test_a_declared_question_is_asked_checked_summarised_edited_and_submitted(hours_talk):
    talk = hours_talk
    to_hours(talk)
    assert talk.state == "hours"
    assert talk.text == ASK

    talk.say("없어요")  # no digits: asked again with the parser's hint
    assert talk.state == "hours"
    assert "hours" not in talk.answers and ASK in talk.text

    talk.say("12시간")
    assert talk.answers["hours"] == 12
    assert talk.state == "description"
    talk.say("앱이 언제 다시 되나요?")
    assert talk.state == "summary"
    assert f"• {LABEL}: 12h" in talk.text

    talk.press("edit")  # the edit menu lists it, in its place on the path
    assert talk.button_values()[:5] == [
        "reporter_type",
        "service",
        "monetary",
        "hours",
        "description",
    ]
    talk.press("hours")
    assert talk.state == "hours"
    assert "12h" in talk.text  # the kept answer, with a button to keep it
    assert talk.button_values() == ["keep"]
    talk.say("30")
    assert talk.state == "summary"  # the rest was answered: straight back
    assert f"• {LABEL}: 30h" in talk.text

    talk.press("submit")
    assert talk.submitted[0].submission.answers["hours"] == 30


def test_its_edge_condition_decides_whether_it_is_asked(hours_talk):
    talk = hours_talk
    talk.command("start")
    talk.press("agree")
    talk.press("general")
    talk.press("kakaomap")
    talk.press("yes")  # a money loss: the hours' condition does not hold
    assert talk.state == "description"
    assert "hours" not in talk.record.history


def test_the_state_table_is_built_from_the_declarations(hours_talk):
    table = hours_talk.flow.table
    rows = [(t["source"], t["dest"], t.get("conditions")) for t in table.transitions]
    assert ("monetary", "hours", "asks_hours") in rows
    assert ("hours", "description", None) in rows
    assert "hours" in table.states and "hours" in table.draft_states


def test_the_module_level_flow_is_untouched(hours_talk, make_talk):
    assert "hours" not in QUESTIONS
    assert all(t["dest"] != "hours" for t in TRANSITIONS)
    talk = make_talk()
    to_hours(talk)
    assert talk.state == "description"


def test_a_table_refuses_an_edge_to_no_state():
    broken = dataclasses.replace(HOURS, opens=(Next("nowhere"),))
    with pytest.raises(ValueError, match="nowhere"):
        StateTable((*INTAKE_QUESTIONS, broken))
