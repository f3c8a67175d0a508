from pathlib import Path

import numpy as np
import pytest

from helpers import files, models, weights
from helpers.environment import keras, tf
from tests.test_weights import write_keras2_weights_file


def test_build_cnn_shapes_and_names():
    model = models.build_cnn(filters=(8, 16), convs_per_block=2, dense_units=32, dropout=0.2)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    names = [layer.name for layer in model.layers]
    assert names[:4] == ["rescale", "block1_conv1", "block1_conv2", "block1_pool"]
    assert model.get_layer("block2_pool").output.shape[1:] == (7, 7, 16)
    assert "dropout1" in names and "dropout2" in names


def test_build_cnn_rescales_raw_pixels_itself():
    model = models.build_cnn(filters=(4,), dense_units=8)
    rescale = keras.Model(model.inputs[0], model.get_layer("rescale").output)
    np.testing.assert_allclose(rescale(np.full((1, 28, 28, 1), 255.0)).numpy(), 1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_shape": (28, 28)}, r"input_shape: expected \(height, width, channels\)"),
        ({"filters": ()}, "filters: expected a non-empty sequence"),
        ({"filters": (8, 8, 8, 8, 8)}, "5 blocks halve the size 5 times, too often"),
        ({"dropout": 1.0}, "0 <= dropout < 1"),
        ({"num_classes": 1}, "num_classes"),
    ],
)
def test_build_cnn_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_cnn(**kwargs)


def test_receptive_fields_match_the_gradient_footprint():
    keras.utils.set_random_seed(0)
    model = models.build_cnn(filters=(8, 8), convs_per_block=2, dense_units=8)
    table = models.receptive_fields(model)
    assert [(name, field) for name, field, _ in table] == [
        ("block1_conv1", 3), ("block1_conv2", 5), ("block1_pool", 6),
        ("block2_conv1", 10), ("block2_conv2", 14), ("block2_pool", 16),
    ]  # fmt: skip
    sub = keras.Model(model.inputs[0], model.get_layer("block2_conv2").output)
    image = tf.Variable(tf.random.uniform((1, 28, 28, 1), 0, 255, seed=3))
    with tf.GradientTape() as tape:
        centre = tf.reduce_sum(sub(image)[0, 7, 7, :])
    rows = np.flatnonzero(np.abs(tape.gradient(centre, image).numpy()[0, :, :, 0]).sum(axis=1))
    assert rows.max() - rows.min() + 1 == 14


def test_receptive_fields_count_dilation_and_stride():
    model = keras.Sequential(
        [keras.Input((32, 32, 1)), keras.layers.Conv2D(2, 3, dilation_rate=2), keras.layers.Conv2D(2, 3, strides=2),
         keras.layers.AveragePooling2D(2), keras.layers.Conv2D(2, 3)]
    )  # fmt: skip
    fields = [(field, jump) for _, field, jump in models.receptive_fields(model)]
    assert fields == [(5, 1), (7, 2), (9, 4), (17, 4)]


@pytest.fixture(scope="module")
def vgg_pair():
    """Our VGG16 and Keras' own, with Keras' (random) weights copied into ours."""
    keras.utils.set_random_seed(0)
    theirs = keras.applications.VGG16(weights=None)
    ours = models.vgg16()
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def test_vgg16_matches_keras_layer_for_layer(vgg_pair):
    ours, theirs = vgg_pair
    assert ours.count_params() == theirs.count_params() == 138_357_544
    assert [layer.name for layer in ours.layers[1:]] == [layer.name for layer in theirs.layers[1:]]
    assert [layer.output.shape for layer in ours.layers] == [layer.output.shape for layer in theirs.layers]


def test_vgg16_with_copied_weights_gives_identical_outputs(vgg_pair):
    ours, theirs = vgg_pair
    images = np.random.default_rng(0).uniform(-120, 130, (2, 224, 224, 3)).astype("float32")
    np.testing.assert_array_equal(ours.predict(images, verbose=0), theirs.predict(images, verbose=0))


