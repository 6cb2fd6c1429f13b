"""GET/PUT /api/v1/chaos: fault injection at runtime.

Mailpit's shape, exactly: `{"Sender": …, "Recipient": …, "Authentication": …}`, each an
`ErrorCode` (400-599) and a `Probability` in percent. A PUT sets all three: a trigger left out
is reset (0%, its default code: 451, 451 and 535 as in Mailpit), so `{}` resets them all.

mailtrap's `Rules` go beside them: every stage, a count (`Times`), an address glob (`Match`),
a recipient glob (`Recipients`), a text. A PUT's `Rules` (none if left out) follow the
triggers; `extras=1` lists every rule, the triggers' included, after the triggers.

`POST /api/v1/chaos/rules` adds rules and `DELETE /api/v1/chaos/rules` removes them (the same
rules, whatever `Times` they have left), each in one step: clients that share the server (the
pytest plugin's xdist workers) change their own rules without a read-modify-write PUT that
would drop or revive one another's.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    Recipients: str | None = Field(
        default=None, description="recipient glob a transaction must have (rcpt and data only)"
    )

    def rule(self) -> Rule:
        """As a `Rule`; raises ValueError for one that cannot work."""
        return Rule(
            as_stage(self.Stage),
            self.Code,
            self.Text,
            times=self.Times,
            match=self.Match,
            probability=self.Probability,
            recipients=self.Recipients,
        )


class RulesIn(StrictIn):
    """Rules to add or remove."""

    Rules: list[RuleModel]


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
    plain = rule.match is None and rule.recipients is None and rule.times is None
    return rule.stage == stage and plain and not rule.text


def _out(chaos: Chaos, extras: bool) -> ChaosExtrasOut | ChaosOut:
    return _listed(chaos) if extras else _triggers(chaos.rules())


def _triggers(rules: list[Rule]) -> ChaosOut:
    """Each trigger is the first plain rule (no match, recipients, count or text) at its
    stage."""
    triggers: dict[str, TriggerOut] = {}
    for name, (stage, default) in TRIGGERS.items():
        rule = next((r for r in rules if _is_trigger(r, stage)), None)
        triggers[name] = (
            TriggerOut(ErrorCode=rule.code, Probability=round(rule.probability * 100))
            if rule
            else TriggerOut(ErrorCode=default, Probability=0)
        )
    return ChaosOut(**triggers)


def _listed(chaos: Chaos) -> ChaosExtrasOut:
    """The triggers, and every rule after them."""
    rules = chaos.rules()
    listed = [
        RuleModel(
            Stage=r.stage,
            Code=r.code,
            Text=r.text,
            Times=r.times,
            Match=r.match,
            Probability=r.probability,
            Recipients=r.recipients,
        )
        for r in rules
    ]
    return ChaosExtrasOut(**_triggers(rules).model_dump(), Rules=listed)


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
    rules = _trigger_rules(body) + _rules(body.Rules or ())
    chaos.set_rules(rules)
    return _out(chaos, extras)


def _rules(models: Iterable[RuleModel]) -> list[Rule]:
    try:
        return [m.rule() for m in models]
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.post(
    "/chaos/rules",
    summary="Add fault-injection rules (mailtrap only)",
    responses={400: error("a rule cannot work"), 404: error("no SMTP server here")},
)
def add_chaos_rules(chaos: ServerChaos, body: RulesIn) -> ChaosExtrasOut:
    """Appends `Rules` after those active (each in one step: no rule of another client's is
    lost); answers like `GET ?extras=1`."""
    for rule in _rules(body.Rules):
        chaos.add(rule)
    return _listed(chaos)


@router.delete(
    "/chaos/rules",
    summary="Remove fault-injection rules (mailtrap only)",
    responses={400: error("a rule cannot work"), 404: error("no SMTP server here")},
)
def remove_chaos_rules(chaos: ServerChaos, body: RulesIn) -> ChaosExtrasOut:
    """Removes every active rule equal to one of `Rules`, whatever `Times` it has left (a
    used rule counts down), in one step; answers like `GET ?extras=1`."""
    chaos.remove(_rules(body.Rules))
    return _listed(chaos)
