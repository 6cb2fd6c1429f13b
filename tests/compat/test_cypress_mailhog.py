"""cypress-mailhog 2.5.0 (npm): every command's requests, against `mailtrap serve`.

Cypress cannot run here, so tests/compat/node/cypress-mailhog.cjs loads the package's own
command code with stand-ins for `Cypress` and `cy` (cy.request is Node's fetch) and calls each
command as a test would. What each hands the test is checked as a Cypress test would use it,
Jim's mode included (`mhGetJimMode`/`mhSetJimMode`: /api/v2/jim).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import Served, Steps, run_node, serve
from tools import npm_package

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = serve(tmp_path_factory.mktemp("store"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def steps(served: Served) -> Steps:
    alternative = (DATA / "mailhog-alternative-qp-base64.eml").read_bytes()
    invoice = (DATA / "mailhog-latin1-with-pdf.eml").read_bytes()
    served.send(alternative, "shop@example.com", ["ann@example.com"])
    served.send(invoice, "billing@example.org", ["bob@example.com", "hidden@example.net"])
    package = npm_package("cypress-mailhog")
    return run_node("cypress-mailhog.cjs", str(package), served.url, log=served.log)


BOTH = ["Invoice 2002", "=?UTF-8?B?w5xiZXJ3ZWlzdW5nIGVyaGFsdGVu?="]  # raw Subject values


def test_every_command_is_exercised(steps: Steps) -> None:
    called = {
        "mhDeleteAll", "mhFilterByRecipient", "mhFilterBySender", "mhFilterBySubject",
        "mhFirst", "mhGetAllMails", "mhGetAttachments", "mhGetBody", "mhGetJimMode",
        "mhGetMailsByRecipient", "mhGetMailsBySender", "mhGetMailsBySubject", "mhGetRecipients",
        "mhGetSender", "mhGetSubject", "mhHasMailFrom", "mhHasMailTo", "mhHasMailWithSubject",
        "mhSearchMails", "mhSetJimMode", "mhWaitForMails",
    }  # fmt: skip
    # A new release's command fails here until cypress-mailhog.cjs calls it.
    assert set(steps.ok("commands")) == called


def test_jim_mode(steps: Steps) -> None:
    assert steps.ok("jimAwayFirst") is False
    assert steps.ok("inviteJim") == 201
    assert steps.ok("jimHere") is True
    assert steps.ok("inviteJimAgain") == 400  # MailHog's answer: he is here already
    assert steps.ok("sendJimAway") == 200
    assert steps.ok("jimAwayAfter") is False


def test_collections(steps: Steps) -> None:
    assert steps.ok("getAllMails") == BOTH
    assert steps.ok("getAllMailsLimit") == BOTH[:1]
    assert steps.ok("first") == steps.ok("bySubject")[0]
    assert len(steps.ok("bySubject")) == 1
    assert steps.ok("byRecipient") == ["Invoice 2002"]  # an envelope-only (Bcc) recipient
    assert steps.ok("bySender") == BOTH[1:]
    assert steps.ok("searchMails") == BOTH[1:]
    assert steps.ok("searchMailsTo") == BOTH[1:]
    assert steps.ok("filterBySubject") == []  # the package compares the raw, encoded value
    assert steps.ok("filterByRecipient") == ["Invoice 2002"]
    assert steps.ok("filterBySender") == ["Invoice 2002"]


def test_single_mail(steps: Steps) -> None:
    assert steps.ok("getSubject") == "Invoice 2002"
    body = steps.ok("getBody")
    assert "Caf=E9 cr=E8me: see the attached invoice." in body  # still encoded, as in MailHog
    assert body.startswith("This is a multi-part message in MIME format.\r\n--mixed-2002\r\n")
    assert steps.ok("getSender") == "billing@example.org"
    assert steps.ok("getRecipients") == ["bob@example.com", "hidden@example.net"]
    # The package keeps the quotes of a quoted filename (it did against MailHog too).
    assert steps.ok("getAttachments") == ['"invoice-2002.pdf"']


def test_assertions(steps: Steps) -> None:
    assert steps.ok("hasMailWithSubject") is None
    assert "not.have.length 0" in steps.error("hasMailWithOtherSubject")
    assert steps.ok("hasMailFrom") is None
    assert "not.have.length 0" in steps.error("hasMailFromOther")
    assert steps.ok("hasMailTo") is None
    assert steps.ok("waitForMails") is None
    assert "to.have.length.greaterThan 2" in steps.error("waitForMoreMails")


def test_delete_all_and_every_request_answered(steps: Steps) -> None:
    assert steps.ok("deleteAll") == 200
    assert steps.ok("afterDeleteAll") == 0
    requests = steps.ok("requests")
    paths = {r["url"].split("?")[0] for r in requests}
    assert paths == {"/api/v2/jim", "/api/v2/messages", "/api/v2/search", "/api/v1/messages"}
    refused = [r for r in requests if not 200 <= r["status"] < 300]
    # Only Jim's: GET while he is away (404: "off") and a second invitation (400).
    assert {(r["method"], r["status"]) for r in refused} == {("GET", 404), ("POST", 400)}
