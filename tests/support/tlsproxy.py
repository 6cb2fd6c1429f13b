"""A small TLS-terminating HTTP reverse proxy on loopback, as nginx is set up in front of
mailtrap: HTTPS in, plain HTTP out, the path and `Host` passed on unchanged, `X-Forwarded-*`
added (replacing any the client sent), hop-by-hop headers dropped, and WebSocket upgrades
piped through. Built on h11 and asyncio, on a thread of its own, so tests that drive a
browser synchronously can sit behind it.

`with TLSProxy(("127.0.0.1", 8025), context) as proxy:` listens at `proxy.port` until the
block ends; `proxy.seen` lists (method, target, status) for every request it passed on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ssl
from collections.abc import Iterable
from typing import NamedTuple

import h11
import trustme
from background import Background
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mailtrap.loopthread import LoopThread

__all__ = ["TLS", "TLSProxy", "tls_pair"]

# Never forwarded as they are (RFC 9110, 7.6.1); framing is h11's to set on each side.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
    }
)
CHUNK = 65536
TIMEOUT = 30.0  # a test's whole long-poll fits; nothing here waits longer


class TLS(NamedTuple):
    """A proxy's certificate, made for a test."""

    server: ssl.SSLContext  # presents it
    client: ssl.SSLContext  # trusts it
    spki: str  # base64 SHA-256 of its public key, for Chromium's certificate allow-list


def tls_pair(*names: str) -> TLS:
    """A certificate for `names` from a new CA, as a server and a client context."""
    ca = trustme.CA()
    leaf = ca.issue_cert(*names)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    key = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_key()
    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return TLS(server, client, base64.b64encode(hashlib.sha256(der).digest()).decode())


