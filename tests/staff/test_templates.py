"""The staff pages are autoescaped templates: hostile values on every page, and no HTML in Python."""

from __future__ import annotations

import ast
import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path

from bot.staff.review import ReviewService
from bot.staff.telegram_commands import stats_text
from flows.policy import load_policy
from storage import AuditEntry, CaseMessage, EvidenceRef
from storage.memory import MemoryStorage
from tests.staff.test_web import (
    DAY1,
    JPEG,
    Inbox,
    add_case,
    confirm_fields,
    serve,
)

BOT = Path(__file__).resolve().parents[2] / "bot"
LONG = "<b>긴이름" + "가" * 10_000 + "</b>"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror="alert(2)">',
    "' autofocus onfocus='alert(3)",
    '" autofocus onfocus="alert(4)',
    "\u202eevil\u202c\u200f<i>rtl</i>",
    "</textarea><svg onload=alert(5)>",
    "{{ 7 * 7 }}{% raw %}",
    LONG,
]
# What the templates themselves write; anything else came from a value.
TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "nav", "main", "div", "span",
    "a", "form", "input", "button", "p", "h1", "h2", "h3", "section", "dl", "dt", "dd",
    "details", "summary", "label", "select", "option", "table", "caption", "thead", "tbody",
    "tr", "th", "td", "strong", "ol", "li", "figure", "figcaption", "img", "fieldset",
    "legend", "textarea", "svg", "rect", "line", "text",
}  # fmt: skip


