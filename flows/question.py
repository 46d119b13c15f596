"""What a question of the intake is, declared once: its keys, parsing, text, buttons and edges.

A :class:`Question` holds everything the flow, the state table and the summary need to
know about one question, so adding a question is one declaration (plus its texts and
its place in the question list). The declarations of the damage report live in
:mod:`flows.questions`; the flow (:mod:`flows.conversation`) and the state table
(:mod:`flows.machine`) read them.

A question's callables receive the conversation being answered as an :class:`Asking`:
read access to the answers and the policy, the catalogue's words, and the few moves a
question may make itself (ask again with a hint, add a note, close the draft…).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from flows.policy import Policy, TierDecision

# (value, label) of one button, in display order.
Option = tuple[str, str]
# A forward edge's condition, on the answers so far: see :class:`When`.
Test = Callable[[Mapping[str, Any], Policy], bool]

YES_WORDS = frozenset({"네", "예", "응", "어", "넵", "네네", "맞아요", "yes", "y", "ok", "okay"})
NO_WORDS = frozenset({"아니요", "아니오", "아뇨", "아니", "no", "n", "nope"})
# Keep the answer of a text question being revisited (its one button).
KEEP_WORDS = frozenset({"그대로", "유지", "keep", "keepit", "same"})


class Asking(Protocol):
    """The conversation a question is asked in, as its declaration may use it."""

    @property
    def answers(self) -> dict[str, Any]: ...

    @property
    def lang(self) -> str: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def now(self) -> float: ...

    def t(self, key: str, **values: object) -> str:
        """The catalogue's text ``key`` in the conversation's language."""
        ...

    def decision(self) -> TierDecision:
        """The support tier the answers so far lead to."""
        ...

    def needs_files(self) -> bool:
        """The report needs the review's documents (a loss under a review tier)."""
        ...

    def service_name(self) -> str:
        """The damaged service in words (the typed name for "other")."""
        ...

    def reask(self, hint_key: str, **values: object) -> None:
        """Say the hint ``hint_key`` and ask the current question again."""
        ...

    def note(self, text: str) -> None:
        """Say ``text`` before the next question, in the same message."""
        ...

    def ask(self) -> None:
        """Ask the current question (again)."""
        ...

    def say_tier(self) -> None:
        """Tell the tentative support the answers lead to."""
        ...

    def close(self, text_key: str) -> None:
        """Forget the draft, saying ``text_key``."""
        ...

    def move(self, trigger: str) -> None:
        """Fire ``trigger`` of the state table and ask where it leads."""
        ...


class Invalid(Exception):
    """A typed answer that cannot be taken: the hint to say, with its values."""

    def __init__(self, hint_key: str, **values: object) -> None:
        super().__init__(hint_key)
        self.hint_key = hint_key
        self.values = values


@dataclass(frozen=True)
class When:
    """A named condition of a forward edge (the name is what the diagram shows)."""

    name: str
    test: Test


def when(test: Test) -> When:
    """Declare a condition under its function's name: ``@when`` over ``def asks_paid(...)``."""
    return When(test.__name__, test)


@dataclass(frozen=True)
class Next:
    """A forward edge: after answering, go to ``dest`` (when ``when`` holds).

    A question's edges are tried in order; the first whose condition holds wins, so
    the last usually has none.
    """

    dest: str
    when: When | None = None


def _stores(key: str) -> Callable[[Asking, Any], None]:
    def store(ctx: Asking, value: Any) -> None:
        ctx.answers[key] = value

    return store


