"""One resumable training loop for the models the course trains step by step (the GAN and the diffusion model).

:class:`ResumableTraining` owns what every such model needs: a step or time budget, the batches (a
seeded shuffle per epoch), a learning-rate schedule that depends on the step alone, the mean logs
for a monitor and a clean stop on interrupt. It composes two parts that stand alone: the moving
average of one network's weights (:mod:`helpers.moving_average`) and the checkpoint file format
(:mod:`helpers.checkpoint`). A model brings its networks, its optimizers and its step function
(``*batches -> {log name: scalar}``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from .environment import keras, tf
from .moving_average import MovingAverage

StepFunction = Callable[..., Mapping[str, tf.Tensor]]  # one batch of each data array -> logs


class Monitor(Protocol):
    """What :meth:`ResumableTraining.train` reports to: every ``every`` steps, the mean logs since the last report."""

    every: int

    def update(self, training: ResumableTraining, logs: dict[str, float]) -> None: ...


class ResumableTraining:
    """Networks, their optimizers and a step function, trained so that an interrupted run resumes exactly.

    Batches follow a fixed order (a seeded shuffle per epoch; the last batch of an epoch may be short)
    and the step function draws its randomness from ``self.rng``, a seeded ``tf.random.Generator``.
    Both are part of a checkpoint, so training that is interrupted and resumed ends exactly where
    uninterrupted training would.

    Args:
        models: the networks by name, e.g. ``{"generator": ..., "discriminator": ...}``.
        optimizers: one optimizer per network that trains, under the network's name.
        learning_rate: every optimizer's rate; ``learning_rate_decay=(first, last)`` lowers it linearly
            from step ``first`` to zero at step ``last``.
        ema: ``(name, ema_decay)`` keeps a moving average of that network's weights
            (:class:`~helpers.moving_average.MovingAverage`, in ``self.moving_averages[name]``); its
            network is ``self.averages[name]``.
        settings: whatever else defines the run (a subclass's own hyperparameters). A checkpoint
            stores them with the loop's own, and :meth:`restore` refuses one saved with other settings.

    A subclass sets ``self.step_function`` (it may use ``self.rng``) before training.
    """

    def __init__(
        self,
        models: Mapping[str, keras.Model],
        optimizers: Mapping[str, keras.optimizers.Optimizer],
        learning_rate: float,
        batch_size: int = 64,
        seed: int = 0,
        ema: tuple[str, float] | None = None,
        learning_rate_decay: tuple[int, int] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        _check_settings(models, optimizers, learning_rate, batch_size, ema, learning_rate_decay)
        self.models, self.optimizers = dict(models), dict(optimizers)
        self.learning_rate, self.learning_rate_decay = learning_rate, learning_rate_decay
        self.batch_size, self.seed, self.step = batch_size, seed, 0
        self.settings = {
            "batch_size": batch_size,
            "seed": seed,
            "learning_rate": learning_rate,
            "learning_rate_decay": list(learning_rate_decay) if learning_rate_decay else None,
            "ema": list(ema) if ema else None,
            **(settings or {}),
        }
        for name, optimizer in self.optimizers.items():
            optimizer.build(self.models[name].trainable_variables)  # now, so a checkpoint can be restored into it
        self.rng = tf.random.Generator.from_seed(seed)
        self.step_function: StepFunction | None = None
        self.moving_averages: dict[str, MovingAverage] = {}
        if ema is not None:
            name, ema_decay = ema
            self.moving_averages[name] = MovingAverage(self.models[name], ema_decay)

    @property
    def averages(self) -> dict[str, keras.Model]:
        """The averaged copy of each network that has a moving average, by the network's name."""
        return {name: average.average for name, average in self.moving_averages.items()}

    def learning_rate_at(self, step: int) -> float:
        """Every optimizer's learning rate at ``step``."""
        if self.learning_rate_decay is None:
            return self.learning_rate
        first, last = self.learning_rate_decay
        return self.learning_rate * min(1.0, max(0.0, (last - step) / (last - first)))

    def batch_indices(self, step: int, n: int) -> np.ndarray:
        """Indices of the samples used at ``step`` when training on ``n`` samples."""
        if n < 1:
            raise ValueError(f"n: expected at least one training sample, got {n}")
        per_epoch = math.ceil(n / self.batch_size)
        epoch, position = divmod(step, per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(n)
        return order[position * self.batch_size : (position + 1) * self.batch_size]

    def check_data(self, data: np.ndarray | tuple[np.ndarray, ...]) -> np.ndarray | tuple[np.ndarray, ...]:
        """Validate and convert the training data; a subclass checks shapes and value ranges here.

        ``data`` is one array of samples (N, ...), converted to float32, or a tuple of arrays with one
        row per sample each (for example images and their labels), kept as they are; the step function
        gets one batch of each, in order. Arrays already of the right type are not copied.
        """
        if isinstance(data, tuple):
            if not data or len({len(part) for part in data}) != 1 or len(data[0]) == 0:
                lengths = [len(part) for part in data]
                raise ValueError(f"data: expected non-empty arrays of the same length, got lengths {lengths}")
            return tuple(np.asarray(part) for part in data)
        data = np.asarray(data, dtype=np.float32)
        if data.ndim < 2 or len(data) == 0:
            raise ValueError(f"data: expected a non-empty batch of samples (N, ...), got shape {data.shape}")
        return data

    def train(
        self,
        data: np.ndarray | tuple[np.ndarray, ...],
        steps: int | None = None,
        seconds: float | None = None,
        monitor: Monitor | None = None,
        checkpoint: str | Path | None = None,
    ) -> None:
        """Train for ``steps`` more steps or ``seconds`` of wall-clock time, whichever ends first.

        Args:
            data: the training samples, (N, ...), or a tuple of such arrays: what :meth:`check_data` accepts.
            monitor: updated every ``monitor.every`` steps and once at the end.
            checkpoint: a file to save the whole training state to at the end, so :meth:`restore` can
                continue it.

        An interrupt (Jupyter's stop button, Ctrl-C) ends training cleanly after the current step,
        and the checkpoint is still written; a second interrupt stops at once.
        """
        _check_budget(steps, seconds)
        if self.step_function is None:
            raise TypeError(f"{type(self).__name__} sets no step_function: a subclass must set it in __init__")
        data = self.check_data(data)
        parts = data if isinstance(data, tuple) else (data,)
        start, last = time.perf_counter(), self.step + (steps if steps is not None else 1 << 62)
        means = _Means()
        with _stop_on_interrupt() as stop:
            while self.step < last and not stop and (seconds is None or time.perf_counter() - start < seconds):
                means.add(self._take_step(parts))
                if monitor is not None and self.step % monitor.every == 0:
                    monitor.update(self, means.pop())
        if stop:
            print(f"interrupted: stopped after step {self.step}" + (f"; saving {checkpoint}" if checkpoint else ""))
        if monitor is not None and means.count:
            monitor.update(self, means.pop())
        if checkpoint is not None:
            self.save(checkpoint)

    def save(self, path: str | Path) -> Path:
        """Write the whole training state, and the settings that define the run, to one ``.npz`` file, atomically."""
        groups = {group: [np.asarray(v) for v in variables] for group, variables in self._parts().items()}
        return write_checkpoint(path, Checkpoint(self.step, self.rng.state.numpy(), self.settings, groups))

    def restore(self, path: str | Path) -> None:
        """Load a state written by :meth:`save` into these (identically built) networks and optimizers.

        Raises:
            FileNotFoundError: no file at ``path``.
            CorruptFileError: the file is not a readable checkpoint.
            ValueError: it was saved with other settings or for other networks.
        """
        parts = self._parts()
        shapes = {group: [tuple(v.shape) for v in variables] for group, variables in parts.items()}
        state = read_checkpoint(path, self.settings, shapes)  # checks everything before anything changes
        for group, variables in parts.items():
            for variable, value in zip(variables, state.groups[group], strict=True):
                variable.assign(value)
        self.rng.state.assign(state.rng_state)
        self.step = state.step

    def _take_step(self, parts: tuple[np.ndarray, ...]) -> Mapping[str, tf.Tensor]:
        """One training step on the batch of ``self.step``, at that step's learning rate; its logs."""
        if self.learning_rate_decay is not None:
            for optimizer in self.optimizers.values():
                optimizer.learning_rate.assign(self.learning_rate_at(self.step))
        batch = self.batch_indices(self.step, len(parts[0]))
        logs = self.step_function(*(tf.constant(part[batch]) for part in parts))
        for average in self.moving_averages.values():
            average.update(self.step)
        self.step += 1
        return logs

    def _parts(self) -> dict[str, list]:
        """Every variable of the training state, by checkpoint group: networks, optimizers, averages."""
        parts = {name: model.weights for name, model in self.models.items()}
        parts |= {f"{name}_optimizer": optimizer.variables for name, optimizer in self.optimizers.items()}
        parts |= {f"ema_{name}": model.weights for name, model in self.averages.items()}
        return parts


class _Means:
    """Sums of the logs since the last report, for the monitor's means."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, logs: Mapping[str, tf.Tensor]) -> None:
        for name, value in logs.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value)
        self.count += 1

    def pop(self) -> dict[str, float]:
        """The mean of each log since the last pop, and start afresh."""
        means = {name: value / self.count for name, value in self.sums.items()}
        self.sums, self.count = {}, 0
        return means


def _check_settings(
    models: Mapping[str, keras.Model],
    optimizers: Mapping[str, keras.optimizers.Optimizer],
    learning_rate: float,
    batch_size: int,
    ema: tuple[str, float] | None,
    learning_rate_decay: tuple[int, int] | None,
) -> None:
    """Refuse, naming the argument, the settings :class:`ResumableTraining` cannot train with.

    The moving average's decay is :class:`~helpers.moving_average.MovingAverage`'s to check.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate: expected > 0, got {learning_rate}")
    if set(optimizers) - set(models):
        raise ValueError(f"optimizers: expected names among the models {sorted(models)}, got {sorted(optimizers)}")
    if ema is not None and (len(ema) != 2 or ema[0] not in models):
        raise ValueError(f"ema: expected (one of {sorted(models)}, ema_decay), got {ema}")
    if learning_rate_decay is not None and (
        len(learning_rate_decay) != 2 or not 0 <= learning_rate_decay[0] < learning_rate_decay[1]
    ):
        raise ValueError(
            "learning_rate_decay: expected None or steps (first, last) with 0 <= first < last, "
            f"got {learning_rate_decay}"
        )


def _check_budget(steps: int | None, seconds: float | None) -> None:
    if steps is None and seconds is None:
        raise ValueError("steps, seconds: expected at least one budget, got neither")
    if steps is not None and steps < 1:
        raise ValueError(f"steps: expected >= 1, got {steps}")
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds: expected > 0, got {seconds}")


@contextlib.contextmanager
def _stop_on_interrupt() -> Iterator[list[bool]]:
    """While the block runs, the first SIGINT appends to the yielded list instead of raising.

    The loop checks that list between steps, so a step is never cut in half (weights updated but the
    step counter not). The original handler is back after the first interrupt, so a second one
    raises ``KeyboardInterrupt`` as usual. Outside the main thread, signals cannot be caught: no-op.
    """
    stop: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.getsignal(signal.SIGINT)

    def request_stop(signum, frame) -> None:
        stop.append(True)
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