class Markup(HTMLParser):
    """The tags and attributes of a page as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "autofocus" or name not in ATTRIBUTES:
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src", "").startswith("x"):
            self.problems.append("<img src=x>")


ATTRIBUTES = {
    "lang", "charset", "http-equiv", "content", "name", "rel", "href", "class", "aria-current",
    "method", "action", "type", "value", "role", "id", "for", "maxlength", "required",
    "autocomplete", "aria-label", "placeholder", "selected", "scope", "data-label",
    "aria-labelledby", "src", "alt", "loading", "aria-hidden", "download", "inputmode",
    "viewbox", "preserveaspectratio", "x", "y", "width", "height", "rx", "x1", "y1", "x2",
    "y2", "text-anchor",
}  # fmt: skip


def problems(page: str) -> list[str]:
    parser = Markup()
    parser.feed(page)
    parser.close()
    return parser.problems


def shown(page: str, value: str) -> bool:
    """The value is on the page as text (escaped in the source, whole once unescaped)."""
    return value in html.unescape(page)


async def test_every_page_shows_hostile_values_only_as_text():
    """Every staff page, in both languages, with hostile values in case fields, evidence
    names, the audit trail, the staff name, the filter, messages and the URL: no value
    becomes a tag or an attribute, and each is still shown (escaped, not dropped)."""
    storage = MemoryStorage()
    evil, quote, single, rtl = HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[4]
    sha = storage.put_evidence(JPEG)
    pdf = storage.put_evidence(b"%PDF-1.4")
    case = add_case(
        storage,
        at=DAY1,
        tier="review",
        tentative_support=None,
        description=LONG,
        service="other",
        service_other=quote,
        business_number=single,
        answers={"description": evil, rtl: [HOSTILE[5], 1], "note": HOSTILE[6]},
        evidence=[
            EvidenceRef(sha, f"{quote}.jpg", "image/jpeg", len(JPEG)),
            EvidenceRef(pdf, f"{HOSTILE[3]}.{evil}", "application/pdf", 8),
        ],
    )
    add_case(storage, at=DAY1 + 60, reporter_type=evil)  # an id no policy knows: shown as is
    approved = add_case(storage, at=DAY1 + 120, description=quote, service_other=evil)
    storage.append_audit(
        AuditEntry(
            at=DAY1 + 5,
            actor=f"staff:{quote}",
            action=evil,
            case_number=case.case_number,
            detail={"reason": HOSTILE[3], evil: {"x": quote}},
        )
    )
    number = case.case_number
    for n, (sender, text) in enumerate([("user", evil), (f"staff:{quote}", HOSTILE[6])]):
        storage.add_case_message(  # a reporter's and a staff member's words in the thread
            CaseMessage(
                f"m{n}",
                number,
                sender,
                text,
                files=(EvidenceRef(sha, f"{single}.jpg", "image/jpeg", len(JPEG)),),
                at=DAY1 + 10 + n,
            )
        )
    failing = {"on": False}

    async def notify(user_id: int, replies: list) -> None:
        if failing["on"]:
            raise ConnectionError("Telegram is down")
        await Inbox()(user_id, replies)

    review = ReviewService(storage, notify=notify)
    async with serve(storage, review=review) as staff:
        pages: dict[str, str] = {}
        pages["signin"] = await staff.page(f"/staff/signin?next=/staff/{quote}")
        wrong = await staff.client.post(
            "/staff/signin",
            data={"csrf": "x", "name": quote, "token": "x", "lang": "ko", "next": evil},
        )
        pages["signin refused"] = await wrong.text()
        signed = await staff.sign_in(name=f"{evil[:30]}{rtl}")
        assert signed.status == 303
        for lang in ("ko", "en"):
            await staff.page(f"/staff/?lang={lang}")
            pages[f"list {lang}"] = await staff.page(f"/staff/?q={quote}&sort=oldest")
            pages[f"detail {lang}"] = await staff.page(f"/staff/cases/{number}")
            pages[f"not found {lang}"] = await staff.page(
                f"/staff/cases/{number[:-1]}%3Cscript%3E", status=404
            )
            pages[f"stats {lang}"] = await staff.page("/staff/stats")
            pages[f"export {lang}"] = await staff.page(f"/staff/exporting/csv?q={evil}")
            for action, fields in (
                ("request_documents", {"doc": "0", "other": evil, "note": LONG[:900]}),
                ("reject", {"reason": quote}),
                ("approve", {"final_amount": "30000", "note": single}),
            ):
                await staff.page(f"/staff/cases/{number}")
                response = await staff.post(f"/staff/cases/{number}/{action}", fields)
                assert response.status == 200, await response.text()
                pages[f"confirm {action} {lang}"] = await response.text()
        # An approved case: the amount's correction and the payment have their own pages.
        pages["flash after a decision"] = await staff.act(
            approved.case_number, "approve", final_amount="30000", note=quote
        )
        for action, fields in (
            ("correct_amount", {"final_amount": "40000", "reason": evil}),
            ("pay", {}),
        ):
            response = await staff.post(f"/staff/cases/{approved.case_number}/{action}", fields)
            assert response.status == 200, await response.text()
            pages[f"confirm {action}"] = await response.text()
        forged = await staff.post("/staff/signout", {"csrf": quote}, csrf=False)
        assert forged.status == 403
        pages["forbidden"] = await forged.text()
        for name, page in pages.items():
            assert problems(page) == [], name
            assert "<script" not in page, name

        # A decision whose message failed: the case page offers the message again.
        failing["on"] = True
        confirm = pages["confirm reject ko"]
        response = await staff.post(
            f"/staff/cases/{number}/reject", confirm_fields(confirm), csrf=False
        )
        assert response.status == 303
        pages["undelivered"] = await staff.page(f"/staff/cases/{number}")
        assert 'class="undelivered"' in pages["undelivered"]

    assert problems(pages["undelivered"]) == []
    detail = pages["detail ko"]
    for value in (LONG, quote, single, evil, HOSTILE[3], HOSTILE[5], HOSTILE[6], rtl):
        assert shown(detail, value), value[:40]
    assert shown(pages["signin refused"], quote[:40])
    assert shown(pages["list en"], quote) and shown(pages["export en"], evil)
    assert shown(pages["confirm reject ko"], quote)  # in the user's message and a field
    assert shown(pages["confirm request_documents en"], evil)
    assert shown(pages["stats ko"], evil)
    assert shown(pages["undelivered"], quote)
    assert shown(pages["confirm correct_amount"], evil)
    assert 'class="flash ok"' in pages["flash after a decision"]
    assert shown(pages["list ko"], evil[:30])  # the staff name in the top bar


def test_telegram_stats_message_is_escaped():
    """The one HTML Telegram message (/stats) escapes what it shows, through its template."""
    storage = MemoryStorage()
    add_case(storage, reporter_type="<b>x</b>")
    text = stats_text(storage, load_policy(), "ko")
    assert text.startswith("<pre>") and text.endswith("</pre>")
    assert "<b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


def _strings_outside_docstrings(tree: ast.AST) -> list[ast.Constant]:
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_no_html_is_built_in_python(root: Path = BOT):
    """Regression: pages were Python functions joining strings with about 84 hand-placed
    ``esc()`` calls; one missed call on a page of user text is an XSS hole. Markup now
    lives only in templates, where autoescaping covers every value."""
    tag = re.compile(
        r"</?(?:html|head|body|div|span|p|a|form|input|button|h[1-6]|section|details|summary|"
        r"label|select|option|table|tr|td|th|ol|ul|li|dl|dt|dd|img|svg|rect|line|text|meta|"
        r"link|style|script|strong|pre|nav|header|main|figure|textarea|title)\b[^<]*>?",
        re.IGNORECASE,
    )
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _strings_outside_docstrings(tree):
            if tag.search(node.value):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


async def test_the_stylesheet_is_a_static_file_named_by_its_hash():
    """The one stylesheet is served without a session (the sign-in page needs it) under a
    URL that names its content's hash, cacheable for a year; pages allow styles only
    from this server and carry none inline."""
    storage = MemoryStorage()
    async with serve(storage) as staff:
        page = await staff.page("/staff/signin")
        (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
        response = await staff.client.get(href)
        body = await response.read()
        assert response.status == 200 and response.content_type == "text/css"
        assert href == f"/staff/static/staff.{hashlib.sha256(body).hexdigest()[:16]}.css"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert b".topbar" in body
        other = await staff.client.get("/staff/static/staff.0000000000000000.css")
        assert other.status in (303, 404)  # not a file: the sign-in redirect or nothing
        signin = await staff.client.get("/staff/signin")
        assert "style-src 'self';" in signin.headers["Content-Security-Policy"]
        assert "<style" not in page and "style=" not in page
