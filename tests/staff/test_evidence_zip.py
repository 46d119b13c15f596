"""The evidence bundle: a folder per case, safe names, a manifest that matches the bytes."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from bot.staff.exports import MANIFEST_NAME, safe_file_name, select_cases, write_evidence_zip
from storage.base import Storage
from storage.memory import MemoryStorage
from storage.records import EvidenceRef
from storage.tinydb_store import TinyDBStorage
from tests.staff.cases import FIRST_DAY, AddCase, draft, evidence

HOSTILE = ["../../etc/passwd", "con.txt", "a/b\\c.jpg", "nul\x00.jpg", "..", "영수증.jpg"]
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in range(10)
}


def bundle(store: Storage) -> tuple[zipfile.ZipFile, dict]:
    out = io.BytesIO()
    write_evidence_zip(select_cases(store), store, out)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    return archive, json.loads(archive.read(MANIFEST_NAME))


def test_manifest_matches_the_files(store: Storage, add_case: AddCase):
    first = add_case(
        evidence=[
            evidence(store, b"\xff\xd8 receipt one", "영수증.jpg"),
            evidence(store, b"sales,100\n", "매출.csv", "text/csv"),
        ]
    )
    second = add_case(evidence=[evidence(store, b"\x89PNG screen", "screen.png", "image/png")])
    add_case()  # no evidence: no folder
    archive, manifest = bundle(store)
    assert manifest["count"] == 3
    assert sorted(archive.namelist()) == sorted(
        [
            f"{first.case_number}/영수증.jpg",
            f"{first.case_number}/매출.csv",
            f"{second.case_number}/screen.png",
            MANIFEST_NAME,
        ]
    )
    refs = {ref.sha256: ref for case in (first, second) for ref in case.evidence}
    for entry in manifest["files"]:
        data = archive.read(entry["stored_name"])
        assert entry["status"] == "ok"
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
        ref = refs[entry["sha256"]]
        assert entry["original_name"] == ref.name
        assert entry["case_number"] in entry["stored_name"]


def test_hostile_names_are_safe_and_unique(memory_store: MemoryStorage, add_memory_case: AddCase):
    refs = [evidence(memory_store, f"file {i}".encode(), name) for i, name in enumerate(HOSTILE)]
    refs.append(evidence(memory_store, b"another receipt", "영수증.jpg"))  # same name, other bytes
    refs.append(evidence(memory_store, b"upper case", "영수증.JPG"))  # same name on Windows
    case = add_memory_case(evidence=refs)
    archive, manifest = bundle(memory_store)
    stored = [e["stored_name"] for e in manifest["files"]]
    assert len(set(n.casefold() for n in stored)) == len(refs)
    for name in archive.namelist():
        if name == MANIFEST_NAME:
            continue
        folder, file_name = name.split("/")
        assert folder == case.case_number
        assert file_name not in ("", ".", "..") and not file_name.startswith(".")
        assert "\\" not in file_name and "\x00" not in file_name
        assert file_name.split(".")[0].casefold() not in WINDOWS_RESERVED
    assert stored == [
        f"{case.case_number}/{n}"
        for n in [
            "passwd.jpg",  # a name without an allowed extension gets its type's
            "_con.txt",
            "c.jpg",
            "_nul.jpg",  # without the NUL it is "nul.jpg", reserved on Windows
            "file.jpg",
            "영수증.jpg",
            "영수증 (2).jpg",
            "영수증 (3).JPG",
        ]
    ]


def test_a_trailing_dot_never_makes_a_dangerous_name_in_the_zip(
    memory_store: MemoryStorage, add_memory_case: AddCase
):
    """Regression: ``invoice.exe.`` accepted as a PDF (its extension read as empty) came
    out of the zip as ``invoice.exe``, ``receipt.html.`` as ``receipt.html``. Names
    stored that way before the fix still come out with their declared type's extension."""
    sent = [
        ("invoice.exe.", "application/pdf"),
        ("receipt.html.", "image/jpeg"),
        ("run.hta. ", "application/pdf"),
        ("shortcut.lnk\u200b.", "image/png"),
        ("setup\uff0ebat", "application/pdf"),
        ("CONIN$.pdf", "application/pdf"),
    ]
    refs = [
        evidence(memory_store, f"file {i}".encode(), name, mime)
        for i, (name, mime) in enumerate(sent)
    ]
    case = add_memory_case(evidence=refs)
    _, manifest = bundle(memory_store)
    assert [e["stored_name"].split("/")[1] for e in manifest["files"]] == [
        "invoice.exe.pdf",
        "receipt.html.jpg",
        "run.hta.pdf",
        "shortcut.lnk.png",
        "setup.bat.pdf",
        "_CONIN$.pdf",
    ]
    assert all(e["stored_name"].startswith(case.case_number) for e in manifest["files"])


