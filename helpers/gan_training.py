"""Training lesson 05's GAN: a loop with a time or step budget, a live monitor, checkpoints and a GIF.

``python -m helpers.gan_training`` trains the generator shipped in ``data/pretrained/``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import gan
from .environment import keras, tf
from .files import CorruptFileError, atomic_write
from .live import in_notebook

LOGS = ("g_loss", "d_loss", "d_real", "d_fake")


class GanTraining:
    """A generator, a discriminator, their two optimizers, and everything needed to resume training.

    Batches follow a fixed order (a seeded shuffle per epoch, the last batch of an epoch may be
    short), and latent codes come from a seeded ``tf.random.Generator``. Both are part of a
    checkpoint, so training that is interrupted and resumed ends exactly where uninterrupted
    training would.

    ``ema_decay`` keeps an exponential moving average of the generator's weights in ``ema_generator``
    (during the first steps the decay is lower, ``(1 + step) / (10 + step)``, so the average does not
    drag the random initial weights along); ``sampler`` is the network to draw samples from (the
    average when there is one).

    ``learning_rate_decay=(first, last)`` lowers both learning rates linearly from step ``first`` to zero at step
    ``last``; the rate is a function of the step alone, so resuming does not change it.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        learning_rate: float = 2e-4,
        beta_1: float = 0.5,
        batch_size: int = 64,
        real_label: float = 1.0,
        ema_decay: float | None = None,
        learning_rate_decay: tuple[int, int] | None = None,
        seed: int = 0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay: expected None or a number in (0, 1), got {ema_decay}")
        if learning_rate_decay is not None and not 0 <= learning_rate_decay[0] < learning_rate_decay[1]:
            raise ValueError(
                "learning_rate_decay: expected None or steps (first, last) with 0 <= first < last, "
                f"got {learning_rate_decay}"
            )
        self.generator, self.discriminator = generator, discriminator
        self.batch_size, self.seed, self.step = batch_size, seed, 0
        self.learning_rate, self.learning_rate_decay = learning_rate, learning_rate_decay
        self.optimizers = [keras.optimizers.Adam(learning_rate, beta_1=beta_1) for _ in range(2)]
        for optimizer, model in zip(self.optimizers, (generator, discriminator)):
            optimizer.build(model.trainable_variables)  # now, so a checkpoint can be restored into it
        self.noise = tf.random.Generator.from_seed(seed)
        self.train_step = gan.make_train_step(generator, discriminator, *self.optimizers, self.noise, real_label)
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
            self._ema_update = _make_ema_update(self.ema_generator, generator, ema_decay)

    @property
    def sampler(self) -> keras.Model:
        return self.ema_generator or self.generator

    def learning_rate_at(self, step: int) -> float:
        """The learning rate of both optimizers at ``step``."""
        if self.learning_rate_decay is None:
            return self.learning_rate
        first, last = self.learning_rate_decay
        return self.learning_rate * min(1.0, max(0.0, (last - step) / (last - first)))

    def batch_indices(self, step: int, n: int) -> np.ndarray:
        """Indices of the real images used at ``step`` when training on ``n`` images."""
        per_epoch = math.ceil(n / self.batch_size)
        epoch, position = divmod(step, per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(n)
        return order[position * self.batch_size : (position + 1) * self.batch_size]

    def train(
        self,
        images: np.ndarray,
        steps: int | None = None,
        seconds: float | None = None,
        monitor: GanMonitor | None = None,
        checkpoint: str | Path | None = None,
    ) -> None:
        """Train for ``steps`` more steps or ``seconds`` of wall-clock time, whichever ends first.

        Args:
            images: real samples, (N, 28, 28, 1) in [-1, 1] for the DCGAN, (N, 2) for the warm-up.
            monitor: updated every ``monitor.every`` steps and once at the end.
            checkpoint: a file to save the whole training state to at the end, so ``restore`` can
                continue it.

        An interrupt (Jupyter's stop button, Ctrl-C) ends training cleanly after the current step,
        and the checkpoint is still written; a second interrupt stops at once.
        """
        if steps is None and seconds is None:
            raise ValueError("steps, seconds: expected at least one budget, got neither")
        expected = self.discriminator.input_shape[1:]
        if np.ndim(images) < 2 or tuple(np.shape(images)[1:]) != expected:
            raise ValueError(f"images: expected shape (N, {', '.join(map(str, expected))}), got {np.shape(images)}")
        images = np.asarray(images, dtype=np.float32)
        start, last = time.perf_counter(), self.step + (steps if steps is not None else 1 << 62)
        sums, count = dict.fromkeys(LOGS, 0.0), 0
        with _stop_on_interrupt() as stop:
            while self.step < last and not stop and (seconds is None or time.perf_counter() - start < seconds):
                if self.learning_rate_decay is not None:
                    for optimizer in self.optimizers:
                        optimizer.learning_rate.assign(self.learning_rate_at(self.step))
                logs = self.train_step(tf.constant(images[self.batch_indices(self.step, len(images))]))
                if self.ema_generator is not None:
                    self._ema_update(tf.constant(self.step, tf.float32))
                self.step += 1
                count += 1
                for name in LOGS:
                    sums[name] += float(logs[name])
                if monitor is not None and self.step % monitor.every == 0:
                    monitor.update(self, {name: value / count for name, value in sums.items()})
                    sums, count = dict.fromkeys(LOGS, 0.0), 0
        if stop:
            print(f"interrupted: stopped after step {self.step}" + (f"; saving {checkpoint}" if checkpoint else ""))
        if monitor is not None and count:
            monitor.update(self, {name: value / count for name, value in sums.items()})
        if checkpoint is not None:
            self.save(checkpoint)

    def save(self, path: str | Path) -> Path:
        """Write the whole training state to one ``.npz`` file, atomically."""
        arrays = {"step": np.array(self.step), "noise_state": self.noise.state.numpy()}
        for prefix, variables in self._parts().items():
            arrays.update({f"{prefix}/{i}": np.asarray(v) for i, v in enumerate(variables)})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return atomic_write(path, buffer.getvalue())

    def restore(self, path: str | Path) -> None:
        """Load a state written by ``save`` into these (identically built) networks and optimizers."""
        fix = "Delete it to start training from scratch."
        try:
            with np.load(path) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
            raise CorruptFileError(f"{path}: not a readable checkpoint ({error}). {fix}") from error
        if "step" not in arrays or "noise_state" not in arrays:
            raise CorruptFileError(f"{path}: not a checkpoint written by GanTraining.save. {fix}")
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
        parts = {
            "generator": self.generator.weights,
            "discriminator": self.discriminator.weights,
            "generator_optimizer": self.optimizers[0].variables,
            "discriminator_optimizer": self.optimizers[1].variables,
        }
        if self.ema_generator is not None:
            parts["ema_generator"] = self.ema_generator.weights
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


def tile(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Images (N, H, W, 1) in [-1, 1] -> one uint8 picture (rows*H, ncols*W), gaps left black."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 1:
        raise ValueError(f"images: expected shape (N, H, W, 1), got {images.shape}")
    n, h, w, _ = images.shape
    rows = math.ceil(n / ncols)
    canvas = np.zeros((rows * h, ncols * w), dtype=np.uint8)
    for i, image in enumerate(gan.to_pixels(images)[..., 0].astype(np.uint8)):
        row, col = divmod(i, ncols)
        canvas[row * h : (row + 1) * h, col * w : (col + 1) * w] = image
    return canvas


def save_gif(frames: list[np.ndarray], path: str | Path, seconds_per_frame: float = 0.25, scale: int = 2) -> Path:
    """Write uint8 grayscale frames (H, W) as a looping GIF, atomically; returns the path."""
    from PIL import Image

    if not frames:
        raise ValueError("frames: expected at least one frame, got none")
    pictures = [Image.fromarray(f).resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=int(1000 * seconds_per_frame), loop=0
    )
    return atomic_write(path, buffer.getvalue())


class GanMonitor:
    """Every ``every`` steps: the fixed-code sample grid, both losses, mean D(real) and D(fake).

    In Jupyter and Colab one figure is redrawn in place; elsewhere (and under the test suite) each
    update prints one line. ``fid`` (optional) maps a generator to its FID, recorded at every update.
    ``frames`` keeps each grid for ``save_gif``.
    """

    def __init__(
        self,
        every: int,
        codes: np.ndarray,
        fid: Callable[[keras.Model], float] | None = None,
        notebook: bool | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every: expected >= 1 steps, got {every}")
        self.every, self.codes, self.fid = every, np.asarray(codes, dtype=np.float32), fid
        self.notebook = in_notebook() if notebook is None else notebook
        self.history: dict[str, list[float]] = {name: [] for name in ("step", *LOGS, "fid")}
        self.frames: list[np.ndarray] = []
        self.samples = np.zeros((0,))  # the latest samples of the fixed codes
        self._handle = None

    def update(self, training: GanTraining, logs: dict[str, float]) -> None:
        self.history["step"].append(training.step)
        for name in LOGS:
            self.history[name].append(logs[name])
        if self.fid is not None:
            self.history["fid"].append(self.fid(training.sampler))
        self.samples = training.sampler(self.codes, training=False).numpy()
        if self.samples.ndim == 4:  # images; the 2-D warm-up's points make no frame
            self.frames.append(tile(self.samples))
        if self.notebook:
            self._redraw()
        else:
            numbers = "  ".join(f"{name} {self.history[name][-1]:.3f}" for name in (*LOGS, "fid") if self.history[name])
            print(f"step {training.step}  {numbers}", flush=True)

    def figure(self) -> plt.Figure:
        """The latest grid beside the loss curves, D's outputs and (if measured) FID."""
        if not self.history["step"]:
            raise ValueError("monitor: nothing to draw yet; it draws after its first update")
        panels = 4 if self.history["fid"] else 3
        fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3.6))
        if self.samples.ndim == 4:
            axes[0].imshow(self.frames[-1], cmap="gray", vmin=0, vmax=255)
            axes[0].axis("off")
        else:
            axes[0].scatter(*self.samples.T, s=4)
        axes[0].set_title(f"fixed codes, step {self.history['step'][-1]}")
        steps = self.history["step"]
        for ax, names, title in ((axes[1], ("g_loss", "d_loss"), "losses"), (axes[2], ("d_real", "d_fake"), "mean D")):
            for name in names:
                ax.plot(steps, self.history[name], label=name)
            ax.set(title=title, xlabel="step")
            ax.legend()
        axes[2].set_ylim(0, 1)
        if panels == 4:
            axes[3].plot(steps, self.history["fid"], marker="o")
            axes[3].set(title="FID (lower is better)", xlabel="step", yscale="log")
        fig.tight_layout()
        return fig

    def _redraw(self) -> None:
        from IPython.display import display

        fig = self.figure()
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    from . import data, metrics, train
    from .environment import setup

    parser = argparse.ArgumentParser(description="Train the generator shipped in data/pretrained/.")
    parser.add_argument("--steps", type=int, default=40_000, help="total steps, counting resumed ones")
    parser.add_argument("--width", type=int, default=128, help="generator width (channels of its 7x7 map)")
    parser.add_argument("--d-width", type=int, default=64, help="discriminator width")
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--ema-decay", type=float, default=0.999)
    parser.add_argument("--decay-steps", type=int, default=0, help="lower the learning rate to 0 over the last N steps")
    parser.add_argument("--real-label", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fid-samples", type=int, default=10_000, help="test images and samples per FID")
    parser.add_argument("--checkpoint", type=Path, help="save progress here at every report; resume from it")
    parser.add_argument("--out", type=Path, default=gan.GENERATOR_PATH)
    args = parser.parse_args(argv)
    if not 0 <= args.decay_steps <= args.steps:
        parser.error(f"--decay-steps: expected 0 to --steps ({args.steps}), got {args.decay_steps}")

    setup(args.seed)
    (x_train, _), (x_test, _) = data.load_fashion_mnist()
    config = {"latent_dim": args.latent_dim, "width": args.width}
    training = GanTraining(
        gan.build_generator(**config),
        gan.build_discriminator(args.d_width),
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        real_label=args.real_label,
        ema_decay=args.ema_decay,
        learning_rate_decay=(args.steps - args.decay_steps, args.steps) if args.decay_steps else None,
        seed=args.seed,
    )
    if args.checkpoint and args.checkpoint.exists():
        training.restore(args.checkpoint)
        print(f"resumed from {args.checkpoint} at step {training.step}")
    real_features = metrics.classifier_features(x_test[: args.fid_samples, ..., None])

    def fid(generator: keras.Model) -> float:
        generated = gan.to_pixels(gan.sample(generator, len(real_features)))
        return round(metrics.fid(metrics.classifier_features(generated), real_features), 2)

    codes = np.random.default_rng(1).standard_normal((64, args.latent_dim))
    report_every = max(1, args.steps // 20)
    monitor = GanMonitor(report_every, codes, fid=fid, notebook=False)
    real, start = gan.from_pixels(x_train[..., None]), time.perf_counter()
    while training.step < args.steps:
        chunk = min(report_every - training.step % report_every, args.steps - training.step)
        training.train(real, steps=chunk, monitor=monitor, checkpoint=args.checkpoint)
    seconds = time.perf_counter() - start
    scores = {"generator": fid(training.generator), "ema_generator": fid(training.sampler)}
    best = min(scores, key=scores.get)
    shipped = training.generator if best == "generator" else training.sampler
    shares, confidence = metrics.class_coverage(
        metrics.class_probabilities(gan.to_pixels(gan.sample(shipped, len(real_features))))
    )
    record = {
        "steps": training.step,
        "train_seconds_this_run": round(seconds, 1),
        "training": {k: v for k, v in vars(args).items() if k not in ("out", "checkpoint", "width", "latent_dim")},
        "fid_against": f"{len(real_features)} test images, as many samples",
        "fid": scores,
        "shipped": best,
        "fid_during_training": dict(zip(monitor.history["step"], monitor.history["fid"])),
        "class_shares": [round(float(s), 4) for s in shares],
        "mean_confidence": round(confidence, 4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = train.save_model(shipped, args.out, config, record, build=gan.build_generator)
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
