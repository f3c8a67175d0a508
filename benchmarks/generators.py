"""Lesson 06's GAN against lesson 07's diffusion model, on the same data and the same yardstick.

    python -m benchmarks.generators [--minutes 10] [--samples 10000] [--out FILE]

Three measurements, in one process on this machine:

1. **The same wall-clock budget.** Lesson 06's DCGAN and lesson 07's diffusion model, each as its
   notebook builds it, train from scratch for ``--minutes`` each on all 60,000 training images; FID
   of each (the GAN's moving-average generator; the diffusion model's moving average, sampled with
   the record's default settings).
2. **The shipped models.** FID, class coverage (the share of each class in unconditional GAN
   samples), the diffusion model's class accuracy (the share of samples of each requested class that
   lesson 03's classifier labels so), network evaluations and milliseconds per sample, training time.
3. **Quality against cost.** The shipped diffusion model's FID and milliseconds per sample for DDIM
   with 5 to 50 steps, at its default guidance, with ``--curve-samples`` samples per point.

FID compares ``--samples`` samples with as many test images, on the shipped classifier's features.
Lesson 07's targets for the shipped diffusion model are checked against the GAN measured in the same
run: at most half its FID, at least 90% of samples drawn as asked with no class below 70%, and
10,000 samples in at most 10 minutes. Prints JSON; ``python -m benchmarks.tables`` turns it into the
README's table.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np

from benchmarks import report
from helpers import data, diffusion, gan, metrics
from helpers.diffusion_training import DiffusionTraining
from helpers.environment import machine_description, setup
from helpers.files import read_record
from helpers.gan_training import lesson_dcgan
from helpers.pixels import from_pixels

SAMPLER_STEPS = (5, 10, 20, 50)
MIN_ACCURACY, MIN_CLASS_ACCURACY, MAX_SECONDS_PER_10K = 0.9, 0.7, 600


def same_budget(seconds: float, real_features: np.ndarray) -> dict:
    """Train each generator from scratch for ``seconds`` and score it."""
    (x_train, y_train), _ = data.load_fashion_mnist()
    images = from_pixels(x_train[..., None])
    gan_training = lesson_dcgan()
    diffusion_training = DiffusionTraining(diffusion.build_unet(), ema_decay=0.999)
    result = {}
    for name, training, train_data in (
        ("gan", gan_training, images),
        ("diffusion", diffusion_training, (images, y_train.astype(np.int32))),
    ):
        start = time.perf_counter()
        training.train(train_data, seconds=seconds)
        result[name] = {"steps": training.step, "train_seconds": round(time.perf_counter() - start, 1)}
    result["gan"]["fid"] = round(gan.evaluate(gan_training.sampling_model, real_features)["fid"], 2)
    result["diffusion"]["fid"] = round(diffusion.evaluate(diffusion_training.sampling_model, real_features)["fid"], 2)
    return result


def shipped_gan(real_features: np.ndarray) -> dict:
    scores = gan.evaluate(gan.load_pretrained_generator(), real_features)
    record = read_record(gan.GENERATOR_PATH, "")
    return {
        "fid": round(scores["fid"], 2),
        "class_shares": [round(s, 4) for s in scores["class_shares"]],
        "network_evaluations_per_sample": 1,
        "ms_per_sample": round(scores["ms_per_sample"], 3),
        "train_minutes": round(record["train_seconds"] / 60),
        "trained_on": record["trained_on"],
    }


def shipped_diffusion(real_features: np.ndarray) -> dict:
    model = diffusion.load_pretrained(diffusion.MODEL_PATH)
    record = read_record(diffusion.MODEL_PATH, "")
    scores = diffusion.evaluate(model, real_features)
    steps = model.sampling_defaults["steps"]
    return {
        "fid": round(scores["fid"], 2),
        "class_accuracy": [round(a, 4) for a in scores["class_accuracy"]],
        "class_shares": [round(a, 4) for a in scores["class_shares"]],
        "network_evaluations_per_sample": 2 * steps,  # with labels, the unconditional branch runs at every scale
        "ms_per_sample": round(scores["ms_per_sample"], 3),
        "train_minutes": round(record["train_seconds"] / 60),
        "trained_on": record["trained_on"],
        "sampler": record["sampler"],
    }


def sampler_curve(real_features: np.ndarray) -> dict:
    """FID and ms per sample of the shipped diffusion model for each of ``SAMPLER_STEPS`` DDIM steps."""
    model = diffusion.load_pretrained(diffusion.MODEL_PATH)
    curve = {}
    for steps in SAMPLER_STEPS:
        scores = diffusion.evaluate(model, real_features, steps=steps)
        curve[str(steps)] = {"fid": round(scores["fid"], 2), "ms_per_sample": round(scores["ms_per_sample"], 3)}
    return curve


def targets(shipped: dict) -> dict:
    """Lesson 07's targets for the shipped diffusion model: each one's bound, measured value and verdict."""
    gan_fid, model = shipped["gan"]["fid"], shipped["diffusion"]
    accuracy = model["class_accuracy"]
    checks = {  # name: (measured, bound, True when the bound is an upper one)
        "FID (half the GAN's)": (model["fid"], round(gan_fid / 2, 2), True),
        "share drawn as asked": (round(float(np.mean(accuracy)), 4), MIN_ACCURACY, False),
        "lowest class's share drawn as asked": (min(accuracy), MIN_CLASS_ACCURACY, False),
        "seconds for 10,000 samples": (round(model["ms_per_sample"] * 10, 1), MAX_SECONDS_PER_10K, True),
    }
    return {
        name: {"measured": value, "at_most" if upper else "at_least": bound,
               "met": bool(value <= bound if upper else value >= bound)}
        for name, (value, bound, upper) in checks.items()
    }  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget of each from-scratch model")
    parser.add_argument("--samples", type=int, default=10_000, help="samples and test images per FID")
    parser.add_argument("--curve-samples", type=int, default=2_000, help="samples per point of the sampler curve")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    setup(0)
    _, (x_test, _) = data.load_fashion_mnist()
    real_features = metrics.classifier_features(x_test[: args.samples, ..., None])
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(),
        "samples": args.samples,
        "same_budget_minutes": args.minutes,
        "same_budget": same_budget(60 * args.minutes, real_features),
        "shipped": {"gan": shipped_gan(real_features), "diffusion": shipped_diffusion(real_features)},
        "curve_samples": args.curve_samples,
        "sampler_steps": sampler_curve(real_features[: args.curve_samples]),
    }
    result["targets"] = targets(result["shipped"])
    report(result, args.out)
    return result


if __name__ == "__main__":
    main()