def test_missing_evidence_is_listed_without_a_file(store: Storage, add_case: AddCase):
    good = evidence(store, b"good bytes", "good.jpg")
    missing = EvidenceRef(sha256="c" * 64, name="gone.jpg", mime="image/jpeg", size=10)
    add_case(evidence=[good, missing])
    archive, manifest = bundle(store)
    assert [(e["original_name"], e["status"]) for e in manifest["files"]] == [
        ("good.jpg", "ok"),
        ("gone.jpg", "missing"),
    ]
    assert manifest["files"][1]["stored_name"] is None
    assert manifest["count"] == 1
    assert len(archive.namelist()) == 2  # good.jpg and the manifest


def test_damaged_evidence_is_included_and_marked(tiny: TinyDBStorage, data_dir: Path):
    ref = evidence(tiny, b"original bytes", "receipt.jpg")
    tiny.create_case(draft(evidence=[ref]), now=FIRST_DAY)
    path = data_dir / "evidence" / ref.sha256[:2] / ref.sha256
    path.chmod(0o600)
    path.write_bytes(b"changed on disk")
    archive, manifest = bundle(tiny)
    (entry,) = manifest["files"]
    assert entry["status"] == "sha256_mismatch"
    assert entry["sha256"] == hashlib.sha256(b"changed on disk").hexdigest()
    assert archive.read(entry["stored_name"]) == b"changed on disk"


def test_written_to_an_unseekable_stream(memory_store: MemoryStorage, add_memory_case: AddCase):
    add_memory_case(evidence=[evidence(memory_store, b"x" * 100_000, "big.pdf", "application/pdf")])

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            self.data += b
            return len(b)

    pipe = Pipe()
    assert write_evidence_zip(select_cases(memory_store), memory_store, pipe) == 1
    archive = zipfile.ZipFile(io.BytesIO(bytes(pipe.data)))
    assert archive.testzip() is None


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("con.txt", "_con.txt"),
        ("CON", "_CON"),
        ("lpt1.tar.gz", "_lpt1.tar.gz"),
        ("console.txt", "console.txt"),
        ("a/b\\c.jpg", "c.jpg"),
        ("x\x00y.jpg", "xy.jpg"),
        ("..", "file"),
        ("", "file"),
        (".bashrc", "bashrc"),
        ("what?.jpg", "what_.jpg"),
        ("trailing. ", "trailing"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # a right-to-left override disguises ".exe"
        ("영수증\u3000사진.jpg", "영수증 사진.jpg"),
        ("\u1109\u1161\u11bc\u1112\u1169.jpg", "상호.jpg"),  # decomposed jamo from macOS
    ],
)
def test_safe_file_name(name: str, safe: str):
    assert safe_file_name(name) == safe


def test_long_names_keep_their_extension():
    name = safe_file_name("가" * 200 + ".jpeg")
    assert name.endswith(".jpeg") and len(name.encode()) <= 200


def test_no_evidence_gives_an_empty_manifest(memory_store: MemoryStorage, add_memory_case: AddCase):
    add_memory_case()
    archive, manifest = bundle(memory_store)
    assert manifest == {"count": 0, "files": []}
    assert archive.namelist() == [MANIFEST_NAME]
