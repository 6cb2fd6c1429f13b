"""The browser inbox: server-rendered pages, and the sandboxed endpoints that show mail HTML.

Safety, in layers:
- every string from a message reaches the page through Jinja2 autoescaping (or, in the
  scripts, `textContent`);
- app pages carry a CSP whose only allowed scripts are ours, by per-request nonce;
- mail HTML is served from its own endpoint under `sandbox` (no scripts, no forms, no top
  navigation) and `default-src 'none'`, shown in an `<iframe sandbox>`; remote images load
  only when the user asks, per message. The inbox's frame alone is also `allow-same-origin`,
  so that the page can read the mail's height and grow the frame to it (`mail_html`);
- that HTML is rewritten first (`mailhtml`) to name no frame source, resource hint, refresh or
  base URL, which Chromium would connect to despite the CSP.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import AfterValidator

from mailtrap._version import __version__
from mailtrap.message.models import Message
from mailtrap.message.search import QueryError
from mailtrap.storage.base import MAX_START, Page
from mailtrap.web.deps import Parsed, Store, app_context
from mailtrap.web.mailhtml import served_html
from mailtrap.web.messagepage import (
    PREVIEWABLE,
    check_tabs,
    part_kind,
    previewable,
    tag_search,
    thumbnailed,
)
from mailtrap.web.navigation import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    list_query,
    place,
    tag_query,
)
from mailtrap.web.paths import root_of

router = APIRouter(include_in_schema=False)

# Characters of data: URIs one served mail HTML may embed: more than the largest message.
EMBED_LIMIT = 64 * 1024 * 1024
_CID = re.compile(r"""cid:([^"'\s)>]+)""", re.IGNORECASE)
# No 'self' in img-src: `cid:` images are embedded, so the mail needs nothing of ours, and
# with remote images off it fetches nothing at all (see `mail_html` for why that matters).
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:{remote}; "
    "sandbox; frame-ancestors 'self'"
)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} kB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _thousands(n: int) -> str:
    """`n` with thousands separators, "1,234", as the scripts' `Intl.NumberFormat("en-US")`
    writes it: the page is in English, so a count drawn here and one updated live agree."""
    return f"{n:,}"


templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("mailtrap.web", "templates"),
        autoescape=select_autoescape(default=True),
    )
)
templates.env.globals.update(
    size=_size,
    version=__version__,
    part_kind=part_kind,
    thumbnailed=thumbnailed,
    previewable=previewable,
    tag_search=tag_search,
    tag_query=tag_query,
)
templates.env.filters["thousands"] = _thousands


def page_csp(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'self'"
    )


