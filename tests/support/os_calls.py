"""Count the operating-system calls a piece of storage code makes: counted, never timed.

:func:`os_calls` records, in the calling thread, every call of a function of the ``posix``
module (``os.open``, ``os.read``, ``os.fsync``, ``os.stat``, ``os.urandom`` ...) and of the
buffered ``open`` (``io.open``, whose file object costs an ``isatty`` ioctl, ``lseek`` and
``fstat`` calls and a second ``read`` at the end of the file besides the ones asked for).
Each ``posix`` function is one system call (``os.fspath`` and the path helpers, which make
none, are left out), so the counts pin how many a save or a load makes.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

NOT_SYSTEM_CALLS = frozenset({"fspath", "_path_normpath", "fsencode", "fsdecode"})


@contextlib.contextmanager
def os_calls() -> Iterator[Counter[str]]:
    """Yield a Counter of ``"posix.<name>"`` and ``"io.open"`` calls made inside the block."""
    calls: Counter[str] = Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event != "c_call":
            return
        module = getattr(arg, "__module__", None)
        name = getattr(arg, "__name__", "")
        if module == "posix" and name not in NOT_SYSTEM_CALLS:
            calls[f"posix.{name}"] += 1
        elif module in ("io", "_io") and name == "open":
            calls["io.open"] += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(previous)
