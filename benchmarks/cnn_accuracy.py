"""Train lesson 03's CNN in each profile and report seconds and test accuracy as JSON.

    python -m benchmarks.cnn_accuracy [--profiles smoke live full] [--out FILE]

It executes ``notebooks/03_cnn_classifier.ipynb`` itself, so the figures are the lesson's own: the
notebook holds the profile table, and its assertions must pass. Seconds are those of ``model.fit``
(from the notebook's training line) and of the whole notebook, kernel start included.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import time

from helpers.files import atomic_write
from tests.notebook_utils import ROOT, execute

NOTEBOOK = ROOT / "notebooks" / "03_cnn_classifier.ipynb"
TRAINED = re.compile(r"trained (\d+) epoch\(s\) on ([\d,]+) images in (\d+) s; validation accuracy ([\d.]+)")
TESTED = re.compile(r"test accuracy: ([\d.]+)")


def stdout_of(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def measure(profile: str) -> dict:
    start = time.perf_counter()
    text = stdout_of(execute(NOTEBOOK, profile=profile, timeout=1800))
    trained, tested = TRAINED.search(text), TESTED.search(text)
    if not (trained and tested):
        raise RuntimeError(f"{NOTEBOOK.name} ({profile}) did not print its training and test lines")
    return {
        "epochs": int(trained[1]),
        "train_images": int(trained[2].replace(",", "")),
        "fit_seconds": int(trained[3]),
        "val_accuracy": float(trained[4]),
        "notebook_seconds": round(time.perf_counter() - start, 1),
        "test_accuracy": float(tested[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["smoke", "live", "full"], choices=["smoke", "live", "full"])
    parser.add_argument("--out", help="also write the JSON here (atomically)")
    args = parser.parse_args()
    results = {"date": datetime.date.today().isoformat(), "machine": f"{os.cpu_count()} cores, CPU only"}
    for profile in args.profiles:
        results[profile] = measure(profile)
        print(profile, results[profile], flush=True)
    text = json.dumps(results, indent=2) + "\n"
    print(text, end="")
    if args.out:
        atomic_write(args.out, text)


if __name__ == "__main__":
    main()
