"""The moving average of one network's weights: its warm-up, its decay, and the decay it refuses."""

import numpy as np
import pytest

from helpers.environment import keras
from helpers.moving_average import MovingAverage


def line() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="line")])


def shift(model: keras.Model, by: float) -> list[np.ndarray]:
    """Move every weight of ``model`` by ``by`` (a stand-in for a training step); the new weights."""
    model.set_weights([w + by for w in model.get_weights()])
    return model.get_weights()


def test_the_average_starts_as_a_separate_copy_of_the_weights():
    model = line()
    ema = MovingAverage(model, 0.9)
    assert ema.average is not model
    for mean, weight in zip(ema.average.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mean, weight)
    shift(model, 1.0)
    assert not np.allclose(ema.average.get_weights()[0], model.get_weights()[0]), "the copy has its own weights"


def test_the_first_steps_keep_less_of_the_average():
    ema = MovingAverage(line(), 0.999)
    assert [ema.rate_at(step) for step in (0, 1, 90, 10_000)] == pytest.approx([0.1, 2 / 11, 0.91, 0.999])


@pytest.mark.parametrize(("step", "rate"), [(0, 0.1), (100, 0.5)])
def test_an_update_blends_the_average_toward_the_weights_at_the_steps_rate(step, rate):
    model = line()
    ema = MovingAverage(model, 0.5)  # from step 8 on, (1 + step) / (10 + step) > 0.5: the decay rules
    before = ema.average.get_weights()
    current = shift(model, 1.0)
    ema.update(step)
    for mean, old, new in zip(ema.average.get_weights(), before, current, strict=True):
        np.testing.assert_allclose(mean, rate * old + (1 - rate) * new, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5, 1.5])
def test_a_decay_outside_zero_to_one_is_refused_in_words(decay):
    with pytest.raises(ValueError, match=rf"ema_decay: expected a number in \(0, 1\), got {decay}"):
        MovingAverage(line(), decay)
