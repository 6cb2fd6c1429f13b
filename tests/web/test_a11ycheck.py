"""GET /api/v1/message/{id}/a11y-check: each rule on a small mail that breaks it (and its fixed
twin that does not), the whole corpus, and the bounds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from inprocess import InProcess
from mailfactory import build_mail, envelope_for

from mailtrap import Envelope, MemoryStore, MessageStore
from mailtrap.checks.a11y import MAX_OCCURRENCES, MAX_TAGS
from mailtrap.web import create_app

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = sorted(DATA.glob("*.eml"))
LANG = '<html lang="en"><body>'  # what every fixture below has, so only its own rule fires
ENVELOPE = Envelope("sender@example.com", ("rcpt@example.com",))
TEXT = "<p>Your order has shipped and arrives on Thursday.</p>"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def http(store: MemoryStore) -> Iterator[httpx.Client]:
    with InProcess(create_app(store)) as app, app.client() as client:
        yield client


def _check(http: httpx.Client, store: MessageStore, html: str) -> dict[str, Any]:
    raw = build_mail(text="plain", html=html)
    id = store.add(raw, envelope_for(raw)).id
    response = http.get(f"/api/v1/message/{id}/a11y-check")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _findings(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["Rule"]: f for f in result["Findings"]}


# (rule, severity, HTML that breaks it, the detail or snippet expected, the same HTML fixed)
CASES = [
    (
        "image-alt",
        "error",
        f'{LANG}{TEXT}<p><img src="cid:chart" width="300"></p>',
        '<img src="cid:chart" width="300">',
        f'{LANG}{TEXT}<p><img src="cid:chart" width="300" alt="Sales up 12% in May"></p>',
    ),
    (
        "html-lang",
        "error",
        f"<html><body>{TEXT}</body></html>",
        "<html>",
        f'<html lang="de-AT"><body>{TEXT}</body></html>',
    ),
    (
        "html-lang-valid",
        "warning",
        f'<html lang="english language"><body>{TEXT}</body></html>',
        "lang='english language'",
        f'<html lang="en-GB"><body>{TEXT}</body></html>',
    ),
    (
        "link-name",
        "error",
        f'{LANG}{TEXT}<a href="https://shop.example.com/"><img src="cid:logo" alt=""></a>',
        '<a href="https://shop.example.com/">',
        f'{LANG}{TEXT}<a href="https://shop.example.com/"><img src="cid:logo" alt="Shop"></a>',
    ),
    (
        "color-contrast",
        "error",
        f'{LANG}{TEXT}<p style="color: #999999">Unsubscribe at any time.</p>',
        "2.85:1 (#999999 on #ffffff), needs 4.5:1",
        f'{LANG}{TEXT}<p style="color: #595959">Unsubscribe at any time.</p>',
    ),
    (
        "link-text",
        "warning",
        f'{LANG}{TEXT}<p>Your invoice: <a href="https://x.example.com/i/1">click here</a></p>',
        "'click here'",
        f'{LANG}{TEXT}<p><a href="https://x.example.com/i/1">Download invoice 1</a></p>',
    ),
    (
        "layout-table",
        "warning",
        f"{LANG}<table><tr><td>{TEXT}</td></tr></table>",
        "<table>",
        f'{LANG}<table role="presentation"><tr><td>{TEXT}</td></tr></table>',
    ),
    (
        "heading-order",
        "warning",
        f"{LANG}<h1>Your order</h1>{TEXT}<h3>Delivery</h3>",
        "h3 after h1",
        f"{LANG}<h1>Your order</h1>{TEXT}<h2>Delivery</h2>",
    ),
    (
        "text-in-images",
        "warning",
        f'{LANG}<img src="cid:offer" alt="Summer sale: 30% off everything until Sunday">',
        '<img src="cid:offer" alt="Summer sale: 30% off everything until Sunday">',
        f'{LANG}<img src="cid:offer" alt="Summer sale">{TEXT}',
    ),
]


@pytest.mark.parametrize(
    ("rule", "severity", "broken", "where", "fixed"), CASES, ids=[c[0] for c in CASES]
)
def test_each_rule_finds_its_problem_and_not_the_fix(
    http: httpx.Client,
    store: MemoryStore,
    rule: str,
    severity: str,
    broken: str,
    where: str,
    fixed: str,
) -> None:
    result = _check(http, store, broken)
    found = _findings(result)
    assert set(found) == {rule}, result
    finding = found[rule]
    assert finding["Severity"] == severity
    assert finding["Title"]
    assert finding["Description"]
    assert finding["Count"] == len(finding["Occurrences"]) == 1
    occurrence = finding["Occurrences"][0]
    assert where in (occurrence["Snippet"], occurrence["Detail"]), occurrence
    assert occurrence["Selector"].startswith("html")
    counted = "Errors" if severity == "error" else "Warnings"
    assert result["Total"][counted] == 1
    assert result["Total"]["Errors" if counted == "Warnings" else "Warnings"] == 0
    clean = _check(http, store, fixed)
    assert clean["Findings"] == [], clean
    assert clean["Total"]["Errors"] == clean["Total"]["Warnings"] == 0


@pytest.mark.parametrize(
    "text",
    [
        "click here",
        "Here",
        "Read more »",
        "learn more",
        "https://shop.example.com/orders/48213",
        "www.example.com",
    ],
)
def test_vague_link_texts(http: httpx.Client, store: MemoryStore, text: str) -> None:
    result = _check(http, store, f'{LANG}{TEXT}<a href="https://shop.example.com/o">{text}</a>')
    assert list(_findings(result)) == ["link-text"], result


def test_contrast_follows_inline_colours_down_the_tree(
    http: httpx.Client, store: MemoryStore
) -> None:
    html = (
        # bgcolor without "#", as browsers read it
        f'{LANG}{TEXT}<table role="presentation" bgcolor="000000"><tr>'
        '<td><font color="#333">dark on black</font></td>'
        '<td style="background: rgb(255 255 255 / 50%)">'
        '<span style="color: white">white on grey</span></td>'
        '<td style="color: hsl(0, 0%, 100%)">white on black</td>'  # fine: 21:1
        '<td style="background: url(bg.png) #fff; color: #fff">over an image: not judged</td>'
        '<td style="color: #949494; background-color: #ffffff; font-size: 24px">large grey</td>'
        '</tr></table><h1 style="color: #949494">Large and bold: 3:1 is enough</h1>'
    )
    result = _check(http, store, html)
    contrast = _findings(result)["color-contrast"]
    details = {o["Snippet"]: o["Detail"] for o in contrast["Occurrences"]}
    # WCAG's formula by hand: #333 has luminance 0.0331, so (0.0331 + 0.05) / 0.05 = 1.66; white
    # at 50% over black is #808080 (luminance 0.2140), so 1.05 / 0.2640 = 3.98.
    assert details == {
        '<font color="#333">dark on black': "1.66:1 (#333333 on #000000), needs 4.5:1",
        '<span style="color: white">white on grey': "3.98:1 (#ffffff on #808080), needs 4.5:1",
    }, details


@pytest.mark.parametrize(
    "colour",
    ["#999", "#999999", "#999999ff", "darkgrey", "DarkGray", "rgb(153, 153, 153)",
     "rgb(60% 60% 60%)", "rgba(153,153,153,1)", "hsl(0, 0%, 60%)", "hsl(120deg 0% 60% / 100%)"],
)  # fmt: skip
def test_every_css_colour_form_is_read(http: httpx.Client, store: MemoryStore, colour: str) -> None:
    # darkgrey is #a9a9a9 (2.35:1 on white); the others are #999999 (2.85:1).
    html = f'{LANG}{TEXT}<p style="color: {colour} !important">Grey small print.</p>'
    (occurrence,) = _findings(_check(http, store, html))["color-contrast"]["Occurrences"]
    grey = "#a9a9a9" if "dark" in colour.lower() else "#999999"
    assert occurrence["Detail"].split(" (", 1)[1] == f"{grey} on #ffffff), needs 4.5:1"


@pytest.mark.parametrize(
    "colour", ["currentcolor", "inherit", "#99", "rgb(1, 2)", "notacolour", "url(x)"]
)
def test_an_unreadable_colour_keeps_the_inherited_one(
    http: httpx.Client, store: MemoryStore, colour: str
) -> None:
    html = f'{LANG}{TEXT}<div style="color: #aaa"><p style="color: {colour}">Grey text.</p></div>'
    (occurrence,) = _findings(_check(http, store, html))["color-contrast"]["Occurrences"]
    assert "(#aaaaaa on #ffffff)" in occurrence["Detail"]


def test_hidden_content_is_not_judged(http: httpx.Client, store: MemoryStore) -> None:
    html = (
        f'{LANG}{TEXT}<div style="display:none; color:#fafafa">preheader text</div>'
        '<img src="cid:x" aria-hidden="true"><div hidden><a href="https://x.example/">here</a></div>'
        '<img src="https://t.example/o.gif" width="1" height="1" alt="">'
    )
    assert _check(http, store, html)["Findings"] == []


def test_selectors_are_short_paths_to_the_element(http: httpx.Client, store: MemoryStore) -> None:
    html = (
        f'{LANG}{TEXT}<div id="main"><table role="presentation"><tr><td></td><td>'
        '<img src="cid:a"><img src="cid:b"></td></tr></table></div>'
        + "<div>" * 8
        + '<img src="cid:deep">'
        + "</div>" * 8
        + '<p id="note"><img src="cid:c"></p>'
    )
    occurrences = _findings(_check(http, store, html))["image-alt"]["Occurrences"]
    assert [(o["Selector"], o["Snippet"]) for o in occurrences] == [
        ("… > table > tbody > tr > td:nth-of-type(2) > img", '<img src="cid:a">'),
        ("… > table > tbody > tr > td:nth-of-type(2) > img:nth-of-type(2)", '<img src="cid:b">'),
        ("… > div > div > div > div > img", '<img src="cid:deep">'),
        ("p#note > img", '<img src="cid:c">'),  # an id names its element on its own
    ]


def test_the_corpus_every_mail_gets_an_answer(http: httpx.Client, store: MemoryStore) -> None:
    answered = {}
    for path in CORPUS:
        id = store.add(path.read_bytes(), ENVELOPE).id
        response = http.get(f"/api/v1/message/{id}/a11y-check")
        if store.get(id).html:
            assert response.status_code == 200, (path.name, response.text[:300])
            total = response.json()["Total"]
            assert total["Nodes"] > 0
            answered[path.name] = total
        else:
            assert response.status_code == 400, (path.name, response.text[:300])
            assert "has no HTML part" in response.json()["detail"]
    assert len(answered) >= 15
    assert answered["accessible.eml"] == {
        "Errors": 0,
        "Warnings": 0,
        "Nodes": 50,
        "Truncated": False,
    }
    # A real newsletter breaks some rules: the check is not trivially clean.
    assert answered["marketing-sendgrid-long-html-lines.eml"]["Warnings"] > 0
    assert answered["broken-2mb-single-line-html.eml"]["Truncated"] is True


def test_latest_unknown_and_no_html(http: httpx.Client, store: MemoryStore) -> None:
    assert http.get("/api/v1/message/latest/a11y-check").status_code == 404  # empty mailbox
    raw = build_mail(text="only text")
    id = store.add(raw, envelope_for(raw)).id
    no_html = http.get(f"/api/v1/message/{id}/a11y-check")
    assert no_html.status_code == 400
    assert no_html.json()["detail"] == (
        f"message {id!r} has no HTML part; the accessibility check reads HTML mail only"
    )
    accessible = (DATA / "accessible.eml").read_bytes()
    store.add(accessible, envelope_for(accessible))
    assert http.get("/api/v1/message/latest/a11y-check").json()["Findings"] == []
    missing = http.get("/api/v1/message/nosuchid/a11y-check")
    assert missing.status_code == 404


def test_deep_nesting_and_many_findings_are_bounded(http: httpx.Client, store: MemoryStore) -> None:
    nested = LANG + "<div>" * (MAX_TAGS * 2) + "deep" + "</div>" * (MAX_TAGS * 2)
    started = time.monotonic()
    result = _check(http, store, nested)
    assert time.monotonic() - started < 10
    assert result["Total"]["Truncated"] is True
    assert result["Total"]["Nodes"] <= MAX_TAGS + 4  # html, head, body beside the divs
    many = LANG + TEXT + '<img src="cid:x">' * 500
    images = _findings(_check(http, store, many))["image-alt"]
    assert images["Count"] == 500
    assert len(images["Occurrences"]) == MAX_OCCURRENCES
