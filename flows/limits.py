"""Per-person limits: how many reports one person files and how many bytes of files they send."""

from __future__ import annotations

from dataclasses import dataclass

# Messages one person may send staff in an hour unless the policy says otherwise.
MESSAGES_PER_HOUR = 10
MESSAGE_WINDOW = 3600.0


@dataclass(frozen=True)
class Limits:
    """The policy's limits per person; None means no limit.

    A person has one conversation, so at most one report in progress by design;
    ``max_cases`` caps the reports they submit, ``max_evidence_bytes`` the files
    over all their reports (the one in progress included; documents staff asked
    for are not held by it). Staff can lift both for a person.
    """

    max_cases: int | None = None
    max_evidence_bytes: int | None = None
    # Messages to staff per person in any hour (a throttle, not lifted with the others).
    max_messages_per_hour: int | None = MESSAGES_PER_HOUR


@dataclass(frozen=True)
class UserUsage:
    """What a person has filed so far, as storage knows it (the channel looks it up)."""

    cases: int = 0
    evidence_bytes: int = 0  # files in their submitted cases
    limits_lifted: bool = False  # staff lifted the limits for this person
    case_numbers: tuple[str, ...] = ()  # their submitted cases, oldest first
    recent_messages: int = 0  # messages they sent staff in the last MESSAGE_WINDOW seconds

    def may_message(self, limits: Limits) -> bool:
        """Whether this person may send staff another message now."""
        limit = limits.max_messages_per_hour
        return limit is None or self.recent_messages < limit

    def may_start(self, limits: Limits) -> bool:
        """Whether this person may start another report."""
        return self.limits_lifted or limits.max_cases is None or self.cases < limits.max_cases

    def evidence_room(self, limits: Limits, in_progress: int) -> int | None:
        """Bytes of files this person may still send (None: no limit)."""
        if self.limits_lifted or limits.max_evidence_bytes is None:
            return None
        return max(0, limits.max_evidence_bytes - self.evidence_bytes - in_progress)
