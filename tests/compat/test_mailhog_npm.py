"""MailHog's Node client, npm `mailhog` 4.16.0, every method, against `mailtrap serve` (each
store): `messages`, `search`, `latestFrom`, `latestTo`, `latestContaining`, `releaseMessage`,
`deleteMessage`, `deleteAll`, and the decoding its getters do from MailHog's JSON (quoted-
printable and base64 bodies, UTF-8 and ISO-8859-1 charsets, encoded-word headers, a multipart/
alternative mail and an attachment). What the client decodes is compared with what mailtrap's
own (Mailpit) API says about the same message.

(4.16.0 has no `jim` method; Jim is proven through cypress-mailhog, test_cypress_mailhog.py.)
"""

from __future__ import annotations

import base64
import email
import email.policy
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from clients import Served, Steps, run_node, serve
from tools import npm_package

DATA = Path(__file__).resolve().parents[1] / "data"
ALTERNATIVE = (DATA / "mailhog-alternative-qp-base64.eml").read_bytes()
INVOICE = (DATA / "mailhog-latin1-with-pdf.eml").read_bytes()


@pytest.fixture(scope="module", params=["sqlite", "memory"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    store_dir = tmp_path_factory.mktemp("store") if request.param == "sqlite" else None
    server = serve(store_dir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mailpit(served: Served) -> dict[str, dict[str, Any]]:
    """The two mails sent (the alternative one first), each as mailtrap's Mailpit API gives it,
    by subject, read before the script deletes them."""
    served.send(ALTERNATIVE, "shop@example.com", ["ann@example.com"])
    served.send(INVOICE, "billing@example.org", ["bob@example.com", "hidden@example.net"])
    with httpx.Client(base_url=served.url, timeout=10) as client:
        listed = client.get("/api/v1/messages").json()["messages"]
        # A summary's Created (when mailtrap received it), with the full message.
        full = [{**m, **client.get(f"/api/v1/message/{m['ID']}").json()} for m in listed]
    return {m["Subject"]: m for m in full}


@pytest.fixture(scope="module")
def steps(served: Served, mailpit: dict[str, dict[str, Any]]) -> Steps:
    return run_node("mailhog.cjs", str(npm_package("mailhog")), served.url, log=served.log)


def _pdf() -> bytes:
    message = email.message_from_bytes(INVOICE, policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def test_messages_pages_newest_first(steps: Steps) -> None:
    both = ["Invoice 2002", "Überweisung erhalten"]
    assert steps.ok("messages") == {"total": 2, "count": 2, "start": 0, "subjects": both}
    assert steps.ok("messagesPaged") == {
        "total": 2,
        "count": 1,
        "start": 1,
        "subjects": ["Überweisung erhalten"],
    }


def test_search_each_kind_with_paging(steps: Steps) -> None:
    assert steps.ok("searchContaining")["subjects"] == ["Überweisung erhalten"]
    assert steps.ok("searchFrom")["subjects"] == ["Invoice 2002"]
    assert steps.ok("searchToPaged") == {
        "total": 2,
        "count": 1,
        "start": 1,
        "subjects": ["Überweisung erhalten"],
    }


def test_alternative_mail_decodes_as_mailpit_reads_it(
    steps: Steps, mailpit: dict[str, dict[str, Any]]
) -> None:
    mail = steps.ok("latestFrom")
    same = mailpit["Überweisung erhalten"]
    assert mail["ID"] == same["ID"]
    assert mail["subject"] == same["Subject"] == "Überweisung erhalten"
    assert mail["from"] == "Zoë Shop <shop@example.com>"
    assert mail["to"] == "Ann <ann@example.com>"
    assert mail["cc"] == "cc@example.com"
    assert mail["replyTo"] == "help@example.com"
    assert "bcc" not in mail  # undefined: no Bcc header
    text = "Grüße! Your order 1001 is paid: 12,50 €. This line is long enough to be wrapped softly."
    assert mail["text"] == text == same["Text"].strip()
    assert mail["html"] == "<p>Grüße! Order <b>1001</b> is paid.</p>" == same["HTML"]
    assert mail["date"] == "2024-03-05T10:00:00.000Z"
    # MailHog's Created, which the client reads to the millisecond.
    delivered = datetime.fromisoformat(mail["deliveryDate"])
    assert abs(delivered - datetime.fromisoformat(same["Created"])) < timedelta(milliseconds=1)
    assert mail["attachments"] == []
    assert mail["partCount"] == 3  # text, HTML, and the "--" after the closing boundary


def test_latin1_text_and_pdf_attachment(steps: Steps, mailpit: dict[str, dict[str, Any]]) -> None:
    mail = steps.ok("latestTo")
    same = mailpit["Invoice 2002"]
    assert mail["ID"] == same["ID"]
    assert mail["text"] == "Café crème: see the attached invoice." == same["Text"].strip()
    assert "html" not in mail  # undefined: no HTML part
    assert mail["attachments"] == [
        {
            "name": "invoice-2002.pdf",
            "type": 'application/pdf; name="invoice-2002.pdf"',
            "encoding": "base64",
            "base64": base64.b64encode(_pdf()).decode(),
        }
    ]
    assert [a["FileName"] for a in same["Attachments"]] == ["invoice-2002.pdf"]
    assert mail["partCount"] == 4  # the preamble is a part in MailHog's shape
    assert mail["envelopeFrom"] == "billing@example.org"
    assert mail["envelopeTo"] == mail["recipients"] == ["bob@example.com", "hidden@example.net"]


def test_latest_by_bcc_recipient_and_content(steps: Steps) -> None:
    invoice = steps.ok("latestTo")["ID"]
    assert steps.ok("latestToBcc")["ID"] == invoice  # an envelope recipient no header names
    assert steps.ok("latestContaining")["ID"] == invoice
    assert steps.ok("latestFromNobody") == 0  # the client's "none": result.count


def test_release_names_the_missing_relay(steps: Steps) -> None:
    # The client resolves with the parsed body whatever the status; MailHog answered nothing.
    # (With a relay: test_mailhog_release.py.)
    answer = steps.ok("releaseMessage")
    assert set(answer) == {"detail"}
    assert "no SMTP relay is configured" in answer["detail"]
    assert "--smtp-relay-host 127.0.0.1 --smtp-relay-port 2525" in answer["detail"]


def test_delete_one_then_all(steps: Steps) -> None:
    assert steps.ok("deleteMessage") == {"statusCode": 200, "body": None}
    after = steps.ok("afterDeleteMessage")
    assert after["total"] == 1
    assert after["deleted"] not in after["ids"]
    # An empty 200 as MailHog's: the client parses any body as JSON, and "ok" is not JSON.
    assert steps.ok("deleteAll") == {"statusCode": 200, "body": None}
    assert steps.ok("afterDeleteAll") == {"total": 0, "count": 0, "start": 0, "subjects": []}
