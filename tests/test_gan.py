import numpy as np
import pytest

from helpers import gan
from helpers.environment import keras, tf


def test_generator_and_discriminator_shapes():
    generator, discriminator = gan.build_generator(latent_dim=16, width=8), gan.build_discriminator(width=4)
    assert generator.output_shape == (None, 28, 28, 1) and discriminator.output_shape == (None, 1)
    images = generator(tf.random.normal((3, 16))).numpy()
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert generator.get_layer("project").count_params() == 16 * 7 * 7 * 8  # no bias before batch norm


def test_losses_are_binary_cross_entropy_with_the_right_labels():
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-1.0], [3.0]])

    def bce(logits, label):  # -[y log s + (1 - y) log(1 - s)], averaged
        s = 1 / (1 + np.exp(-logits.numpy()))
        return float(np.mean(-(label * np.log(s) + (1 - label) * np.log(1 - s))))

    assert float(gan.discriminator_loss(real, fake)) == pytest.approx(bce(real, 1) + bce(fake, 0), rel=1e-5)
    assert float(gan.generator_loss(fake)) == pytest.approx(bce(fake, 1), rel=1e-5)


def test_train_step_updates_both_networks_and_takes_any_batch_size():
    keras.utils.set_random_seed(0)
    generator, discriminator = gan.build_generator(latent_dim=8, width=8), gan.build_discriminator(width=4)
    step = gan.make_train_step(generator, discriminator, keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    before = [w.numpy().copy() for w in (generator.get_layer("up2").kernel, discriminator.get_layer("logit").kernel)]
    for batch_size in (5, 3):  # a short last batch must work too
        real = tf.random.uniform((batch_size, 28, 28, 1), -1, 1)
        d_real = float(tf.reduce_mean(tf.sigmoid(discriminator(real))))  # D as the step finds it
        logs = step(real)
        assert float(logs["d_real"]) == pytest.approx(d_real, rel=1e-5), "d_real: mean D(x) before the update"
    after = [w.numpy() for w in (generator.get_layer("up2").kernel, discriminator.get_layer("logit").kernel)]
    assert all(not np.array_equal(b, a) for b, a in zip(before, after)), "both networks learn"
    assert set(logs) == {"g_loss", "d_loss", "d_real", "d_fake"}


def test_one_optimizer_for_both_networks_is_refused():
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="expected two optimizers, got the same one twice"):
        gan.make_train_step(gan.build_generator(8, 8), gan.build_discriminator(4), optimizer, optimizer)


@pytest.mark.parametrize("call", [lambda: gan.build_generator(latent_dim=0), lambda: gan.build_discriminator(width=0)])
def test_bad_sizes_are_named(call):
    with pytest.raises(ValueError, match="expected >= 1"):
        call()


def test_a_discriminator_that_cannot_read_the_generators_images_is_named():
    generator = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(64 * 64 * 3), keras.layers.Reshape((64, 64, 3))]
    )
    discriminator = keras.Sequential([keras.Input((16, 16, 128)), keras.layers.Flatten(), keras.layers.Dense(1)])
    optimizers = keras.optimizers.Adam(), keras.optimizers.Adam()
    with pytest.raises(
        ValueError, match=r"reads samples of shape \(16, 16, 128\), but the generator makes \(64, 64, 3\)"
    ):
        gan.make_train_step(generator, discriminator, *optimizers)


def test_discriminator_loss_with_label_smoothing_uses_the_soft_label():
    real, fake = tf.constant([[1.0]]), tf.constant([[-1.0]])
    s = 1 / (1 + np.exp(-1.0))
    expected = -(0.9 * np.log(s) + 0.1 * np.log(1 - s)) - np.log(1 - 1 / (1 + np.exp(1.0)))
    assert float(gan.discriminator_loss(real, fake, real_label=0.9)) == pytest.approx(expected, rel=1e-5)


def test_toy_networks_and_seeded_samples():
    generator = gan.build_toy_generator(latent_dim=3, hidden=4)
    assert generator.output_shape == (None, 2) and gan.build_toy_discriminator(hidden=4).output_shape == (None, 1)
    first, again = gan.sample(generator, 5, seed=1), gan.sample(generator, 5, seed=1)
    assert first.shape == (5, 2) and np.array_equal(first, again)
    assert not np.array_equal(first, gan.sample(generator, 5, seed=2))


def test_sample_names_a_bad_count():
    with pytest.raises(ValueError, match="n: expected >= 1 samples, got 0"):
        gan.sample(gan.build_generator(latent_dim=4, width=4), 0)


def constant_generator(image: np.ndarray, latent_dim: int = 4) -> keras.Model:
    """A collapsed generator: every code (N, latent_dim) becomes ``image`` (28, 28, 1) in [-1, 1]."""
    project = keras.layers.Dense(28 * 28, kernel_initializer="zeros", bias_initializer="zeros")
    model = keras.Sequential([keras.Input((latent_dim,)), project, keras.layers.Reshape((28, 28, 1))])
    project.bias.assign(image.ravel())
    return model


def test_evaluate_scores_a_collapsed_generator_as_one_class_with_no_spread():
    from helpers import metrics

    rng = np.random.default_rng(0)
    real = metrics.classifier_features(rng.integers(0, 256, (40, 28, 28, 1)).astype(np.float32))
    boot = np.linspace(-1, 1, 28 * 28, dtype=np.float32).reshape(28, 28, 1)
    scores = gan.evaluate(constant_generator(boot), real, n=30)
    assert set(scores) == {"fid", "kid", "class_shares", "mean_confidence", "spread", "ms_per_sample"}
    assert sorted(scores["class_shares"])[-1] == 1.0 and sum(scores["class_shares"]) == pytest.approx(1.0)
    assert scores["spread"] == pytest.approx(0.0, abs=1e-5) and scores["fid"] > 0 and scores["ms_per_sample"] > 0
    varied = gan.evaluate(gan.build_generator(latent_dim=4, width=4), real, n=30)
    assert varied["spread"] > 0.01, "different codes, different images"
    assert gan.evaluate(constant_generator(boot), real, n=30)["fid"] == pytest.approx(scores["fid"], rel=1e-6)


def test_ring_of_gaussians_spreads_points_evenly_over_the_modes():
    points, centers = gan.ring_of_gaussians(800, modes=8, radius=2.0, std=0.05, seed=1)
    assert points.shape == (800, 2) and centers.shape == (8, 2) and points.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0, rtol=1e-6)
    nearest = np.linalg.norm(points[:, None] - centers[None], axis=2).argmin(axis=1)
    assert np.bincount(nearest, minlength=8).tolist() == [100] * 8
    assert np.array_equal(points, gan.ring_of_gaussians(800, modes=8, radius=2.0, std=0.05, seed=1)[0])
    with pytest.raises(ValueError, match="n, modes, std"):
        gan.ring_of_gaussians(0)
