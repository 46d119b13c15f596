"""Fixtures for the pure flow: the 1015 policy and a scripted conversation driver."""

from __future__ import annotations

import pytest

from flows.conversation import IntakeFlow, Outcome
from flows.identity import UserKey
from flows.limits import UserUsage
from flows.messages import (
    ChoiceInput,
    CommandInput,
    EvidenceFile,
    FilesInput,
    Input,
    Reply,
    TextInput,
)
from flows.policy import Policy, load_policy
from flows.record import ConversationRecord
from tests.support.users import tg

USER = tg(7)

NOW = 1_700_000_000.0  # 2023-11-14, inside no window of the default policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def flow(policy: Policy) -> IntakeFlow:
    return IntakeFlow(policy)


class Talk:
    """Drive one user's conversation through the pure flow, as storage would: by record."""

    def __init__(self, flow: IntakeFlow, *, user_id: UserKey = USER, lang: str = "ko") -> None:
        self.flow = flow
        self.user_id = user_id
        self.lang = lang
        self.record: ConversationRecord | None = None
        self.replies: list[Reply] = []
        self.submitted: list[Outcome] = []
        self.now = NOW
        self.outcome: Outcome | None = None
        self.usage: UserUsage | None = None  # what the user has sent before (storage knows)

    def send(self, message: Input) -> list[Reply]:
        # Round-trip the record through its dict form, as storage does.
        record = ConversationRecord.from_dict(self.record.to_dict()) if self.record else None
        self.now += 1
        out = self.flow.handle(
            record,
            message,
            user_id=self.user_id,
            now=self.now,
            language_code=self.lang,
            usage=self.usage,
        )
        self.outcome = out  # as the flow returned it, before the submission is completed
        if out.submission is not None:
            self.submitted.append(out)
            done = self.flow.complete_submission(out.record, f"CASE{len(self.submitted)}", self.now)
            out = Outcome(record=done.record, replies=out.replies + done.replies)
        self.record = out.record
        self.replies = out.replies
        return out.replies

    def say(self, text: str) -> list[Reply]:
        return self.send(TextInput(text))

    def press(self, value: str) -> list[Reply]:
        assert self.record is not None
        return self.send(ChoiceInput(self.record.state, value))

    def command(self, name: str, arg: str = "") -> list[Reply]:
        return self.send(CommandInput(name, arg))

    def files(self, *files: EvidenceFile) -> list[Reply]:
        return self.send(FilesInput(tuple(files)))

    @property
    def state(self) -> str | None:
        return self.record.state if self.record else None

    @property
    def answers(self) -> dict:
        assert self.record is not None
        return self.record.answers

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def button_values(self) -> list[str]:
        return [b.data.split(":", 1)[1] for r in self.replies for row in r.buttons for b in row]


def make_receipt(
    n: int = 1, *, size: int = 1000, mime: str = "image/jpeg", name: str | None = None
) -> EvidenceFile:
    return EvidenceFile(name=name or f"receipt{n}.jpg", mime=mime, size=size, sha256=f"{n:064x}")


@pytest.fixture
def receipt():
    """Build a fake evidence file description (the flow never sees bytes)."""
    return make_receipt


@pytest.fixture
def talk(flow: IntakeFlow) -> Talk:
    return Talk(flow)


@pytest.fixture
def make_talk(flow: IntakeFlow):
    def make(*, flow: IntakeFlow = flow, **kwargs) -> Talk:
        return Talk(flow, **kwargs)

    return make
