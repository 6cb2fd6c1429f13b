#!/usr/bin/env python3
"""Repeat the side-by-side ingest benchmark, and report mailtrap's ratio to each target.

    python benchmarks/ingest_rounds.py [--rounds 3] [--ingest PATH] -- [ingest.py arguments]

On a shared 2-core VM one run of `benchmarks/ingest.py` varies by 10 to 20%, so a single
ratio can land on either side of a target. Each round here is one ingest.py run: every target
in the same sitting, one after another. The ratio of each mailtrap target (`mailtrap`,
`mailtrap-memory`) to each peer, and of the PostgreSQL targets to SQLite and to each other, is
taken within each round and the median is over those per-round ratios, so no figure from one
run is ever divided by a figure from another.

A target's rate is the `rate` ingest.py counts: msgs/s to fully visible for a catcher (only
when every message became visible in its API), accepted msgs/s for the sinks. A round where a
target failed (hung, lost messages) or was skipped shows `-` for it and is left out of its
median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT_INGEST = Path(__file__).resolve().with_name("ingest.py")
OURS = "mailtrap"  # this prefix names the project's own targets; every other target is a peer
# Pairs of the project's own targets compared too: PostgreSQL with SQLite, and what a second
# instance on one schema adds to one.
OWN_PAIRS = (
    ("mailtrap-postgres", "mailtrap"),
    ("mailtrap-postgres-2", "mailtrap"),
    ("mailtrap-postgres-2", "mailtrap-postgres"),
)

Round = dict[str, float | None]  # target -> msgs/s, None when that target's run did not count


def rate(row: dict[str, object]) -> float | None:
    """The rate a row from `ingest.py --json` counts for, or None if the run did not count."""
    value = row.get("rate")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def run_round(ingest: Path, args: list[str]) -> Round:
    out = subprocess.run(
        [sys.executable, str(ingest), *args, "--json"], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{ingest} failed with exit code {out.returncode}:\n{out.stderr[-2000:]}")
    try:
        rows = json.loads(out.stdout)["rows"]
    except (ValueError, KeyError, TypeError):
        raise SystemExit(
            f"{ingest} printed no JSON document with rows; is it benchmarks/ingest.py?\n"
            f"{out.stdout[-2000:]}"
        ) from None
    return {str(row["target"]): rate(row) for row in rows}


def ratios(rounds: list[Round], ours: str, target: str) -> list[float]:
    """`ours` / `target` in every round where both counted."""
    return [
        mine / theirs
        for r in rounds
        if (mine := r.get(ours)) is not None and (theirs := r.get(target))
    ]


def report(rounds: list[Round]) -> str:
    targets = list(dict.fromkeys(t for r in rounds for t in r))
    mine = [t for t in targets if t.startswith(OURS)]
    others = [t for t in targets if not t.startswith(OURS)]
    width = max(14, *(len(t) + 2 for t in targets))
    lines = ["msgs/s per round (the mailtrap / target ratios are taken within each round)"]
    lines.append("round".ljust(7) + "".join(t.rjust(width) for t in targets))
    for number, r in enumerate(rounds, 1):
        cells = [f"{v:.0f}" if (v := r.get(t)) is not None else "-" for t in targets]
        lines.append(str(number).ljust(7) + "".join(c.rjust(width) for c in cells))
    pairs = [(ours, other) for ours in mine for other in others]
    pairs += [(a, b) for a, b in OWN_PAIRS if a in targets and b in targets]
    if pairs:
        lines.append("")
    for ours, other in pairs:
        found = ratios(rounds, ours, other)
        if not found:
            lines.append(f"{ours} / {other}: no round where both counted")
            continue
        each = ", ".join(f"{x:.2f}" for x in found)
        lines.append(
            f"{ours} / {other}: median {statistics.median(found):.2f}x "
            f"over {len(found)} of {len(rounds)} rounds ({each})"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--ingest",
        type=Path,
        default=DEFAULT_INGEST,
        help=f"the side-by-side script (default {DEFAULT_INGEST})",
    )
    parser.add_argument(
        "ingest_args", nargs=argparse.REMAINDER, help="after --: arguments for ingest.py"
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be 1 or more, got {args.rounds}")
    if not args.ingest.is_file():
        parser.error(f"{args.ingest} does not exist; pass --ingest PATH to the ingest script")
    passed = args.ingest_args[1:] if args.ingest_args[:1] == ["--"] else args.ingest_args
    rounds = []
    for number in range(1, args.rounds + 1):
        print(f"round {number} of {args.rounds} ...", file=sys.stderr, flush=True)
        rounds.append(run_round(args.ingest, passed))
    print(report(rounds))


if __name__ == "__main__":
    main()
