"""caniemail.com's feature database, as the HTML check reads it.

`database()` loads `data/caniemail.json` (a compact copy of the npm package `caniemail`'s
data; `data/CANIEMAIL-LICENSE.md` says where from, under which licence, and how to refresh it)
once per process, on first use, and never changes it after.

For each feature, every client version's support becomes one `Result`, read from the data's
letters: `y` is yes, `n` no, `a` partial ("a" for "partial support"), each optionally with a
note number (`"a #2"`). `u` (untested, unknown) is no evidence either way, so it is neither a
`Result` nor counted in the feature's percentages. (Mailpit counts every value other than a bare
`y` or `n` as partial, so "supported, see note 1" and "unknown" lower its scores.)
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Database", "Feature", "Result", "Score", "database", "inline_markdown"]

SITE = "https://www.caniemail.com"
_SUPPORT = {"y": "yes", "n": "no", "a": "partial"}
_NOTE = re.compile(r"#(\d+)")
# caniemail's texts use two Markdown constructs: `code` and [text](link).
_MARKDOWN = re.compile(r"`([^`]*)`|\[([^\]]*)\]\(([^)\s]*)\)")


@dataclass(frozen=True, slots=True)
class Result:
    """One client version's support for a feature: `support` is yes, no or partial; `note`
    the number of the feature's note that qualifies it, or ""."""

    family: str
    platform: str
    version: str
    name: str  # "Gmail Android (2023-02)", as Mailpit words it
    support: str
    note: str


@dataclass(frozen=True, slots=True)
class Score:
    """Percentages of the tested client versions that support a feature fully, partly or not
    at all (0 each when none was tested); they add up to 100."""

    supported: float
    partial: float
    unsupported: float


@dataclass(frozen=True, slots=True)
class Feature:
    """One caniemail feature. `description` and `notes` are HTML (from the data's Markdown,
    escaped), as Mailpit serves them."""

    slug: str
    title: str
    description: str
    url: str
    category: str
    tags: tuple[str, ...]
    keywords: str
    notes: dict[str, str]
    results: tuple[Result, ...]
    score: Score


@dataclass(frozen=True, slots=True)
class Database:
    """`features` by slug; `platforms` maps each platform (ios, webmail, …) to the sorted
    names of the client families tested on it; `source` names the package and version."""

    source: str
    updated: str
    features: dict[str, Feature]
    platforms: dict[str, list[str]]


def inline_markdown(text: str) -> str:
    """caniemail's Markdown as HTML: everything escaped, `code` as `<code>`, links (relative
    ones made absolute to caniemail.com) opening in a new tab."""
    out: list[str] = []
    pos = 0
    for found in _MARKDOWN.finditer(text):
        out.append(html.escape(text[pos : found.start()], quote=False))
        code, label, link = found.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code, quote=False)}</code>")
        else:
            href = SITE + link if link.startswith("/") else link
            out.append(
                f'<a href="{html.escape(href)}" target="_blank" rel="noopener">'
                f"{html.escape(label, quote=False)}</a>"
            )
        pos = found.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


@functools.cache
def database() -> Database:
    """The shipped database, loaded on first call (about 20 ms) and shared after."""
    text = resources.files("mailtrap.checks").joinpath("data/caniemail.json").read_text("utf-8")
    return _build(json.loads(text))


def _build(data: dict[str, Any]) -> Database:
    families: dict[str, str] = data["nicenames"]["family"]
    platform_names: dict[str, str] = data["nicenames"]["platform"]
    platforms: dict[str, set[str]] = {}
    features: dict[str, Feature] = {}
    for raw in data["features"]:
        results: list[Result] = []
        for family, by_platform in raw["stats"].items():
            for platform, versions in by_platform.items():
                platforms.setdefault(platform, set()).add(families.get(family, family))
                for version, value in versions.items():
                    support = _SUPPORT.get(str(value)[:1])
                    if support is None:
                        continue  # "u": untested
                    note = _NOTE.search(str(value))
                    name = (
                        f"{families.get(family, family)} "
                        f"{platform_names.get(platform, platform)} ({version})"
                    )
                    results.append(
                        Result(family, platform, version, name, support, note[1] if note else "")
                    )
        features[raw["slug"]] = Feature(
            slug=raw["slug"],
            title=raw["title"] or raw["slug"],
            description=inline_markdown(raw["description"] or ""),
            url=raw["url"] or f"{SITE}/features/{raw['slug']}/",
            category=raw["category"],
            tags=tuple(raw["tags"] or ()),
            keywords=raw["keywords"] or "",
            notes={n: inline_markdown(t) for n, t in (raw["notes_by_num"] or {}).items()},
            results=tuple(results),
            score=_score(results),
        )
    return Database(
        source=data["source"],
        updated=data["last_update_date"],
        features=features,
        platforms={p: sorted(names) for p, names in sorted(platforms.items())},
    )


def _score(results: list[Result]) -> Score:
    if not results:
        return Score(0.0, 0.0, 0.0)
    total = len(results)
    counts = {kind: sum(r.support == kind for r in results) for kind in _SUPPORT.values()}
    return Score(
        supported=100 * counts["yes"] / total,
        partial=100 * counts["partial"] / total,
        unsupported=100 * counts["no"] / total,
    )
