"""How the accessibility check sees each element: where it is (a short CSS-like path) and how
it is presented, inherited as CSS inherits from inline styles and the legacy attributes mail
still uses (`bgcolor`, `<font color size>`, `<body text>`), starting from black text on white.
`<style>` sheets are not applied: many mail clients drop them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from selectolax.lexbor import LexborNode

from mailtrap.checks.contrast import (
    BLACK,
    WHITE,
    Colour,
    background,
    declarations,
    font_size,
    is_bold,
    parse_colour,
)

__all__ = ["HEADING_PX", "NO_ROLE", "Place", "Table", "inherit", "snippet"]

_LINK_BLUE = Colour(0.0, 0.0, 0xEE / 255)  # an unstyled link, as browsers and most clients draw it
HEADING_PX = {"h1": 32.0, "h2": 24.0, "h3": 18.72, "h4": 16.0, "h5": 13.28, "h6": 10.72}
_FONT_SIZE_PX = (10.0, 13.0, 16.0, 18.0, 24.0, 32.0, 48.0)  # <font size=1..7>
_BOLD_TAGS = frozenset({"b", "strong", "th", *HEADING_PX})
NO_ROLE = frozenset({"presentation", "none"})
_LEGACY_HEX = re.compile(r"[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}")


@dataclass(slots=True)
class Place:
    """An element as the walk saw it: its selector part, parent, and inherited presentation."""

    part: str
    parent: Place | None
    colour: Colour = BLACK
    back: Colour | None = WHITE  # None: an image, so unknown
    size: float = 16.0
    bold: bool = False
    hidden: bool = False
    table: Table | None = None

    def selector(self, depth: int = 5) -> str:
        """The last `depth` parts of the path from <html> here, or from the nearest id."""
        parts: list[str] = []
        place: Place | None = self
        while place is not None and len(parts) < depth:
            parts.append(place.part)
            place = None if "#" in place.part else place.parent  # an id names it on its own
        return ("… > " if place is not None else "") + " > ".join(reversed(parts))


@dataclass(slots=True)
class Table:
    place: Place
    snippet: str
    fine: bool = False


def inherit(node: LexborNode, parent: Place, tag: str, nth: int) -> Place:
    """`node`'s place: its selector part and its presentation, from `parent`'s and its own."""
    attrs = node.attributes
    id = (attrs.get("id") or "").strip()
    part = (
        f"{tag}#{id}" if id and " " not in id else tag if nth == 1 else f"{tag}:nth-of-type({nth})"
    )
    place = replace(parent, part=part, parent=parent)  # the rest is inherited
    if tag in HEADING_PX:
        place.size, place.bold = HEADING_PX[tag], True
    elif tag in _BOLD_TAGS:
        place.bold = True
    if tag == "a" and "href" in attrs:
        place.colour = _LINK_BLUE
    if tag == "table":  # a data table (th, caption) or one marked as layout is fine
        place.table = Table(place, snippet(node), (attrs.get("role") or "").strip() in NO_ROLE)
    elif tag in ("th", "caption", "thead") and parent.table is not None:
        parent.table.fine = True
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        place.hidden = True
    legacy = attrs.get("bgcolor")
    if legacy:
        colour = _legacy_colour(legacy)
        place.back = colour.over(place.back) if colour and place.back else colour or place.back
    if tag == "font":
        colour = _legacy_colour(attrs.get("color") or "")
        place.colour = colour or place.colour
        size = (attrs.get("size") or "").strip()
        if size.isdigit() and 1 <= int(size) <= 7:
            place.size = _FONT_SIZE_PX[int(size) - 1]
    if tag == "body":
        place.colour = _legacy_colour(attrs.get("text") or "") or place.colour
    style = attrs.get("style")
    if style:
        _apply_style(place, declarations(style), parent)
    return place


def _apply_style(place: Place, decls: dict[str, list[Any]], parent: Place) -> None:
    """What an inline style changes: visibility, colours, font size and weight."""
    display = decls.get("display", [])
    visibility = decls.get("visibility", [])
    if any(getattr(t, "lower_value", "") == "none" for t in display) or any(
        getattr(t, "lower_value", "") in ("hidden", "collapse") for t in visibility
    ):
        place.hidden = True
    if "color" in decls:
        place.colour = parse_colour(decls["color"]) or place.colour
    back = background(decls)
    if back is True:
        place.back = None
    elif isinstance(back, Colour):
        if back.alpha >= 1:
            place.back = back
        elif place.back is not None:  # translucent over what is known; else still unknown
            place.back = back.over(place.back)
    if "font-size" in decls:
        place.size = font_size(decls["font-size"], parent.size)
    if "font-weight" in decls:
        place.bold = is_bold(decls["font-weight"], parent.bold)


def _legacy_colour(value: str) -> Colour | None:
    """An HTML colour attribute: CSS colours, and bare hex digits, which browsers accept there."""
    value = value.strip()
    return parse_colour("#" + value if _LEGACY_HEX.fullmatch(value) else value) if value else None


def snippet(node: LexborNode, text: str = "") -> str:
    """`node`'s start tag (long attribute values shortened), then the start of `text`."""
    attrs = []
    for name, value in node.attributes.items():
        if value is None:
            attrs.append(f" {name}")
        else:
            short = value if len(value) <= 60 else value[:57] + "..."
            attrs.append(f' {name}="{short}"')
    start = f"<{node.tag}{''.join(attrs[:8])}{' ...' if len(attrs) > 8 else ''}>"
    return start + (text if len(text) <= 80 else text[:77] + "...")