def test_load_vgg16_imagenet_reads_the_published_file_layout(vgg_pair, tmp_path, monkeypatch):
    _, theirs = vgg_pair
    published = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    write_keras2_weights_file(theirs, published)
    monkeypatch.delenv("COURSE_VGG16_WEIGHTS", raising=False)
    monkeypatch.setattr(weights, "find_weights", lambda spec: published)  # as if the checked copy were installed
    loaded = models.load_vgg16_imagenet()
    assert loaded.imagenet_weights
    image = np.random.default_rng(1).uniform(-120, 130, (1, 224, 224, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(image, verbose=0), theirs.predict(image, verbose=0))


def test_vgg16_base_without_top_reads_only_the_convolutions_at_any_size(vgg_pair, tmp_path, monkeypatch):
    _, theirs = vgg_pair
    published = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    write_keras2_weights_file(theirs, published)
    monkeypatch.delenv("COURSE_VGG16_WEIGHTS", raising=False)
    monkeypatch.setattr(weights, "find_weights", lambda spec: published)
    base = models.load_vgg16_imagenet(include_top=False, input_shape=(64, 64, 3))
    assert base.imagenet_weights and base.output_shape == (None, 2, 2, 512)
    kernels = {layer.name: layer.kernel.numpy() for layer in base.layers if hasattr(layer, "kernel")}
    assert len(kernels) == 13
    for name, kernel in kernels.items():
        np.testing.assert_array_equal(kernel, theirs.get_layer(name).kernel.numpy())
    with pytest.raises(ValueError, match=r"input_shape: VGG16 with its top takes \(224, 224, 3\), got \(64, 64, 3\)"):
        models.load_vgg16_imagenet(include_top=True, input_shape=(64, 64, 3))


def test_build_vgg_small_config_without_top():
    model = models.build_vgg([8, "M", 16, 16, "M"], include_top=False, input_shape=(28, 28, 1))
    assert model.output_shape == (None, 7, 7, 16)
    assert [layer.name for layer in model.layers[1:]] == [
        "block1_conv1",
        "block1_pool",
        "block2_conv1",
        "block2_conv2",
        "block2_pool",
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"config": [8, "X"]}, r"config: expected positive ints \(channels\) and 'M'"),
        ({"config": [8, "M", "M", "M"], "input_shape": (4, 4, 1)}, r"H and W >= 8 for 3 poolings, got \(4, 4, 1\)"),
        ({"config": None}, r"config: expected positive ints \(channels\) and 'M' \(pooling\), got None"),
        ({"config": [8, "M"], "classes": 0}, "classes, dense_units, dropout: expected >= 1, >= 1 and 0 <= dropout < 1"),
        ({"config": [8, "M"], "dense_units": 0}, "classes, dense_units, dropout"),
        ({"config": [8, "M"], "dropout": 1.0}, "classes, dense_units, dropout"),
        ({"config": [8, "M"], "rescale": 0}, "rescale: expected None or a factor > 0, got 0"),
    ],
)
def test_build_vgg_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_vgg(**kwargs)


@pytest.fixture
def small_vgg16(monkeypatch) -> list:
    """``models.vgg16`` replaced by a VGG of one small block (a banner test needs no 138 million parameters).

    Returns the list of the models built, so a test can check that it got the one built for it.
    """
    built = []

    def small(include_top=True, input_shape=(32, 32, 3), classes=1000):
        built.append(models.build_vgg([4, "M"], include_top, input_shape, classes, dense_units=4, name="vgg16"))
        return built[-1]

    monkeypatch.setattr(models, "vgg16", small)
    return built


def test_random_weights_on_request_print_a_banner(monkeypatch, capsys, small_vgg16):
    monkeypatch.setenv("COURSE_VGG16_WEIGHTS", "random")
    model = models.load_vgg16_imagenet()
    assert small_vgg16 == [model] and model.imagenet_weights is False
    assert "RANDOM weights" in capsys.readouterr().out


@pytest.mark.parametrize("profile_name, falls_back", [("smoke", True), ("live", False), ("full", False)])
def test_without_weights_only_smoke_falls_back(monkeypatch, keras_home, capsys, small_vgg16, profile_name, falls_back):
    monkeypatch.setenv("COURSE_PROFILE", profile_name)
    monkeypatch.delenv("COURSE_VGG16_WEIGHTS", raising=False)

    def download_breaks_halfway(fname, origin, file_hash, cache_dir, cache_subdir):
        (Path(cache_dir) / cache_subdir / fname).write_bytes(b"first megabytes")
        raise OSError("Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", download_breaks_halfway)
    if falls_back:
        assert small_vgg16 == [models.load_vgg16_imagenet()]
        assert "MEANINGLESS" in capsys.readouterr().out
    else:
        with pytest.raises(
            weights.WeightsUnavailableError, match=r"python -m helpers.weights install(.|\n)*Name or service"
        ):
            models.load_vgg16_imagenet()
    assert list(keras_home.rglob("*.h5")) == [], "a failed download leaves no file"


