"""MailHog's `POST /api/v1/messages/{ID}/release`, through mailtrap's one configured relay.

MailHog sent the message wherever the request said (`Host`, `Port`, with the request's own
login), or to a server saved with `-outgoing-smtp` (`Name`). mailtrap relays only through the
relay its operator configured (`--smtp-relay-*`, README "Release and relay"): a page or peer
that can reach the API must not be able to make the server connect to any host it names. So a
request is carried out when what it names is that relay, and refused with a 400 saying what
differs and how to configure it otherwise; nothing a client sends is ignored. A login in the
request is refused whatever it is: the relay's is the operator's to configure, and comparing
them would tell any API client whether a guessed password is right. On success the
answer is MailHog's: an empty `200`.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from mailtrap.relay.config import RelayConfig
from mailtrap.web.deps import NOT_FOUND, Context, error
from mailtrap.web.inputs import StrictIn
from mailtrap.web.latest import MessageID
from mailtrap.web.release import release_through_relay

__all__ = ["ReleaseIn", "router"]

router = APIRouter(prefix="/api/v1/messages", tags=["mailhog"])


class ReleaseIn(StrictIn):
    """MailHog's release request: `Email` via `Host`:`Port` (logging in with `Username`,
    `Password` and `Mechanism`, which mailtrap refuses), or a saved server's `Name`."""

    Name: str = ""
    Save: bool = False
    Email: str = ""
    Host: str = ""
    Port: str = ""
    Username: str = ""
    Password: str = ""
    Mechanism: str = ""


def _mismatch(body: ReleaseIn, relay: RelayConfig) -> str | None:
    """What of `body` the configured `relay` is not, or cannot take (None: nothing)."""
    if body.Name or body.Save:
        return "saved outgoing servers (MailHog's -outgoing-smtp, `Name`, `Save`) are not kept"
    if body.Host and body.Host.lower() != relay.host.lower():
        return f"Host {body.Host!r} is not the relay's host {relay.host!r}"
    if body.Port and body.Port.strip() != str(relay.port):
        return f"Port {body.Port!r} is not the relay's port {relay.port}"
    if body.Username or body.Password or body.Mechanism:
        # Compared with the relay's, a 400 would tell any API client whether a guessed
        # password is right; the login is the operator's to configure, not the request's.
        return (
            "the relay's login is mailtrap's own configuration (--smtp-relay-auth, "
            "--smtp-relay-username, --smtp-relay-password): leave Username, Password and "
            "Mechanism out of the request"
        )
    return None


@router.post(
    "/{id}/release",
    summary="MailHog: release a message through the configured relay",
    responses={
        **NOT_FOUND,
        400: error("no relay, no Email, or the request names another server than the relay"),
        502: error("the relay refused the message or could not be reached; `detail` quotes it"),
    },
)
async def release(context: Context, id: MessageID, body: ReleaseIn) -> Response:
    """`id` may be `latest`. Sends the message to `Email` through the configured relay, which
    the request's `Host` and `Port`, where given, must name."""
    relay = context.options.relay
    if relay is None:
        where = f" --smtp-relay-host {body.Host}" if body.Host else " --smtp-relay-host HOST"
        where += f" --smtp-relay-port {body.Port}" if body.Port else ""
        raise HTTPException(
            400,
            f"cannot release message {id!r}: no SMTP relay is configured; start mailtrap "
            f"with{where} (or --smtp-relay-config FILE) to release through it",
        )
    if not body.Email:
        raise HTTPException(400, "the release names no recipient: give Email")
    mismatch = _mismatch(body, relay)
    if mismatch:
        raise HTTPException(
            400,
            f"cannot release message {id!r}: {mismatch}. mailtrap releases only through its "
            "configured relay (--smtp-relay-host, --smtp-relay-port, --smtp-relay-username…)",
        )
    await release_through_relay(context, id, [body.Email])
    return Response(status_code=200)
