"""The names the CSS scan (`mailtrap.checks.css`) maps to caniemail feature slugs: properties
and their families, functions, units, `display` values, at-rules, media features,
pseudo-classes and pseudo-elements, combinators. `SLUGS` is every slug they can report."""

from __future__ import annotations

from mailtrap.checks._words import words as _words

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
LOGICAL_BORDER_LONGHANDS = {
    f"border-{axis}-{part}": "css-border-inline-block-longhand"
    for axis in ("inline", "block")
    for part in ("width", "style", "color")
}
PROPERTIES |= LOGICAL_BORDER_LONGHANDS
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
LEGACY_PSEUDO_ELEMENTS = frozenset({"after", "before", "first-letter", "first-line"})
COMBINATORS = {">": "css-selector-child", "+": "css-selector-adjacent-sibling"}
COMBINATORS["~"] = "css-selector-general-sibling"

# Every slug these tables can report: the check's "Tests".
SLUGS = frozenset(
    {*PROPERTIES.values(), *FUNCTIONS.values(), *UNITS.values(), *DISPLAY.values()}
    | {*AT_RULES.values(), *MEDIA_FEATURES.values(), "css-at-media-device-pixel-ratio"}
    | {f"css-pseudo-class-{name}" for name in PSEUDO_CLASSES}
    | {f"css-pseudo-element-{name}" for name in PSEUDO_ELEMENTS}
    | {*COMBINATORS.values(), "css-selector-descendant", "css-selector-grouping"}
    | {"css-selector-" + k for k in ("id", "class", "attribute", "type", "universal")}
    | {"css-selector-chaining", "css-nesting", "css-comments", "css-important"}
    | {"css-unit-percent", "css-unit-initial", "css-sytem-ui"}
)
