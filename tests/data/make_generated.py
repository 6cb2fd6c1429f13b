#!/usr/bin/env python3
"""Regenerate the two large synthetic test messages in this directory.

    python tests/data/make_generated.py

Writes exactly these files (stdlib only, byte-for-byte deterministic):

* broken-2mb-single-line-html.eml      -- a text/html body that is ONE line of
  more than 2,000,000 characters with no newline anywhere in the body.
* broken-500-deep-nested-multipart.eml -- 500 nested multipart/mixed levels,
  each with its own boundary; the innermost part is text/plain "deepest part".

All other .eml files here are committed as-is; this script does not touch them.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
CRLF = b"\r\n"

LONG_LINE_NAME = "broken-2mb-single-line-html.eml"
DEEP_NAME = "broken-500-deep-nested-multipart.eml"
LONG_LINE_MIN = 2_000_000
DEPTH = 500


def headers(lines: list[str]) -> bytes:
    return CRLF.join(line.encode("ascii") for line in lines) + CRLF


def long_line_html() -> bytes:
    head = headers(
        [
            "From: Report Generator <reports@example.com>",
            "To: qa@example.org",
            "Subject: 2 MB single-line HTML body",
            "Date: Wed, 10 Jul 2024 09:00:00 +0000",
            "Message-ID: <long-line-2mb-1@example.com>",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=us-ascii",
            "Content-Transfer-Encoding: 7bit",
        ]
    )
    parts = [
        '<!DOCTYPE html><html><head><meta charset="us-ascii"><title>Big table</title></head>'
        '<body><p>Report start.</p><table border="1">'
    ]
    size = len(parts[0])
    row = 0
    while size < LONG_LINE_MIN:
        value = (row * 7919) % 100003
        cell = (
            f'<tr><td class="id">row-{row:06d}</td><td class="v">{value}</td>'
            '<td class="note">synthetic padding for the single-line test</td></tr>'
        )
        parts.append(cell)
        size += len(cell)
        row += 1
    parts.append("</table><p>Report end.</p></body></html>")
    body = "".join(parts).encode("ascii")
    assert b"\n" not in body
    assert b"\r" not in body
    assert len(body) >= LONG_LINE_MIN
    return head + CRLF + body  # no trailing newline: the body is one single line


def deep_multipart() -> bytes:
    def boundary(level: int) -> str:
        return f"deep-level-{level:03d}"

    out = [
        headers(
            [
                "From: Nesting Doll <nesting.doll@example.com>",
                "To: qa@example.org",
                "Subject: 500-deep nested multipart/mixed",
                "Date: Wed, 10 Jul 2024 09:05:00 +0000",
                "Message-ID: <deep-500-1@example.com>",
                "MIME-Version: 1.0",
                f'Content-Type: multipart/mixed; boundary="{boundary(1)}"',
            ]
        ),
        CRLF,
    ]
    # Opening delimiters, each followed by the next level's headers.
    for level in range(1, DEPTH + 1):
        out.append(f"--{boundary(level)}".encode("ascii") + CRLF)
        if level < DEPTH:
            inner = f'Content-Type: multipart/mixed; boundary="{boundary(level + 1)}"'
            out.append(inner.encode("ascii") + CRLF + CRLF)
        else:
            out.append(b"Content-Type: text/plain; charset=us-ascii" + CRLF + CRLF)
            out.append(b"deepest part" + CRLF)
    # Closing delimiters, innermost first.
    for level in range(DEPTH, 0, -1):
        out.append(f"--{boundary(level)}--".encode("ascii") + CRLF)
    return b"".join(out)


def main() -> None:
    for name, data in ((LONG_LINE_NAME, long_line_html()), (DEEP_NAME, deep_multipart())):
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
