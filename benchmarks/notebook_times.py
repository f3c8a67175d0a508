"""Time every notebook, top to bottom, in each profile on this machine.

    python -m benchmarks.notebook_times [--profiles smoke live] [--notebooks 00 01]

Prints JSON and writes benchmarks/results/notebook_times.json, keeping earlier figures of the
notebooks and profiles not run this time. Each run starts a fresh kernel, so kernel start-up and the
TensorFlow import (a few seconds) are included, as a student sees it. ``python -m benchmarks.tables``
then puts the figures into the README, checked against the targets (all smoke runs together within
3 minutes, each live run within 60 seconds).

Without the VGG16 ImageNet weights, run it with ``COURSE_VGG16_WEIGHTS=random`` (same arithmetic);
the table says which weights lesson 04 used when it was last timed. The date is that of the latest
run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

from helpers.environment import machine_description
from helpers.files import atomic_write
from tests.notebook_utils import NOTEBOOKS, execute

RESULTS = Path(__file__).resolve().parent / "results"


def time_notebooks(profiles: list[str], prefixes: list[str] | None, stored: dict) -> dict:
    """Time the chosen notebooks into ``stored``'s rows; its VGG16 label changes only if lesson 04 ran."""
    rows, weights = stored.get("seconds", {}), stored.get("vgg16_weights")
    for path in NOTEBOOKS:
        if prefixes and not any(path.name.startswith(p) for p in prefixes):
            continue
        if path.name.startswith("04"):
            weights = os.environ.get("COURSE_VGG16_WEIGHTS") or "imagenet"
        for profile in profiles:
            start = time.perf_counter()
            execute(path, profile=profile, timeout=1800)
            rows.setdefault(path.name, {})[profile] = round(time.perf_counter() - start, 1)
            print(f"{path.name} {profile}: {rows[path.name][profile]} s", flush=True)
    machine = f"{machine_description()}, {platform.machine()}, Python {platform.python_version()}"
    return {"date": datetime.date.today().isoformat(), "machine": machine, "vgg16_weights": weights, "seconds": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["smoke", "live"], choices=["smoke", "live", "full"])
    parser.add_argument("--notebooks", nargs="*", help="name prefixes, e.g. 00 01 (default: all)")
    args = parser.parse_args()
    stored = RESULTS / "notebook_times.json"
    result = time_notebooks(args.profiles, args.notebooks, json.loads(stored.read_text()) if stored.exists() else {})
    RESULTS.mkdir(exist_ok=True)
    atomic_write(stored, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
