"""What a door remembers of a person between requests, where every instance sees it.

A door that keeps something of a person from one request to the next (the KakaoTalk
skill: the last answer, by which Kakao's retry is known; the page of a long list; the
texts waiting behind "이어서 보기") keeps it in the process's memory when the bot is one
process (memory, TinyDB). Behind a load balancer the next request may reach another
instance, so a store shared by several instances (PostgreSQL) offers this instead
(:meth:`storage.base.Storage.door_memory`).

``load`` and ``save`` are called inside the person's turn (:meth:`Storage.user_turn`),
so they are part of its transaction: the memory moves with the conversation, and a
request handled at one instance is seen by the next turn at any other. ``late`` is
apart from ``data`` because it is set outside the turn (while the turn that made the
answer may still run) by the request that found the answer too late to send.
"""

from __future__ import annotations

from typing import Any, Protocol


class DoorMemory(Protocol):
    """A door's JSON memory of each person, shared by every instance of the bot."""

    def load(self, door: str, person: str) -> tuple[dict[str, Any] | None, str | None]:
        """The person's memory (None: nothing kept) and the late mark (None: none)."""

    def save(
        self, door: str, person: str, data: dict[str, Any], *, now: float, seen: str | None
    ) -> None:
        """Replace the person's memory; clear the late mark when it is ``seen`` (the
        answer it names was shown now). A late mark set meanwhile stays."""

    def mark_late(self, door: str, person: str, late: str, *, now: float) -> None:
        """Note that the answer ``late`` (the door's name for it) was not seen."""
