"""Who a person is, whatever door they came in by: a :class:`UserKey` (channel, id)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

TELEGRAM = "telegram"
CONSOLE = "console"

_CHANNEL = re.compile(r"[a-z][a-z0-9_]{0,31}")
# Ids become file names and audit strings: letters, digits and ``_.-``, no leading dot.
_ID = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,127}")


@dataclass(frozen=True, order=True)
class UserKey:
    """One person on one channel: ``UserKey("telegram", "123")``, written ``telegram:123``.

    The id is the channel's own (a Telegram user id, a web chat's session id),
    always a string; the same person on two channels is two keys. The string
    form is what storage writes (conversation and case files, the case index,
    ``user:<key>`` audit actors) and :meth:`parse` reads back.
    """

    channel: str
    id: str

    def __post_init__(self) -> None:
        if not isinstance(self.channel, str) or not _CHANNEL.fullmatch(self.channel):
            raise ValueError(f"not a channel name: {self.channel!r}")
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ValueError(f"not a user id: {self.id!r}")

    def __str__(self) -> str:
        return f"{self.channel}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> UserKey:
        """Read the string form back (raises ValueError for anything else)."""
        if not isinstance(text, str):
            raise ValueError(f"not a user key: {text!r}")
        channel, sep, id_ = text.partition(":")
        if not sep:
            raise ValueError(f"not a user key: {text!r}")
        return cls(sys.intern(channel), id_)

    @classmethod
    def telegram(cls, user_id: int) -> UserKey:
        """The key of a Telegram user (their numeric user id)."""
        return cls(TELEGRAM, str(int(user_id)))

    @property
    def telegram_id(self) -> int | None:
        """The Telegram user id (= private chat id), or None for another channel's key."""
        return int(self.id) if self.channel == TELEGRAM else None