class TLSProxy(Background):
    """HTTPS on 127.0.0.1:`port`, forwarded to `backend` over plain HTTP."""

    def __init__(self, backend: tuple[str, int], context: ssl.SSLContext) -> None:
        self.backend = backend
        self.context = context
        self.port = 0
        self.seen: list[tuple[str, str, int]] = []
        self._runner: LoopThread | None = None
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        self._runner = LoopThread.run(loop, self._listen(), name="tls-proxy", timeout=TIMEOUT)

    def _stop(self) -> None:
        assert self._runner is not None
        self._runner.stop(self._shutdown(), TIMEOUT)

    async def _listen(self) -> None:
        handlers = self._handlers

        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # The work runs in a task of its own, for the stop to cancel: Python 3.11's streams
            # log the cancellation of the callback's own task as an unhandled exception.
            work = asyncio.ensure_future(self._connection(reader, writer))
            handlers.add(work)
            try:
                await work
            except (OSError, h11.ProtocolError, asyncio.CancelledError):
                pass  # a client or backend went away (TimeoutError and SSLError are OSErrors)
            finally:
                handlers.discard(work)
                await _close(writer)

        self._server = await asyncio.start_server(accepted, "127.0.0.1", 0, ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        assert self._server is not None
        async with self._server as server:
            server.close()
            for task in list(self._handlers):  # open event sockets and keep-alives
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
        # A connection still in its TLS handshake is the server's, not a handler's, and
        # Python before 3.13 cannot close those: give the ones whose client has gone (close
        # the client first) a moment to finish closing before the loop does.
        await asyncio.sleep(0.2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: requests in turn (keep-alive) until it closes or upgrades."""
        client = h11.Connection(h11.SERVER)
        peer = writer.get_extra_info("peername")[0]
        while True:
            request = await _next(client, reader)
            if not isinstance(request, h11.Request):
                return  # closed between requests
            body = b""
            while not isinstance(event := await _next(client, reader), h11.EndOfMessage):
                if isinstance(event, h11.Data):
                    body += event.data
            upgraded = await self._forward(client, reader, writer, request, body, peer)
            if upgraded or client.our_state is h11.MUST_CLOSE:
                return
            client.start_next_cycle()

    async def _forward(
        self,
        client: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        body: bytes,
        peer: str,
    ) -> bool:
        """Pass one request on and its answer back; True if the connection was upgraded."""
        up_reader, up_writer = await asyncio.open_connection(*self.backend)
        try:
            upstream = h11.Connection(h11.CLIENT)
            headers = _forwarded_headers(request.headers, peer, len(body))
            out = _out(
                upstream, h11.Request(method=request.method, target=request.target, headers=headers)
            )
            out += _out(upstream, h11.Data(data=body)) if body else b""
            up_writer.write(out + _out(upstream, h11.EndOfMessage()))
            answer = await _next(upstream, up_reader)
            status = getattr(answer, "status_code", 0)
            self.seen.append((request.method.decode(), request.target.decode(), status))
            if isinstance(answer, h11.InformationalResponse) and status == 101:
                kept = [
                    (n, v) for n, v in answer.headers if n.lower() in (b"connection", b"upgrade")
                ]
                rest = [(n, v) for n, v in answer.headers if n.lower() not in HOP_BY_HOP]
                writer.write(
                    _out(client, h11.InformationalResponse(status_code=101, headers=kept + rest))
                )
                await _pipe(
                    reader,
                    writer,
                    client.trailing_data[0],
                    up_reader,
                    up_writer,
                    upstream.trailing_data[0],
                )
                return True
            if not isinstance(answer, h11.Response):
                raise h11.RemoteProtocolError(f"the backend answered {answer!r}")
            headers = [(n, v) for n, v in answer.headers if n.lower() not in HOP_BY_HOP]
            length = [v for n, v in answer.headers if n.lower() == b"content-length"]
            writer.write(
                _out(
                    client,
                    h11.Response(
                        status_code=status,
                        headers=headers + [(b"content-length", v) for v in length],
                        reason=answer.reason,
                    ),
                )
            )
            while not isinstance(event := await _next(upstream, up_reader), h11.EndOfMessage):
                if isinstance(event, h11.Data):  # streamed on at once: long-polls wait here
                    writer.write(_out(client, h11.Data(data=event.data)))
                    await writer.drain()
            writer.write(_out(client, h11.EndOfMessage()))
            await writer.drain()
            return False
        finally:
            await _close(up_writer)


def _forwarded_headers(
    headers: Iterable[tuple[bytes, bytes]], peer: str, length: int
) -> list[tuple[bytes, bytes]]:
    """The request's end-to-end headers, Host first and unchanged, with X-Forwarded-* set as
    nginx's usual configuration sets them; an upgrade request keeps its Upgrade."""
    kept = [
        (n, v)
        for n, v in headers
        if n.lower() not in HOP_BY_HOP and not n.lower().startswith(b"x-forwarded-")
    ]
    host = next((v for n, v in kept if n.lower() == b"host"), b"")
    upgrade = [(n, v) for n, v in headers if n.lower() == b"upgrade"]
    kept += [
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-for", peer.encode()),
        (b"x-forwarded-host", host),
    ]
    if upgrade:
        kept += [(b"connection", b"upgrade"), *upgrade]
    if length:
        kept.append((b"content-length", str(length).encode()))
    return kept


def _out(conn: h11.Connection, event: h11.Event) -> bytes:
    """The bytes that send `event` on `conn` (h11 gives None only for ConnectionClosed)."""
    data = conn.send(event)
    assert data is not None
    return data


async def _next(conn: h11.Connection, reader: asyncio.StreamReader) -> object:
    """The next h11 event on `conn`, reading from `reader` as needed."""
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await asyncio.wait_for(reader.read(CHUNK), TIMEOUT))


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    from_client: bytes,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
    from_backend: bytes,
) -> None:
    """Copy bytes both ways (an upgraded WebSocket) until either side closes."""

    async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter, first: bytes) -> None:
        if first:
            dst.write(first)
        while data := await src.read(CHUNK):
            dst.write(data)
            await dst.drain()

    tasks = [
        asyncio.ensure_future(copy(reader, up_writer, from_client)),
        asyncio.ensure_future(copy(up_reader, writer, from_backend)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await asyncio.gather(*tasks, return_exceptions=True)


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close `writer` and wait (briefly) until its socket is: a TLS close needs the loop to run
    its shutdown, and a transport still open when the loop closes is a ResourceWarning that
    surfaces, at garbage collection, in whichever test runs next."""
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(writer.wait_closed(), 1)
