"""Transfer learning: reuse a trained network for classes it has never seen.

The course's own pretrained network, the *backbone*, learned five Fashion-MNIST classes
(:data:`BASE_CLASSES`); lesson 05 reuses it for the other five (:data:`NEW_CLASSES`), which it never
saw, so every gain over training from scratch is transfer, not memory. This module builds and loads the
backbone, splits it where the frozen part ends, computes its features once (cached on disk), builds
new heads, and trains the four strategies the lesson compares on ``k`` labelled images per class.

Images are raw pixels 0..255, (N, 28, 28, 1); the backbone rescales them itself.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .classifier_training import train_steps
from .environment import keras
from .files import CorruptFileError, atomic_write, read_record
from .models import PRETRAINED_DIR, load_recorded_model
from .pixels import IMAGE_SHAPE

layers = keras.layers

BASE_CLASSES = (0, 1, 2, 3, 4)  # T-shirt/top, trouser, pullover, dress, coat: what the backbone learned
NEW_CLASSES = (5, 6, 7, 8, 9)  # sandal, shirt, sneaker, bag, ankle boot: what it is reused for
BACKBONE_PATH = PRETRAINED_DIR / "fashion_backbone.weights.h5"
BACKBONE_CONFIG = {"filters": [32, 64, 128]}
FROZEN_PART_ENDS = "block2_pool"  # fine-tuning "the top block" trains what comes after this layer
STRATEGIES = ("scratch", "probe", "top_block", "all")
# Adam's learning rate per strategy, for 200 steps. Measured on k = 5 and 20, two seeds (2026-12-02): for
# "all", 1e-4 stayed 7 points behind 1e-3 at k = 20; for "top_block", 3e-3 and 1e-3 were within 1 point.
LEARNING_RATES = {"scratch": 1e-3, "probe": 1e-2, "top_block": 3e-3, "all": 1e-3}


def build_backbone(filters: Sequence[int] = BACKBONE_CONFIG["filters"], name: str = "backbone") -> keras.Model:
    """The backbone: blocks of a 3x3 convolution, batch normalization and ReLU, with 2x2 max pooling after
    every block but the last, then global average pooling into one feature vector per image.

    Input: raw pixels 0..255, (N, 28, 28, 1). Output: features (N, filters[-1]). Layers are named
    ``block{b}_conv``, ``block{b}_bn``, ``block{b}_relu``, ``block{b}_pool`` and ``features``.
    """
    filters = list(filters)
    if not filters or not all(isinstance(f, int) and f > 0 for f in filters) or len(filters) > 3:
        raise ValueError(f"filters: expected 1 to 3 positive ints (28 px halves at most twice), got {filters!r}")
    pixels = keras.Input(IMAGE_SHAPE, name="pixels")
    x = layers.Rescaling(1 / 255, name="rescale")(pixels)
    for block, channels in enumerate(filters, start=1):
        # No bias: the batch normalization right after it has its own shift.
        x = layers.Conv2D(channels, 3, padding="same", use_bias=False, name=f"block{block}_conv")(x)
        # momentum 0.9 (Keras: 0.99): the moving averages settle within tens of steps, so a short run on a
        # few images is judged with statistics of its own weights, not of their random start.
        x = layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn")(x)
        x = layers.ReLU(name=f"block{block}_relu")(x)
        if block < len(filters):
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    return keras.Model(pixels, layers.GlobalAveragePooling2D(name="features")(x), name=name)


def build_pretraining_model(filters: Sequence[int] = BACKBONE_CONFIG["filters"]) -> keras.Sequential:
    """The backbone with the head it was trained with: logits (N, 5) for :data:`BASE_CLASSES`, in order."""
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE, name="pixels"),
            build_backbone(filters),
            layers.Dense(len(BASE_CLASSES), name="logits"),
        ],
        name="fashion_backbone",
    )


def load_backbone(path: str | Path = BACKBONE_PATH, with_head: bool = False) -> keras.Model:
    """The shipped backbone (``python -m helpers.train backbone``): features (N, 128) of raw pixels
    (N, 28, 28, 1), or with its five-class head (``with_head``), logits (N, 5) for :data:`BASE_CLASSES`.

    The weights file's size and SHA-256 are checked against its record (:func:`backbone_record`) before
    Keras reads it.
    """
    model = load_recorded_model(path, build_pretraining_model, _FIX)
    return model if with_head else model.get_layer("backbone")


def backbone_record(path: str | Path = BACKBONE_PATH) -> dict:
    """The shipped backbone's record: how it was trained, and its test accuracy on the five base classes."""
    return read_record(path, _FIX)


_FIX = "Restore it with 'git checkout -- data/pretrained' or retrain it with 'python -m helpers.train backbone'."


