"""How the course trains its classifiers (lessons 03 and 04, and the shipped classifier): the
Fashion-MNIST splits, a cosine learning rate over the whole run, the compile settings, a short run of a
fixed number of steps, and an image-by-image comparison of two classifiers that says whether a difference
is noise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import data
from .environment import keras

# The shipped classifier's architecture (helpers.models.build_classifier): two 3x3 convolutions per
# block see 5x5 regions with fewer weights than one 5x5 (lesson 04).
CLASSIFIER_CONFIG = {"filters": [32, 64], "convs_per_block": 2, "dense_units": 128, "dropout": 0.3}


def split_validation(
    x: np.ndarray, y: np.ndarray, n_val: int, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Carve a stratified validation set of ``n_val`` samples out of a training set.

    Returns:
        ``((x_train, y_train), (x_val, y_val))``, disjoint, together all of ``x``.
    """
    if len(x) != len(y):
        raise ValueError(f"x, y: expected the same number of samples, got {len(x)} and {len(y)}")
    if not 0 < n_val < len(y):
        raise ValueError(f"n_val: expected 0 < n_val < {len(y)}, got {n_val}")
    order = np.arange(len(y))
    val_idx, _ = data.stratified_subset(order, y, n=n_val, seed=seed)
    train_mask = np.ones(len(y), dtype=bool)
    train_mask[val_idx] = False
    return (x[train_mask], y[train_mask]), (x[val_idx], y[val_idx])


def fashion_splits(
    n_train: int = 60_000, n_val: int = 5_000, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as the course trains on it: a stratified subset of ``n_train`` training images (all
    60,000 by default), ``n_val`` of them held out for validation, and the test set.

    Returns:
        ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``; images uint8 (N, 28, 28, 1) with raw
        values 0..255, which the course's models rescale themselves; labels uint8 (N,).
    """
    (x_all, y_all), (x_test, y_test) = data.load_fashion_mnist()
    if n_train < len(y_all):
        x_all, y_all = data.stratified_subset(x_all, y_all, n=n_train, seed=seed)
    train_split, val_split = split_validation(x_all[..., None], y_all, n_val=n_val, seed=seed)
    return train_split, val_split, (x_test[..., None], y_test)


def cosine_schedule(
    learning_rate: float, epochs: int, n_train: int, batch_size: int = 128
) -> keras.optimizers.schedules.CosineDecay:
    """A learning rate that falls from ``learning_rate`` to 0 along a cosine over the whole training run."""
    if epochs < 1 or n_train < 1 or batch_size < 1:
        raise ValueError(f"epochs, n_train, batch_size: expected >= 1 each, got {epochs}, {n_train}, {batch_size}")
    return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * -(-n_train // batch_size))


def compile_classifier(model: keras.Model, learning_rate: float | keras.optimizers.schedules.LearningRateSchedule):
    """Adam, cross-entropy on logits, accuracy: the course's classifier training setup."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_steps(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
    learning_rate: float,
    batch_size: int = 128,
    seed: int = 0,
) -> keras.Model:
    """Compile ``model`` (:func:`compile_classifier`, a constant ``learning_rate``) and train it for exactly
    ``steps`` batches, silently: a short run that compares two models on the same images in the same order.

    Args:
        x: images (N, H, W, C); y: labels (N,). The batches walk through shuffled passes over them, drawn
            from ``seed``, as many passes as ``steps`` needs.
    """
    if len(x) != len(y):
        raise ValueError(f"x, y: expected the same number of samples, got {len(x)} and {len(y)}")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps, batch_size: expected >= 1 each, got {steps} and {batch_size}")
    rng = np.random.default_rng(seed)
    passes = -(-steps * batch_size // len(x))
    order = np.concatenate([rng.permutation(len(x)) for _ in range(passes)])[: steps * batch_size]
    compile_classifier(model, learning_rate)
    model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return model


class PairedComparison(NamedTuple):
    """Two classifiers' predictions on the same images, compared image by image (see :func:`compare_predictions`)."""

    gained: int  # images the second gets right and the first wrong
    lost: int  # images the first gets right and the second wrong
    net: int  # gained - lost: how many more images the second gets right
    noise: float  # 2 * sqrt(gained + lost): the net count's spread if each change were a coin flip

    @property
    def inside_noise(self) -> bool:
        """True when the net difference is no bigger than the noise yardstick."""
        return abs(self.net) <= self.noise


def compare_predictions(y_true: np.ndarray, first: np.ndarray, second: np.ndarray) -> PairedComparison:
    """How many more test images ``second`` classifies correctly than ``first``, and whether that is noise.

    Only the images where exactly one of them is right can tell them apart. If the two were equally good,
    each such image would fall to either side like a coin flip, so the net count would be 0 give or take
    ``sqrt(gained + lost)``; twice that is the yardstick (McNemar's test, at about 95%).

    Args:
        y_true, first, second: class labels (N,): the truth and each classifier's predicted classes.
    """
    y_true, first, second = (np.asarray(a) for a in (y_true, first, second))
    if not (y_true.ndim == 1 and y_true.shape == first.shape == second.shape):
        raise ValueError(
            "y_true, first, second: expected three (N,) label arrays, "
            f"got {y_true.shape}, {first.shape}, {second.shape}"
        )
    first_right, second_right = first == y_true, second == y_true
    gained, lost = int(np.sum(second_right & ~first_right)), int(np.sum(first_right & ~second_right))
    return PairedComparison(gained, lost, gained - lost, 2 * float(np.sqrt(gained + lost)))
