import numpy as np
import pytest

from helpers import diffusion
from helpers.environment import keras, tf

TARGET = np.linspace(-0.9, 0.9, 28 * 28, dtype=np.float32).reshape(1, 28, 28, 1)  # the one "training image"


class Oracle(keras.Model):
    """The perfect noise predictor for a data set of one image: eps = (x_t - sqrt(a_t) x0) / sqrt(1 - a_t)."""

    def call(self, inputs):
        x, t, _ = inputs
        signal = tf.reshape(tf.gather(tf.constant(diffusion.ALPHA_BAR, tf.float32), t), (-1, 1, 1, 1))
        return (x - tf.sqrt(signal) * TARGET) / tf.sqrt(1.0 - signal)


@pytest.fixture(scope="module")
def tiny_unet():
    keras.utils.set_random_seed(0)
    model = diffusion.build_unet(widths=(8, 8, 16), embedding_dim=16, groups=4)
    out = model.get_layer("noise")
    out.kernel.assign(np.random.default_rng(0).normal(scale=0.1, size=out.kernel.shape))  # not zeros: labels matter
    return model


@pytest.mark.parametrize("alpha_bar", [diffusion.linear_alpha_bar(100, 1e-3, 0.05), diffusion.cosine_alpha_bar(100)])
def test_q_sample_closed_form_equals_noising_one_step_at_a_time(alpha_bar):
    betas = 1 - alpha_bar / np.concatenate([[1.0], alpha_bar[:-1]])
    rng = np.random.default_rng(0)
    x0 = np.full((200_000, 1), 0.7)
    x = x0.copy()
    for t in range(31):  # steps 0..30, so x is x_30
        x = np.sqrt(1 - betas[t]) * x + np.sqrt(betas[t]) * rng.standard_normal(x.shape)
    closed = diffusion.q_sample(x0, np.full(len(x0), 30), rng.standard_normal(x0.shape), alpha_bar)
    assert abs(x.mean() - np.sqrt(alpha_bar[30]) * 0.7) < 0.01 and abs(closed.mean() - x.mean()) < 0.01
    assert abs(x.var() - (1 - alpha_bar[30])) < 0.01 and abs(closed.var() - x.var()) < 0.01


def test_q_sample_in_numpy_and_tensorflow_agree_and_hit_the_formula():
    rng = np.random.default_rng(1)
    x0, noise, t = rng.uniform(-1, 1, (3, 28, 28, 1)), rng.standard_normal((3, 28, 28, 1)), np.array([0, 500, 999])
    ours = diffusion.q_sample(x0.astype(np.float32), t, noise.astype(np.float32))
    theirs = diffusion.q_sample(tf.constant(x0, tf.float32), tf.constant(t), tf.constant(noise, tf.float32)).numpy()
    by_hand = np.sqrt(diffusion.ALPHA_BAR[999]) * x0[2] + np.sqrt(1 - diffusion.ALPHA_BAR[999]) * noise[2]
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(ours[2], by_hand, atol=1e-5)


def test_schedules_lose_signal_step_by_step():
    for alpha_bar in (diffusion.linear_alpha_bar(), diffusion.cosine_alpha_bar()):
        assert alpha_bar.shape == (1000,) and np.all(np.diff(alpha_bar) < 0)
        assert 0.99 < alpha_bar[0] < 1 and 0 <= alpha_bar[-1] < 1e-4
    with pytest.raises(ValueError, match="beta_start, beta_end"):
        diffusion.linear_alpha_bar(10, 0.1, 0.01)


# One step jumps from pure noise (alpha_bar ~ 1e-8) straight to x0: float32 rounding is then ~1e-3.
@pytest.mark.parametrize("steps, tolerance", [(1, 1e-2), (5, 1e-4), (100, 1e-4)])
def test_ddim_with_a_perfect_noise_predictor_lands_on_the_data(steps, tolerance):
    images = diffusion.sample(Oracle(), 4, steps=steps, seed=3)
    np.testing.assert_allclose(images, np.repeat(TARGET, 4, axis=0), atol=tolerance)


