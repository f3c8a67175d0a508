"""Train the models this repository ships, reproducibly: ``python -m helpers.train classifier``.

The Fashion-MNIST classifier (``data/pretrained/fashion_classifier.keras``) is used by later lessons
(lesson 05 computes FID on its features). Training it took 694 s on the 2-core CPU that runs CI.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from . import data, models
from .environment import keras, seed_everything, tf
from .files import atomic_write

CLASSIFIER_PATH = models.CLASSIFIER_PATH
# Two 3x3 convolutions per block see 5x5 regions with fewer weights than one 5x5 (lesson 04).
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


def compile_classifier(model: keras.Model, learning_rate: float | keras.optimizers.schedules.LearningRateSchedule):
    """Adam, cross-entropy on logits, accuracy: the course's classifier training setup."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_classifier(
    epochs: int = 15, seed: int = 0, batch_size: int = 128, verbose: int = 2, limit: int | None = None
) -> tuple[keras.Model, dict]:
    """Train the shipped classifier on 55,000 training images (5,000 held out for validation).

    Args:
        limit: train on a stratified subset of this many images (for quick tests), 10% held out.

    Returns:
        The model and a record: epochs, seconds, validation and test accuracy.
    """
    seed_everything(seed)
    (x_all, y_all), (x_test, y_test) = data.load_fashion_mnist()
    if limit is not None:
        x_all, y_all = data.stratified_subset(x_all, y_all, n=limit, seed=seed)
        x_test, y_test = data.stratified_subset(x_test, y_test, n=max(10, limit // 5), seed=seed)
    n_val = 5000 if limit is None else max(10, limit // 10)
    (x_train, y_train), (x_val, y_val) = split_validation(x_all[..., None], y_all, n_val=n_val, seed=seed)
    model = models.build_cnn(**CLASSIFIER_CONFIG, name="fashion_classifier")
    steps = epochs * -(-len(y_train) // batch_size)
    compile_classifier(model, keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps))
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=(x_val, y_val), verbose=verbose)
    seconds = time.perf_counter() - start
    record = {
        "epochs": epochs,
        "seed": seed,
        "train_seconds": round(seconds, 1),
        "val_accuracy": round(float(model.evaluate(x_val, y_val, verbose=0)[1]), 4),
        "test_accuracy": round(float(model.evaluate(x_test[..., None], y_test, verbose=0)[1]), 4),
    }
    return model, record


def save_model(model: keras.Model, path: Path, config: dict, record: dict, build=models.build_cnn) -> dict:
    """Save weights only (no optimizer state) atomically, with a JSON record holding the file's sha256.

    The weights go into a fresh ``build(**config)``, so the file holds a clean, uncompiled model.
    """
    fresh = build(**config)
    fresh.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory(dir=path.parent) as staging:
        tmp = Path(staging) / path.name  # Keras insists on the .keras suffix
        fresh.save(tmp)
        blob = tmp.read_bytes()
    atomic_write(path, blob)
    meta = {
        **record,
        "file": path.name,
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "config": config,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "date": datetime.date.today().isoformat(),
    }
    atomic_write(path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=["classifier"])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=CLASSIFIER_PATH)
    args = parser.parse_args(argv)
    model, record = train_classifier(epochs=args.epochs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(json.dumps(save_model(model, args.out, CLASSIFIER_CONFIG, record), indent=2))


if __name__ == "__main__":
    main()
