"""Soak tests: the real bot process under sustained load and repeated crashes."""
