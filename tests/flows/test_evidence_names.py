"""Evidence file names: one normal form decides the type and names the file everywhere."""

from __future__ import annotations

from pathlib import PurePath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.conversation import clean_file_name
from flows.evidence import ALLOWED_TYPES, EvidenceRules, download_name, normalize_file_name
from tests.flows.test_conversation import small_business_report

ALLOWED_SUFFIXES = {s for suffixes in ALLOWED_TYPES.values() for s in suffixes}

# What the issue saw get past the type check, and look-alikes of the same trick.
DISGUISED = [
    ("invoice.exe.", "application/pdf"),
    ("receipt.html.", "image/jpeg"),
    ("run.hta.", "application/pdf"),
    ("shortcut.lnk.", "image/png"),
    ("setup.bat.", "application/pdf"),
    ("setup.bat. . ", "application/pdf"),
    ("invoice.exe\u3000", "application/pdf"),  # ideographic space
    ("invoice.exe\u200b.", "application/pdf"),  # zero-width space, then a dot
    ("invoice.exe\u202e.", "application/pdf"),  # bidi override, then a dot
    ("invoice\uff0eexe", "application/pdf"),  # full-width full stop
    ("invoice.\uff45\uff58\uff45", "application/pdf"),  # full-width letters
    ("invoice.exe\ufe52", "application/pdf"),  # small full stop
    ("invoice.exe\u2024", "application/pdf"),  # one dot leader
    ("invoice.\U0001d41e\U0001d431\U0001d41e", "application/pdf"),  # mathematical bold "exe"
    ("receipt.jpg.scr.", "application/octet-stream"),
]


@pytest.mark.parametrize(("name", "mime"), DISGUISED)
def test_a_disguised_extension_is_refused(talk, receipt, name, mime):
    """Regression: a trailing dot (or space, or a look-alike of a dot or of letters) made the
    extension read as empty, the declared type decided, and the evidence zip then held
    ``invoice.exe`` or ``receipt.html``."""
    small_business_report(talk, "1만")
    talk.files(receipt(1, name=name, mime=mime))
    assert "받을 수 없는 형식" in talk.text
    assert talk.answers.get("evidence", []) == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("매출.pdf. ", "매출.pdf"),
        ("영수증\uff0epdf", "영수증.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("conin$.pdf", "_conin$.pdf"),
        ("CONOUT$ .pdf", "_CONOUT$ .pdf"),
        ("lpt9.pdf", "_lpt9.pdf"),
        ("COM\u00b9.pdf", "_COM1.pdf"),
        ("㈜카카오 영수증.pdf", "㈜카카오 영수증.pdf"),  # not folded into "(株)"
        ("a:b|c?.pdf", "a_b_c_.pdf"),
        ("../../etc/passwd.pdf", "_.._etc_passwd.pdf"),
        ("가" * 250 + ".pdf", "가" * 116 + ".pdf"),
    ],
)
def test_the_stored_name_is_the_normalised_one(talk, receipt, sent, stored):
    small_business_report(talk, "1만")
    talk.files(receipt(1, name=sent, mime="application/pdf"))
    assert [f["name"] for f in talk.answers["evidence"]] == [stored]
    assert download_name(stored, "application/pdf") == stored


def test_a_stored_name_with_a_dangerous_extension_is_handed_out_safely():
    """Names stored before the fix (or any other way) still never reach staff as ``.exe``."""
    assert download_name("invoice.exe.", "application/pdf") == "invoice.exe.pdf"
    assert download_name("receipt.html", "image/jpeg") == "receipt.html.jpg"
    assert download_name("scan", "application/pdf") == "scan.pdf"
    assert download_name("x.bat", "application/x-unknown") == "x.bat.bin"
    assert download_name("사진.JPG", "image/jpeg") == "사진.JPG"


NAME_PARTS = [
    *"aexhtmlnkbpdfjg.$ _-/\\:",
    *("\uff0e", "\ufe52", "\u2024", "\u200b", "\u202e", "\u3000", "\uff45", "가", "\x00"),
    *("\u0301", "\u00b9", "\u2044", "\ufeff"),
    *("con", "CONIN$", ".exe", ".pdf", ".jpg", ".hta", ". ", "lpt1"),
]
NAME_TEXT = st.lists(st.sampled_from(NAME_PARTS), max_size=12).map("".join)
MIMES = [*sorted(ALLOWED_TYPES), "application/octet-stream", ""]


@given(NAME_TEXT, st.sampled_from(MIMES))
def test_an_accepted_file_is_only_ever_named_with_an_allowed_extension(name, mime):
    """Whatever the name, a file the rules accept is stored, downloaded and zipped under a
    name with an allowed extension (or none), decided on that very name."""
    cleaned = clean_file_name(name)
    assert normalize_file_name(cleaned) == cleaned  # a normal form: nothing changes twice
    if not EvidenceRules().type_allowed(cleaned, mime):
        return
    suffix = PurePath(cleaned).suffix.lower()
    assert suffix in ALLOWED_SUFFIXES or suffix == ""
    handed_out = download_name(cleaned, mime)
    assert PurePath(handed_out).suffix.lower() in ALLOWED_SUFFIXES | {".bin"}
    assert not handed_out.endswith((".", " "))