def test_layer_costs_count_params_and_macs():
    model = models.build_vgg([4, "M"], input_shape=(8, 8, 2), classes=3, dense_units=5, classifier_activation=None)
    costs = {row["name"]: row for row in models.layer_costs(model)}
    assert (
        costs["block1_conv1"]["macs"] == 8 * 8 * 3 * 3 * 2 * 4 and costs["block1_conv1"]["params"] == 3 * 3 * 2 * 4 + 4
    )
    assert costs["fc1"]["macs"] == 4 * 4 * 4 * 5 and costs["block1_pool"]["macs"] == 0
    assert costs["predictions"]["output_shape"] == (3,)
    assert sum(row["params"] for row in costs.values()) == model.count_params()


def test_vgg16_costs_are_the_known_figures():
    # Its convolutions only: they make 15.35 of VGG16's 15.5 billion MACs per 224x224 image, and the
    # 14,714,688 parameters of keras.applications.VGG16(include_top=False), at a tenth of the build time.
    # The whole network's 138,357,544 parameters are checked against Keras' own above.
    costs = models.layer_costs(models.vgg16(include_top=False))
    assert 15.3e9 < sum(row["macs"] for row in costs) < 15.4e9
    assert sum(row["params"] for row in costs) == 14_714_688
    macs = {row["name"]: row["macs"] for row in costs}
    # each block halves the height and width and doubles the channels: its convolutions cost alike
    assert macs["block1_conv2"] == macs["block2_conv2"] == macs["block3_conv2"] == macs["block4_conv2"] == 1_849_688_064


def test_build_vgg_dropout_follows_each_hidden_dense_layer():
    model = models.build_vgg([4, "M"], input_shape=(8, 8, 1), classes=3, dense_units=5, dropout=0.5)
    names = [layer.name for layer in model.layers]
    assert names[-5:] == ["fc1", "fc1_dropout", "fc2", "fc2_dropout", "predictions"]


def test_a_record_without_its_checksum_is_named(tmp_path):
    model_path = tmp_path / "m.weights.h5"
    model_path.write_bytes(b"x")
    (tmp_path / "m.json").write_text('{"bytes": 1}')
    with pytest.raises(ValueError, match=r"m\.json: the record lacks sha256, so m\.weights\.h5 cannot"):
        models.load_recorded_model(model_path, models.build_cnn, fix="Restore it.")


def _recorded_cnn(tmp_path, config: dict):
    """A small CNN's weights file and its record with ``config`` (which may not be the model's)."""
    model = models.build_cnn(filters=(2,), dense_units=3)
    path = tmp_path / "cnn.weights.h5"
    model.save_weights(path)
    files.write_record(path, path.read_bytes(), {"config": config})
    return model, path


def test_a_recorded_model_is_rebuilt_from_its_config_and_predicts_the_same(tmp_path):
    model, path = _recorded_cnn(tmp_path, {"filters": [2], "dense_units": 3})
    loaded = models.load_recorded_model(path, models.build_cnn, fix="Restore it.")
    images = np.random.default_rng(0).uniform(0, 255, (2, 28, 28, 1)).astype("float32")
    np.testing.assert_array_equal(loaded(images), model(images))


def test_weights_that_do_not_fit_the_records_architecture_are_named(tmp_path):
    _, path = _recorded_cnn(tmp_path, {"filters": [2], "dense_units": 4})
    with pytest.raises(ValueError, match=r"cnn\.weights\.h5: its weights do not fit build_cnn\(\*\*\{'filters': \[2\], "
                       r"'dense_units': 4\}\) \(.*\)\. Restore it\.$"):  # fmt: skip
        models.load_recorded_model(path, models.build_cnn, fix="Restore it.")
    files.write_record(path, path.read_bytes(), {})
    with pytest.raises(ValueError, match=r"its record has no 'config'"):
        models.load_recorded_model(path, models.build_cnn, fix="Restore it.")


def test_a_rescaling_vgg_takes_raw_pixels_like_the_cnn():
    keras.utils.set_random_seed(0)
    raw = models.build_vgg([4, "M"], input_shape=(8, 8, 1), classes=3, dense_units=5, rescale=1 / 255)
    plain = models.build_vgg([4, "M"], input_shape=(8, 8, 1), classes=3, dense_units=5)
    plain.set_weights(raw.get_weights())
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(raw.predict(pixels, verbose=0), plain.predict(pixels / 255, verbose=0), rtol=1e-5)
    assert raw.count_params() == plain.count_params()
