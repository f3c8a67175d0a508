import numpy as np
import pytest

from helpers import classifier_training
from tests.conftest import need_fashion_mnist


def test_split_validation_is_disjoint_stratified_and_complete():
    x = np.arange(100)
    y = np.arange(100) % 4
    (x_train, y_train), (x_val, y_val) = classifier_training.split_validation(x, y, n_val=20, seed=0)
    assert len(x_val) == 20 and np.bincount(y_val).tolist() == [5, 5, 5, 5]
    assert sorted(np.concatenate([x_train, x_val]).tolist()) == list(range(100))
    np.testing.assert_array_equal(y[x_val], y_val)


def test_split_validation_rejects_unpaired_input():
    with pytest.raises(ValueError, match="x, y: expected the same number of samples, got 5 and 4"):
        classifier_training.split_validation(np.arange(5), np.arange(4), n_val=2)


@pytest.mark.parametrize("n_val", [0, 100])
def test_split_validation_rejects_impossible_sizes(n_val):
    with pytest.raises(ValueError, match="n_val: expected 0 < n_val < 100"):
        classifier_training.split_validation(np.arange(100), np.arange(100) % 4, n_val=n_val)


def test_fashion_splits_are_stratified_disjoint_and_keep_raw_pixels():
    need_fashion_mnist()
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = classifier_training.fashion_splits(n_train=200, n_val=50)
    assert x_train.shape == (150, 28, 28, 1) and x_val.shape == (50, 28, 28, 1) and x_test.shape == (10_000, 28, 28, 1)
    assert x_train.dtype == np.uint8 and x_train.max() > 1, "raw 0..255 pixels: the models rescale them"
    assert np.bincount(y_val, minlength=10).tolist() == [5] * 10
    again = classifier_training.fashion_splits(n_train=200, n_val=50)
    np.testing.assert_array_equal(again[0][0], x_train)  # the same seed, the same split


def test_cosine_schedule_runs_from_the_rate_to_zero_over_the_whole_run():
    schedule = classifier_training.cosine_schedule(0.01, epochs=3, n_train=1000, batch_size=100)  # 30 steps
    assert float(schedule(0)) == pytest.approx(0.01) and float(schedule(15)) == pytest.approx(0.005)
    assert float(schedule(30)) == 0.0
    with pytest.raises(ValueError, match="epochs, n_train, batch_size: expected >= 1 each"):
        classifier_training.cosine_schedule(0.01, epochs=0, n_train=1000)


def test_compare_predictions_counts_images_won_and_lost():
    y = np.array([0, 1, 2, 3, 4, 5])
    first = np.array([0, 1, 2, 9, 9, 9])  # 3 right
    second = np.array([0, 9, 2, 3, 4, 9])  # 4 right: gains images 3 and 4, loses image 1
    result = classifier_training.compare_predictions(y, first, second)
    assert (result.gained, result.lost, result.net) == (2, 1, 1)
    assert result.noise == pytest.approx(2 * np.sqrt(3)) and result.inside_noise


def test_compare_predictions_sees_a_real_difference_outside_the_noise():
    y = np.zeros(1000, dtype=int)
    first, second = np.ones(1000, dtype=int), y.copy()
    first[:900] = 0  # first 900 right, second all 1000: 100 gained, none lost
    result = classifier_training.compare_predictions(y, first, second)
    assert (result.gained, result.lost, result.net, result.noise) == (100, 0, 100, 20.0)
    assert not result.inside_noise
    assert classifier_training.compare_predictions(y, second, first).net == -100  # the order matters for the sign


def test_compare_predictions_rejects_mismatched_labels():
    with pytest.raises(ValueError, match=r"y_true, first, second: expected three \(N,\) label arrays, got \(3,\)"):
        classifier_training.compare_predictions(np.arange(3), np.arange(3), np.arange(4))


def test_train_steps_runs_exactly_the_steps_asked_on_the_same_batches():
    keras = pytest.importorskip("helpers.environment").keras
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (50, 4, 4, 1)).astype(np.uint8), rng.integers(0, 3, 50)

    def trained(seed):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
        return classifier_training.train_steps(model, x, y, steps=7, learning_rate=1e-3, batch_size=16, seed=seed)

    model = trained(seed=0)
    assert int(model.optimizer.iterations) == 7  # 7 batches of 16: more than one pass over the 50 images
    same, other = trained(seed=0), trained(seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), same.get_weights()))
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights()))
    with pytest.raises(ValueError, match="steps, batch_size: expected >= 1 each, got 0 and 16"):
        classifier_training.train_steps(model, x, y, steps=0, learning_rate=1e-3, batch_size=16)
