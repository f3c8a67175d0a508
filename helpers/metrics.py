"""Measuring models: classification metrics (lessons 03 and 04), and scores of generated images (lessons
06 and 07): FID, a Fréchet distance of the shipped classifier's features; KID, its unbiased cousin for
small samples; class coverage, spread, and each sample's nearest training image (a memorization check)."""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .pixels import require_image_shape


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


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of feature vectors of shape (N, D), N >= 2."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features: expected shape (N, D) with N >= 2, got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def frechet_distance(mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray) -> float:
    """Fréchet distance between the Gaussians N(mean_a, cov_a) and N(mean_b, cov_b):

    ``|mean_a - mean_b|^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))``

    The trace of the matrix square root is computed as the sum of the square roots of the eigenvalues
    of the symmetric matrix ``A^(1/2) cov_b A^(1/2)`` (``A = cov_a``), which has the same eigenvalues as
    ``cov_a cov_b`` and needs no general (complex) matrix square root.
    """
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    d = mean_a.shape[0]
    if mean_b.shape != (d,) or cov_a.shape != (d, d) or cov_b.shape != (d, d):
        raise ValueError(
            f"mean_a, cov_a, mean_b, cov_b: expected shapes (D,), (D, D), (D,), (D, D); got {mean_a.shape}, "
            f"{cov_a.shape}, {mean_b.shape}, {cov_b.shape}"
        )
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet Inception-style Distance between two sets of feature vectors, each (N, D).

    0 means the two sets have the same mean and covariance; larger is further apart. With a finite N
    even two samples of the same distribution score above 0, so compare against that noise floor.
    """
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))


def kid(features_a: np.ndarray, features_b: np.ndarray, subset_size: int = 1000, seed: int = 0) -> float:
    """Kernel Inception-style Distance (Bińkowski et al., 2018) between feature sets (N, D) and (M, D).

    The unbiased estimate of the squared maximum mean discrepancy with the kernel
    ``k(x, y) = (x . y / D + 1) ** 3``. Unlike :func:`fid` its expected value does not depend on the
    number of samples, so a few hundred give a meaningful figure (and two samples of the same
    distribution average 0, sometimes just below). Sets larger than ``subset_size`` are scored in
    disjoint random subsets of at most that size (``seed`` fixes them) and the estimates averaged, as
    the paper does, which keeps the kernel matrices small.
    """
    features_a, features_b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if features_a.ndim != 2 or features_b.ndim != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            f"features_a, features_b: expected (N, D) and (M, D), got {features_a.shape}, {features_b.shape}"
        )
    if min(len(features_a), len(features_b)) < 2 or subset_size < 2:
        raise ValueError(
            f"features_a, features_b, subset_size: expected at least 2 rows each and subset_size >= 2, got "
            f"{len(features_a)}, {len(features_b)} and {subset_size}"
        )
    rng = np.random.default_rng(seed)
    order_a, order_b = rng.permutation(len(features_a)), rng.permutation(len(features_b))
    subsets = max(1, min(len(features_a), len(features_b)) // subset_size)
    # The larger set's parts are cut to the smaller set's part size (or subset_size): 500 samples
    # against 10,000 real images compare with 1,000 of them, not all (800 MB of kernel matrix).
    limit = max(subset_size, -(-min(len(features_a), len(features_b)) // subsets))
    estimates = [
        _unbiased_mmd2(features_a[part_a[:limit]], features_b[part_b[:limit]])
        for part_a, part_b in zip(np.array_split(order_a, subsets), np.array_split(order_b, subsets))
    ]
    return float(np.mean(estimates))


def _unbiased_mmd2(a: np.ndarray, b: np.ndarray) -> float:
    """Squared MMD of (N, D) and (M, D) with KID's cubic kernel; the kernel's diagonals are left out."""
    d = a.shape[1]
    k_aa, k_bb, k_ab = ((x @ y.T / d + 1) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    n, m = len(a), len(b)
    within_a = (k_aa.sum() - np.trace(k_aa)) / (n * (n - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
    return float(within_a + within_b - 2 * k_ab.mean())


def nearest_neighbours(
    queries: np.ndarray, references: np.ndarray, batch_size: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """For each query (N, D), the nearest reference row (M, D) by Euclidean distance.

    Returns ``(distances, indices)``, both (N,). Used to ask whether generated samples are copies of
    training images: compare their distances with those of held-out real images.
    """
    queries, references = np.asarray(queries, np.float64), np.asarray(references, np.float64)
    if queries.ndim != 2 or references.ndim != 2 or queries.shape[1] != references.shape[1] or not len(references):
        raise ValueError(
            f"queries, references: expected (N, D) and (M, D) with M >= 1, got {queries.shape} and {references.shape}"
        )
    squared_refs = np.sum(references**2, axis=1)
    distances, indices = np.empty(len(queries)), np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), batch_size):
        block = queries[start : start + batch_size]
        # |q - r|^2 = |q|^2 + |r|^2 - 2 q.r, one matrix product per block instead of an (N, M, D) array
        squared = np.sum(block**2, axis=1)[:, None] + squared_refs[None, :] - 2 * block @ references.T
        nearest = squared.argmin(axis=1)
        indices[start : start + batch_size] = nearest
        distances[start : start + batch_size] = np.sqrt(np.clip(squared[np.arange(len(block)), nearest], 0, None))
    return distances, indices


class CopyCheck(NamedTuple):
    """How far generated samples and held-out real images lie from their nearest training image."""

    sample_distances: np.ndarray  # (N,)
    nearest: np.ndarray  # (N,) index of each sample's nearest training image
    held_out_distances: np.ndarray  # (M,)

    def medians(self) -> dict[str, float]:
        return {
            "samples": float(np.median(self.sample_distances)),
            "held out": float(np.median(self.held_out_distances)),
        }


def copy_check(sample_features: np.ndarray, held_out_features: np.ndarray, train_features: np.ndarray) -> CopyCheck:
    """The memorization check: each sample's distance to its nearest training image in feature space,
    beside the same distance for real images the model never saw (all arrays (·, D)).

    A generator that copies its training set sits much closer to it than new real images do; one
    whose samples are new lies about as far, or further.
    """
    sample_distances, nearest = nearest_neighbours(sample_features, train_features)
    held_out_distances, _ = nearest_neighbours(held_out_features, train_features)
    return CopyCheck(sample_distances, nearest, held_out_distances)


def within_class_spread(features: np.ndarray, labels: np.ndarray) -> float:
    """How varied each class's samples are: the standard deviation of features (N, D) within each
    class of ``labels`` (N,), averaged over the D features and the classes present. 0 means every
    sample of a class is the same; compare with real images' value."""
    features, labels = np.asarray(features), np.asarray(labels)
    if features.ndim != 2 or labels.shape != (len(features),):
        raise ValueError(f"features, labels: expected shapes (N, D) and (N,), got {features.shape} and {labels.shape}")
    return float(np.mean([features[labels == c].std(axis=0).mean() for c in np.unique(labels)]))


