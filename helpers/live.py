"""Training progress shown as it happens: figures redrawn in place in Jupyter and Colab, one line per
update elsewhere. ``LiveCurves`` follows ``model.fit``; ``GanMonitor`` and ``DiffusionMonitor`` follow the
resumable loop training a GAN or a diffusion model; ``tile`` and ``save_gif`` turn samples into a
picture and an animation.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import plot
from .environment import keras
from .files import atomic_write
from .gan import to_pixels

GAN_LOGS = ("g_loss", "d_loss", "d_real", "d_fake")


def in_notebook() -> bool:
    """True inside a Jupyter or Colab kernel, unless ``COURSE_PLAIN_PROGRESS=1`` asks for plain text.

    The test suite sets that variable, so executed notebooks log one line per epoch instead of images.
    """
    if os.environ.get("COURSE_PLAIN_PROGRESS") == "1":
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


class _LiveFigure:
    """One output area that shows the latest figure: created on the first ``show``, replaced after."""

    def __init__(self) -> None:
        self._handle = None

    def show(self, figure: plt.Figure) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display(figure, display_id=True)
        else:
            self._handle.update(figure)
        plt.close(figure)  # shown through the handle; keep the inline backend from showing it twice


class LiveCurves(keras.callbacks.Callback):
    """Redraw the training curves after every epoch in one output area, or print one line per epoch.

    After training, ``history`` holds every logged metric per epoch (like ``History.history``).
    """

    def __init__(self, notebook: bool | None = None) -> None:
        super().__init__()
        self.notebook = in_notebook() if notebook is None else notebook
        self.history: dict[str, list[float]] = {}
        self._live = _LiveFigure()

    def on_train_begin(self, logs=None) -> None:
        self.history, self._live = {}, _LiveFigure()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        for name, value in (logs or {}).items():
            if name != "learning_rate":
                self.history.setdefault(name, []).append(float(value))
        if self.notebook:
            self._live.show(plot.training_curves(self.history))
        else:
            total = self.params.get("epochs", "?")
            numbers = "  ".join(f"{name} {values[-1]:.4f}" for name, values in self.history.items())
            print(f"epoch {epoch + 1}/{total}  {numbers}", flush=True)


def tile(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Images (N, H, W, 1) in [-1, 1] -> one uint8 picture (rows*H, ncols*W), gaps left black."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 1 or len(images) == 0:
        raise ValueError(f"images: expected shape (N, H, W, 1) with N >= 1, got {images.shape}")
    if ncols < 1:
        raise ValueError(f"ncols: expected >= 1, got {ncols}")
    n, h, w, _ = images.shape
    rows = math.ceil(n / ncols)
    canvas = np.zeros((rows * h, ncols * w), dtype=np.uint8)
    for i, image in enumerate(to_pixels(images)[..., 0].astype(np.uint8)):
        row, col = divmod(i, ncols)
        canvas[row * h : (row + 1) * h, col * w : (col + 1) * w] = image
    return canvas


def save_gif(frames: list[np.ndarray], path: str | Path, seconds_per_frame: float = 0.25, scale: int = 2) -> Path:
    """Write uint8 grayscale frames (H, W) as a looping GIF, atomically; returns the path."""
    from PIL import Image

    if not frames:
        raise ValueError("frames: expected at least one frame, got none")
    shapes = {np.shape(frame) for frame in frames}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or any(np.asarray(f).dtype != np.uint8 for f in frames):
        raise ValueError(f"frames: expected uint8 arrays (H, W), all of one shape; got shapes {sorted(shapes)}")
    if scale < 1 or not seconds_per_frame > 0:
        raise ValueError(f"scale, seconds_per_frame: expected >= 1 and > 0, got {scale} and {seconds_per_frame}")
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
        self.history: dict[str, list[float]] = {name: [] for name in ("step", *GAN_LOGS, "fid")}
        self.frames: list[np.ndarray] = []
        self.samples = np.zeros((0,))  # the latest samples of the fixed codes
        self._live = _LiveFigure()

    def update(self, training, logs: dict[str, float]) -> None:
        self.history["step"].append(training.step)
        for name in GAN_LOGS:
            self.history[name].append(logs[name])
        if self.fid is not None:
            self.history["fid"].append(self.fid(training.sampler))
        self.samples = training.sampler(self.codes, training=False).numpy()
        if self.samples.ndim == 4:  # images; the 2-D warm-up's points make no frame
            self.frames.append(tile(self.samples))
        if self.notebook:
            self._live.show(self.figure())
        else:
            numbers = "  ".join(
                f"{name} {self.history[name][-1]:.3f}" for name in (*GAN_LOGS, "fid") if self.history[name]
            )
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


class DiffusionMonitor:
    """Every ``every`` steps: the same noise denoised by the current model, the loss, and (optionally) FID.

    ``labels`` (n,) says which class each of the fixed noise images is asked to become; the preview
    uses DDIM with ``steps`` steps and guidance ``guidance`` (few steps, so it stays cheap). In Jupyter
    and Colab one figure is redrawn in place; elsewhere each update prints one line. ``score`` (optional)
    maps the sampler network to its FID, recorded at every update. ``frames`` keeps each grid for ``save_gif``.
    """

    def __init__(
        self,
        every: int,
        labels: np.ndarray,
        steps: int = 10,
        guidance: float = 2.0,
        seed: int = 1,
        score: Callable[[keras.Model], float] | None = None,
        notebook: bool | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every: expected >= 1 steps, got {every}")
        self.every, self.labels, self.steps, self.guidance, self.seed = every, np.asarray(labels), steps, guidance, seed
        self.score = score
        self.notebook = in_notebook() if notebook is None else notebook
        self.history: dict[str, list[float]] = {"step": [], "loss": [], "fid": []}
        self.frames: list[np.ndarray] = []
        self._live = _LiveFigure()

    def update(self, training, logs: dict[str, float]) -> None:
        from .diffusion import sample

        self.history["step"].append(training.step)
        self.history["loss"].append(logs["loss"])
        if self.score is not None:
            self.history["fid"].append(self.score(training.sampler))
        preview = sample(training.sampler, len(self.labels), self.labels, self.seed, self.steps, self.guidance)
        self.frames.append(tile(preview, ncols=min(10, len(preview))))
        if self.notebook:
            self._live.show(self.figure())
        else:
            fid = f"  fid {self.history['fid'][-1]:.2f}" if self.history["fid"] else ""
            print(f"step {training.step}  loss {logs['loss']:.4f}{fid}", flush=True)

    def figure(self) -> plt.Figure:
        """The latest denoised grid beside the loss curve and (if measured) FID."""
        if not self.history["step"]:
            raise ValueError("monitor: nothing to draw yet; it draws after its first update")
        panels = 3 if self.history["fid"] else 2
        fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3.6))
        axes[0].imshow(self.frames[-1], cmap="gray", vmin=0, vmax=255)
        axes[0].set_title(f"the same noise, denoised at step {self.history['step'][-1]}")
        axes[0].axis("off")
        axes[1].plot(self.history["step"], self.history["loss"])
        axes[1].set(title="noise-prediction loss (MSE)", xlabel="step", yscale="log")
        if panels == 3:
            axes[2].plot(self.history["step"], self.history["fid"], marker="o")
            axes[2].set(title="FID (lower is better)", xlabel="step", yscale="log")
        fig.tight_layout()
        return fig
