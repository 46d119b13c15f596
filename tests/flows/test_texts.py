"""Every word a user or staff member reads is in one catalog per language
(``flows/locales/ko.py``, ``flows/locales/en.py``), and both languages say the same
things with the same placeholders, in every namespace."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.staff.templates import words
from flows import locales, texts
from flows.locales import en, ko
from flows.texts import EN, KO, pick_lang, t


def fields(text: str) -> set[str]:
    """The placeholder names of ``text`` (``{n:,}`` is ``n``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def namespace_of(key: str) -> str:
    head = key.split(".", 1)[0]
    return head if head in locales.NAMESPACES else "conversation"


def test_one_module_per_language_holds_every_word():
    """Regression: the words lived in eight places and only the conversation's had a parity test."""
    assert locales.LANGS == ("ko", "en")
    assert locales.MESSAGES == {"ko": ko.MESSAGES, "en": en.MESSAGES}
    assert texts.CATALOG is locales.MESSAGES
    assert KO is ko.MESSAGES and EN is en.MESSAGES


def test_every_namespace_has_words():
    present = {namespace_of(key) for key in ko.MESSAGES}
    assert present == {"conversation", *locales.NAMESPACES}


@pytest.mark.parametrize("namespace", ["conversation", *locales.NAMESPACES])
def test_both_languages_have_every_key(namespace):
    keys = {
        lang: {k for k in m if namespace_of(k) == namespace} for lang, m in locales.MESSAGES.items()
    }
    assert keys["ko"], namespace
    assert keys["ko"] - keys["en"] == set(), "missing in English"
    assert keys["en"] - keys["ko"] == set(), "missing in Korean"


@pytest.mark.parametrize("namespace", ["conversation", *locales.NAMESPACES])
def test_placeholders_match_between_languages(namespace):
    mismatched = {
        key: (fields(KO[key]), fields(EN[key]))
        for key in KO
        if namespace_of(key) == namespace and key in EN and fields(KO[key]) != fields(EN[key])
    }
    assert not mismatched


@pytest.mark.parametrize("lang", locales.LANGS)
def test_no_word_is_empty(lang):
    empty = [key for key, text in locales.MESSAGES[lang].items() if not text.strip()]
    assert not empty


@pytest.mark.parametrize("lang", locales.LANGS)
def test_every_text_formats_with_its_placeholders(lang):
    """A stray brace or a bad format spec would raise only when the text is first shown."""
    for key, text in locales.MESSAGES[lang].items():
        values = dict.fromkeys(fields(text), 1)
        assert isinstance(text.format(**values), str), key


def test_korean_is_polite_haeyo_style():
    """No plain or formal endings slipped into the Korean texts ("~다." / "~니다.")."""
    offenders = [
        key for key, text in KO.items() if "니다." in text or text.rstrip().endswith("다.")
    ]
    assert not offenders


def test_staff_words_read_the_catalog():
    """``bot/staff/templates/words.py`` is a thin accessor over the ``staff.*`` keys."""
    for lang, catalog in locales.MESSAGES.items():
        staff = {k.removeprefix("staff."): v for k, v in catalog.items() if k.startswith("staff.")}
        assert words.WORDS[lang] == staff
    assert words.WORDS == {"ko": words.KO, "en": words.EN}
    assert words.word("en", "nav.signed_in", name="Kim") == "Kim"
    assert words.word("ko", "nav.signed_in", name="김") == "김 님"
    assert words.word("ja", "nav.cases") == "접수 목록"  # unknown language: Korean
    assert words.word("en", "no.such.word") == "no.such.word"  # unknown key: the key


def test_conversation_texts_keep_their_keys():
    assert t("en", "consent.yes") == "I agree"
    assert t("ko", "hint.too_long", max=500) == "500자까지 적을 수 있어요. 조금 줄여 주세요."
    assert t("ja", "keep") == t("ko", "keep")
    with pytest.raises(KeyError):
        t("ko", "no.such.text")


ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Files whose Korean literals are words the code reads, never words it shows.
READ_NOT_SHOWN = {"flows/amount.py": "the amount parser's vocabulary (만, 억, 이상…)"}


def korean_literals(path: Path) -> list[str]:
    """Korean string literals of a module that could be shown to someone.

    Not counted: docstrings and comments; set elements (``frozenset({"네", "예"})``:
    words a user may type, matched and never shown); regular expressions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Set):
            skip.update(id(e) for e in node.elts)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
        ):
            skip.add(id(node.args[0]))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and HANGUL.search(node.value)
    ]


def test_no_korean_word_lives_outside_the_catalog():
    """Regression: bilingual words were spread over eight modules (texts.py, words.py,
    telegram.py, conversation.py, exports.py, flags.py, stats.py, console.py)."""
    offenders = []
    for package in ("bot", "flows"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith("flows/locales/") or name in READ_NOT_SHOWN:
                continue
            offenders += korean_literals(path)
    assert not offenders


def test_no_korean_word_is_written_into_a_template():
    """The staff web's templates say every word through ``w(...)`` (``staff.*`` keys)."""
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        offenders += [f"{path.name}: {m}" for m in HANGUL.findall(text)]
    assert not offenders


def test_language_follows_the_client_tag():
    assert pick_lang("ko") == "ko"
    assert pick_lang("en-GB") == "en"
    assert pick_lang("ja") == "ko"
    assert pick_lang(None, "en") == "en"


# The channels' own namespaces may name their channel; every other word is for any door.
CHANNEL_NAMESPACES = ("telegram", "console", "kakao")
# Messengers and doors a person might be reached by; "카카오톡 채널" / "KakaoTalk Channel"
# (a product whose owners were hurt by the outage) is domain data, not a way to reach anyone.
CHANNEL_NAMES = re.compile(r"텔레그램|telegram|카카오톡|kakaotalk|콘솔|console", re.IGNORECASE)
DOMAIN_NAMES = re.compile(r"카카오톡 채널|KakaoTalk Channel")


def without_placeholders(text: str) -> str:
    return "".join(literal for literal, _, _, _ in string.Formatter().parse(text))


@pytest.mark.parametrize("lang", locales.LANGS)
def test_no_word_names_a_channel_unless_the_channel_supplies_it(lang):
    """Regression: the consent's collected items and the privacy notice named "텔레그램
    계정 ID", and the staff pages said the user is told "on Telegram", whatever the door."""
    named = {
        key: text
        for key, text in locales.MESSAGES[lang].items()
        if key.split(".", 1)[0] not in CHANNEL_NAMESPACES
        and CHANNEL_NAMES.search(DOMAIN_NAMES.sub("", without_placeholders(text)))
    }
    assert named == {}


def test_the_scan_tells_a_messenger_from_the_kakaotalk_channel_product():
    assert not CHANNEL_NAMES.search(DOMAIN_NAMES.sub("", "카카오톡 채널을 운영하고 계신가요?"))
    assert CHANNEL_NAMES.search(DOMAIN_NAMES.sub("", "카카오톡으로 알려 드려요"))
    assert not CHANNEL_NAMES.search(without_placeholders("{account}, 접수 답변"))


@pytest.mark.parametrize(
    ("channel", "ko_label", "en_label"),
    [
        (None, "메신저 계정 ID", "your messenger account ID"),
        ("telegram", "텔레그램 계정 ID", "your Telegram account ID"),
        ("console", "이 컴퓨터에서 나눈 대화 기록", "the chat record on this computer"),
        ("webchat", "메신저 계정 ID", "your messenger account ID"),  # no words of its own yet
    ],
)
def test_the_channel_fills_the_consent_and_privacy_account(channel, ko_label, en_label):
    assert f"• 항목: {ko_label}, 이용자 유형" in t("ko", "consent", channel)
    assert f"• Items: {en_label}, reporter type" in t("en", "consent", channel)
    privacy = t("ko", "privacy", channel, expire_days=14)
    assert f"• 저장하는 정보: {ko_label}, 접수 답변" in privacy and "14일" in privacy


def test_staff_words_name_the_cases_channel():
    """The caller names the case's channel; no word assumes one (it was always Telegram)."""
    telegram = words.channel_name("ko", "telegram")
    assert words.word("ko", "detail.user", channel=telegram) == "이용자(텔레그램 ID)"
    assert words.word("en", "detail.tell_user", channel="Console", lang="English") == (
        "The user is told on Console, in English."
    )
    with pytest.raises(KeyError):
        words.word("en", "detail.tell_user", lang="English")
    with pytest.raises(KeyError):
        words.word("ko", "done.not_told")  # no values at all: not shown with "{channel}" in it
    assert words.word("ko", "detail.tell_user", lang="한국어", channel="웹 채팅") == (
        "이용자에게는 웹 채팅에서 한국어로 알려요."
    )