def test_ddim_with_full_stochasticity_is_ddpm_ancestral_sampling():
    alpha_bar = diffusion.ALPHA_BAR
    betas = 1 - alpha_bar / np.concatenate([[1.0], alpha_bar[:-1]])
    rng = np.random.default_rng(0)
    x_t, eps, fresh = (rng.standard_normal((2, 4, 4, 1)) for _ in range(3))
    for t in (999, 500, 1):
        a_t, a_prev = alpha_bar[t], alpha_bar[t - 1]
        # Ho et al. (2020): mean (x_t - beta_t / sqrt(1 - a_t) eps) / sqrt(1 - beta_t), posterior variance
        mean = (x_t - betas[t] / np.sqrt(1 - a_t) * eps) / np.sqrt(1 - betas[t])
        ddpm = mean + np.sqrt((1 - a_prev) / (1 - a_t) * betas[t]) * fresh
        ddim = diffusion.ddim_step(x_t, eps, a_t, a_prev, eta=1.0, noise=fresh, clip=False)
        np.testing.assert_allclose(ddim, ddpm, rtol=1e-6, atol=1e-6)


def test_clipping_keeps_the_update_on_the_line_through_the_clipped_estimate():
    a_t, a_prev = diffusion.ALPHA_BAR[900], diffusion.ALPHA_BAR[800]
    x_t = np.array([0.5, -0.2, 0.1])
    eps = np.array([-5.0, 3.0, 0.1])  # the first two imply a clean image far outside [-1, 1]
    x0_raw = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    x0 = np.clip(x0_raw, -1, 1)
    assert x0_raw[0] > 1 and x0_raw[1] < -1 and -1 < x0_raw[2] < 1
    consistent_eps = (x_t - np.sqrt(a_t) * x0) / np.sqrt(1 - a_t)
    expected = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * consistent_eps
    np.testing.assert_allclose(diffusion.ddim_step(x_t, eps, a_t, a_prev), expected, rtol=1e-12)
    unclipped = diffusion.ddim_step(x_t, eps, a_t, a_prev, clip=False)
    assert unclipped[2] == pytest.approx(expected[2]), "a pixel inside the range is left alone"


def test_guidance_zero_is_the_unconditional_prediction(tiny_unet):
    conditional, unconditional = np.full(3, 2.0), np.array([1.0, -1.0, 0.5])
    np.testing.assert_array_equal(diffusion.guided_noise(conditional, unconditional, 0.0), unconditional)
    np.testing.assert_array_equal(diffusion.guided_noise(conditional, unconditional, 1.0), conditional)
    labels = np.array([0, 9, 3])
    unguided = diffusion.sample(tiny_unet, 3, labels=labels, steps=3, guidance=0.0, seed=5)
    unconditional_samples = diffusion.sample(tiny_unet, 3, steps=3, seed=5)  # batched alone: rounding differs
    np.testing.assert_allclose(unguided, unconditional_samples, atol=1e-5)
    told = diffusion.sample(tiny_unet, 3, labels=labels, steps=3, guidance=1.0, seed=5)
    assert np.abs(told - unguided).max() > 1e-3, "the label changes nothing: is it fed to the network?"


def test_sampling_is_deterministic_for_a_seed_and_returns_its_trajectory(tiny_unet):
    first, path = diffusion.sample(tiny_unet, 2, labels=np.array([1, 2]), steps=4, seed=7, trajectory=True)
    again = diffusion.sample(tiny_unet, 2, labels=np.array([1, 2]), steps=4, seed=7)
    other = diffusion.sample(tiny_unet, 2, labels=np.array([1, 2]), steps=4, seed=8)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert first.shape == (2, 28, 28, 1) and path.shape == (5, 2, 28, 28, 1) and first.min() >= -1 and first.max() <= 1


def test_the_sampling_graph_is_built_once_per_model_and_not_saved(tiny_unet, tmp_path):
    diffusion.sample(tiny_unet, 2, labels=np.array([1, 2]), steps=2)
    assert diffusion._noise_predictor(tiny_unet) is diffusion._noise_predictor(tiny_unet)
    tiny_unet.save(tmp_path / "unet.keras")
    loaded = keras.models.load_model(tmp_path / "unet.keras")
    assert getattr(loaded, "_noise_predictor", None) is None
    assert diffusion._noise_predictor(loaded) is not diffusion._noise_predictor(tiny_unet)


