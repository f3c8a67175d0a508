"""Time every notebook, top to bottom, in each profile on this machine.

    python -m benchmarks.notebook_times [--profiles smoke live] [--notebooks 00 01]

Prints JSON and writes benchmarks/results/notebook_times.{json,md}. Each run starts a fresh
kernel, so kernel start-up and the TensorFlow import (a few seconds) are included, as a student sees it.
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


def time_notebooks(profiles: list[str], prefixes: list[str] | None) -> dict:
    rows = {}
    for path in NOTEBOOKS:
        if prefixes and not any(path.name.startswith(p) for p in prefixes):
            continue
        for profile in profiles:
            start = time.perf_counter()
            execute(path, profile=profile, timeout=1800)
            rows.setdefault(path.name, {})[profile] = round(time.perf_counter() - start, 1)
            print(f"{path.name} {profile}: {rows[path.name][profile]} s", flush=True)
    machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.python_version()}"
    return {"date": datetime.date.today().isoformat(), "machine": machine, "seconds": rows}


def markdown(result: dict, profiles: list[str]) -> str:
    lines = [f"| notebook | {' | '.join(profiles)} |", "|---|" + "---:|" * len(profiles)]
    for name, times in result["seconds"].items():
        lines.append(f"| `{name}` | " + " | ".join(f"{times.get(p, '-')} s" for p in profiles) + " |")
    return "\n".join(lines) + f"\n\nMeasured {result['date']} on {result['machine']}.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["smoke", "live"], choices=["smoke", "live", "full"])
    parser.add_argument("--notebooks", nargs="*", help="name prefixes, e.g. 00 01 (default: all)")
    args = parser.parse_args()
    result = time_notebooks(args.profiles, args.notebooks)
    RESULTS.mkdir(exist_ok=True)
    atomic_write(RESULTS / "notebook_times.json", json.dumps(result, indent=2) + "\n")
    atomic_write(RESULTS / "notebook_times.md", markdown(result, args.profiles))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
