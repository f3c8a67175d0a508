"""How lesson 04's narrow VGG got its recipe: test accuracy per variant, with and without mirror averaging.

    python -m benchmarks.narrow_vgg_recipes [--variants NAME ...] [--out FILE]

Each variant trains ``build_vgg([16, 16, "M", 32, 32, "M"])`` on 55,000 Fashion-MNIST images (5,000
held out for validation) with Adam and a cosine-decayed learning rate, batch 128, from seed 0, in a
fresh Python process of its own, so variants do not share random state. It reports the test accuracy
of the network alone and with each test image's class probabilities averaged with its mirror
image's. The 2-epoch variants stand for the live profile, the 25-epoch ones for the full profile.
All variants together take about an hour on 2 cores. Prints JSON; ``--out`` merges into that file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report

BASELINE = {"epochs": 2, "learning_rate": 2e-3, "dropout": 0.3, "flips": True}
VARIANTS = {
    "no flips, 2 epochs": {"flips": False},
    "2 epochs": {},
    "2 epochs, learning rate 3e-3": {"learning_rate": 3e-3},
    "2 epochs, learning rate 4e-3": {"learning_rate": 4e-3},
    "2 epochs, learning rate 3e-3, dropout 0.1": {"learning_rate": 3e-3, "dropout": 0.1},
    "25 epochs, learning rate 3e-3": {"epochs": 25, "learning_rate": 3e-3},
    "25 epochs, learning rate 4e-3": {"epochs": 25, "learning_rate": 4e-3},
    "25 epochs, learning rate 3e-3, dropout 0.1": {"epochs": 25, "learning_rate": 3e-3, "dropout": 0.1},
    "25 epochs, learning rate 3e-3, dropout 0": {"epochs": 25, "learning_rate": 3e-3, "dropout": 0.0},
}


def train_and_test(settings: dict) -> dict:
    """Train one variant in this process and return its accuracies and ``fit`` seconds."""
    from helpers import metrics, models
    from helpers.classifier_training import compile_classifier, cosine_schedule, fashion_splits
    from helpers.environment import keras, seed_everything
    from helpers.pixels import IMAGE_SHAPE

    seed_everything(0)
    narrow = models.build_vgg([16, 16, "M", 32, 32, "M"], input_shape=IMAGE_SHAPE, classes=10, dense_units=128,
                              classifier_activation=None, dropout=settings["dropout"], rescale=1 / 255)  # fmt: skip
    flips = [keras.layers.RandomFlip("horizontal", seed=0)] if settings["flips"] else []
    trainer = keras.Sequential([keras.Input(IMAGE_SHAPE), *flips, narrow])
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = fashion_splits(n_val=5000)
    compile_classifier(trainer, cosine_schedule(settings["learning_rate"], settings["epochs"], len(x_train)))
    start = time.perf_counter()
    history = trainer.fit(x_train, y_train, batch_size=128, epochs=settings["epochs"],
                          validation_data=(x_val, y_val), verbose=0)  # fmt: skip
    fit_seconds = time.perf_counter() - start
    plain = metrics.class_probabilities(x_test, model=narrow)
    averaged = metrics.mirror_averaged_probabilities(x_test, model=narrow)
    return {
        **settings,
        "val_accuracy": round(float(history.history["val_accuracy"][-1]), 4),
        "test_accuracy": round(float((plain.argmax(axis=1) == y_test).mean()), 4),
        "test_accuracy_mirror_averaged": round(float((averaged.argmax(axis=1) == y_test).mean()), 4),
        "fit_seconds": round(fit_seconds, 1),
    }


def run_in_fresh_process(name: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.narrow_vgg_recipes", "--one", name]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"variant {name!r} failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="NAME")
    parser.add_argument("--one", choices=list(VARIANTS), help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--out", help="merge the results into this JSON file (written atomically)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(train_and_test({**BASELINE, **VARIANTS[args.one]})))
        return
    from helpers.environment import machine_description

    previous = json.loads(Path(args.out).read_text())["variants"] if args.out and Path(args.out).exists() else {}
    results = {"date": datetime.date.today().isoformat(), "machine": machine_description(), "variants": previous}
    for name in args.variants:
        results["variants"][name] = run_in_fresh_process(name)
        print(name, results["variants"][name], flush=True)
    report(results, args.out)


if __name__ == "__main__":
    main()
