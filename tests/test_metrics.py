import numpy as np
import pytest

from helpers import metrics


def test_confusion_counts_and_per_class_accuracy():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 2])
    counts = metrics.confusion_counts(y_true, y_pred, num_classes=3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [1, 2, 0], [0, 0, 1]])
    np.testing.assert_allclose(metrics.per_class_accuracy(counts), [0.5, 2 / 3, 1.0])
    assert counts.sum() == 6 and np.trace(counts) / counts.sum() == pytest.approx(4 / 6)


def test_class_with_no_samples_scores_zero_not_nan():
    counts = metrics.confusion_counts(np.array([0]), np.array([0]), num_classes=2)
    np.testing.assert_array_equal(metrics.per_class_accuracy(counts), [1.0, 0.0])


def test_bad_labels_are_named():
    with pytest.raises(ValueError, match=r"y_pred: expected labels in 0..2, got 0..3"):
        metrics.confusion_counts(np.array([0, 1]), np.array([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match=r"counts: expected a square \(K, K\)"):
        metrics.per_class_accuracy(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="y_true, y_pred: expected two"):
        metrics.confusion_counts(np.zeros(3, int), np.zeros(2, int), num_classes=3)
