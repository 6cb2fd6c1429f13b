"""The mail HTML as the inbox serves it: rewritten so that opening a message connects nowhere.

The sandbox CSP of `pages.mail_html` stops fetches, but not every connection. Measured in
Chromium (tests/web/test_browser.py): a remote `<iframe>`/`<frame>` source is connected to,
TCP and a TLS ClientHello carrying the host name, although `default-src 'none'` then refuses
the frame; with remote images allowed, `<link rel=prefetch>` is fetched and `<base href>`
redirects relative images to its host. So the served view (never the stored message) loses:

- the sources of frames, objects and embeds, whatever their URL: `frame-src`/`object-src` are
  'none', so nothing they name could ever show; even with remote images on;
- every `<link>` but stylesheets (which the CSP refuses without connecting): resource hints
  (preconnect, dns-prefetch, prefetch, prerender, preload, modulepreload) are never content;
- `<meta http-equiv>` (refresh, and headers the response already sets), `<base>`, `ping`.

Contract: `served_html(html)` returns HTML in which no element can make a browser connect out
beyond what the mail CSP then permits, within `REWRITE_SECONDS` whatever the input. It parses
with Lexbor (selectolax) as a browser with scripting off parses (the sandbox runs no script),
so `<noscript>` and `<template>` contents (declarative shadow roots render) are rewritten too.

Lexbor's tree builder takes time quadratic in nesting depth (100,000 nested `<div>` take
~15 s). Up to `IN_PROCESS_TAGS` start tags that is at most a fraction of a second, so such
mail is rewritten in-process; larger mail (a 2 MB report table has 60,000 tags) in a child
process killed after `REWRITE_SECONDS`, and a mail it cannot finish gets `TOO_COMPLEX` instead.

This file runs as that child too (`python -I web/mailhtml.py`, HTML on stdin and stdout), so
it imports only the standard library and selectolax.
"""

from __future__ import annotations

import re
import subprocess
import sys

from selectolax.lexbor import LexborHTMLParser, LexborNode

IN_PROCESS_TAGS = 20_000
REWRITE_SECONDS = 5.0
TOO_COMPLEX = (
    "<!doctype html><p>This message's HTML is too deeply nested to show safely (it took longer "
    "than {seconds:g} s to rewrite). Read it in the Text or Source tab.</p>"
)

# Every attribute through which these elements fetch: frame documents, plugin data and code.
_FRAMES = frozenset({"iframe", "frame", "object", "embed", "applet", "portal", "fencedframe"})
_FRAME_SOURCES = ("src", "srcdoc", "data", "codebase", "archive", "classid", "code")
_START_TAG = re.compile(r"<[A-Za-z]")
# Followed inside the frame, a link to another site would be refused by the inbox page's
# `frame-src 'self'`, leaving Chromium's error page where the mail was.
NEW_TABS_BASE = '<base target="_blank">'


def served_html(html: str, *, new_tabs: bool = False) -> str:
    """`html` without anything that makes a browser connect out on opening it (see above).
    With `new_tabs`, every link also opens in a new tab, without a referrer or an opener (what
    Mailpit's `/view/{ID}.html?embed=1` does): each `<a>` and `<area>` gets `target=_blank`
    (links to a place in the mail itself keep to the frame), and `NEW_TABS_BASE` comes first
    in `<head>`, the only `<base>` left, so that any other way of following a link does too."""
    if len(_START_TAG.findall(html)) <= IN_PROCESS_TAGS:
        return rewrite(html, new_tabs=new_tabs)
    try:
        done = subprocess.run(
            [sys.executable, "-I", __file__, *(["--new-tabs"] if new_tabs else [])],
            input=html.encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=REWRITE_SECONDS,
            check=True,
        )
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
        return TOO_COMPLEX.format(seconds=REWRITE_SECONDS)
    return done.stdout.decode("utf-8", "surrogatepass")


def rewrite(html: str, *, new_tabs: bool = False) -> str:
    """The rewrite itself, with no time bound: callers outside this module use `served_html`."""
    tree = LexborHTMLParser(html, scripting=False)
    # Template contents are separate fragments, and templates nest: walk them with a worklist,
    # not recursion, so deep nesting cannot exhaust the stack.
    roots: list[LexborNode] = [tree.root] if tree.root is not None else []
    while roots:
        root = roots.pop()
        doomed = [node for node in root.traverse() if _neutralise(node, new_tabs)]
        # Depth-first order lists ancestors first; freeing descendants first means no node is
        # touched after an ancestor's decompose() has freed it.
        for node in reversed(doomed):
            node.decompose()
        roots.extend(root.template_fragments())
    if new_tabs and tree.head is not None:  # the parser always makes a <head>
        base = LexborHTMLParser(NEW_TABS_BASE).css_first("base")
        assert base is not None
        first = tree.head.child
        if first is None:
            tree.head.insert_child(base)
        else:
            first.insert_before(base)
    return tree.html or ""


def _neutralise(node: LexborNode, new_tabs: bool) -> bool:
    """Strips `node`'s fetching attributes; True when the whole element must go."""
    if not node.is_element_node:  # a comment: nothing to strip, and no attrs (they raise)
        return False
    tag = node.tag or ""
    attrs = node.attrs
    if new_tabs and tag in ("a", "area"):
        in_mail = (node.attributes.get("href") or "").startswith("#")
        attrs["target"] = "_self" if in_mail else "_blank"
        attrs["rel"] = "noreferrer noopener"
    if tag in _FRAMES:
        for name in _FRAME_SOURCES:
            if name in attrs:
                del attrs[name]
    elif tag == "link":
        rel = set((node.attributes.get("rel") or "").lower().split())
        return "stylesheet" not in rel or not rel <= {"stylesheet", "alternate"}
    elif tag == "base" or (tag == "meta" and "http-equiv" in attrs):
        return True
    if "ping" in attrs:
        del attrs["ping"]
    return False


if __name__ == "__main__":
    html = sys.stdin.buffer.read().decode("utf-8", "surrogatepass")
    result = rewrite(html, new_tabs="--new-tabs" in sys.argv[1:])
    sys.stdout.buffer.write(result.encode("utf-8", "surrogatepass"))
