"""The ingest hot path's header shortcuts give exactly what the stdlib's policy.default gives,
and the header block is read within its limits."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtrap.message.headers import MAX_FIELDS, MAX_HEAD_SIZE, clean, read_head, split_head
from mailtrap.message.values import address_value, date_value, text_value

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
    fields = split_head(raw).fields
    stdlib = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    want = [(k, clean(v)) for k, v in stdlib.raw_items()]
    got = [(k, v) for k, v in fields.items]
    assert [k for k, _ in got] == [k for k, _ in want]
    for (_, g), (_, w) in zip(got, want, strict=True):
        if "\ufffd" not in w:  # invalid bytes: both show replacement characters, differently
            assert "".join(g.splitlines()) == "".join(w.splitlines())


@pytest.mark.parametrize(("name", "raw"), SAMPLES, ids=[n for n, _ in SAMPLES])
def test_shortcuts_agree_with_the_header_registry(name: str, raw: bytes) -> None:
    fields = split_head(raw).fields
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


# -- limits: generated floods, each cut after whole fields, the rest of the block skipped -------

PAD = b"X-Pad: " + b"p" * 1000 + b"\r\n"
FLOODS = {
    "20,000 fields": (b"X-Junk: y\r\n" * 20_000, "more than 10000 header fields"),
    "a 2 MiB block": (PAD * 2_100, "header block larger than 1048576 bytes"),
    "one 2 MiB field": (b"X-Huge: " + b"h" * 2 * 1024 * 1024 + b"\r\n", "header block larger"),
    "a field folded across the limit": (
        b"X-Fold: a\r\n" + (b" " + b"f" * 1000 + b"\r\n") * 2_100,
        "header block larger",
    ),
}
ENDINGS = {  # what ends the header block, and where the body then starts
    "blank line": (b"\r\nbody\r\n", b"body\r\n"),
    "non-field line": (b"no colon, so the body\r\nmore\r\n", b"no colon, so the body\r\nmore\r\n"),
}


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS)
@pytest.mark.parametrize("flood", FLOODS.values(), ids=FLOODS)
def test_a_header_flood_is_cut_after_whole_fields(
    flood: tuple[bytes, str], ending: tuple[bytes, bytes]
) -> None:
    (block, limit), (rest, body) = flood, ending
    raw = b"Subject: flood\r\n" + block + rest
    head = split_head(raw)
    assert head.defect is not None
    assert limit in head.defect
    names = [name for name, _ in head.fields.items]
    assert 1 <= len(names) <= MAX_FIELDS
    assert names[0] == "Subject"
    assert "X-Huge" not in names
    assert "X-Fold" not in names
    assert raw[head.body_at :] == body  # the rest of the block is skipped, not read as body
    # What the MIME parser gets: whole leading lines of raw within the limit, then the rest.
    kept = head.parseable.removesuffix(rest)
    assert head.parseable.endswith(rest)
    assert raw.startswith(kept)
    assert len(kept) <= MAX_HEAD_SIZE
    assert kept.endswith(b"\r\n")
    stdlib = BytesParser(policy=policy.default).parsebytes(head.parseable, headersonly=True)
    assert stdlib.keys() == names  # the full parse reads exactly the fields the summary read


def test_a_block_at_the_limits_is_read_whole() -> None:
    raw = b"X-Junk: y\r\n" * MAX_FIELDS + b"\r\nbody"
    head = split_head(raw)
    assert (head.defect, len(head.fields.items), raw[head.body_at :]) == (None, MAX_FIELDS, b"body")
    assert head.parseable is raw  # no copy for mail within the limits


# -- the one-regex reader of a plain header block, against the line-by-line reader ---------------

EDGES = {
    "LF only": b"Subject: a\nTo: b@c\n\nbody\n",
    "no blank line": b"Subject: a\r\nTo: b@c\r\n",
    "no body": b"Subject: a\r\n\r\n",
    "a lone CR ends the block": b"Subject: a\r\n\r",
    "CR CR LF": b"Subject: a\r\n\r\r\nbody",
    "empty name": b":x\r\nSubject: a\r\n\r\n",
    "empty value": b"X:\r\nY: \t \r\n\r\n",
    "continuation first": b" folded\r\nSubject: a\r\n\r\n",
    "blank continuation": b"Subject: a\r\n   \r\n\tb\r\n\r\nbody",
    "8-bit": b"Subject: caf\xc3\xa9 \xff\xe2\x82\r\nX-\xc3\xa9: v\r\n\r\n",
    "trailing CRs": b"Subject: a\r\r\r\nTo: b\r\n\r\n",
    "mbox line": b"From someone Mon Jan 01\r\nSubject: a\r\n\r\n",
    "exactly the field limit": b"X: y\r\n" * MAX_FIELDS + b"\r\nbody",
    "one field past the limit": b"X: y\r\n" * (MAX_FIELDS + 1) + b"\r\nbody",
    "a block ending at the size limit": b"X: " + b"p" * (MAX_HEAD_SIZE - 7) + b"\r\n\r\n",
    "a block ending past the size limit": b"X: " + b"p" * (MAX_HEAD_SIZE - 6) + b"\r\n\r\n",
}


def same_head(raw: bytes) -> None:
    fast, slow = split_head(raw), read_head(raw)
    assert fast.fields.items == slow.fields.items
    assert (fast.body_at, fast.parseable, fast.defect) == (
        slow.body_at,
        slow.parseable,
        slow.defect,
    )


@pytest.mark.parametrize(
    "raw", [*EDGES.values(), *(r for _, r in SAMPLES)], ids=[*EDGES, *(n for n, _ in SAMPLES)]
)
def test_split_head_reads_as_the_line_reader_does(raw: bytes) -> None:
    same_head(raw)


LINES = st.sampled_from(
    [
        *(b"Subject: a\r\n", b"To: <b@c>\n", b" cont\r\n", b"\tcont\n", b"\r\n", b"\n", b"\r"),
        *(b"X:\r\n", b":v\r\n", b"no colon\r\n", b"From x\r\n", b"A\xff: \xe9\r\n", b"B: v\r\r\n"),
        b"body",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_split_head_reads_any_line_mix_as_the_line_reader_does(lines: list[bytes]) -> None:
    same_head(b"".join(lines))


def test_repeated_values_give_the_same_answers_and_defects() -> None:
    """Short address and date values are cached; a repeat must still report its defects."""
    for _ in range(2):
        defects: list[str] = []
        assert date_value("not a date", defects) is None
        assert defects == ["Date header is not a valid date: 'not a date'"]
        when = date_value("Mon, 30 Nov 2026 08:06:40 -0000", defects)
        assert when is not None
        assert when.isoformat() == "2026-11-30T08:06:40+00:00"
        found = address_value("To", '"Last, First" <a@b.example>, c@d.example', defects)
        assert [(a.name, a.address) for a in found] == [
            ("Last, First", "a@b.example"),
            ("", "c@d.example"),
        ]
        found.clear()  # the caller's list is its own
    assert len(address_value("To", '"Last, First" <a@b.example>, c@d.example', [])) == 2
