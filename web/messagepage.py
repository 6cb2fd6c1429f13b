"""What the message page's template asks of its parts and tags (`templates/message.html`).

`part_kind` picks an attachment's icon, `thumbnailed` and `previewable` whether it gets a
thumbnail and a link to view it; `check_tabs` are the tabs of the message checks
(`templates/_checks.html`, `static/checks.js`); `tag_search` is the
inbox's query string for one tag, so a tag on the page is a link that filters the inbox.
"""

from __future__ import annotations

import re

from mailtrap.message.models import Attachment, Message
from mailtrap.web.imaging import FORMATS
from mailtrap.web.navigation import list_query, tag_query

__all__ = [
    "PREVIEWABLE",
    "THUMBNAILED",
    "check_tabs",
    "part_kind",
    "previewable",
    "tag_search",
    "thumbnailed",
]

# Raster types every browser shows, served for display by `pages.image_part`.
PREVIEWABLE = re.compile(r"image/(png|jpeg|gif|webp|bmp|avif)$")

# Image types the thumbnail route decodes (`imaging.FORMATS`); others get the image icon.
THUMBNAILED = frozenset(
    {f"image/{name.lower()}" for name in FORMATS}
    | {"image/jpg", "image/pjpeg", "image/x-icon", "image/vnd.microsoft.icon", "image/x-bmp"}
)
_ARCHIVES = frozenset(
    {
        "application/zip",
        "application/x-zip-compressed",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/zstd",
    }
)
_ARCHIVE_NAMES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar", ".zst")
_CALENDARS = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})


def part_kind(part: Attachment) -> str:
    """One of image, pdf, archive, calendar, text, generic: by content type, or by file name
    for the generic `application/octet-stream` that many senders use for everything."""
    ctype, name = part.content_type.lower(), part.filename.lower()
    if ctype in _CALENDARS or name.endswith((".ics", ".vcs")):
        return "calendar"
    if ctype.startswith("image/"):
        return "image"
    if ctype == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    if ctype in _ARCHIVES or name.endswith(_ARCHIVE_NAMES):
        return "archive"
    if ctype.startswith("text/") or ctype in ("application/json", "application/xml"):
        return "text"
    return "generic"


def thumbnailed(part: Attachment) -> bool:
    """Whether the part gets a thumbnail (`/api/v1/message/{ID}/part/{PartID}/thumb`)."""
    return part.content_type.lower() in THUMBNAILED


def previewable(part: Attachment) -> bool:
    """Whether the browser can show the part as an image (`/view/{id}/part/{part_id}`)."""
    return PREVIEWABLE.fullmatch(part.content_type) is not None


def tag_search(tag: str) -> str:
    """The inbox's query string for the messages tagged `tag`: `q=tag:name`, quoted when the
    name has a space (tags hold no quotes: `parsing.clean_tag`)."""
    return list_query(tag_query(tag), 0)


def check_tabs(m: Message, *, spam: bool) -> list[tuple[str, str]]:
    """The check tabs of `m`'s page, as (key, label), in the issue's order. The link check
    reads the HTML and text bodies, so every message has it; the HTML and accessibility checks
    read the HTML part, so a mail without one has neither (their APIs would answer 400); the
    spam check only when a spamd is configured (`spam`: --smtp-spamassassin), as in Mailpit."""
    tabs = [("link-check", "Link check")]
    if m.html:
        tabs += [("html-check", "HTML check"), ("a11y-check", "Accessibility")]
    return tabs + ([("spam-check", "Spam")] if spam else [])
