"""Benchmark the TinyDB storage's durable writes and listing at 1,000 to 105,000 cases.

For each size a fresh data directory is bulk-loaded (cases and conversations
written without fsync, then the index rebuilt from the case files), and then
the real, durable operations are timed one by one: ``save_conversation``
(replace a user's conversation) and ``create_case`` (a new case with its index
row and audit entry), plus listing and filtering every case. Stock TinyDB (one
JSON file, ``JSONStorage``) is timed in a child process so its memory does not
count towards ours. Prints tables and, as the last line, JSON with the keys in
../shared/docs/benchmarks.md (section bench/storage.py).

``--store postgres`` times the PostgreSQL store the same way (default sizes
1,000 / 105,000 / 1,000,000) on a server this script starts in a temporary
directory, durable (``fsync`` and ``synchronous_commit`` on, the defaults), or on
``--database-url``. Each size is bulk-loaded with COPY into a fresh database
(cases numbered from the sequence as the store numbers them, their evidence
rows, conversations); then the same durable operations are timed one by one,
plus ``list_page_ms``: a filtered, sorted page of the staff list (status and
reporter type, newest first, the first page and page 100), median of 20.
``list_filter_s`` is the two filtered listings and a count of every case (no
full list: a million rows in Python is what the store exists to avoid). The
TinyDB store's figures at 105,000 are measured in the same run
(``tinydb_105000``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.case_changes import case_from_draft
from storage.case_numbers import new_case_number
from storage.data_layout import DataLayout
from storage.durable_files import DurableFiles
from storage.entity_files import EntityFiles
from storage.records import CaseDraft, CaseFilter, CaseStatus, EvidenceRef
from storage.tinydb_store import CASE_TABLE, CONVERSATION_TABLE, TinyDBStorage, rebuild_index

DEFAULT_SIZES = (1000, 10000, 105000)
POSTGRES_SIZES = (1000, 105000, 1000000)
TIERS = ("cash_30000", "cash_50000", "review", "paid_terms", "none")
SERVICES = ("kakaotalk", "kakaotalk_channel", "kakaomap", "kakao_t", "daum_mail", "other")
REPORTERS = ("general", "small_business", "company")
START = 1_666_137_600.0  # 2022-10-19, the first day of reports


def make_draft(rng: random.Random, user_id: int) -> CaseDraft:
    """A submission of about 600 bytes (on average) once stored as a case."""
    sha = f"{rng.getrandbits(256):064x}"
    return CaseDraft(
        draft_id=uuid.UUID(int=rng.getrandbits(128)).hex,
        user_id=UserKey.telegram(user_id),
        lang="ko",
        policy_id="kakao_1015",
        reporter_type=rng.choice(REPORTERS),
        service=rng.choice(SERVICES),
        paid=rng.random() < 0.17,
        monetary=rng.random() < 0.32,
        tier=rng.choice(TIERS),
        amount=rng.randrange(10_000, 2_000_000),
        tentative_support=30_000,
        channel_cash=rng.random() < 0.5,
        business_number="220-81-62517",
        description="채널 예약 문의를 못 받았습니다",
        # Every other case has a receipt attached.
        evidence=[EvidenceRef(sha256=sha, name="receipt.jpg", mime="image/jpeg", size=91_234)]
        if rng.random() < 0.5
        else [],
    )


def make_conversation(rng: random.Random, user_id: int, now: float) -> ConversationRecord:
    """A conversation half way through, about 600 bytes stored."""
    return ConversationRecord(
        user_id=UserKey.telegram(user_id),
        state="ask_evidence",
        answers={
            "consent": "agree",
            "reporter_type": rng.choice(REPORTERS),
            "service": rng.choice(SERVICES),
            "paid": "free",
            "monetary": "yes",
            "amount": rng.randrange(10_000, 2_000_000),
            "amount_text": "35만 원",
            "business_number": "220-81-62517",
            "description": "예약 문의를 받지 못해 매출이 줄었습니다. 가게 문을 닫았습니다.",
        },
        history=["consent", "reporter_type", "service", "paid", "monetary", "amount", "confirm"],
        draft_id=uuid.UUID(int=rng.getrandbits(128)).hex,
        created_at=now - 600,
        updated_at=now,
    )


def bulk_load(data_dir: Path, size: int, rng: random.Random) -> float:
    """Write ``size`` cases and conversations without fsync, then rebuild the index.

    Only setup: nothing here is timed as a storage operation. Returns the
    seconds the index rebuild from the case files took.
    """
    layout = DataLayout(data_dir)
    layout.create_dirs()
    entities = EntityFiles(
        data_dir, DurableFiles(layout.tmp_dir, layout.quarantine_dir, fsync=False)
    )
    step = 19 * 86400 / size  # spread over the 19 days of intake
    for i in range(size):
        user_id = 10_000_000 + i
        now = START + i * step
        case = case_from_draft(make_draft(rng, user_id), new_case_number(), now)
        if rng.random() < 0.3:
            case.status = rng.choice(list(CaseStatus))
        entities.create(layout.case_file(case.case_number), CASE_TABLE, case.to_dict())
        entities.save(
            layout.conversation_file(UserKey.telegram(user_id)),
            CONVERSATION_TABLE,
            make_conversation(rng, user_id, now).to_dict(),
        )
    started = time.perf_counter()
    count = rebuild_index(data_dir)
    assert count == size, (count, size)
    elapsed = time.perf_counter() - started
    # Flush the unsynced setup writes now: otherwise the first timed fsyncs
    # would pay for writing them back (ext4 commits them in the same journal).
    os.sync()
    return elapsed


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(op, count: int, warmup: int = 50) -> list[float]:
    """Run ``op(i)`` ``warmup`` times untimed, then ``count`` times; return ms per call."""
    for i in range(warmup):
        op(-1 - i)
    samples = []
    for i in range(count):
        started = time.perf_counter()
        op(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_size(size: int, ops: int, root: Path) -> dict:
    rng = random.Random(size)
    data_dir = root / f"data-{size}"
    t0 = time.perf_counter()
    rebuild_s = bulk_load(data_dir, size, rng)
    setup_s = time.perf_counter() - t0
    print(f"  {size:>7} cases: bulk setup {setup_s:.1f} s (index rebuild {rebuild_s:.2f} s)")

    t0 = time.perf_counter()
    store = TinyDBStorage(data_dir)
    open_s = time.perf_counter() - t0
    try:
        now = START + 19 * 86400

        def save(i: int) -> None:
            # Mostly users already in the middle of a report, some new ones.
            user_id = 10_000_000 + rng.randrange(size) if i % 4 else 20_000_000 + i
            store.save_conversation(make_conversation(rng, user_id, now))

        drafts = [make_draft(rng, 30_000_000 + i) for i in range(ops + 50)]

        def create(i: int) -> None:
            store.create_case(drafts[i], now=now + i)

        save_ms = timed(save, ops)
        create_ms = timed(create, ops)

        gc.collect()
        t0 = time.perf_counter()
        everything = store.list_cases()
        approved = store.list_cases(CaseFilter(status=CaseStatus.APPROVED, tier="cash_30000"))
        week = store.list_cases(
            CaseFilter(
                submitted_from=START, submitted_to=START + 7 * 86400, reporter_type="general"
            )
        )
        list_filter_s = time.perf_counter() - t0
        assert len(everything) == size + ops + 50
    finally:
        store.close()
    shutil.rmtree(data_dir)
    return {
        "save_conversation_p50_ms": round(percentile(save_ms, 0.5), 3),
        "save_conversation_p99_ms": round(percentile(save_ms, 0.99), 3),
        "create_case_p50_ms": round(percentile(create_ms, 0.5), 3),
        "create_case_p99_ms": round(percentile(create_ms, 0.99), 3),
        "list_filter_s": round(list_filter_s, 3),
        "listed": [len(everything), len(approved), len(week)],
        "open_s": round(open_s, 3),
        "rebuild_index_s": round(rebuild_s, 3),
        "ops": ops,
    }


def stock_tinydb(size: int, root: Path) -> dict:
    """Time stock TinyDB (JSONStorage, one file) inserting and updating at ``size`` records."""
    from tinydb import TinyDB

    rng = random.Random(size)
    path = root / f"stock-{size}.json"
    ops = 30 if size <= 1000 else 10 if size <= 10000 else 3
    docs = []
    for i in range(size):
        case = case_from_draft(make_draft(rng, 10_000_000 + i), new_case_number(), START + i)
        docs.append(case.to_dict())
    with TinyDB(path) as db:
        db.insert_multiple(docs)  # one write: setup
        extra = [
            case_from_draft(make_draft(rng, 1 + i), new_case_number(), START).to_dict()
            for i in range(ops)
        ]
        insert_ms = timed(lambda i: db.insert(extra[i]), ops, warmup=1)
        update_ms = timed(
            lambda i: db.update({"status": "approved"}, doc_ids=[rng.randrange(1, size + 1)]),
            ops,
            warmup=0,
        )
    record_bytes = path.stat().st_size / (size + ops + 1)
    path.unlink()
    return {
        "insert_p50_ms": round(percentile(insert_ms, 0.5), 2),
        "update_p50_ms": round(percentile(update_ms, 0.5), 2),
        "ops": ops,
        "bytes_per_record": round(record_bytes),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


# -- the PostgreSQL store ------------------------------------------------------------------


def pg_bulk_load(url: str, size: int, rng: random.Random) -> float:
    """COPY ``size`` cases (numbered from the sequence) and conversations; return seconds."""
    import psycopg

    from storage.case_numbers import case_number_from_sequence
    from storage.postgres import PostgresStorage, _dump, _summary_values

    started = time.perf_counter()
    PostgresStorage(url).close()  # migrations, the case number key
    step = 19 * 86400 / size
    with psycopg.connect(url) as conn:
        (key,) = conn.execute(
            "SELECT value FROM store_meta WHERE key = 'case_number_key'"
        ).fetchone()
        key_bytes = bytes.fromhex(key)
        columns = (
            "case_number, user_id, submitted_at, updated_at, status, tier, reporter_type, "
            "service, paid, monetary, amount, final_amount, evidence_sha256, message_count, "
            "unread_messages, last_message_at, thread_done, draft_id, data"
        )
        with conn.cursor() as cur:
            with (
                cur.copy(f"COPY cases ({columns}) FROM STDIN") as cases,
                conn.cursor() as cur2,
            ):
                for i in range(size):
                    user_id = 10_000_000 + i
                    now = START + i * step
                    number = case_number_from_sequence(i + 1, key_bytes)
                    case = case_from_draft(make_draft(rng, user_id), number, now)
                    if rng.random() < 0.3:
                        case.status = rng.choice(list(CaseStatus))
                    cases.write_row((*_summary_values(case), case.draft_id, _dump(case.to_dict())))
                del cur2
            conn.execute("SELECT setval('case_number_seq', %s)", (size,))
            conn.execute(
                "INSERT INTO case_evidence (case_number, sha256)"
                " SELECT case_number, unnest(evidence_sha256) FROM cases"
            )
            with cur.copy("COPY conversations (user_id, updated_at, data) FROM STDIN") as convs:
                for i in range(size):
                    user_id = 10_000_000 + i
                    record = make_conversation(rng, user_id, START + i * step)
                    convs.write_row(
                        (str(record.user_id), record.updated_at, _dump(record.to_dict()))
                    )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def pg_bench_size(server_url: str, size: int, ops: int) -> dict:
    """The TinyDB bench_size's measures, on a fresh database of ``size`` cases."""
    import psycopg

    from storage.postgres import PostgresStorage

    rng = random.Random(size)
    name = f"bench_{size}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    setup_s = pg_bulk_load(url, size, rng)
    print(f"  {size:>7} cases: bulk setup {setup_s:.1f} s (COPY, indexes, VACUUM ANALYZE)")
    t0 = time.perf_counter()
    store = PostgresStorage(url)
    open_s = time.perf_counter() - t0
    try:
        now = START + 19 * 86400

        def save(i: int) -> None:
            user_id = 10_000_000 + rng.randrange(size) if i % 4 else 20_000_000 + i
            store.save_conversation(make_conversation(rng, user_id, now))

        drafts = [make_draft(rng, 30_000_000 + i) for i in range(ops + 50)]

        def create(i: int) -> None:
            store.create_case(drafts[i], now=now + i)

        save_ms = timed(save, ops)
        create_ms = timed(create, ops)

        gc.collect()
        t0 = time.perf_counter()
        total = store.count_cases()
        approved = store.list_cases(CaseFilter(status=CaseStatus.APPROVED, tier="cash_30000"))
        week_total, _ = store.list_cases_page(
            CaseFilter(
                submitted_from=START, submitted_to=START + 7 * 86400, reporter_type="general"
            ),
            limit=50,
        )
        list_filter_s = time.perf_counter() - t0
        assert total == size + ops + 50, (total, size)
        page_filter = CaseFilter(status=CaseStatus.APPROVED, reporter_type="small_business")
        first = timed(
            lambda i: store.list_cases_page(page_filter, sort="newest", limit=50), 20, warmup=3
        )
        deep = timed(
            lambda i: store.list_cases_page(page_filter, sort="newest", offset=99 * 50, limit=50),
            20,
            warmup=3,
        )
        by_amount = timed(
            lambda i: store.list_cases_page(page_filter, sort="amount_desc", limit=50),
            20,
            warmup=3,
        )
    finally:
        store.close()
    with psycopg.connect(server_url, autocommit=True) as conn:
        (db_bytes,) = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
        conn.execute(f"DROP DATABASE {name}")
    return {
        "save_conversation_p50_ms": round(percentile(save_ms, 0.5), 3),
        "save_conversation_p99_ms": round(percentile(save_ms, 0.99), 3),
        "create_case_p50_ms": round(percentile(create_ms, 0.5), 3),
        "create_case_p99_ms": round(percentile(create_ms, 0.99), 3),
        "list_filter_s": round(list_filter_s, 3),
        "list_page_ms": round(statistics.median(first), 2),
        "list_page_100_ms": round(statistics.median(deep), 2),
        "list_page_amount_ms": round(statistics.median(by_amount), 2),
        "listed": [total, len(approved), week_total],
        "open_s": round(open_s, 3),
        "setup_s": round(setup_s, 1),
        "database_mb": round(db_bytes / 2**20, 1),
        "ops": ops,
    }


