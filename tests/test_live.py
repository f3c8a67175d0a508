import numpy as np
import pytest

from helpers import gan, live
from helpers.environment import keras
from helpers.gan_training import GanTraining
from helpers.live import GanMonitor


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


def test_monitor_prints_a_line_per_update_and_keeps_a_frame(capsys):
    training = GanTraining(gan.build_generator(latent_dim=4, width=4), gan.build_discriminator(width=2), batch_size=4)
    monitor = GanMonitor(2, np.zeros((3, 4)), fid=lambda generator: 12.5, notebook=False)
    training.train(np.zeros((8, 28, 28, 1), np.float32), steps=3, monitor=monitor)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["2", "3"]  # every 2 steps, and once at the end
    assert lines[0].endswith("fid 12.5") and monitor.history["step"] == [2, 3]
    assert len(monitor.frames) == 2 and monitor.frames[0].shape == (28, 28 * 8)
    assert len(monitor.figure().axes) == 4


def test_monitor_has_nothing_to_draw_before_its_first_update():
    with pytest.raises(ValueError, match="nothing to draw yet"):
        GanMonitor(1, np.zeros((1, 2)), notebook=False).figure()


def test_diffusion_monitor_denoises_the_same_noise_at_every_update(capsys):
    from helpers import diffusion
    from helpers.diffusion_training import DiffusionTraining

    keras.utils.set_random_seed(0)
    training = DiffusionTraining(diffusion.build_unet((8, 8, 16), embedding_dim=16, groups=4), batch_size=4)
    images, labels = np.zeros((4, 28, 28, 1), np.float32), np.arange(4)
    monitor = live.DiffusionMonitor(1, labels=np.arange(3), steps=2, fid=lambda model: 12.5, notebook=False)
    training.train((images, labels), steps=2, monitor=monitor)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  loss")[0] for line in lines] == ["step 1", "step 2"] and lines[1].endswith("fid 12.5")
    assert len(monitor.frames) == 2 and monitor.frames[0].shape == (28, 3 * 28)
    assert monitor.history["step"] == [1, 2] and monitor.history["fid"] == [12.5, 12.5]
    figure = monitor.figure()
    assert len(figure.axes) == 3 and figure.axes[0].get_title() == "the same noise, denoised at step 2"