def select_classes(x: np.ndarray, y: np.ndarray, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The samples of ``classes`` only, relabelled 0..len(classes)-1 in the order given.

    Args:
        x: samples (N, ...); y: labels (N,).
    """
    x, y, classes = np.asarray(x), np.asarray(y), list(classes)
    if len(x) != len(y):
        raise ValueError(f"x, y: expected the same number of samples, got {len(x)} and {len(y)}")
    if len(set(classes)) != len(classes) or not set(classes) <= set(np.unique(y).tolist()):
        raise ValueError(f"classes: expected distinct labels present in y {sorted(set(y.tolist()))}, got {classes}")
    lookup = np.full(int(y.max()) + 1, -1)
    lookup[classes] = np.arange(len(classes))
    keep = lookup[y] >= 0
    return x[keep], lookup[y[keep]].astype(np.int32)


def per_class_sample(y: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Indices of ``k`` samples of each class of ``y`` (labels 0..C-1, (N,)), drawn without replacement from
    ``seed``, in a shuffled order."""
    y = np.asarray(y)
    counts = np.bincount(y)
    if not isinstance(k, (int, np.integer)) or k < 1 or k > counts.min():
        raise ValueError(f"k: expected an int from 1 to {counts.min()} (the smallest class), got {k!r}")
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in range(len(counts))])
    return rng.permutation(chosen)


def split_at(backbone: keras.Model, layer_name: str = FROZEN_PART_ENDS) -> tuple[keras.Model, keras.Model]:
    """The backbone cut after ``layer_name``: (input to that layer's output, that output to the features).

    The first part shares the backbone's layers; the second is a copy of the layers after the cut, with
    the same weights, so training it leaves the backbone as it was. ``top(bottom(x))`` equals ``backbone(x)``.
    """
    names = [layer.name for layer in backbone.layers]
    if layer_name not in names[1:-1]:
        raise ValueError(f"layer_name: expected one of {names[1:-1]}, got {layer_name!r}")
    cut = backbone.get_layer(layer_name)
    bottom = keras.Model(backbone.input, cut.output, name=f"{backbone.name}_to_{layer_name}")
    inputs = keras.Input(cut.output.shape[1:], name=layer_name)
    x, copies = inputs, []
    for layer in backbone.layers[names.index(layer_name) + 1 :]:
        copies.append((type(layer).from_config(layer.get_config()), layer))
        x = copies[-1][0](x)  # the backbone is a chain: each layer takes the previous one's output
    for copy, layer in copies:
        copy.set_weights(layer.get_weights())
    return bottom, keras.Model(inputs, x, name=f"{backbone.name}_after_{layer_name}")


def extract_features(model: keras.Model, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """``model``'s outputs for ``images`` in inference mode, as float32 NumPy (N, ...)."""
    return np.asarray(model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0), np.float32)


def cached_features(model: keras.Model, images: np.ndarray, cache_dir: str | Path) -> np.ndarray:
    """:func:`extract_features`, computed once: the result is kept in ``cache_dir`` under a name made from
    a SHA-256 of the model's weights and the images, so a retrained model or other images never hit it.

    Raises:
        CorruptFileError: a cached file that cannot be read or has the wrong shape (delete it to recompute).
    """
    images = np.ascontiguousarray(images, np.float32)
    digest = hashlib.sha256(images.tobytes() + str(images.shape).encode())
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    path = Path(cache_dir) / f"{model.name}-{digest.hexdigest()[:16]}.npy"
    expected = (len(images), *model.output_shape[1:])
    if path.exists():
        try:
            features = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise CorruptFileError(f"{path}: not a readable feature cache ({err}). Delete it to recompute.") from None
        if features.shape != expected:
            raise CorruptFileError(f"{path}: features of shape {features.shape}, expected {expected}. Delete it.")
        return features
    features = extract_features(model, images)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, features, allow_pickle=False)
    atomic_write(path, buffer.getvalue())
    return features


@dataclass(frozen=True)
class TransferInputs:
    """One set of images as each strategy takes it, computed once: the images (N, 28, 28, 1), the
    backbone's maps where its frozen part ends (N, 7, 7, C), its features (N, F), and the labels (N,)."""

    images: np.ndarray
    maps: np.ndarray
    features: np.ndarray
    labels: np.ndarray

    def for_strategy(self, strategy: str) -> np.ndarray:
        """What ``strategy`` trains on: features for the probe, maps for the top block, else images."""
        return {"probe": self.features, "top_block": self.maps}.get(_checked(strategy), self.images)

    def subset(self, index: np.ndarray) -> TransferInputs:
        return TransferInputs(self.images[index], self.maps[index], self.features[index], self.labels[index])


def transfer_inputs(
    backbone: keras.Model, images: np.ndarray, labels: np.ndarray, cache_dir: str | Path | None = None
) -> TransferInputs:
    """Run the backbone over ``images`` once (from ``cache_dir`` when given and already there)."""
    if len(images) != len(labels):
        raise ValueError(f"images, labels: expected the same number of samples, got {len(images)} and {len(labels)}")
    bottom, _ = split_at(backbone)
    extract = extract_features if cache_dir is None else lambda m, x: cached_features(m, x, cache_dir)
    images = np.asarray(images, np.float32)
    if images.shape[1:] != tuple(backbone.input_shape[1:]):
        raise ValueError(
            f"images: expected shape (N, {', '.join(map(str, backbone.input_shape[1:]))}), got {images.shape}"
        )
    return TransferInputs(images, extract(bottom, images), extract(backbone, images), np.asarray(labels, np.int32))


