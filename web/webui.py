"""`GET /api/v1/webui`: Mailpit's web UI configuration, saying what mailtrap really has.

mailtrap relays no mail, stores every message even with a duplicate Message-ID, never hides
"delete all" and has no instance label: those are off or empty. SpamAssassin is on when
`--smtp-spamassassin` names a spamd; the chaos API (`/api/v1/chaos`) works whenever an SMTP
server runs beside the app.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from mailtrap.web.deps import Context

router = APIRouter(prefix="/api/v1", tags=["meta"])


class MessageRelayOut(BaseModel):
    """Releasing (relaying) captured mail: mailtrap has none, so it is never enabled."""

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
        MessageRelay=MessageRelayOut(),
        SpamAssassin=context.options.spamassassin is not None,
        ChaosEnabled=context.chaos is not None,
        DuplicatesIgnored=False,
        HideDeleteAllButton=False,
    )
