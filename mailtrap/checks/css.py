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

from mailtrap.checks.cssnames import (
    AT_RULES,
    COMBINATORS,
    DISPLAY,
    FAMILIES,
    FUNCTIONS,
    LEGACY_PSEUDO_ELEMENTS,
    MEDIA_FEATURES,
    PROPERTIES,
    PSEUDO_CLASSES,
    PSEUDO_ELEMENTS,
    UNITS,
)

__all__ = ["MAX_ITEM_CHARS", "CSSScan"]

MAX_ITEM_CHARS = 100_000


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
            if isinstance(token, ast.LiteralToken) and token.value in (",", *COMBINATORS):
                seen.add(COMBINATORS.get(token.value, "css-selector-grouping"))
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
    if double or name in LEGACY_PSEUDO_ELEMENTS:
        return f"css-pseudo-element-{name}" if name in PSEUDO_ELEMENTS else ""
    return f"css-pseudo-class-{name}" if name in PSEUDO_CLASSES else ""


def _is_literal(token: ast.Node, values: str) -> bool:
    return isinstance(token, ast.LiteralToken) and token.value in values
