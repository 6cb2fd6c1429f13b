"""What benchmarks/ingest.py reports: a row per target, the ratios taken within the run, and
the table."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ingest_targets import POSTGRES


@dataclass
class Row:
    """One target's result. `rate` is what ratios use: msgs/s to fully visible for a catcher,
    accepted msgs/s for a sink, None when the run did not count (see `note`)."""

    target: str
    rate: float | None = None
    accepted_per_s: float | None = None
    visible: int | None = None
    visible_after_s: float | None = None
    rss_before_mib: float | None = None
    rss_after_mib: float | None = None
    cpu_us_per_msg: float | None = None
    db_cpu_us_per_msg: float | None = None
    note: str = ""


def ratios(rows: list[Row]) -> list[tuple[str, str, float]]:
    """(mailtrap target, peer, ratio of their rates) for every pair where both counted, each
    PostgreSQL target's ratio to `mailtrap` (SQLite), and two instances' to one."""
    ours = [r for r in rows if r.target.startswith("mailtrap") and r.rate]
    peers = [r for r in rows if not r.target.startswith("mailtrap") and r.rate]
    sqlite = [r for r in rows if r.target == "mailtrap" and r.rate]
    pg = [r for r in rows if r.target in POSTGRES and r.rate]
    one = [r for r in rows if r.target == "mailtrap-postgres" and r.rate]
    two = [r for r in rows if r.target == "mailtrap-postgres-2" and r.rate]
    pairs = [(o, p) for o in ours for p in peers] + [(o, p) for o in pg for p in sqlite]
    pairs += [(o, p) for o in two for p in one]
    return [(o.target, p.target, o.rate / p.rate) for o, p in pairs if o.rate and p.rate]


def table(rows: list[Row], args: argparse.Namespace) -> str:
    mode = "one connection per message" if args.new_connections else "connections reused"
    lines = [f"# {args.messages} messages of {args.size} B, {args.sessions} sessions, {mode}"]
    if args.cpu_limit:
        lines[0] += f", each server process held to {args.cpu_limit:g} cores"
    lines.append(
        f"{'target':<21}{'msgs/s':>9}{'accepted/s':>12}{'visible':>9}"
        f"{'after s':>9}{'RSS MiB':>15}{'CPU us/msg':>12}{'DB us/msg':>11}  note"
    )

    def num(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    for r in rows:
        rss = f"{num(r.rss_before_mib)}->{num(r.rss_after_mib)}" if r.rss_before_mib else "-"
        vis = "-" if r.visible is None else str(r.visible)
        lines.append(
            f"{r.target:<21}{num(r.rate):>9}{num(r.accepted_per_s):>12}{vis:>9}"
            f"{num(r.visible_after_s, 2):>9}{rss:>15}{num(r.cpu_us_per_msg):>12}"
            f"{num(r.db_cpu_us_per_msg):>11}  {r.note}"
        )
    lines.append("")
    lines += [f"{ours} / {peer}: {ratio:.2f}x" for ours, peer, ratio in ratios(rows)]
    return "\n".join(lines)
