"""Kakao's limits on a skill response, as a check every test response goes through.

From Kakao's skill guide ("응답 타입별 JSON 포맷", SkillResponse / SkillTemplate /
SimpleText / QuickReply; tests/fixtures/kakao/README.md): version "2.0"; 1 to 3
outputs; at most 10 quick replies; a simpleText of at most 1,000 characters; a quick
reply label of at most 14 characters; a callback answer is ``useCallback: true``.
"""

from __future__ import annotations

from typing import Any

MAX_OUTPUTS = 3
MAX_QUICK_REPLIES = 10
MAX_TEXT = 1000
MAX_LABEL = 14
COMPONENTS = {
    "simpleText",
    "simpleImage",
    "basicCard",
    "textCard",
    "commerceCard",
    "listCard",
    "itemCard",
    "carousel",
}


def check_response(doc: Any) -> None:
    """Raise AssertionError naming the first broken limit of a skill response."""
    assert isinstance(doc, dict), doc
    assert doc.get("version") == "2.0", doc
    if doc.get("useCallback"):
        assert doc["useCallback"] is True
        assert "template" not in doc or doc["template"] is None, doc
        data = doc.get("data", {})
        assert isinstance(data, dict) and all(isinstance(v, str) for v in data.values()), doc
        return
    template = doc.get("template")
    assert isinstance(template, dict), doc
    outputs = template.get("outputs")
    assert isinstance(outputs, list) and 1 <= len(outputs) <= MAX_OUTPUTS, len(outputs or [])
    for output in outputs:
        assert isinstance(output, dict) and len(output) == 1, output
        ((kind, body),) = output.items()
        assert kind in COMPONENTS, kind
        if kind == "simpleText":
            text = body.get("text")
            assert isinstance(text, str) and text.strip(), body
            assert len(text) <= MAX_TEXT, f"simpleText of {len(text)} characters"
    quick = template.get("quickReplies", [])
    assert isinstance(quick, list) and len(quick) <= MAX_QUICK_REPLIES, len(quick)
    for reply in quick:
        label = reply.get("label")
        assert isinstance(label, str) and 0 < len(label) <= MAX_LABEL, label
        assert reply.get("action") in ("message", "block"), reply
        if reply["action"] == "message":
            assert isinstance(reply.get("messageText"), str) and reply["messageText"], reply
        else:
            assert isinstance(reply.get("blockId"), str), reply
        assert "extra" not in reply or isinstance(reply["extra"], dict), reply
