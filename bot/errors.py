"""The root of every error the channels raise."""


class BotError(Exception):
    """Base class for errors raised by :mod:`bot`."""


class ConfigError(BotError):
    """The environment holds a setting that cannot be used; the message says which and why."""
