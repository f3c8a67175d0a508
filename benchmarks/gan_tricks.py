"""Which training tricks help lesson 06's DCGAN? Each variant changes one setting of the baseline, or two.

    python -m benchmarks.gan_tricks [--steps 2000] [--out FILE]

Every variant trains from the same seed for the same number of steps (so the comparison does not
depend on what else the machine is doing), then draws 5,000 samples from the moving average of its
generator's weights (the raw generator for the "no average" variant) and scores them by FID against
the test set. Seconds per step are reported too, since a bigger network buys quality with time.
This is how the shipped generator's settings were chosen (``data/README.md``). Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

from benchmarks import report
from helpers import data, gan, metrics
from helpers.environment import keras, machine_description, setup
from helpers.gan_training import GanTraining
from helpers.pixels import from_pixels

BASELINE = {"width": 128, "d_width": 64, "learning_rate": 2e-4, "batch_size": 64, "real_label": 1.0, "ema": True}
VARIANTS = {
    "baseline": {},
    "no average": {"ema": False},
    "label smoothing 0.9": {"real_label": 0.9},
    "discriminator width 128": {"d_width": 128},
    "discriminator width 32": {"d_width": 32},
    "learning rate 4e-4": {"learning_rate": 4e-4},
    "discriminator width 32, learning rate 4e-4": {"d_width": 32, "learning_rate": 4e-4},
    "generator width 256": {"width": 256},
    "batch 128, learning rate 4e-4": {"batch_size": 128, "learning_rate": 4e-4},
    "generator width 256, discriminator width 32": {"width": 256, "d_width": 32},
}


def run(settings: dict, steps: int, real, real_features) -> dict:
    keras.utils.set_random_seed(0)
    training = GanTraining(
        gan.build_generator(64, settings["width"]),
        gan.build_discriminator(settings["d_width"]),
        learning_rate=settings["learning_rate"],
        batch_size=settings["batch_size"],
        real_label=settings["real_label"],
        ema_decay=0.999 if settings["ema"] else None,
    )
    start = time.perf_counter()
    training.train(real, steps=steps)
    seconds = time.perf_counter() - start
    fid = gan.evaluate(training.sampling_model, real_features, 5_000)["fid"]
    return {"fid": round(fid, 1), "ms_per_step": round(1000 * seconds / steps, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2_000)
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), help="default: all")
    parser.add_argument("--out", type=Path, help="also write the JSON here (merged with its variants measured earlier)")
    args = parser.parse_args(argv)

    setup(0)
    (x_train, _), (x_test, _) = data.load_fashion_mnist()
    real, real_features = from_pixels(x_train[..., None]), metrics.classifier_features(x_test[..., None])
    result = {"date": datetime.date.today().isoformat(), "machine": machine_description(), "steps": args.steps,
              "baseline_settings": BASELINE}  # fmt: skip
    if args.out and args.out.exists():  # keep the variants not re-run, when they were measured the same way
        earlier = json.loads(args.out.read_text())
        if earlier.get("steps") == args.steps and earlier.get("baseline_settings") == BASELINE:
            result = {**earlier, **result}
    for name in args.variants or VARIANTS:
        result[name] = run({**BASELINE, **VARIANTS[name]}, args.steps, real, real_features)
        print(name, result[name], flush=True)
    report(result, args.out)
    return result


if __name__ == "__main__":
    main()
