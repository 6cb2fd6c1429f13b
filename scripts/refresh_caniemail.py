#!/usr/bin/env python3
"""Rewrite mailtrap/checks/data/caniemail.json from the npm package `caniemail`, which carries
caniemail.com's whole feature database (`data/caniemail.json`, the site's API data).

    python scripts/refresh_caniemail.py [VERSION]

Runs `npm pack caniemail@VERSION` (default: the version the data file names) in a temporary
directory, checks that the package holds the full data set (every feature has a slug, stats
and a category; at least `MIN_FEATURES` of them), and writes a compact copy: the fields the
HTML check uses, minified. Then run tests/checks, whose hand-worked scores are tied to the data
version, and update them and the licence file beside the data if either changed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "mailtrap" / "checks" / "data" / "caniemail.json"
MIN_FEATURES = 300  # caniemail.com lists 307 features (2026); far fewer means a partial copy
KEPT = ("slug", "title", "description", "url", "category", "tags", "keywords", "notes_by_num")


def pack(version: str, into: Path) -> dict[str, Any]:
    """The data file inside `caniemail@version`, fetched with npm into `into`."""
    run = subprocess.run(
        ["npm", "pack", f"caniemail@{version}", "--silent"],
        cwd=into,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    tarball = into / run.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/data/caniemail.json")
        if member is None:
            raise SystemExit(f"{tarball.name} has no package/data/caniemail.json")
        data: dict[str, Any] = json.load(member)
    return data


def compact(data: dict[str, Any], version: str) -> dict[str, Any]:
    features = data["data"]
    if len(features) < MIN_FEATURES:
        raise SystemExit(f"caniemail@{version} has {len(features)} features, not the full set")
    for feature in features:
        if not feature.get("slug") or not feature.get("category") or not feature.get("stats"):
            raise SystemExit(f"caniemail@{version}: feature {feature.get('slug')!r} is incomplete")
    return {
        "source": f"npm caniemail@{version}",
        "api_version": data["api_version"],
        "last_update_date": data["last_update_date"],
        "nicenames": {key: data["nicenames"][key] for key in ("family", "platform")},
        "features": [
            {**{key: feature.get(key) for key in KEPT}, "stats": feature["stats"]}
            for feature in sorted(features, key=lambda f: str(f["slug"]))
        ],
    }


def main() -> None:
    current = json.loads(DATA.read_text("utf-8"))["source"].rpartition("@")[2]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version", nargs="?", default=current, help=f"default {current}")
    version = parser.parse_args().version
    with tempfile.TemporaryDirectory() as tmp:
        data = compact(pack(version, Path(tmp)), version)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    DATA.write_text(text + "\n", "utf-8")
    print(f"{DATA}: {len(data['features'])} features from {data['source']}")


if __name__ == "__main__":
    main()
