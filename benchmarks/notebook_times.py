"""Time every notebook, top to bottom, in each profile on this machine.

    python -m benchmarks.notebook_times [--profiles smoke live] [--notebooks 00 01]

Prints JSON and writes benchmarks/results/notebook_times.{json,md}, keeping earlier figures of the
notebooks and profiles not run this time. Each run starts a fresh kernel, so kernel start-up and the
TensorFlow import (a few seconds) are included, as a student sees it. The Markdown table also checks
the targets: all smoke runs together within 3 minutes, each live run within 60 seconds.

Without the VGG16 ImageNet weights, run it with ``COURSE_VGG16_WEIGHTS=random`` (same arithmetic);
the table says which weights lesson 04 used.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

from helpers.files import atomic_write
from tests.notebook_utils import NOTEBOOKS, execute

RESULTS = Path(__file__).resolve().parent / "results"


SMOKE_TOTAL_TARGET_S, LIVE_EACH_TARGET_S = 180, 60


def time_notebooks(profiles: list[str], prefixes: list[str] | None, rows: dict) -> dict:
    for path in NOTEBOOKS:
        if prefixes and not any(path.name.startswith(p) for p in prefixes):
            continue
        for profile in profiles:
            start = time.perf_counter()
            execute(path, profile=profile, timeout=1800)
            rows.setdefault(path.name, {})[profile] = round(time.perf_counter() - start, 1)
            print(f"{path.name} {profile}: {rows[path.name][profile]} s", flush=True)
    machine = f"{os.cpu_count()} cores, CPU only, {platform.machine()}, Python {platform.python_version()}"
    weights = os.environ.get("COURSE_VGG16_WEIGHTS") or "imagenet"
    return {"date": datetime.date.today().isoformat(), "machine": machine, "vgg16_weights": weights, "seconds": rows}


def markdown(result: dict) -> str:
    profiles = [p for p in ("smoke", "live", "full") if any(p in t for t in result["seconds"].values())]
    lines = [f"| notebook | {' | '.join(profiles)} |", "|---|" + "---:|" * len(profiles)]
    for name, times in sorted(result["seconds"].items()):
        lines.append(f"| `{name}` | " + " | ".join(f"{times[p]} s" if p in times else "-" for p in profiles) + " |")
    smoke = sum(t.get("smoke", 0) for t in result["seconds"].values())
    slowest_live = max((t["live"] for t in result["seconds"].values() if "live" in t), default=0)
    return "\n".join(lines) + (
        f"\n\nAll smoke runs together: {smoke:.0f} s (target ≤ {SMOKE_TOTAL_TARGET_S} s: "
        f"{_verdict(smoke <= SMOKE_TOTAL_TARGET_S)}). Slowest live run: {slowest_live} s (target ≤ "
        f"{LIVE_EACH_TARGET_S} s each: {_verdict(slowest_live <= LIVE_EACH_TARGET_S)}).\n\n"
        f"Measured {result['date']} on {result['machine']}; lesson 04 with VGG16 weights: "
        f"{result['vgg16_weights']}.\n"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["smoke", "live"], choices=["smoke", "live", "full"])
    parser.add_argument("--notebooks", nargs="*", help="name prefixes, e.g. 00 01 (default: all)")
    args = parser.parse_args()
    stored = RESULTS / "notebook_times.json"
    rows = json.loads(stored.read_text())["seconds"] if stored.exists() else {}
    result = time_notebooks(args.profiles, args.notebooks, rows)
    RESULTS.mkdir(exist_ok=True)
    atomic_write(stored, json.dumps(result, indent=2) + "\n")
    atomic_write(RESULTS / "notebook_times.md", markdown(result))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
