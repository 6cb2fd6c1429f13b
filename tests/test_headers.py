"""The ingest hot path's header shortcuts give exactly what the stdlib's policy.default gives."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from mailtrap._headers import address_value, clean, split_head, text_value

CORPUS = sorted((Path(__file__).parent / "data").glob("*.eml"))
EXTRA = [
    b'From: "Last, First" <first.last@example.com>\r\nTo: a@example.com, B <b@example.com>\r\n'
    b"Subject: plain ascii   with  spaces\r\n\r\n",
    b"Subject: folded\r\n  over two lines\r\nTo: <a@example.com>,\r\n\t<b@example.com>\r\n\r\n",
    b"To: undisclosed-recipients:;\r\nCc: a@example.com (comment)\r\n\r\n",
    b"From Mon Jan 01 mbox line\r\nSubject: after mbox\r\nno colon line\r\nTo: x@y\r\n\r\n",
    b"To: a@b,, c@d\r\nFrom: John Q. Public <jqp@example.com>\r\nCc: a@b c@d\r\n\r\n",
    b'To: "a \\"b\\"" <x@y>\r\nFrom: <>\r\nCc: foo\r\nReply-To: <@route:a@b>\r\n\r\n',
    b"To: <a@b> <c@d>\r\nFrom: a@b>\r\nCc: Name <a@b\r\nSubject: =?bogus?q?x?=\r\n\r\n",
]
SAMPLES = [(p.name, p.read_bytes()) for p in CORPUS] + [
    (f"extra{i}", r) for i, r in enumerate(EXTRA)
]


@pytest.mark.parametrize(("name", "raw"), SAMPLES, ids=[n for n, _ in SAMPLES])
def test_split_head_matches_the_stdlib_parser(name: str, raw: bytes) -> None:
    fields, _ = split_head(raw)
    stdlib = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    want = [(k, clean(v)) for k, v in stdlib.raw_items()]
    got = [(k, v) for k, v in fields.items]
    assert [k for k, _ in got] == [k for k, _ in want]
    for (_, g), (_, w) in zip(got, want, strict=True):
        if "\ufffd" not in w:  # invalid bytes: both show replacement characters, differently
            assert "".join(g.splitlines()) == "".join(w.splitlines())


@pytest.mark.parametrize(("name", "raw"), SAMPLES, ids=[n for n, _ in SAMPLES])
def test_shortcuts_agree_with_the_header_registry(name: str, raw: bytes) -> None:
    fields, _ = split_head(raw)
    for field, value in fields.items:
        unfolded = "".join(value.splitlines())
        try:
            header = policy.default.header_factory(field, unfolded)
        except Exception:
            continue  # the registry itself fails; the fallback path is tested elsewhere
        defects: list[str] = []
        if field.lower() in ("from", "to", "cc", "bcc", "reply-to"):
            got = [(a.name, a.address) for a in address_value(field, value, defects)]
            want = [(clean(a.display_name), clean(a.addr_spec)) for a in header.addresses]
            assert got == want, (field, value)
        elif field.lower() == "subject":
            assert text_value(field, value, defects) == clean(str(header)), value