@dataclass(frozen=True, eq=False)
class Question:
    """One question: everything about it, in one place.

    A choice (``options`` gives its buttons and ``choose`` takes the pressed value) or
    free text (``parse`` reads typed text into a value, raising :class:`Invalid`, and
    ``store`` keeps it), or free text with buttons of its own (an optional answer's
    "skip"). A free-text question being revisited offers a "keep" button, which moves on
    and changes nothing; typed words in ``synonyms`` (or a button's number or label)
    mean that button.
    """

    name: str
    # Forward edges out of this question: the state table's ``advance`` rows.
    opens: tuple[Next, ...]
    # Whether the answers hold an answer (an answered question is passed when moving on).
    answered: Callable[[Asking], bool]
    # The answer in words, for the summary and when the question is revisited.
    show: Callable[[Asking], str | None]
    # The answer keys it owns: what a submission carries when the question is on the path.
    keys: tuple[str, ...] = ()
    # The question's text; the catalogue's text named like the question when None.
    text: Callable[[Asking], str] | None = None
    # Buttons as (value, label); without them a free-text question has "keep" when answered.
    options: Callable[[Asking], list[Option]] | None = None
    # A pressed (or typed) button: take it. True to move on, False when it did itself.
    choose: Callable[[Asking, str], bool] | None = None
    # Free text: the typed answer read and validated (raise Invalid), then stored.
    parse: Callable[[Asking, str], Any] | None = None
    store: Callable[[Asking, Any], None] | None = None
    # A choice question's typed text that names no button (default: point at the buttons).
    on_text: Callable[[Asking, str], None] | None = None
    # Button values taken though not shown (e.g. every way of finishing a step).
    accepts: frozenset[str] = frozenset()
    # Typed words meaning a button, per button value.
    synonyms: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Buttons side by side: short labels two to a row, sentences one.
    per_row: int = 1
    # Shown in the summary and changeable from its edit menu.
    editable: bool = True
    # Its name in the summary and the edit menu; the catalogue's ``field.<name>`` when None.
    field_name: Callable[[Asking], str] | None = None
    # Whether the kept answer is repeated under the question when it is asked again.
    shows_current: bool = True
    # Another question answered by this one's path without being asked (see Inferred).
    infers: Inferred | None = None

    def __post_init__(self) -> None:
        if self.parse is None and self.choose is None:
            raise ValueError(f"{self.name}: a question parses text or takes a choice, or both")
        if not self.keys:
            object.__setattr__(self, "keys", (self.name,))
        if self.parse is not None and self.store is None:
            object.__setattr__(self, "store", _stores(self.keys[0]))

    @property
    def free_text(self) -> bool:
        return self.parse is not None

    def question_text(self, ctx: Asking) -> str:
        return self.text(ctx) if self.text else ctx.t(self.name)

    def buttons_of(self, ctx: Asking) -> list[Option]:
        """(value, label) of each button, in display order."""
        if self.options is not None:
            return self.options(ctx)
        if self.free_text and self.answered(ctx):
            return [("keep", ctx.t("keep"))]
        return []

    def take(self, ctx: Asking, text: str) -> None:
        """Read a typed answer and keep it; :class:`Invalid` when it cannot be taken."""
        if self.parse is None or self.store is None:
            raise TypeError(f"{self.name} is not answered by typing")
        self.store(ctx, self.parse(ctx, text))

    def label(self, ctx: Asking) -> str:
        return self.field_name(ctx) if self.field_name else ctx.t("field." + self.name)

    def words_for(self, value: str) -> frozenset[str]:
        """Typed words meaning the button ``value`` (unfolded)."""
        words = self.synonyms.get(value, frozenset())
        return words | KEEP_WORDS if self.free_text and value == "keep" else words


@dataclass(frozen=True)
class Inferred:
    """A question whose answer a path implies: it is shown and submitted, not asked.

    On the path of the question declaring it, when ``when`` holds, ``question`` is
    shown in the summary right after it and ``answers`` go into the submission.
    """

    question: str
    when: When
    answers: Mapping[str, Any]


def yes_no(name: str) -> Callable[[Asking], list[Option]]:
    """Yes and no buttons labelled by the catalogue's ``<name>.yes`` and ``<name>.no``."""

    def options(ctx: Asking) -> list[Option]:
        return [("yes", ctx.t(f"{name}.yes")), ("no", ctx.t(f"{name}.no"))]

    return options
