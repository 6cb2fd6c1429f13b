"""Messages built to make a mail parser slow: each once froze mailtrap's event loop.

They are generated rather than kept under tests/data/ because of their size (up to 20 MB);
each names the cost it had before parsing was bounded and moved off the loop (issue 13).
"""

from __future__ import annotations

__all__ = ["BOMBS", "html_mail", "with_headers"]

_HEAD = b"From: app@example.com\r\nTo: user@example.com\r\n"


def html_mail(subject: str, html: bytes) -> bytes:
    """An HTML-only message: its text for search and the snippet comes from the HTML."""
    return (
        _HEAD + f"Subject: {subject}\r\n".encode() + b"Content-Type: text/html; charset=utf-8\r\n"
        b"\r\n" + html + b"\r\n"
    )


def with_headers(subject: str, headers: bytes) -> bytes:
    """A short text message with `headers` (CRLF-terminated lines) before its own."""
    return headers + f"Subject: {subject}\r\nTo: user@example.com\r\n\r\nhello\r\n".encode()


def _part_header_bomb(subject: str) -> bytes:
    params = b"; a=b" * 200_000  # 1 MB of parameters in one part's Content-Type
    return (
        _HEAD
        + f"Subject: {subject}\r\n".encode()
        + b"Content-Type: multipart/mixed; boundary=x\r\n"
        b"\r\n--x\r\nContent-Type: text/plain" + params + b"\r\n\r\ninside\r\n--x--\r\n"
    )


# name -> message.
BOMBS: dict[str, bytes] = {
    # html.parser, 100 KB: 24 s of frozen loop; 200 KB: 112 s.
    "html-unclosed-attributes": html_mail("html-unclosed-attributes", b"<a x=" * 40_000),
    # An HTML5 tree builder walks its stack of open elements per block tag: quadratic.
    "html-nested-divs": html_mail("html-nested-divs", b"<div>" * 200_000),
    # 20 MB of "<": 17 s.
    "html-20mb-of-lt": html_mail("html-20mb-of-lt", b"<" * 20_000_000),
    # The header registry, 400 KB: 94 s.
    "from-400kb-of-commas": with_headers(
        "from-400kb-of-commas", b"From: " + b"a," * 200_000 + b"\r\n"
    ),
    # Answered 451 (RecursionError) before, so the client retried it forever.
    "from-5000-parens": with_headers("from-5000-parens", b"From: " + b"(" * 5000 + b"\r\n"),
    # Encoded words that never close: the registry and decode_header are both quadratic.
    "subject-unclosed-encoded-words": b"Subject: " + b"=?utf-8?q?a" * 60_000 + b"\r\n\r\nhi\r\n",
    # 500 address fields, each short enough for the header registry, which spends 95 ms on
    # each one (and finds no address in it): 47 s for the message without a budget.
    "500-cc-fields-of-comments": with_headers(
        "500-cc-fields-of-comments", b"".join(b"Cc: " + b",(a)" * 500 + b"\r\n" for _ in range(500))
    ),
    "part-content-type-1mb": _part_header_bomb("part-content-type-1mb"),
    # 100,000 tags made every page of summaries 1.8 MB.
    "100000-tags": with_headers(
        "100000-tags", b"X-Tags: " + b",".join(b"t%d" % i for i in range(100_000)) + b"\r\n"
    ),
}
