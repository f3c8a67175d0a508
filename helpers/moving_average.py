"""An exponential moving average (EMA) of one network's weights, kept in a copy of that network.

Averaging the weights over the last steps smooths out the noise of single steps, so a generator's
average usually draws better samples than its latest weights. :class:`MovingAverage` holds the
copy and its compiled update; :mod:`helpers.loop` calls :meth:`MovingAverage.update` after every step.
"""

from __future__ import annotations

from collections.abc import Callable

from .environment import keras, tf


class MovingAverage:
    """``average = rate * average + (1 - rate) * weights`` after each step, for every weight of ``model``.

    The rate is ``ema_decay``, except during the first steps: ``(1 + step) / (10 + step)`` when that is
    lower, so the average does not drag the random initial weights along (step 0 moves it 90% of the
    way to the weights, step 90 10%). ``average`` is a clone of ``model`` that starts with its weights.

    Raises:
        ValueError: ``ema_decay`` is not in (0, 1).
    """

    def __init__(self, model: keras.Model, ema_decay: float) -> None:
        if not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay: expected a number in (0, 1), got {ema_decay}")
        self.model, self.ema_decay = model, ema_decay
        self.average = keras.models.clone_model(model)
        self.average.set_weights(model.get_weights())
        self._blend = _make_blend(self.average, model)

    def rate_at(self, step: int) -> float:
        """The share of the old average kept by the update after step ``step`` (0 for the first step)."""
        return min(self.ema_decay, (1.0 + step) / (10.0 + step))

    def update(self, step: int) -> None:
        """Move the average toward ``model``'s current weights, after training step ``step``."""
        self._blend(tf.constant(self.rate_at(step), tf.float32))


def _make_blend(average: keras.Model, model: keras.Model) -> Callable[[tf.Tensor], None]:
    """One compiled function for all weights: a Python loop of assigns would cost a dispatch per weight."""

    @tf.function
    def blend(rate: tf.Tensor) -> None:
        for mean, current in zip(average.weights, model.weights, strict=True):
            mean.assign(rate * mean + (1.0 - rate) * current)

    return blend
