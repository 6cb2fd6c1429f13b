"""JSON shapes of the REST API's answers: exactly Mailpit's (v1.30.5), field for field.

Typed clients compare whole objects, so a Mailpit-shaped answer has no field Mailpit lacks.
mailtrap's additions live in the `...ExtrasOut` variants, sent only when asked for with
`extras=1` (see mailtrap.web.params), and in mailtrap's own routes. Request bodies are in
mailtrap.web.inputs.

This module is the one import routes need: it re-exports the models (declared in
mailtrap.web.outputs) and the functions that build them from mailtrap's objects
(mailtrap.web.shaping), so neither home can drift from what routes and tests import.
"""

from __future__ import annotations

from mailtrap.web.outputs import (
    AddressOut,
    AttachmentOut,
    ChecksumsOut,
    EnvelopeOut,
    InfoExtrasOut,
    InfoOut,
    ListUnsubscribeOut,
    MessageExtrasOut,
    MessageOut,
    MessagesExtrasOut,
    MessagesOut,
    RuntimeStatsOut,
    SendOut,
    StoredOut,
    SummaryExtrasOut,
    SummaryOut,
)
from mailtrap.web.shaping import (
    envelope_out,
    message_extras_out,
    message_out,
    stored_out,
    summary_extras_out,
    summary_out,
)

__all__ = [
    "AddressOut",
    "AttachmentOut",
    "ChecksumsOut",
    "EnvelopeOut",
    "InfoExtrasOut",
    "InfoOut",
    "ListUnsubscribeOut",
    "MessageExtrasOut",
    "MessageOut",
    "MessagesExtrasOut",
    "MessagesOut",
    "RuntimeStatsOut",
    "SendOut",
    "StoredOut",
    "SummaryExtrasOut",
    "SummaryOut",
    "envelope_out",
    "message_extras_out",
    "message_out",
    "stored_out",
    "summary_extras_out",
    "summary_out",
]
