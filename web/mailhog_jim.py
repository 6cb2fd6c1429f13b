"""MailHog's chaos monkey, Jim (`/api/v2/jim`), as rules of mailtrap's fault injection.

MailHog's semantics: `GET` answers Jim's settings, or 404 while Jim is away; `POST` invites
him (400 if he is here), with MailHog's defaults when there is no body, else with the body's
values and 0 for each one left out (MailHog decodes into a zeroed struct); `PUT` replaces his
settings (404 while away); `DELETE` sends him away (404 if away). cypress-mailhog's
`mhGetJimMode` and `mhSetJimMode` are a GET and a POST/DELETE with no body.

Each chance becomes one `Rule` (mailtrap.smtp.chaos) with that probability:

- `AcceptChance` a: the connection is refused (421) with probability 1 - a;
- `RejectSenderChance`, `RejectRecipientChance`: MAIL or RCPT refused (550);
- `RejectAuthChance`: AUTH refused (535).

mailtrap cannot drop a connection part-way nor slow it down, so `DisconnectChance` and
`LinkSpeedAffect` are taken only at 0 (a 400 names the field otherwise; no key is ignored),
and MailHog's defaults for those two (0.005 and 0.1) are 0 here. `LinkSpeedMin`/`Max` are
kept and reported, since with `LinkSpeedAffect` 0 they change nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mailtrap.smtp.chaos import Chaos, Rule, Stage
from mailtrap.web.deps import Context, error
from mailtrap.web.inputs import StrictIn
from mailtrap.web.jimstate import JimState

__all__ = ["DEFAULTS", "JimIn", "jim_rules", "router"]

router = APIRouter(prefix="/api/v2", tags=["mailhog"])

_Chance = Field(default=0.0, ge=0.0, le=1.0)
_TEXT = "(MailHog Jim, mailtrap fault injection)"
_UNHONOURED = {
    "DisconnectChance": "mailtrap cannot drop a connection part-way",
    "LinkSpeedAffect": "mailtrap cannot slow a connection down",
}


class JimIn(StrictIn):
    """Jim's settings, as MailHog's `monkey.Jim` has them; chances from 0 to 1."""

    DisconnectChance: float = _Chance
    AcceptChance: float = _Chance
    LinkSpeedAffect: float = _Chance
    LinkSpeedMin: float = Field(default=0.0, ge=0.0, description="bytes per second")
    LinkSpeedMax: float = Field(default=0.0, ge=0.0, description="bytes per second")
    RejectSenderChance: float = _Chance
    RejectRecipientChance: float = _Chance
    RejectAuthChance: float = _Chance


class JimOut(BaseModel):
    DisconnectChance: float
    AcceptChance: float
    LinkSpeedAffect: float
    LinkSpeedMin: float
    LinkSpeedMax: float
    RejectSenderChance: float
    RejectRecipientChance: float
    RejectAuthChance: float


# MailHog's flag defaults, but for the two that mailtrap cannot honour (module docstring).
DEFAULTS = JimIn(
    AcceptChance=0.99,
    LinkSpeedMin=1024,
    LinkSpeedMax=10240,
    RejectSenderChance=0.05,
    RejectRecipientChance=0.05,
    RejectAuthChance=0.05,
)


def jim_rules(settings: JimIn) -> list[Rule]:
    """The fault-injection rules that do what Jim with `settings` does. ValueError naming a
    setting mailtrap cannot honour."""
    for name, why in _UNHONOURED.items():
        if getattr(settings, name):
            raise ValueError(
                f"{name} {getattr(settings, name)} cannot be honoured: {why}; set it to 0"
            )
    chances: list[tuple[Stage, int, float, str]] = [
        ("connect", 421, 1.0 - settings.AcceptChance, "4.3.2 Connection refused"),
        ("mail", 550, settings.RejectSenderChance, "5.1.0 Sender rejected"),
        ("rcpt", 550, settings.RejectRecipientChance, "5.1.1 Recipient rejected"),
        ("auth", 535, settings.RejectAuthChance, "5.7.8 Authentication rejected"),
    ]
    return [
        Rule(stage, code, f"{text} {_TEXT}", probability=chance)
        for stage, code, chance, text in chances
        if chance > 0
    ]


def _server(context: Context) -> tuple[Chaos, JimState]:
    if context.chaos is None:
        raise HTTPException(404, "no SMTP server runs beside this API, so Jim cannot be here")
    return context.chaos, context.jim


def _here(context: Context) -> dict[str, float] | None:
    chaos, jim = _server(context)
    return jim.settings(chaos)


def _away() -> HTTPException:
    return HTTPException(404, "Jim is not here; invite him with POST /api/v2/jim")


def _apply(context: Context, settings: JimIn | None) -> None:
    chaos, jim = _server(context)
    try:
        rules = [] if settings is None else jim_rules(settings)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    jim.set(chaos, None if settings is None else settings.model_dump(), rules)


_NO_SERVER = error("Jim is not here (or no SMTP server runs beside this API)")


@router.get("/jim", summary="MailHog: Jim's settings", responses={404: _NO_SERVER})
def get_jim(context: Context) -> JimOut:
    settings = _here(context)
    if settings is None:
        raise _away()
    return JimOut(**settings)


@router.post(
    "/jim",
    summary="MailHog: invite Jim",
    status_code=201,
    response_class=Response,
    responses={400: error("Jim is here already, or a setting cannot be honoured")},
)
def invite_jim(context: Context, body: Annotated[JimIn | None, Body()] = None) -> Response:
    """With no body, MailHog's defaults (those mailtrap can honour); else the body's."""
    if _here(context) is not None:
        raise HTTPException(400, "Jim is here already; change him with PUT /api/v2/jim")
    _apply(context, DEFAULTS if body is None else body)
    return Response(status_code=201)


@router.put(
    "/jim",
    summary="MailHog: change Jim's settings",
    response_class=Response,
    responses={400: error("a setting cannot be honoured"), 404: _NO_SERVER},
)
def update_jim(context: Context, body: JimIn) -> Response:
    """Every setting left out is 0, as in MailHog."""
    if _here(context) is None:
        raise _away()
    _apply(context, body)
    return Response()


@router.delete(
    "/jim", summary="MailHog: send Jim away", response_class=Response, responses={404: _NO_SERVER}
)
def remove_jim(context: Context) -> Response:
    if _here(context) is None:
        raise _away()
    _apply(context, None)
    return Response()