def classifier_features(images: np.ndarray, model=None, layer: str = "dense", batch_size: int = 1000) -> np.ndarray:
    """Features for FID on Fashion-MNIST: the shipped classifier's hidden dense layer.

    Args:
        images: shape (N, 28, 28, 1), raw pixel values 0..255 (convert a generator's [-1, 1] output
            with :func:`helpers.pixels.to_pixels`).
        model: a classifier with a layer named ``layer``; default the shipped one.

    Returns:
        float32 array (N, D), D = that layer's width (128 for the shipped classifier).
    """
    from .environment import keras

    model = model or _shipped_classifier()
    extractor = keras.Model(model.inputs[0], model.get_layer(layer).output)
    return extractor.predict(_fashion_images(images), batch_size=batch_size, verbose=0)


@functools.lru_cache(maxsize=1)
def _shipped_classifier():
    """Loaded (and its checksum verified) once per process: FID is computed often during training."""
    from .models import load_pretrained_classifier

    return load_pretrained_classifier()


def _fashion_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    require_image_shape(images)
    return images


def class_probabilities(images: np.ndarray, model=None, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities (N, 10) for images (N, 28, 28, 1) with values 0..255.

    ``model``: a classifier that outputs logits and takes raw pixels (the course's convention); default
    the shipped one.
    """
    from .environment import tf

    images = _fashion_images(images)
    model = model or _shipped_classifier()
    return tf.nn.softmax(model.predict(images, batch_size=batch_size, verbose=0)).numpy()


def mirror_averaged_probabilities(images: np.ndarray, model=None, batch_size: int = 1000) -> np.ndarray:
    """The mean of :func:`class_probabilities` of each image and of its mirror image (left-right), (N, 10).

    VGG's test-time trick: a network trained on randomly mirrored images sees both, and their average
    is steadier than either. Images (N, 28, 28, 1), NHWC, so axis 2 is the width.
    """
    plain = class_probabilities(images, model, batch_size)
    return (plain + class_probabilities(np.asarray(images)[:, :, ::-1], model, batch_size)) / 2


def class_coverage(probabilities: np.ndarray) -> tuple[np.ndarray, float]:
    """Mode coverage of generated images: the share of samples given to each class (K,), summing to 1,
    and the classifier's mean confidence (its mean top probability).

    Args:
        probabilities: class probabilities (N, K), rows summing to 1.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        raise ValueError(f"probabilities: expected shape (N, K) with N >= 1, got {probabilities.shape}")
    counts = np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1])
    return counts / len(probabilities), float(probabilities.max(axis=1).mean())


