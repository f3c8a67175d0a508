"""Train a lesson's Fashion-MNIST network in each profile and report seconds and test accuracy as JSON.

    python -m benchmarks.cnn_accuracy [--lesson 03|04] [--profiles smoke live full] [--out FILE]

It executes the lesson's notebook itself (03: the CNN classifier; 04: the narrow VGG), so the figures
are the lesson's own: the notebook holds the profile table, and its assertions must pass. Seconds are
those of ``model.fit`` (from the notebook's training line) and of the whole notebook, kernel start
included. Lesson 04 runs to its end only with VGG16 weights, so without them set
``COURSE_VGG16_WEIGHTS=random`` (the narrow VGG does not use them).
"""

from __future__ import annotations

import argparse
import datetime
import re
import time
from pathlib import Path

from benchmarks import report
from helpers.environment import machine_description
from tests.notebook_utils import ROOT, execute

NOTEBOOKS = {"03": "03_cnn_classifier.ipynb", "04": "04_vgg16_recognition.ipynb"}
TRAINED = re.compile(r"trained (\d+) epoch\(s\) on ([\d,]+) images in (\d+) s; validation accuracy ([\d.]+)")
TESTED = re.compile(r"test accuracy: ([\d.]+)")
OPTIONAL = {  # printed by lesson 04 only
    "test_accuracy_without_mirror_averaging": re.compile(r"with mirror averaging, ([\d.]+) without"),
    "peak_memory_gb": re.compile(r"the most memory this notebook has held: ([\d.]+) GB"),
}


def stdout_of(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def measure(notebook: Path, profile: str) -> dict:
    start = time.perf_counter()
    text = stdout_of(execute(notebook, profile=profile, timeout=1800))
    trained, tested = TRAINED.search(text), TESTED.search(text)
    if not (trained and tested):
        raise RuntimeError(f"{notebook.name} ({profile}) did not print its training and test lines")
    extra = {name: float(found[1]) for name, pattern in OPTIONAL.items() if (found := pattern.search(text))}
    return {
        "epochs": int(trained[1]),
        "train_images": int(trained[2].replace(",", "")),
        "fit_seconds": int(trained[3]),
        "val_accuracy": float(trained[4]),
        "notebook_seconds": round(time.perf_counter() - start, 1),
        "test_accuracy": float(tested[1]),
        **extra,
    }


def measure_profiles(notebook: Path, profiles: list[str]) -> dict:
    """:func:`measure` in each profile, under the notebook's name, today's date and this machine."""
    results = {"notebook": notebook.name, "date": datetime.date.today().isoformat(), "machine": machine_description()}
    for profile in profiles:
        results[profile] = measure(notebook, profile)
        print(profile, results[profile], flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default="03", choices=sorted(NOTEBOOKS))
    parser.add_argument("--profiles", nargs="+", default=["smoke", "live", "full"], choices=["smoke", "live", "full"])
    parser.add_argument("--out", help="also write the JSON here (atomically)")
    args = parser.parse_args()
    report(measure_profiles(ROOT / "notebooks" / NOTEBOOKS[args.lesson], args.profiles), args.out)


if __name__ == "__main__":
    main()
