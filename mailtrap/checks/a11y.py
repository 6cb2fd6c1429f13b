"""An accessibility check of HTML mail: `check_html(html)` finds what the rules in
`mailtrap.checks.a11yrules` describe, each finding with where it occurs and a severity.

One walk of the tree (Lexbor, through selectolax, parsing as a mail client with scripting off
would), with an explicit stack, so deep nesting cannot exhaust Python's; each element's place
and inherited presentation come from `mailtrap.checks.places`. What no reader meets (`<head>`,
scripts, `display:none` preheaders, `aria-hidden` decoration) is not judged.

Bounded: Lexbor's tree builder is quadratic in nesting depth, so only the HTML before the
`MAX_TAGS`-th start tag (and within `MAX_CHARS`) is checked, and the report says it is
`truncated`; a finding lists at most `MAX_OCCURRENCES` places (its `count` has them all).
Never raises for what the HTML holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from mailtrap.checks.a11yrules import RULES, Severity
from mailtrap.checks.contrast import contrast_ratio, required_ratio
from mailtrap.checks.places import HEADING_PX, NO_ROLE, Place, Table, inherit, snippet

__all__ = [
    "MAX_CHARS",
    "MAX_OCCURRENCES",
    "MAX_TAGS",
    "A11yReport",
    "Finding",
    "Occurrence",
    "check_html",
]

MAX_TAGS = 20_000  # Lexbor builds this many, however nested, in well under a second
MAX_CHARS = 4 * 1024 * 1024
MAX_OCCURRENCES = 50
_START_TAG = re.compile(r"<[A-Za-z]")
_UNSEEN = frozenset({"head", "script", "style", "template", "title"})
_LANG = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
_VAGUE = frozenset(
    {"click here", "here", "click", "click this", "this", "this link", "link", "read more", "more",
     "learn more", "more info", "more information", "details", "go", "continue", "see more"}
)  # fmt: skip
_URL_TEXT = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_FEW_WORDS = 5  # below this, the text is not the message


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a finding occurs: a short CSS-like `selector`, the element's start tag (and first
    text) as `snippet`, and `detail` where it helps (a contrast ratio, the skipped level)."""

    selector: str
    snippet: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's findings: `count` places in all, the first `MAX_OCCURRENCES` listed."""

    rule: str
    severity: Severity
    title: str
    description: str
    count: int
    occurrences: tuple[Occurrence, ...]


@dataclass(frozen=True, slots=True)
class A11yReport:
    """The findings (errors first), the places counted by severity, the elements examined."""

    findings: tuple[Finding, ...]
    errors: int
    warnings: int
    nodes: int
    truncated: bool


