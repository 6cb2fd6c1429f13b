"""Mailpit's body getters: `/view/{ID}.html` and `/view/{ID}.txt`, and `/view/latest`.

cypress-mailpit and mailpit-api (`renderMessageHTML`, `renderMessageText`) read a message's
bodies here. The HTML is served exactly as the inbox's own mail view serves it
(`pages.mail_html_response`): rewritten to connect nowhere, `cid:` images embedded, under
the same sandboxing CSP, so no script in it runs. `embed=1` opens its links in new tabs, as
in Mailpit; Mailpit's height-reporting script is not added, since the sandbox would not run it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from mailtrap.web.deps import BAD_QUERY, NOT_FOUND, Parsed, Store
from mailtrap.web.latest import MessageID, resolve
from mailtrap.web.pages import mail_html_response
from mailtrap.web.params import Tz

router = APIRouter(tags=["testing"])


@router.get(
    "/view/latest",
    include_in_schema=False,
    response_class=RedirectResponse,
    status_code=302,
)
def latest_page(
    store: Store, query: Annotated[str, Query(max_length=1000)] = "", tz: Tz = ""
) -> RedirectResponse:
    """The inbox's page of the newest message (matching `query`), or the inbox when there is
    none, as in Mailpit. Relative redirects, so they hold under any path prefix."""
    try:
        id = resolve(store, "latest", query, tz)
    except HTTPException:
        return RedirectResponse("../", status_code=302)
    return RedirectResponse(id, status_code=302)


@router.get(
    "/view/{id}.html",
    summary="Render the message's HTML part",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}, **NOT_FOUND, **BAD_QUERY},
)
def view_html(
    message: Parsed,
    id: MessageID,
    embed: Annotated[
        bool, Query(description="1: open every link in a new tab, for showing in a frame")
    ] = False,
    remote: Annotated[bool, Query(description="1: let remote images load")] = False,
) -> Response:
    """The HTML body alone, for UI integration tests; `id` may be `latest` (with `query`, the
    newest match). A message without an HTML part is a 404."""
    m = message(id)
    if not m.html:
        raise HTTPException(404, f"message {id!r} has no HTML part; its text is /view/{id}.txt")
    return mail_html_response(m, remote=remote, new_tabs=embed)


@router.get(
    "/view/{id}.txt",
    summary="Render the message's text part",
    response_class=PlainTextResponse,
    responses={**NOT_FOUND, **BAD_QUERY},
)
def view_text(message: Parsed, id: MessageID) -> PlainTextResponse:
    """The text body alone ("" when there is none); `id` may be `latest` (with `query`)."""
    return PlainTextResponse(
        message(id).text,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
