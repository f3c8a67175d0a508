import numpy as np
import pytest

from helpers import metrics
from tests.conftest import need_fashion_mnist


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


def test_frechet_distance_of_known_gaussians():
    # 1-D: (0 - 1)^2 + 1 + 4 - 2 * sqrt(1 * 4) = 2
    assert metrics.frechet_distance(
        np.array([0.0]), np.array([[1.0]]), np.array([1.0]), np.array([[4.0]])
    ) == pytest.approx(2.0)
    # diagonal covariances: |mu_a - mu_b|^2 + sum (sqrt(var_a) - sqrt(var_b))^2
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert metrics.frechet_distance(mean_a, np.diag(var_a), mean_b, np.diag(var_b)) == pytest.approx(expected)


def test_frechet_distance_with_correlated_covariances_is_symmetric_and_zero_on_itself():
    rng = np.random.default_rng(0)
    m_a, m_b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    cov_a, cov_b = m_a @ m_a.T + np.eye(5), m_b @ m_b.T + np.eye(5)
    mean = rng.normal(size=5)
    forward = metrics.frechet_distance(mean, cov_a, 0 * mean, cov_b)
    assert forward == pytest.approx(metrics.frechet_distance(0 * mean, cov_b, mean, cov_a))
    assert metrics.frechet_distance(mean, cov_a, mean, cov_a) == pytest.approx(0.0, abs=1e-9)
    # against the definition with an explicit square root of cov_a @ cov_b (real eigenvalues here)
    values, vectors = np.linalg.eig(cov_a @ cov_b)
    root = (vectors * np.sqrt(values)) @ np.linalg.inv(vectors)
    direct = np.sum(mean**2) + np.trace(cov_a + cov_b - 2 * root.real)
    assert forward == pytest.approx(direct)


def test_fid_from_samples_approaches_the_exact_value():
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, size=(20_000, 2))
    b = rng.normal([1.0, 0.0], [2.0, 1.0], size=(20_000, 2))
    assert metrics.fid(a, b) == pytest.approx(1.0 + (1 - 2) ** 2, abs=0.05)
    assert metrics.fid(a[:10_000], a[10_000:]) < 0.01  # the noise floor of two samples of one distribution


def test_fid_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"features: expected shape \(N, D\) with N >= 2"):
        metrics.fid(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="mean_a, cov_a, mean_b, cov_b: expected shapes"):
        metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_classifier_fid_separates_real_images_from_noise():
    from helpers import data

    need_fashion_mnist()
    _, (x_test, _) = data.load_fashion_mnist()
    real = x_test[..., None].astype("float32")
    features_a = metrics.classifier_features(real[:1000])
    features_b = metrics.classifier_features(real[1000:2000])
    noise = np.random.default_rng(0).uniform(0, 255, real[:1000].shape).astype("float32")
    assert features_a.shape == (1000, 128)
    floor, far = metrics.fid(features_a, features_b), metrics.fid(features_a, metrics.classifier_features(noise))
    assert 0 < floor < far / 20, (floor, far)


def test_classifier_features_reject_the_wrong_image_shape():
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 28, 28, 1\)"):
        metrics.classifier_features(np.zeros((2, 28, 28)))


def test_class_coverage_counts_top_classes_and_mean_confidence():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.5, 0.4, 0.1]])
    shares, confidence = metrics.class_coverage(probabilities)
    np.testing.assert_allclose(shares, [0.75, 0.25, 0.0])
    assert confidence == pytest.approx((0.9 + 0.7 + 0.6 + 0.5) / 4)
    with pytest.raises(ValueError, match="probabilities: expected shape"):
        metrics.class_coverage(np.zeros(3))


def test_class_probabilities_are_probabilities():
    images = np.random.default_rng(0).uniform(0, 255, (5, 28, 28, 1)).astype(np.float32)
    probabilities = metrics.class_probabilities(images)  # the shipped classifier
    assert probabilities.shape == (5, 10) and np.all((0 <= probabilities) & (probabilities <= 1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 28, 28, 1\)"):
        metrics.class_probabilities(np.zeros((2, 28, 28)))


SHARPNESS = 3.0


def nearest_class_reader():
    """A classifier that reads one pixel, the top-left one, and whose logits favour the class nearest its value:
    logit_k = s (2 k v - k^2) = s (v^2 - (v - k)^2), for the pixel's value v and s = :data:`SHARPNESS`."""
    from helpers.environment import keras

    dense = keras.layers.Dense(10)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x[:, 0, 0, :]), dense])
    k = np.arange(10, dtype=np.float32)
    dense.set_weights([SHARPNESS * 2 * k[None, :], -SHARPNESS * k**2])
    return model


