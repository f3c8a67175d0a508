"""ImageNet's 1000 class names, offline: the shipped class index, top-k decoding, and Keras' copy of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import DATA_DIR

IMAGENET_INDEX = DATA_DIR / "imagenet_class_index.json"
IMAGENET_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"  # Keras checks its download against the same md5


def imagenet_labels() -> list[tuple[str, str]]:
    """The 1000 ImageNet classes as ``(WordNet id, name)``, indexed like Keras' models
    (281 is ``("n02123045", "tabby")``). Read from ``data/imagenet_class_index.json``, offline."""
    import json

    index = json.loads(IMAGENET_INDEX.read_text())
    return [tuple(index[str(i)]) for i in range(len(index))]


def decode_top_k(probabilities: np.ndarray, k: int = 5) -> list[list[tuple[str, str, float]]]:
    """Like ``keras.applications.imagenet_utils.decode_predictions``, offline.

    Args:
        probabilities: shape (N, 1000).

    Returns:
        For each sample, the ``k`` most likely ``(WordNet id, name, probability)``, most likely first.
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[1] != 1000:
        raise ValueError(f"probabilities: expected shape (N, 1000), got {probabilities.shape}")
    if not 1 <= k <= 1000:
        raise ValueError(f"k: expected 1 <= k <= 1000, got {k}")
    labels = imagenet_labels()
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return [[(*labels[i], float(row[i])) for i in indices] for row, indices in zip(probabilities, top)]


def install_keras_imagenet_index() -> Path:
    """Put the shipped class index where Keras' ``decode_predictions`` looks for it, so that works offline.

    The file is byte-identical to Keras' own (same md5), so Keras accepts it without downloading.
    """
    from .files import atomic_copy, file_digest
    from .keras_cache import keras_cache_dir

    target = keras_cache_dir("models") / IMAGENET_INDEX.name
    if not target.is_file() or file_digest(target, "md5") != IMAGENET_INDEX_MD5:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_copy(IMAGENET_INDEX, target)
    return target
