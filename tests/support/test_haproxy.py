"""The HAProxy configuration the README shows is the one the two-instance test and
bench/e2e.py run (tests/support/haproxy.py), so the README's stays a working one."""

from __future__ import annotations

from pathlib import Path

from tests.support.haproxy import haproxy_config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_shows_the_configuration_the_tests_run():
    """Regression: the README's copy could drift from the tests' (it lacked the health
    check's 'timeout check' that kept busy instances in: without it HAProxy answered 503)."""
    config = haproxy_config(8443, [8081, 8082])
    assert "timeout check 5s" in config
    assert config in README.read_text()
