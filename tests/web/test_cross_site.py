"""Pages on other sites cannot read the mailbox, proven in Debian's Chromium.

An "attacker" page is served by a second loopback server and talks to mailtrap from there:
from `localhost` on another port (same-site: the port is not part of a site) and from
`127.0.0.1` (cross-site, against mailtrap as `localhost`). It tries the two leaks of issue 13:
timing `fetch(no-cors)` to `/api/v1/wait` (a match answers at once, a miss only after the
timeout) and loading a mail's image part as an `<img>` to read its size. A recorder outside
every mailtrap middleware notes what the server answered, and with which Fetch Metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import pytest
from chromium import require_chromium
from fastapi import Request
from liveserver import LiveServer
from mailfactory import deliver, envelope_for
from oneserver import OneResponse

from mailtrap import MemoryStore
from mailtrap.config import Settings
from mailtrap.web import create_app

playwright_api = pytest.importorskip("playwright.sync_api")
require_chromium()  # skips this module where there is none (fails under CI)

# Seconds a wait for a missing mail lasts, were it allowed to run. Chromium resends a request
# answered 408 on a reused connection, so a miss that runs can take a multiple of it.
WAIT = 1.5
CODE = "424242"
PNG = (  # a 1x1 PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)

# Runs in the attacker's page. Times two no-cors fetches and loads three images.
PROBE = """async ({base, id, part}) => {
  const timed = async (url) => {
    const started = performance.now();
    let outcome = "opaque response";
    try { await fetch(url, {mode: "no-cors", cache: "no-store"}); }
    catch (error) { outcome = "network error"; }
    return {ms: performance.now() - started, outcome};
  };
  const image = (url) => new Promise((done) => {
    const img = new Image();
    img.onload = () => done(`${img.naturalWidth}x${img.naturalHeight}`);
    img.onerror = () => done("error");
    img.src = url;
  });
  return {
    match: await timed(`${base}/api/v1/wait?query=${CODE}&timeout=${WAIT}`),
    miss: await timed(`${base}/api/v1/wait?query=999999&timeout=${WAIT}`),
    part: await image(`${base}/api/v1/message/latest/part/${part}`),
    noPart: await image(`${base}/api/v1/message/latest/part/9`),
    preview: await image(`${base}/view/${id}/part/${part}`),
  };
}""".replace("${CODE}", CODE).replace("${WAIT}", str(WAIT))


@dataclass
class Seen:
    """One request as mailtrap received it, and its answer."""

    path: str
    status: int
    site: str | None
    mode: str | None


def another_site() -> OneResponse:
    """Another site on loopback: serves a blank page that the tests then script."""
    page = b"<!doctype html><title>another site</title><p>nothing to see</p>"
    return OneResponse(page, "text/html; charset=utf-8")


class Mailtrap:
    """mailtrap on loopback, reached as `localhost`, holding one mail with a code and a PNG."""

    def __init__(self, settings: Settings) -> None:
        self.store = MemoryStore()
        summary = deliver(
            self.store,
            subject="Sign in",
            text=f"Your code is {CODE}",
            attachments=(("logo.png", "image/png", PNG),),
        )
        self.id = summary.id
        self.part = self.store.get(summary.id).attachments[0].part_id
        self.seen: list[Seen] = []
        app = create_app(self.store, settings)

        @app.middleware("http")  # added last, so outermost: it sees the Guard's refusals too
        async def record(request: Request, call_next: Any) -> Any:
            response = await call_next(request)
            headers = request.headers
            self.seen.append(
                Seen(
                    request.url.path,
                    response.status_code,
                    headers.get("sec-fetch-site"),
                    headers.get("sec-fetch-mode"),
                )
            )
            return response

        self.live = LiveServer(app)
        self.url = f"http://localhost:{self.live.port}"

    def __enter__(self) -> Mailtrap:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def attacker() -> Iterator[OneResponse]:
    with another_site() as server:
        yield server


# `localhost:A` and `localhost:B` are one site (ports do not count); `127.0.0.1` is another.
SITES = [("localhost", "same-site"), ("127.0.0.1", "cross-site")]


@pytest.mark.parametrize(("attacker_host", "relation"), SITES)
def test_another_site_cannot_tell_whether_a_mail_matches(
    page: Any, attacker: OneResponse, attacker_host: str, relation: str
) -> None:
    with Mailtrap(Settings()) as mailtrap:
        page.goto(f"http://{attacker_host}:{attacker.port}/")
        found = page.evaluate(
            PROBE, {"base": mailtrap.url, "id": mailtrap.id, "part": mailtrap.part}
        )
        seen = list(mailtrap.seen)
    # Indistinguishable: both waits end at once the same way, no image loads.
    assert found["match"]["outcome"] == found["miss"]["outcome"], found
    assert found["match"]["ms"] < WAIT * 1000 / 2, found  # a wait that ran would take WAIT s
    assert found["miss"]["ms"] < WAIT * 1000 / 2, found
    assert (found["part"], found["noPart"], found["preview"]) == ("error",) * 3, found
    # And not by luck: Chromium sent every probe (loopback to loopback is not held back by
    # Private/Local Network Access), said where it came from, and mailtrap refused it.
    probes = [s for s in seen if s.path.startswith(("/api/", "/view/"))]
    assert len(probes) == 5, seen
    assert {(s.site, s.status) for s in probes} == {(relation, 403)}, seen


def test_the_same_probes_from_mailtraps_own_pages_still_work(page: Any) -> None:
    with Mailtrap(Settings()) as mailtrap:
        page.goto(mailtrap.url + "/")
        found = page.evaluate(
            PROBE, {"base": mailtrap.url, "id": mailtrap.id, "part": mailtrap.part}
        )
        seen = list(mailtrap.seen)
    # The probe itself can tell: this is the leak the other sites no longer get.
    assert found["match"]["ms"] < WAIT * 1000 / 2 <= found["miss"]["ms"], found
    assert (found["part"], found["noPart"], found["preview"]) == ("1x1", "error", "1x1"), found
    assert {s.site for s in seen} == {"none", "same-origin"}, seen


@pytest.mark.parametrize(("attacker_host", "relation"), SITES)
def test_a_link_from_another_site_opens_the_inbox_but_not_a_mail_download(
    page: Any, attacker: OneResponse, attacker_host: str, relation: str
) -> None:
    with Mailtrap(Settings()) as mailtrap:
        pages = {"/": 200, f"/view/{mailtrap.id}": 200, "/api/v1/message/latest/raw": 403}
        for path, status in pages.items():
            page.goto(f"http://{attacker_host}:{attacker.port}/")
            page.evaluate(LINK, mailtrap.url + path)
            with page.expect_navigation() as navigation:
                page.click("#go")
            response = navigation.value
            assert response.status == status, (path, response.text())
            if status == 200:
                assert page.title().endswith("mailtrap"), path
            else:
                assert "--api-cors" in response.json()["detail"]
        seen = {(s.path, s.site, s.mode, s.status) for s in mailtrap.seen}
    assert {(path, relation, "navigate", status) for path, status in pages.items()} <= seen


LINK = """(url) => {
  const a = Object.assign(document.createElement("a"), {href: url, id: "go", textContent: "go"});
  document.body.append(a);
}"""


def test_an_api_cors_origin_still_reads_the_api(page: Any, attacker: OneResponse) -> None:
    origin = f"http://localhost:{attacker.port}"
    with Mailtrap(Settings(api_cors=(origin,))) as mailtrap:
        page.goto(origin + "/")
        body = page.evaluate(
            "async (base) => (await fetch(`${base}/api/v1/messages`)).json()", mailtrap.url
        )
        assert body["total"] == 1
        assert body["messages"][0]["Subject"] == "Sign in"
        assert mailtrap.seen[-1].site == "same-site"
        assert mailtrap.seen[-1].status == 200


def test_inline_images_still_show_in_the_sandboxed_mail(page: Any) -> None:
    # The mail's CSP allows no image of ours ('self' is not in its img-src), and a sandboxed
    # page in an opaque origin (Mailpit's /view/{ID}.html) counts as another site: its cid:
    # images must need no request.
    html = MIMEText('<p>hi</p><img id="logo" src="cid:logo@x">', "html")
    image = MIMEImage(PNG, "png")
    image["Content-ID"] = "<logo@x>"
    related = MIMEMultipart("related", _subparts=[html, image])
    related["Subject"], related["From"], related["To"] = "Logo", "a@example.com", "b@example.com"
    with Mailtrap(Settings()) as mailtrap:
        id = mailtrap.store.add(related.as_bytes(), envelope_for(related.as_bytes())).id
        page.goto(f"{mailtrap.url}/view/{id}")
        logo = page.frame_locator("#html-frame").locator("#logo")
        playwright_api.expect(logo).to_have_js_property("naturalWidth", 1)


def test_a_site_that_opens_the_inbox_gets_no_handle_on_it(page: Any, attacker: OneResponse) -> None:
    with Mailtrap(Settings()) as mailtrap:
        page.goto(f"http://127.0.0.1:{attacker.port}/")
        with page.context.expect_page() as opened:
            page.evaluate("(url) => { window.inbox = window.open(url); }", mailtrap.url + "/")
        opened.value.wait_for_load_state()
        assert opened.value.title().endswith("mailtrap")
        # Cross-Origin-Opener-Policy: the opener's handle is severed, so it cannot count the
        # inbox's frames or watch it navigate.
        assert page.evaluate("window.inbox.closed") is True
