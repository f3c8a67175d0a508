"""Measuring models: classification metrics (lesson 03)."""

from __future__ import annotations

import numpy as np


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (K, K): entry [t, p] is how many samples of true class t were predicted as p.

    Args:
        y_true, y_pred: integer labels in 0..num_classes-1, shape (N,).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true, y_pred: expected two (N,) label arrays, got {y_true.shape} and {y_pred.shape}")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name}: expected labels in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def per_class_accuracy(counts: np.ndarray) -> np.ndarray:
    """Share of each true class predicted correctly: the diagonal over the row sums, shape (K,)."""
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"counts: expected a square (K, K) confusion matrix, got shape {counts.shape}")
    return np.diag(counts) / np.maximum(counts.sum(axis=1), 1)
