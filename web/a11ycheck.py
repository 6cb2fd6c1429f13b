"""`GET /api/v1/message/{id}/a11y-check`: mailtrap's accessibility check of a message's HTML.

No Mailpit counterpart; the shape follows the Mailpit-style checks (PascalCase keys, a `Total`
beside the details). The check (`mailtrap.checks.a11y`) is CPU work on a parsed tree, so the
route is synchronous: FastAPI runs it on the threadpool, never on the event loop, and the
check bounds its own input. A message without HTML is a 400, as Mailpit's html-check answers.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from mailtrap.checks.a11y import MAX_OCCURRENCES, MAX_TAGS, A11yReport, check_html
from mailtrap.web.deps import NOT_FOUND, Parsed, Responses, error
from mailtrap.web.latest import MessageID

__all__ = ["A11yCheckOut", "a11y_out", "router"]

router = APIRouter(prefix="/api/v1/message", tags=["message"])

_RESPONSES: Responses = {**NOT_FOUND, 400: error("the message has no HTML part")}


class OccurrenceOut(BaseModel):
    """One place a rule found a problem."""

    Selector: str = Field(description="a short CSS-like path to the element, e.g. `… > td > img`")
    Snippet: str = Field(description="the element's start tag, then the start of its text")
    Detail: str = Field(
        description="what was measured, where it helps (a contrast ratio), or empty"
    )


class FindingOut(BaseModel):
    """A rule the HTML breaks, and where."""

    Rule: str = Field(description="the rule's id, e.g. `image-alt`")
    Severity: Literal["error", "warning"]
    Title: str
    Description: str = Field(description="why it matters to readers, and the fix")
    Count: int = Field(description="how many places break it")
    Occurrences: list[OccurrenceOut] = Field(description=f"the first {MAX_OCCURRENCES} places")


class A11yTotalOut(BaseModel):
    Errors: int = Field(description="places that break an error rule")
    Warnings: int = Field(description="places that break a warning rule")
    Nodes: int = Field(description="elements examined")
    Truncated: bool = Field(description=f"only the HTML before its {MAX_TAGS:,}th tag was checked")


class A11yCheckOut(BaseModel):
    """The accessibility findings of a message's HTML, errors first; none when it passes."""

    Total: A11yTotalOut
    Findings: list[FindingOut]


def a11y_out(report: A11yReport) -> A11yCheckOut:
    return A11yCheckOut(
        Total=A11yTotalOut(
            Errors=report.errors,
            Warnings=report.warnings,
            Nodes=report.nodes,
            Truncated=report.truncated,
        ),
        Findings=[
            FindingOut(
                Rule=f.rule,
                Severity=f.severity,
                Title=f.title,
                Description=f.description,
                Count=f.count,
                Occurrences=[
                    OccurrenceOut(Selector=o.selector, Snippet=o.snippet, Detail=o.detail)
                    for o in f.occurrences
                ],
            )
            for f in report.findings
        ],
    )


@router.get(
    "/{id}/a11y-check",
    summary="Accessibility check of the message's HTML (mailtrap only)",
    responses=_RESPONSES,
)
def a11y_check(message: Parsed, id: MessageID) -> A11yCheckOut:
    """`id` may be `latest`. Images without alt, a missing lang, layout tables without
    role="presentation", vague or empty link text, skipped heading levels, low text contrast
    (from inline colours) and text set only in images, each with where it occurs. 400 for a
    message without HTML. Does not mark the message read."""
    m = message(id)
    if not m.html:
        raise HTTPException(
            400, f"message {id!r} has no HTML part; the accessibility check reads HTML mail only"
        )
    return a11y_out(check_html(m.html))
