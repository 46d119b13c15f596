"""How soon the PostgreSQL store serves again after the server crashes.

Starts a durable server of its own (tests/support/postgres_server.py), opens the store
with a pool of ``--pool`` connections and leaves ``--idle`` of them idle (a busy
moment), then, ``--rounds`` times each:

- ``restart``: ``pg_ctl restart -m immediate`` (returns once the server accepts again),
  then one store call (``load_user_lang``): seconds from the restart's return to the
  call's answer, and whether it failed;
- ``outage``: the server stopped (``-m immediate``), ``--outage-calls`` calls made while
  it is down (each fails: seconds each took to say so), the server started again
  (returns once it accepts), then one call: seconds from the start's return to its answer;
- ``waiting``: a call made while the server is down, the server started again while it
  waits: seconds from the start's return to that call's answer.

``--code DIR`` imports the store from another checkout (e.g. /work/main, to compare
with the code before a change) in the same run. Prints a table and, last, one line
of JSON. Seconds on a shared machine are noisy: compare within a run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path


def _waiter(call: Callable[[], object], answered: list[float]) -> None:
    call()  # waits for the pool, then answers (or fails)
    answered.append(time.monotonic())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--idle", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--outage-calls", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated parts not to run")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))

    from storage.postgres import PostgresStorage
    from tests.support.postgres_server import PostgresServer, find_bindir
    from tests.support.users import tg

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries (initdb, pg_ctl)")
    server = PostgresServer(bindir, settings={}).start()

    def halt() -> None:
        server._run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")

    def resume() -> None:
        if server._pg_ctl("start").returncode != 0:
            raise RuntimeError("the server did not start again")

    results: dict[str, list[dict[str, float | bool]]] = {"restart": [], "outage": [], "waiting": []}
    skip = set(filter(None, args.skip.split(",")))
    try:
        store = PostgresStorage(server.create_database("bench"), pool_size=args.pool)
        store.save_user_lang(tg(1), "ko")

        def call() -> tuple[float, bool]:
            t0 = time.monotonic()
            try:
                store.load_user_lang(tg(1))
                ok = True
            except Exception:
                ok = False
            return time.monotonic() - t0, ok

        def fill() -> None:
            pool = store._pool.pool
            held = [pool.getconn() for _ in range(args.idle)]
            for conn in held:
                pool.putconn(conn)

        for _ in range(args.rounds):
            if "restart" not in skip:
                fill()
                server.restart("immediate")
                took, ok = call()
                results["restart"].append({"serve_s": took, "failed": not ok})
            if "outage" not in skip:
                fill()
                halt()
                during = [call()[0] for _ in range(args.outage_calls)]
                resume()
                took, ok = call()
                results["outage"].append({"fail_s": max(during), "serve_s": took, "failed": not ok})
            if "waiting" not in skip:
                fill()
                halt()
                answered: list[float] = []
                thread = threading.Thread(target=_waiter, args=(call, answered))
                thread.start()
                time.sleep(0.5)  # the call is waiting for a connection
                resume()
                back = time.monotonic()
                thread.join()
                results["waiting"].append({"serve_s": answered[0] - back})
        store.close()
    finally:
        server.stop()

    summary: dict[str, object] = {
        "bench": "pg_restart",
        "code": str(args.code),
        "pool": args.pool,
        "idle": args.idle,
    }
    print(f"code from {args.code}; pool {args.pool}, {args.idle} idle at each crash")
    for part, rows in results.items():
        if not rows:
            continue
        serve = [float(r["serve_s"]) for r in rows]
        failed = sum(1 for r in rows if r.get("failed"))
        line = f"{part:8} serve again s: median {statistics.median(serve):.2f} max {max(serve):.2f}"
        summary[f"{part}_serve_s_median"] = round(statistics.median(serve), 3)
        summary[f"{part}_serve_s_max"] = round(max(serve), 3)
        if part != "waiting":
            line += f"; first call failed {failed} of {len(rows)}"
            summary[f"{part}_first_call_failed"] = failed
        if part == "outage":
            fails = [float(r["fail_s"]) for r in rows]
            line += f"; a call during the outage failed after {max(fails):.2f} s at most"
            summary["outage_call_fail_s_max"] = round(max(fails), 3)
        print(line)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