def test_a_known_classifier_scores_labelled_images_as_expected():
    labels = np.array([3, 0, 9, 5, 5])
    images = np.random.default_rng(0).uniform(0, 255, (5, 28, 28, 1)).astype(np.float32)
    images[:, 0, 0, 0] = labels  # the one pixel the classifier reads; the others must not matter
    probabilities = metrics.class_probabilities(images, nearest_class_reader())
    np.testing.assert_array_equal(probabilities.argmax(axis=1), labels)
    # on its own class, the logits are s (v^2 - (v - k)^2): the true class's probability, worked by hand
    k = np.arange(10)
    expected = [1 / np.exp(-SHARPNESS * (label - k) ** 2).sum() for label in labels]
    np.testing.assert_allclose(probabilities[np.arange(5), labels], expected, rtol=1e-5)
    assert 0.9 < expected[0] < 0.99, "sharp enough to classify, not so sharp that every probability is 1"


def test_fid_is_zero_for_identical_features_and_grows_with_a_shift():
    features = np.random.default_rng(0).normal(size=(500, 4))
    assert metrics.fid(features, features) == pytest.approx(0.0, abs=1e-6)
    shifts = [metrics.fid(features, features + [d, 0, 0, 0]) for d in (0.5, 1.0, 2.0)]
    np.testing.assert_allclose(shifts, [0.25, 1.0, 4.0], rtol=1e-6)  # same covariance: the squared shift


def test_mirror_averaging_of_a_symmetric_image_is_the_plain_probabilities():
    half = np.random.default_rng(0).uniform(0, 255, (2, 28, 14, 1)).astype(np.float32)
    symmetric = np.concatenate([half, half[:, :, ::-1]], axis=2)
    np.testing.assert_allclose(
        metrics.mirror_averaged_probabilities(symmetric), metrics.class_probabilities(symmetric), rtol=1e-6
    )


def test_mode_counts_take_the_nearest_center_within_reach():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    points = np.array([[0.1, 0.0], [9.9, 0.1], [10.0, -0.2], [5.0, 0.0], [0.0, 0.4]])
    assert metrics.mode_counts(points, centers, max_distance=0.3).tolist() == [1, 2]
    with pytest.raises(ValueError, match="points, centers"):
        metrics.mode_counts(np.zeros((3, 3)), centers, 1.0)


def test_mirror_averaging_averages_an_image_with_its_mirror_image():
    from helpers.environment import keras

    rows = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x[:, 0, :10, 0])])  # logits
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 0, 0, 0] = 10.0  # the left edge: the mirror image has it at column 27, outside the logits
    expected = (metrics.class_probabilities(image, rows) + np.full((1, 10), 0.1)) / 2
    np.testing.assert_allclose(metrics.mirror_averaged_probabilities(image, rows), expected, rtol=1e-6)


