"""Short names for the user keys tests use."""

from __future__ import annotations

from flows.identity import UserKey


def tg(user_id: int) -> UserKey:
    """The key of Telegram user ``user_id``: ``tg(5)`` is ``telegram:5``."""
    return UserKey.telegram(user_id)
