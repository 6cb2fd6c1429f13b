"""What the message page's tabs read from the server (issue 16 part B2), in-process: the HTML
source's tokens and their bounds, attachment kinds, tag searches, and why a mail in the
preview cannot mark other mail read."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import httpx
import pytest
from inprocess import InProcess
from mailfactory import build_mail, envelope_for

from mailtrap import MessageStore
from mailtrap.message.models import Attachment
from mailtrap.web import htmlsource
from mailtrap.web.htmlsource import HIGHLIGHT_CHARS, HIGHLIGHT_SECONDS, tokens
from mailtrap.web.messagepage import part_kind, tag_search, thumbnailed

Live = tuple[InProcess, httpx.Client]
DATA = Path(__file__).resolve().parents[1] / "data"


def joined(html: str) -> str:
    return "".join(text for _, text in tokens(html).tokens)


def test_tokens_are_the_html_exactly_each_with_its_kind() -> None:
    html = '<!doctype html>\n<p class="x" id=y>Fish &amp; chips</p><!-- c --><style>p{color:red}'
    out = tokens(html)
    assert joined(html) == html
    assert (out.highlighted, out.length) == (len(html), len(html))
    assert ["d", "<!doctype html>"] in out.tokens
    assert ["t", "p"] in out.tokens
    assert ["a", "class"] in out.tokens
    assert ["s", '"x"'] in out.tokens
    assert ["e", "&amp;"] in out.tokens
    assert ["c", "<!-- c -->"] in out.tokens
    assert ["k", "color"] in out.tokens
    kinds = [kind for kind, _ in out.tokens]
    assert all(a != b for a, b in itertools.pairwise(kinds))  # runs are merged
    # Pygments reads line ends as \n, and drops a byte order mark: so do the tokens.
    assert joined("\ufeff<p>a\r\nb\rc</p>") == "<p>a\nb\nc</p>"


def test_highlighting_is_bounded_in_length_and_time() -> None:
    big = "<p>" + "x" * (HIGHLIGHT_CHARS * 2) + "</p>"
    out = tokens(big)
    assert out.highlighted <= HIGHLIGHT_CHARS < out.length == len(big)
    assert out.tokens[-1][0] == ""  # the rest is one plain token
    assert joined(big) == big
    # Pygments' CSS lexer takes ~2 s over 200,000 characters of nested rules.
    slow = "<style>" + "a{" * (HIGHLIGHT_CHARS // 2)
    started = time.perf_counter()
    out = tokens(slow)
    took = time.perf_counter() - started
    assert took < HIGHLIGHT_SECONDS + 1.0, took
    assert out.highlighted < len(slow)
    assert joined(slow) == slow


def test_the_html_source_route(live: Live, store: MessageStore) -> None:
    _, http = live
    raw = (DATA / "broken-2mb-single-line-html.eml").read_bytes()
    big = store.add(raw, envelope_for(raw)).id
    started = time.perf_counter()
    response = http.get(f"/view/{big}/html-source")
    took = time.perf_counter() - started
    assert response.status_code == 200
    body = response.json()
    # Up to HIGHLIGHT_CHARS, or less if lexing them took HIGHLIGHT_SECONDS on a busy machine.
    assert 0 < body["highlighted"] <= HIGHLIGHT_CHARS
    assert body["length"] == 2_000_066
    assert "".join(text for _, text in body["tokens"]).endswith("<p>Report end.</p></body></html>")
    print(f"html-source of the 2 MB mail: {took * 1000:.0f} ms")
    plain = build_mail(text="no HTML here")
    text_only = store.add(plain, envelope_for(plain)).id
    missing = http.get(f"/view/{text_only}/html-source")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"message {text_only!r} has no HTML part"}
    assert http.get("/view/nope/html-source").status_code == 404
    assert "/view/{id}/html-source" not in http.get("/openapi.json").json()["paths"]


def test_html_source_bounds_hold_through_the_route(
    live: Live, store: MessageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, http = live
    monkeypatch.setattr(htmlsource, "HIGHLIGHT_CHARS", 10)
    raw = build_mail(html="<p>" + "a" * 100 + "</p>")
    id = store.add(raw, envelope_for(raw)).id
    body = http.get(f"/view/{id}/html-source").json()
    assert body["highlighted"] <= 10
    assert body["tokens"][-1][0] == ""


@pytest.mark.parametrize(
    ("content_type", "filename", "kind", "thumb"),
    [
        ("image/png", "a.png", "image", True),
        ("image/jpeg", "", "image", True),
        ("image/svg+xml", "logo.svg", "image", False),
        ("application/pdf", "a.pdf", "pdf", False),
        ("application/octet-stream", "Report.PDF", "pdf", False),
        ("application/zip", "a.zip", "archive", False),
        ("application/octet-stream", "logs.tar.gz", "archive", False),
        ("text/calendar", "invite.ics", "calendar", False),
        ("application/octet-stream", "invite.ics", "calendar", False),
        ("text/csv", "a.csv", "text", False),
        ("application/json", "a.json", "text", False),
        ("application/octet-stream", "blob.bin", "generic", False),
        ("application/vnd.ms-excel", "a.xls", "generic", False),
    ],
)
def test_attachment_kinds(content_type: str, filename: str, kind: str, thumb: bool) -> None:
    part = Attachment("2", filename, content_type, "", 1)
    assert part_kind(part) == kind
    assert thumbnailed(part) is thumb


def test_a_tag_search_quotes_names_with_spaces() -> None:
    assert tag_search("orders") == "q=tag%3Aorders"
    assert tag_search("shop news") == "q=tag%3A%22shop+news%22"
    assert tag_search("a@b.c") == "q=tag%3Aa%40b.c"


def test_a_message_loaded_as_an_image_is_not_marked_read(live: Live, store: MessageStore) -> None:
    # The inbox's mail frame keeps our origin, so with remote images on a mail can load
    # /api/v1/message/{ID} as an image (pages.mail_html): that must not read the message.
    _, http = live
    raw = build_mail()
    id = store.add(raw, envelope_for(raw)).id
    for dest in ("image", "style", "font", "iframe"):
        assert http.get(f"/api/v1/message/{id}", headers={"Sec-Fetch-Dest": dest}).is_success
        assert store.get(id).read is False, dest
    assert http.get(f"/api/v1/message/{id}", headers={"Sec-Fetch-Dest": "empty"}).is_success
    assert store.get(id).read is True  # fetch(): a reader
    store.mark_read([id], read=False)
    assert http.get(f"/api/v1/message/{id}").is_success  # a program (no Sec-Fetch-*)
    assert store.get(id).read is True
