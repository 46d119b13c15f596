"""A person's mailbox check (``undelivered_notices(user)``) on every store, and its index in memory."""

from __future__ import annotations

import itertools

from flows.identity import UserKey
from storage.memory import MemoryStorage
from storage.records import Notice
from tests.support.users import tg

_ids = itertools.count(1)


def _notice(user: UserKey, at: float, case_number: str | None = None) -> Notice:
    n = next(_ids)
    return Notice(
        notice_id=f"n-{n}",
        user_id=user,
        case_number=case_number,
        kind="review",
        replies=({"text": f"알림 {n}"},),
        created_at=at,
    )


def test_a_persons_mailbox_is_their_share_of_all_undelivered_notices(store):
    """The per-person answer is the whole list filtered, oldest first, ties in order added,
    through deliveries, failures and drops (what the memory store's index must keep)."""
    people = [tg(1), tg(2), UserKey("web", "v1")]
    added = []
    for i in range(24):
        user = people[i % 3]
        # Several notices share a time: ties must stay in the order they were added.
        added.append(_notice(user, at=1000.0 + (i // 4), case_number=f"K-{i}" if i % 2 else None))
        store.add_notice(added[-1])
    store.mark_notice_delivered(added[0].notice_id, 2000.0)
    store.mark_notice_delivered(added[4].notice_id, 2000.0)
    store.mark_notice_failed(added[7].notice_id, 2001.0, "TimedOut")
    caseless = [n.notice_id for n in store.undelivered_notices(tg(2)) if n.case_number is None]
    dropped = store.drop_caseless_notices(tg(2))
    assert sorted(dropped) == sorted(caseless) and len(dropped) == 3  # one was delivered
    everyone = store.undelivered_notices()
    assert len(everyone) == 24 - 2 - len(dropped)
    for user in [*people, tg(99)]:
        mine = store.undelivered_notices(user)
        assert mine == [n for n in everyone if n.user_id == user]
        assert [n.created_at for n in mine] == sorted(n.created_at for n in mine)
    assert store.drop_caseless_notices(tg(2)) == []


class _NotToBeWalked(dict):
    """The store's list of everyone's undelivered notices, refusing to be read whole."""

    def _walked(self, *args, **kwargs):
        raise AssertionError("a person's mailbox check walked everyone's undelivered notices")

    __iter__ = items = keys = values = _walked  # type: ignore[assignment]


def test_the_memory_stores_mailbox_check_reads_only_that_persons_notices():
    """Regression: the memory store's mailbox check (every request of a channel that
    cannot push asks it) and /delete_my_data's drop scanned every undelivered notice
    of every person."""
    store = MemoryStorage()
    for i in range(300):
        store.add_notice(_notice(tg(1000 + i), at=float(i)))
    mine = [_notice(tg(7), at=5.0), _notice(tg(7), at=1.0, case_number="K-7")]
    for n in mine:
        store.add_notice(n)
    store.mark_notice_failed(mine[0].notice_id, 10.0, "Forbidden")
    store._undelivered = _NotToBeWalked(store._undelivered)
    assert [n.notice_id for n in store.undelivered_notices(tg(7))] == [
        mine[1].notice_id,
        mine[0].notice_id,
    ]
    assert store.drop_caseless_notices(tg(7)) == [mine[0].notice_id]
    store.mark_notice_delivered(mine[1].notice_id, 11.0)
    assert store.undelivered_notices(tg(7)) == []
    assert store.undelivered_notices(tg(8)) == []
