"""Colours and text size from inline CSS, and WCAG 2 contrast between text and background.

Email HTML sets its colours inline (`style="color: #777"`, `bgcolor="#000"`, `<font
color>`), because many mail clients drop `<style>`; this module reads those. tinycss2 parses
the declarations and the colour values (every CSS Color 4 form: names, `#rgb`, `#rrggbbaa`,
`rgb()`, `hsl()`, ...), so a `;` inside `url(...)` or a comment cannot split a declaration.

Contrast is WCAG 2.x's: the ratio of relative luminances, (L1 + 0.05) / (L2 + 0.05), at least
4.5:1 for normal text and 3:1 for large text (24 px, or 18.66 px bold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tinycss2
import tinycss2.color4

__all__ = [
    "BLACK",
    "WHITE",
    "Colour",
    "contrast_ratio",
    "declarations",
    "font_size",
    "is_bold",
    "parse_colour",
    "required_ratio",
]


@dataclass(frozen=True, slots=True)
class Colour:
    """An sRGB colour, channels 0..1, with its opacity `alpha` (0..1)."""

    red: float
    green: float
    blue: float
    alpha: float = 1.0

    def over(self, below: Colour) -> Colour:
        """This colour painted over opaque `below` (alpha compositing)."""
        a = self.alpha
        return Colour(
            self.red * a + below.red * (1 - a),
            self.green * a + below.green * (1 - a),
            self.blue * a + below.blue * (1 - a),
        )

    def hex(self) -> str:
        """`#rrggbb` (the opacity left out)."""
        channels = (self.red, self.green, self.blue)
        return "#" + "".join(f"{round(c * 255):02x}" for c in channels)

    def luminance(self) -> float:
        """WCAG 2's relative luminance of the (opaque) colour."""

        def linear(c: float) -> float:
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * linear(self.red) + 0.7152 * linear(self.green) + 0.0722 * linear(self.blue)


BLACK = Colour(0.0, 0.0, 0.0)
WHITE = Colour(1.0, 1.0, 1.0)


def contrast_ratio(text: Colour, background: Colour) -> float:
    """WCAG 2 contrast ratio (1 to 21) of `text` over opaque `background`."""
    one, two = text.over(background).luminance(), background.luminance()
    return (max(one, two) + 0.05) / (min(one, two) + 0.05)


def required_ratio(size_px: float, bold: bool) -> float:
    """The ratio WCAG 2 (1.4.3, level AA) asks of text this size: 3 when large, else 4.5."""
    large = size_px >= 24 or (bold and size_px >= 18.66)
    return 3.0 if large else 4.5


def parse_colour(value: str | list[Any]) -> Colour | None:
    """A CSS colour value (text, or the tinycss2 tokens of a declaration) as a `Colour`; None
    for anything else, `currentcolor` included (the caller knows the current colour)."""
    if isinstance(value, list):
        if len(value) != 1:
            return None  # a colour value is one token (a hash, a name or a function)
        value = value[0]
    try:
        parsed = tinycss2.color4.parse_color(value)
    except (ValueError, TypeError, ArithmeticError):  # tinycss2 is lenient; this is a backstop
        return None
    if parsed is None or isinstance(parsed, str):
        return None
    srgb = parsed.to("srgb")  # indexes 0-2 are its channels, 3 its alpha
    red, green, blue, alpha = (min(max(float(srgb[i]), 0.0), 1.0) for i in range(4))
    return Colour(red, green, blue, alpha)


def declarations(style: str) -> dict[str, list[Any]]:
    """An inline `style` attribute's declarations: lower-cased property -> value tokens (the
    last one wins, unless an earlier one is `!important` and it is not)."""
    found: dict[str, tuple[list[Any], bool]] = {}
    for item in tinycss2.parse_blocks_contents(style, skip_comments=True, skip_whitespace=True):
        if item.type != "declaration":
            continue  # a parse error or a nested rule: a browser drops it too
        name = str(item.lower_name)
        earlier = found.get(name)
        if earlier is None or item.important or not earlier[1]:
            found[name] = (
                [t for t in item.value if t.type not in ("whitespace", "comment")],
                bool(item.important),
            )
    return {name: tokens for name, (tokens, _) in found.items()}


def background(decls: dict[str, list[Any]]) -> Colour | bool | None:
    """What `background-color`/`background` set: a `Colour`, True when an image (which may be
    behind the text, so no colour can be known), None when neither says."""
    image = decls.get("background-image")
    if image and not (
        len(image) == 1 and image[0].type == "ident" and image[0].lower_value == "none"
    ):
        return True
    colour: Colour | None = None
    for token in decls.get("background", []):
        if token.type == "url" or (token.type == "function" and token.lower_name in _IMAGES):
            return True
        colour = parse_colour([token]) or colour
    if "background-color" in decls:
        colour = parse_colour(decls["background-color"]) or colour
    return colour


_IMAGES = frozenset({"url", "linear-gradient", "radial-gradient", "conic-gradient", "image-set"})
# CSS font-size keywords in px (medium = 16 px), and the relative ones as factors.
_SIZE_KEYWORDS = {
    "xx-small": 9.0,
    "x-small": 10.0,
    "small": 13.0,
    "medium": 16.0,
    "large": 18.0,
    "x-large": 24.0,
    "xx-large": 32.0,
    "xxx-large": 48.0,
}
_RELATIVE = {"smaller": 1 / 1.2, "larger": 1.2}
_UNITS = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


def font_size(tokens: list[Any], parent_px: float) -> float:
    """A `font-size` value in px, given the parent's; the parent's for what cannot be read."""
    if len(tokens) != 1:
        return parent_px
    token = tokens[0]
    if token.type == "dimension":
        unit = str(token.lower_unit)
        if unit in _UNITS:
            return float(token.value) * _UNITS[unit]
        if unit in ("em", "rem"):
            return float(token.value) * (parent_px if unit == "em" else 16.0)
    elif token.type == "percentage":
        return float(token.value) / 100 * parent_px
    elif token.type == "ident":
        name = str(token.lower_value)
        if name in _SIZE_KEYWORDS:
            return _SIZE_KEYWORDS[name]
        if name in _RELATIVE:
            return parent_px * _RELATIVE[name]
    return parent_px


def is_bold(tokens: list[Any], parent: bool) -> bool:
    """Whether a `font-weight` value is bold (700 or more); the parent's when unreadable."""
    if len(tokens) != 1:
        return parent
    token = tokens[0]
    if token.type == "number":
        return float(token.value) >= 700
    if token.type == "ident":
        name = str(token.lower_value)
        if name in ("bold", "bolder"):
            return True
        if name in ("normal", "lighter"):
            return False
    return parent
