"""GET/PUT /api/v1/chaos: fault-injection rules at runtime.

Mailpit's shape works (`Triggers` with `Sender`, `Recipient` and `Authentication`, each an
`ErrorCode` and a `Probability` in percent); `Rules` gives the full set: every stage, a
count (`Times`), an address glob (`Match`), a text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from mailtrap.smtp.chaos import Chaos, Rule, Stage, as_stage
from mailtrap.web.deps import Context, error

router = APIRouter(prefix="/api/v1", tags=["chaos"])

_TRIGGERS: dict[str, Stage] = {"Sender": "mail", "Recipient": "rcpt", "Authentication": "auth"}


class TriggerModel(BaseModel):
    ErrorCode: int = Field(default=451, ge=400, le=599)
    Probability: int = Field(default=0, ge=0, le=100, description="percent refused")


class TriggersModel(BaseModel):
    Sender: TriggerModel = TriggerModel()
    Recipient: TriggerModel = TriggerModel()
    Authentication: TriggerModel = TriggerModel()


class RuleModel(BaseModel):
    Stage: str = Field(description="connect, auth, mail, rcpt or data")
    Code: int = Field(ge=400, le=599)
    Text: str = ""
    Times: int | None = Field(default=None, ge=1, description="how many; null for always")
    Match: str | None = Field(default=None, description="address glob, e.g. *@blocked.example")
    Probability: float = Field(default=1.0, ge=0, le=1)


class ChaosModel(BaseModel):
    """The active rules. On PUT, `Rules` (when given) replaces every rule; otherwise
    `Triggers` does, as in Mailpit."""

    Triggers: TriggersModel | None = None
    Rules: list[RuleModel] | None = None


def _chaos(context: Context) -> Chaos:
    if context.chaos is None:
        raise HTTPException(404, "no SMTP server runs beside this API, so there is no chaos")
    return context.chaos


ServerChaos = Annotated[Chaos, Depends(_chaos)]


def _out(chaos: Chaos) -> ChaosModel:
    rules = chaos.rules()
    triggers = TriggersModel()
    for name, stage in _TRIGGERS.items():
        for rule in rules:
            if rule.stage == stage and rule.match is None and rule.times is None:
                percent = round(rule.probability * 100)
                setattr(triggers, name, TriggerModel(ErrorCode=rule.code, Probability=percent))
                break
    return ChaosModel(
        Triggers=triggers,
        Rules=[
            RuleModel(
                Stage=r.stage,
                Code=r.code,
                Text=r.text,
                Times=r.times,
                Match=r.match,
                Probability=r.probability,
            )
            for r in rules
        ],
    )


@router.get("/chaos", summary="The active fault-injection rules")
def get_chaos(chaos: ServerChaos) -> ChaosModel:
    return _out(chaos)


@router.put(
    "/chaos",
    summary="Replace the fault-injection rules",
    responses={400: error("a rule cannot work"), 404: error("no SMTP server here")},
)
def put_chaos(chaos: ServerChaos, body: ChaosModel) -> ChaosModel:
    try:
        if body.Rules is not None:
            rules = [
                Rule(
                    as_stage(r.Stage),
                    r.Code,
                    r.Text,
                    times=r.Times,
                    match=r.Match,
                    probability=r.Probability,
                )
                for r in body.Rules
            ]
        else:
            triggers = body.Triggers or TriggersModel()
            rules = [
                Rule(stage, t.ErrorCode, probability=t.Probability / 100)
                for name, stage in _TRIGGERS.items()
                if (t := getattr(triggers, name)).Probability > 0
            ]
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    chaos.set_rules(rules)
    return _out(chaos)
