"""One-off migration (v0.4.0): the shipped models from whole ``.keras`` files to weights-only files.

    python tools/resave_shipped_models.py   # needs the Keras that saved the old files (3.15)

Up to v0.3.0, ``data/pretrained/`` held ``.keras`` files saved by Keras 3.15, whose layer configs carry
arguments that older Keras versions refuse (``quantization_config``, ``input_axes``), so Colab's
Keras 3.10 could not load them. This script reads each old file and its record from git (the last
commit that shipped them), copies the weights into the course's own builder and saves
them with :func:`helpers.train.save_model`, and rewrites the record with the fields the training
commands write now; every figure carries over. It checks that each new file gives the old model's
outputs exactly, then stores those outputs as the reference of ``tests/test_shipped_models.py``.
No training is repeated.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tools"))


def _old_commit() -> str:
    """The last commit whose data/pretrained/ held the .keras files: the last to change one, or its parent
    if that commit removed them."""
    removed_in = subprocess.run(
        ["git", "log", "-1", "--format=%H", "--", "data/pretrained/*.keras"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not removed_in:
        return "HEAD"  # not yet migrated: the files are still in the last commit
    listed = _from_git(removed_in, "data/pretrained/").decode()
    return removed_in if "fashion_classifier.keras" in listed else f"{removed_in}~1"


def _from_git(commit: str, path: str) -> bytes:
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO_ROOT, capture_output=True, check=True).stdout


def updated_record(name: str, old: dict) -> dict:
    """The old record with the fields the training commands write today; no figure changes."""
    record = {k: v for k, v in old.items() if k not in ("file", "bytes", "sha256", "config")}
    record["tensorflow"] = record["tensorflow"].removeprefix("tensorflow ")  # the classifier's said "tensorflow 2.21.0"
    if name == "fashion_generator":
        # Its four runs predate the progress file: their wall-clock (about 83 min, data/README.md) was
        # added up by hand, on this repository's 2-core CPU machine, and the step-by-step story moves to
        # data/README.md.
        record.pop("notes")
        minutes = record.pop("train_minutes")
        fields = list(record)
        record["train_seconds"], record["trained_on"] = float(minutes * 60), ["CPU, 2 CPU cores"]
        order = ["steps", "train_seconds", "trained_on", *[f for f in fields if f != "steps"]]
        record = {key: record[key] for key in order}
    return record


def main() -> int:
    import keras
    from shipped_outputs import loaders, outputs, write

    from helpers import diffusion, gan, models, train

    builders = {"fashion_classifier": models.build_classifier, "fashion_generator": gan.build_generator,
                "fashion_diffusion": diffusion.build_unet}  # fmt: skip
    commit = _old_commit()
    reference = {}
    for name, (load, new_path) in loaders().items():
        old_record = json.loads(_from_git(commit, f"data/pretrained/{name}.json"))
        with tempfile.TemporaryDirectory() as tmp:
            old_path = Path(tmp) / f"{name}.keras"
            old_path.write_bytes(_from_git(commit, f"data/pretrained/{name}.keras"))
            old_model = keras.models.load_model(old_path, compile=False)
        reference[name] = outputs(old_model, name)
        train.save_model(old_model, new_path, old_record["config"], updated_record(name, old_record), builders[name])
        difference = np.abs(outputs(load(), name) - reference[name]).max()
        print(f"{name}: {new_path.name}, largest difference from the old file's outputs {difference:.1e}")
        if difference > 0:
            raise SystemExit(f"{name}: the re-saved weights do not reproduce the old model")
    print(f"wrote {write(reference)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
