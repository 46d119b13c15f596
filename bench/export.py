"""Benchmark the staff exports (CSV, XLSX) of every case, and the server-side work of the staff pages.

Setup (not timed): N realistic cases under the 1015 policy are written as case
files without fsync and the index is rebuilt from them, the same files and
index the bot writes. Then, against a TinyDBStorage opened on that directory
(the storage the Telegram and web doors use):

- ``csv_s`` / ``xlsx_s`` / ``jsonl_s``: the whole export as ``python -m bot
  export`` does it: flags of every case, the index rows, one ``get_case`` per
  case, the writer, into a file;
- ``read_s``: the ``get_case`` pass alone, the part of every export the
  writers do not control;
- ``list_page_ms``: the staff web's case list page with a filter (status +
  reporter type), fetched over loopback HTTP by a signed-in test client;
  the server time the page reports in its ``Server-Timing`` header (request
  in to response headers out), median of 20. ``list_page_wall_ms`` is the
  same seen by the client, and ``list_page_variants_ms`` other filters and
  sorts;
- ``stats_page_ms``: the statistics page the same way, median of 10. The
  page shows statistics computed in the background (at most 30 s old);
  ``stats_compute_ms`` is that computation (every index row read and
  counted), median of 3;
- ``web_export_*``: the CSV of every case downloaded from the staff page
  (see :func:`export_timing`);
- ``detail_page_ms``: one case's page (its audit trail scans the audit log,
  which this setup leaves nearly empty: ``audit_lines`` says how long it was).

Prints tables and, as the last line, JSON with the keys in
../shared/docs/benchmarks.md (section bench/export.py).

``--store postgres``: the same cases are COPY-loaded into a fresh database on a
server this script starts (durable defaults) or on ``--database-url``; then
``python -m bot export`` runs as staff run it (DATABASE_URL set), in a child
process whose peak RSS is ``export_peak_rss_mb`` (``peak_rss_mb`` too): flags
computed in SQL, cases streamed from a server-side cursor. ``csv_s`` and
``jsonl_s`` are those runs' wall times; ``xlsx_s`` is measured up to 105,000
cases (null above). ``list_page_ms`` is the staff list's server-side work for
the filtered page (:func:`bot.staff.web.cases.list_page`, SQL paging), median of
20, and ``list_page_variants_ms`` the same for other filters and sorts (not
"flagged only": a flag filter reads every row into Python, on any store);
``flags_ms`` the flags of every case in SQL. The statistics page reads every
row and is not timed here (``stats_page_ms`` null).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.staff.exports import (
    export_cases,
    read_cases,
    select_rows,
)
from bot.staff.flags import compute_flags
from bot.staff.review import ReviewService
from bot.staff.web import STAFF_KEY, create_staff_app
from bot.web import create_app
from flows.identity import UserKey
from flows.policy import KST, Policy, decide_tier, load_policy
from storage.case_changes import case_from_draft
from storage.case_numbers import new_case_number
from storage.data_layout import DataLayout
from storage.documents import case_view
from storage.durable_files import DurableFiles
from storage.entity_files import EntityFiles
from storage.records import CaseDraft, CaseFilter, CaseStatus, EvidenceRef
from storage.tinydb_store import CASE_TABLE, TinyDBStorage, rebuild_index

START = dt.datetime(2022, 10, 19, tzinfo=KST).timestamp()  # the first day of reports
DAYS = 19
PAGE = 50

# Shares from the real intake (domain.md): reporter types among reports about Kakao,
# paid-service damage 17.1 %, money lost on a free service 15.1 % of all reports.
REPORTER_TYPES = (("general", 0.896), ("small_business", 0.102), ("company", 0.002))
MEDIAN_LOSS = {"general": 30_000, "small_business": 300_000, "company": 5_000_000}
DESCRIPTIONS = (
    "카카오톡 채널로 예약 문의를 받는데 장애 기간 동안 예약을 받지 못해 매출이 줄었습니다.",
    "카카오 로그인이 안 돼서 업비트에 접속하지 못했고 매도 시점을 놓쳤어요.",
    "카카오맵이 안 돼서 배달을 제때 못 했습니다. 하루 일당 손해예요.",
    "선물하기로 보낸 생일 선물이 전달되지 않았어요.",
    "카카오 T 호출이 안 돼서 손님을 못 받았습니다.",
    "톡서랍 플러스를 결제했는데 이용하지 못했어요.",
    "다음 메일로 온 계약서를 못 받아서 계약이 하루 늦어졌습니다.",
    "빨리 복구해 주세요. 불편이 너무 컸습니다.",
)
HOSTILE = ('=HYPERLINK("http://evil.example","click")', "+82 10 1234 5678", "-", "@SUM(A1)")


def business_number(rng: random.Random) -> str:
    """A random number with a valid check digit (see flows/bizno.py)."""
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        total = sum(d * w for d, w in zip(digits, (1, 3, 7, 1, 3, 7, 1, 3, 5), strict=True))
        total += digits[8] * 5 // 10
        digits.append((10 - total % 10) % 10)
        text = "".join(map(str, digits))
        if len(set(text)) > 2:
            return f"{text[:3]}-{text[3:5]}-{text[5:]}"


def make_draft(rng: random.Random, policy: Policy, user_id: int, shared: list[str]) -> CaseDraft:
    """One report as the intake conversation would submit it under the 1015 policy."""
    kind = rng.choices([k for k, _ in REPORTER_TYPES], [w for _, w in REPORTER_TYPES])[0]
    paid = rng.random() < 0.171
    # Of free-service reports, 15.1 / 82.9 lost money; most paid-service damage is money.
    monetary = rng.random() < (0.8 if paid else 0.151 / 0.829)
    billing = ("paid", "both") if paid else ("free", "both")
    services = [s for s in policy.services if s.billing in billing]
    if kind == "small_business" and rng.random() < 0.5:
        service = policy.service("talk_channel")
    else:
        service = rng.choice(services)
    amount = None
    if monetary and rng.random() < 0.97:
        amount = max(1_000, round(MEDIAN_LOSS[kind] * math.exp(rng.gauss(0, 1.1)), -3))
    has_channel = kind == "small_business" and rng.random() < 0.4
    answers = {
        "reporter_type": kind,
        "service": service.id,
        "paid": paid,
        "monetary": monetary,
        "amount": amount,
        "has_channel": has_channel,
    }
    decision = decide_tier(answers, policy)
    refs = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        sha = (
            rng.choice(shared)
            if shared and rng.random() < 0.002
            else f"{rng.getrandbits(256):064x}"
        )
        refs.append(EvidenceRef(sha256=sha, name="영수증.jpg", mime="image/jpeg", size=180_000))
    description = rng.choice(DESCRIPTIONS) * rng.randint(1, 3)
    if rng.random() < 0.001:
        description = rng.choice(HOSTILE)
    return CaseDraft(
        draft_id=uuid.UUID(int=rng.getrandbits(128)).hex,
        user_id=UserKey.telegram(user_id),
        lang="ko" if rng.random() < 0.95 else "en",
        policy_id=policy.id,
        reporter_type=kind,
        service=service.id,
        service_other="네이버 예약 연동" if service.other else None,
        paid=paid,
        monetary=monetary,
        tier=decision.tier.id,
        amount=amount,
        tentative_support=decision.tier.support,
        channel_cash=decision.channel_cash is not None,
        business_number=business_number(rng) if kind != "general" else None,
        description=description,
        evidence=refs,
        answers={k: v for k, v in answers.items() if v is not None},
    )


def submission_times(rng: random.Random, count: int) -> list[float]:
    """About 45,000 of 105,000 in the first five days, fewer each day after."""
    weights = [9.0 if day < 5 else 4.3 * 0.93 ** (day - 5) for day in range(DAYS)]
    days = rng.choices(range(DAYS), weights, k=count)
    return sorted(START + day * 86400 + rng.uniform(7, 24) * 3600 for day in days)


def generate(data_dir: Path, count: int, policy: Policy, rng: random.Random) -> None:
    """Write ``count`` cases without fsync, then rebuild the index from them (setup only)."""
    layout = DataLayout(data_dir)
    layout.create_dirs()
    entities = EntityFiles(
        data_dir, DurableFiles(layout.tmp_dir, layout.quarantine_dir, fsync=False)
    )
    shared: list[str] = []
    statuses = list(CaseStatus)
    user_id = 6_000_000_000
    for i, at in enumerate(submission_times(rng, count)):
        if rng.random() > 0.03:  # 3 % of reports come from someone who reported before
            user_id += rng.randrange(1, 50)
        draft = make_draft(rng, policy, user_id, shared)
        if draft.evidence and len(shared) < 500:
            shared.append(draft.evidence[0].sha256)
        case = case_from_draft(draft, new_case_number(), at)
        if rng.random() < 0.3:
            case.status = rng.choice(statuses)
            case.updated_at = at + 86400
            if case.status in (CaseStatus.APPROVED, CaseStatus.PAID):
                case.final_amount = case.tentative_support or 30_000
        entities.create(layout.case_file(case.case_number), CASE_TABLE, case_view(case))
        if (i + 1) % 20_000 == 0:
            print(f"  {i + 1:>7,} cases written", flush=True)
    assert rebuild_index(data_dir) == count
    os.sync()


def timed(op: Callable[[], object]) -> float:
    started = time.perf_counter()
    op()
    return time.perf_counter() - started


def timed_cpu(op: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``op``: on a busy machine the CPU time is the steadier figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    op()
    return time.perf_counter() - wall, time.process_time() - cpu


def export_to(store: TinyDBStorage, policy: Policy, fmt: str, path: Path) -> int:
    """The export as ``python -m bot export`` runs it, without the argument parsing."""
    flags = compute_flags(store.list_cases())
    rows = select_rows(store, CaseFilter(), flags)
    with open(path, "wb") as out:
        return export_cases(fmt, read_cases(store, rows), out, policy, lang="ko", flags=flags)


# -- the PostgreSQL store ------------------------------------------------------------------


def pg_generate(url: str, count: int, policy: Policy, rng: random.Random) -> None:
    """The cases of :func:`generate`, COPY-loaded into the database at ``url`` (setup only)."""
    import psycopg

    from storage.case_numbers import case_number_from_sequence
    from storage.postgres import PostgresStorage, _dump, _summary_values

    PostgresStorage(url).close()  # migrations and the number key
    columns = (
        "case_number, user_id, submitted_at, updated_at, status, tier, reporter_type, "
        "service, paid, monetary, amount, final_amount, evidence_sha256, message_count, "
        "unread_messages, last_message_at, thread_done, draft_id, data"
    )
    shared: list[str] = []
    statuses = list(CaseStatus)
    user_id = 6_000_000_000
    with psycopg.connect(url) as conn:
        (key,) = conn.execute(
            "SELECT value FROM store_meta WHERE key = 'case_number_key'"
        ).fetchone()
        with conn.cursor() as cur, cur.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
            for i, at in enumerate(submission_times(rng, count)):
                if rng.random() > 0.03:
                    user_id += rng.randrange(1, 50)
                draft = make_draft(rng, policy, user_id, shared)
                if draft.evidence and len(shared) < 500:
                    shared.append(draft.evidence[0].sha256)
                number = case_number_from_sequence(i + 1, bytes.fromhex(key))
                case = case_from_draft(draft, number, at)
                if case.amount is not None:  # round(x, -3) gives a float; the flow gives ints
                    case.amount = int(case.amount)
                if rng.random() < 0.3:
                    case.status = rng.choice(statuses)
                    case.updated_at = at + 86400
                    if case.status in (CaseStatus.APPROVED, CaseStatus.PAID):
                        case.final_amount = case.tentative_support or 30_000
                copy.write_row((*_summary_values(case), case.draft_id, _dump(case.to_dict())))
                if (i + 1) % 100_000 == 0:
                    print(f"  {i + 1:>9,} cases copied", flush=True)
        conn.execute("SELECT setval('case_number_seq', %s)", (count,))
        conn.execute(
            "INSERT INTO case_evidence (case_number, sha256)"
            " SELECT DISTINCT case_number, unnest(evidence_sha256) FROM cases"
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def cli_export(url: str, fmt: str, path: Path) -> tuple[float, float, float, str]:
    """``python -m bot export`` in a child process: wall s, its peak RSS (MiB), its CPU s, stderr."""
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k not in ("DATA_DIR", "POLICY")}
    env.update(DATABASE_URL=url, PYTHONPATH=str(root))
    probe = (
        "import resource, runpy, sys\n"
        "sys.argv = ['bot'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('bot', run_name='__main__')\n"
        "finally:\n"
        "    use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "    print('peak_rss_kib', use.ru_maxrss, 'cpu_s', use.ru_utime + use.ru_stime,"
        " file=sys.stderr)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, "export", "--format", fmt, "--output", str(path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr}")
    said = done.stderr.split("peak_rss_kib", 1)[1].split()
    rss, cpu = int(said[0]) / 1024, float(said[2])
    return wall, rss, cpu, done.stderr


def main_postgres(args: argparse.Namespace, policy: Policy) -> None:
    import psycopg

    from bot.staff.flags import flags_of
    from bot.staff.web.cases import list_page, parse_list_query
    from storage.postgres import PostgresStorage
    from tests.support.postgres_server import PostgresServer, find_bindir

    server = None
    url = args.database_url
    if url is None:
        bindir = find_bindir()
        if bindir is None:
            sys.exit("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
        server = PostgresServer(
            bindir, settings={"shared_buffers": "512MB", "max_wal_size": "4GB"}
        ).start()
        url = server.url()
    name = f"bench_export_{args.cases}"
    root = Path(tempfile.mkdtemp(prefix="bench-export-", dir="/tmp"))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        db_url = url.rsplit("/", 1)[0] + f"/{name}"
        print(f"setup: COPY of {args.cases:,} cases into PostgreSQL (not timed)")
        setup = timed(lambda: pg_generate(db_url, args.cases, policy, random.Random(1015)))
        print(f"  setup took {setup:.1f} s")
        load_before = os.getloadavg()[0]
        seconds, rss, cpu = {}, {}, {}
        formats = ["csv", "json"] + (["xlsx"] if args.cases <= 105_000 else [])
        for fmt in formats:
            path = root / f"cases.{fmt}"
            seconds[fmt], rss[fmt], cpu[fmt], said = cli_export(db_url, fmt, path)
            print(
                f"  {fmt:<5} {seconds[fmt]:.2f} s (CPU {cpu[fmt]:.2f} s), peak RSS {rss[fmt]:.1f} MiB, "
                f"{path.stat().st_size / 1e6:.1f} MB: {said.splitlines()[-2].strip()}"
            )
        store = PostgresStorage(db_url, pool_size=2)
        try:
            cases = store.count_cases()
            flags_ms = 1000 * timed(lambda: flags_of(store))
            flags = flags_of(store)

            def page_ms(path: str, runs: int) -> float:
                from multidict import MultiDict

                query = parse_list_query(
                    MultiDict(
                        (k, v)
                        for part in path.split("?", 1)[1:]
                        for k, v in (p.split("=", 1) for p in part.split("&"))
                    ),
                    policy,
                )
                list_page(store, query, flags)
                return statistics.median(
                    1000 * timed(lambda: list_page(store, query, flags)) for _ in range(runs)
                )

            list_ms = page_ms(LIST_FILTER, 20)
            # "flagged only" filters on flags, which needs every row in Python: not a page
            # the database serves, so it is left out here (see the docstring).
            variants = {
                name: page_ms(path, 5)
                for name, path in LIST_VARIANTS.items()
                if name != "flagged only"
            }
        finally:
            store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name}")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    peak = max(rss.values())
    result = {
        "bench": "export",
        "store": "postgres",
        "cases": cases,
        "csv_s": round(seconds["csv"], 2),
        "xlsx_s": round(seconds["xlsx"], 2) if "xlsx" in seconds else None,
        "jsonl_s": round(seconds["json"], 2),
        "csv_cpu_s": round(cpu["csv"], 2),
        "jsonl_cpu_s": round(cpu["json"], 2),
        "list_page_ms": round(list_ms, 2),
        "list_page_variants_ms": {k: round(v, 2) for k, v in variants.items()},
        "stats_page_ms": None,
        "flags_ms": round(flags_ms, 1),
        "export_peak_rss_mb": {k: round(v, 1) for k, v in rss.items()},
        "peak_rss_mb": round(peak, 1),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print()
    print(
        f"CSV export of {cases:,} cases: {result['csv_s']} s, exporting process {rss['csv']:.1f} MiB"
    )
    print(f"JSON lines: {result['jsonl_s']} s; XLSX: {result['xlsx_s']} s")
    print(f"flags of every case (SQL): {result['flags_ms']} ms")
    print(f"list page, filtered (server work): {result['list_page_ms']} ms")
    for label, ms in result["list_page_variants_ms"].items():
        print(f"  list page, {label}: {ms} ms")
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=105_000)
    parser.add_argument(
        "--data-dir", type=Path, help="reuse (or create and keep) this data directory"
    )
    parser.add_argument("--store", choices=["tinydb", "postgres"], default="tinydb")
    parser.add_argument("--database-url", help="with --store postgres: a server of yours")
    args = parser.parse_args()
    policy = load_policy()
    if args.store == "postgres":
        main_postgres(args, policy)
        return
    root = Path(tempfile.mkdtemp(prefix="bench-export-", dir="/tmp"))
    data_dir = args.data_dir or root / "data"
    try:
        if not (data_dir / "case_index.jsonl").exists():
            print(f"setup: generating {args.cases:,} cases in {data_dir} (not timed)")
            setup = timed(lambda: generate(data_dir, args.cases, policy, random.Random(1015)))
            print(f"  setup took {setup:.1f} s")
        load_before = os.getloadavg()[0]
        store = TinyDBStorage(data_dir)
        try:
            result = run(store, policy, root)
        finally:
            store.close()
        # Other work on the machine slows every figure; say how busy it was.
        result["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    print()
    print(f"{'what':<34} | {'time':>10} | note")
    for label, key, note in (
        ("CSV export, all cases", "csv", "goal <= 10 s at 105,000"),
        ("XLSX export, all cases", "xlsx", "goal <= 60 s at 105,000"),
        ("JSON lines export, all cases", "jsonl", ""),
        ("get_case of every case alone", "read", "inside each export"),
    ):
        cpu = f"CPU {result[key + '_cpu_s']:.2f} s"
        print(f"{label:<34} | {result[key + '_s']:>8.2f} s | {cpu}; {note}".rstrip("; "))
    print(f"{'flags of every case':<34} | {result['flags_ms']:>7.1f} ms |")
    print(
        f"{'list page, filtered (server)':<34} | {result['list_page_ms']:>7.1f} ms "
        f"| goal <= 200 ms; {result['list_page_wall_ms']} ms as the client saw it"
    )
    for name, ms in result["list_page_variants_ms"].items():
        print(f"{'  list page, ' + name:<34} | {ms:>7.1f} ms |")
    print(
        f"{'stats page (server)':<34} | {result['stats_page_ms']:>7.1f} ms "
        f"| goal <= 500 ms; {result['stats_page_wall_ms']} ms as the client saw it"
    )
    print(
        f"{'  statistics, computed afresh':<34} | {result['stats_compute_ms']:>7.1f} ms "
        "| in the background, at most every 30 s"
    )
    print(
        f"{'CSV from the page: shown':<34} | {result['web_export_page_ms']:>7.1f} ms "
        f"| headers {result['web_export_headers_ms']} ms, first bytes "
        f"{result['web_export_first_byte_ms']} ms, whole {result['web_export_csv_s']} s"
    )
    print(
        f"{'case page (server)':<34} | {result['detail_page_ms']:>7.1f} ms "
        f"| audit log of {result['audit_lines']:,} lines"
    )
    print(
        f"cases {result['cases']:,}, file sizes: CSV {result['csv_mb']} MB, "
        f"XLSX {result['xlsx_mb']} MB; peak RSS {result['peak_rss_mb']} MiB; "
        f"load average before/after {result['load_avg_1m']} on {os.cpu_count()} CPUs"
    )
    print(json.dumps(result))


def run(store: TinyDBStorage, policy: Policy, root: Path) -> dict:
    cases = len(store.list_cases())
    print(f"timing exports of {cases:,} cases")
    files = {fmt: root / f"cases.{fmt}" for fmt in ("csv", "xlsx", "json")}
    read_s, read_cpu = timed_cpu(lambda: sum(1 for _ in read_cases(store, store.list_cases())))
    print(f"  get_case pass {read_s:.2f} s (CPU {read_cpu:.2f} s)")
    seconds, cpu = {}, {}
    for fmt, path in files.items():
        seconds[fmt], cpu[fmt] = timed_cpu(
            lambda fmt=fmt, path=path: export_to(store, policy, fmt, path)
        )
        print(
            f"  {fmt:<5} {seconds[fmt]:.2f} s (CPU {cpu[fmt]:.2f} s), "
            f"{path.stat().st_size / 1e6:.1f} MB"
        )
    flags_ms = 1000 * timed(lambda: compute_flags(store.list_cases()))
    pages = asyncio.run(page_timings(store, policy))
    return {
        "bench": "export",
        "cases": cases,
        "csv_s": round(seconds["csv"], 2),
        "xlsx_s": round(seconds["xlsx"], 2),
        **pages,
        "jsonl_s": round(seconds["json"], 2),
        "read_s": round(read_s, 2),
        # CPU seconds of the same runs: steadier than wall time when the machine is busy.
        "csv_cpu_s": round(cpu["csv"], 2),
        "xlsx_cpu_s": round(cpu["xlsx"], 2),
        "jsonl_cpu_s": round(cpu["json"], 2),
        "read_cpu_s": round(read_cpu, 2),
        "flags_ms": round(flags_ms, 1),
        "csv_mb": round(files["csv"].stat().st_size / 1e6, 1),
        "xlsx_mb": round(files["xlsx"].stat().st_size / 1e6, 1),
    }


STAFF_TOKEN = "bench-staff-token-0123456789"
LIST_FILTER = "/staff/?status=submitted&reporter_type=small_business"
LIST_VARIANTS = {
    "no filter": "/staff/",
    "filter, page 20": LIST_FILTER + "&page=20",
    "filter, by amount": LIST_FILTER + "&sort=amount_desc",
    "flagged only": "/staff/?flag=any",
    "first day (KST)": "/staff/?from=2022-10-19&to=2022-10-19",
    "case number part": "/staff/?q=K7",
}


async def page_timings(store: TinyDBStorage, policy: Policy) -> dict:
    """GET the real staff pages as a signed-in staff member; server and client times in ms."""
    staff_app = create_staff_app(
        storage=store,
        policy=policy,
        review=ReviewService(store),
        settings=Settings(staff_web_token=STAFF_TOKEN),
    )
    async with TestClient(TestServer(create_app(staff=staff_app))) as client:
        form = await (await client.get("/staff/signin")).text()
        nonce = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed_in = await client.post(
            "/staff/signin",
            data={"csrf": nonce, "name": "bench", "token": STAFF_TOKEN, "lang": "ko"},
            allow_redirects=False,
        )
        assert signed_in.status == 303, signed_in.status
        staff = staff_app[STAFF_KEY]
        await staff.flags.refresh()  # as after start-up: flags and statistics are at hand
        await staff.stats.refresh()

        async def get(path: str) -> tuple[float, float, str]:
            started = time.perf_counter()
            response = await client.get(path)
            body = await response.text()
            wall = 1000 * (time.perf_counter() - started)
            assert response.status == 200, (path, response.status)
            server = float(response.headers["Server-Timing"].split("dur=")[1])
            return server, wall, body

        async def median(path: str, runs: int) -> tuple[float, float, str]:
            await get(path)  # warm-up
            samples = [await get(path) for _ in range(runs)]
            body = samples[-1][2]
            return (
                statistics.median(s for s, _, _ in samples),
                statistics.median(w for _, w, _ in samples),
                body,
            )

        list_ms, list_wall, body = await median(LIST_FILTER, 20)
        assert body.count('class="case-link') == PAGE, "the filtered list shows a full page"
        variants = {name: (await median(path, 5))[0] for name, path in LIST_VARIANTS.items()}
        stats_ms, stats_wall, _ = await median("/staff/stats", 10)
        stats_compute = []
        for _ in range(3):
            started = time.perf_counter()
            await staff.stats.refresh()
            stats_compute.append(1000 * (time.perf_counter() - started))
        export = await export_timing(client)
        number = store.list_cases()[len(store.list_cases()) // 2].case_number
        detail_ms, _, _ = await median(f"/staff/cases/{number}", 5)
        audit_lines = sum(1 for _ in store.iter_audit())
    return {
        "list_page_ms": round(list_ms, 1),
        "list_page_wall_ms": round(list_wall, 1),
        "list_page_variants_ms": {name: round(ms, 1) for name, ms in variants.items()},
        "stats_page_ms": round(stats_ms, 1),
        "stats_page_wall_ms": round(stats_wall, 1),
        "stats_compute_ms": round(statistics.median(stats_compute), 1),
        "detail_page_ms": round(detail_ms, 1),
        "audit_lines": audit_lines,
        "page_times_are": "server time from the Server-Timing header, median; wall = as the client saw it",
        **export,
    }


async def export_timing(client: TestClient) -> dict:
    """The CSV of every case downloaded from the page, as a browser gets it.

    ``web_export_page_ms``: the page the export link opens, which says how many cases
    the file holds (as the client saw it); ``web_export_headers_ms``: from the press
    of its download button until the response headers (when a browser shows the download);
    ``web_export_first_byte_ms``: until its first bytes; ``web_export_csv_s``: the
    whole file.
    """
    result = {}
    started = time.perf_counter()
    page = await client.get("/staff/exporting/csv")  # where the list's CSV link goes
    body = await page.text()
    result["web_export_page_ms"] = round(1000 * (time.perf_counter() - started), 1)
    assert page.status == 200, page.status
    download = body.split('download-link" href="', 1)[1].split('"', 1)[0]
    download = download.replace("&amp;", "&")
    started = time.perf_counter()
    response = await client.get(download)
    result["web_export_headers_ms"] = round(1000 * (time.perf_counter() - started), 1)
    assert response.status == 200, response.status
    assert response.headers["Content-Type"].startswith("text/csv")
    size = len(await response.content.readany())
    result["web_export_first_byte_ms"] = round(1000 * (time.perf_counter() - started), 1)
    while chunk := await response.content.readany():
        size += len(chunk)
    result["web_export_csv_s"] = round(time.perf_counter() - started, 2)
    result["web_export_csv_mb"] = round(size / 1e6, 1)
    return result


if __name__ == "__main__":
    main()
