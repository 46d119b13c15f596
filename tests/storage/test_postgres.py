"""What only the PostgreSQL store does: migrations, shared use, numbers, SQL listing, blobs.

The contract itself runs against it through the ``store`` fixture (test_contract.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from bot.__main__ import build_storage
from bot.settings import Settings
from storage import CaseChange, CaseFilter, CaseStatus, EvidenceRef
from storage.case_numbers import case_number_from_sequence, is_valid_case_number
from storage.postgres import MIGRATION_LOCK, PostgresStorage, migrations
from storage.tinydb_store import TinyDBStorage
from tests.support.users import tg

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg(pg_database):
    opened = PostgresStorage(pg_database, pool_size=4)
    yield opened
    opened.close()


def test_database_url_selects_postgres_and_its_absence_tinydb(pg_database, tmp_path):
    chosen = build_storage(Settings(data_dir=tmp_path / "data", database_url=pg_database))
    try:
        assert isinstance(chosen, PostgresStorage)
    finally:
        chosen.close()
    default = build_storage(Settings(data_dir=tmp_path / "data"))
    try:
        assert isinstance(default, TinyDBStorage)
    finally:
        default.close()


def test_two_processes_starting_together_apply_each_migration_once(pg_database):
    """Both wait on the advisory lock, then one applies the migrations and the other none."""
    child = "import sys; from storage.postgres import apply_migrations; print(apply_migrations(sys.argv[1]))"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", child, pg_database],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        # Release the lock only when both are waiting for it: they start "together".
        for _ in range(600):
            (waiting,) = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            if waiting == 2 or any(p.poll() is not None for p in procs):
                break
            time.sleep(0.05)
        assert waiting == 2, [p.communicate() for p in procs]
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    applied = sorted(eval(out.strip()) for out, _ in outputs)  # each prints a list of ints
    every = [number for number, _, _ in migrations()]
    assert applied == [[], every]
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == every


def test_migrations_are_numbered_without_gaps():
    numbers = [number for number, _, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_reopening_applies_nothing_and_keeps_the_data(pg_database, make_draft):
    first = PostgresStorage(pg_database)
    case = first.create_case(make_draft(), now=1.0)
    first.close()
    again = PostgresStorage(pg_database)
    try:
        assert again.get_case(case.case_number) == case
    finally:
        again.close()


def test_numbers_come_from_the_sequence_and_skip_a_migrated_one(pg, pg_database, make_draft):
    """A case copied from TinyDB may already have the number the sequence gives next."""
    with psycopg.connect(pg_database) as conn:
        (key,) = conn.execute(
            "SELECT value FROM store_meta WHERE key = 'case_number_key'"
        ).fetchone()
        (last,) = conn.execute("SELECT setval('case_number_seq', 100)").fetchone()
    upcoming = case_number_from_sequence(last + 1, bytes.fromhex(key))
    blocker = pg.create_case(make_draft(), now=1.0)  # takes last + 1 ...
    assert blocker.case_number == upcoming
    with psycopg.connect(pg_database) as conn:  # ... and is renumbered as if migrated later
        conn.execute("SELECT setval('case_number_seq', %s)", (last,))
    later = PostgresStorage(pg_database)  # draws its numbers from the sequence again
    try:
        case = later.create_case(make_draft(), now=2.0)
    finally:
        later.close()
    assert case.case_number != upcoming and is_valid_case_number(case.case_number)
    assert len(pg.list_cases()) == 2
    assert [e.action for e in pg.iter_audit()] == ["case.created"] * 2


def test_two_stores_on_one_database_make_one_case_per_draft(pg_database, make_draft):
    """Two bot processes (here two pools) submitting the same draft at once make one case."""
    a, b = PostgresStorage(pg_database), PostgresStorage(pg_database)
    try:
        draft = make_draft()
        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = set(
                pool.map(
                    lambda i: (a if i % 2 else b).create_case(draft, 1.0).case_number, range(8)
                )
            )
        assert len(numbers) == 1
        assert a.list_cases() == b.list_cases()
        assert [e.action for e in b.iter_audit()] == ["case.created"]
    finally:
        a.close()
        b.close()


def _fill(pg, make_draft, count=40):
    services = ["kakaotalk", "kakaomap", "daum_mail"]
    cases = []
    for i in range(count):
        draft = make_draft(service=services[i % 3], amount=None if i % 7 == 0 else (i * 37) % 500)
        cases.append(pg.create_case(draft, now=1000.0 + (i * 13) % count))
    return cases


@pytest.mark.parametrize("sort", ["oldest", "newest", "amount_desc", "amount_asc"])
def test_a_list_page_in_sql_is_the_slice_of_the_whole_list(pg, make_draft, sort):
    _fill(pg, make_draft)
    filter = CaseFilter(service="kakaomap")
    rows = pg.list_cases(filter)
    if sort == "newest":
        rows.reverse()
    elif sort == "amount_desc":
        rows.sort(key=lambda r: (r.amount is None, -(r.amount or 0)))
    elif sort == "amount_asc":
        rows.sort(key=lambda r: (r.amount is None, r.amount or 0))
    total, page = pg.list_cases_page(filter, sort=sort, offset=5, limit=4)
    assert total == len(rows) == 13
    assert page == rows[5:9]


def test_a_list_page_searches_part_of_the_number(pg, make_draft):
    cases = _fill(pg, make_draft, 10)
    number = cases[3].case_number
    part = number.replace("-", "")[2:6].lower()
    total, page = pg.list_cases_page(number_contains=part.upper())
    assert number in [r.case_number for r in page]
    assert total == len(page)
    assert pg.list_cases_page(number_contains="%")[0] == 0  # no wildcard gets through


def test_cases_stream_in_list_order(pg, make_draft):
    cases = _fill(pg, make_draft, 25)
    pg.update_case(
        cases[0].case_number, CaseChange(actor="staff:1", now=9.0e9, status=CaseStatus.APPROVED)
    )
    streamed = list(pg.iter_cases(batch=4))
    assert [c.case_number for c in streamed] == [r.case_number for r in pg.list_cases()]
    assert {c.case_number: c for c in streamed}[cases[0].case_number] == pg.get_case(
        cases[0].case_number
    )
    approved = list(pg.iter_cases(CaseFilter(status=CaseStatus.APPROVED)))
    assert [c.case_number for c in approved] == [cases[0].case_number]


def test_evidence_bytes_are_in_an_external_blob_table(pg, pg_database, make_draft):
    data = bytes(range(256)) * 40
    sha = pg.put_evidence(data, holder="draft:telegram:1")
    ref = EvidenceRef(sha256=sha, name="r.jpg", mime="image/jpeg", size=len(data))
    pg.create_case(make_draft(user_id=tg(1), evidence=[ref]), now=1.0)
    with psycopg.connect(pg_database) as conn:
        (storage,) = conn.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'evidence_blobs'::regclass AND attname = 'data'"
        ).fetchone()
        (stored,) = conn.execute(
            "SELECT data FROM evidence_blobs WHERE sha256 = %s", (sha,)
        ).fetchone()
    assert storage == "e"  # EXTERNAL: out of line, not compressed
    assert bytes(stored) == data
    assert pg.blobs.size(sha) == len(data)


def test_a_store_goes_on_after_the_database_restarts(make_draft):
    """Regression: pooled connections the server dropped made the next calls fail."""
    from tests.support.postgres_server import PostgresServer, find_bindir

    server = PostgresServer(find_bindir(), settings={}).start()  # durable: commits are flushed
    try:
        store = PostgresStorage(server.create_database("restarted"), pool_size=3)
        try:
            case = store.create_case(make_draft(), now=1.0)
            server.restart("immediate")  # a crash and recovery; every connection is gone
            assert store.get_case(case.case_number) == case
            store.save_user_lang(tg(1), "en")
            assert store.load_user_lang(tg(1)) == "en"
        finally:
            store.close()
    finally:
        server.stop()


def test_a_filtered_count_is_answered_from_an_index_alone(pg, pg_database, make_draft):
    """The staff list counts status + reporter type matches without reading the table."""
    _fill(pg, make_draft, 30)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cases")
        conn.execute("SET enable_seqscan = off")  # a tiny table would be read whole anyway
        conn.execute("SET enable_bitmapscan = off")
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                "EXPLAIN SELECT count(*) FROM cases"
                " WHERE status = 'submitted' AND reporter_type = 'small_business'"
            )
        )
    assert "Index Only Scan" in plan, plan
