"""`GET /api/v1/message/{id}/sa-check`: SpamAssassin's verdict on a message, as Mailpit gives it.

The raw message goes to the spamd that `--smtp-spamassassin` names (`mailtrap.checks.
spamassassin`), asynchronously and within that module's deadline and size limits. As in
Mailpit, a spamd that cannot be reached or fails is a 200 whose `Error` says so (the UI shows
it beside the message); a server started without the flag answers 400 saying how to turn the
check on.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mailtrap.checks.spamassassin import Report, check
from mailtrap.errors import MessageNotFound
from mailtrap.web.deps import NOT_FOUND, Options, Responses, Store, error
from mailtrap.web.latest import MessageID

__all__ = ["SpamAssassinOut", "SpamRuleOut", "router"]

router = APIRouter(prefix="/api/v1/message", tags=["message"])

NOT_ENABLED = (
    "SpamAssassin is not enabled: start mailtrap with --smtp-spamassassin HOST:PORT (or "
    "MAILTRAP_SMTP_SPAMASSASSIN) naming a running spamd, e.g. 127.0.0.1:783"
)
_RESPONSES: Responses = {**NOT_FOUND, 400: error("no spamd is configured (--smtp-spamassassin)")}


class SpamRuleOut(BaseModel):
    """A SpamAssassin rule the message hit."""

    Name: str = Field(description="the rule's name, e.g. MISSING_DATE")
    Score: float = Field(description="the points it adds (negative ones count in favour)")
    Description: str = Field(description="what the rule looks for, in spamd's words")


class SpamAssassinOut(BaseModel):
    """Mailpit's `SpamAssassinResponse`. With `Error` set, spamd gave no verdict and the
    other fields are empty."""

    IsSpam: bool = Field(description="the score reached spamd's required score (5 by default)")
    Score: float = Field(description="the total of the rules' scores")
    Rules: list[SpamRuleOut]
    Error: str = Field(description="why there is no verdict (spamd unreachable, ...), or empty")


def spam_out(report: Report) -> SpamAssassinOut:
    return SpamAssassinOut(
        IsSpam=report.is_spam,
        Score=report.score,
        Rules=[
            SpamRuleOut(Name=r.name, Score=r.score, Description=r.description) for r in report.rules
        ],
        Error=report.error,
    )


@router.get("/{id}/sa-check", summary="SpamAssassin's verdict on the message", responses=_RESPONSES)
async def sa_check(store: Store, options: Options, id: MessageID) -> SpamAssassinOut:
    """`id` may be `latest`. spamd's score, verdict and rules for the raw message; 400 when
    no spamd is configured. Does not mark the message read."""
    if options.spamassassin is None:
        raise HTTPException(400, NOT_ENABLED)
    try:
        raw = await run_in_threadpool(store.get_raw, id)  # SQLite reads block
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return spam_out(await check(raw, options.spamassassin))
