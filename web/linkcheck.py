"""`GET /api/v1/message/{ID}/link-check?follow=`: Mailpit's link check (mailtrap.checks.links).

Async, so the requests of one check run side by side on the event loop; the parse of the
message and the search for its links (CPU work) run on the thread pool. Internal addresses are
refused unless the server runs with `--allow-internal-http-requests` (`WebOptions`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from mailtrap.checks.linkextract import extract_links
from mailtrap.checks.links import LinkCheckOptions, LinkReport, check_links
from mailtrap.web.deps import NOT_FOUND, MessageReader, Options, Parsed, error
from mailtrap.web.latest import MessageID

__all__ = ["LinkCheckOut", "LinkOut"]

router = APIRouter(prefix="/api/v1/message", tags=["message"])

# What Mailpit's clients send (mailpit-api: `follow=false` by default); Mailpit itself reads
# "true" and "1" as yes and anything else as no, but a typo here is better a 400 than a no.
_FOLLOW = {"true": True, "1": True, "false": False, "0": False, "": False}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkOut(_Out):
    """One link: its final HTTP status and phrase, or `StatusCode` 0 and why there is none;
    451 "Blocked private/reserved address..." when it is internal and not allowed."""

    URL: str
    StatusCode: int
    Status: str


class LinkCheckOut(_Out):
    """Mailpit's `LinkCheckResponse`: `Errors` counts links with no answer or a status of 400
    or more."""

    Errors: int
    Links: list[LinkOut]


def _links(message: MessageReader, id: str) -> list[str]:
    m = message(id)
    return extract_links(m.html, m.text)


@router.get(
    "/{id}/link-check",
    summary="Check the message's links",
    responses={**NOT_FOUND, 400: error("`follow` is not true or false")},
)
async def link_check(
    message: Parsed,
    options: Options,
    id: MessageID,
    follow: Annotated[
        str, Query(description="follow redirects (`true`/`false`; `1`/`0`)")
    ] = "false",
) -> LinkCheckOut:
    """Requests every http(s) link and image of the HTML and text bodies (the first 100
    distinct ones): HEAD, then GET when HEAD gets an error; at most 8 at once, 10 s each, 30 s
    in all. Redirects count as their own 3xx unless `follow=true`, which follows up to 5."""
    follow_redirects = _FOLLOW.get(follow.strip().lower())
    if follow_redirects is None:
        raise HTTPException(400, f"follow={follow!r} is not a yes or no; use true or false")
    urls = await run_in_threadpool(_links, message, id)
    settings = LinkCheckOptions(allow_internal=options.allow_internal_http_requests)
    report = await check_links(urls, follow=follow_redirects, options=settings)
    return _out(report)


def _out(report: LinkReport) -> LinkCheckOut:
    links = [LinkOut(URL=r.url, StatusCode=r.status_code, Status=r.status) for r in report.links]
    return LinkCheckOut(Errors=report.errors, Links=links)