def mode_counts(points: np.ndarray, centers: np.ndarray, max_distance: float) -> np.ndarray:
    """How many points (N, 2) lie within ``max_distance`` of each center (M, 2): counts (M,).

    A point counts for its nearest center only; points far from every center count nowhere.
    """
    points, centers = np.asarray(points, np.float64), np.asarray(centers, np.float64)
    if points.ndim != 2 or centers.ndim != 2 or points.shape[1] != centers.shape[1]:
        raise ValueError(f"points, centers: expected shapes (N, D) and (M, D), got {points.shape} and {centers.shape}")
    distances = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(len(points)), nearest] <= max_distance
    return np.bincount(nearest[close], minlength=len(centers))


def score_images(images: np.ndarray, real_features: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """Scores of generated images (N, 28, 28, 1), pixel values 0..255, against real images' features (M, D).

    Returns ``{"fid", "kid", "class_shares", "mean_confidence", "spread"}``: :func:`fid` and :func:`kid`
    of the shipped classifier's features (FID needs thousands of images, KID a few hundred),
    :func:`class_coverage`'s shares (10,) and confidence, and :func:`within_class_spread` within the
    classes the classifier sees. With ``labels`` (N,), the class each image was asked to be, ``spread``
    is within those classes, and ``class_accuracy`` (10,) adds the share of each class's images that
    the classifier labels as asked.
    """
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(images),):
            raise ValueError(f"labels: expected shape ({len(images)},), one per image, got {labels.shape}")
    features, probabilities = _features_and_probabilities(images)
    predicted = probabilities.argmax(axis=1)
    shares, confidence = class_coverage(probabilities)
    scores = {
        "fid": fid(features, real_features),
        "kid": kid(features, real_features),
        "class_shares": shares.tolist(),
        "mean_confidence": confidence,
        "spread": within_class_spread(features, predicted if labels is None else labels),
    }
    if labels is not None:
        scores["class_accuracy"] = [float(np.mean(predicted[labels == c] == c)) for c in range(shares.size)]
    return scores


def _features_and_probabilities(images: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """:func:`classifier_features` and :func:`class_probabilities` of the shipped classifier, in one pass."""
    from .environment import keras, tf

    model = _shipped_classifier()
    both = keras.Model(model.inputs[0], [model.get_layer("dense").output, model.outputs[0]])
    features, logits = both.predict(_fashion_images(images), batch_size=batch_size, verbose=0)
    return features, tf.nn.softmax(logits).numpy()
