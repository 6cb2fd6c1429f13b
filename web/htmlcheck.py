"""`GET /api/v1/message/{ID}/html-check`: Mailpit's HTML check, shape for shape
(`HTMLCheckResponse` in its swagger.json), computed by `mailtrap.checks.html`.

A sync route, so FastAPI runs it on its thread pool: parsing and scanning a large mail never
holds up the event loop, and `check_html` bounds the work whatever the mail. A message without
an HTML part is a 400 saying so, as in Mailpit (which answers 400 "message does not contain
HTML").
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from mailtrap.checks.caniemail import Feature
from mailtrap.checks.html import HTMLCheck, check_html
from mailtrap.web.deps import NOT_FOUND, Parsed, error
from mailtrap.web.latest import MessageID
from mailtrap.web.outputs import _Out

__all__ = ["HTMLCheckOut", "html_check_out"]

router = APIRouter(prefix="/api/v1/message", tags=["message"])


class HTMLCheckResultOut(_Out):
    """One client version: `Family` and `Platform` are caniemail's keys (`gmail`, `ios`),
    `Name` their names with the version, `Support` yes, no or partial, `NoteNumber` the
    warning's note that qualifies it ("" for none)."""

    Name: str
    Platform: str
    Family: str
    Version: str
    Support: str
    NoteNumber: str


class HTMLCheckScoreOut(_Out):
    """`Found`: how often the mail uses the feature; the percentages are of the tested
    client versions."""

    Found: int
    Supported: float
    Partial: float
    Unsupported: float


class HTMLCheckWarningOut(_Out):
    Slug: str
    Title: str
    Description: str  # HTML
    URL: str
    Category: str  # html, css or image
    Tags: list[str]
    Keywords: str
    Results: list[HTMLCheckResultOut]
    NotesByNumber: dict[str, str]  # HTML
    Score: HTMLCheckScoreOut


class HTMLCheckTotalOut(_Out):
    """`Tests`: features looked for; `Nodes`: elements in the mail; the percentages are
    the mail's overall support, weighted by how much of it each feature touches."""

    Tests: int
    Nodes: int
    Supported: float
    Partial: float
    Unsupported: float


class HTMLCheckOut(_Out):
    """Mailpit's `HTMLCheckResponse`. `Platforms` maps each platform to the client families
    tested on it."""

    Warnings: list[HTMLCheckWarningOut]
    Platforms: dict[str, list[str]]
    Total: HTMLCheckTotalOut


def _warning(feature: Feature, found: int) -> HTMLCheckWarningOut:
    score = feature.score
    return HTMLCheckWarningOut.model_construct(
        Slug=feature.slug,
        Title=feature.title,
        Description=feature.description,
        URL=feature.url,
        Category=feature.category,
        Tags=list(feature.tags),
        Keywords=feature.keywords,
        Results=[
            HTMLCheckResultOut.model_construct(
                Name=r.name,
                Platform=r.platform,
                Family=r.family,
                Version=r.version,
                Support=r.support,
                NoteNumber=r.note,
            )
            for r in feature.results
        ],
        NotesByNumber=dict(feature.notes),
        Score=HTMLCheckScoreOut.model_construct(
            Found=found,
            Supported=score.supported,
            Partial=score.partial,
            Unsupported=score.unsupported,
        ),
    )


def html_check_out(check: HTMLCheck) -> HTMLCheckOut:
    """`check` in Mailpit's shape. Built with `model_construct`: the values come typed from
    `check_html`, and validating a few thousand client results per request is wasted time."""
    return HTMLCheckOut.model_construct(
        Warnings=[_warning(w.feature, w.found) for w in check.warnings],
        Platforms={p: list(names) for p, names in check.platforms.items()},
        Total=HTMLCheckTotalOut.model_construct(
            Tests=check.tests,
            Nodes=check.nodes,
            Supported=check.supported,
            Partial=check.partial,
            Unsupported=check.unsupported,
        ),
    )


@router.get(
    "/{id}/html-check",
    summary="HTML check: how well email clients support the message's HTML and CSS",
    responses={**NOT_FOUND, 400: error("the message has no HTML part")},
)
def html_check(message: Parsed, id: MessageID) -> HTMLCheckOut:
    """`id` may be `latest`. The features of caniemail.com's data that the message's HTML
    uses, each with its support per email client, and the weighted total (README, "HTML
    check"). Does not mark the message read."""
    m = message(id)
    if not m.html:
        raise HTTPException(
            400, f"message {m.id!r} does not contain HTML: the HTML check reads the HTML part"
        )
    return html_check_out(check_html(m.html))
