"""`GET /api/v1/webui`: Mailpit's web UI configuration, saying what mailtrap really has.

`MessageRelay` describes the relay `--smtp-relay-*` configures (off without one). mailtrap
stores every message even with a duplicate Message-ID, never hides
"delete all" and has no instance label: those are off or empty. SpamAssassin is on when
`--smtp-spamassassin` names a spamd; the chaos API (`/api/v1/chaos`) works whenever an SMTP
server runs beside the app.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from mailtrap.relay.config import RelayConfig
from mailtrap.web.deps import Context

router = APIRouter(prefix="/api/v1", tags=["meta"])


class MessageRelayOut(BaseModel):
    """Releasing (relaying) captured mail: the configured relay, or `Enabled` false."""

    Enabled: bool = False
    SMTPServer: str = ""
    ReturnPath: str = ""
    AllowedRecipients: str = ""
    BlockedRecipients: str = ""
    OverrideFrom: str = ""
    PreserveMessageIDs: bool = False


class WebUIOut(BaseModel):
    """Mailpit's `WebUIConfiguration`."""

    Label: str
    MessageRelay: MessageRelayOut
    SpamAssassin: bool
    ChaosEnabled: bool
    DuplicatesIgnored: bool
    HideDeleteAllButton: bool


@router.get("/webui", summary="What the web UI may offer (Mailpit's shape)")
def webui(context: Context) -> WebUIOut:
    return WebUIOut(
        Label="",
        MessageRelay=_relay(context.options.relay),
        SpamAssassin=context.options.spamassassin is not None,
        ChaosEnabled=context.chaos is not None,
        DuplicatesIgnored=False,
        HideDeleteAllButton=False,
    )


def _relay(relay: RelayConfig | None) -> MessageRelayOut:
    if relay is None:
        return MessageRelayOut()
    return MessageRelayOut(
        Enabled=True,
        SMTPServer=relay.server,
        ReturnPath=relay.return_path,
        AllowedRecipients=relay.allowed_recipients,
        BlockedRecipients=relay.blocked_recipients,
        OverrideFrom=relay.override_from,
        PreserveMessageIDs=relay.preserve_message_ids,
    )
