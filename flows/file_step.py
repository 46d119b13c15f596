"""Files arriving at a file step: each one checked, and an album's items reported once.

:func:`screen_files` keeps the files the rules and the person's limits allow and says
why each other one was refused. An album (several files sent together) arrives as
several inputs; what each brought is held under :data:`ALBUM_KEY` in the answers until
the album ends, then reported in one message (:func:`album_lines`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.evidence import EvidenceRules, format_size
from flows.messages import EvidenceFile
from flows.typed_text import clean_file_name

# Answers key holding an album whose items arrived but whose reply is still due.
ALBUM_KEY = "_album"

# The catalogue's text ``key`` filled with ``values``, in the conversation's language.
Say = Callable[..., str]


@dataclass
class Screened:
    """What :func:`screen_files` made of some files."""

    accepted: list[EvidenceFile] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # their cleaned names
    problems: list[str] = field(default_factory=list)  # one sentence per refused file


def screen_files(
    files: Sequence[EvidenceFile],
    stored: list[dict[str, Any]],
    rules: EvidenceRules,
    room: int | None,
    quota: int | None,
    t: Say,
) -> Screened:
    """Add to ``stored`` the files that may be kept; say why each other one may not.

    ``room`` is how many more bytes the person may send (None: no limit), out of a
    ``quota`` named in the refusal.
    """
    out = Screened()
    known = {f["sha256"] for f in stored}
    for f in files:
        name = clean_file_name(f.name or "")
        if f.size > rules.max_file_bytes:
            size, limit = format_size(f.size), format_size(rules.max_file_bytes)
            out.problems.append(t("file.too_big", name=name, size=size, max=limit))
        elif not rules.type_allowed(name, f.mime):
            out.problems.append(t("file.bad_type", name=name))
        elif f.size == 0:
            out.problems.append(t("file.empty", name=name))
        elif f.sha256 is None:
            out.problems.append(t("file.not_downloaded", name=name))
        elif f.sha256 in known:
            out.problems.append(t("file.duplicate", name=name))
        elif len(stored) >= rules.max_files:
            out.problems.append(t("file.too_many", max=rules.max_files, name=name))
        elif room is not None and f.size > room:
            out.problems.append(t("file.quota", name=name, max=format_size(quota or 0)))
        else:
            if room is not None:
                room -= f.size
            stored.append({"sha256": f.sha256, "name": name, "mime": f.mime, "size": f.size})
            known.add(f.sha256)
            out.accepted.append(f)
            out.received.append(name)
    return out


def hold_album_problems(
    answers: dict[str, Any], group: str, problems: list[str], received: Sequence[str] = ()
) -> None:
    """Keep what an album item brought for the album's one reply; say nothing yet."""
    album = answers.setdefault(ALBUM_KEY, {"group": group, "received": [], "problems": []})
    album["received"].extend(received)
    for problem in problems:
        if problem not in album["problems"]:
            album["problems"].append(problem)


def album_lines(album: dict[str, Any], t: Say) -> list[str]:
    """The lines reporting a finished album."""
    lines = []
    if album.get("received"):
        lines.append(t("file.received", names=", ".join(album["received"])))
    lines.extend(album.get("problems", []))
    return lines