def test_sampling_timesteps_run_from_the_last_to_the_first():
    assert diffusion.sampling_timesteps(3).tolist() == [999, 500, 0]
    assert diffusion.sampling_timesteps(1000).tolist() == list(range(999, -1, -1))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, r"n: expected an int >= 1, got 0"),
        ({"n": 2, "labels": np.array([1, 2, 3])}, r"labels: expected ints of shape \(2,\), got int64 of shape \(3,\)"),
        ({"n": 2, "labels": np.array([1, 10])}, r"labels: expected classes 0..9, got 1..10"),
        ({"n": 2, "labels": np.array([0.5, 1.0])}, r"labels: expected ints of shape \(2,\), got float64"),
        ({"n": 2, "steps": 0}, r"steps: expected an int >= 1, got 0"),
        ({"n": 2, "guidance": -1.0}, r"guidance: expected a scale >= 0, got -1.0"),
    ],
)
def test_sample_names_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diffusion.sample(Oracle(), **kwargs)


def test_the_unet_keeps_the_image_shape_and_reads_timestep_and_label(tiny_unet):
    assert [tensor.name for tensor in tiny_unet.inputs] == ["noisy_image", "timestep", "label"]
    x = np.random.default_rng(0).standard_normal((2, 28, 28, 1)).astype(np.float32)
    out = tiny_unet.predict([x, np.array([10, 10]), np.array([1, 1])], verbose=0)
    assert out.shape == (2, 28, 28, 1)
    later = tiny_unet.predict([x, np.array([900, 900]), np.array([1, 1])], verbose=0)
    other_class = tiny_unet.predict([x, np.array([10, 10]), np.array([7, 7])], verbose=0)
    assert not np.allclose(out, later) and not np.allclose(out, other_class)
    with pytest.raises(ValueError, match="widths, embedding_dim, groups"):
        diffusion.build_unet(widths=(8, 12, 16), groups=8)


def test_the_time_embedding_is_sines_then_cosines():
    embedded = diffusion.time_embedding(tf.constant([0, 3]), 8).numpy()
    frequencies = 10_000.0 ** (-np.arange(4) / 4)
    by_hand = np.concatenate([np.sin(3 * frequencies), np.cos(3 * frequencies)])
    np.testing.assert_allclose(embedded[1], by_hand, rtol=1e-5)
    np.testing.assert_array_equal(embedded[0], [0, 0, 0, 0, 1, 1, 1, 1])


def test_the_unet_survives_save_and_load(tiny_unet, tmp_path):
    tiny_unet.save(tmp_path / "unet.keras")
    loaded = keras.models.load_model(tmp_path / "unet.keras")
    x = np.zeros((1, 28, 28, 1), np.float32)
    inputs = [x, np.array([5]), np.array([2])]
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), tiny_unet.predict(inputs, verbose=0), atol=1e-6)


def test_evaluate_scores_class_conditional_samples(tiny_unet):
    from helpers import data, metrics, pixels
    from tests.conftest import need_fashion_mnist

    need_fashion_mnist()
    (_, _), (x_test, _) = data.load_fashion_mnist()
    real = metrics.classifier_features(x_test[:20, ..., None])
    scores = diffusion.evaluate(tiny_unet, real, steps=2, guidance=1.0)
    assert set(scores) == {"fid", "kid", "class_accuracy", "class_shares", "mean_confidence", "spread", "ms_per_sample"}
    assert len(scores["class_shares"]) == 10 and abs(sum(scores["class_shares"]) - 1) < 1e-9
    assert len(scores["class_accuracy"]) == 10 and all(0 <= a <= 1 for a in scores["class_accuracy"])
    assert scores["fid"] > 0 and scores["spread"] >= 0 and scores["ms_per_sample"] > 0
    with pytest.raises(ValueError, match="multiple of 10"):
        diffusion.evaluate(tiny_unet, real, n=15, steps=2)
    kept = diffusion.evaluate(tiny_unet, real, steps=2, guidance=1.0, keep_images=True)
    drawn = diffusion.sample(tiny_unet, 20, np.repeat(np.arange(10), 2), steps=2, guidance=1.0)
    np.testing.assert_allclose(kept.pop("images"), pixels.to_pixels(drawn))  # the very samples that were scored
    assert kept.pop("ms_per_sample") > 0 and kept == {k: v for k, v in scores.items() if k != "ms_per_sample"}


