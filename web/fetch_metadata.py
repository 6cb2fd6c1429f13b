"""Fetch Metadata: refuse reads of the mailbox started by pages on other sites.

CORS only hides a response's body. It does not stop a page from *sending* a simple request
and learning how long the answer took, or whether it decoded as an image. A page on
`localhost:3000` timed `fetch(url, {mode: "no-cors"})` against `/api/v1/wait` (a match answers
at once, a miss only after `timeout`) and read a one-time code out of the mail. Browsers say
where a request comes from in `Sec-Fetch-Site`; anything but the user's own typing
(`none`) or mailtrap's own pages (`same-origin`) is refused here, before any handler runs.

`same-site` is refused too: `localhost:3000` and `localhost:8025` are one site, as ports do
not count. Kept: requests without the header (curl, Mailpit's Node clients, test code and old
browsers, for which every response carries `Cross-Origin-Resource-Policy: same-origin`);
pages on an `--api-cors` origin (they send their `Origin`); and a link from elsewhere to the
inbox or a message page, opened as a top-level page that the linking site cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from mailtrap.web.paths import route_path

__all__ = ["cross_site_problem"]

OWN = frozenset({"same-origin", "none"})  # every other value, future ones too, is refused
# The pages a link from elsewhere may open: the inbox and one message's page. Not the API,
# not the mail HTML, parts or raw source: whether such a navigation ends in a page, an error
# or a download is itself observable from the other site.
# Not /view/{ID}.html or .txt (a dot is in no ID): those are the mail itself.
UI_PAGE = re.compile(r"/|/view/[^/.]+")


def cross_site_problem(
    scope: Mapping[str, Any], headers: Mapping[str, str], cors: Collection[str]
) -> str | None:
    """Why this request, started by a page on another site, is refused; None to serve it.
    `cors` holds the origins given with `--api-cors`."""
    site = headers.get("sec-fetch-site")
    if site is None or site in OWN:
        return None
    origin = headers.get("origin")
    if origin is not None and origin in cors:
        return None
    if _opens_a_ui_page(scope, headers):
        return None
    path = scope.get("path", "")
    return (
        f"{site} request for {path} refused: pages on other sites may not read the mailbox "
        f"(Sec-Fetch-Site: {site}, Origin: {origin or 'not sent'}); to let a page on an origin "
        "use the API, start mailtrap with --api-cors ORIGIN"
    )


def _opens_a_ui_page(scope: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
    """A top-level navigation (a followed link, not a frame, fetch or image) to a UI page."""
    return (
        scope["type"] == "http"
        and scope.get("method") in ("GET", "HEAD")
        and headers.get("sec-fetch-mode") == "navigate"
        and headers.get("sec-fetch-dest") == "document"
        and UI_PAGE.fullmatch(route_path(scope)) is not None
    )
