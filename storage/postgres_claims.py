"""Work that several instances of the bot might each start, claimed by one of them.

A notice to push (:meth:`storage.postgres.PostgresStorage.claim_notice`): the row is
taken with ``FOR UPDATE SKIP LOCKED`` and given a lease (``claimed_until``, migration
0007), so an instance whose retry round comes while another one is pushing the same
notice skips it; marking it delivered or failed ends the lease. An instance killed
mid-push leaves the lease to run out, then the notice is pushed again (a push and its
record cannot be one transaction: at least once, never dropped).
"""

from __future__ import annotations

import json
from typing import Any

from storage.records import Notice

# How long a claimed push may take before another instance may push the notice again.
NOTICE_LEASE_S = 300.0


def claim_notice(pool: Any, notice_id: str, now: float, lease: float) -> Notice | None:
    with pool.connection() as conn:
        row = conn.execute(
            "UPDATE notices SET claimed_until = %s WHERE notice_id = ("
            " SELECT notice_id FROM notices WHERE notice_id = %s AND delivered_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until <= %s) FOR UPDATE SKIP LOCKED)"
            " RETURNING data",
            (now + lease, notice_id, now),
        ).fetchone()
    return None if row is None else Notice.from_dict(json.loads(row[0]))
