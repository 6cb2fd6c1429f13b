"""Mailpit's link check: does each link of a message answer, and with what status?

`check_links(urls, ...)` requests every URL (at most `LinkCheckOptions.concurrency` at once):
HEAD first, and GET when HEAD is answered with an error (some servers refuse or mishandle
HEAD; the body of the GET is never read). The result is Mailpit's: one `LinkResult` per URL,
in order, and `errors`, how many answered 400 or more or not at all (`status_code` 0).

Bounded: each request by `timeout` (connect to last header byte, whatever the server's pace),
the whole check by `budget` (what is unfinished then is reported as not checked), redirects by
`max_redirects`, URLs by `MAX_URL_CHARS` (a longer one is reported, not requested).

Safe by default (see mailtrap.checks.addresses): only http and https URLs are fetched; every
hop's host is resolved once and each of its addresses checked; the request then goes to one of
those checked addresses (the URL's host replaced by it), with the name kept in `Host` and in TLS
(SNI and certificate verification are for the name). Internal addresses are refused with
Mailpit's 451 "Blocked private/reserved address" unless `allow_internal`. Redirects are never
left to the HTTP client: each hop goes through the same checks. No proxy from the environment
is used (`trust_env=False`): a proxy would resolve the name itself, after the check. No
connection is kept alive, so one made for a name is never reused for another name at the same
address.
"""

from __future__ import annotations

import asyncio
import http
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from mailtrap._version import __version__
from mailtrap.checks.addresses import (
    InternalAddress,
    IPAddress,
    Resolver,
    UnknownHost,
    is_internal,
    resolve,
    resolve_checked,
)
from mailtrap.checks.linkextract import MAX_URL_CHARS

__all__ = ["BLOCKED_STATUS", "LinkCheckOptions", "LinkReport", "LinkResult", "check_links"]

_log = logging.getLogger(__name__)
BLOCKED_STATUS = 451  # Mailpit's code for a refused internal address (pytest-mailpit reads it)
_BLOCKED = "Blocked private/reserved address"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class LinkResult:
    """One URL's outcome: its final HTTP status and that status's phrase, or `status_code` 0
    and a `status` saying why there is none (timed out, no such host, ...)."""

    url: str
    status_code: int
    status: str

    @property
    def error(self) -> bool:
        """As Mailpit counts errors: no answer, or a status of 400 or more."""
        return self.status_code == 0 or self.status_code >= 400


@dataclass(frozen=True, slots=True)
class LinkReport:
    """The results in the order of the URLs, and how many are errors."""

    links: tuple[LinkResult, ...]

    @property
    def errors(self) -> int:
        return sum(link.error for link in self.links)


@dataclass(frozen=True, slots=True)
class LinkCheckOptions:
    """How a check runs. `allow_internal`: fetch loopback, private and link-local addresses
    too (`--allow-internal-http-requests`). `timeout`: seconds per request; `budget`: seconds
    for the whole check; `concurrency`: requests at once; `max_redirects`: hops followed when
    following. `ssl_context`: whom HTTPS trusts (default: httpx's, certifi's CAs). `resolver`: how
    names become addresses, and `internal` which addresses are refused (tests put names and
    servers of their own there)."""

    allow_internal: bool = False
    timeout: float = 10.0
    budget: float = 30.0
    concurrency: int = 8
    max_redirects: int = 5
    ssl_context: ssl.SSLContext | None = None
    resolver: Resolver = field(default=resolve)
    internal: Callable[[IPAddress], bool] = field(default=is_internal)


class _Stop(Exception):
    """This URL's check ends here, with this outcome (refused, failed, or not fetchable)."""

    def __init__(self, status_code: int, status: str) -> None:
        super().__init__(status)
        self.status_code = status_code
        self.status = status


async def check_links(
    urls: list[str], *, follow: bool = False, options: LinkCheckOptions | None = None
) -> LinkReport:
    """Check each of `urls` (distinct, as `extract_links` gives them). With `follow`,
    redirects are followed and the last status counts; without, a redirect is its own 3xx."""
    options = options or LinkCheckOptions()
    if not urls:
        return LinkReport(())
    limit = asyncio.Semaphore(options.concurrency)
    deadline = time.monotonic() + options.budget
    # Loading the CA bundle takes tens of milliseconds of CPU: not on the event loop.
    verify = options.ssl_context
    if verify is None:
        verify = await asyncio.to_thread(httpx.create_ssl_context)
    async with httpx.AsyncClient(
        verify=verify,
        trust_env=False,
        follow_redirects=False,
        timeout=options.timeout,
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={"User-Agent": f"mailtrap/{__version__} link check"},
    ) as client:
        checker = _Checker(client, options, follow)

        async def one(url: str) -> LinkResult:
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    async with limit:
                        return await checker.check(url)
            except TimeoutError:
                why = f"not checked: the link check's {options.budget:g} s budget ran out"
                return LinkResult(url, 0, why)
            except Exception as exc:  # one odd link must not cost the others their results
                _log.exception("link check of %r failed", url)
                return LinkResult(url, 0, f"not checked: {type(exc).__name__}: {exc}")

        results = await asyncio.gather(*(one(url) for url in urls))
    return LinkReport(tuple(results))


