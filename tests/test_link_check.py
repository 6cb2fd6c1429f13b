"""The link check's core (mailtrap.checks): which links a message has, and what each answers,
requested over real HTTP(S) from a local site (tests/support/linkserver.py); and its SSRF guard,
which refuses internal addresses, by name, by redirect and by DNS answers that change."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from linkserver import SLOW, LinkSite

from mailtrap.checks.addresses import IPAddress, is_internal, resolve
from mailtrap.checks.linkextract import MAX_LINKS, MAX_URL_CHARS, extract_links
from mailtrap.checks.links import BLOCKED_STATUS, LinkCheckOptions, LinkReport, check_links

ALLOW = LinkCheckOptions(allow_internal=True, timeout=2, budget=10)
# A second loopback address (Linux routes all of 127.0.0.0/8 to lo) that the tests call
# public: it stands for an ordinary website, which a test cannot reach without a network.
PUBLIC = ipaddress.ip_address("127.0.0.2")


def _public_site_internal(address: IPAddress) -> bool:
    return address != PUBLIC and is_internal(address)


@pytest.fixture
def site() -> Iterator[LinkSite]:
    with LinkSite() as served:
        yield served


@pytest.fixture
def public_site() -> Iterator[LinkSite]:
    with LinkSite(str(PUBLIC)) as served:
        yield served


class Names:
    """A resolver that knows the names it is given (others go to the system's), and counts
    its lookups."""

    def __init__(self, **names: list[str]) -> None:
        self.names = {k.replace("_", "."): v for k, v in names.items()}
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        if host not in self.names:
            return await resolve(host, port)
        return [ipaddress.ip_address(a) for a in self.names[host]]


def run(urls: list[str], *, follow: bool = False, **options: Any) -> LinkReport:
    """`check_links` with `ALLOW`'s settings, changed by `options`."""
    settings = dataclasses.replace(ALLOW, **options)
    return asyncio.run(check_links(urls, follow=follow, options=settings))


def statuses(report: LinkReport) -> list[tuple[int, str]]:
    return [(link.status_code, link.status) for link in report.links]


# --- with internal addresses allowed: what each kind of answer becomes -------------------------


def test_statuses_and_errors_as_mailpit_counts_them(site: LinkSite) -> None:
    urls = [site.url("/ok"), site.url("/missing"), site.url("/broken")]
    report = run(urls)
    assert [link.url for link in report.links] == urls
    assert statuses(report) == [(200, "OK"), (404, "Not Found"), (500, "Internal Server Error")]
    assert report.errors == 2


def test_head_first_then_get_when_head_gets_an_error(site: LinkSite) -> None:
    report = run([site.url("/ok"), site.url("/no-head")])
    assert statuses(report) == [(200, "OK"), (200, "OK")]
    methods = sorted((m, p) for m, p, _ in site.requests)
    assert methods == [("GET", "/no-head"), ("HEAD", "/no-head"), ("HEAD", "/ok")]


def test_a_redirect_is_its_own_status_unless_followed(site: LinkSite) -> None:
    chain = site.url("/chain/3")
    assert statuses(run([chain])) == [(302, "Found")]
    assert run([chain]).errors == 0  # a redirect is no error, as in Mailpit
    assert statuses(run([chain], follow=True)) == [(200, "OK")]
    hops = [p for _, p, _ in site.requests if p.startswith("/chain/")]
    assert hops[-4:] == ["/chain/3", "/chain/2", "/chain/1", "/chain/0"]


def test_too_many_redirects_is_an_error(site: LinkSite) -> None:
    report = run([site.url("/chain/4")], follow=True, max_redirects=3)
    assert statuses(report) == [(0, "stopped after 3 redirects")]
    assert report.errors == 1


def test_a_slow_server_times_out_and_the_check_still_answers(site: LinkSite) -> None:
    started = time.monotonic()
    report = run([site.url("/slow"), site.url("/ok")], timeout=0.5)
    assert time.monotonic() - started < SLOW / 2
    assert statuses(report) == [(0, "timed out: no answer within 0.5 s"), (200, "OK")]
    assert report.errors == 1


def test_the_budget_ends_the_whole_check(site: LinkSite) -> None:
    started = time.monotonic()
    report = run([site.url(f"/slow?{n}") for n in range(4)], timeout=SLOW * 2, budget=0.5)
    assert time.monotonic() - started < SLOW / 2
    assert {s for s in statuses(report)} == {
        (0, "not checked: the link check's 0.5 s budget ran out")
    }


def test_requests_run_at_most_concurrency_at_once(site: LinkSite) -> None:
    started = time.monotonic()
    report = run([site.url(f"/slow?{n}") for n in range(6)], timeout=0.4, concurrency=2)
    # Three rounds of two: at least 1.2 s, where six at once would take 0.4 s.
    assert time.monotonic() - started >= 1.1
    assert report.errors == 6


def test_what_cannot_be_fetched_says_why(site: LinkSite) -> None:
    closed = LinkSite()  # bound, then closed: nothing listens on its port
    with closed:
        pass
    report = run(
        [
            "ftp://example.com/file",
            closed.url("/ok"),
            "http://no-such-host.invalid/",
            site.url("/to?url=ftp://example.com/"),
            "http://[::1",
        ],
        follow=True,
    )
    codes = [link.status_code for link in report.links]
    assert codes == [0, 0, 0, 0, 0]
    ftp, refused, unknown, redirect, invalid = (link.status for link in report.links)
    assert invalid.startswith("invalid URL: http://[::1 (")
    assert ftp == "not checked: ftp://example.com/file is not an http or https URL"
    assert "connect" in refused or "refused" in refused
    assert unknown.startswith("no such host: no-such-host.invalid")
    assert redirect == "not checked: redirect to ftp://example.com/ is not an http or https URL"
    assert report.errors == 5


def test_the_request_goes_to_the_checked_address_with_the_name_kept(site: LinkSite) -> None:
    names = Names(app_test=["127.0.0.1"])
    report = run([site.url("/ok", host="app.test")], resolver=names)
    assert statuses(report) == [(200, "OK")]
    assert names.lookups == ["app.test"]  # resolved once, by us: the client got the address
    assert site.requests == [("HEAD", "/ok", f"app.test:{site.port}")]


def test_tls_is_verified_for_the_name_not_the_address(tmp_path: object) -> None:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("secure.test").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    with LinkSite(tls=server) as secure:
        names = Names(secure_test=["127.0.0.1"])
        by_name, by_address = run(
            [secure.url("/ok", host="secure.test"), secure.url("/ok")],
            resolver=names,
            ssl_context=client,
        ).links
    assert (by_name.status_code, by_name.status) == (200, "OK")
    assert by_address.status_code == 0
    assert "certificate" in by_address.status.lower()


# --- by default: internal addresses are refused, however they are reached --------------------


def _blocked(report: LinkReport) -> list[bool]:
    return [
        link.status_code == BLOCKED_STATUS and "private/reserved" in link.status
        for link in report.links
    ]


def test_loopback_is_refused_by_address_and_by_name(site: LinkSite) -> None:
    names = Names(app_test=["127.0.0.1"])
    urls = [site.url("/ok"), site.url("/ok", host="localhost"), site.url("/ok", host="app.test")]
    report = run(urls, allow_internal=False, resolver=names)
    assert _blocked(report) == [True, True, True]
    assert report.errors == 3
    assert "localhost is 127.0.0.1" in report.links[1].status or "::1" in report.links[1].status
    assert "--allow-internal-http-requests" in report.links[0].status
    assert site.requests == []


def test_localhost_is_refused_with_the_real_resolver(site: LinkSite) -> None:
    report = asyncio.run(check_links([site.url("/ok", host="localhost")]))
    assert _blocked(report) == [True]
    assert site.requests == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "0.0.0.0", "[::]"])