def test_classifier_features_of_another_model_and_layer():
    from helpers.environment import keras

    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(name="flat"), keras.layers.Dense(3, name="head")]
    )
    images = np.random.default_rng(0).uniform(0, 255, (2, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(metrics.classifier_features(images, model=model, layer="flat"), images.reshape(2, -1))


def test_within_class_spread_is_the_mean_feature_std_within_classes():
    same = np.repeat([[1.0, 2.0], [5.0, -1.0]], 3, axis=0)
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert metrics.within_class_spread(same, labels) == 0.0, "identical samples per class have no spread"
    spread = same + np.array([[1, 1], [-1, -1], [0, 0], [2, 0], [-2, 0], [0, 0]])
    expected = np.mean([np.std([1, -1, 0]), np.std([2, -2, 0]) / 2])  # class 1 varies in one of two features
    assert metrics.within_class_spread(spread, labels) == pytest.approx(expected)
    with pytest.raises(ValueError, match="features, labels"):
        metrics.within_class_spread(same, labels[:-1])


def test_score_images_of_real_images_asked_for_their_own_classes():
    from helpers import data

    need_fashion_mnist()
    _, (x_test, y_test) = data.load_fashion_mnist()
    images, labels = x_test[:200, ..., None], y_test[:200]
    assert set(labels) == set(range(10))
    real_features = metrics.classifier_features(images)
    scores = metrics.score_images(images, real_features, labels)
    assert scores["fid"] == pytest.approx(0.0, abs=1e-2)  # the same images as the reference
    assert np.mean(scores["class_accuracy"]) > 0.8  # the shipped classifier's test accuracy is about 0.9
    asked_wrong = metrics.score_images(images, real_features, (labels + 1) % 10)
    assert np.mean(asked_wrong["class_accuracy"]) < 0.2
    assert asked_wrong["class_shares"] == scores["class_shares"], "the shares do not depend on what was asked"
    unlabelled = metrics.score_images(images, real_features)
    assert set(scores) - set(unlabelled) == {"class_accuracy"}
    with pytest.raises(ValueError, match=r"labels: expected shape \(200,\), one per image"):
        metrics.score_images(images, real_features, labels[:10])


def test_kid_of_one_dimensional_gaussians_matches_the_closed_form():
    # With D = 1 the kernel is (x y + 1)^3. For x ~ N(0, 1) and y ~ N(mu, 1), expanding the cube
    # with the Gaussian moments gives MMD^2 = mu^6 + 9 mu^4 + 12 mu^2: 22 for mu = 1.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20_000, 1)), rng.normal(1.0, size=(20_000, 1))
    assert metrics.kid(x, y) == pytest.approx(22.0, rel=0.05)  # the mean of 20 subsets of 1,000


def test_kid_is_unbiased_on_small_samples_where_fid_is_not():
    # 60 samples of 128 features: fewer rows than features, the case of a live lesson.
    rng = np.random.default_rng(1)
    draws = [(rng.normal(size=(60, 128)), rng.normal(size=(60, 128))) for _ in range(30)]
    kids = [metrics.kid(a, b) for a, b in draws]
    fids = [metrics.fid(a, b) for a, b in draws]
    assert abs(np.mean(kids)) < 3 * np.std(kids) / np.sqrt(len(kids)), "same distribution: KID averages 0"
    assert min(kids) < 0 < max(kids), "an unbiased estimate of 0 falls on both sides"
    assert min(fids) > 100, "FID of two samples of one distribution stays far above 0 at this size"


def test_kid_averages_disjoint_subsets_and_grows_with_a_shift():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3000, 8)), rng.normal(size=(3000, 8))
    assert metrics.kid(a, b + 0.5, seed=4) == metrics.kid(a, b + 0.5, seed=4), "the seed fixes the subsets"
    assert metrics.kid(a, b + 0.5, seed=4) != metrics.kid(a, b + 0.5, seed=5)
    assert abs(metrics.kid(a, b)) < 0.05 < metrics.kid(a, b + 0.5)
    assert metrics.kid(a, b + 0.5) < metrics.kid(a, b + 1.0)


def test_kid_compares_a_small_set_with_at_most_subset_size_rows_of_a_large_one(monkeypatch):
    shapes = []
    original = metrics._unbiased_mmd2
    monkeypatch.setattr(metrics, "_unbiased_mmd2", lambda a, b: shapes.append((len(a), len(b))) or original(a, b))
    rng = np.random.default_rng(5)
    metrics.kid(rng.normal(size=(50, 4)), rng.normal(size=(5000, 4)), subset_size=100)
    metrics.kid(rng.normal(size=(250, 4)), rng.normal(size=(5000, 4)), subset_size=100)
    assert shapes == [(50, 100), (125, 125), (125, 125)]


def test_kid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="features_a, features_b"):
        metrics.kid(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.kid(np.zeros((1, 3)), np.zeros((5, 3)))


def test_nearest_neighbours_find_a_planted_copy_across_batches():
    rng = np.random.default_rng(3)
    references = rng.normal(size=(500, 16))
    queries = np.concatenate([references[[7, 420]] + 1e-3, rng.normal(size=(3, 16)) + 10])
    distances, indices = metrics.nearest_neighbours(queries, references, batch_size=2)
    assert indices[:2].tolist() == [7, 420] and np.all(distances[:2] < 0.01)
    brute = np.linalg.norm(queries[:, None] - references[None], axis=2)
    assert indices.tolist() == brute.argmin(axis=1).tolist()
    assert distances == pytest.approx(brute.min(axis=1))


def test_nearest_neighbours_reject_mismatched_features():
    with pytest.raises(ValueError, match="queries, references"):
        metrics.nearest_neighbours(np.zeros((2, 3)), np.zeros((4, 5)))


def test_copy_check_tells_copies_from_new_samples():
    rng = np.random.default_rng(6)
    train, held_out = rng.normal(size=(400, 8)), rng.normal(size=(100, 8))
    copies = metrics.copy_check(train[:50] + 0.01, held_out, train)
    new = metrics.copy_check(rng.normal(size=(50, 8)), held_out, train)
    assert copies.nearest.tolist() == list(range(50))
    assert copies.medians()["samples"] < 0.1 * copies.medians()["held out"]
    assert new.medians()["samples"] == pytest.approx(new.medians()["held out"], rel=0.2)
    assert new.held_out_distances.shape == (100,) and new.sample_distances.shape == (50,)
