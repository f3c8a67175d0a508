"""Lesson 06's DCGAN against the TensorFlow-tutorial DCGAN, for the same wall-clock budget, by FID.

    python -m benchmarks.gan_quality [--seconds 180] [--out FILE]

The lesson's DCGAN is the one notebook 06 trains, ``helpers.gan_training.lesson_dcgan()``: generator
width 128, discriminator width 32, Adam 4e-4 (beta_1 0.5), batch 64, and samples drawn from the
moving average of its generator's weights.
The tutorial's configuration is described in its builders below. Both train on all 60,000
Fashion-MNIST training images, one after the other in one process, for the same number of seconds
(compiling included). FID compares 10,000 samples of each with the 10,000 test images, on the
features of the shipped classifier (``helpers.metrics``). The shipped generator is scored the same
way, so its ratio to the tutorial configuration is measured here, not copied from its record.
Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np

from benchmarks import report
from helpers import data, gan, metrics
from helpers.environment import keras, machine_description, setup
from helpers.gan_training import GanTraining, lesson_dcgan
from helpers.pixels import IMAGE_SHAPE, from_pixels

layers = keras.layers
N_SAMPLES = 10_000


def tutorial_generator(latent_dim: int = 100) -> keras.Model:
    """The TensorFlow DCGAN tutorial's generator: Dense 7*7*256, then 5x5 transposed convolutions 128, 64, 1."""
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((7, 7, 256)),
            layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
        ]
    )


def tutorial_discriminator() -> keras.Model:
    """The tutorial's discriminator: 5x5 stride-2 convolutions 64 and 128, LeakyReLU, dropout 0.3, one logit."""
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(64, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(128, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )


def contenders() -> dict[str, GanTraining]:
    return {
        "lesson_dcgan": lesson_dcgan(),
        "tutorial_dcgan": GanTraining(
            tutorial_generator(), tutorial_discriminator(), learning_rate=1e-4, beta_1=0.9, batch_size=256
        ),
    }


def score(generator: keras.Model, real_features: np.ndarray) -> dict:
    scores = gan.evaluate(generator, real_features, N_SAMPLES)
    return {
        "fid": round(scores["fid"], 2),
        "smallest_class_share": round(min(scores["class_shares"]), 4),
        "mean_confidence": round(scores["mean_confidence"], 3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)

    setup(0)
    (x_train, _), (x_test, _) = data.load_fashion_mnist()
    real = from_pixels(x_train[..., None])
    real_features = metrics.classifier_features(x_test[..., None])
    floor = metrics.fid(metrics.classifier_features(x_train[:N_SAMPLES, ..., None]), real_features)
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(),
        "seconds": args.seconds,
        "real_vs_real_fid": round(floor, 2),
    }
    for name, training in contenders().items():
        start = time.perf_counter()
        training.train(real, seconds=args.seconds)
        result[name] = {"steps": training.step, "train_seconds": round(time.perf_counter() - start, 1)}
        result[name].update(score(training.sampling_model, real_features))  # the moving average where there is one
    result["lesson_over_tutorial_fid"] = round(result["lesson_dcgan"]["fid"] / result["tutorial_dcgan"]["fid"], 4)
    if gan.GENERATOR_PATH.exists():
        result["shipped_generator"] = score(gan.load_pretrained_generator(), real_features)
        ratio = result["shipped_generator"]["fid"] / result["tutorial_dcgan"]["fid"]
        result["shipped_over_tutorial_fid"] = round(ratio, 4)
    report(result, args.out)
    return result


if __name__ == "__main__":
    main()
