"""Training progress shown as it happens: a figure redrawn in place in Jupyter and Colab, one line per
update elsewhere. ``LiveCurves`` follows ``model.fit``; ``GanMonitor`` and ``DiffusionMonitor``, two
kinds of :class:`TrainingMonitor`, follow the resumable loop (:mod:`helpers.loop`) training a GAN or a
diffusion model.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np

from . import plot
from .environment import keras

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


STATIC = "COURSE_STATIC"  # set to 1 by whatever runs a lesson with nobody watching


def widgets_wanted() -> bool:
    """False when ``COURSE_STATIC=1``: the course's tests, website build and timings set it, since a
    static page cannot use a slider, and a widget's messages can stall a headless run (nbclient#312)."""
    return os.environ.get(STATIC) != "1"


def cell_number() -> int | None:
    """The number of the notebook cell running now (IPython's execution count), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


class _LiveFigure:
    """One output area per notebook cell that shows the latest figure: created by the cell's first
    ``show``, replaced by its later ones. A later cell gets an output area of its own, so an earlier
    cell's figure keeps showing what that cell ran (an update would redraw it on the published page)."""

    def __init__(self) -> None:
        self._handle, self._cell = None, None

    def show(self, figure: plt.Figure) -> None:
        from IPython.display import display

        cell = cell_number()
        if self._handle is None or cell != self._cell:
            self._handle, self._cell = display(figure, display_id=True), cell
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