def test_other_spellings_of_this_machine_are_refused(site: LinkSite, host: str) -> None:
    """The resolver reads old IPv4 forms (a decimal number, hex, short) as inet_aton does: the
    check is on what it answers, so every spelling is caught."""
    report = asyncio.run(check_links([site.url("/ok", host=host)]))
    assert _blocked(report) == [True], report
    assert site.requests == []


def test_a_redirect_from_an_allowed_host_to_loopback_is_refused(
    site: LinkSite, public_site: LinkSite
) -> None:
    names = Names(public_test=[str(PUBLIC)])
    urls = [
        public_site.url(f"/to?url={site.url('/ok')}", host="public.test"),
        public_site.url(f"/to?url={site.url('/ok', host='localhost')}", host="public.test"),
        public_site.url("/ok", host="public.test"),
    ]
    options: dict[str, Any] = {
        "allow_internal": False,
        "resolver": names,
        "internal": _public_site_internal,
    }
    followed = run(urls, follow=True, **options)
    assert _blocked(followed) == [True, True, False]
    assert followed.links[2].status_code == 200
    assert statuses(run(urls[:1], **options)) == [(302, "Found")]  # not followed: not fetched
    assert site.requests == []


def test_every_address_of_a_name_is_checked(site: LinkSite, public_site: LinkSite) -> None:
    names = Names(mixed_test=[str(PUBLIC), "127.0.0.1"])
    options: dict[str, Any] = {
        "allow_internal": False,
        "resolver": names,
        "internal": _public_site_internal,
    }
    report = run([public_site.url("/ok", host="mixed.test")], **options)
    assert _blocked(report) == [True]
    assert public_site.requests == []


