"""GET /api/v1/message/{ID}/part/{PartID}/thumb: Mailpit's 180x120 JPEG, and its bounds."""

from __future__ import annotations

import io
import struct
import time
import zlib

import httpx
import pytest
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import build_mail, envelope_for
from PIL import Image

from mailtrap import MessageStore
from mailtrap.web.imaging import MAX_PIXELS

Live = tuple[InProcess, httpx.Client]
Served = tuple[LiveServer, httpx.Client]


def _image(
    size: tuple[int, int], color: str | tuple[int, ...], fmt: str, mode: str = "RGB"
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def _thumb(
    live: Live, store: MessageStore, data: bytes, mime: str, name: str = "a.png"
) -> httpx.Response:
    _, http = live
    raw = build_mail(attachments=((name, mime, data),))
    store.add(raw, envelope_for(raw))
    part = http.get("/api/v1/message/latest").json()["Attachments"][0]["PartID"]
    return http.get(f"/api/v1/message/latest/part/{part}/thumb")


def _decoded(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("JPEG", (180, 120))
    return image.convert("RGB")


def _near(pixel: object, color: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple), pixel  # RGB: a tuple per pixel
    return all(abs(a - b) <= 12 for a, b in zip(pixel, color, strict=True))


def test_a_large_image_is_scaled_and_cropped_to_fill(live: Live, store: MessageStore) -> None:
    # 600x200 (3:1): filling 180x120 (3:2) crops the sides, so the blue edges are cut away.
    image = Image.new("RGB", (600, 200), "red")
    image.paste((0, 0, 255), (0, 0, 100, 200))
    image.paste((0, 0, 255), (500, 0, 600, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    response = _thumb(live, store, out.getvalue(), "image/png", "wide.png")
    thumb = _decoded(response)
    for x, y in ((2, 2), (177, 117), (90, 60)):
        assert _near(thumb.getpixel((x, y)), (255, 0, 0)), (x, y)
    assert 'filename="wide.png"' in response.headers["content-disposition"]


def test_a_small_image_is_padded_with_white(live: Live, store: MessageStore) -> None:
    thumb = _decoded(_thumb(live, store, _image((60, 40), "red", "GIF"), "image/gif"))
    assert _near(thumb.getpixel((90, 60)), (255, 0, 0))  # not enlarged, centred
    assert _near(thumb.getpixel((2, 2)), (255, 255, 255))
    assert _near(thumb.getpixel((30, 60)), (255, 255, 255))  # 60 wide: x 60..119
    assert _near(thumb.getpixel((90, 15)), (255, 255, 255))  # 40 high: y 40..79


def test_transparency_shows_white(live: Live, store: MessageStore) -> None:
    data = _image((300, 200), (0, 0, 0, 0), "PNG", mode="RGBA")
    thumb = _decoded(_thumb(live, store, data, "image/png"))
    assert _near(thumb.getpixel((90, 60)), (255, 255, 255))


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"%PDF-1.4 not an image", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n broken", "image/png"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "image/x-eps"),
    ],
)
def test_a_part_that_is_no_readable_image_gets_a_blank_thumbnail(
    live: Live, store: MessageStore, data: bytes, mime: str
) -> None:
    thumb = _decoded(_thumb(live, store, data, mime))
    assert thumb.getextrema() == ((255, 255), (255, 255), (255, 255))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width`x`height` and holds one compressed row: a decompression bomb's
    header, cheap to build."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x00" * 3 * width)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(30_000, 30_000), (5_000, 4_001), (100_000, 100_000)])
def test_an_image_too_large_to_decode_is_a_422_at_once(
    live: Live, store: MessageStore, size: tuple[int, int]
) -> None:
    assert size[0] * size[1] > MAX_PIXELS
    started = time.monotonic()
    response = _thumb(live, store, _png_header_only(*size), "image/png")
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert f"{size[0] * size[1]} pixels" in detail or f"{size[0]}x{size[1]} pixels" in detail
    assert f"{MAX_PIXELS} pixels at most" in detail


def test_a_large_jpeg_photo_decodes_at_a_reduced_scale(live: Live, store: MessageStore) -> None:
    # 6000x4000 is 24 million pixels, beyond the cap, but a JPEG decodes at 1/8 scale.
    data = _image((6000, 4000), (0, 128, 0), "JPEG")
    thumb = _decoded(_thumb(live, store, data, "image/jpeg", "photo.jpg"))
    assert _near(thumb.getpixel((90, 60)), (0, 128, 0))


def test_an_unknown_part_is_a_404(live: Live, store: MessageStore) -> None:
    _, http = live
    raw = build_mail()
    m = store.add(raw, envelope_for(raw))
    response = http.get(f"/api/v1/message/{m.id}/part/7/thumb")
    assert response.status_code == 404
    assert response.json()["detail"] == f"message {m.id!r} has no part '7'"
    assert http.get("/api/v1/message/nope/part/1/thumb").status_code == 404
