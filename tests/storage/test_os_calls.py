"""The system calls of the TinyDB store's per-step work, counted (never timed).

Every web chat or Telegram step loads and saves a conversation, and a submit creates a
case; each system call made there costs kernel time and, in a worker thread, a release
and re-take of the GIL (often a futex and a context switch while the event loop runs).
These pin what each operation calls, and that durability stays: the file and its folder
fsync'd on every save, each log line fsync'd.
"""

from __future__ import annotations

import time

from storage.case_numbers import new_case_number
from storage.jsonl_log import JsonLinesLog
from storage.tinydb_store import TinyDBStorage
from storage.webchat_files import WebChatFiles
from tests.support.os_calls import os_calls
from tests.support.users import tg

WHOLE_FILE_READ = {"posix.open": 1, "posix.fstat": 1, "posix.read": 1, "posix.close": 1}


def test_loading_a_conversation_is_open_fstat_read_close(tiny, make_conversation):
    """Regression: a load read the file through a buffered ``open`` (Path.read_bytes): an
    ``isatty`` ioctl that always fails, two ``lseek``, two ``fstat`` and a second ``read``
    at the end of the file, beside the open, read and close it needs."""
    record = make_conversation()
    tiny.save_conversation(record)
    with os_calls() as calls:
        assert tiny.load_conversation(record.user_id) == record
    assert calls == WHOLE_FILE_READ


def test_loading_a_missing_conversation_or_language_is_one_failed_open(tiny):
    """Regression: after the open failed (no file), ``Path.exists`` asked again with a
    ``stat`` to tell a missing file from a file without the document."""
    with os_calls() as calls:
        assert tiny.load_conversation(tg(7)) is None
        assert tiny.load_user_lang(tg(7)) is None
    assert calls == {"posix.open": 2}


def test_saving_a_conversation_fsyncs_the_file_and_its_folder(tiny, make_conversation):
    """Durability pinned: a temporary file written once and fsync'd, renamed over the
    conversation, and the folder fsync'd, before the save returns; nothing else."""
    record = make_conversation()
    tiny.save_conversation(record)  # the second save replaces a file
    for _ in range(2):
        with os_calls() as calls:
            tiny.save_conversation(record)
        assert calls == {
            "posix.open": 2,  # the temporary file, the folder
            "posix.write": 1,
            "posix.fsync": 2,
            "posix.close": 2,
            "posix.replace": 1,
        }


def test_creating_a_case_fsyncs_each_step_and_draws_once(tiny, make_draft):
    """Regression: each log line's offset cost an ``lseek`` after its write, and the case
    number drew each of its 8 symbols with its own ``getrandom``. The five fsyncs stay:
    the index's begin line, the case file and its folder, the audit line, the index row."""
    with os_calls() as calls:
        tiny.create_case(make_draft(), time.time())
    assert calls["posix.fsync"] == 5
    assert calls["posix.lseek"] == 0
    assert calls["posix.urandom"] <= 1 + 1  # one draw (a second: once in 20 million)
    assert calls["posix.link"] == 1 and calls["posix.unlink"] == 1  # created, never replaced
    assert calls["posix.stat"] == 0 and calls["io.open"] == 0


def test_a_case_number_is_one_random_draw():
    """Regression: ``secrets.choice`` per symbol made 8 ``getrandom`` calls per number.
    One draw of 64 bits, redrawn only when it falls in the last, incomplete range of
    31**8 (odds about 1 in 20 million), keeps every number equally likely."""
    with os_calls() as calls:
        numbers = {new_case_number() for _ in range(50)}
    assert len(numbers) == 50
    assert calls["posix.urandom"] <= 50 + 1


def test_a_log_line_is_one_write_and_one_fsync_and_its_offset_is_right(data_dir):
    """Regression: every append asked the kernel for the offset (``lseek``) after writing;
    the log knows its end. Offsets stay right across reopening and a rollover."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = TinyDBStorage(data_dir)
    log = JsonLinesLog(data_dir / "x.jsonl", store._files)
    log.open()
    offsets = []
    for n in range(3):
        with os_calls() as calls:
            offsets.append(log.append({"n": n}))
        assert calls == {"posix.write": 1, "posix.fsync": 1}
    log.close()
    log.open()
    offsets.append(log.append({"n": 3}))
    assert list(log.read_at(offsets)) == [{"n": n} for n in range(4)]
    assert offsets == sorted(offsets) and offsets[0] == 0
    log.roll_over(data_dir / "x.prev.jsonl")
    assert log.append({"n": 4}) == 0
    log.close()
    store.close()


def test_reading_a_web_transcript_is_open_fstat_read_close(tiny):
    """Regression: a reader (another process, or the writer after forgetting the tail)
    read the visitor's file through a buffered ``open``."""
    tiny.append_web_transcript("v1", 1, [{"text": "hello"}])
    reader = WebChatFiles(tiny.data_dir, writable=False)
    with os_calls() as calls:
        assert reader.tail("v1") == (1, [(1, [{"text": "hello"}])])
    assert calls == WHOLE_FILE_READ
    with os_calls() as calls:
        assert reader.load("v1") == [(1, [{"text": "hello"}])]
    assert calls == WHOLE_FILE_READ
