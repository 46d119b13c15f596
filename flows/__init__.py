"""The domain core: the intake state machine, amounts, the compensation policy and texts.

Nothing in this package performs I/O or imports a channel or a database: it takes
plain inputs and returns plain replies and records, so every rule is testable alone.
"""
