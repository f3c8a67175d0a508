"""One resumable training loop for the models the course trains step by step (the GAN, diffusion next).

:class:`ResumableTraining` owns what every such model needs: a step or time budget, the batches (a
seeded shuffle per epoch), a learning-rate schedule that depends on the step alone, a moving average
of one network's weights, a checkpoint of the whole state, and a clean stop on interrupt. A model
brings its networks, its optimizers and its step function (``*batches -> {log name: scalar}``).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .environment import keras, tf
from .files import CorruptFileError, atomic_write

StepFunction = Callable[..., Mapping[str, tf.Tensor]]  # one batch of each data array -> logs


class Monitor(Protocol):
    """What :meth:`ResumableTraining.train` reports to: every ``every`` steps, the mean logs since the last report."""

    every: int

    def update(self, training: ResumableTraining, logs: dict[str, float]) -> None: ...


def ema_setting(name: str, ema_decay: float | None) -> tuple[str, float] | None:
    """The ``ema`` argument of :class:`ResumableTraining` for a model's ``ema_decay`` (``None``: no average)."""
    if ema_decay is None:
        return None
    if not 0.0 < ema_decay < 1.0:
        raise ValueError(f"ema_decay: expected None or a number in (0, 1), got {ema_decay}")
    return (name, ema_decay)


