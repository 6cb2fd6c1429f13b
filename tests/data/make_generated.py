#!/usr/bin/env python3
"""Regenerate the three large synthetic test messages in this directory.

    python tests/data/make_generated.py

Writes exactly these files (stdlib only, byte-for-byte deterministic):

* broken-2mb-single-line-html.eml      -- a text/html body that is ONE line of
  more than 2,000,000 characters with no newline anywhere in the body.
* broken-500-deep-nested-multipart.eml -- 500 nested multipart/mixed levels,
  each with its own boundary; the innermost part is text/plain "deepest part".
* marketing-large-newsletter.eml       -- a well-formed newsletter of about 300 KB of HTML
  in the shape email builders emit (nested layout tables, inline styles on every cell, a
  <style> block with @media, @font-face and :hover, images, buttons): what the HTML check's
  timing is measured on (benchmarks/html_check.py).

All other .eml files here are committed as-is; this script does not touch them.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
CRLF = b"\r\n"

LONG_LINE_NAME = "broken-2mb-single-line-html.eml"
DEEP_NAME = "broken-500-deep-nested-multipart.eml"
NEWSLETTER_NAME = "marketing-large-newsletter.eml"
NEWSLETTER_ARTICLES = 120
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


NEWSLETTER_STYLE = """<style type="text/css">
@import url("https://fonts.example.com/css?family=Lato");
@font-face { font-family: "Brand"; src: url("https://cdn.example.com/b.woff2") format("woff2"); }
body { margin: 0 !important; padding: 0; -webkit-text-size-adjust: 100%; }
table, td { border-collapse: collapse; mso-table-lspace: 0pt; }
img { border: 0; height: auto; line-height: 100%; outline: none; }
a.button:hover { background-color: #0b5cab !important; }
.preheader { display: none !important; max-height: 0; overflow: hidden; }
@media only screen and (max-width: 600px) {
  .container { width: 100% !important; }
  .column { display: block !important; width: 100% !important; }
  .hide-mobile { display: none !important; }
}
@media (prefers-color-scheme: dark) {
  .card { background-color: #1e1e1e !important; color: #eeeeee !important; }
}
</style>"""


def newsletter_article(n: int) -> str:
    image = ("png", "jpg", "gif")[n % 3]
    return f"""<tr>
<td class="card" style="padding: 24px 32px; background-color: #ffffff; border-radius: 8px; \
box-shadow: 0 1px 3px rgba(0,0,0,0.1);">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr>
<td class="column" width="200" valign="top" style="width: 200px; padding-right: 16px;">
<a href="https://shop.example/articles/{n}?utm_source=newsletter" target="_blank">\
<img src="https://cdn.shop.example/img/article-{n}.{image}" width="200" height="150" \
alt="Article {n}" style="display: block; width: 100%; max-width: 200px; height: auto; \
border-radius: 4px;"></a>
</td>
<td class="column" valign="top" style="font-family: Lato, Arial, sans-serif; \
font-size: 15px; line-height: 1.5em; color: #333333; text-align: left;">
<h2 style="margin: 0 0 8px; font-size: 20px; font-weight: 700; color: #111111;">\
Article {n}: what is new this week</h2>
<p style="margin: 0 0 12px;">Synthetic copy for the HTML check timing: item {n} of the \
issue, with a <strong>bold claim</strong>, a <em>soft aside</em> and a \
<a href="https://shop.example/read/{n}" style="color: #0b5cab; text-decoration: underline;">\
link to read more</a>.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td align="center" bgcolor="#1a73e8" style="border-radius: 4px;">
<a class="button" href="https://shop.example/buy/{n}" target="_blank" style="display: \
inline-block; padding: 10px 20px; font-size: 14px; color: #ffffff; text-decoration: none; \
border-radius: 4px; background-color: #1a73e8;">Shop item {n}</a>
</td></tr></table>
</td>
</tr>
</table>
</td>
</tr>
<tr><td height="16" style="height: 16px; line-height: 16px; font-size: 0;">&nbsp;</td></tr>
""".replace("\\\n", "")


def large_newsletter() -> bytes:
    head = headers(
        [
            "From: Shop Weekly <weekly@shop.example>",
            "To: reader@example.org",
            "Subject: Shop Weekly: 120 things we liked",
            "Date: Thu, 11 Jul 2024 08:00:00 +0000",
            "Message-ID: <weekly-large-1@shop.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: 7bit",
        ]
    )
    html = (
        '<!DOCTYPE html>\n<html lang="en" xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        '<meta charset="utf-8">\n<meta name="viewport" content="width=device-width">\n'
        '<meta name="color-scheme" content="light dark">\n<title>Shop Weekly</title>\n'
        f"{NEWSLETTER_STYLE}\n</head>\n"
        '<body style="margin: 0; padding: 0; background-color: #f4f4f4;">\n'
        '<div class="preheader" style="display: none; max-height: 0; overflow: hidden;">'
        "This week's picks, inside.</div>\n<!-- layout: one centred 600px column -->\n"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'bgcolor="#f4f4f4">\n<tr><td align="center" style="padding: 24px 0;">\n'
        '<table class="container" role="presentation" width="600" cellpadding="0" '
        'cellspacing="0" border="0" style="width: 600px; max-width: 600px;">\n'
        + "".join(newsletter_article(n) for n in range(1, NEWSLETTER_ARTICLES + 1))
        + '<tr><td style="padding: 24px; font-size: 12px; color: #777777; text-align: center;">'
        '<a href="https://shop.example/unsubscribe" style="color: #777777;">Unsubscribe</a>'
        "</td></tr>\n</table>\n</td></tr>\n</table>\n</body>\n</html>\n"
    )
    body = html.replace("\n", "\r\n").encode("ascii")
    assert max(len(line) for line in body.split(b"\r\n")) < 998
    return head + CRLF + body


def main() -> None:
    for name, data in (
        (LONG_LINE_NAME, long_line_html()),
        (DEEP_NAME, deep_multipart()),
        (NEWSLETTER_NAME, large_newsletter()),
    ):
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
