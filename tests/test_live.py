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


@pytest.mark.parametrize(("variable", "expected"), [(None, True), ("1", False), ("0", True)])
def test_widgets_are_wanted_unless_nobody_watches(monkeypatch, variable, expected):
    if variable is None:
        monkeypatch.delenv("COURSE_STATIC", raising=False)
    else:
        monkeypatch.setenv("COURSE_STATIC", variable)
    assert live.widgets_wanted() is expected


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
    assert len(monitor.frames) == 2 and monitor.frames[0].shape == (28, 28 * 3)  # up to 16 a row; 3 codes here
    assert len(monitor.figure().axes) == 4


def test_monitor_scores_kid_in_a_panel_of_its_own(capsys):
    training = GanTraining(gan.build_generator(latent_dim=4, width=4), gan.build_discriminator(width=2), batch_size=4)
    monitor = GanMonitor(2, np.zeros((20, 4)), kid=lambda generator: -0.5, notebook=False)
    training.train(np.zeros((8, 28, 28, 1), np.float32), steps=2, monitor=monitor)
    assert capsys.readouterr().out.strip().endswith("kid -0.5") and monitor.history["fid"] == []
    assert monitor.frames[0].shape == (2 * 28, 16 * 28)  # 20 codes: 16 a row, so a page's width shows them large
    figure = monitor.figure()
    assert [ax.get_title() for ax in figure.axes[3:]] == ["KID (lower is better)"]
    assert figure.get_size_inches()[0] == 10 and figure.axes[0].get_position().width > 0.8  # the grid spans the page


def test_each_cell_that_trains_gets_a_figure_of_its_own(monkeypatch):
    """A later cell's training must not redraw an earlier cell's figure (on the published page it would
    show a later step there, and the same figure twice)."""
    events, cell = [], [1]

    class Handle:
        def __init__(self, number):
            self.number = number

        def update(self, figure):
            events.append(("update", self.number, figure.axes[0].get_title()))

    def display(figure, display_id):
        events.append(("display", cell[0], figure.axes[0].get_title()))
        return Handle(cell[0])

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(live, "cell_number", lambda: cell[0])
    training = GanTraining(gan.build_generator(latent_dim=4, width=4), gan.build_discriminator(width=2), batch_size=4)
    monitor = GanMonitor(1, np.zeros((3, 4)), notebook=True)
    training.train(np.zeros((8, 28, 28, 1), np.float32), steps=2, monitor=monitor)
    cell[0] = 2  # the next cell resumes with the same monitor
    training.train(np.zeros((8, 28, 28, 1), np.float32), steps=1, monitor=monitor)
    assert events == [
        ("display", 1, "fixed codes, step 1"),
        ("update", 1, "fixed codes, step 2"),
        ("display", 2, "fixed codes, step 3"),
    ]


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
