"""Refusals of requests FastAPI could not read, as Mailpit answers them.

Mailpit answers 400 for any JSON body it cannot decode, and its clients show the answer's
text. So a body that is not JSON, has a key the route does not take, or has a value of the
wrong kind is a 400 here too, with one readable sentence as `detail` naming the key and what
to send instead. Any other unreadable part of a request (a query parameter) stays FastAPI's
422 with its list of errors.
"""

from __future__ import annotations

import json
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.responses import Response

__all__ = ["body_problem", "invalid_request"]


def _unwrap(annotation: Any) -> Any:
    """The model or container inside `Annotated[...]` and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _keys_at(body: Any, path: Sequence[int | str]) -> list[str] | None:
    """The keys the object at `path` inside a body of type `body` may have, if a model."""
    current = body
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            args = get_args(current)
            current = args[-1] if args else None  # list[X] or dict[str, X]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _where(path: Sequence[int | str]) -> str:
    """`("To", 0, "Email")` as `To[0].Email`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _one(error: dict[str, Any], body: Any) -> str:
    path = [p for p in error["loc"][1:] if isinstance(p, (int, str))]
    kind = error["type"]
    if kind == "json_invalid":
        return (
            f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot parse')} "
            f"at character {path[0] if path else 0}); send a JSON object"
        )
    if kind == "extra_forbidden":
        parent, key = path[:-1], path[-1]
        where = f" in {_where(parent)}" if parent else ""
        keys = _keys_at(body, parent)
        there = "there " if parent else ""
        known = f"; the keys {there}are {', '.join(keys)}" if keys else ""
        return f"unknown key {key!r}{where}{known}"
    if kind in ("model_attributes_type", "dict_type") and not path:
        keys = _keys_at(body, [])
        example = f" with keys from {', '.join(keys)}" if keys else ""
        return f"the body must be a JSON object{example}"
    where = _where(path) if path else "the body"
    if kind == "missing":
        return f"{where} is required"
    return f"{where}: {error['msg']}"


def body_problem(request: Request, errors: Sequence[Any]) -> str:
    """One sentence for the body errors among `errors` (pydantic's, from FastAPI)."""
    route = request.scope.get("route")
    field = route.body_field if isinstance(route, APIRoute) else None
    body = field.field_info.annotation if field is not None else None
    return "; ".join(_one(e, body) for e in errors if e["loc"][:1] == ("body",))


async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """400 with a sentence when the body is at fault (as Mailpit), else FastAPI's 422.

    Either is encoded as ASCII: FastAPI's own answer echoes the input, and cannot encode one
    with a lone surrogate (JSON can carry one) as UTF-8, so the refusal became a 500."""
    errors = exc.errors()
    if any(e["loc"][:1] == ("body",) for e in errors):
        status, detail = 400, body_problem(request, errors)
    else:
        status, detail = 422, jsonable_encoder(errors)
    body = json.dumps({"detail": detail}, ensure_ascii=True)
    return Response(body, status_code=status, media_type="application/json")
