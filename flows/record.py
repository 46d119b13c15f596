"""The plain, storable form of one person's conversation."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from flows.identity import UserKey

# 2: ``user_id`` is a UserKey (written ``telegram:123``), no longer a Telegram int.
SCHEMA_VERSION = 2
# Answers key holding documents being sent for a submitted case (the supplement state).
SUPPLEMENT_KEY = "_supplement"
# Answers key holding a message to staff being written (the message state): the case
# (None while the person picks it), the text and files so far, the cases to pick from.
MESSAGE_KEY = "_message"


@dataclass
class ConversationRecord:
    """State name, answers and bookkeeping of one user's report in progress.

    This is what storage keeps. It holds only JSON-compatible values so any
    storage can serialise it with :meth:`to_dict` and restore it with
    :meth:`from_dict`. Times are POSIX seconds (UTC).
    """

    user_id: UserKey
    state: str
    lang: str = "ko"
    answers: dict[str, Any] = field(default_factory=dict)
    # Questions visited before the current one, oldest first; ``/back`` pops it.
    history: list[str] = field(default_factory=list)
    # Identifies this draft across retries: submitting the same draft twice
    # must yield the same case.
    draft_id: str = ""
    # Set once the draft was submitted.
    case_number: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    reminded_at: float | None = None
    # Id of the last channel input applied: an int for a channel whose ids increase
    # (a Telegram update id; an input at or below it was applied already), a string
    # for a channel whose ids are opaque (only that same id is a redelivery). A
    # redelivered input, after a crash between saving and replying, must re-ask,
    # not apply twice. See bot.intake.IntakeService.handle.
    last_input_id: int | str | None = None
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, UserKey):
            raise TypeError(f"user_id must be a UserKey, not {self.user_id!r}")

    def to_dict(self, *, copy_data: bool = True) -> dict[str, Any]:
        """Return a deep, JSON-compatible copy (the user key as its string form).

        ``copy_data=False`` shares the record's answers and history: only for a dict
        serialised at once, before the record changes again (a store's write).
        """
        if not copy_data:
            data = {name: getattr(self, name) for name in _FIELDS if name != "user_id"}
        else:
            data = {name: copy_json(getattr(self, name)) for name in _FIELDS if name != "user_id"}
        return {"user_id": str(self.user_id), **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, copy_data: bool = True) -> ConversationRecord:
        """Build a record from :meth:`to_dict` output (a deep copy is taken).

        ``copy_data=False`` adopts ``data``'s values as they are: only for a dict nobody
        else holds, such as one just parsed from a file.
        """
        version = data.get("schema_version", SCHEMA_VERSION)
        if version > SCHEMA_VERSION:
            raise ValueError(f"conversation schema {version} is newer than {SCHEMA_VERSION}")
        if version < SCHEMA_VERSION:
            raise ValueError(f"conversation schema {version}: run `python -m bot migrate`")
        if copy_data:
            fields_ = {k: copy_json(v) for k, v in data.items() if k in _FIELDS and k != "user_id"}
        else:
            fields_ = {k: v for k, v in data.items() if k in _FIELDS and k != "user_id"}
        return cls(user_id=UserKey.parse(data["user_id"]), **fields_)

    def evidence_sha256(self) -> set[str]:
        """The sha256 of every file this conversation holds: its draft's evidence, the
        documents being sent for a case and the files of a message to staff being written."""
        files = list(self.answers.get("evidence", []))
        files += self.answers.get(SUPPLEMENT_KEY, {}).get("files", [])
        files += self.answers.get(MESSAGE_KEY, {}).get("files", [])
        return {f["sha256"] for f in files if f.get("sha256")}

    def copy(self) -> ConversationRecord:
        """Return an independent copy."""
        return ConversationRecord(
            user_id=self.user_id,
            **{name: copy_json(getattr(self, name)) for name in _FIELDS if name != "user_id"},
        )


_FIELDS = tuple(f.name for f in fields(ConversationRecord))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    """Deep-copy JSON-shaped data (dicts, lists, scalars); much cheaper than copy.deepcopy."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    raise TypeError(f"not JSON-shaped: {kind.__name__}")
