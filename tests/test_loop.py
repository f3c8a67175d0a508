"""The generic loop, driven by a model that is not a GAN: a linear regression with noisy targets."""

import numpy as np
import pytest

from helpers.environment import keras, tf
from helpers.files import CorruptFileError
from helpers.loop import ResumableTraining

POINTS = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)


class NoisyRegression(ResumableTraining):
    """Fits y = x·(1, 2, 3) + noise drawn from ``self.rng``, so resuming must restore the generator's state too."""

    def __init__(self, **kwargs) -> None:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="line")])
        kwargs.setdefault("learning_rate", 0.05)
        super().__init__(
            {"line": model}, {"line": keras.optimizers.SGD(kwargs["learning_rate"])}, batch_size=8, **kwargs
        )
        optimizer, target = self.optimizers["line"], tf.constant([[1.0], [2.0], [3.0]])

        @tf.function
        def step(batch):
            y = batch @ target + 0.1 * self.rng.normal((tf.shape(batch)[0], 1))
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((model(batch) - y) ** 2)
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return {"loss": loss}

        self.step_function = step


def weights(training: ResumableTraining) -> list[np.ndarray]:
    return [np.asarray(v) for part in training._parts().values() for v in part]


def test_any_model_resumes_exactly_with_its_average_and_schedule(tmp_path):
    settings = {"ema": ("line", 0.9), "learning_rate_decay": (3, 9)}
    straight = NoisyRegression(**settings)
    straight.train(POINTS, steps=8)
    first = NoisyRegression(**settings)
    first.train(POINTS, steps=5, checkpoint=tmp_path / "state.npz")
    resumed = NoisyRegression(**settings)
    resumed.restore(tmp_path / "state.npz")
    resumed.train(POINTS, steps=3)
    assert resumed.step == straight.step == 8
    for a, b in zip(weights(resumed), weights(straight), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(weights(NoisyRegression())[0], weights(straight)[0]), "training changed the weights"


def test_a_time_budget_stops_training(monkeypatch):
    clock = iter(range(100))
    monkeypatch.setattr("helpers.loop.time.perf_counter", lambda: float(next(clock)))
    training = NoisyRegression()
    training.train(POINTS, seconds=3.5)  # the clock reads 0 at the start and ticks once per check
    assert training.step == 3


class Recorder:
    every = 2

    def __init__(self):
        self.calls = []

    def update(self, training, logs):
        self.calls.append((training.step, sorted(logs)))


def test_the_monitor_gets_mean_logs_every_few_steps_and_at_the_end():
    recorder = Recorder()
    NoisyRegression().train(POINTS, steps=5, monitor=recorder)
    assert recorder.calls == [(2, ["loss"]), (4, ["loss"]), (5, ["loss"])]


def test_resuming_with_other_settings_is_refused_in_words(tmp_path):
    NoisyRegression(learning_rate=0.05).save(tmp_path / "state.npz")
    with pytest.raises(ValueError, match=r"other settings \(learning_rate: saved 0.05, now 0.1\)"):
        NoisyRegression(learning_rate=0.1).restore(tmp_path / "state.npz")


def test_a_missing_checkpoint_is_not_called_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint there"):
        NoisyRegression().restore(tmp_path / "nothing.npz")


def test_a_checkpoint_from_before_the_rng_rename_is_refused(tmp_path):
    path = NoisyRegression().save(tmp_path / "old.npz")
    with np.load(path) as stored:
        arrays = {("noise_state" if name == "rng_state" else name): stored[name] for name in stored.files}
    np.savez(path, **arrays)
    with pytest.raises(CorruptFileError, match="not a checkpoint written by this version"):
        NoisyRegression().restore(tmp_path / "old.npz")


def test_float32_data_is_not_copied():
    training = NoisyRegression()
    assert np.shares_memory(training.check_data(POINTS), POINTS)
    labels = np.arange(len(POINTS))
    assert all(np.shares_memory(a, b) for a, b in zip(training.check_data((POINTS, labels)), (POINTS, labels)))


def test_a_subclass_without_a_step_function_is_told_so():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(TypeError, match="sets no step_function"):
        ResumableTraining({"m": model}, {}, learning_rate=0.1).train(POINTS, steps=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0}, "learning_rate: expected > 0"),
        ({"ema": ("nothing", 0.9)}, r"ema: expected \(one of \['m'\], ema_decay\), got \('nothing', 0.9\)"),
        ({"ema": ("m", 1.0)}, r"ema_decay: expected a number in \(0, 1\), got 1.0"),
        ({"learning_rate_decay": (5,)}, "learning_rate_decay: expected"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    kwargs.setdefault("learning_rate", 0.1)
    with pytest.raises(ValueError, match=message):
        ResumableTraining({"m": model}, {}, **kwargs)