class _Checker:
    def __init__(self, client: httpx.AsyncClient, options: LinkCheckOptions, follow: bool):
        self._client = client
        self._options = options
        self._follow = follow

    async def check(self, url: str) -> LinkResult:
        """`url`'s outcome, following its redirects when asked."""
        try:
            target = _parse(url)
            for _ in range(self._options.max_redirects + 1):
                status, location = await self._hop(target)
                if not (self._follow and status in _REDIRECTS and location):
                    return LinkResult(url, status, _phrase(status))
                target = _parse(_join(target, location), redirect=True)
            raise _Stop(0, f"stopped after {self._options.max_redirects} redirects")
        except _Stop as stop:
            return LinkResult(url, stop.status_code, stop.status)

    async def _hop(self, url: httpx.URL) -> tuple[int, str]:
        """One URL's status and Location: HEAD, then GET if HEAD got an error."""
        port = url.port or (443 if url.scheme == "https" else 80)
        host = url.raw_host.decode("ascii")
        try:
            async with asyncio.timeout(self._options.timeout):  # DNS counts against it too
                addresses = await resolve_checked(
                    host,
                    port,
                    allow_internal=self._options.allow_internal,
                    resolver=self._options.resolver,
                    internal=self._options.internal,
                )
        except InternalAddress as exc:
            fix = "start mailtrap with --allow-internal-http-requests to check it"
            raise _Stop(BLOCKED_STATUS, f"{_BLOCKED}: {exc}; {fix}") from None
        except UnknownHost as exc:
            raise _Stop(0, str(exc)) from None
        except TimeoutError:
            raise _Stop(0, f"no such host: {host} (DNS took over {self._timeout})") from None
        status, location = await self._request("HEAD", url, addresses)
        if status >= 400:
            status, location = await self._request("GET", url, addresses)
        return status, location

    @property
    def _timeout(self) -> str:
        return f"{self._options.timeout:g} s"

    async def _request(
        self, method: str, url: httpx.URL, addresses: list[IPAddress]
    ) -> tuple[int, str]:
        """`method` `url`, sent to the first of `addresses` that takes the connection."""
        headers = {"Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        refused = "connection refused"
        for address in addresses:
            request = self._client.build_request(
                method, url.copy_with(host=str(address)), headers=headers, extensions=extensions
            )
            try:
                async with asyncio.timeout(self._options.timeout):
                    response = await self._client.send(request, stream=True)
                    await response.aclose()  # the status is all we want, never the body
            except TimeoutError:
                raise _Stop(0, f"timed out: no answer within {self._timeout}") from None
            except httpx.ConnectError as exc:
                refused = _reason(exc, "connection refused")
                continue  # the name's next checked address, as a browser would try it
            except httpx.TimeoutException:
                raise _Stop(0, f"timed out: no answer within {self._timeout}") from None
            except httpx.HTTPError as exc:
                raise _Stop(0, _reason(exc, type(exc).__name__)) from None
            return response.status_code, response.headers.get("location", "")
        raise _Stop(0, refused)


def _parse(url: str, *, redirect: bool = False) -> httpx.URL:
    """`url` as an httpx URL, or _Stop saying why it cannot be fetched."""
    where = "redirect to " if redirect else ""
    if len(url) > MAX_URL_CHARS:
        why = f"not checked: {where}a URL of {len(url):,} characters (over {MAX_URL_CHARS:,})"
        raise _Stop(0, why)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise _Stop(0, f"invalid URL: {where}{url} ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise _Stop(0, f"not checked: {where}{url} is not an http or https URL")
    if not parsed.raw_host:
        raise _Stop(0, f"invalid URL: {where}{url} has no host")
    return parsed


def _join(base: httpx.URL, location: str) -> str:
    """A redirect's `location` (relative or absolute) as an absolute URL, or _Stop."""
    try:
        return str(base.join(location))
    except (httpx.InvalidURL, ValueError) as exc:
        raise _Stop(0, f"invalid URL: redirect to {location} ({exc})") from None


def _phrase(status: int) -> str:
    """The status's reason phrase, as Go's http.StatusText gives it ("" for unknown codes)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reason(exc: Exception, fallback: str) -> str:
    """The last, most specific part of an error message ("[Errno 111] Connection refused")."""
    text = str(exc).strip()
    return text.rsplit("] ", 1)[-1].strip().lower() if text else fallback
