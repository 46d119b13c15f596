"""The README's flow diagram is the one the state table draws today."""

from __future__ import annotations

from pathlib import Path

from flows.diagram import readme_block

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_diagram_is_current():
    assert readme_block() in README.read_text(encoding="utf-8"), (
        "README flow diagram is stale: run `.venv/bin/python -m flows.diagram --write README.md`"
    )


def test_diagram_has_every_state():
    block = readme_block()
    for state in ("consent", "amount_confirm", "evidence", "summary", "submitted"):
        assert f'state "{state}"' in block
