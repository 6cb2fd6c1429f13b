"""About the server and the mailbox: /api/v1/info and the tag list."""

from __future__ import annotations

import os
import resource
import sys
import time

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from mailtrap._version import __version__
from mailtrap.web.deps import Context, Store
from mailtrap.web.inputs import SetTagsIn
from mailtrap.web.params import Extras
from mailtrap.web.schemas import InfoExtrasOut, InfoOut, RuntimeStatsOut

router = APIRouter(prefix="/api/v1", tags=["meta"])


def _rss_bytes() -> int:
    try:  # current resident set, where /proc has it
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # peak instead: KiB on Linux, bytes on macOS
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@router.get("/info", summary="Version, mailbox counts, database size and runtime statistics")
def info(context: Context, store: Store, extras: Extras = False) -> InfoExtrasOut | InfoOut:
    """Mailpit's shape. `LatestVersion` is this version: mailtrap never calls home. With
    `extras=1`, also `ServerTime`, the store's clock (the database's, for PostgreSQL), and
    `Instance`, the name of this process among those sharing the store (null if none do)."""
    smtp = context.smtp_stats
    answer = InfoOut(
        Version=__version__,
        LatestVersion=__version__,
        Database=store.describe().database,
        DatabaseSize=store.storage_size(),
        Messages=store.count(),
        Unread=store.count(unread=True),
        Tags=store.tags(),
        RuntimeStats=RuntimeStatsOut(
            Uptime=int(time.monotonic() - context.started),
            Memory=_rss_bytes(),
            MessagesDeleted=context.hub.deleted,
            SMTPAccepted=smtp.accepted,
            SMTPAcceptedSize=smtp.accepted_bytes,
            SMTPRejected=smtp.rejected,
            SMTPIgnored=0,
        ),
    )
    if extras:
        instance = store.describe().instance
        return InfoExtrasOut(**answer.model_dump(), ServerTime=store.now(), Instance=instance)
    return answer


@router.get("/tags", summary="Every tag in use, in order ignoring case")
def get_tags(store: Store) -> list[str]:
    return list(store.tags())


@router.put("/tags", response_class=PlainTextResponse, summary="Set the tags of messages")
def set_tags(store: Store, body: SetTagsIn) -> str:
    """Replaces the tags of every message in `IDs` with `Tags`. Answers `ok`."""
    store.set_tags(body.IDs, body.Tags)
    return "ok"
