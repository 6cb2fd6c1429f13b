"""Mailpit's `--tag` rules: tag arriving mail that matches a search.

    mailtrap --tag 'Invoices=subject:invoice "Shop,Orders=from:shop@example.com is:unread"'

A value holds rules separated by spaces, each `TAGS=QUERY`: comma-separated tags, then a search
in mailtrap's (Mailpit's) query language. Double quotes group a rule that holds spaces and are
then dropped, as Mailpit's argument parser drops them, so a QUERY cannot quote a phrase.

A rule matches a message, as in Mailpit, when its QUERY matches the message as a search would
(evaluated by the memory store's matcher, the same code that answers the memory store's
searches), or when the raw message, lower-cased, contains the QUERY text lower-cased: Mailpit
keeps that literal test so that a rule can match any header. Evaluated at ingest, on the store's
own thread (never the event loop), before the message is stored: its first `new` event already
carries the tags. `before:`/`after:` compare with the time of arrival; `is:read` never matches
new mail; `tag:` sees the tags from X-Tags and plus-addresses, not those of other rules.
The cost is bounded: at most `MAX_RULES` rules, each of at most `search.MAX_TERMS` terms over
the indexed text (`searchtext.MAX_INDEXED_BODY` of body) and one scan of the raw bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from mailtrap.message.parsing import Digest, clean_tag, normalize_tags
from mailtrap.message.search import Query, QueryError, parse_query
from mailtrap.storage._match import digest_matches

__all__ = ["MAX_RULES", "TagRule", "apply_rules", "parse_tag_rules"]

MAX_RULES = 100


@dataclass(frozen=True, slots=True)
class TagRule:
    """Tag arriving mail matching `query` (given as `match`) with `tags` (cleaned)."""

    tags: tuple[str, ...]
    match: str
    query: Query


def _arguments(value: str) -> list[str]:
    """Split at spaces outside double quotes, then drop the quotes (Mailpit's ArgsParser)."""
    found, current, quoted = [], [], False
    for char in value:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char == " " and not quoted:
            found.append("".join(current))
            current = []
        else:
            current.append(char)
    found.append("".join(current))
    return [a for arg in found if (a := arg.replace('"', "").strip())]


def parse_tag_rules(value: str) -> tuple[TagRule, ...]:
    """The rules in one `--tag` value (see the module docstring). ValueError names a rule
    without `=`, without tags or query, or with a query that cannot be parsed."""
    rules = []
    for argument in _arguments(value):
        names, sep, match = argument.partition("=")
        match = match.strip()
        example = "e.g. 'Invoices=subject:invoice'"
        if not sep or not match:
            raise ValueError(f"tag rule {argument!r} is not TAGS=QUERY, {example}")
        tags = normalize_tags(names.split(","))
        if not tags:
            raise ValueError(f"tag rule {argument!r} names no tag before '=', {example}")
        dropped = [t for t in names.split(",") if t.strip() and not clean_tag(t)]
        if dropped:
            raise ValueError(
                f"tag rule {argument!r}: {dropped[0]!r} is no tag name; a tag holds ASCII "
                "letters, digits, spaces and - _ . @"
            )
        try:
            query = parse_query(match)
        except QueryError as exc:
            raise ValueError(f"tag rule {argument!r}: {exc}") from None
        rules.append(TagRule(tags, match, query))
    if len(rules) > MAX_RULES:
        raise ValueError(f"{len(rules)} tag rules; mailtrap takes at most {MAX_RULES}")
    return tuple(rules)


def apply_rules(rules: Iterable[TagRule], digest: Digest, raw: bytes) -> Digest:
    """`digest` with the tags of every rule matching the message added (see the module
    docstring); `digest` itself when none matches or there are no rules."""
    rules = tuple(rules)
    if not rules:
        return digest
    summary = digest.to_summary(id="", created=datetime.now(UTC), size=len(raw))
    lowered = raw.lower()
    extra = [
        tag
        for rule in rules
        if rule.match.lower().encode("utf-8", "surrogateescape") in lowered
        or digest_matches(rule.query, digest, summary)
        for tag in rule.tags
    ]
    if not extra:
        return digest
    return replace(digest, tags=normalize_tags([*digest.tags, *extra]))
