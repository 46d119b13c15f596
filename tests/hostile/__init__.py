"""Hostile inputs and delivery faults, run through the real bot."""
