"""What the accessibility check (`mailtrap.checks.a11y`) looks for, in the order it reports.

Each rule is one WCAG 2 success criterion as it applies to HTML mail, which a reader opens
in a mail client: no scripts, no forms to speak of, inline styles, tables for layout, and
images that many clients block until asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "Rule", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A check: its `id` (the JSON's `Rule`), `severity`, a `title` and what to do about it."""

    id: str
    severity: Severity
    title: str
    description: str


_ALL = (
    Rule(
        "image-alt",
        "error",
        "Images without alternative text",
        "A screen reader reads out the file name or URL of an image that has no alt attribute, "
        "and a client that blocks images shows nothing in its place (WCAG 1.1.1). Describe "
        'what the image says in alt, or give decorative images (spacers, tracking pixels) alt="".',
    ),
    Rule(
        "html-lang",
        "error",
        "No language on the <html> element",
        "Without lang, a screen reader reads the mail in the reader's default voice, so a "
        'French mail is spoken with English rules (WCAG 3.1.1). Add e.g. <html lang="fr">.',
    ),
    Rule(
        "html-lang-valid",
        "warning",
        "A language tag that is not BCP 47",
        'lang should be a BCP 47 tag such as "en" or "pt-BR"; a screen reader ignores one it '
        "cannot read (WCAG 3.1.1).",
    ),
    Rule(
        "link-name",
        "error",
        "Links with no text",
        "A link with neither text, nor an image with alt text, nor aria-label is announced as "
        'its URL, or as just "link" (WCAG 2.4.4, 4.1.2). Give it words that say where it goes.',
    ),
    Rule(
        "color-contrast",
        "error",
        "Text with too little contrast",
        "Text needs a contrast ratio of 4.5:1 with its background, 3:1 when large (24 px, or "
        "18.66 px bold) (WCAG 1.4.3). Computed from inline colours (style, bgcolor, <font "
        "color>) over white and black defaults; text over a background image is not judged.",
    ),
    Rule(
        "link-text",
        "warning",
        "Links that do not say where they go",
        'Screen-reader users often list a mail\'s links on their own, where "click here", '
        '"read more" or a bare URL says nothing (WCAG 2.4.4). Name the destination: '
        '"Read the June report".',
    ),
    Rule(
        "layout-table",
        "warning",
        'Layout tables without role="presentation"',
        "A screen reader announces every table's rows and columns, which for a layout table is "
        'noise (WCAG 1.3.1). Mark tables that only lay out the mail role="presentation"; a '
        "table of data keeps its <th> headers (and then is not reported).",
    ),
    Rule(
        "heading-order",
        "warning",
        "Headings that skip a level",
        "Readers jump through a mail by its headings; a level skipped (an <h4> after an <h2>) "
        "suggests a missing section (WCAG 1.3.1). Use levels in order, styled as you like.",
    ),
    Rule(
        "text-in-images",
        "warning",
        "Text only in images",
        "The mail has images but almost no text: its message is set in the pictures, which "
        "blocked images hide, screen readers cannot read beyond the alt text, and readers "
        "cannot enlarge or translate (WCAG 1.4.5). Put the words in HTML text.",
    ),
)
RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
