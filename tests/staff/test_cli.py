"""``export`` and ``stats`` as staff run them: a real process, DATA_DIR full of generated cases."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot.settings import Settings
from bot.staff import cli
from storage.records import CaseChange, CaseStatus
from storage.tinydb_store import TinyDBStorage
from tests.staff.cases import FIRST_DAY, draft, evidence
from tests.support.users import tg

ROOT = Path(__file__).resolve().parents[2]
# What ``python -m bot`` does with these commands once bot/__main__.py wires
# ``register`` and ``run``; the test then can run ``-m bot`` instead.
ENTRY = [
    sys.executable,
    "-c",
    "import argparse, sys\n"
    "from bot.settings import load_settings\n"
    "from bot.staff import cli\n"
    "parser = argparse.ArgumentParser(prog='python -m bot')\n"
    "cli.register(parser.add_subparsers(dest='command'))\n"
    "sys.exit(cli.run(parser.parse_args(), load_settings()))\n",
]
CASES = 24


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with CASES cases over three days; every fourth approved."""
    root = tmp_path_factory.mktemp("cli") / "data"
    store = TinyDBStorage(root)
    try:
        for i in range(CASES):
            refs = [evidence(store, f"receipt {i}".encode(), "../영수증.jpg")] if i % 3 == 0 else []
            case = store.create_case(
                draft(
                    user_id=tg(7000 + i % 20),  # four users with two cases
                    amount=100_000 + 10_000 * i,
                    description="=1+2" if i == 5 else f"매출 감소 {i}",
                    evidence=refs,
                ),
                now=FIRST_DAY + i * 3 * 3600,  # 8 a day: 19th, 20th, 21st
            )
            if i % 4 == 0:
                store.update_case(
                    case.case_number,
                    CaseChange(actor="staff:1", now=FIRST_DAY, status=CaseStatus.APPROVED),
                )
    finally:
        store.close()
    return root


