"""The root of every error the domain core raises."""


class FlowError(Exception):
    """Base class for errors raised by :mod:`flows`."""


class PolicyError(FlowError):
    """A compensation policy file is missing, malformed or inconsistent."""


class AmountError(FlowError):
    """A loss amount could not be read; ``reason`` names why, for a specific hint."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class BusinessNumberError(FlowError):
    """A business registration number was refused; ``reason`` names why, for a specific hint."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