def _render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    app = app_context(request)
    context = {
        "nonce": nonce,
        "query": "",
        "limit": DEFAULT_PAGE_SIZE,
        "default_limit": DEFAULT_PAGE_SIZE,
        "smtp": "{}:{}".format(*app.options.smtp),
        # Every page's title counts the unread mail (`static/live.js` keeps it current).
        "unread": app.store.count(unread=True),
        # Every URL in a page is this path plus a route, never absolute: Starlette's url_for
        # names the scheme of the hop the request came by, which behind a proxy that
        # terminates TLS is http: and the browser blocks it as mixed content.
        "root": root_of(request.scope),
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Content-Security-Policy"] = page_csp(nonce)
    return response


def _page_size(n: int) -> int:
    if n not in PAGE_SIZES:
        *most, last = PAGE_SIZES
        raise ValueError(f"a list page has {', '.join(map(str, most))} or {last} rows, not {n}")
    return n


Q = Annotated[str, Query(max_length=1000, description="the search of the list, if any")]
Start = Annotated[int, Query(ge=0, le=MAX_START, description="the first row of the list page")]
Limit = Annotated[int, Query(description="rows a list page"), AfterValidator(_page_size)]


@router.get("/", response_class=HTMLResponse)
def inbox(
    request: Request, store: Store, q: Q = "", start: Start = 0, limit: Limit = DEFAULT_PAGE_SIZE
) -> HTMLResponse:
    """The inbox, or a search's matches, `limit` rows from row `start`, beside the sidebar:
    the mailbox's counts, its tags and the server's particulars. Each of those is one cheap
    query (counters kept by triggers, the tags table), so the page stays fast at 100,000
    messages (`benchmarks/inbox_page.py`)."""
    error = ""
    try:
        page = store.search(q, start, limit) if q.strip() else store.list(start, limit)
    except QueryError as exc:
        page, error = Page((), 0, 0, 0), str(exc)
    return _render(
        request,
        "inbox.html",
        {
            "messages": page.messages,
            "total": page.total,  # of the list shown: the mailbox, or the search's matches
            "list_unread": page.unread,
            "mailbox": store.count(),
            "tags": store.tags(),
            "db_size": store.storage_size(),
            "start": start,
            "limit": limit,
            "page_sizes": PAGE_SIZES,
            "query": q,
            "error": error,
            "page_query": lambda to: list_query(q, to, limit),
            "list_link": lambda q: list_query(q, 0, limit),
            # Each message's page names this list, to walk it and come back to it.
            "context": list_query(q, start, limit),
            "live": not q.strip() and start == 0,
        },
        # The page still shows the form and the reason, but answers 400 like the API does.
        status_code=400 if error else 200,
    )


@router.get("/view/{id}", response_class=HTMLResponse)
def view(
    request: Request,
    store: Store,
    message: Parsed,
    id: str,
    *,
    q: Q = "",
    start: Start = 0,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> HTMLResponse:
    """The message page. The raw source, the text and the HTML source are not in it: the page
    fetches them when their tab is opened, so a large message's page stays small
    (`static/message.js`)."""
    m = message(id)
    tabs = [("html", "HTML"), ("html-source", "HTML source")] if m.html else []
    tabs += [("text", "Text"), ("headers", "Headers"), ("source", "Source")]
    parts = [*m.attachments, *m.inline]
    tabs.append(("attachments", f"Attachments ({len(parts)})"))
    tabs += check_tabs(m, spam=app_context(request).options.spamassassin is not None)
    return _render(
        request,
        "message.html",
        {
            "m": m,
            "tabs": tabs,
            "parts": parts,
            "query": q,
            "limit": limit,
            "at": place(store, id, q, start, limit),
            # The Release action is there only when a relay is (static/release.js).
            "relay": app_context(request).options.relay,
        },
    )


def not_found_page(request: Request, what: str) -> HTMLResponse:
    """The 404 page for a browser: `what` was not found (a sentence without its full stop)."""
    return _render(request, "notfound.html", {"what": what}, status_code=404)


@router.get("/view/{id}/html")
def mail_html(message: Parsed, id: str, remote: bool = False) -> Response:
    """The message's HTML body, sandboxed and rewritten to connect nowhere on opening (see
    `mailhtml`); the stored message is unchanged. `cid:` images are embedded as `data:` URIs,
    up to `EMBED_LIMIT` characters in all, so that the mail needs no request of ours (its CSP
    allows none, below; and Mailpit's `/view/{ID}.html`, in an opaque origin, would count as
    another site, which mailtrap refuses: `fetch_metadata`).
    Its links open in new tabs, so the preview stays where it is (`mailhtml.NEW_TABS_BASE`).

    The sandbox lifts `allow-same-origin` too (here, and on the page's `<iframe>`), never
    `allow-scripts`: the page reads the mail's height from its document, which it could not
    do across an opaque origin. The mail still runs no script (the sandbox and CSP each
    forbid it), submits no form and navigates nothing but new tabs. What the mail gains is our
    origin for its own requests, and it makes none: no 'self' in img-src, frames, fonts and
    stylesheets none or inline. With remote images on, `http:` takes in our origin too, so
    an image load could GET our API; the one GET that changes anything, a message read, does
    not mark it read when a browser loads it as an image (`message.get_message`)."""
    return mail_html_response(message(id), remote=remote, new_tabs=True, same_origin=True)


def mail_html_response(
    m: Message, *, remote: bool, new_tabs: bool = False, same_origin: bool = False
) -> Response:
    """`m`'s HTML as `mail_html` serves it; `new_tabs` opens its links in new tabs (and lets
    the sandbox open them: `allow-popups`, escaping the sandbox, but still no script);
    `same_origin` lets the sandboxed document keep our origin (`mail_html` says why)."""
    by_cid = {p.content_id: p for p in (*m.inline, *m.attachments) if p.content_id}

    embedded: dict[str, str] = {}
    budget = [EMBED_LIMIT]  # a hostile mail may refer to one large image thousands of times

    def resolve(match: re.Match[str]) -> str:
        part = by_cid.get(match.group(1)) or by_cid.get(unquote(match.group(1)))
        if part is None or not PREVIEWABLE.fullmatch(part.content_type):
            return match.group(0)
        if part.part_id not in embedded:
            encoded = base64.b64encode(part.data).decode()
            embedded[part.part_id] = f"data:{part.content_type};base64,{encoded}"
        uri = embedded[part.part_id]
        if len(uri) > budget[0]:
            return match.group(0)  # shown as a broken image; the Attachments tab has it
        budget[0] -= len(uri)
        return uri

    html = served_html(_CID.sub(resolve, m.html), new_tabs=new_tabs)
    lifted = " allow-same-origin" if same_origin else ""
    if new_tabs:
        lifted += " allow-popups allow-popups-to-escape-sandbox"
    csp = MAIL_CSP.format(remote=" http: https:" if remote else "")
    csp = csp.replace("sandbox;", f"sandbox{lifted};")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": csp,
            # Chromium may resolve link hosts ahead of a click: each lookup tells the sender's
            # DNS server that the mail was opened. Once off, a <meta> cannot turn it back on.
            "X-DNS-Prefetch-Control": "off",
        },
    )


@router.get("/view/{id}/part/{part_id}")
def image_part(message: Parsed, id: str, part_id: str) -> Response:
    """An image part for inline display (previews, `cid:` images). Other types: 404."""
    m = message(id)
    for part in (*m.inline, *m.attachments):
        if part.part_id == part_id and PREVIEWABLE.match(part.content_type):
            csp = {"Content-Security-Policy": "default-src 'none'; sandbox"}
            return Response(part.data, media_type=part.content_type, headers=csp)
    raise HTTPException(404, f"message {id!r} has no displayable image part {part_id!r}")
