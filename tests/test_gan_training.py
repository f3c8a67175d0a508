import _thread
import json

import numpy as np
import pytest
from PIL import Image

from helpers import gan
from helpers.environment import keras
from helpers.files import CorruptFileError
from helpers.gan_training import GanMonitor, GanTraining, main, save_gif, tile

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
    assert [float(o.learning_rate) for o in training.optimizers] == pytest.approx([0.075, 0.075])


def test_moving_average_follows_the_generator_by_the_decay():
    training = toy_training(ema_decay=0.5)
    training.step = 100  # past the warm-up: (1 + step) / (10 + step) > 0.5, so the decay is 0.5
    before = training.ema_generator.get_layer("point").kernel.numpy().copy()
    training.train(RING, steps=1)
    current = training.generator.get_layer("point").kernel.numpy()
    np.testing.assert_allclose(
        training.ema_generator.get_layer("point").kernel.numpy(), 0.5 * before + 0.5 * current, rtol=1e-5
    )
    assert training.sampler is training.ema_generator


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
    other = GanTraining(gan.build_toy_generator(hidden=4), gan.build_toy_discriminator(hidden=8))
    with pytest.raises(ValueError, match="does not match these networks"):
        other.restore(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({}, "expected at least one budget"), ({"steps": 1, "images": np.zeros((4, 3))}, r"expected shape \(N, 2\)")],
)
def test_bad_training_arguments_are_named(kwargs, message):
    kwargs.setdefault("images", RING)
    with pytest.raises(ValueError, match=message):
        toy_training().train(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"learning_rate_decay": (5, 5)}, "learning_rate_decay: expected"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GanTraining(gan.build_toy_generator(), gan.build_toy_discriminator(), **kwargs)


def test_tile_places_images_row_by_row():
    images = np.stack([np.full((2, 3, 1), value) for value in (-1.0, 0.0, 1.0)])
    picture = tile(images, ncols=2)
    assert picture.shape == (4, 6) and picture.dtype == np.uint8
    assert picture[0, 0] == 0 and picture[0, 3] == 127 and picture[2, 0] == 255 and picture[2, 3] == 0


def test_gif_holds_every_frame(tmp_path):
    frames = [np.full((4, 4), value, dtype=np.uint8) for value in (0, 128, 255)]
    path = save_gif(frames, tmp_path / "training.gif", scale=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (8, 8)
    with pytest.raises(ValueError, match="frames"):
        save_gif([], tmp_path / "empty.gif")


def test_monitor_prints_a_line_per_update_and_keeps_a_frame(capsys):
    training = GanTraining(gan.build_generator(latent_dim=4, width=4), gan.build_discriminator(width=2), batch_size=4)
    monitor = GanMonitor(2, np.zeros((3, 4)), fid=lambda generator: 12.5, notebook=False)
    training.train(np.zeros((8, 28, 28, 1), np.float32), steps=3, monitor=monitor)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["2", "3"]  # every 2 steps, and once at the end
    assert "fid 12.500" in lines[0] and monitor.history["step"] == [2, 3]
    assert len(monitor.frames) == 2 and monitor.frames[0].shape == (28, 28 * 8)
    assert len(monitor.figure().axes) == 4


def test_command_line_trains_resumes_and_ships_a_verified_generator(tmp_path, capsys):
    out, state = tmp_path / "generator.keras", tmp_path / "state.npz"
    tiny = ["--width", "4", "--d-width", "2", "--latent-dim", "3", "--fid-samples", "50", "--checkpoint", str(state)]
    main(["--steps", "2", "--out", str(out), *tiny])
    main(["--steps", "4", "--decay-steps", "2", "--out", str(out), *tiny])
    assert "resumed from" in capsys.readouterr().out
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["steps"] == 4 and record["training"]["decay_steps"] == 2
    assert set(record["fid"]) == {"generator", "ema_generator"}
    assert len(record["class_shares"]) == 10 and record["config"] == {"latent_dim": 3, "width": 4}
    generator = gan.load_pretrained_generator(out)
    assert generator.input_shape == (None, 3) and generator.output_shape == (None, 28, 28, 1)


def test_command_line_refuses_a_decay_longer_than_the_run(capsys):
    with pytest.raises(SystemExit):
        main(["--steps", "10", "--decay-steps", "20"])
    assert "--decay-steps: expected 0 to --steps (10), got 20" in capsys.readouterr().err


def test_a_npz_that_is_no_checkpoint_is_reported(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(CorruptFileError, match="not a checkpoint written by GanTraining.save"):
        toy_training().restore(path)


def test_monitor_has_nothing_to_draw_before_its_first_update():
    with pytest.raises(ValueError, match="nothing to draw yet"):
        GanMonitor(1, np.zeros((1, 2)), notebook=False).figure()