@dataclass
class _Walk:
    found: dict[str, list[Occurrence]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    images: list[Occurrence] = field(default_factory=list)
    words: int = 0
    nodes: int = 0
    heading: int = 0

    def add(self, rule: str, place: Place, snippet: str, detail: str = "") -> None:
        self.counts[rule] = self.counts.get(rule, 0) + 1
        listed = self.found.setdefault(rule, [])
        if len(listed) < MAX_OCCURRENCES:
            listed.append(Occurrence(place.selector(), snippet, detail))


def check_html(html: str) -> A11yReport:
    """The accessibility findings of `html` (see the module's doc for what is checked)."""
    html, truncated = _bounded(html)
    tree = LexborHTMLParser(html, scripting=False)
    walk = _Walk()
    root = tree.root
    if root is not None:
        _check_lang(walk, root)
        _walk(walk, root)
    for table in walk.tables:
        if not table.fine:
            walk.add("layout-table", table.place, table.snippet)
    if walk.images and walk.words < _FEW_WORDS:
        for image in walk.images:
            walk.counts["text-in-images"] = walk.counts.get("text-in-images", 0) + 1
            walk.found.setdefault("text-in-images", []).append(image)
    findings = tuple(
        Finding(
            r.id,
            r.severity,
            r.title,
            r.description,
            walk.counts[r.id],
            tuple(walk.found[r.id][:MAX_OCCURRENCES]),
        )
        for r in sorted(RULES.values(), key=lambda r: r.severity != "error")
        if walk.counts.get(r.id)
    )
    errors = sum(f.count for f in findings if f.severity == "error")
    return A11yReport(
        findings, errors, sum(f.count for f in findings) - errors, walk.nodes, truncated
    )


def _bounded(html: str) -> tuple[str, bool]:
    """`html` up to the MAX_TAGS-th start tag and MAX_CHARS, and whether it was cut."""
    cut = len(html) > MAX_CHARS
    html = html[:MAX_CHARS]
    for n, tag in enumerate(_START_TAG.finditer(html)):
        if n == MAX_TAGS:
            return html[: tag.start()], True
    return html, cut


def _check_lang(walk: _Walk, root: LexborNode) -> None:
    attrs = root.attributes
    lang = (attrs.get("lang") or attrs.get("xml:lang") or "").strip()
    place = Place("html", None)
    if not lang:
        walk.add("html-lang", place, snippet(root))
    elif not _LANG.fullmatch(lang):
        walk.add("html-lang-valid", place, snippet(root), f"lang={lang!r}")


def _walk(walk: _Walk, root: LexborNode) -> None:
    stack: list[tuple[LexborNode, Place]] = [(root, Place("html", None))]
    while stack:
        node, place = stack.pop()
        walk.nodes += 1
        text = _own_text(node)
        _check(walk, node, place, text)
        seen: dict[str, int] = {}
        children: list[tuple[LexborNode, Place]] = []
        for child in node.iter(include_text=False):
            tag = child.tag or ""
            if tag.startswith("-") or tag in _UNSEEN:
                continue
            seen[tag] = seen.get(tag, 0) + 1
            children.append((child, inherit(child, place, tag, seen[tag])))
        stack.extend(reversed(children))


def _check(walk: _Walk, node: LexborNode, place: Place, text: str) -> None:
    """The rules that look at one element."""
    tag = node.tag or ""
    attrs = node.attributes
    if place.hidden:
        return  # display:none preheaders, aria-hidden decoration: no reader meets them
    if place.table is not None and place.table.place is place:
        walk.tables.append(place.table)
    if text:
        walk.words += len(_WORD.findall(text[:200]))
        if place.back is not None:
            ratio = contrast_ratio(place.colour, place.back)
            needed = required_ratio(place.size, place.bold)
            if ratio < needed:
                colours = f"{place.colour.over(place.back).hex()} on {place.back.hex()}"
                detail = f"{ratio:.2f}:1 ({colours}), needs {needed:g}:1"
                walk.add("color-contrast", place, snippet(node, text), detail)
    if tag in ("img", "area") or (tag == "input" and (attrs.get("type") or "").lower() == "image"):
        _check_image(walk, node, place, tag)
    elif tag == "a" and "href" in attrs:
        _check_link(walk, node, place)
    elif tag in HEADING_PX:
        level = int(tag[1])
        if walk.heading and level > walk.heading + 1:
            walk.add("heading-order", place, snippet(node, text), f"h{level} after h{walk.heading}")
        walk.heading = level


def _check_image(walk: _Walk, node: LexborNode, place: Place, tag: str) -> None:
    attrs = node.attributes
    if tag == "area" and "href" not in attrs:
        return  # not a link: nothing to name
    role = (attrs.get("role") or "").strip()
    if "alt" not in attrs and role not in NO_ROLE:
        walk.add("image-alt", place, snippet(node))
    if tag == "img" and not _tiny(attrs):
        walk.images.append(Occurrence(place.selector(), snippet(node)))


def _tiny(attrs: dict[str, str | None]) -> bool:
    """A tracking pixel or spacer: width or height of 1 or 2."""
    return any(
        (attrs.get(side) or "").strip().removesuffix("px") in ("0", "1", "2")
        for side in ("width", "height")
    )


def _check_link(walk: _Walk, node: LexborNode, place: Place) -> None:
    attrs = node.attributes
    name = (attrs.get("aria-label") or "").strip()
    if not name:
        alts = " ".join((img.attributes.get("alt") or "") for img in node.css("img"))
        name = (
            " ".join(f"{node.text(deep=True)} {alts}".split()) or (attrs.get("title") or "").strip()
        )
    if not name:
        walk.add("link-name", place, snippet(node))
        return
    plain = " ".join(re.sub(r"[^\w\s]", " ", name.lower()).split())
    if plain in _VAGUE:
        walk.add("link-text", place, snippet(node, name), f"{name[:60]!r}")
    elif _URL_TEXT.fullmatch(name):
        walk.add("link-text", place, snippet(node, name), "the text is a bare URL")


def _own_text(node: LexborNode) -> str:
    """The text directly inside `node` (not its elements'), whitespace collapsed."""
    chunks = [c.text(deep=False) for c in node.iter(include_text=True) if c.tag == "-text"]
    return " ".join("".join(chunks).split())