def main_postgres(args: argparse.Namespace) -> None:
    from tests.support.postgres_server import PostgresServer, find_bindir

    sizes = [int(s) for s in (args.sizes or ",".join(map(str, POSTGRES_SIZES))).split(",")]
    server = None
    url = args.database_url
    if url is None:
        bindir = find_bindir()
        if bindir is None:
            sys.exit("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
        # Durable: fsync and synchronous_commit at their defaults (on).
        server = PostgresServer(
            bindir, settings={"shared_buffers": "512MB", "max_wal_size": "4GB"}
        ).start()
        url = server.url()
    root = Path(
        tempfile.mkdtemp(prefix="bench-storage-", dir=Path(__file__).resolve().parent.parent)
    )
    try:
        ours: dict[str, dict] = {}
        print("PostgresStorage (synchronous_commit on), durable ops timed one by one:")
        for size in sizes:
            ours[str(size)] = pg_bench_size(url, size, args.ops)
        tiny = None
        if args.tinydb_size:
            print(f"TinyDBStorage at {args.tinydb_size:,} in the same run:")
            tiny = bench_size(args.tinydb_size, args.ops, root)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print()
    print(
        f"{'cases':>7} | {'save conv p50/p99 ms':>20} | {'create case p50/p99 ms':>22} "
        f"| {'list+filter s':>13} | {'page ms (1st/100th/amount)':>26}"
    )
    for size, r in ours.items():
        print(
            f"{size:>7} | {r['save_conversation_p50_ms']:>9.3f} / {r['save_conversation_p99_ms']:<8.3f} "
            f"| {r['create_case_p50_ms']:>10.3f} / {r['create_case_p99_ms']:<9.3f} "
            f"| {r['list_filter_s']:>13.3f} | {r['list_page_ms']:>8.2f} / "
            f"{r['list_page_100_ms']:.2f} / {r['list_page_amount_ms']:.2f}"
        )
    if tiny is not None:
        r = tiny
        print(
            f"TinyDB {args.tinydb_size}: save conv p50/p99 {r['save_conversation_p50_ms']:.3f} / "
            f"{r['save_conversation_p99_ms']:.3f} ms, create case p50/p99 "
            f"{r['create_case_p50_ms']:.3f} / {r['create_case_p99_ms']:.3f} ms, "
            f"list+filter {r['list_filter_s']:.3f} s"
        )
    smallest, largest = str(min(sizes)), str(max(sizes))

    def growth(key: str) -> float | None:
        return ratio(ours[largest][key], ours[smallest][key]) if smallest != largest else None

    growth_save = growth("save_conversation_p50_ms")
    growth_create = growth("create_case_p50_ms")
    growths = [g for g in (growth_save, growth_create) if g is not None]
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(
        f"p50 growth {int(largest):,} over {int(smallest):,}: save {growth_save}, create {growth_create}"
    )
    print(f"peak RSS of this process: {peak_rss_mb} MiB")
    result = {
        "bench": "storage",
        "store": "postgres",
        "sizes": {
            size: {k: r[k] for k in r if k not in ("listed", "ops")} for size, r in ours.items()
        },
        f"growth_p50_{largest}_over_{smallest}": max(growths) if growths else None,
        "growth_save_conversation_p50": growth_save,
        "growth_create_case_p50": growth_create,
        "peak_rss_mb": peak_rss_mb,
        "synchronous_commit": "on",
        "ops_per_measure": args.ops,
    }
    if tiny is not None:
        result[f"tinydb_{args.tinydb_size}"] = {
            k: tiny[k] for k in tiny if k not in ("listed", "ops")
        }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="comma-separated case counts")
    parser.add_argument("--ops", type=int, default=2000, help="timed calls per operation")
    parser.add_argument("--stock-only", type=int, help=argparse.SUPPRESS)  # child process mode
    parser.add_argument("--store", choices=["tinydb", "postgres"], default="tinydb")
    parser.add_argument("--database-url", help="with --store postgres: a server of yours")
    parser.add_argument(
        "--tinydb-size",
        type=int,
        default=105000,
        help="with --store postgres: also time the TinyDB store at this size (0: not)",
    )
    args = parser.parse_args()
    if args.store == "postgres":
        main_postgres(args)
        return
    args.sizes = args.sizes or ",".join(map(str, DEFAULT_SIZES))
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    root = Path(
        tempfile.mkdtemp(prefix="bench-storage-", dir=Path(__file__).resolve().parent.parent)
    )
    try:
        if args.stock_only:
            print(json.dumps(stock_tinydb(args.stock_only, root)))
            return
        ours: dict[str, dict] = {}
        print("TinyDBStorage (one TinyDB file per entity, fsync'd), durable ops timed one by one:")
        for size in sizes:
            ours[str(size)] = bench_size(size, args.ops, root)
        stock: dict[str, dict] = {}
        print("stock TinyDB (one JSON file, JSONStorage), in a child process:")
        for size in sizes:
            started = time.perf_counter()
            child = subprocess.run(
                [sys.executable, __file__, "--stock-only", str(size)],
                check=True,
                capture_output=True,
                text=True,
            )
            stock[str(size)] = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"  {size:>7} records: {time.perf_counter() - started:.1f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print()
    print(
        f"{'cases':>7} | {'save conv p50/p99 ms':>20} | {'create case p50/p99 ms':>22} "
        f"| {'list+filter s':>13} | {'open s':>6} | {'rebuild s':>9}"
    )
    for size, r in ours.items():
        print(
            f"{size:>7} | {r['save_conversation_p50_ms']:>9.3f} / {r['save_conversation_p99_ms']:<8.3f} "
            f"| {r['create_case_p50_ms']:>10.3f} / {r['create_case_p99_ms']:<9.3f} "
            f"| {r['list_filter_s']:>13.3f} | {r['open_s']:>6.2f} | {r['rebuild_index_s']:>9.2f}"
        )
    print()
    print(f"{'records':>7} | {'stock insert p50 ms':>19} | {'stock update p50 ms':>19} | ops")
    for size, r in stock.items():
        print(f"{size:>7} | {r['insert_p50_ms']:>19.2f} | {r['update_p50_ms']:>19.2f} | {r['ops']}")

    def p50(size: str, key: str) -> float | None:
        return ours.get(size, {}).get(key)

    speedup = ratio(stock.get("10000", {}).get("insert_p50_ms"), p50("10000", "create_case_p50_ms"))
    growth_save = ratio(
        p50("105000", "save_conversation_p50_ms"), p50("1000", "save_conversation_p50_ms")
    )
    growth_create = ratio(p50("105000", "create_case_p50_ms"), p50("1000", "create_case_p50_ms"))
    growths = [g for g in (growth_save, growth_create) if g is not None]
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print()
    print(f"speedup vs stock at 10,000 (stock insert p50 / create_case p50): {speedup}")
    print(f"p50 growth 105,000 over 1,000: save {growth_save}, create {growth_create}")
    print(f"peak RSS of this process: {peak_rss_mb} MiB")

    result = {
        "bench": "storage",
        "sizes": {
            size: {k: r[k] for k in r if k not in ("listed", "ops")} for size, r in ours.items()
        },
        "stock_tinydb": {
            size: {k: r[k] for k in ("insert_p50_ms", "update_p50_ms", "ops")}
            for size, r in stock.items()
        },
        "speedup_vs_stock_at_10000": speedup,
        "growth_p50_105000_over_1000": max(growths) if growths else None,
        "growth_save_conversation_p50": growth_save,
        "growth_create_case_p50": growth_create,
        "peak_rss_mb": peak_rss_mb,
        "stock_peak_rss_mb": max((r["peak_rss_mb"] for r in stock.values()), default=None),
        "ops_per_measure": args.ops,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
