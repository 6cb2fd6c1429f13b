"""`Client`: a running mailtrap (or any server with its v1 API), from Python, with the stdlib.

It returns the same model objects as the in-process stores: `MessageSummary` from lists,
`Message` (parsed here from the raw source) from `get`. `wait` uses the server-side long-poll,
so test code never sleeps in a loop.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mailtrap.errors import MailtrapError, MessageNotFound
from mailtrap.message.models import Address, Envelope, Message, MessageSummary
from mailtrap.message.parsing import parse_message
from mailtrap.storage.base import Page

__all__ = ["Client", "WaitTimeout"]


class WaitTimeout(MailtrapError, TimeoutError):
    """`Client.wait` gave up: fewer messages than wanted matched in time."""


class Client:
    """The v1 API at `base_url` (e.g. "http://127.0.0.1:8025"). `timeout` bounds each request,
    except `wait`, which allows its own timeout on top.

    A server started with `--ui-auth` wants a login: `auth=(user, password)`, or in the URL
    (`http://user:password@host:8025`, percent-escaped as URLs are). Either way it is sent as
    HTTP Basic and kept apart: `base_url` is the URL without it, and no repr or error carries
    the password. Raises ValueError for a URL that is not http(s), or a login given twice or
    without its password."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8025",
        *,
        timeout: float = 10.0,
        auth: tuple[str, str] | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            # The URL may hold a password: name its scheme only.
            scheme = base_url.partition(":")[0] if ":" in base_url else base_url[:20]
            raise ValueError(f"base_url must start with http:// or https://, not {scheme!r}...")
        base_url, in_url = _split_login(base_url)
        if in_url is not None and auth is not None:
            raise ValueError("a login in the URL and auth=; give one")
        login = in_url or auth
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.username = login[0] if login else ""
        self._authorization = (
            "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode() if login else ""
        )

    def __repr__(self) -> str:
        login = f", username={self.username!r}" if self.username else ""
        return f"Client({self.base_url!r}{login})"

    # -- reading -------------------------------------------------------------------------

    def messages(self, start: int = 0, limit: int = 50) -> Page:
        """Summaries, newest first."""
        return _page(self._json("GET", "/api/v1/messages", start=start, limit=limit, extras=1))

    def search(self, query: str, start: int = 0, limit: int = 50) -> Page:
        """Summaries matching `query` (Mailpit's syntax), newest first."""
        body = self._json("GET", "/api/v1/search", query=query, start=start, limit=limit, extras=1)
        return _page(body)

    def get(self, id: str = "latest") -> Message:
        """One message, fully parsed; `latest` is the newest. Raises `MessageNotFound`.

        One request (the raw bytes, with the summary and envelope stored beside them) and one
        parse, here: the summary is the store's, as in-process `store.get` gives it."""
        body = self._json("GET", f"/api/v1/message/{_quote(id)}/stored")
        env = body["Envelope"]
        envelope = Envelope(
            env["MailFrom"],
            tuple(env["RcptTo"]),
            env["Peer"],
            env["Helo"],
            env["TLS"],
            env["Login"],
        )
        return parse_message(base64.b64decode(body["Raw"]), _summary(body), envelope)

    def raw(self, id: str) -> bytes:
        """The message exactly as received."""
        return self._request("GET", f"/api/v1/message/{_quote(id)}/raw")

    def tags(self) -> list[str]:
        return list(self._json("GET", "/api/v1/tags"))

    def info(self) -> dict[str, Any]:
        return dict(self._json("GET", "/api/v1/info"))

    def server_time(self) -> datetime:
        """The server's clock (aware), to mark "from now on" without trusting this machine's."""
        when = _when(self._json("GET", "/api/v1/info", extras=1)["ServerTime"])
        assert when is not None
        return when

    def wait(
        self,
        query: str = "",
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: datetime | None = None,
    ) -> list[MessageSummary]:
        """Block until at least `count` messages match `query` (and arrived at or after
        `since`, if given); return the matches, newest first. Raises `WaitTimeout` (a
        TimeoutError) saying how many did match."""
        if since is not None:
            when = since if since.tzinfo else since.astimezone()
            query = f"{query} after:{when.isoformat()}".strip()
        try:
            body = self._json(
                "GET",
                "/api/v1/wait",
                query=query,
                count=count,
                timeout=timeout,
                limit=max(count, 50),
                extras=1,
                _timeout=timeout + self.timeout,
            )
        except _HTTPError as exc:
            if exc.status == 408:
                raise WaitTimeout(exc.detail) from None
            raise
        return list(_page(body).messages)

    # -- changing ------------------------------------------------------------------------

    def mark_read(self, ids: Iterable[str], read: bool = True) -> None:
        self._request("PUT", "/api/v1/messages", body={"IDs": list(ids), "Read": read})

    def delete(self, ids: Iterable[str]) -> None:
        wanted = list(ids)
        if wanted:  # an empty list would mean "everything" to the API
            self._request("DELETE", "/api/v1/messages", body={"IDs": wanted})

    def delete_all(self) -> None:
        self._request("DELETE", "/api/v1/messages")

    def delete_search(self, query: str) -> None:
        self._request("DELETE", "/api/v1/search", query=query)

    def chaos_rules(self) -> list[dict[str, Any]]:
        """The server's fault-injection rules, as GET /api/v1/chaos lists them."""
        return list(self._json("GET", "/api/v1/chaos", extras=1)["Rules"])

    def set_chaos_rules(self, rules: Iterable[dict[str, Any]]) -> None:
        """Replace every rule (Mailpit's triggers included, which are rules here too)."""
        self._request("PUT", "/api/v1/chaos", body={"Rules": list(rules)})

    def add_chaos_rules(self, rules: Iterable[dict[str, Any]]) -> None:
        """Add rules after the active ones, keeping every other client's (mailtrap only)."""
        self._request("POST", "/api/v1/chaos/rules", body={"Rules": list(rules)})

    def remove_chaos_rules(self, rules: Iterable[dict[str, Any]]) -> None:
        """Remove the active rules equal to `rules`, whatever `Times` they have left, keeping
        every other client's (mailtrap only)."""
        self._request("DELETE", "/api/v1/chaos/rules", body={"Rules": list(rules)})

    def set_tags(self, ids: Iterable[str], tags: Iterable[str]) -> None:
        self._request("PUT", "/api/v1/tags", body={"IDs": list(ids), "Tags": list(tags)})

    # -- plumbing ------------------------------------------------------------------------

    def _json(self, method: str, path: str, **params: Any) -> Any:
        return json.loads(self._request(method, path, **params))

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        _timeout: float | None = None,
        **params: Any,
    ) -> bytes:
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._authorization:
            request.add_header("Authorization", self._authorization)
        try:
            with urllib.request.urlopen(request, timeout=_timeout or self.timeout) as response:
                return response.read()  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            detail = _detail(exc)
            if exc.code == 404 and path.startswith("/api/v1/message/"):
                raise MessageNotFound(path.split("/")[4]) from None
            if exc.code == 401:
                detail = self._login_problem(detail)
            raise _HTTPError(exc.code, detail, method, url) from None
        except urllib.error.URLError as exc:
            raise MailtrapError(
                f"cannot reach mailtrap at {self.base_url} ({exc.reason}); is `mailtrap serve` "
                "running there?"
            ) from None

    def _login_problem(self, detail: str) -> str:
        """401's detail, with the fix: the server's own words say nothing of this client."""
        if self.username:
            return f"{detail}; it refused the login as {self.username!r} (check the password)"
        return (
            f"{detail}; this mailtrap requires a login (--ui-auth): pass "
            "Client(auth=(user, password)) or put user:password@ in the URL"
        )