def run(
    data_dir: Path, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    more = env or {}
    env = {k: v for k, v in os.environ.items() if k not in ("POLICY", "DEFAULT_LANG")}
    env.pop("DATABASE_URL", None)
    env.update(more)
    env["DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [*ENTRY, *args], capture_output=True, cwd=cwd, env=env, timeout=60, check=False
    )
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def test_csv_to_a_timestamped_file_here(data_dir: Path, tmp_path: Path):
    result = run(data_dir, "export", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.decode().strip())
    assert path.parent == tmp_path and path.name.startswith("cases-") and path.suffix == ".csv"
    assert not list(tmp_path.glob("*.part"))
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "접수번호" and len(rows) == CASES + 1
    assert "'=1+2" in [row[13] for row in rows]
    assert b"exported 24 of 24 matching cases" in result.stderr


def test_xlsx_in_english_with_evidence(data_dir: Path, tmp_path: Path):
    result = run(
        data_dir,
        "export",
        "--format=xlsx",
        "--lang=en",
        "--from=2022-10-20",
        "--to=2022-10-20",
        f"--output={tmp_path / 'day2.xlsx'}",
        f"--evidence={tmp_path / 'day2.zip'}",
    )
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "day2.xlsx").active
    assert sheet["A1"].value == "Case number"
    assert sheet.max_row == 1 + 8  # the eight cases of the 20th
    with zipfile.ZipFile(tmp_path / "day2.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["count"] == 3  # cases 9, 12 and 15 have a receipt
    assert all(e["stored_name"].endswith("/영수증.jpg") for e in manifest["files"])


def test_json_lines_to_stdout_with_filters(data_dir: Path):
    result = run(data_dir, "export", "--format", "json", "--status", "approved", "--output", "-")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(records) == CASES // 4
    assert {r["status"] for r in records} == {"approved"}


def test_flagged_only(data_dir: Path):
    result = run(data_dir, "export", "--format=json", "--flagged", "-o", "-")
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(records) == 8  # users 7000..7003 have two cases each
    assert all("repeat_user" in r["flags"] for r in records)


def test_stats_text_and_json(data_dir: Path):
    text = run(data_dir, "stats").stdout.decode()
    assert "전체 24건" in text and "2022-10-21" in text
    data = json.loads(run(data_dir, "stats", "--json", "--lang=en").stdout)
    assert data["total"] == CASES
    assert data["by_status"] == {"submitted": 18, "approved": 6}


def test_runs_while_the_bot_holds_the_data_directory(data_dir: Path):
    bot = TinyDBStorage(data_dir)  # takes the directory's lock, as the running bot does
    try:
        result = run(data_dir, "stats", "--json")
    finally:
        bot.close()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == CASES


def test_a_bad_option_is_a_clear_error(data_dir: Path):
    result = run(data_dir, "export", "--status", "done")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: unknown status 'done'; use one of: submitted")


# -- errors, in process (fast) -----------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot")
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "--from", "2022-13-01"], "--from '2022-13-01' is not a date; use YYYY-MM-DD"),
        (["export", "--to", "2022/10/19"], "--to '2022/10/19' is not a date"),
        (["export", "--from", "2022-10-21", "--to", "2022-10-20"], "the date range is empty"),
        (["export", "--tier", "cash_30000"], "unknown tier 'cash_30000'; use one of: cash_30k"),
        (["export", "--reporter-type", "shop"], "unknown reporter type 'shop'"),
        (["export", "--service", "kakao"], "unknown service 'kakao'"),
        (["export", "--status", "open"], "unknown status 'open'"),
    ],
)
def test_errors_name_the_option(argv, message, data_dir: Path, capsys):
    assert cli.run(parse(*argv), Settings(data_dir=data_dir)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_missing_data_directory(tmp_path: Path, capsys):
    assert cli.run(parse("stats"), Settings(data_dir=tmp_path / "nowhere")) == 2
    assert "DATA_DIR" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()  # nothing created by a typo


def test_unwritable_output(data_dir: Path, tmp_path: Path, capsys):
    target = tmp_path / "no" / "such" / "folder" / "x.csv"
    assert cli.run(parse("export", "-o", str(target)), Settings(data_dir=data_dir)) == 2
    assert capsys.readouterr().err.startswith("error: No such file or directory")


def test_exports_are_owner_only_even_over_an_existing_file(data_dir: Path, tmp_path: Path):
    """Regression: ``export --output F`` and ``--evidence ZIP`` were created with the umask
    (0644 here), readable by every local user, though they hold registration numbers,
    user ids and receipts; a file already there kept its mode too."""
    output, archive = tmp_path / "cases.csv", tmp_path / "evidence.zip"
    output.write_bytes(b"old")
    output.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        argv = parse("export", "-o", str(output), "--evidence", str(archive))
        assert cli.run(argv, Settings(data_dir=data_dir)) == 0
    finally:
        os.umask(old_umask)
    assert output.stat().st_mode & 0o777 == 0o600
    assert archive.stat().st_mode & 0o777 == 0o600
    assert output.read_bytes().startswith("\ufeff접수번호".encode())
    assert zipfile.is_zipfile(archive)


def test_lift_limits_needs_a_reason_like_the_web(tmp_path: Path, capsys):
    """Regression: `python -m bot lift-limits` took no --reason (or a blank one) and
    wrote a lift without a why, which the staff web refuses."""
    store = TinyDBStorage(tmp_path / "data")
    case = store.create_case(draft(user_id=tg(78), amount=100_000), now=FIRST_DAY)
    store.close()
    with pytest.raises(SystemExit):
        parse("lift-limits", case.case_number, "--staff", "kim")
    assert "--reason" in capsys.readouterr().err
    blank = parse("lift-limits", case.case_number, "--staff", "kim", "--reason", "  ")
    assert cli.run(blank, Settings(data_dir=tmp_path / "data")) == 2
    assert "reason" in capsys.readouterr().err
    store = TinyDBStorage(tmp_path / "data")
    try:
        assert not [e for e in store.iter_audit(case.case_number) if e.action == "limits.lifted"]
    finally:
        store.close()


def test_lift_limits_is_an_audited_staff_action(tmp_path: Path, capsys):
    """Staff let a person file more reports and files than the policy's per-person limits."""
    store = TinyDBStorage(tmp_path / "data")
    case = store.create_case(draft(user_id=tg(77), amount=100_000), now=FIRST_DAY)
    bot = store  # the running bot holds the data directory: lifting waits for it to stop
    args = parse("lift-limits", case.case_number.lower(), "--staff", "kim", "--reason", "2 shops")
    assert cli.run(args, Settings(data_dir=tmp_path / "data")) == 2
    assert "staff web" in capsys.readouterr().err
    bot.close()
    assert cli.run(args, Settings(data_dir=tmp_path / "data")) == 0
    assert case.case_number in capsys.readouterr().out
    store = TinyDBStorage(tmp_path / "data")
    try:
        (entry,) = [e for e in store.iter_audit(case.case_number) if e.action == "limits.lifted"]
    finally:
        store.close()
    assert entry.actor == "staff:kim" and entry.detail == {
        "user_id": "telegram:77",
        "reason": "2 shops",
    }
    unknown = parse("lift-limits", "AAA-AAA-AAA", "--staff", "kim", "--reason", "x")
    assert cli.run(unknown, Settings(data_dir=tmp_path / "data")) == 2
    assert "no case AAA-AAA-AAA" in capsys.readouterr().err
    assert cli.run(args, Settings(data_dir=tmp_path / "nowhere")) == 2
    assert not (tmp_path / "nowhere").exists()


def test_export_and_stats_read_postgresql_with_database_url(pg_database: str, tmp_path: Path):
    """DATABASE_URL: the same commands on the PostgreSQL store (no DATA_DIR needed)."""
    from storage.postgres import PostgresStorage

    store = PostgresStorage(pg_database)
    try:
        for i in range(6):
            case = store.create_case(
                draft(user_id=tg(7100 + i % 5), amount=100_000 + i), now=FIRST_DAY + i * 3600
            )
            if i % 3 == 0:
                store.update_case(
                    case.case_number,
                    CaseChange(actor="staff:1", now=FIRST_DAY, status=CaseStatus.APPROVED),
                )
    finally:
        store.close()
    env = {"DATABASE_URL": pg_database}
    nowhere = tmp_path / "no data dir"
    every = run(nowhere, "export", "--format=json", "-o", "-", env=env)
    assert every.returncode == 0, every.stderr
    records = [json.loads(line) for line in every.stdout.decode().splitlines()]
    assert [r["amount"] for r in records] == [100_000 + i for i in range(6)]  # oldest first
    assert "exported 6 of 6 matching cases" in every.stderr.decode()
    flagged = run(nowhere, "export", "--format=json", "--flagged", "-o", "-", env=env)
    assert len(flagged.stdout.decode().splitlines()) == 2  # user 7100 has two cases
    data = json.loads(run(nowhere, "stats", "--json", env=env).stdout)
    assert data["by_status"] == {"submitted": 4, "approved": 2}
    unreachable = run(nowhere, "stats", env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/x"})
    assert unreachable.returncode == 2 and b"error:" in unreachable.stderr
