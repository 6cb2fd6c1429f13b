"""`mailtrap mcp`: the MCP server (`mailtrap.mcp_server`) on stdio, for a running mailtrap.

It talks to the server over its HTTP API, as any client does, so it works with every
deployment (another host, a container, `--ui-auth`) and holds no store of its own. The
server's URL comes from `--url` or MAILTRAP_URL; a login from the URL
(`http://user:pass@host:8025`) or from MAILTRAP_MCP_UI_AUTH (`user:pass`, environment only,
so that it stays out of the MCP client's config file and the process list). The MCP SDK is
imported only here, when the command runs: `mailtrap --help` and the pytest plugin never pay
for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from mailtrap.client import Client

__all__ = ["LOGIN_VARIABLE", "URL_VARIABLE", "main"]

URL_VARIABLE = "MAILTRAP_URL"
LOGIN_VARIABLE = "MAILTRAP_MCP_UI_AUTH"
DEFAULT_URL = "http://127.0.0.1:8025"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailtrap mcp",
        description="A Model Context Protocol server on stdin/stdout whose tools list, "
        "search, read, wait for and delete the mail a running mailtrap caught, and pull "
        "links and codes out of it. Start it from an MCP client (see README).",
    )
    parser.add_argument(
        "--url",
        metavar="URL",
        help=f"the mailtrap web UI/API [env {URL_VARIABLE}; default {DEFAULT_URL}]; a "
        f"login may be in it (http://user:pass@host:8025) or in {LOGIN_VARIABLE}=user:pass",
    )
    return parser


def client_for(url: str, login: str) -> Client:
    """The API client for `url`, with `login` ("user:pass", may be empty). Raises ValueError
    naming the bad setting."""
    auth = None
    if login:
        user, colon, password = login.partition(":")
        if not colon or not user:
            raise ValueError(f"{LOGIN_VARIABLE} must be USER:PASSWORD")
        auth = (user, password)
    try:
        return Client(url, auth=auth)
    except ValueError as exc:
        if "give one" in str(exc):
            raise ValueError(
                f"the URL has a login and {LOGIN_VARIABLE} is set too: give one"
            ) from None
        raise ValueError(f"--url / {URL_VARIABLE}: {exc}") from None


def main(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """Serve MCP on stdio until the client closes stdin. Problems go to stderr (stdout is
    the protocol's)."""
    args = _parser().parse_args(argv)
    try:
        client = client_for(
            args.url or environ.get(URL_VARIABLE) or DEFAULT_URL, environ.get(LOGIN_VARIABLE, "")
        )
        from mailtrap.mcp_server import build

        server = build(client)
    except (ValueError, ImportError) as exc:
        print(f"mailtrap mcp: {exc}", file=sys.stderr)
        return 2
    server.run("stdio")
    return 0
