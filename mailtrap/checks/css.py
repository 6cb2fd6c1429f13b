"""Which caniemail CSS features a stylesheet or a `style` attribute uses, read with tinycss2.

A real tokenizer, not patterns over the text: `width` inside `max-width`, a `:hover` inside a
string or comment, or `rgb(` spelled `RGB (` are all told apart as a browser would. Counts are
occurrences in the source: one per declaration for properties, values, units and functions
(a declaration with three `px` lengths counts `css-unit-px` once), one per rule for selector
features, one per at-rule or comment. Styles are not cascaded onto elements.

Untrusted input is bounded: tinycss2's cost is linear, about 1 µs a character for ordinary CSS
but ~10 µs for deeply nested blocks, so it reads at most `max_chars` characters in all and
`MAX_ITEM_CHARS` of any one stylesheet or attribute, and no new one once `seconds` have passed
(at worst ~1 s over, for one maximal nested item); the walk over what it built, without
recursion (blocks nest arbitrarily deep), stops after `max_tokens` component values.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator

import tinycss2
from tinycss2 import ast

from mailtrap.checks._words import words as _words

__all__ = ["MAX_ITEM_CHARS", "SLUGS", "CSSScan"]

MAX_ITEM_CHARS = 100_000

# Feature slugs named after a property or a family of properties ("css-margin" covers
# margin-top): the longest matching prefix wins, so margin-inline-start is not css-margin.
PROPERTIES: dict[str, str] = {
    name: f"css-{name}"
    for name in _words(
        "accent-color align-items animation aspect-ratio backdrop-filter background "
        "background-blend-mode background-clip background-color background-image "
        "background-origin background-position background-repeat background-size border "
        "border-collapse border-image border-radius border-spacing box-shadow box-sizing "
        "caption-side clear clip-path color-scheme column-count cursor direction display "
        "empty-cells filter flex-direction flex-wrap float font font-kerning font-size "
        "font-size-adjust font-stretch font-weight gap grid-template height "
        "hyphenate-character hyphenate-limit-chars hyphens inline-size inset intrinsic-size "
        "justify-content letter-spacing line-height list-style list-style-image "
        "list-style-position list-style-type margin mask-image max-block-size max-height "
        "max-inline-size max-width min-block-size min-height min-inline-size min-width "
        "mix-blend-mode object-fit object-position opacity orphans outline outline-offset "
        "overflow overflow-wrap padding position resize shape-margin shape-outside tab-size "
        "table-layout text-align text-align-last text-decoration text-decoration-color "
        "text-decoration-line text-decoration-skip-ink text-decoration-style "
        "text-decoration-thickness text-emphasis text-emphasis-position text-indent "
        "text-justify text-orientation text-overflow text-shadow text-transform "
        "text-underline-offset text-underline-position text-wrap transform transition "
        "user-select vertical-align visibility white-space white-space-collapse widows width "
        "word-break word-spacing word-wrap writing-mode z-index"
    )
} | {
    "column": "css-column-layout-properties",
    "columns": "css-column-layout-properties",
    "block-size": "css-block-inline-size",
    "scroll-snap": "css-scroll-snap",
    "top": "css-left-right-top-bottom",
    "right": "css-left-right-top-bottom",
    "bottom": "css-left-right-top-bottom",
    "left": "css-left-right-top-bottom",
    "margin-inline": "css-margin-inline-block",
    "margin-block": "css-margin-inline-block",
    "margin-inline-start": "css-margin-inline-start-end",
    "margin-inline-end": "css-margin-inline-start-end",
    "margin-block-start": "css-margin-block-start-end",
    "margin-block-end": "css-margin-block-start-end",
    "padding-inline": "css-padding-inline-block",
    "padding-block": "css-padding-inline-block",
    "padding-inline-start": "css-padding-inline-start-end",
    "padding-inline-end": "css-padding-inline-start-end",
    "padding-block-start": "css-padding-block-start-end",
    "padding-block-end": "css-padding-block-start-end",
    "border-inline": "css-border-inline-block",
    "border-block": "css-border-inline-block",
    "border-inline-start": "css-border-inline-block-individual",
    "border-inline-end": "css-border-inline-block-individual",
    "border-block-start": "css-border-inline-block-individual",
    "border-block-end": "css-border-inline-block-individual",
    "border-start-start-radius": "css-border-radius-logical",
    "border-start-end-radius": "css-border-radius-logical",
    "border-end-start-radius": "css-border-radius-logical",
    "border-end-end-radius": "css-border-radius-logical",
}
# border-inline-width and the like: the longhands of the logical borders.
_LOGICAL_BORDER_LONGHANDS = {
    f"border-{axis}-{part}": "css-border-inline-block-longhand"
    for axis in ("inline", "block")
    for part in ("width", "style", "color")
}
PROPERTIES |= _LOGICAL_BORDER_LONGHANDS
# Properties whose longhands caniemail counts as the shorthand's feature (margin-top, overflow-x,
# animation-name, column-gap); others (font-family, text-align) are features of their own or
# none. Longest first, so border-inline-start is not border.
FAMILIES = sorted(
    {
        "animation",
        "background",
        "border",
        "border-inline",
        "border-block",
        "column",
        "grid-template",
        "inset",
        "list-style",
        "margin",
        "outline",
        "overflow",
        "padding",
        "scroll-snap",
        "text-decoration",
        "text-emphasis",
        "transition",
    },
    key=len,
    reverse=True,
)

FUNCTIONS = {
    "rgb": "css-rgb",
    "rgba": "css-rgba",
    "calc": "css-unit-calc",
    "clamp": "css-function-clamp",
    "min": "css-function-min",
    "max": "css-function-max",
    "light-dark": "css-function-light-dark",
    "var": "css-variables",
    "linear-gradient": "css-linear-gradient",
    "repeating-linear-gradient": "css-linear-gradient",
    "radial-gradient": "css-radial-gradient",
    "repeating-radial-gradient": "css-radial-gradient",
    "conic-gradient": "css-conic-gradient",
    "repeating-conic-gradient": "css-conic-gradient",
    **dict.fromkeys(("hwb", "lab", "lch", "oklab", "oklch", "color"), "css-modern-color"),
}
UNITS = {
    unit: f"css-unit-{unit}"
    for unit in ("px", "em", "ex", "rem", "ch", "vh", "vw", "vmin", "vmax", "cm", "mm", "in")
} | {"pt": "css-unit-pt", "pc": "css-unit-pc"}
DISPLAY = {
    "flex": "css-display-flex",
    "inline-flex": "css-display-flex",
    "grid": "css-display-grid",
    "inline-grid": "css-display-grid",
    "none": "css-display-none",
}
AT_RULES = {
    "font-face": "css-at-font-face",
    "import": "css-at-import",
    "keyframes": "css-at-keyframes",
    "-webkit-keyframes": "css-at-keyframes",
    "media": "css-at-media",
    "supports": "css-at-supports",
}
MEDIA_FEATURES = {
    "prefers-color-scheme": "css-at-media-prefers-color-scheme",
    "prefers-reduced-motion": "css-at-media-prefers-reduced-motion",
    "orientation": "css-at-media-orientation",
    "hover": "css-at-media-hover",
    "any-hover": "css-at-media-hover",
}
PSEUDO_CLASSES = frozenset(
    _words(
        "active checked default first-child first-of-type focus focus-visible focus-within has "
        "hover lang last-child last-of-type link not nth-child nth-last-child nth-last-of-type "
        "nth-of-type only-child only-of-type target visited"
    )
)
PSEUDO_ELEMENTS = frozenset(_words("after before first-letter first-line marker placeholder"))
# CSS 2 let these four be written with one colon; they are pseudo-elements all the same.
_LEGACY_PSEUDO_ELEMENTS = frozenset({"after", "before", "first-letter", "first-line"})
_COMBINATORS = {">": "css-selector-child", "+": "css-selector-adjacent-sibling"}
_COMBINATORS["~"] = "css-selector-general-sibling"

# Every slug these tables can report: the check's "Tests".
SLUGS = frozenset(
    {*PROPERTIES.values(), *FUNCTIONS.values(), *UNITS.values(), *DISPLAY.values()}
    | {*AT_RULES.values(), *MEDIA_FEATURES.values(), "css-at-media-device-pixel-ratio"}
    | {f"css-pseudo-class-{name}" for name in PSEUDO_CLASSES}
    | {f"css-pseudo-element-{name}" for name in PSEUDO_ELEMENTS}
    | {*_COMBINATORS.values(), "css-selector-descendant", "css-selector-grouping"}
    | {"css-selector-" + k for k in ("id", "class", "attribute", "type", "universal")}
    | {"css-selector-chaining", "css-nesting", "css-comments", "css-important"}
    | {"css-unit-percent", "css-unit-initial", "css-sytem-ui"}
)


class CSSScan:
    """Counts features over any number of stylesheets and `style` attributes, in the order
    given, reading at most `max_chars` characters and `max_tokens` component values in all,
    and for `seconds` (CSS past any of these is not read; `exhausted` says so)."""

    def __init__(self, *, max_chars: int, max_tokens: int, seconds: float) -> None:
        self.found: Counter[str] = Counter()
        self._chars = max_chars
        self._budget = max_tokens
        self._deadline = time.monotonic() + seconds

    @property
    def exhausted(self) -> bool:
        """True once any budget is spent: CSS given after that is not read."""
        return self._budget <= 0 or self._chars <= 0 or time.monotonic() > self._deadline

    def _take(self, css: str) -> str:
        css = css[: max(min(self._chars, MAX_ITEM_CHARS), 0)]
        self._chars -= len(css) or 1  # an empty attribute still costs a call
        return css

    def stylesheet(self, css: str) -> None:
        """A `<style>` element's text."""
        if not self.exhausted:
            css = self._take(css)
            self._rules(tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=True))

    def style_attribute(self, css: str) -> None:
        """A `style` attribute's declarations."""
        if not self.exhausted:
            css = self._take(css)
            self._rules(
                tinycss2.parse_blocks_contents(css, skip_comments=False, skip_whitespace=True)
            )

    def _rules(self, first: Iterable[ast.Node]) -> None:
        # A worklist of node lists, not recursion: @media inside @supports inside nested
        # rules, however deep, costs no stack.
        pending: list[Iterable[ast.Node]] = [first]
        while pending and not self.exhausted:
            for node in pending.pop():
                self._budget -= 1
                if isinstance(node, ast.Declaration):
                    self._declaration(node)
                elif isinstance(node, ast.Comment):
                    self.found["css-comments"] += 1
                elif isinstance(node, ast.QualifiedRule):
                    self._selector(node.prelude)
                    inner = tinycss2.parse_blocks_contents(node.content, skip_whitespace=True)
                    if any(isinstance(n, ast.QualifiedRule) for n in inner):
                        self.found["css-nesting"] += 1
                    pending.append(inner)
                elif isinstance(node, ast.AtRule):
                    pending.extend(self._at_rule(node))

    def _at_rule(self, rule: ast.AtRule) -> Iterator[Iterable[ast.Node]]:
        keyword = rule.lower_at_keyword
        if keyword in AT_RULES:
            self.found[AT_RULES[keyword]] += 1
        if keyword == "media":
            seen = set()
            for token in self._tokens(rule.prelude):
                if isinstance(token, ast.IdentToken):
                    name = token.lower_value.removeprefix("-webkit-")
                    if name in MEDIA_FEATURES:
                        seen.add(MEDIA_FEATURES[name])
                    elif "device-pixel-ratio" in name:
                        seen.add("css-at-media-device-pixel-ratio")
            self.found.update(seen)
        if rule.content is not None and keyword in ("media", "supports", "layer", "container"):
            yield tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)
        # @font-face holds descriptors and @keyframes steps: neither is a rule's properties.

    def _declaration(self, declaration: ast.Declaration) -> None:
        name = declaration.lower_name
        seen: set[str] = set()
        if name.startswith("--"):
            seen.add("css-variables")
        elif (slug := _property(name)) is not None:
            seen.add(slug)
        if declaration.important:
            seen.add("css-important")
        for token in self._tokens(declaration.value):
            if isinstance(token, ast.FunctionBlock) and token.lower_name in FUNCTIONS:
                seen.add(FUNCTIONS[token.lower_name])
            elif isinstance(token, ast.DimensionToken) and token.lower_unit in UNITS:
                seen.add(UNITS[token.lower_unit])
            elif isinstance(token, ast.PercentageToken):
                seen.add("css-unit-percent")
            elif isinstance(token, ast.IdentToken):
                value = token.lower_value
                if value == "initial":
                    seen.add("css-unit-initial")
                elif name == "display" and value in DISPLAY:
                    seen.add(DISPLAY[value])
                elif value == "system-ui" and name in ("font", "font-family"):
                    seen.add("css-sytem-ui")  # sic: caniemail's slug
        self.found.update(seen)

    def _selector(self, prelude: list[ast.Node]) -> None:
        """One rule's selector list: each feature once for the rule."""
        seen: set[str] = set()
        tokens = list(self._tokens(prelude, into_blocks=False))
        compound = 0  # simple selectors so far in the current compound selector
        spaced = False  # whitespace since the last simple selector
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            kind: str | None = None
            if isinstance(token, ast.WhitespaceToken):
                spaced = compound > 0
                continue
            if isinstance(token, ast.LiteralToken) and token.value in (",", *_COMBINATORS):
                seen.add(_COMBINATORS.get(token.value, "css-selector-grouping"))
                compound, spaced = 0, False
                continue
            if isinstance(token, ast.HashToken):
                kind = "css-selector-id"
            elif isinstance(token, ast.SquareBracketsBlock):
                kind = "css-selector-attribute"
            elif isinstance(token, ast.IdentToken):
                kind = "css-selector-type"
            elif _is_literal(token, "*"):
                kind = "css-selector-universal"
            elif _is_literal(token, ".") and i < len(tokens):
                kind = "css-selector-class"
                i += 1  # the class name
            elif _is_literal(token, ":"):
                double = i < len(tokens) and _is_literal(tokens[i], ":")
                i += double
                if i < len(tokens):
                    kind = _pseudo(tokens[i], double=double)
                    i += 1
            if kind is None:
                continue
            if spaced:
                seen.add("css-selector-descendant")
                compound, spaced = 0, False
            compound += 1
            if compound > 1:
                seen.add("css-selector-chaining")
            if kind:
                seen.add(kind)
        self.found.update(seen)

    def _tokens(self, values: list[ast.Node], *, into_blocks: bool = True) -> Iterator[ast.Node]:
        """`values` and, with `into_blocks`, the tokens inside their functions and blocks,
        depth first, within the budget."""
        stack: list[Iterator[ast.Node]] = [iter(values)]
        while stack:
            token = next(stack[-1], None)
            if token is None:
                stack.pop()
                continue
            self._budget -= 1
            if self._budget <= 0:
                return
            yield token
            if into_blocks and isinstance(token, ast.FunctionBlock):
                stack.append(iter(token.arguments))
            elif into_blocks and isinstance(token, ast.ParenthesesBlock | ast.SquareBracketsBlock):
                stack.append(iter(token.content))


def _property(name: str) -> str | None:
    """The feature slug of property `name`: its own, or its family's (margin-top is
    css-margin, border-top-left-radius css-border-radius)."""
    if name in PROPERTIES:
        return PROPERTIES[name]
    if name.startswith("border-") and name.endswith("-radius"):
        return "css-border-radius"
    family = next((f for f in FAMILIES if name.startswith(f + "-")), None)
    return PROPERTIES[family] if family is not None else None


def _pseudo(token: ast.Node, *, double: bool) -> str:
    """The feature of the pseudo-class or pseudo-element named by `token` after ":" (or "::"
    with `double`), or "" for one caniemail does not list."""
    if not isinstance(token, ast.IdentToken | ast.FunctionBlock):
        return ""
    name = token.lower_value if isinstance(token, ast.IdentToken) else token.lower_name
    if double or name in _LEGACY_PSEUDO_ELEMENTS:
        return f"css-pseudo-element-{name}" if name in PSEUDO_ELEMENTS else ""
    return f"css-pseudo-class-{name}" if name in PSEUDO_CLASSES else ""


def _is_literal(token: ast.Node, values: str) -> bool:
    return isinstance(token, ast.LiteralToken) and token.value in values
