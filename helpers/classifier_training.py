"""How the course trains its classifiers (lessons 03 and 04, and the shipped classifier): the
Fashion-MNIST splits, a cosine learning rate over the whole run, and the compile settings.
"""

from __future__ import annotations

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