class TrainingMonitor:
    """Every ``every`` steps of :meth:`helpers.loop.ResumableTraining.train`: record the step, the mean
    ``logs`` and the scores ``fid`` and ``kid`` (each, when given, a function of the network to sample
    from: FID needs thousands of samples, KID a few hundred), draw a preview, then redraw :meth:`figure`
    in Jupyter and Colab or print one line elsewhere (and under the test suite). In a notebook each
    cell that trains with the monitor gets a figure of its own. ``frames`` keeps each preview grid
    (uint8, (H, W)) for :func:`helpers.plot.save_gif`.

    A subclass names its ``logs`` and supplies :meth:`preview` and :meth:`draw`.
    """

    logs: tuple[str, ...] = ()  # the names of the step function's logs it records
    panels: int = 1  # the axes :meth:`draw` fills
    scores = ("fid", "kid")

    def __init__(
        self,
        every: int,
        fid: Callable[[keras.Model], float] | None = None,
        notebook: bool | None = None,
        kid: Callable[[keras.Model], float] | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every: expected >= 1 steps, got {every}")
        self.every, self.fid, self.kid = every, fid, kid
        self.notebook = in_notebook() if notebook is None else notebook
        self.history: dict[str, list[float]] = {name: [] for name in ("step", *self.logs, *self.scores)}
        self.frames: list[np.ndarray] = []
        self._live = _LiveFigure()

    def update(self, training, logs: dict[str, float]) -> None:
        self.history["step"].append(training.step)
        for name in self.logs:
            self.history[name].append(logs[name])
        for name, score in (("fid", self.fid), ("kid", self.kid)):
            if score is not None:
                self.history[name].append(score(training.sampling_model))
        self.preview(training.sampling_model)
        if self.notebook:
            self._live.show(self.figure())
        else:
            shown = [name for name in (*self.logs, *self.scores) if self.history[name]]
            print(f"step {training.step}  " + "  ".join(f"{name} {self.history[name][-1]:.4g}" for name in shown),
                  flush=True)  # fmt: skip

    def preview(self, model: keras.Model) -> None:
        """Draw the fixed inputs with ``model`` and append a frame (or keep what :meth:`draw` shows)."""
        raise NotImplementedError

    def figure(self) -> plt.Figure:
        """The latest preview across the top, 10 inches wide (legible on an 800-pixel page); below it the
        curves of the logs and of each measured score."""
        if not self.history["step"]:
            raise ValueError("monitor: nothing to draw yet; it draws after its first update")
        measured = [name for name in self.scores if self.history[name]]
        columns = self.panels - 1 + len(measured)
        height, width = self.frames[-1].shape if self.frames else (1, 1)
        preview_height = float(np.clip(10 * height / width, 1.0, 4.0)) + 0.4  # and its title
        fig = plt.figure(figsize=(10, preview_height + 3.2))
        grid = fig.add_gridspec(2, columns, height_ratios=[preview_height, 3.2])
        axes = [fig.add_subplot(grid[0, :])] + [fig.add_subplot(grid[1, i]) for i in range(columns)]
        self.draw(axes)
        for ax, name in zip(axes[self.panels :], measured, strict=True):
            ax.plot(self.history["step"], self.history[name], marker="o")
            ax.set(title=f"{name.upper()} (lower is better)", xlabel="step")
            if name == "fid":  # KID may be just below 0, so only FID gets a log scale
                ax.set_yscale("log")
        fig.tight_layout()
        return fig

    def draw(self, axes) -> None:
        """Fill the first :attr:`panels` axes: the preview, then the curves of the logs."""
        raise NotImplementedError


class GanMonitor(TrainingMonitor):
    """The fixed-code sample grid, both losses, mean D(real) and D(fake); ``codes`` (n, latent_dim) are
    the fixed latent codes. The 2-D warm-up's generator makes points, shown as a scatter plot."""

    logs, panels = GAN_LOGS, 3

    def __init__(
        self,
        every: int,
        codes: np.ndarray,
        fid: Callable[[keras.Model], float] | None = None,
        notebook: bool | None = None,
        kid: Callable[[keras.Model], float] | None = None,
    ) -> None:
        super().__init__(every, fid, notebook, kid)
        self.codes = np.asarray(codes, dtype=np.float32)
        self.samples = np.zeros((0,))  # the latest samples of the fixed codes

    def preview(self, model: keras.Model) -> None:
        self.samples = model(self.codes, training=False).numpy()
        if self.samples.ndim == 4:  # images; the 2-D warm-up's points make no frame
            self.frames.append(plot.tile(self.samples, ncols=min(16, len(self.samples))))

    def draw(self, axes) -> None:
        if self.samples.ndim == 4:
            axes[0].imshow(self.frames[-1], cmap="gray", vmin=0, vmax=255)
            axes[0].axis("off")
        else:
            axes[0].scatter(*self.samples.T, s=4)
            axes[0].set_aspect("equal")
        axes[0].set_title(f"fixed codes, step {self.history['step'][-1]}")
        steps = self.history["step"]
        for ax, names, title in ((axes[1], ("g_loss", "d_loss"), "losses"), (axes[2], ("d_real", "d_fake"), "mean D")):
            for name in names:
                ax.plot(steps, self.history[name], label=name)
            ax.set(title=title, xlabel="step")
            ax.legend()
        axes[2].set_ylim(0, 1)


class DiffusionMonitor(TrainingMonitor):
    """The same noise denoised by the current model, and the loss.

    ``labels`` (n,) says which class each of the fixed noise images is asked to become; the preview
    uses DDIM with ``steps`` steps and guidance ``guidance`` (few steps, so it stays cheap).
    """

    logs, panels = ("loss",), 2

    def __init__(
        self,
        every: int,
        labels: np.ndarray,
        steps: int = 10,
        guidance: float = 2.0,
        seed: int = 1,
        fid: Callable[[keras.Model], float] | None = None,
        notebook: bool | None = None,
        kid: Callable[[keras.Model], float] | None = None,
    ) -> None:
        super().__init__(every, fid, notebook, kid)
        self.labels, self.steps, self.guidance, self.seed = np.asarray(labels), steps, guidance, seed

    def preview(self, model: keras.Model) -> None:
        from .diffusion import sample

        images = sample(model, len(self.labels), self.labels, self.seed, self.steps, self.guidance)
        self.frames.append(plot.tile(images, ncols=min(10, len(images))))

    def draw(self, axes) -> None:
        axes[0].imshow(self.frames[-1], cmap="gray", vmin=0, vmax=255)
        axes[0].set_title(f"the same noise, denoised at step {self.history['step'][-1]}")
        axes[0].axis("off")
        axes[1].plot(self.history["step"], self.history["loss"])
        axes[1].set(title="noise-prediction loss (MSE)", xlabel="step", yscale="log")