def build_head(input_shape: Sequence[int], num_classes: int, name: str = "head") -> keras.Sequential:
    """A new head: one dense layer from features (N, F) to logits (N, num_classes)."""
    return keras.Sequential([keras.Input(tuple(input_shape)), layers.Dense(num_classes, name="logits")], name=name)


def build_transfer_model(strategy: str, backbone: keras.Model, num_classes: int) -> keras.Model:
    """A fresh classifier for ``strategy``, taking what :meth:`TransferInputs.for_strategy` gives it:

    * ``scratch``: the backbone's architecture with new random weights, and a head (images in);
    * ``probe``: a head alone, on the frozen backbone's features (a linear probe);
    * ``top_block``: a trainable copy of the layers after :data:`FROZEN_PART_ENDS`, and a head (maps in);
    * ``all``: a trainable copy of the whole backbone, and a head (images in).

    The pretrained copies freeze their batch normalization layers (``trainable = False``), which in
    Keras runs them in inference mode: a few labelled images make poor batch statistics, and the
    pretrained moving averages stay as they were. (Calling the copy with ``training=False`` would not
    do it: Keras 3's ``fit`` passes ``training=True`` down through it, keras-team/keras#20285.)
    ``backbone`` itself is never changed.
    """
    if _checked(strategy) == "probe":
        return build_head(backbone.output_shape[1:], num_classes)
    if strategy == "scratch":
        body = keras.models.clone_model(backbone)  # same layers, freshly initialized weights
    else:
        body = split_at(backbone)[1] if strategy == "top_block" else keras.models.clone_model(backbone)
        if strategy == "all":
            body.set_weights(backbone.get_weights())
    if strategy != "scratch":
        for layer in body.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.trainable = False
    inputs = keras.Input(body.input_shape[1:])
    features = body(inputs)
    head = build_head(body.output_shape[1:], num_classes)
    return keras.Model(inputs, head(features), name=f"transfer_{strategy}")


def train_strategy(
    strategy: str, backbone: keras.Model, train: TransferInputs, steps: int, seed: int = 0
) -> keras.Model:
    """Build :func:`build_transfer_model` from ``seed`` and train it for ``steps`` batches (of at most 64)
    at the strategy's rate in :data:`LEARNING_RATES`."""
    keras.utils.set_random_seed(seed)  # the new weights and the batch order follow the seed
    model = build_transfer_model(strategy, backbone, int(train.labels.max()) + 1)
    batch_size = min(64, len(train.labels))
    return train_steps(model, train.for_strategy(strategy), train.labels, steps, LEARNING_RATES[strategy],
                       batch_size=batch_size, seed=seed)  # fmt: skip


def accuracy(model: keras.Model, inputs: np.ndarray, labels: np.ndarray) -> float:
    """The share of ``inputs`` whose largest logit is the label."""
    logits = model.predict(inputs, batch_size=500, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def compare_strategies(
    backbone: keras.Model,
    pool: TransferInputs,
    test: TransferInputs,
    ks: Sequence[int],
    seeds: Sequence[int],
    strategies: Sequence[str] = STRATEGIES,
    steps: int = 200,
) -> list[dict]:
    """Train every strategy on ``k`` labelled images per class drawn from ``pool``, for each ``k`` and seed
    (every strategy gets the same images for the same ``k`` and seed), and measure it on ``test``.

    Returns:
        One row per run: ``{"strategy", "k", "seed", "train_accuracy", "test_accuracy"}``.
    """
    rows = []
    for k in ks:
        for seed in seeds:
            train = pool.subset(per_class_sample(pool.labels, k, seed))
            for strategy in strategies:
                model = train_strategy(strategy, backbone, train, steps, seed)
                rows.append({
                    "strategy": strategy, "k": int(k), "seed": int(seed),
                    "train_accuracy": accuracy(model, train.for_strategy(strategy), train.labels),
                    "test_accuracy": accuracy(model, test.for_strategy(strategy), test.labels),
                })  # fmt: skip
    return rows


def summarize(rows: Sequence[dict], key: str = "test_accuracy") -> dict[str, dict[int, tuple[float, float]]]:
    """``{strategy: {k: (mean, standard deviation over seeds)}}`` of ``key`` in :func:`compare_strategies`' rows."""
    table: dict[str, dict[int, list[float]]] = {}
    for row in rows:
        table.setdefault(row["strategy"], {}).setdefault(row["k"], []).append(row[key])
    return {s: {k: (float(np.mean(v)), float(np.std(v))) for k, v in by_k.items()} for s, by_k in table.items()}


def _checked(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: expected one of {STRATEGIES}, got {strategy!r}")
    return strategy
