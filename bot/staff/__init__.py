"""The staff side: review of cases, exports, statistics and flags, the staff web page."""

from bot.errors import BotError


class StaffError(BotError):
    """Base class for errors raised by :mod:`bot.staff`; the message is meant for staff."""
