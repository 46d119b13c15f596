"""A hundred users finish their reports while the real bot process is SIGKILLed at least twenty times."""

from __future__ import annotations

import logging

import pytest

from tests.soak.kill_soak import run_soak

USERS = 100
KILLS = 20


@pytest.fixture(autouse=True)
def quiet_resets(caplog):
    # The bot dies mid-request on purpose; the stand-in's server would log every reset.
    caplog.set_level(logging.CRITICAL, logger="aiohttp.server")


async def test_every_promise_survives_twenty_kills(tmp_path):
    result = await run_soak(tmp_path, users=USERS, kills=KILLS)
    print(result.report())  # the counts, shown with -s or when the test fails
    assert result.counts["kills"] >= KILLS
    assert result.problems == [], result.report()
