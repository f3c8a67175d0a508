"""Training progress that updates in place: a Keras callback for Jupyter, Colab and plain scripts."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt

from . import plot
from .environment import keras


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


class LiveCurves(keras.callbacks.Callback):
    """Redraw the training curves after every epoch in one output area, or print one line per epoch.

    After training, ``history`` holds every logged metric per epoch (like ``History.history``).
    """

    def __init__(self, notebook: bool | None = None) -> None:
        super().__init__()
        self.notebook = in_notebook() if notebook is None else notebook
        self.history: dict[str, list[float]] = {}
        self._handle = None

    def on_train_begin(self, logs=None) -> None:
        self.history, self._handle = {}, None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        for name, value in (logs or {}).items():
            if name != "learning_rate":
                self.history.setdefault(name, []).append(float(value))
        if self.notebook:
            self._redraw()
        else:
            total = self.params.get("epochs", "?")
            numbers = "  ".join(f"{name} {values[-1]:.4f}" for name, values in self.history.items())
            print(f"epoch {epoch + 1}/{total}  {numbers}", flush=True)

    def _redraw(self) -> None:
        from IPython.display import display

        figure = plot.training_curves(self.history)
        if self._handle is None:
            self._handle = display(figure, display_id=True)
        else:
            self._handle.update(figure)
        plt.close(figure)  # shown through the handle; keep the inline backend from showing it twice