def _split_login(url: str) -> tuple[str, tuple[str, str] | None]:
    """`url` without its `user:password@`, and that login (percent-decoded), if any."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url, None
    user, colon, password = userinfo.partition(":")
    if not colon or not user:
        raise ValueError(
            "the URL's login needs a user name and a password (http://user:password@host:port)"
        )
    bare = urllib.parse.urlunsplit(parts._replace(netloc=hostport))
    return bare, (urllib.parse.unquote(user), urllib.parse.unquote(password))


class _HTTPError(MailtrapError):
    def __init__(self, status: int, detail: str, method: str, url: str) -> None:
        super().__init__(f"{method} {url} answered {status}: {detail}")
        self.status = status
        self.detail = detail


def _detail(exc: urllib.error.HTTPError) -> str:
    text = exc.read().decode("utf-8", "replace")
    try:
        detail = json.loads(text)["detail"]
    except (ValueError, KeyError, TypeError):
        return text
    return detail if isinstance(detail, str) else json.dumps(detail)


def _quote(id: str) -> str:
    return urllib.parse.quote(id, safe="")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _addresses(items: list[dict[str, str]] | None) -> tuple[Address, ...]:
    return tuple(Address(a["Name"], a["Address"]) for a in items or ())


def _summary(s: dict[str, Any]) -> MessageSummary:
    sender = s.get("From") or {}
    created = _when(s["Created"])
    assert created is not None
    return MessageSummary(
        id=s["ID"],
        message_id=s["MessageID"],
        subject=s["Subject"],
        sender=Address(sender["Name"], sender["Address"])
        if sender.get("Name") or sender.get("Address")
        else None,
        to=_addresses(s["To"]),
        cc=_addresses(s["Cc"]),
        bcc=_addresses(s["Bcc"]),
        reply_to=_addresses(s["ReplyTo"]),
        return_path=s.get("ReturnPath", ""),
        date=_when(s.get("Date")),
        created=created,
        size=s["Size"],
        read=s["Read"],
        attachment_count=s["Attachments"],
        snippet=s.get("Snippet", ""),
        tags=tuple(s["Tags"]),
        username=s["Username"] or None,
    )


def _page(body: dict[str, Any]) -> Page:
    messages = tuple(_summary(m) for m in body["messages"])
    return Page(messages, body["messages_count"], body["messages_unread"], body["start"])
