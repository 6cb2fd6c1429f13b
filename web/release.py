"""`POST /api/v1/message/{id}/release`: send a caught message on through the relay
(Mailpit's release).

The body is Mailpit's `{"To": [...]}`. The recipients are checked against the relay's allowed
and blocked regexes first (400 naming each refused address); then the message, changed only
as `mailtrap.relay.message` says, goes to the relay on a worker thread, within the relay's
timeouts, at most `RELAY_SLOTS` at once (a hung relay must not take every worker thread
the other routes need). The answer is text: `ok`, then what the relay said (`ok: 250 2.0.0
queued`); a relay that refuses or cannot be reached is a 502 whose detail quotes it. A server
started without a relay answers 400 saying how to configure one.
"""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from mailtrap.errors import MessageNotFound
from mailtrap.relay.client import RelayError, send
from mailtrap.relay.message import RecipientError, check_recipients, prepare
from mailtrap.web.deps import NOT_FOUND, AppContext, Context, Responses, error
from mailtrap.web.inputs import StrictIn
from mailtrap.web.latest import MessageID

__all__ = ["NOT_ENABLED", "ReleaseIn", "release_through_relay", "router"]

router = APIRouter(prefix="/api/v1/message", tags=["message"])

NOT_ENABLED = (
    "releasing is not enabled: start mailtrap with a relay, --smtp-relay-host HOST (and "
    "--smtp-relay-port, or MAILTRAP_SMTP_RELAY_HOST) or --smtp-relay-config FILE"
)
_RESPONSES: Responses = {
    **NOT_FOUND,
    400: error("no relay is configured, or a recipient is not an address or not allowed"),
    502: error("the relay refused the message or could not be reached; `detail` quotes it"),
}


class ReleaseIn(StrictIn):
    """Mailpit's `ReleaseMessageParams` body."""

    To: list[str] = Field(
        description="the addresses to send it to", examples=[["ann@example.com"]], max_length=1000
    )


@router.post(
    "/{id}/release",
    response_class=PlainTextResponse,
    summary="Release the message through the configured SMTP relay",
    responses=_RESPONSES,
)
async def release(context: Context, id: MessageID, body: ReleaseIn) -> str:
    """`id` may be `latest`. Sends the raw message to `To` through the relay; answers `ok: `
    and the relay's reply."""
    return f"ok: {await release_through_relay(context, id, body.To)}"


async def release_through_relay(context: AppContext, id: str, to: list[str]) -> str:
    """Send message `id` to `to` through the configured relay; the relay's reply. Raises
    HTTPException: 400 (no relay, or a recipient refused before sending), 404, 502 (the
    relay refused or could not be reached). MailHog's release route shares it."""
    store, relay = context.store, context.options.relay
    if relay is None:
        raise HTTPException(400, NOT_ENABLED)
    try:
        recipients = check_recipients(relay, to)
    except RecipientError as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        stored = await run_in_threadpool(store.stored, id)  # SQLite reads block
    except MessageNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    prepared = await run_in_threadpool(prepare, stored, relay)
    try:
        reply = await to_thread.run_sync(
            send, relay, prepared.sender, recipients, prepared.raw, limiter=context.relay_slots
        )
    except RelayError as exc:
        context.metrics.relay("failed" if exc.temporary else "refused")
        raise HTTPException(502, str(exc)) from None
    context.metrics.relay("sent")
    return reply
