"""Both languages say the same things with the same placeholders."""

from __future__ import annotations

import string

from flows.texts import EN, KO, pick_lang


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_key():
    assert set(KO) == set(EN)


def test_placeholders_match_between_languages():
    mismatched = {key for key in KO if fields(KO[key]) != fields(EN[key])}
    assert not mismatched


def test_korean_is_polite_haeyo_style():
    """No plain or formal endings slipped into the Korean texts ("~다." / "~니다.")."""
    offenders = [
        key for key, text in KO.items() if "니다." in text or text.rstrip().endswith("다.")
    ]
    assert not offenders


def test_language_follows_the_client_tag():
    assert pick_lang("ko") == "ko"
    assert pick_lang("en-GB") == "en"
    assert pick_lang("ja") == "ko"
    assert pick_lang(None, "en") == "en"
