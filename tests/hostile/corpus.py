"""Hostile inputs a careless, unlucky or malicious Telegram user can send, as data: each builds real update JSON."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tests.support.bot_api import BotAPIStandIn

JSONDict = dict[str, Any]

# Lone surrogates (U+D800-U+DFFF) are left out: the Bot API only ever sends valid UTF-8,
# which cannot carry them, so no Telegram update can contain one.

MB = 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00receipt"
PDF = b"%PDF-1.4\n% sales\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00This program cannot be run in DOS mode"
ZIP = b"PK\x03\x04\x14\x00\x00\x00receipts"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
HTML = b"<html><script>alert(1)</script></html>"
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


@dataclass(frozen=True)
class Context:
    """What a builder may use: the stand-in, the sender and their chat as it is now."""

    api: BotAPIStandIn
    user: JSONDict
    first_message_id: int  # the bot's oldest message in the chat: an old question
    last_message_id: int  # the bot's newest message: the question being asked
    last_buttons: tuple[str, ...]  # callback data of the newest message's buttons
    other_case: str  # a case number that belongs to somebody else


Builder = Callable[[Context], list[JSONDict]]


@dataclass(frozen=True)
class Hostile:
    """One hostile input and what must hold after it.

    ``build`` returns the updates to deliver, in order; the same update twice is a
    redelivery. ``reply`` is where answers go: "user" (at least one message in the
    sender's chat), "group" (one message in the group, none in private) or "none".
    ``may`` lists outcomes allowed besides keeping the draft: "forget", "restart",
    "submit". ``expect`` maps a step (or "*") to a text key whose wording must appear
    in the reply; "*" covers the draft steps, not ``no_draft`` or ``submitted``.
    ``amount`` is, at the amount step, the amount it must be read as, or "refused",
    or a tuple of acceptable outcomes.
    """

    id: str
    kind: str
    build: Builder
    profile: str = "ko"
    reply: str = "user"
    may: frozenset[str] = frozenset()
    expect: dict[str, str] = field(default_factory=dict)
    amount: int | str | tuple[int | str, ...] | None = None
    forbid: str | None = None  # a text key whose wording must not appear in any reply
    switches_to: str | None = None
    keeps_state: bool = False  # the question being asked must stay the same
    steps: frozenset[str] | None = None  # None: every step
    webhook_only: bool = False  # polling never receives it (not in allowed_updates)
    album: bool = False  # its reply comes after the album's quiet period


# -- builders -------------------------------------------------------------------------------
def text(value: str, **options: Any) -> Builder:
    return lambda c: [c.api.text_update(c.user, value, **options)]


def command(value: str) -> Builder:
    return lambda c: [c.api.command_update(c.user, value)]


def press(data: str, *, on: str = "last") -> Builder:
    def build(c: Context) -> list[JSONDict]:
        message_id = c.first_message_id if on == "first" else c.last_message_id
        return [
            c.api.callback_update(
                c.user, data.replace("{other_case}", c.other_case), message_id=message_id
            )
        ]

    return build


def press_current() -> Builder:
    """The first button of the question being asked (a made-up one where it has none)."""

    def build(c: Context) -> list[JSONDict]:
        data = c.last_buttons[0] if c.last_buttons else "amount:1"
        return [c.api.callback_update(c.user, data, message_id=c.last_message_id)]

    return build


def document(
    name: str | None,
    mime: str | None,
    data: bytes | None,
    *,
    size: int | None = None,
    **options: Any,
) -> Builder:
    def build(c: Context) -> list[JSONDict]:
        update = c.api.document_update(
            c.user, data, name or "x", mime or "x", file_size=size, **options
        )
        doc = update["message"]["document"]
        if name is None:
            del doc["file_name"]
        if mime is None:
            del doc["mime_type"]
        return [update]

    return build


def photo(data: bytes = JPEG, **options: Any) -> Builder:
    return lambda c: [c.api.photo_update(c.user, data, **options)]


_albums = itertools.count(1)


def album(count: int = 2) -> Builder:
    def build(c: Context) -> list[JSONDict]:
        group = f"album-{next(_albums)}"
        return [
            c.api.photo_update(c.user, JPEG + bytes([n]), media_group_id=group)
            for n in range(count)
        ]

    return build


def twice(builder: Builder) -> Builder:
    """The same update delivered twice, as Telegram does after a lost acknowledgement."""

    def build(c: Context) -> list[JSONDict]:
        updates = builder(c)
        return [*updates, updates[-1]]

    return build


def one_after_another(*builders: Builder) -> Builder:
    return lambda c: [u for b in builders for u in b(c)]


def mutate(builder: Builder, change: Callable[[JSONDict], None]) -> Builder:
    def build(c: Context) -> list[JSONDict]:
        updates = builder(c)
        for update in updates:
            change(update)
        return updates

    return build


def _message(update: JSONDict) -> JSONDict:
    return next(update[k] for k in ("message", "edited_message", "channel_post") if k in update)


def replace_content(**fields: Any) -> Callable[[JSONDict], None]:
    """Turn a text message into another kind of message (dice, service message…)."""

    def change(update: JSONDict) -> None:
        message = _message(update)
        message.pop("text", None)
        message.pop("entities", None)
        message.update(fields)

    return change


def forwarded_from_channel(update: JSONDict) -> None:
    _message(update)["forward_origin"] = {
        "type": "channel",
        "chat": {"id": -1001234567890, "type": "channel", "title": "카카오 공지"},
        "message_id": 77,
        "date": 1_665_800_000,
    }


def forwarded_hidden(update: JSONDict) -> None:
    _message(update)["forward_origin"] = {
        "type": "hidden_user",
        "sender_user_name": "Someone",
        "date": 1_665_800_000,
    }


def channel_post(update: JSONDict) -> None:
    """Make a message into a post in a channel the bot administers (no sender user)."""
    key = "edited_message" if "edited_message" in update else "message"
    message = update.pop(key)
    message.pop("from", None)
    message["chat"] = {"id": -1009876543210, "type": "channel", "title": "피해 접수 공지"}
    message["sender_chat"] = message["chat"]
    update["edited_channel_post" if key == "edited_message" else "channel_post"] = message


def anonymous_admin(update: JSONDict) -> None:
    """A supergroup admin posting anonymously: Telegram names GroupAnonymousBot as sender."""
    message = _message(update)
    message["from"] = dict(GROUP_ANONYMOUS_BOT)
    message["sender_chat"] = dict(message["chat"])


def client_language(code: str | None) -> Callable[[JSONDict], None]:
    """The same person, whose app now reports another language (or none)."""

    def change(update: JSONDict) -> None:
        sender = (update.get("callback_query") or _message(update))["from"]
        if code is None:
            sender.pop("language_code", None)
        else:
            sender["language_code"] = code

    return change


# -- what is expected ------------------------------------------------------------------------
UNSUPPORTED = {"*": "hint.unsupported"}
EDITED = {"*": "hint.edited"}
UNKNOWN = {"*": "hint.unknown_command"}
STALE = {"*": "hint.stale_button"}
NO_FILES = {"*": "hint.no_files_here"}
GROUP = {"*": "group_chat", "no_draft": "group_chat", "submitted": "group_chat"}


def files(at_evidence: str) -> dict[str, str]:
    return {"*": "hint.no_files_here", "evidence": at_evidence}


def everywhere(key: str) -> dict[str, str]:
    return {"*": key, "no_draft": key, "submitted": key}


REFUSED = "refused"
FORGET = frozenset({"forget"})
RESTART = frozenset({"restart"})
SUBMIT = frozenset({"submit"})
ALBUM_STEPS = frozenset({"no_draft", "consent", "amount", "evidence", "summary", "submitted"})


def entry(id: str, kind: str, build: Builder, **options: Any) -> Hostile:
    return Hostile(id=id, kind=kind, build=build, **options)


def t(id: str, value: str, kind: str = "text", *, forward: bool = False, **options: Any) -> Hostile:
    return entry(id, kind, text(value, forward=forward), **options)


def amt(id: str, value: str, amount: int | str | tuple[int | str, ...]) -> Hostile:
    return entry(id, "amount", text(value), amount=amount)


BLANK = [
    t("blank-empty", "", "blank"),
    t("blank-space", " ", "blank"),
    t("blank-tabs-newlines", " \n\t \n", "blank"),
    t("blank-newlines", "\n\n\n", "blank"),
    t("blank-ideographic-space", "\u3000\u3000", "blank"),
    t("blank-nbsp", "\u00a0", "blank"),
    t(
        "blank-zero-width-space",
        "\u200b",
        "blank",
        expect={"description": "hint.empty", "service_other": "hint.empty"},
    ),
    t(
        "blank-word-joiner",
        "\u2060\u2060",
        "blank",
        expect={"description": "hint.empty", "service_other": "hint.empty"},
    ),
    t(
        "blank-bom",
        "\ufeff",
        "blank",
        expect={"description": "hint.empty", "service_other": "hint.empty"},
    ),
    t(
        "blank-hangul-filler",
        "\u3164",
        "blank",
        expect={"description": "hint.empty", "service_other": "hint.empty"},
    ),
    t(
        "blank-choseong-filler",
        "\u115f\u1160",
        "blank",
        expect={"description": "hint.empty", "service_other": "hint.empty"},
    ),
    t(
        "blank-braille",
        "\u2800",
        "blank",
        expect={"description": "hint.empty", "service_other": "hint.empty"},
    ),
    t("blank-dots", "...", "blank"),
]

LONG = [
    t(
        "long-korean-4096",
        ("장애 때문에 예약을 못 받았어요. " * 300)[:4096],
        "long",
        expect={"description": "hint.too_long", "service_other": "hint.too_long"},
    ),
    t(
        "long-emoji-4096",
        "😀" * 4096,
        "long",
        expect={"description": "hint.too_long", "service_other": "hint.too_long"},
    ),
    t("long-emoji-utf16-4096", "😀" * 2048, "long", expect={"description": "hint.too_long"}),
    t(
        "long-zwj-family",
        "👨\u200d👩\u200d👧\u200d👦" * 585,
        "long",
        expect={"description": "hint.too_long"},
    ),
    t("long-ascii-word-4096", "a" * 4096, "long", expect={"description": "hint.too_long"}),
    t(
        "long-url-word",
        "https://example.com/" + "가" * 4076,
        "long",
        expect={"description": "hint.too_long"},
    ),
    t("long-lines", "\n".join(["줄"] * 2048), "long", expect={"description": "hint.too_long"}),
    t("long-digits-4096", "9" * 4096, "long"),
    t("long-html-4096", "<b>" * 1365, "long", expect={"description": "hint.too_long"}),
    t("long-description-1000", "가" * 1000, "long"),
    t("long-description-1001", "가" * 1001, "long", expect={"description": "hint.too_long"}),
    t("long-service-name-101", "카" * 101, "long", expect={"service_other": "hint.too_long"}),
]

EMOJI = [
    t("emoji-family-zwj", "👨\u200d👩\u200d👧\u200d👦", "emoji"),
    t("emoji-rainbow-flag", "🏳️\u200d🌈", "emoji"),
    t("emoji-skin-tone", "👍🏽", "emoji"),
    t("emoji-flag-kr", "🇰🇷", "emoji"),
    t(
        "emoji-england-tags",
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        "emoji",
    ),
    t("emoji-hearts", "❤️❤️❤️", "emoji"),
    t("emoji-thumbs-up", "👍", "emoji"),
    t("emoji-yes-with-thumbs", "네 👍", "emoji"),
    t("emoji-keycap-one", "1\ufe0f\u20e3", "emoji", may=SUBMIT),
    t("emoji-keycap-two", "2\ufe0f\u20e3", "emoji", may=FORGET | RESTART),
    t("emoji-keycap-amount", "5\ufe0f\u20e30\ufe0f\u20e3만 원", "emoji"),
    t("emoji-coder-x100", "👩\u200d💻" * 100, "emoji"),
    t("emoji-variation-selectors", "\ufe0e\ufe0f\ufe0e", "emoji"),
    t("emoji-zalgo", "Z̷̢̧̛̖a̶̡̛l̵̨̛g̸̢̛o̴̧̕", "emoji"),
    t("emoji-kaomoji", "(╯°□°)╯︵ ┻━┻", "emoji"),
]

RTL = [
    t("rtl-arabic", "مرحبا، لدي شكوى", "rtl"),
    t("rtl-hebrew", "שלום", "rtl"),
    t("rtl-override-won", "\u202e50000 won", "rtl"),
    t("rtl-override-korean", "\u202e요네", "rtl"),
    t("rtl-isolates", "\u2067abc\u2069", "rtl"),
    t("rtl-mixed-yes", "네 مرحبا", "rtl"),
    entry("rtl-marks-around-amount", "rtl", text("\u200e35만 원\u200f"), amount=350_000),
    t("rtl-arabic-words-amount", "٣٠ ألف", "rtl"),
]

CONTROL = [
    t("ctl-nul", "\x00", "control"),
    entry("ctl-nul-inside-amount", "control", text("35만\x00원"), amount=350_000),
    t("ctl-nul-x64", "\x00" * 64, "control"),
    t("ctl-ansi-escape", "\x1b[31m빨강\x1b[0m", "control"),
    t("ctl-bell-backspace", "\x07\x08\x08네", "control"),
    t("ctl-crlf", "네\r\n", "control"),
    t("ctl-del", "\x7f", "control"),
    t("ctl-next-line", "\u0085", "control"),
    t("ctl-line-separator", "네\u2028아니요", "control"),
    t("ctl-paragraph-separator", "\u2029", "control"),
    entry("ctl-bom-before-amount", "control", text("\ufeff35만원"), amount=350_000),
    entry("ctl-zwsp-inside-amount", "control", text("35만\u200b원"), amount=350_000),
    t("ctl-zwj-inside-number", "3\u200d5만원", "control"),
    t("ctl-replacement-chars", "\ufffd\ufffd", "control"),
    t("ctl-tag-characters", "\U000e0041\U000e0042", "control"),
    t("ctl-private-use", "\ue000\uf8ff", "control"),
    t("ctl-noncharacters", "\uffff\ufffe", "control"),
    t("ctl-all-c0", "".join(chr(i) for i in range(32)), "control"),
    t("ctl-all-c1", "".join(chr(i) for i in range(0x80, 0xA0)), "control"),
    t("ctl-combining-only", "\u0301\u0301", "control"),
]

MARKUP = [
    t("html-bold", "<b>굵게</b>", "markup"),
    t("html-open-bold", "<b>", "markup"),
    t("html-close-code", "</code>", "markup"),
    t("html-script", "<script>alert(1)</script>", "markup"),
    t("html-javascript-link", '<a href="javascript:alert(1)">눌러</a>', "markup"),
    t("html-entities", "&lt;b&gt; &amp; &#0; &#x110000;", "markup"),
    t("html-misnested", "<b><i>x</b>", "markup"),
    t("html-spoiler-open", "<tg-spoiler>x", "markup"),
    t("md-unbalanced", "*_[`](`", "markup"),
    t("md-v2-specials", "_*[]()~`>#+-=|{}.!", "markup"),
    t("md-styles", "**굵게** __밑줄__ ~~취소~~ ||스포||", "markup"),
    t("md-link", "[클릭](http://evil.example)", "markup"),
    t("md-code-block", "```\ncode\n```", "markup"),
    t("md-backslash", "\\", "markup"),
    t("fmt-braces", "{case_number} {0} {} {{", "markup"),
    t("fmt-percent", "%s %d %(name)s", "markup"),
    t("fmt-python-repr", "{'a': None}", "markup"),
    t("sql-injection", "'; DROP TABLE cases; --", "markup"),
    t("csv-formula", '=HYPERLINK("http://evil.example","x")', "markup"),
    t("path-traversal", "../../../etc/passwd", "markup"),
    t("json-text", '{"text": "hi"}', "markup"),
    t("traceback-text", "Traceback (most recent call last):\n  ValueError: x", "markup"),
    t("none-text", "None", "markup"),
    t("template-text", "{{7*7}} ${7*7}", "markup"),
    entry("html-around-amount", "markup", text("<b>35만 원</b>"), amount=(350_000, REFUSED)),
]

AMOUNTS = [
    amt("amt-minus-zero", "-0", REFUSED),
    amt("amt-negative", "-50000", REFUSED),
    amt("amt-unicode-minus", "\u221250000", REFUSED),
    amt("amt-zero-won", "0원", REFUSED),
    amt("amt-400-nines", "9" * 400, REFUSED),
    amt("amt-20-nines", "9" * 20, REFUSED),
    amt("amt-1e6", "1e6", (1_000_000, REFUSED)),
    amt("amt-1E6-won", "1E6원", (1_000_000, REFUSED)),
    amt("amt-1.5e5", "1.5e5", (150_000, REFUSED)),
    amt("amt-1e308", "1e308", REFUSED),
    amt("amt-hex", "0x10", REFUSED),
    amt("amt-binary", "0b101", REFUSED),
    amt("amt-underscores", "1_000_000", (1_000_000, REFUSED)),
    amt("amt-nan", "NaN", REFUSED),
    amt("amt-infinity", "Infinity", REFUSED),
    amt("amt-minus-inf", "-inf", REFUSED),
    amt("amt-decimal", "3.5", REFUSED),
    amt("amt-decimal-man", "35.5만", 355_000),
    amt("amt-fraction-of-won", "350,000.50원", REFUSED),
    amt("amt-range-tilde", "30~50만", REFUSED),
    amt("amt-range-units", "30만~50만원", REFUSED),
    amt("amt-range-dash", "30-50만", REFUSED),
    amt("amt-several", "10만 20만 30만", REFUSED),
    amt("amt-either", "30만 또는 50만", REFUSED),
    amt("amt-sum", "30만원 + 20만원", (500_000, REFUSED)),
    amt("amt-spaced-digits", "3 0 0 0 0 0", (300_000, REFUSED)),
    amt("amt-list", "1, 2", REFUSED),
    amt("amt-fullwidth", "３０만원", 300_000),
    amt("amt-fullwidth-comma", "３５０，０００원", 350_000),
    amt("amt-hangul", "삼십만원", 300_000),
    amt("amt-ilgeum-jeong", "일금 삼십만원정", 300_000),
    amt("amt-ilgeum-jeong-glued", "일금삼십만원정", 300_000),
    amt("amt-ilgeum-hanja-marks", "金 삼십만원整", 300_000),
    amt("amt-hangul-with-junk", "삼십만 원 정도요 ㅠㅠ", 300_000),
    amt("amt-hangul-question", "한 삼십만원?", 300_000),
    amt("amt-hanja-man", "30萬원", (300_000, REFUSED)),
    amt("amt-simplified-man", "30万원", (300_000, REFUSED)),
    amt("amt-yen", "３０万円", REFUSED),
    amt("amt-arabic-indic", "٣٠٠٠٠٠", (300_000, REFUSED)),
    amt("amt-persian-digits", "۳۰۰۰۰۰", (300_000, REFUSED)),
    amt("amt-devanagari", "३००", (300, REFUSED)),
    amt("amt-circled", "①②③", (123, REFUSED)),
    amt("amt-superscript", "¹²³", (123, REFUSED)),
    amt("amt-roman-numeral", "Ⅲ만원", (30_000, REFUSED)),
    amt("amt-dollars", "$300", REFUSED),
    amt("amt-usd", "300 USD", REFUSED),
    amt("amt-won-sign", "₩300,000", 300_000),
    amt("amt-krw", "KRW 300000", 300_000),
    amt("amt-300k", "300k", 300_000),
    amt("amt-english-words", "thirty thousand won", (30_000, REFUSED)),
    amt("amt-hundreds", "30 hundred", (3_000, REFUSED)),
    amt("amt-half", "½", REFUSED),
    amt("amt-slash", "1/2", REFUSED),
    amt("amt-about", "약 30만원", 300_000),
    amt("amt-or-more", "오십만원 이상", REFUSED),
    amt("amt-dae", "30만원대", REFUSED),
    amt("amt-trillion", "1조", REFUSED),
    amt("amt-cap", "100억", 10_000_000_000),
    amt("amt-over-cap", "100억 1원", REFUSED),
    amt("amt-spaced-units", "12억 3456만 7898", 1_234_567_898),
    amt("amt-only-man", "만원", 10_000),
    amt("amt-accounting-parens", "(300000)", (300_000, REFUSED)),
    amt("amt-formula", "=1+1", REFUSED),
    amt("amt-sql-tail", "30만;DROP TABLE", (300_000, REFUSED)),
    amt("amt-written-twice", "30만 원 (삼십만 원)", REFUSED),
    amt("amt-narrow-nbsp", "30\u202f000", (30_000, REFUSED)),
    amt("amt-nbsp-before-won", "300000\u00a0원", 300_000),
]

TYPED = [
    t("typed-fullwidth-one", "１", "typed", may=SUBMIT),
    t("typed-circled-one", "①", "typed", may=SUBMIT),
    t("typed-arabic-indic-three", "٣", "typed", may=FORGET),
    t("typed-zero", "0", "typed"),
    t("typed-ninety-nine", "99", "typed"),
    t("typed-yes", "네", "typed"),
    t("typed-no-upper", "NO", "typed", may=FORGET),
    t("typed-fullwidth-agree", "ＡＧＲＥＥ", "typed"),
    t("typed-spaced-label", "동 의 해 요", "typed"),
    t("typed-cancel-word", "취소", "typed"),
    t("typed-submit-word", "접수", "typed", may=SUBMIT),
    t("typed-restart-word", "처음부터", "typed", may=RESTART),
]

FILES = [
    entry("file-photo", "file", photo(), expect=files("file.received")),
    entry(
        "file-photo-caption-amount", "file", photo(caption="35만 원"), expect=files("file.received")
    ),
    entry(
        "file-photo-caption-html",
        "file",
        photo(caption="<b>영수증</b> *_["),
        expect=files("file.received"),
    ),
    entry("file-photo-zero-bytes", "file", photo(b""), expect=files("file.empty")),
    entry(
        "file-pdf",
        "file",
        document("매출.pdf", "application/pdf", PDF),
        expect=files("file.received"),
    ),
    entry(
        "file-exe",
        "file",
        document("setup.exe", "application/x-msdownload", EXE),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-exe-named-jpg",
        "file",
        document("receipt.jpg", "application/x-msdownload", EXE),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-zip",
        "file",
        document("receipts.zip", "application/zip", ZIP),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-zip-named-jpg",
        "file",
        document("receipt.jpg", "application/zip", ZIP),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-svg",
        "file",
        document("chart.svg", "image/svg+xml", SVG),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-svg-named-jpg",
        "file",
        document("chart.jpg", "image/svg+xml", SVG),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-html-named-jpg",
        "file",
        document("receipt.jpg", "text/html", HTML),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-html-declared-jpeg",
        "file",
        document("receipt.html", "image/jpeg", HTML),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-exe-declared-jpeg",
        "file",
        document("receipt.exe", "image/jpeg", EXE),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-svg-declared-jpeg",
        "file",
        document("receipt.svg", "image/jpeg", SVG),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-double-extension",
        "file",
        document("receipt.jpg.exe", "application/octet-stream", EXE),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-exe-bytes-octet-jpg", "file", document("receipt.jpg", "application/octet-stream", EXE)
    ),
    entry("file-rlo-name", "file", document("invoice\u202egpj.exe", "application/pdf", PDF)),
    entry(
        "file-zero-bytes",
        "file",
        document("empty.pdf", "application/pdf", b""),
        expect=files("file.empty"),
    ),
    entry(
        "file-25mb",
        "file",
        document("장부.pdf", "application/pdf", None, size=25 * MB),
        expect=files("file.too_big"),
    ),
    entry(
        "file-20mb-plus-one",
        "file",
        document("장부.pdf", "application/pdf", None, size=20 * MB + 1),
        expect=files("file.too_big"),
    ),
    entry(
        "file-20mb-not-downloadable",
        "file",
        document("장부.pdf", "application/pdf", None, size=20 * MB),
        expect=files("file.not_downloaded"),
    ),
    entry(
        "file-no-name",
        "file",
        document(None, "image/png", b"\x89PNG\r\n\x1a\nxx"),
        expect=files("file.received"),
    ),
    entry("file-no-mime", "file", document("scan.pdf", None, PDF), expect=files("file.received")),
    entry("file-traversal-name", "file", document("../../etc/passwd.pdf", "application/pdf", PDF)),
    entry("file-long-name", "file", document("가" * 250 + ".pdf", "application/pdf", PDF)),
    entry("file-nul-in-name", "file", document("a\x00b.pdf", "application/pdf", PDF)),
    entry("file-html-in-name", "file", document("<b>x</b>.pdf", "application/pdf", PDF)),
    entry(
        "file-video",
        "file",
        document("clip.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42"),
        expect=files("file.bad_type"),
    ),
    entry(
        "file-hwp",
        "file",
        document("신고서.hwp", "application/x-hwp", b"HWP Document File"),
        expect=files("file.received"),
    ),
    entry(
        "file-mime-parameters",
        "file",
        document("scan.pdf", "application/pdf; charset=binary", PDF),
        expect=files("file.received"),
    ),
    entry(
        "file-upper-case",
        "file",
        document("SCAN.PDF", "APPLICATION/PDF", PDF),
        expect=files("file.received"),
    ),
    entry(
        "file-forwarded-photo",
        "file",
        mutate(photo(), forwarded_hidden),
        expect=files("file.received"),
    ),
    entry(
        "file-same-photo-twice",
        "file",
        one_after_another(photo(), photo()),
        expect=files("file.duplicate"),
    ),
    entry("file-album-of-two", "file", album(), steps=ALBUM_STEPS, album=True),
]

# A poll as Bot API 10.0 sends it (PTB refuses one without the newer required fields).
POLL = {
    "id": "1",
    "question": "피해 보상 받으셨나요?",
    "options": [
        {"text": "네", "voter_count": 0, "persistent_id": "a"},
        {"text": "아니요", "voter_count": 0, "persistent_id": "b"},
    ],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
    "allows_revoting": False,
    "members_only": False,
}

OTHER_MESSAGES = [
    entry(
        "kind-sticker",
        "unsupported",
        lambda c: [c.api.sticker_update(c.user)],
        expect=UNSUPPORTED,
        keeps_state=True,
    ),
    entry(
        "kind-voice",
        "unsupported",
        lambda c: [c.api.voice_update(c.user)],
        expect=UNSUPPORTED,
        keeps_state=True,
    ),
    entry(
        "kind-location",
        "unsupported",
        lambda c: [c.api.location_update(c.user)],
        expect=UNSUPPORTED,
        keeps_state=True,
    ),
    entry(
        "kind-contact",
        "unsupported",
        lambda c: [c.api.contact_update(c.user)],
        expect=UNSUPPORTED,
        keeps_state=True,
    ),
    entry(
        "kind-dice",
        "unsupported",
        mutate(text("x"), replace_content(dice={"emoji": "🎲", "value": 3})),
        expect=UNSUPPORTED,
        keeps_state=True,
    ),
    entry(
        "kind-poll",
        "unsupported",
        mutate(text("x"), replace_content(poll=POLL)),
        expect=UNSUPPORTED,
        keeps_state=True,
    ),
    entry(
        "kind-service-message",
        "unsupported",
        mutate(
            text("x"),
            replace_content(
                pinned_message={"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
            ),
        ),
        keeps_state=True,
    ),
]

CALLBACKS = [
    entry(
        "cb-forged-json",
        "callback",
        press('{"question":"consent","value":"agree"}'),
        expect=STALE,
        keeps_state=True,
    ),
    entry("cb-64-bytes", "callback", press("consent:" + "a" * 56), keeps_state=True),
    entry("cb-65-bytes", "callback", press("consent:" + "a" * 57), expect=STALE, keeps_state=True),
    entry(
        "cb-300-bytes", "callback", press("consent:" + "가" * 100), expect=STALE, keeps_state=True
    ),
    entry("cb-empty", "callback", press(""), expect=STALE, keeps_state=True),
    entry("cb-no-separator", "callback", press("agree"), expect=STALE, keeps_state=True),
    entry("cb-only-colon", "callback", press(":"), expect=STALE, keeps_state=True),
    entry("cb-unknown-question", "callback", press("foo:bar"), expect=STALE, keeps_state=True),
    entry("cb-korean", "callback", press("동의:네"), expect=STALE, keeps_state=True),
    entry("cb-nul", "callback", press("consent:\x00"), keeps_state=True),
    entry("cb-question-marks", "callback", press("?:?"), expect=STALE, keeps_state=True),
    entry("cb-extra-colon", "callback", press("consent:agree:extra"), keeps_state=True),
    entry(
        "cb-other-users-case",
        "callback",
        press("docs:{other_case}"),
        expect=everywhere("supplement.not_open"),
        keeps_state=True,
    ),
    entry(
        "cb-docs-traversal",
        "callback",
        press("docs:../../../etc/passwd"),
        expect=everywhere("supplement.not_open"),
        keeps_state=True,
    ),
    entry(
        "cb-docs-junk",
        "callback",
        press("docs:" + "Z" * 50),
        expect=everywhere("supplement.not_open"),
        keeps_state=True,
    ),
    entry(
        "cb-docs-bidi",
        "callback",
        press("docs:\u202eXYZ-\x00"),
        expect=everywhere("supplement.not_open"),
        keeps_state=True,
    ),
    entry("cb-docs-empty", "callback", press("docs:"), keeps_state=True),
    entry("cb-delete-yes-unasked", "callback", press("delete:yes"), keeps_state=True),
    entry(
        "cb-delete-no-unasked",
        "callback",
        press("delete:no"),
        expect=everywhere("delete.kept"),
        keeps_state=True,
    ),
    entry("cb-delete-maybe", "callback", press("delete:maybe"), keeps_state=True),
    entry(
        "cb-lang-xx",
        "callback",
        press("lang:xx"),
        expect={"*": "hint.use_buttons", "submitted": "hint.use_buttons"},
        keeps_state=True,
    ),
    entry("cb-lang-upper", "callback", press("lang:EN"), keeps_state=True),
    entry("cb-lang-en", "callback", press("lang:en"), switches_to="en", keeps_state=True),
    entry("cb-old-consent", "callback", press("consent:agree", on="first")),
    entry("cb-old-reporter-type", "callback", press("reporter_type:general", on="first")),
    entry("cb-old-service", "callback", press("service:kakaomap", on="first")),
    entry("cb-old-monetary", "callback", press("monetary:no", on="first")),
    entry("cb-old-amount-confirm", "callback", press("amount_confirm:yes", on="first")),
    entry("cb-old-summary-submit", "callback", press("summary:submit", on="first"), may=SUBMIT),
    entry("cb-old-resume-restart", "callback", press("resume:restart", on="first"), may=RESTART),
    entry("cb-forged-amount", "callback", press("amount:9999999"), keeps_state=True),
    entry("cb-forged-decline", "callback", press("consent:decline"), may=FORGET),
    entry("cb-forged-summary-cancel", "callback", press("summary:cancel"), may=FORGET),
    entry("cb-forged-edit-consent", "callback", press("edit_menu:consent"), keeps_state=True),
    entry("cb-forged-edit-dunder", "callback", press("edit_menu:__class__"), keeps_state=True),
    entry("cb-forged-supplement-done", "callback", press("supplement:done"), keeps_state=True),
    entry("cb-forged-evidence-done", "callback", press("evidence:done")),
]

COMMANDS = [
    entry("cmd-start", "command", command("/start"), may=RESTART),
    entry("cmd-start-payload", "command", command("/start sb"), may=RESTART),
    entry("cmd-start-junk-payload", "command", command("/start " + "x" * 64), may=RESTART),
    entry("cmd-start-upper", "command", command("/START"), may=RESTART),
    entry("cmd-start-this-bot", "command", command("/start@intake_test_bot"), may=RESTART),
    entry("cmd-start-other-bot", "command", command("/start@otherbot"), keeps_state=True),
    entry("cmd-cancel-other-bot", "command", command("/cancel@otherbot"), keeps_state=True),
    entry("cmd-back", "command", command("/back")),
    entry("cmd-cancel", "command", command("/cancel"), may=FORGET),
    entry("cmd-unknown", "command", command("/unknown"), expect=UNKNOWN, keeps_state=True),
    entry("cmd-export-non-staff", "command", command("/export"), expect=UNKNOWN, keeps_state=True),
    entry(
        "cmd-export-csv-non-staff",
        "command",
        command("/export csv"),
        expect=UNKNOWN,
        keeps_state=True,
    ),
    entry("cmd-stats-non-staff", "command", command("/stats"), expect=UNKNOWN, keeps_state=True),
    entry(
        "cmd-stats-mention-non-staff",
        "command",
        command("/stats@intake_test_bot"),
        expect=UNKNOWN,
        keeps_state=True,
    ),
    entry("cmd-status", "command", command("/status"), keeps_state=True),
    entry("cmd-status-number", "command", command("/status K7F-3QX-9MZ"), keeps_state=True),
    entry("cmd-help", "command", command("/help"), expect=everywhere("help"), keeps_state=True),
    entry("cmd-privacy", "command", command("/privacy"), keeps_state=True),
    entry(
        "cmd-lang", "command", command("/lang"), expect=everywhere("lang.choose"), keeps_state=True
    ),
    entry("cmd-lang-en", "command", command("/lang en"), switches_to="en", keeps_state=True),
    entry(
        "cmd-lang-xx",
        "command",
        command("/lang xx"),
        expect=everywhere("lang.choose"),
        keeps_state=True,
    ),
    entry(
        "cmd-delete-my-data",
        "command",
        command("/delete_my_data"),
        expect=everywhere("delete.confirm"),
        keeps_state=True,
    ),
    t("cmd-slash-only", "/", "command"),
    t("cmd-slash-space", "/ start", "command", expect=UNKNOWN, keeps_state=True),
    t("cmd-korean-name", "/시작", "command", expect=UNKNOWN, keeps_state=True),
    t("cmd-path", "/etc/passwd", "command", expect=UNKNOWN, keeps_state=True),
    entry("cmd-numeric", "command", command("/123"), expect=UNKNOWN, keeps_state=True),
    entry("cmd-64-chars", "command", command("/" + "a" * 64), expect=UNKNOWN, keeps_state=True),
    t("cmd-then-newline-amount", "/back\n35만 원", "command", forbid="hint.unknown_command"),
    t("cmd-inside-text", "네 /cancel", "command"),
]

EDITED_MESSAGES = [
    entry("edit-text", "edited", text("수정했어요", edited=True), expect=EDITED, keeps_state=True),
    entry("edit-amount", "edited", text("35만 원", edited=True), expect=EDITED, keeps_state=True),
    entry("edit-empty", "edited", text("", edited=True), expect=EDITED, keeps_state=True),
    entry(
        "edit-cancel-command",
        "edited",
        text("/cancel", edited=True),
        expect=EDITED,
        keeps_state=True,
    ),
    entry(
        "edit-unknown-message",
        "edited",
        text("네", edited=True, message_id=999_999),
        expect=EDITED,
        keeps_state=True,
    ),
    entry(
        "edit-in-group",
        "edited",
        text("네", chat_type="group", edited=True, message_id=5),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
]

FORWARDED = [
    t("fwd-text", "안녕하세요", "forwarded", forward=True),
    t("fwd-amount", "35만 원", "forwarded", forward=True),
    t("fwd-cancel-command", "/cancel", "forwarded", forward=True, may=FORGET),
    t("fwd-html", "<b>x</b>", "forwarded", forward=True),
    entry(
        "fwd-from-channel", "forwarded", mutate(text("카카오 장애 공지"), forwarded_from_channel)
    ),
]

CHATS = [
    entry(
        "chat-group-text",
        "chat",
        text("안녕", chat_type="group"),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-supergroup-text",
        "chat",
        text("안녕", chat_type="supergroup"),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-group-start",
        "chat",
        lambda c: [c.api.command_update(c.user, "/start", chat_type="group")],
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-group-start-this-bot",
        "chat",
        lambda c: [c.api.command_update(c.user, "/start@intake_test_bot", chat_type="supergroup")],
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-group-cancel",
        "chat",
        lambda c: [c.api.command_update(c.user, "/cancel", chat_type="group")],
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-group-amount",
        "chat",
        text("35만 원", chat_type="group"),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-group-photo",
        "chat",
        photo(chat_type="group"),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-anonymous-admin",
        "chat",
        mutate(text("공지", chat_type="supergroup"), anonymous_admin),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
    entry(
        "chat-channel-post",
        "chat",
        mutate(text("공지"), channel_post),
        reply="none",
        keeps_state=True,
        webhook_only=True,
    ),
    entry(
        "chat-channel-post-command",
        "chat",
        mutate(text("/start"), channel_post),
        reply="none",
        keeps_state=True,
        webhook_only=True,
    ),
    entry(
        "chat-edited-channel-post",
        "chat",
        mutate(text("공지", edited=True), channel_post),
        reply="none",
        keeps_state=True,
        webhook_only=True,
    ),
]

DELIVERY = [
    entry("dup-text", "delivery", twice(text("네"))),
    entry("dup-current-button", "delivery", twice(press_current()), may=FORGET | SUBMIT | RESTART),
    entry("dup-photo", "delivery", twice(photo())),
    entry("dup-back", "delivery", twice(command("/back"))),
    entry(
        "dup-sticker", "delivery", twice(lambda c: [c.api.sticker_update(c.user)]), keeps_state=True
    ),
]

LANGUAGE_SWITCH = [
    entry("client-now-english-text", "language", mutate(text("hello"), client_language("en"))),
    entry(
        "client-now-english-help",
        "language",
        mutate(command("/help"), client_language("en")),
        keeps_state=True,
    ),
    entry(
        "client-now-english-sticker",
        "language",
        mutate(lambda c: [c.api.sticker_update(c.user)], client_language("en")),
        keeps_state=True,
    ),
    entry(
        "client-now-english-button",
        "language",
        mutate(press('{"x":1}'), client_language("en")),
        keeps_state=True,
    ),
    entry("client-now-no-language", "language", mutate(text("안녕"), client_language(None))),
    entry(
        "client-now-english-group",
        "language",
        mutate(text("hi", chat_type="group"), client_language("en")),
        reply="group",
        expect=GROUP,
        keeps_state=True,
    ),
]

KOREAN = (
    BLANK
    + LONG
    + EMOJI
    + RTL
    + CONTROL
    + MARKUP
    + AMOUNTS
    + TYPED
    + FILES
    + OTHER_MESSAGES
    + CALLBACKS
    + COMMANDS
    + EDITED_MESSAGES
    + FORWARDED
    + CHATS
    + DELIVERY
    + LANGUAGE_SWITCH
)


def as_profile(profile: str, ids: list[str]) -> list[Hostile]:
    """Copies of some entries sent by a user of another profile (language, username)."""
    by_id = {e.id: e for e in KOREAN}
    return [replace(by_id[i], id=f"{profile}-{i}", profile=profile) for i in ids]


ENGLISH = as_profile(
    "en",
    [
        "blank-empty",
        "blank-zero-width-space",
        "long-korean-4096",
        "long-emoji-4096",
        "emoji-family-zwj",
        "rtl-override-won",
        "ctl-nul",
        "ctl-all-c0",
        "html-open-bold",
        "md-unbalanced",
        "fmt-braces",
        "none-text",
        "amt-1e6",
        "amt-range-tilde",
        "amt-several",
        "amt-fullwidth",
        "amt-nan",
        "amt-400-nines",
        "amt-negative",
        "amt-english-words",
        "amt-krw",
        "typed-no-upper",
        "file-photo",
        "file-exe-named-jpg",
        "file-zero-bytes",
        "file-25mb",
        "kind-sticker",
        "kind-location",
        "cb-forged-json",
        "cb-other-users-case",
        "cb-delete-no-unasked",
        "cb-lang-xx",
        "cb-old-consent",
        "cmd-start",
        "cmd-back",
        "cmd-cancel",
        "cmd-unknown",
        "cmd-export-non-staff",
        "cmd-stats-non-staff",
        "cmd-help",
        "cmd-privacy",
        "cmd-status",
        "cmd-lang",
        "cmd-delete-my-data",
        "edit-text",
        "fwd-text",
        "chat-group-text",
        "dup-text",
    ],
)
BARE = as_profile(
    "bare",
    [
        "blank-empty",
        "emoji-thumbs-up",
        "amt-hangul",
        "amt-1e6",
        "file-photo",
        "file-exe-named-jpg",
        "kind-sticker",
        "cb-forged-json",
        "cb-old-consent",
        "cmd-start",
        "cmd-back",
        "cmd-help",
        "cmd-export-non-staff",
        "edit-text",
        "fwd-text",
        "chat-group-text",
        "dup-text",
    ],
)
FRENCH = as_profile(
    "fr",
    ["rtl-arabic", "amt-hangul", "cmd-help", "cb-forged-json", "chat-group-text", "kind-voice"],
)
ODD_NAME = as_profile("odd", ["html-bold", "cmd-start", "file-pdf", "cb-forged-json"])

CORPUS: list[Hostile] = KOREAN + ENGLISH + BARE + FRENCH + ODD_NAME
# Who sends what: the language their Telegram app reports, a username, a first name.
PROFILES: dict[str, dict[str, Any]] = {
    "ko": {"language_code": "ko", "username": "kim_ko"},
    "en": {"language_code": "en-US", "username": "lee_en"},
    "bare": {"language_code": None, "username": None},  # no username, no language
    "fr": {"language_code": "fr", "username": None},  # a language the bot does not speak
    "odd": {"language_code": "ko-KR", "username": None, "first_name": "<b>Kim</b>\u202e\x00"},
}
assert len({e.id for e in CORPUS}) == len(CORPUS), "corpus ids must be unique"


# -- malformed HTTP requests ----------------------------------------------------------------
# Bytes sent straight to the bot's own server (webhook and staff sign-in), below any
# HTTP client that would refuse to build them. Each must get a 4xx (or, for a
# well-formed update of a shape the bot does not know, 200), never a 500 or a traceback.


@dataclass(frozen=True)
class RawRequest:
    """One malformed request: ``secret`` sends the right webhook secret header."""

    id: str
    path: str
    body: bytes
    content_type: bytes = b"application/json"
    secret: bool = False
    headers: tuple[tuple[bytes, bytes], ...] = ()
    status: frozenset[int] = frozenset({400})


WEBHOOK = "/telegram/webhook"
SIGNIN = "/staff/signin"
_UPDATE = (
    b'{"update_id": %s, "message": {"message_id": 1, "date": 1700000000,'
    b' "chat": {"id": 700001, "type": "private"},'
    b' "from": {"id": 700001, "is_bot": false, "first_name": "Kim"}, "text": %s}}'
)
_BOUNDARY = b"hostile-boundary"

HTTP_REQUESTS = [
    RawRequest(
        "http-secret-not-utf8",
        WEBHOOK,
        _UPDATE % (b"1", b'"hi"'),
        headers=((b"X-Telegram-Bot-Api-Secret-Token", b"\xff\xfe\xc3("),),
        status=frozenset({403}),
    ),
    RawRequest(
        "http-secret-latin1",
        WEBHOOK,
        _UPDATE % (b"1", b'"hi"'),
        headers=((b"X-Telegram-Bot-Api-Secret-Token", "s\u00e9cret".encode("latin-1")),),
        status=frozenset({403}),
    ),
    RawRequest(
        "http-signin-form-not-utf8",
        SIGNIN,
        b"name=\xff\xfe&token=\xc3(&csrf=x",
        content_type=b"application/x-www-form-urlencoded",
    ),
    RawRequest(
        "http-signin-multipart-no-name",
        SIGNIN,
        b"--" + _BOUNDARY + b"\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
        b"--" + _BOUNDARY + b"--\r\n",
        content_type=b"multipart/form-data; boundary=" + _BOUNDARY,
    ),
    RawRequest(
        "http-signin-multipart-not-utf8",
        SIGNIN,
        b"--" + _BOUNDARY + b'\r\nContent-Disposition: form-data; name="token"\r\n\r\n'
        b"\xff\xfe\r\n--" + _BOUNDARY + b"--\r\n",
        content_type=b"multipart/form-data; boundary=" + _BOUNDARY,
    ),
    RawRequest("http-json-deep", WEBHOOK, b"[" * 100_000 + b"]" * 100_000, secret=True),
    RawRequest("http-json-deep-object", WEBHOOK, b'{"a":' * 100_000 + b"}" * 100_000, secret=True),
    RawRequest("http-json-not-utf8", WEBHOOK, b'{"update_id": "\xff"}', secret=True),
    RawRequest("http-json-list", WEBHOOK, b"[1, 2, 3]", secret=True),
    RawRequest("http-update-id-string", WEBHOOK, _UPDATE % (b'"1"', b'"hi"'), secret=True),
    RawRequest("http-update-id-huge", WEBHOOK, _UPDATE % (b"1" + b"0" * 30, b'"hi"'), secret=True),
    RawRequest("http-update-id-negative", WEBHOOK, _UPDATE % (b"-5", b'"hi"'), secret=True),
    RawRequest("http-update-id-float", WEBHOOK, _UPDATE % (b"1.5", b'"hi"'), secret=True),
    RawRequest("http-update-id-bool", WEBHOOK, _UPDATE % (b"true", b'"hi"'), secret=True),
    RawRequest("http-update-id-missing", WEBHOOK, b'{"message": {}}', secret=True),
    RawRequest(
        "http-text-object",
        WEBHOOK,
        _UPDATE % (b"7001", b'{"a": 1}'),
        secret=True,
        status=frozenset({200, 400}),
    ),
    RawRequest(
        "http-text-number",
        WEBHOOK,
        _UPDATE % (b"7002", b"12"),
        secret=True,
        status=frozenset({200, 400}),
    ),
    RawRequest(
        "http-chat-id-string",
        WEBHOOK,
        (_UPDATE % (b"7003", b'"hi"')).replace(b'"id": 700001, "type"', b'"id": "x", "type"'),
        secret=True,
        status=frozenset({200, 400}),
    ),
    RawRequest(
        "http-video-file-name-number",
        WEBHOOK,
        (_UPDATE % (b"7006", b'"hi"')).replace(
            b'"text": "hi"',
            b'"video": {"file_id": "v1", "file_unique_id": "u1", "width": 1, "height": 1,'
            b' "duration": 1, "file_name": 5, "file_size": 10}',
        ),
        secret=True,
        status=frozenset({400}),  # refused by the shape check, as a document would be
    ),
    RawRequest(
        "http-animation-mime-list",
        WEBHOOK,
        (_UPDATE % (b"7007", b'"hi"')).replace(
            b'"text": "hi"',
            b'"animation": {"file_id": "a1", "file_unique_id": "u2", "width": 1, "height": 1,'
            b' "duration": 1, "file_name": "a.gif", "mime_type": ["image/gif"]}',
        ),
        secret=True,
        status=frozenset({400}),
    ),
    RawRequest(
        "http-message-not-object",
        WEBHOOK,
        b'{"update_id": 7004, "message": "hello"}',
        secret=True,
        status=frozenset({200, 400}),
    ),
    RawRequest(
        "http-unknown-update-kind",
        WEBHOOK,
        b'{"update_id": 7005, "future_thing": {"x": 1}}',
        secret=True,
        status=frozenset({200}),
    ),
]
assert len({r.id for r in HTTP_REQUESTS}) == len(HTTP_REQUESTS), "request ids must be unique"
