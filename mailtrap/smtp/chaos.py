"""Deterministic fault injection: make the sink refuse at a chosen SMTP stage, on purpose.

A rule says where (connect, auth, mail, rcpt or data), with what reply code and text, how
many times (or always), for which addresses (a glob such as `*@blocked.example`), for which
recipients (a second glob, which is how a test on a shared server keeps a rule to its own
mail), and with what probability. Rules are checked in order and the first that fires
answers; a rule with `times` left at 0 is dropped. Probabilities draw from one generator per
`Chaos`, seeded by `Chaos(seed=N)` (`--chaos-seed N`): with a seed, the same transactions in
the same order fail on every run; without one the seed is random.

    chaos.fail_next("rcpt", code=451)          # the next RCPT gets a 451, then all is well
    chaos.add(Rule("mail", 550, match="*@blocked.example"))   # always, for those senders
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "RECIPIENT_STAGES",
    "STAGES",
    "Chaos",
    "Rule",
    "as_stage",
    "fail_next_rule",
    "parse_rule",
]

Stage = Literal["connect", "auth", "mail", "rcpt", "data"]
STAGES: tuple[Stage, ...] = ("connect", "auth", "mail", "rcpt", "data")


def as_stage(value: str) -> Stage:
    """`value` as a `Stage`, for text from a flag or a request; raises ValueError naming the
    stages there are."""
    for stage in STAGES:
        if value == stage:
            return stage
    raise ValueError(f"unknown stage {value!r}; use one of {', '.join(STAGES)}")


_TEXT = {
    421: "4.3.2 Service not available, closing channel (mailtrap fault injection)",
    450: "4.2.1 Mailbox unavailable, try again later (mailtrap fault injection)",
    451: "4.3.0 Local error in processing, try again later (mailtrap fault injection)",
    452: "4.3.1 Insufficient system storage (mailtrap fault injection)",
    535: "5.7.8 Authentication credentials invalid (mailtrap fault injection)",
    550: "5.1.1 Mailbox unavailable (mailtrap fault injection)",
    552: "5.3.4 Message too big (mailtrap fault injection)",
    554: "5.0.0 Transaction failed (mailtrap fault injection)",
}


# Where a transaction's recipients are known: at RCPT (the one being added) and at DATA.
RECIPIENT_STAGES: tuple[Stage, ...] = ("rcpt", "data")


@dataclass(frozen=True, slots=True)
class Rule:
    """Refuse at `stage` with `code` (400-599) and `text`. `times` None means always; `match`
    is a glob on the address (sender at mail, recipient at rcpt, any of them at data; the
    client's IP at connect) and None matches all; `recipients` is a glob that a recipient
    must match too (the one being added at rcpt, any at data), so it only works at those two
    stages; `probability` is from 0 to 1."""

    stage: Stage
    code: int
    text: str = ""
    times: int | None = None
    match: str | None = None
    probability: float = 1.0
    recipients: str | None = None

    def __post_init__(self) -> None:
        as_stage(self.stage)  # a caller may pass any string at run time
        if self.recipients is not None and self.stage not in RECIPIENT_STAGES:
            raise ValueError(
                f"recipients= needs a stage that knows the recipients (rcpt or data), "
                f"not {self.stage!r}: it would never fire"
            )
        if not 400 <= self.code <= 599:
            raise ValueError(f"code {self.code} is not an SMTP failure; use 400 to 599")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be 1 or more (or None for always), got {self.times}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be from 0 to 1, got {self.probability}")

    @property
    def reply(self) -> str:
        return (
            f"{self.code} {self.text or _TEXT.get(self.code, 'Failure (mailtrap fault injection)')}"
        )

    def matches(self, addresses: Iterable[str], recipients: Iterable[str] = ()) -> bool:
        """Whether `addresses` (as `match` reads them) and `recipients` satisfy both globs."""
        return _glob(self.match, addresses) and _glob(self.recipients, recipients)

    def same(self, other: Rule) -> bool:
        """The same rule, whatever `times` each has left (a used rule counts down)."""
        return replace(self, times=None) == replace(other, times=None)


def _glob(pattern: str | None, values: Iterable[str]) -> bool:
    if pattern is None:
        return True
    folded = pattern.lower()
    return any(fnmatch.fnmatchcase(v.lower(), folded) for v in values)


class Chaos:
    """The active rules, shared by every connection of a server. Thread-safe."""

    def __init__(self, rules: Iterable[Rule] = (), *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules = list(rules)
        self._random = random.Random(seed)

    def __repr__(self) -> str:
        return f"Chaos({self.rules()!r})"

    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def set_rules(self, rules: Iterable[Rule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def remove(self, rules: Iterable[Rule]) -> None:
        """Drop every active rule that is `same` as one of `rules`, in one step: what a test
        added goes, whatever its count, and rules added meanwhile by others stay."""
        gone = list(rules)
        with self._lock:
            self._rules = [r for r in self._rules if not any(r.same(g) for g in gone)]

    def clear(self) -> None:
        self.set_rules(())

    def fail_next(
        self,
        stage: Stage,
        code: int = 451,
        *,
        times: int = 1,
        text: str = "",
        match: str | None = None,
        probability: float = 1.0,
    ) -> Rule:
        """Refuse the next `times` transactions at `stage` with `code`, then stop. See
        `fail_next_rule` for `probability`."""
        rule = fail_next_rule(
            stage, code, times=times, text=text, match=match, probability=probability
        )
        self.add(rule)
        return rule

    def check(
        self, stage: Stage, addresses: Iterable[str] = (), recipients: Iterable[str] = ()
    ) -> str | None:
        """The reply to refuse with at `stage` (using up one of the rule's `times`), or None.
        `addresses` are what `match` reads, `recipients` what `recipients` reads."""
        if not self._rules:
            # The common case, four times a message: no rule at all. Reading the list's
            # length needs no lock (a rule added meanwhile applies from the next check).
            return None
        candidates, rcpts = list(addresses), list(recipients)
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.stage != stage or not rule.matches(candidates, rcpts):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.times is not None:
                    left = rule.times - 1
                    if left:
                        self._rules[index] = replace(rule, times=left)
                    else:
                        del self._rules[index]
                return rule.reply
        return None


def fail_next_rule(
    stage: Stage,
    code: int = 451,
    *,
    times: int = 1,
    text: str = "",
    match: str | None = None,
    probability: float = 1.0,
    recipients: str | None = None,
) -> Rule:
    """The rule `fail_next` adds. With `probability` below 1, each matching transaction is
    refused only that often (so the `times` refusals spread over more transactions).

    Raises ValueError unless 0 < probability <= 1, and for anything `Rule` refuses."""
    if not 0.0 < probability <= 1.0:
        # 0 is a valid Rule (an idle Mailpit trigger), but a fail_next that never fires is a
        # test that silently checks nothing.
        raise ValueError(
            f"fail_next probability must be above 0 and at most 1 (1: every time), got "
            f"{probability!r}; e.g. 0.5 refuses about half"
        )
    return Rule(
        stage,
        code,
        text,
        times=times,
        match=match,
        probability=probability,
        recipients=recipients,
    )


def parse_rule(text: str) -> Rule:
    """`STAGE:CODE[:key=value,...]`, e.g. `rcpt:451:times=2` or `mail:550:match=*@x.example`.

    Keys: times, match, recipients, probability, text. Raises ValueError naming what is
    wrong."""
    stage, _, rest = text.strip().partition(":")
    code_text, _, options = rest.partition(":")
    if not code_text.isdigit():
        raise ValueError(f"{text!r} is not STAGE:CODE[:key=value,...], e.g. rcpt:451:times=1")
    values: dict[str, str] = {}
    for item in filter(None, (o.strip() for o in options.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in ("times", "match", "recipients", "probability", "text"):
            raise ValueError(
                f"{item!r} in {text!r}: use times=, match=, recipients=, probability= or text="
            )
        values[key] = value
    try:
        return Rule(
            as_stage(stage.lower()),
            int(code_text),
            values.get("text", ""),
            times=int(values["times"]) if "times" in values else None,
            match=values.get("match"),
            probability=float(values.get("probability", 1.0)),
            recipients=values.get("recipients"),
        )
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
