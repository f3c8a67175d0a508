import numpy as np
import pytest

from helpers import live
from helpers.environment import keras


def tiny_fit(callback, epochs=2):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32)
    model.fit(x, y, epochs=epochs, validation_data=(x, y), verbose=0, callbacks=[callback])


def test_plain_mode_prints_one_line_per_epoch(capsys):
    callback = live.LiveCurves(notebook=False)
    tiny_fit(callback)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2") and "val_loss" in lines[1]
    assert set(callback.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert all(len(values) == 2 for values in callback.history.values())


def test_notebook_mode_displays_once_then_updates_in_place(monkeypatch):
    events = []

    class Handle:
        def update(self, figure):
            events.append(("update", len(figure.axes)))

    def display(figure, display_id):
        events.append(("display", len(figure.axes)))
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", display)
    tiny_fit(live.LiveCurves(notebook=True), epochs=3)
    assert events == [("display", 2), ("update", 2), ("update", 2)]


@pytest.mark.parametrize("variable, expected", [(None, True), ("1", False), ("0", True)])
def test_a_kernel_is_a_notebook_unless_plain_progress_is_asked_for(monkeypatch, variable, expected):
    import IPython

    class FakeKernelShell:
        config = {"IPKernelApp": {}}

    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeKernelShell())
    if variable is None:
        monkeypatch.delenv("COURSE_PLAIN_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("COURSE_PLAIN_PROGRESS", variable)
    assert live.in_notebook() is expected


def test_outside_a_kernel_is_not_a_notebook(monkeypatch):
    monkeypatch.delenv("COURSE_PLAIN_PROGRESS", raising=False)
    assert live.in_notebook() is False  # pytest runs without an IPython kernel
