"""The HTML check (GET /api/v1/message/{ID}/html-check, mailtrap.checks): caniemail's data as
shipped, a known mail's score worked out by hand, what the CSS tokenizer tells apart, malformed
and hostile mail, and the route over real HTTP. Mailpit's clients drive it in tests/compat."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from liveserver import LiveServer
from mailfactory import build_mail, envelope_for

from mailtrap import Envelope, MemoryStore, MessageStore
from mailtrap.checks.caniemail import database, inline_markdown
from mailtrap.checks.html import MAX_TAGS, check_html, checked_slugs
from mailtrap.web import create_app

DATA = Path(__file__).parent / "data"
KNOWN = DATA / "htmlcheck-known-score.eml"
Served = tuple[LiveServer, httpx.Client]
ENVELOPE = Envelope("sender@example.com", ("rcpt@example.com",))


def found(html: str) -> dict[str, int]:
    return {w.feature.slug: w.found for w in check_html(html).warnings}


# --- the data ---------------------------------------------------------------------------------


def test_the_data_is_caniemails_full_set_with_its_licence() -> None:
    db = database()
    assert db.source == "npm caniemail@2.0.2"
    # caniemail.com's 307 features, every category of them (Mailpit embeds the same 307).
    assert len(db.features) == 307
    categories = Counter(f.category for f in db.features.values())
    assert categories == {"css": 215, "html": 76, "image": 14, "others": 2}
    assert set(db.platforms) == {
        "android", "desktop-webmail", "ios", "macos", "mobile-webmail", "outlook-com",
        "windows", "windows-mail",
    }  # fmt: skip
    assert "Apple Mail" in db.platforms["ios"]
    licence = resources.files("mailtrap.checks").joinpath("data/CANIEMAIL-LICENSE.md")
    text = licence.read_text("utf-8")
    assert "Copyright (c) 2019 HTeuMeuLeu" in text  # caniemail.com's data
    assert "Andrew Powell" in text  # the npm package it comes from
    assert "**caniemail** 2.0.2" in text


def test_every_feature_the_check_looks_for_is_in_the_data() -> None:
    # All but caniemail's two "others" (AMP, BIMI: not properties of the HTML); html-script is
    # Mailpit's own addition.
    features = set(database().features)
    assert checked_slugs() - features == {"html-script"}
    assert features - checked_slugs() == {"amp", "bimi"}


def test_client_results_read_the_datas_letters() -> None:
    # css-display-flex as npm caniemail@2.0.2 has it: 38 "y" (with or without a note), 6 "a",
    # 20 "n", and no "u". The `u`s of other features are no evidence and are left out.
    flex = database().features["css-display-flex"]
    assert Counter(r.support for r in flex.results) == {"yes": 38, "partial": 6, "no": 20}
    assert flex.score.supported == pytest.approx(100 * 38 / 64)
    assert flex.score.partial == pytest.approx(100 * 6 / 64)
    assert flex.score.unsupported == pytest.approx(100 * 20 / 64)
    noted = [r for r in flex.results if r.note]
    assert noted
    assert all(r.note in flex.notes for r in noted)
    gmail = next(r for r in flex.results if r.family == "gmail")
    assert gmail.name.startswith("Gmail ")
    assert gmail.name.endswith(f"({gmail.version})")


def test_descriptions_and_notes_are_escaped_html() -> None:
    assert inline_markdown("Support for `<svg>` & [SVG](/features/image-svg).") == (
        "Support for <code>&lt;svg&gt;</code> &amp; "
        '<a href="https://www.caniemail.com/features/image-svg" target="_blank" '
        'rel="noopener">SVG</a>.'
    )
    assert inline_markdown("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_the_refresh_script_names_the_version_the_data_came_from() -> None:
    shipped = json.loads(
        resources.files("mailtrap.checks").joinpath("data/caniemail.json").read_text("utf-8")
    )
    script = (Path(__file__).parents[1] / "scripts" / "refresh_caniemail.py").read_text("utf-8")
    assert "npm" in script
    assert '"pack"' in script
    assert shipped["source"] == "npm caniemail@2.0.2"
    assert len(shipped["features"]) == 307


# --- a known score, worked by hand --------------------------------------------------------------


def test_the_known_mail_scores_as_worked_out_by_hand(served: Served, store: MessageStore) -> None:
    """tests/data/htmlcheck-known-score.eml's HTML:

        <div><p style="display: flex">Hello</p><p>from the <video src="…clip.mp4"></video></p></div>

    Nodes: div, p, p, video = 4. Features, with npm caniemail@2.0.2's counts of client
    versions (yes / partial / no; "u" left out):

        html-div          1   50 / 0 / 0    ->   100 %  /  0      /  0
        html-p            2   50 / 0 / 0    ->   100 %  /  0      /  0
        html-video        1   13 / 3 / 41   ->   22.81  /  5.263  /  71.93
        css-display       1   26 / 20 / 0   ->   56.52  /  43.48  /  0
        css-display-flex  1   38 / 6 / 20   ->   59.38  /  9.375  /  31.25

    Each weighs by the share of the mail it touches, found / nodes: 1/4 for all but html-p.
    Unsupported: the heaviest is html-video, 71.93 x 1/4 = 17.98 (display-flex: 7.81).
    Partial: the heaviest is css-display, 43.48 x 1/4 = 10.87 (video 1.32, flex 2.34).
    Supported: 100 - 17.98 - 10.87 = 71.15.
    """
    _, http = served
    raw = KNOWN.read_bytes()
    id = store.add(raw, envelope_for(raw)).id
    response = http.get(f"/api/v1/message/{id}/html-check")
    assert response.status_code == 200, response.text
    check = response.json()
    total = check["Total"]
    assert total["Nodes"] == 4
    assert total["Tests"] == len(checked_slugs())
    assert total["Unsupported"] == pytest.approx(100 * 41 / 57 / 4)
    assert total["Partial"] == pytest.approx(100 * 20 / 46 / 4)
    assert total["Supported"] == pytest.approx(100 - 100 * 41 / 57 / 4 - 100 * 20 / 46 / 4)
    assert round(total["Supported"], 2) == 71.15
    # Worst first: (unsupported + partial) x share.
    slugs = [(w["Slug"], w["Score"]["Found"]) for w in check["Warnings"]]
    assert slugs == [
        ("html-video", 1),
        ("css-display", 1),
        ("css-display-flex", 1),
        ("html-div", 1),
        ("html-p", 2),
    ]
    video = check["Warnings"][0]
    assert video["Score"] == {
        "Found": 1,
        "Supported": pytest.approx(100 * 13 / 57),
        "Partial": pytest.approx(100 * 3 / 57),
        "Unsupported": pytest.approx(100 * 41 / 57),
    }
    assert video["Category"] == "html"
    assert video["URL"] == "https://www.caniemail.com/features/html-video/"
    assert len(video["Results"]) == 57
    assert Counter(r["Support"] for r in video["Results"]) == {"yes": 13, "partial": 3, "no": 41}
    assert check["Platforms"] == database().platforms


# --- what the tokenizer tells apart -------------------------------------------------------------


def test_properties_are_told_apart_by_the_tokenizer() -> None:
    assert found('<p style="max-width: 600px">x</p>') == {
        "html-p": 1,
        "css-max-width": 1,
        "css-unit-px": 1,
    }
    # Case, spacing and longhands as browsers read them.
    got = found('<p style="MARGIN-TOP : 0 ; Transform:rotate(2deg); border-top-left-radius:1px">')
    assert got["css-margin"] == got["css-transform"] == got["css-border-radius"] == 1
    assert "css-border" not in got
    # Names inside strings, comments and URLs are not properties or selectors.
    sheet = found(
        "<style>/* a:hover { width: 1px } */ a::after { content: 'display: flex; :hover' }"
        " b { background: url(x:hover.png) }</style>"
    )
    assert "css-pseudo-class-hover" not in sheet
    assert "css-display-flex" not in sheet
    assert "css-width" not in sheet
    assert sheet["css-comments"] == 1
    assert sheet["css-pseudo-element-after"] == 1


def test_style_blocks_at_rules_and_selectors() -> None:
    got = found(
        "<style>"
        "@import url(a.css);"
        "@font-face { font-family: X; src: url(x.woff2) }"
        "@media screen and (max-width: 600px) { .col > td { display: block !important } }"
        "@media (prefers-color-scheme: dark) { #box, a:hover { color: rgb(0 0 0) } }"
        "@supports (display: grid) { div { display: grid } }"
        "ul li + li ~ p[lang] *::placeholder { --gap: 1rem; margin: var(--gap) }"
        "</style>"
    )
    assert got["css-at-import"] == 1
    assert got["css-at-font-face"] == 1
    assert got["css-at-media"] == 2
    assert got["css-at-media-prefers-color-scheme"] == 1
    assert got["css-at-supports"] == 1
    assert got["css-display-grid"] == 1  # inside @supports: nested rules are read
    assert got["css-important"] == 1
    assert got["css-selector-child"] == 1
    assert got["css-selector-class"] == 1
    assert got["css-selector-id"] == 1
    assert got["css-selector-grouping"] == 1
    assert got["css-selector-descendant"] == 1
    assert got["css-selector-adjacent-sibling"] == 1
    assert got["css-selector-general-sibling"] == 1
    assert got["css-selector-attribute"] == 1
    assert got["css-pseudo-class-hover"] == 1
    assert got["css-pseudo-element-placeholder"] == 1
    assert got["css-variables"] == 2  # a custom property, and var()
    assert got["css-rgb"] == 1
    assert got["css-unit-rem"] == 1
    assert "css-font" not in got  # @font-face's descriptors are not the `font` property


def test_html_elements_attributes_and_images() -> None:
    got = found(
        "<!DOCTYPE html><html><head><meta name=color-scheme content='light dark'>"
        "<link rel=stylesheet href=https://x.example/a.css></head>"
        "<body><!-- c --><table align=center cellpadding=0><tr><td valign=top>"
        "<img src='https://x.example/a.WEBP?v=1'><img src='data:image/png;base64,AA'>"
        "<a href='#top'>t</a><a href='mailto:a@example.com' target=_blank>m</a>"
        "<form><input type=checkbox><input><button>go</button></form>"
        "<script type=application/ld+json>{}</script><script>x()</script>"
        "</td></tr></table></body></html>"
    )
    assert got["html-doctype"] == got["html-body"] == got["html-meta-color-scheme"] == 1
    assert got["html-link"] == got["html-comments"] == got["html-table"] == 1
    assert got["html-align"] == got["html-cellpadding"] == got["html-valign"] == 1
    assert got["image-webp"] == got["image-base64"] == got["image-png"] == 1
    assert got["html-img"] == 2
    assert got["html-anchor-links"] == got["html-mailto-links"] == got["html-target"] == 1
    assert got["html-form"] == got["html-input-checkbox"] == got["html-input-text"] == 1
    assert got["html-button-submit"] == 1  # a button's type is submit unless it says not
    assert got["html-script"] == 1  # JSON-LD is data, not script
    # The stylesheet is not fetched: the check connects nowhere.
    assert not any(slug.startswith("css-") for slug in got)


def test_the_doctype_and_comments_before_html_are_read_from_the_tree() -> None:
    got = found("<!-- generated --><!DOCTYPE html><html><body><p>x</p></body></html>")
    assert got["html-doctype"] == got["html-comments"] == got["html-body"] == 1
    # "<!doctype" inside a comment, or late in the text, is no doctype.
    assert "html-doctype" not in found("<!-- <!DOCTYPE html> --><p>x</p>")
    assert "html-doctype" not in found("<p>x</p><!DOCTYPE html>")


def test_a_fragment_without_body_is_not_html_body() -> None:
    got = found("<p>just a fragment</p>")
    assert got == {"html-p": 1}
    check = check_html("<p>just a fragment</p>")
    assert (check.nodes, check.supported, check.partial, check.unsupported) == (1, 100, 0, 0)


# --- malformed and hostile mail -----------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<",
        "<<<>>>",
        "<p style='",
        '<p style="color:">x',
        '<p style=";;;:;{}{{{}}}(((" class=>',
        "<style>a { color: red",
        "<style>@media (((( { a { b",
        "<style>}}}}@@@::::[[[[</style>",
        "<style>\x00\ud800</style><p style='\x00'>",
        "</body></html><body><body>",
        "<table><td><tr><p><li></table></div></span>",
        "<img src='http://[::1'><img src='data:image/'><img src>",
        "<template><template><style>a:hover{}</style></template></template>",
        "<svg><style>a{b:c}</style><foreignObject><p style='d:e'></svg>",
    ],
)
def test_malformed_html_and_css_get_a_result(html: str) -> None:
    check = check_html(html)
    assert 0 <= check.unsupported <= 100
    assert 0 <= check.partial <= 100
    assert check.supported == pytest.approx(100 - check.partial - check.unsupported)
    assert check.tests == len(checked_slugs())


# Pieces of HTML and CSS, glued at random: unclosed, misnested, cut anywhere.
PIECES = st.sampled_from(
    [
        "<div>", "</div>", "<p style='", "'>", '"', "<style>", "</style>", "{", "}", "(", ")",
        ";", ":", "::", "@media", "@font-face", "a:hover", "display:flex", "!important",
        "rgb(", "1px", "--x:", "var(--x)", "<!--", "-->", "<img src=", "x.png", "<script>",
        "<template>", "<svg>", "[", "]", ",", ">", "+", "~", "#id", ".c", "*", "\\", "\x00",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES | st.text(max_size=5), max_size=60).map("".join))
def test_any_mix_of_markup_and_css_gets_a_result(html: str) -> None:
    check = check_html(html)
    assert 0 <= check.unsupported <= 100
    assert 0 <= check.partial <= 100 - check.unsupported
    assert all(w.found > 0 for w in check.warnings)


def test_every_corpus_mail_gets_a_check_or_a_400_never_a_500(
    served: Served, store: MessageStore
) -> None:
    _, http = served
    statuses: Counter[int] = Counter()
    for path in sorted(DATA.glob("*.eml")):
        # A fixed envelope, as tests/test_corpus.py uses: some of these To headers are raw
        # 8-bit bytes, which envelope_for would turn into undecodable addresses.
        id = store.add(path.read_bytes(), ENVELOPE).id
        response = http.get(f"/api/v1/message/{id}/html-check")
        assert response.status_code in (200, 400), (path.name, response.text)
        if response.status_code == 200:
            assert set(response.json()) == {"Warnings", "Platforms", "Total"}
        else:
            assert "does not contain HTML" in response.json()["detail"], path.name
        statuses[response.status_code] += 1
    assert statuses[200] >= 15
    assert statuses[400] >= 5


@pytest.mark.parametrize(
    ("name", "html"),
    [
        ("nested elements", "<div>" * 100_000),
        ("many elements", "<p style='width:1px;margin:0'>x</p>" * 100_000),
        ("nested CSS blocks", "<style>" + "a{" * 200_000 + "</style>"),
        ("nested parentheses in an attribute", "<p style='" + "(" * 400_000 + "'>"),
        ("many style attributes of nesting", ("<p style='" + "(" * 8_000 + "'>") * 2_000),
        ("a huge stylesheet", "<style>" + "a:hover>b.c{color:rgb(1,2,3)}" * 100_000),
        ("nested media", "<style>" + "@media x{" * 100_000 + "</style>"),
    ],
)
def test_hostile_html_is_checked_within_bounds(name: str, html: str) -> None:
    started = time.monotonic()
    check = check_html(html)
    seconds = time.monotonic() - started
    # ~1.2 s at worst on a quiet machine; the margin is for a loaded CI runner.
    assert seconds < 6, f"{name}: {seconds:.1f} s"
    assert check.nodes <= MAX_TAGS


def test_the_check_runs_off_the_event_loop(served: Served, store: MessageStore) -> None:
    """While a slow check runs (a hostile mail, about a second), the server answers others."""
    server, http = served
    hostile = "<style>" + "a{" * 100_000 + "</style>" + "<div>" * 9_000
    raw = build_mail(text=None, html=hostile)
    id = store.add(raw, envelope_for(raw)).id
    done: list[int] = []

    def slow() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as other:
            done.append(other.get(f"/api/v1/message/{id}/html-check").status_code)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)  # the check is under way
    waits = []
    for _ in range(5):
        started = time.monotonic()
        assert http.get("/livez").status_code == 200
        waits.append(time.monotonic() - started)
    thread.join(timeout=60)
    assert done == [200]
    assert max(waits) < 0.5, waits


# --- the route ----------------------------------------------------------------------------------


def test_no_html_part_is_a_400_saying_so(served: Served, store: MessageStore) -> None:
    _, http = served
    raw = build_mail(text="only text")
    id = store.add(raw, envelope_for(raw)).id
    response = http.get(f"/api/v1/message/{id}/html-check")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert id in detail
    assert "does not contain HTML" in detail


def test_unknown_ids_are_404_and_latest_is_the_newest(served: Served, store: MessageStore) -> None:
    _, http = served
    assert http.get("/api/v1/message/no-such-id/html-check").status_code == 404
    assert http.get("/api/v1/message/latest/html-check").status_code == 404  # empty mailbox
    raw = KNOWN.read_bytes()
    id = store.add(raw, envelope_for(raw)).id
    latest = http.get("/api/v1/message/latest/html-check")
    assert latest.status_code == 200
    assert latest.json() == http.get(f"/api/v1/message/{id}/html-check").json()
    # Checking is not reading.
    assert store.stored(id).summary.read is False


def test_the_answer_has_mailpits_shape() -> None:
    # Keys as Mailpit's swagger.json names them (HTMLCheckResponse and what it holds).
    store = MemoryStore()
    raw = build_mail(text=None, html="<p style='display:flex'>x</p>")
    id = store.add(raw, envelope_for(raw)).id
    with LiveServer(create_app(store)) as server, httpx.Client(base_url=server.url) as http:
        check = http.get(f"/api/v1/message/{id}/html-check").json()
    assert set(check) == {"Warnings", "Platforms", "Total"}
    assert set(check["Total"]) == {"Tests", "Nodes", "Supported", "Partial", "Unsupported"}
    warning = check["Warnings"][0]
    assert set(warning) == {
        "Slug", "Title", "Description", "URL", "Category", "Tags", "Keywords", "Results",
        "NotesByNumber", "Score",
    }  # fmt: skip
    assert set(warning["Score"]) == {"Found", "Supported", "Partial", "Unsupported"}
    assert set(warning["Results"][0]) == {
        "Name", "Platform", "Family", "Version", "Support", "NoteNumber",
    }  # fmt: skip
    assert {r["Support"] for w in check["Warnings"] for r in w["Results"]} <= {
        "yes",
        "no",
        "partial",
    }
