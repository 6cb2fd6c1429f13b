"""Thumbnails of image attachments, as Mailpit makes them: a 180x120 JPEG.

As Mailpit makes it (server/apiv1/thumbnails.go): an image at least 180x120 is scaled and
cropped to fill the box, a smaller one is shrunk to fit and padded; either sits on white (so
transparency shows white), JPEG quality 70. A part that is no image, or that no decoder here
reads, gets a blank white thumbnail, as in Mailpit.

Decoding is CPU work and memory: the route is synchronous, so it runs on the threadpool, never
on the event loop, and the decoder is bounded. Only common raster formats are opened (Pillow's
EPS reader would start Ghostscript); JPEGs decode at a reduced scale (`draft`), so a large photo
costs little; and an image that would still decode to more than `MAX_PIXELS` pixels, or whose
bytes exceed `MAX_BYTES`, is refused with 422 naming its size, never decoded.
"""

from __future__ import annotations

import functools
import io
import logging

from PIL import Image, ImageOps

__all__ = [
    "FORMATS",
    "HEIGHT",
    "MAX_BYTES",
    "MAX_PIXELS",
    "WIDTH",
    "TooLarge",
    "blank",
    "thumbnail",
]

log = logging.getLogger("mailtrap.web")

WIDTH, HEIGHT = 180, 120
QUALITY = 70
# Mailpit's bound: 20 million pixels decode to 80 MB of RGBA at most.
MAX_PIXELS = 20_000_000
MAX_BYTES = 50 * 1024 * 1024
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "AVIF")


class TooLarge(ValueError):
    """An image this thumbnailer will not decode; the message says why."""


@functools.cache
def blank() -> bytes:
    """The white thumbnail of a part that is no image."""
    return _jpeg(Image.new("RGB", (WIDTH, HEIGHT), "white"))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def thumbnail(data: bytes, content_type: str) -> bytes:
    """The JPEG thumbnail of an attachment; `blank()` for one that is no readable image.
    Raises `TooLarge` for an image beyond `MAX_BYTES` or `MAX_PIXELS`."""
    if not content_type.lower().startswith("image/"):
        return blank()
    if len(data) > MAX_BYTES:
        raise TooLarge(
            f"the image is {len(data)} bytes; thumbnails are made of {MAX_BYTES} at most"
        )
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            image.draft("RGB", (WIDTH, HEIGHT))  # JPEG: decode at the smallest scale that fits
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise TooLarge(
                    f"the image is {width}x{height} pixels; thumbnails are made of images of "
                    f"{MAX_PIXELS} pixels at most"
                )
            return _jpeg(_fitted(ImageOps.exif_transpose(image)))
    except TooLarge:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own cap, far above ours, came first
        message = f"{exc}; thumbnails are made of images of {MAX_PIXELS} pixels at most"
        raise TooLarge(message) from None
    except Exception as exc:  # Pillow's readers raise assorted types on broken images
        log.debug("no thumbnail of a %s part: %s", content_type, exc)
        return blank()


def _fitted(image: Image.Image) -> Image.Image:
    """`image` filling the box (or, if smaller either way, shrunk to fit) on white."""
    image = image.convert("RGBA")
    if image.width < WIDTH or image.height < HEIGHT:
        image.thumbnail((WIDTH, HEIGHT), Image.Resampling.LANCZOS)  # only ever shrinks
    else:
        image = ImageOps.fit(image, (WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2), image)
    return canvas
