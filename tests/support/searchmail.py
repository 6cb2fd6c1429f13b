"""Mail for the search tests that `mailfactory.build_mail` cannot make."""

from __future__ import annotations

__all__ = ["INLINE"]

# An HTML message with an image inline (a Content-ID the HTML refers to): Mailpit's Inline.
INLINE = (
    b"From: Designer <design@studio.example>\r\n"
    b"To: team@example.com\r\n"
    b"Subject: Logo preview\r\n"
    b"Message-ID: <logo-7781@studio.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b'<p>See <img src="cid:logo@studio"></p>\r\n'
    b"--b1\r\n"
    b"Content-Type: image/png\r\n"
    b"Content-ID: <logo@studio>\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"iVBORw0KGgo=\r\n"
    b"--b1--\r\n"
)
