"""MailHog's Python client, PyPI `mailhog` 0.1.1, against `mailtrap serve`: its list, search
and delete, on the same two mails the Node clients read (test_mailhog_npm.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from clients import Served, serve
from tools import python_package

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def served() -> Iterator[Served]:
    server = serve(None)
    yield server
    server.stop()


@pytest.fixture
def client(served: Served) -> Any:
    python_package("mailhog")
    from mailhog import Mailhog

    served.send(
        (DATA / "mailhog-alternative-qp-base64.eml").read_bytes(),
        "shop@example.com",
        ["ann@example.com"],
    )
    served.send(
        (DATA / "mailhog-latin1-with-pdf.eml").read_bytes(),
        "billing@example.org",
        ["bob@example.com", "hidden@example.net"],
    )
    url = urlsplit(served.url)
    return Mailhog(host=url.hostname, port=url.port)


def test_messages_list_newest_first_with_paging(client: Any) -> None:
    page = client.messages()
    assert (page.total, page.count, page.start) == (2, 2, 0)
    invoice, alternative = page.items
    assert invoice.get_subject() == "Invoice 2002"  # the client's own reading of the headers
    assert invoice.get_sender() == "billing@example.org"
    assert invoice.get_recipients() == ["bob@example.com", "hidden@example.net"]
    assert alternative.get_sender() == "shop@example.com"
    assert "Caf=E9 cr=E8me" in invoice.content.body
    assert [p.size > 0 for p in invoice.mime.parts] == [True, True, True, True]
    second = client.messages(start=1, limit=1)
    assert (second.total, second.count, second.start) == (2, 1, 1)
    assert [m.id for m in second.items] == [alternative.id]


def test_search_each_kind(client: Any) -> None:
    assert [m.get_subject() for m in client.search("Invoice 2002").items] == ["Invoice 2002"]
    found = client.search("shop@example.com", kind="from")
    assert [m.get_sender() for m in found.items] == ["shop@example.com"]
    assert client.search("hidden@example.net", kind="to").total == 1
    assert client.search("nothing-like-this").items == []


def test_delete_one_then_all(client: Any) -> None:
    newest = client.messages().items[0]
    client.delete(newest)
    left = client.messages()
    assert left.total == 1
    assert newest.id not in [m.id for m in left.items]
    client.delete_all()
    assert client.messages().total == 0