def test_a_shipped_model_samples_with_the_settings_its_record_names(tmp_path, monkeypatch):
    import json

    from helpers import files

    copy = tmp_path / "model.weights.h5"
    copy.write_bytes(diffusion.MODEL_PATH.read_bytes())
    record = json.loads(files.record_path(diffusion.MODEL_PATH).read_text())
    files.record_path(copy).write_text(json.dumps({**record, "sampler": {"steps": 2, "guidance": 0.5}}))
    checked = []
    monkeypatch.setattr(files, "verify_file", lambda *args: checked.append(args[0]) or args[0])
    model = diffusion.load_pretrained(copy)
    assert checked == [copy], "the file is hashed once"
    labels = np.array([0, 5, 9])
    images = diffusion.sample(model, 3, labels=labels, seed=4)
    assert images.shape == (3, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    np.testing.assert_array_equal(images, diffusion.sample(model, 3, labels=labels, seed=4, steps=2, guidance=0.5))
    assert not np.array_equal(images, diffusion.sample(model, 3, labels=labels, seed=4, steps=3, guidance=0.5))


def test_sampling_in_chunks_joins_images_and_trajectories_as_one_batch_would(tiny_unet):
    labels = np.array([0, 1, 2, 3, 4])
    whole, whole_path = diffusion.sample(tiny_unet, 5, labels, seed=2, steps=3, batch_size=5, trajectory=True)
    chunked, chunked_path = diffusion.sample(tiny_unet, 5, labels, seed=2, steps=3, batch_size=2, trajectory=True)
    assert chunked.shape == (5, 28, 28, 1) and chunked_path.shape == (4, 5, 28, 28, 1)
    # float32 convolutions round differently for another batch size (oneDNN picks its kernel by shape): on an
    # AMD EPYC a few pixels of 3,920 moved by 1e-3 after 3 steps. A chunk with the wrong noise or labels moves
    # every pixel by about 1, so a tight mean and a loose maximum tell the two apart.
    for got, expected in ((chunked, whole), (chunked_path, whole_path)):
        assert np.abs(got - expected).mean() < 1e-5 and np.abs(got - expected).max() < 1e-2
    np.testing.assert_array_equal(chunked_path[-1], chunked)  # the trajectory ends at the images returned


def test_eta_adds_fresh_noise_that_the_seed_fixes():
    _, deterministic = diffusion.sample(Oracle(), 2, steps=5, seed=3, trajectory=True)
    noisy, path = diffusion.sample(Oracle(), 2, steps=5, seed=3, eta=1.0, trajectory=True)
    np.testing.assert_array_equal(path, diffusion.sample(Oracle(), 2, steps=5, seed=3, eta=1.0, trajectory=True)[1])
    assert not np.allclose(path[1:-1], deterministic[1:-1], atol=1e-3), "eta > 0 draws fresh noise on the way"
    np.testing.assert_allclose(noisy, np.repeat(TARGET, 2, axis=0), atol=1e-2)  # a perfect predictor still lands


def test_q_sample_refuses_integer_images_instead_of_truncating():
    pixels = np.full((1, 28, 28, 1), 200, np.uint8)
    with pytest.raises(ValueError, match="x0: expected float images in \\[-1, 1\\].*got uint8"):
        diffusion.q_sample(pixels, np.array([10]), np.zeros((1, 28, 28, 1), np.float32))


def test_a_damaged_shipped_model_is_refused_with_how_to_restore_it(tmp_path):
    from helpers.files import CorruptFileError, record_path

    damaged = tmp_path / "model.weights.h5"
    damaged.write_bytes(diffusion.MODEL_PATH.read_bytes())
    record_path(damaged).write_bytes(record_path(diffusion.MODEL_PATH).read_bytes())
    blob = bytearray(damaged.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    damaged.write_bytes(bytes(blob))
    with pytest.raises(CorruptFileError, match="sha256 mismatch.*git checkout -- data/pretrained"):
        diffusion.load_pretrained(damaged)
