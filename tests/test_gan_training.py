import _thread

import numpy as np
import pytest

from helpers import gan
from helpers.environment import keras
from helpers.files import CorruptFileError
from helpers.gan_training import GanTraining
from helpers.live import GanMonitor

RING = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)


def toy_training(**kwargs) -> GanTraining:
    keras.utils.set_random_seed(0)  # the same initial weights every time
    return GanTraining(
        gan.build_toy_generator(hidden=8), gan.build_toy_discriminator(hidden=8), batch_size=16, **kwargs
    )


def weights_of(training: GanTraining) -> list[np.ndarray]:
    return [np.asarray(v) for part in training._parts().values() for v in part]


def test_batches_cover_every_sample_once_per_epoch_and_the_last_one_is_short():
    training = toy_training()
    batches = [training.batch_indices(step, 50) for step in range(4)]  # ceil(50 / 16) = 4 per epoch
    assert [len(b) for b in batches] == [16, 16, 16, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(50))
    assert not np.array_equal(training.batch_indices(4, 50), batches[0]), "a new shuffle each epoch"


@pytest.mark.parametrize("decay", [None, (2, 6)])
def test_interrupted_and_resumed_training_ends_where_uninterrupted_training_does(tmp_path, decay):
    straight = toy_training(ema_decay=0.9, learning_rate_decay=decay)
    straight.train(RING, steps=6)

    first = toy_training(ema_decay=0.9, learning_rate_decay=decay)
    first.train(RING, steps=3, checkpoint=tmp_path / "state.npz")
    resumed = toy_training(ema_decay=0.9, learning_rate_decay=decay)  # a fresh process would build the same networks
    resumed.restore(tmp_path / "state.npz")
    assert resumed.step == 3
    resumed.train(RING, steps=3)

    assert resumed.step == straight.step == 6
    for a, b in zip(weights_of(resumed), weights_of(straight)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_an_interrupt_stops_after_a_whole_step_and_still_saves(tmp_path, capsys):
    training = toy_training()
    monitor = GanMonitor(2, np.zeros((1, 2)), fid=lambda generator: _thread.interrupt_main() or 0.0, notebook=False)
    training.train(RING, steps=100, monitor=monitor, checkpoint=tmp_path / "state.npz")
    assert training.step == 2 and "interrupted: stopped after step 2" in capsys.readouterr().out
    resumed = toy_training()
    resumed.restore(tmp_path / "state.npz")
    assert resumed.step == 2


def test_learning_rate_falls_linearly_to_zero_over_the_decay_steps():
    training = toy_training(learning_rate=0.1, learning_rate_decay=(2, 6))
    assert [training.learning_rate_at(step) for step in (0, 2, 3, 6, 9)] == pytest.approx([0.1, 0.1, 0.075, 0, 0])
    training.train(RING, steps=4)  # the last step taken is step 3
    assert [float(o.learning_rate) for o in training.optimizers.values()] == pytest.approx([0.075, 0.075])


def test_moving_average_follows_the_generator_by_the_decay():
    training = toy_training(ema_decay=0.5)
    training.step = 100  # past the warm-up: (1 + step) / (10 + step) > 0.5, so the decay is 0.5
    before = training.ema_generator.get_layer("point").kernel.numpy().copy()
    training.train(RING, steps=1)
    current = training.generator.get_layer("point").kernel.numpy()
    np.testing.assert_allclose(
        training.ema_generator.get_layer("point").kernel.numpy(), 0.5 * before + 0.5 * current, rtol=1e-5
    )
    assert training.sampling_model is training.ema_generator


def test_without_a_moving_average_samples_come_from_the_generator():
    training = toy_training()
    assert training.ema_generator is None and training.sampling_model is training.generator


def test_moving_average_starts_with_a_lower_decay():
    training = toy_training(ema_decay=0.999)
    before = training.ema_generator.get_layer("point").kernel.numpy().copy()
    training.train(RING, steps=1)  # step 0: rate 1/10, so the average moves 90% of the way
    current = training.generator.get_layer("point").kernel.numpy()
    np.testing.assert_allclose(
        training.ema_generator.get_layer("point").kernel.numpy(), 0.1 * before + 0.9 * current, rtol=1e-5
    )


def test_a_truncated_checkpoint_is_reported_with_the_fix(tmp_path):
    training = toy_training()
    path = training.save(tmp_path / "state.npz")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match="Delete it to start training from scratch"):
        training.restore(path)


def test_a_checkpoint_of_other_networks_is_refused(tmp_path):
    path = toy_training().save(tmp_path / "state.npz")
    other = GanTraining(gan.build_toy_generator(hidden=4), gan.build_toy_discriminator(hidden=8), batch_size=16)
    with pytest.raises(ValueError, match="does not match these networks"):
        other.restore(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "expected at least one budget"),
        ({"steps": 1, "data": np.zeros((4, 3))}, r"images: expected shape \(N, 2\)"),
        ({"steps": 0}, "steps: expected >= 1, got 0"),
        ({"seconds": -1}, "seconds: expected > 0, got -1"),
        ({"steps": 1, "data": np.zeros((0, 2))}, "data: expected a non-empty batch"),
    ],
)
def test_bad_training_arguments_are_named(kwargs, message, tmp_path):
    kwargs.setdefault("data", RING)
    with pytest.raises(ValueError, match=message):
        toy_training().train(checkpoint=tmp_path / "state.npz", **kwargs)
    assert not (tmp_path / "state.npz").exists(), "a refused run saves nothing"


def test_raw_pixels_are_refused_where_the_gan_needs_minus_one_to_one():
    training = GanTraining(gan.build_generator(latent_dim=4, width=4), gan.build_discriminator(width=2), batch_size=4)
    with pytest.raises(
        ValueError, match=r"images: expected values in \[-1, 1\] \(pixels.from_pixels converts 0..255\), got 0..255"
    ):
        training.train(np.linspace(0, 255, 8 * 28 * 28).reshape(8, 28, 28, 1), steps=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"learning_rate_decay": (5, 5)}, "learning_rate_decay: expected"),
        ({"learning_rate_decay": (5,)}, "learning_rate_decay: expected"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GanTraining(gan.build_toy_generator(), gan.build_toy_discriminator(), **kwargs)


def test_a_npz_that_is_no_checkpoint_is_reported(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(CorruptFileError, match="not a checkpoint written by this version"):
        toy_training().restore(path)