class ResumableTraining:
    """Networks, their optimizers and a step function, trained so that an interrupted run resumes exactly.

    Batches follow a fixed order (a seeded shuffle per epoch; the last batch of an epoch may be short)
    and the step function draws its randomness from ``self.noise``, a seeded ``tf.random.Generator``.
    Both are part of a checkpoint, so training that is interrupted and resumed ends exactly where
    uninterrupted training would.

    Args:
        models: the networks by name, e.g. ``{"generator": ..., "discriminator": ...}``.
        optimizers: one optimizer per network that trains, under the network's name.
        learning_rate: every optimizer's rate; ``learning_rate_decay=(first, last)`` lowers it linearly
            from step ``first`` to zero at step ``last``.
        ema: ``(name, decay)`` keeps an exponential moving average of that network's weights in
            ``self.averages[name]``; during the first steps the decay is lower, ``(1 + step) / (10 + step)``,
            so the average does not drag the random initial weights along.
        settings: whatever else defines the run (a subclass's own hyperparameters). A checkpoint
            stores them with the loop's own, and :meth:`restore` refuses one saved with other settings.

    A subclass sets ``self.step_function`` (it may use ``self.noise``) before training.
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
        if batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
        if not learning_rate > 0:
            raise ValueError(f"learning_rate: expected > 0, got {learning_rate}")
        if set(optimizers) - set(models):
            raise ValueError(f"optimizers: expected names among the models {sorted(models)}, got {sorted(optimizers)}")
        if ema is not None and (ema[0] not in models or not 0.0 < ema[1] < 1.0):
            raise ValueError(f"ema: expected (one of {sorted(models)}, a decay in (0, 1)), got {ema}")
        if learning_rate_decay is not None and (
            len(learning_rate_decay) != 2 or not 0 <= learning_rate_decay[0] < learning_rate_decay[1]
        ):
            raise ValueError(
                "learning_rate_decay: expected None or steps (first, last) with 0 <= first < last, "
                f"got {learning_rate_decay}"
            )
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
        self.noise = tf.random.Generator.from_seed(seed)
        self.step_function: StepFunction | None = None
        self.averages: dict[str, keras.Model] = {}
        if ema is not None:
            name, decay = ema
            self.averages[name] = keras.models.clone_model(self.models[name])
            self.averages[name].set_weights(self.models[name].get_weights())
            self._ema_update = _make_ema_update(self.averages[name], self.models[name], decay)

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

        ``data`` is one array of samples (N, ...), or a tuple of arrays with one row per sample each
        (for example images and their labels); the step function gets one batch of each, in order.
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
        data: np.ndarray,
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
        if steps is None and seconds is None:
            raise ValueError("steps, seconds: expected at least one budget, got neither")
        if steps is not None and steps < 1:
            raise ValueError(f"steps: expected >= 1, got {steps}")
        if seconds is not None and not seconds > 0:
            raise ValueError(f"seconds: expected > 0, got {seconds}")
        if self.step_function is None:
            raise TypeError(f"{type(self).__name__} sets no step_function: a subclass must set it in __init__")
        data = self.check_data(data)
        parts = data if isinstance(data, tuple) else (data,)
        start, last = time.perf_counter(), self.step + (steps if steps is not None else 1 << 62)
        sums: dict[str, float] = {}
        count = 0
        with _stop_on_interrupt() as stop:
            while self.step < last and not stop and (seconds is None or time.perf_counter() - start < seconds):
                if self.learning_rate_decay is not None:
                    for optimizer in self.optimizers.values():
                        optimizer.learning_rate.assign(self.learning_rate_at(self.step))
                batch = self.batch_indices(self.step, len(parts[0]))
                logs = self.step_function(*(tf.constant(part[batch]) for part in parts))
                if self.averages:
                    self._ema_update(tf.constant(self.step, tf.float32))
                self.step += 1
                count += 1
                for name, value in logs.items():
                    sums[name] = sums.get(name, 0.0) + float(value)
                if monitor is not None and self.step % monitor.every == 0:
                    monitor.update(self, {name: value / count for name, value in sums.items()})
                    sums, count = {}, 0
        if stop:
            print(f"interrupted: stopped after step {self.step}" + (f"; saving {checkpoint}" if checkpoint else ""))
        if monitor is not None and count:
            monitor.update(self, {name: value / count for name, value in sums.items()})
        if checkpoint is not None:
            self.save(checkpoint)

    def save(self, path: str | Path) -> Path:
        """Write the whole training state, and the settings that define the run, to one ``.npz`` file, atomically."""
        arrays = {
            "step": np.array(self.step),
            "noise_state": self.noise.state.numpy(),
            "settings": np.array(json.dumps(self.settings, sort_keys=True)),
        }
        for prefix, variables in self._parts().items():
            arrays.update({f"{prefix}/{i}": np.asarray(v) for i, v in enumerate(variables)})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return atomic_write(path, buffer.getvalue())

    def restore(self, path: str | Path) -> None:
        """Load a state written by :meth:`save` into these (identically built) networks and optimizers.

        Raises:
            FileNotFoundError: no file at ``path``.
            CorruptFileError: the file is not a readable checkpoint.
            ValueError: it was saved with other settings or for other networks.
        """
        fix = "Delete it to start training from scratch."
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no checkpoint there (train with checkpoint={str(path)!r} to write one)")
        try:
            with np.load(path) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
            raise CorruptFileError(f"{path}: not a readable checkpoint ({error}). {fix}") from error
        if not {"step", "noise_state", "settings"} <= set(arrays):
            raise CorruptFileError(f"{path}: not a checkpoint written by this version's save(). {fix}")
        saved, now = json.loads(str(arrays["settings"])), json.loads(json.dumps(self.settings))  # tuples as lists
        changed = {key: (saved.get(key), now.get(key)) for key in sorted(saved | now) if saved.get(key) != now.get(key)}
        if changed:
            differences = "; ".join(f"{key}: saved {old!r}, now {new!r}" for key, (old, new) in changed.items())
            raise ValueError(
                f"{path}: saved by a run with other settings ({differences}). Resume with the same settings, "
                f"or delete it to start afresh."
            )
        parts = self._parts()
        for prefix, variables in parts.items():
            stored = [arrays.get(f"{prefix}/{i}") for i in range(len(variables))]
            if any(a is None or a.shape != tuple(v.shape) for a, v in zip(stored, variables)):
                raise ValueError(f"{path}: its {prefix} does not match these networks; was it saved by another model?")
        for prefix, variables in parts.items():
            for i, variable in enumerate(variables):
                variable.assign(arrays[f"{prefix}/{i}"])
        self.noise.state.assign(arrays["noise_state"])
        self.step = int(arrays["step"])

    def _parts(self) -> dict[str, list]:
        parts = {name: model.weights for name, model in self.models.items()}
        parts |= {f"{name}_optimizer": optimizer.variables for name, optimizer in self.optimizers.items()}
        parts |= {f"ema_{name}": model.weights for name, model in self.averages.items()}
        return parts


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


def _make_ema_update(average: keras.Model, model: keras.Model, decay: float) -> Callable[[tf.Tensor], None]:
    @tf.function
    def update(step: tf.Tensor) -> None:
        rate = tf.minimum(decay, (1.0 + step) / (10.0 + step))
        for mean, current in zip(average.weights, model.weights):
            mean.assign(rate * mean + (1.0 - rate) * current)

    return update
