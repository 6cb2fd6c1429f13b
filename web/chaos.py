"""GET/PUT /api/v1/chaos: fault injection at runtime.

Mailpit's shape, exactly: `{"Sender": …, "Recipient": …, "Authentication": …}`, each an
`ErrorCode` (400-599) and a `Probability` in percent. A PUT sets all three: a trigger left out
is reset (0%, its default code: 451, 451 and 535 as in Mailpit), so `{}` resets them all.

mailtrap's `Rules` go beside them: every stage, a count (`Times`), an address glob (`Match`),
a text. A PUT's `Rules` (none if left out) follow the triggers; `extras=1` lists every rule,
the triggers' included, after the triggers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mailtrap.smtp.chaos import Chaos, Rule, Stage, as_stage
from mailtrap.web.deps import Context, error
from mailtrap.web.inputs import StrictIn
from mailtrap.web.params import Extras

router = APIRouter(prefix="/api/v1", tags=["chaos"])

# Mailpit's trigger -> the stage it refuses at, and its default code.
TRIGGERS: dict[str, tuple[Stage, int]] = {
    "Sender": ("mail", 451),
    "Recipient": ("rcpt", 451),
    "Authentication": ("auth", 535),
}


class TriggerIn(StrictIn):
    ErrorCode: int = Field(default=0, description="400 to 599; 0 or left out: the default")
    Probability: int = Field(default=0, ge=0, le=100, description="percent refused")

    @field_validator("ErrorCode")
    @classmethod
    def _code(cls, code: int) -> int:
        if code and not 400 <= code <= 599:
            raise ValueError(
                f"ErrorCode must be from 400 to 599 (or 0 for the default), not {code}"
            )
        return code


class TriggerOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ErrorCode: int
    Probability: int


class RuleModel(StrictIn):
    Stage: str = Field(description="connect, auth, mail, rcpt or data")
    Code: int = Field(ge=400, le=599)
    Text: str = ""
    Times: int | None = Field(default=None, ge=1, description="how many; null for always")
    Match: str | None = Field(default=None, description="address glob, e.g. *@blocked.example")
    Probability: float = Field(default=1.0, ge=0, le=1)


class ChaosIn(StrictIn):
    """Mailpit's triggers (each left out is reset) and, beside them, mailtrap's `Rules`."""

    Sender: TriggerIn | None = None
    Recipient: TriggerIn | None = None
    Authentication: TriggerIn | None = None
    Rules: list[RuleModel] | None = None


class ChaosOut(BaseModel):
    """Exactly Mailpit's `ChaosTriggers`."""

    model_config = ConfigDict(extra="forbid")

    Sender: TriggerOut
    Recipient: TriggerOut
    Authentication: TriggerOut


class ChaosExtrasOut(ChaosOut):
    """The triggers and every active rule (`extras=1`)."""

    Rules: list[RuleModel]


def _chaos(context: Context) -> Chaos:
    if context.chaos is None:
        raise HTTPException(404, "no SMTP server runs beside this API, so there is no chaos")
    return context.chaos


ServerChaos = Annotated[Chaos, Depends(_chaos)]


def _is_trigger(rule: Rule, stage: Stage) -> bool:
    return rule.stage == stage and rule.match is None and rule.times is None and not rule.text


def _out(chaos: Chaos, extras: bool) -> ChaosExtrasOut | ChaosOut:
    """Each trigger is the first plain rule (no match, count or text) at its stage."""
    rules = chaos.rules()
    triggers: dict[str, TriggerOut] = {}
    for name, (stage, default) in TRIGGERS.items():
        rule = next((r for r in rules if _is_trigger(r, stage)), None)
        triggers[name] = (
            TriggerOut(ErrorCode=rule.code, Probability=round(rule.probability * 100))
            if rule
            else TriggerOut(ErrorCode=default, Probability=0)
        )
    if not extras:
        return ChaosOut(**triggers)
    listed = [
        RuleModel(
            Stage=r.stage,
            Code=r.code,
            Text=r.text,
            Times=r.times,
            Match=r.match,
            Probability=r.probability,
        )
        for r in rules
    ]
    return ChaosExtrasOut(**triggers, Rules=listed)


def _trigger_rules(body: ChaosIn) -> list[Rule]:
    """A rule per trigger that is on, or that names a code of its own (so it reads back as
    given, as in Mailpit); one at 0% never fires."""
    rules = []
    for name, (stage, default) in TRIGGERS.items():
        trigger: TriggerIn = getattr(body, name) or TriggerIn()
        code = trigger.ErrorCode or default
        if trigger.Probability or code != default:
            rules.append(Rule(stage, code, probability=trigger.Probability / 100))
    return rules


@router.get(
    "/chaos",
    summary="The active fault-injection triggers",
    responses={404: error("no SMTP server here")},
)
def get_chaos(chaos: ServerChaos, extras: Extras = False) -> ChaosExtrasOut | ChaosOut:
    return _out(chaos, extras)


@router.put(
    "/chaos",
    summary="Set the fault-injection triggers (and rules)",
    responses={400: error("a trigger or rule cannot work"), 404: error("no SMTP server here")},
)
def put_chaos(
    chaos: ServerChaos, body: ChaosIn, extras: Extras = False
) -> ChaosExtrasOut | ChaosOut:
    """Replaces every trigger and rule: a trigger left out is reset, and so are `Rules`."""
    try:
        rules = _trigger_rules(body) + [
            Rule(
                as_stage(r.Stage),
                r.Code,
                r.Text,
                times=r.Times,
                match=r.Match,
                probability=r.Probability,
            )
            for r in body.Rules or ()
        ]
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    chaos.set_rules(rules)
    return _out(chaos, extras)