def test_dns_rebinding_cannot_move_the_request_inside(public_site: LinkSite) -> None:
    """The name answers a public address, then loopback: the request goes to the address that
    was checked, and the name is never looked up again."""
    answers = [[str(PUBLIC)], ["127.0.0.1"]]
    lookups: list[str] = []

    async def rebinding(host: str, port: int) -> list[IPAddress]:
        lookups.append(host)
        return [ipaddress.ip_address(a) for a in answers[min(len(lookups), 2) - 1]]

    options: dict[str, Any] = {
        "allow_internal": False,
        "resolver": rebinding,
        "internal": _public_site_internal,
    }
    report = run([public_site.url("/missing", host="rebind.test")], **options)
    # HEAD and then GET (after the 404): two requests, one lookup, both at the checked address.
    assert statuses(report) == [(404, "Not Found")]
    assert lookups == ["rebind.test"]
    assert [m for m, _, _ in public_site.requests] == ["HEAD", "GET"]


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("fe80::1", True),
        ("fc00::1", True),
        ("fec0::1", True),  # deprecated site-local
        ("100.64.0.1", True),  # CGNAT
        ("0.0.0.0", True),
        ("::", True),
        ("224.0.0.1", True),
        ("239.255.255.250", True),
        ("ff02::1", True),
        ("192.0.2.1", True),  # documentation
        ("240.0.0.1", True),  # reserved
        ("::ffff:127.0.0.1", True),  # IPv4-mapped
        ("::ffff:169.254.169.254", True),
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),  # Teredo (client 127.0.0.1)
        ("2620:0:1cfe:face:0:5efe:a00:1", True),  # ISATAP of 10.0.0.1
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_which_addresses_are_internal(address: str, internal: bool) -> None:
    assert is_internal(ipaddress.ip_address(address)) is internal


# --- which links a message has ------------------------------------------------------------------

HTML = """<html><head>
<link rel=stylesheet href="http://remote-host/style.css">
<script async src="https://www.googletagmanager.com/gtag/js?id=ignored"></script>
</head><body>
<p><a href="http://example.com">HTTP link</a> <a href=" https://example.com ">HTTPS</a>
<a href="HTTPS://EXAMPLE.COM">upper</a> <a href='https://127.0.0.1'>single quotes</a>
<p><img src=https://example.com/image.jpg> <img src="cid:logo"> <a href="mailto:a@b.c">m</a>
<a href="/relative">r</a> <p href="http://not-a-link.example">p</p>
<a href="http://example.com/?a=yes&amp;b=true">entities</a>
<a href="http://example.com">again</a>
</body></html>"""

TEXT = """A line with http://example.com and https://example.com
HTTPS://EXAMPLE.COM
[http://localhost]
www.no-scheme.example is no link
|||http://example.com/?some=query-string|||
<https://example.com/ link with
spaces>
"""


def test_html_links_then_stylesheets_then_images_each_once() -> None:
    assert extract_links(HTML, "") == [
        "http://example.com",
        "https://example.com",
        "HTTPS://EXAMPLE.COM",
        "https://127.0.0.1",
        "http://example.com/?a=yes&b=true",
        "http://remote-host/style.css",
        "https://example.com/image.jpg",
    ]


def test_text_links_bare_then_in_angle_brackets() -> None:
    assert extract_links("", TEXT) == [
        "http://example.com",
        "https://example.com",
        "HTTPS://EXAMPLE.COM",
        "http://localhost",
        "http://example.com/?some=query-string",
        "https://example.com/ link withspaces",
    ]


def test_html_first_then_text_without_repeats() -> None:
    links = extract_links(
        '<a href="http://a.example/">a</a>', "http://a.example/ http://b.example/"
    )
    assert links == ["http://a.example/", "http://b.example/"]


def test_at_most_max_links_and_the_html_comes_first() -> None:
    html = "".join(f'<a href="http://example.com/{n}">l</a>' for n in range(MAX_LINKS + 50))
    text = " ".join(f"http://text.example/{n}" for n in range(100))
    links = extract_links(html, text)
    assert len(links) == MAX_LINKS
    assert not any(link.startswith("http://text.example/") for link in links)
    assert len(extract_links("", text, limit=7)) == 7


def test_hostile_text_is_searched_in_linear_time() -> None:
    """Never-closed "<http://" after "<http://": a bracket pattern that rescans to the end from
    each one took minutes on this 1.8 MB text."""
    started = time.monotonic()
    assert extract_links("", "<http://a" * 200_000) == []
    assert time.monotonic() - started < 5


def test_an_overlong_url_is_reported_not_fetched(site: LinkSite) -> None:
    long = site.url("/ok?" + "a" * MAX_URL_CHARS)
    report = run([long, site.url(f"/to-long?n={MAX_URL_CHARS}")], follow=True)
    over = f"a URL of {len(long):,} characters (over {MAX_URL_CHARS:,})"
    assert statuses(report) == [
        (0, f"not checked: {over}"),
        (0, f"not checked: redirect to {over}"),
    ]
    assert [p for _, p, _ in site.requests] == [f"/to-long?n={MAX_URL_CHARS}"]


@pytest.mark.parametrize(
    "html",
    ["<a href=", "<<<>>>", "<a href='http://x.example/'", "\x00<img src=http://y.example/>", ""],
)
def test_malformed_html_still_gives_links(html: str) -> None:
    assert isinstance(extract_links(html, "see http://z.example/"), list)
    assert "http://z.example/" in extract_links(html, "see http://z.example/")
