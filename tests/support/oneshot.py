"""httpx's one-shot calls for tests over plain HTTP, sharing one TLS context.

Each `httpx.get(...)` builds a client, and each client a TLS context that loads certifi's CA
bundle: about 25 ms of CPU, for a request that never uses TLS. Hundreds of such calls in the
suite added seconds; these pass one context, built once per process, instead.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

__all__ = ["TLS", "delete", "get", "head", "post", "put", "request"]

TLS = ssl.create_default_context()


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """`httpx.request`, verifying with the shared context unless told otherwise."""
    kwargs.setdefault("verify", TLS)
    return httpx.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)


def put(url: str, **kwargs: Any) -> httpx.Response:
    return request("PUT", url, **kwargs)


def delete(url: str, **kwargs: Any) -> httpx.Response:
    return request("DELETE", url, **kwargs)


def head(url: str, **kwargs: Any) -> httpx.Response:
    return request("HEAD", url, **kwargs)
