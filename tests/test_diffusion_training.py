import numpy as np
import pytest

from helpers import diffusion
from helpers.diffusion_training import DiffusionTraining
from helpers.environment import keras

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(-1, 1, (40, 28, 28, 1)).astype(np.float32)
LABELS = RNG.integers(0, 10, 40)


def tiny_training(**kwargs) -> DiffusionTraining:
    keras.utils.set_random_seed(0)  # the same initial weights every time
    model = diffusion.build_unet(widths=(8, 8, 16), embedding_dim=16, groups=4)
    return DiffusionTraining(model, batch_size=16, **kwargs)


def weights_of(training: DiffusionTraining) -> list[np.ndarray]:
    return [np.asarray(v) for part in training._parts().values() for v in part]


def test_interrupted_and_resumed_training_ends_where_uninterrupted_training_does(tmp_path):
    straight = tiny_training(ema_decay=0.9)
    straight.train((IMAGES, LABELS), steps=4)
    first = tiny_training(ema_decay=0.9)
    first.train((IMAGES, LABELS), steps=2, checkpoint=tmp_path / "state.npz")
    resumed = tiny_training(ema_decay=0.9)
    resumed.restore(tmp_path / "state.npz")
    resumed.train((IMAGES, LABELS), steps=2)
    assert resumed.step == straight.step == 4
    for a, b in zip(weights_of(resumed), weights_of(straight), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_float32_images_and_int32_labels_pass_through_without_a_copy():
    labels = LABELS.astype(np.int32)
    training = tiny_training()
    images, checked_labels = training.check_data((IMAGES, labels))
    assert np.shares_memory(images, IMAGES) and np.shares_memory(checked_labels, labels)
    assert training.sampling_model is training.averages["unet"]


def test_a_resume_with_another_label_dropout_is_refused(tmp_path):
    tiny_training().train((IMAGES, LABELS), steps=1, checkpoint=tmp_path / "state.npz")
    with pytest.raises(ValueError, match="label_dropout: saved 0.1, now 0.2"):
        tiny_training(label_dropout=0.2).restore(tmp_path / "state.npz")


class LossLog:
    """A monitor that keeps every step's loss."""

    every = 1

    def __init__(self) -> None:
        self.losses: list[float] = []

    def update(self, training, logs: dict[str, float]) -> None:
        self.losses.append(logs["loss"])


def test_training_lowers_the_noise_prediction_loss():
    training, log = tiny_training(ema_decay=None), LossLog()
    training.train((IMAGES[:16], LABELS[:16]), steps=60, monitor=log)
    assert np.mean(log.losses[-10:]) < 0.8 * log.losses[0], log.losses
    assert training.sampling_model is training.model


@pytest.mark.parametrize(
    "data, message",
    [
        (IMAGES, r"data: expected a tuple \(images, labels\)"),
        ((IMAGES * 255, LABELS), r"images: expected values in \[-1, 1\]"),
        ((IMAGES, LABELS[:5]), "data: expected non-empty arrays of the same length, got lengths"),
        ((IMAGES, LABELS + 10), "labels: expected classes 0..9"),
        ((IMAGES[:, :14], LABELS), r"images: expected shape \(N, 28, 28, 1\)"),
    ],
)
def test_bad_data_is_named(data, message):
    with pytest.raises(ValueError, match=message):
        tiny_training().train(data, steps=1)
