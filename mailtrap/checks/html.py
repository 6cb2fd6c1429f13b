"""The HTML check: which of caniemail.com's HTML, CSS and image-format features a message's
HTML uses, and how well email clients support them. Mailpit's `/html-check`, computed here.

`check_html(html)` parses with Lexbor (selectolax, as a browser does, scripting off) and reads
CSS with tinycss2 (`mailtrap.checks.css`): `<style>` elements, `style` attributes and
at-rules in them. What it reports, as Mailpit does:

- a `Finding` per feature found, with `found` (how often: elements, attributes, declarations,
  rules; see `css`) and the feature's `Score` (the percentages of tested client versions that
  support it fully, partly, not at all; `caniemail`), plus every client version's `Result`;
- `nodes`, the elements in the mail: every element but `html`, `head`, `body` and `meta`;
- `tests`, how many features the check looks for;
- the total: each warning weighs its partial and unsupported percentages by the share of the
  mail it touches, `min(1, found / nodes)`; the total's `unsupported` is the heaviest such
  weight, `partial` the heaviest partial one (so that unsupported + partial <= 100), and
  `supported` the rest. That is Mailpit's formula, with the share capped at the whole mail
  (Mailpit can pass 100% when a feature occurs more often than there are elements).

Warnings come worst first (by that weight, then by slug). The check never fetches anything:
remote stylesheets (`<link>`) are reported as `html-link`, not read.

Bounds, whatever the mail: only the HTML before its `MAX_TAGS`-th start tag is parsed (Lexbor
takes time quadratic in nesting depth: 10,000 nested elements cost ~0.4 s, 20,000 ~1.6 s), and
CSS is read for `CSS_SECONDS`, at most `MAX_CSS_CHARS` characters and `MAX_CSS_TOKENS` component
values of it (see `css`: hostile CSS costs ~2 s at worst). A mail beyond them is checked on its
first part; a large newsletter is well within them (tests/data/marketing-large-newsletter.eml:
200 KB, 2,300 tags, 80 KB of inline CSS, checked in about 0.1 s).
Malformed HTML or CSS is read as a browser would read it; it never makes the check fail.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from mailtrap.checks._words import words as _words
from mailtrap.checks.caniemail import Feature, Score, database
from mailtrap.checks.css import CSSScan
from mailtrap.checks.cssnames import SLUGS as CSS_SLUGS

__all__ = [
    "CSS_SECONDS",
    "MAX_CSS_CHARS",
    "MAX_CSS_TOKENS",
    "MAX_TAGS",
    "SCRIPT",
    "Finding",
    "HTMLCheck",
    "check_html",
]

MAX_TAGS = 10_000
MAX_CSS_CHARS = 1_000_000
MAX_CSS_TOKENS = 2_000_000
CSS_SECONDS = 1.0

# Elements each feature is about.
ELEMENTS: dict[str, str] = {
    tag: f"html-{tag}"
    for tag in _words(
        "abbr acronym address audio base bdi blockquote code del dfn dialog div form hr img "
        "link marquee meter p picture pre progress rp rt ruby select small span strike strong "
        "style svg table textarea video wbr"
    )
} | {
    **{f"h{n}": "html-h1-h6" for n in range(1, 7)},
    **dict.fromkeys(("ul", "ol", "dl"), "html-lists"),
    **dict.fromkeys(("object", "embed"), "html-object"),
    "map": "html-image-maps",
    **dict.fromkeys(
        _words(
            "article aside details figcaption figure footer header main mark nav section summary "
            "time"
        ),
        "html-semantics",
    ),
}
# Attributes each feature is about, on any element.
ATTRIBUTES: dict[str, str] = {
    name: f"html-{name}"
    for name in _words(
        "align aria-describedby aria-hidden aria-label aria-labelledby aria-live background "
        "cellpadding cellspacing dir height hidden lang popover required role srcset valign "
        "width"
    )
} | {
    "loading": "html-loading-attribute",
    "usemap": "html-image-maps",
    "inert": "css-inert-attribute",
}
INPUTS = {kind: f"html-input-{kind}" for kind in ("checkbox", "hidden", "radio", "reset", "submit")}
INPUTS["text"] = "html-input-text"
BUTTONS = {"reset": "html-button-reset", "submit": "html-button-submit"}
IMAGES = {
    "apng": "image-apng",
    "avif": "image-avif",
    "bmp": "image-bmp",
    "gif": "image-gif",
    "hdr": "image-hdr",
    "heif": "image-heif",
    "heic": "image-heif",
    "ico": "image-ico",
    "jpg": "image-jpg",
    "jpeg": "image-jpg",
    "mp4": "image-mp4",
    "png": "image-png",
    "svg": "image-svg",
    "tif": "image-tiff",
    "tiff": "image-tiff",
    "webp": "image-webp",
}
_DATA_IMAGE = re.compile(r"data:image/([a-z0-9.+-]+)", re.IGNORECASE)
_IMAGE_TYPES = {"jpeg": "jpg", "svg+xml": "svg", "x-icon": "ico", "vnd.microsoft.icon": "ico"}
# Script types that are data, not code: Mailpit does not count them either.
_DATA_SCRIPTS = frozenset({"application/ld+json", "application/json"})
_START_TAG = re.compile(r"<[A-Za-z]")
_BODY_TAG = re.compile(r"<body[\s/>]", re.IGNORECASE)
_NOT_NODES = frozenset({"html", "head", "body", "meta"})

# Not in caniemail's data; Mailpit reports it the same way: no client runs a mail's script.
SCRIPT = Feature(
    slug="html-script",
    title="<script> element",
    description="JavaScript is not supported in any email client.",
    url="",
    category="html",
    tags=(),
    keywords="",
    notes={},
    results=(),
    score=Score(supported=0.0, partial=0.0, unsupported=100.0),
)


@dataclass(frozen=True, slots=True)
class Finding:
    """A feature the mail uses `found` times."""

    feature: Feature
    found: int


@dataclass(frozen=True, slots=True)
class HTMLCheck:
    """The check of one mail's HTML (see the module's docstring for each figure)."""

    warnings: tuple[Finding, ...]
    platforms: dict[str, list[str]]
    tests: int
    nodes: int
    supported: float
    partial: float
    unsupported: float


def checked_slugs() -> frozenset[str]:
    """Every feature the check looks for (the `tests` figure counts them)."""
    html = {*ELEMENTS.values(), *ATTRIBUTES.values(), *INPUTS.values(), *BUTTONS.values()}
    extra = {"html-anchor-links", "html-mailto-links", "html-target", "html-body"}
    extra |= {"html-comments", "html-doctype", "html-meta-color-scheme", "image-base64"}
    return frozenset(html | extra | set(IMAGES.values()) | CSS_SLUGS | {SCRIPT.slug})


def check_html(html: str) -> HTMLCheck:
    """The check of `html` (any text: malformed markup and CSS are read as browsers read
    them). Never fetches; bounded as the module says."""
    db = database()
    html = _first_tags(html, MAX_TAGS)
    found: Counter[str] = Counter()
    css = CSSScan(max_chars=MAX_CSS_CHARS, max_tokens=MAX_CSS_TOKENS, seconds=CSS_SECONDS)
    if _BODY_TAG.search(html):
        # The tree cannot say: the parser makes a <body> for every document, written or not.
        found["html-body"] = 1
    tree = LexborHTMLParser(html, scripting=False)
    nodes = 0
    # What comes before <html>: the doctype, and comments.
    before = tree.root.prev if tree.root is not None else None
    while before is not None:
        if before.tag == "-doctype":
            found["html-doctype"] = 1
        elif before.tag == "-comment":
            found["html-comments"] += 1
        before = before.prev
    # Template contents are fragments of their own, and templates nest: a worklist.
    roots: list[LexborNode] = [tree.root] if tree.root is not None else []
    while roots:
        root = roots.pop()
        for node in root.traverse(include_text=False):
            tag = node.tag or ""
            if tag == "-comment":
                found["html-comments"] += 1
                continue
            if tag not in _NOT_NODES:
                nodes += 1
            _element(node, tag, found, css)
        roots.extend(root.template_fragments())
    found.update(css.found)
    features = {**db.features, SCRIPT.slug: SCRIPT}
    # A slug a future refresh of the data dropped is left out rather than invented.
    warnings = [Finding(features[slug], n) for slug, n in found.items() if slug in features]
    return _total(warnings, db.platforms, len(checked_slugs()), nodes)


def _first_tags(html: str, limit: int) -> str:
    """`html` up to its `limit`-th start tag (all of it if it has no more)."""
    for count, tag in enumerate(_START_TAG.finditer(html), 1):
        if count > limit:
            return html[: tag.start()]
    return html


def _element(node: LexborNode, tag: str, found: Counter[str], css: CSSScan) -> None:
    attrs = node.attributes
    if tag in ELEMENTS:
        found[ELEMENTS[tag]] += 1
    for name in attrs:
        if name in ATTRIBUTES:
            found[ATTRIBUTES[name]] += 1
    kind = (attrs.get("type") or "").strip().lower()
    if tag == "input":
        slug = INPUTS.get(kind or "text")
        if slug is not None:
            found[slug] += 1
    elif tag == "button":
        slug = BUTTONS.get(kind or "submit")  # a button's type is submit unless it says not
        if slug is not None:
            found[slug] += 1
    elif tag == "a":
        href = (attrs.get("href") or "").strip()
        if href.startswith("#"):
            found["html-anchor-links"] += 1
        elif href.lower().startswith("mailto:"):
            found["html-mailto-links"] += 1
        if "target" in attrs:
            found["html-target"] += 1
    elif tag == "img":
        found.update(_image_formats(attrs.get("src") or ""))
    elif tag == "script" and kind not in _DATA_SCRIPTS:
        found[SCRIPT.slug] += 1
    elif tag == "style":
        css.stylesheet(node.text(deep=True))
    elif tag == "meta" and (attrs.get("name") or "").strip().lower() in (
        "color-scheme",
        "supported-color-schemes",
    ):
        found["html-meta-color-scheme"] += 1
    style = attrs.get("style")
    if style:
        css.style_attribute(style)


def _image_formats(src: str) -> list[str]:
    src = src.strip()
    data = _DATA_IMAGE.match(src)
    if data:
        kind = data[1].lower()
        fmt = IMAGES.get(_IMAGE_TYPES.get(kind, kind))
        return ["image-base64", *([fmt] if fmt else [])]
    try:
        path = urlsplit(src).path
    except ValueError:  # e.g. an unclosed IPv6 bracket: no URL, so no format
        return []
    extension = path.rpartition("/")[2].rpartition(".")[2].lower() if "." in path else ""
    fmt = IMAGES.get(extension)
    return [fmt] if fmt else []


def _weight(warning: Finding, score: float, nodes: int) -> float:
    return score * min(1.0, warning.found / max(nodes, 1))


def _total(
    warnings: list[Finding], platforms: dict[str, list[str]], tests: int, nodes: int
) -> HTMLCheck:
    def badness(w: Finding) -> float:
        return _weight(w, w.feature.score.unsupported + w.feature.score.partial, nodes)

    unsupported = max((_weight(w, w.feature.score.unsupported, nodes) for w in warnings), default=0)
    partial = max((_weight(w, w.feature.score.partial, nodes) for w in warnings), default=0)
    partial = min(partial, 100 - unsupported)
    ordered = sorted(warnings, key=lambda w: (-badness(w), w.feature.slug))
    return HTMLCheck(
        warnings=tuple(ordered),
        platforms=platforms,
        tests=tests,
        nodes=nodes,
        supported=100 - unsupported - partial,
        partial=partial,
        unsupported=unsupported,
    )
