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
