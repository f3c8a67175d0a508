import numpy as np
import pytest

from helpers import explain
from helpers.environment import keras, tf

layers = keras.layers
SIZE = 16  # the detector's images: 16x16, one channel


def detector_model() -> keras.Sequential:
    """A classifier with a known answer. Channel 0 of "detector" blurs and thresholds, so it fires only inside a
    bright square; channel 1 fires on dark pixels, the background. Class 1's logit rests on channel 0 (weight 400),
    class 0's on channel 1: class 1 means "there is a bright square", and the square is where its evidence lies."""
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 1)),
            layers.Rescaling(1 / 255, name="rescale"),
            layers.Conv2D(2, 3, padding="same", activation="relu", name="detector"),
            layers.GlobalAveragePooling2D(name="pool"),
            layers.Dense(2, name="logits"),
        ]
    )
    kernel = np.zeros((3, 3, 1, 2), np.float32)
    kernel[:, :, 0, 0] = 1 / 9  # the 3x3 mean: above 0.5 only where most of the neighbourhood is the square
    kernel[1, 1, 0, 1] = -1.0  # with its bias 1: 1 - pixel / 255, the darkness
    model.get_layer("detector").set_weights([kernel, np.array([-0.5, 1.0], np.float32)])
    dense = np.array([[1.0, 400.0], [4.0, 0.5]], np.float32)  # [channel, class]; none zero, so a shuffle keeps a map
    model.get_layer("logits").set_weights([dense, np.array([0.0, -1.0], np.float32)])
    return model


def squares(corners, size=5, seed=0):
    """Images (N, 16, 16, 1) of dim noise (0..50) with a bright (255) square at each corner, and the squares' masks."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 50, (len(corners), SIZE, SIZE, 1)).astype(np.float32)
    masks = np.zeros((len(corners), SIZE, SIZE), bool)
    for n, (top, left) in enumerate(corners):
        images[n, top : top + size, left : left + size] = 255
        masks[n, top : top + size, left : left + size] = True
    return images, masks


CORNERS = [(3, 3), (8, 3), (3, 8), (8, 8)]
SQUARE = np.ones(len(CORNERS), int)  # class 1 for every image


def probabilities(model):
    return lambda images: keras.ops.softmax(model(images, training=False)).numpy()


def peaks(maps):
    return [np.unravel_index(np.argmax(m), m.shape) for m in maps]


@pytest.fixture(scope="module")
def detector():
    return detector_model()


# --- Grad-CAM with a known answer -----------------------------------------------------------------


def test_grad_cam_finds_the_evidence_and_tells_the_classes_apart(detector):
    images, masks = squares(CORNERS)
    predict = probabilities(detector)
    blank = np.where(masks[..., None], np.float32(20), images)
    assert np.all(predict(images)[:, 1] > 0.99) and np.all(predict(blank)[:, 1] < 0.05)  # the squares are seen
    maps = explain.grad_cam(detector, images, SQUARE, "detector")
    assert maps.shape == (4, SIZE, SIZE) and maps.dtype == np.float32
    assert all(masks[n][peak] for n, peak in enumerate(peaks(maps)))
    assert np.all((maps * masks).sum(axis=(1, 2)) > 0.9 * maps.sum(axis=(1, 2)))
    np.testing.assert_allclose(maps.max(axis=(1, 2)), 1.0, rtol=1e-6)
    background = explain.grad_cam(detector, images, np.zeros(4, int), "detector")  # class 0 rests on the dark
    assert np.all((background * masks).sum(axis=(1, 2)) < 0.01 * background.sum(axis=(1, 2)))


def test_combine_weights_channels_by_the_mean_gradient():
    activations = np.zeros((1, 2, 2, 2))
    activations[0, :, :, 0] = [[1.0, 2.0], [3.0, 4.0]]
    activations[0, :, :, 1] = [[4.0, 0.0], [0.0, 0.0]]
    gradients = np.zeros((1, 2, 2, 2))
    gradients[0, 0, 0, 0] = 4.0  # channel 0's weight: mean 1, though its gradient is zero at three positions
    gradients[0, :, :, 1] = -1.0  # channel 1's weight -1
    # 1 * A0 - A1 = [[-3, 2], [3, 4]] -> ReLU -> divided by 4
    np.testing.assert_allclose(explain.combine(activations, gradients)[0], [[0.0, 0.5], [0.75, 1.0]])
    zero = explain.combine(np.ones((2, 3, 3, 1)), -np.ones((2, 3, 3, 1)))  # every weight negative: nothing left
    assert np.array_equal(zero, np.zeros((2, 3, 3))) and not np.isnan(zero).any()
    with pytest.raises(ValueError, match=r"activations, gradients: expected two \(N, h, w, C\)"):
        explain.combine(np.ones((1, 2, 2, 1)), np.ones((1, 2, 2, 2)))


def test_upsample_keeps_the_batch_and_the_range():
    maps = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    big = explain.upsample(maps, (8, 6))
    assert big.shape == (1, 8, 6) and big.min() >= 0.0 and big.max() <= 1.0
    assert np.all(np.diff(big[0], axis=1) >= 0) and np.allclose(big[0, :, 0], 0.0) and np.allclose(big[0, :, -1], 1.0)
    with pytest.raises(ValueError, match=r"size: expected \(H, W\)"):
        explain.upsample(maps, (8,))
    with pytest.raises(ValueError, match=r"maps: expected shape \(N, h, w\)"):
        explain.upsample(maps[0], (8, 8))


def test_grad_cam_refuses_bad_input_clearly(detector):
    images, _ = squares(CORNERS[:2])
    with pytest.raises(ValueError, match=r"classes: expected class indices below 2, got 2"):
        explain.grad_cam(detector, images, np.array([0, 2]), "detector")
    with pytest.raises(ValueError, match=r"classes: expected ints of shape \(2,\)"):
        explain.grad_cam(detector, images, np.array([0.0, 1.0]), "detector")
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 16, 16, 1\)"):
        explain.grad_cam(detector, np.zeros((2, 8, 8, 1)), np.array([0, 1]), "detector")
    with pytest.raises(ValueError, match=r"layer_name: 'pool' gives outputs of shape \(None, 2\), not maps"):
        explain.grad_cam(detector, images, np.array([0, 1]), "pool")
    with pytest.raises(ValueError, match=r"has no layer 'conv5'; layers with maps: rescale, detector"):
        explain.grad_cam(detector, images, np.array([0, 1]), "conv5")


# --- nested models --------------------------------------------------------------------------------


def stem_layers():
    return [
        layers.Rescaling(1 / 255, name="rescale"),
        layers.Conv2D(4, 3, padding="same", name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
    ]


def top_layers():
    return [layers.MaxPooling2D(name="pool1"), layers.Conv2D(6, 3, padding="same", activation="relu", name="conv2")]


def head_layers():
    return [layers.GlobalAveragePooling2D(name="gap"), layers.Dense(3, name="logits")]


SHAPE = (12, 12, 3)


def flat_model():
    return keras.Sequential([keras.Input(SHAPE), *stem_layers(), *top_layers(), *head_layers()], name="flat")


def sequential_in_sequential():
    stem = keras.Sequential([keras.Input(SHAPE), *stem_layers()], name="stem")
    base = keras.Sequential([keras.Input(SHAPE), stem, *top_layers()], name="base")
    return keras.Sequential([keras.Input(SHAPE), base, *head_layers()], name="outer")


def frozen_functional_in_functional():
    stem = keras.Sequential([keras.Input(SHAPE), *stem_layers()], name="stem")
    base_in = keras.Input(SHAPE)
    x = stem(base_in)
    for layer in top_layers():
        x = layer(x)
    base = keras.Model(base_in, x, name="base")
    base.trainable = False
    inputs = keras.Input(SHAPE)
    x = base(inputs, training=False)
    for layer in head_layers():
        x = layer(x)
    return keras.Model(inputs, x, name="outer")


def leaves(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from leaves(layer)
        elif not isinstance(layer, layers.InputLayer):
            yield layer


def with_weights_of(source, target):
    """``target`` with the weights of ``source``'s layers of the same names."""
    for layer in leaves(target):
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())
    return target


@pytest.fixture(scope="module")
def flat():
    keras.utils.set_random_seed(0)
    model = flat_model()
    rng = np.random.default_rng(0)
    bn = model.get_layer("bn1")  # moving statistics far from a batch's: inference mode gives other maps
    gamma, beta, _, _ = bn.get_weights()
    bn.set_weights(
        [gamma, beta, rng.uniform(-0.5, 0.5, 4).astype(np.float32), rng.uniform(0.2, 3, 4).astype(np.float32)]
    )
    return model


def pixels(n=3, seed=1):
    return np.random.default_rng(seed).uniform(0, 255, (n, *SHAPE)).astype(np.float32)


@pytest.mark.parametrize("build", [sequential_in_sequential, frozen_functional_in_functional])
@pytest.mark.parametrize("layer_name", ["conv2", "relu1"])  # one level down, two levels down
def test_nested_models_give_the_flat_models_maps(flat, build, layer_name):
    nested = with_weights_of(flat, build())
    images, classes = pixels(), np.array([0, 1, 2])
    np.testing.assert_allclose(nested(images, training=False), flat(images, training=False), atol=1e-5)
    expected = explain.grad_cam(flat, images, classes, layer_name)
    assert expected.max() == pytest.approx(1.0)
    np.testing.assert_allclose(explain.grad_cam(nested, images, classes, layer_name), expected, atol=1e-5)


@pytest.mark.parametrize("build", [sequential_in_sequential, frozen_functional_in_functional])
def test_the_naive_two_output_model_fails_on_a_nested_model_and_the_probe_does_not(flat, build):
    nested = with_weights_of(flat, build())
    inner = nested.get_layer("base").get_layer("conv2")
    images = pixels()
    # keras-io's Grad-CAM recipe: the inner layer's output belongs to the base's own graph, not the outer one's.
    # Keras 3.15 refuses to build it ("Output with path `0` is not connected to `inputs`"); 3.10 builds it and
    # fails on the first call (a KeyError from deep inside Functional.call).
    with pytest.raises((ValueError, KeyError)):
        keras.Model(nested.inputs[0], [inner.output, nested.outputs[0]])(images)
    activations, outputs = explain.layer_and_output(nested, "conv2")(tf.constant(images))
    assert tuple(activations.shape) == (3, 6, 6, 6)
    np.testing.assert_allclose(outputs, nested(images, training=False), atol=1e-5)


def test_the_probe_runs_in_inference_mode(flat):
    nested = with_weights_of(flat, sequential_in_sequential())  # nothing frozen: training=True uses batch statistics
    images = pixels()
    _, outputs = explain.layer_and_output(nested, "relu1")(tf.constant(images))
    np.testing.assert_allclose(outputs, nested(images, training=False), atol=1e-5)
    assert not np.allclose(outputs, nested(images, training=True), atol=1e-3)


def residual_base(name="residual"):
    """A base with a branch (not a chain): conv, then conv plus its input."""
    inputs = keras.Input(SHAPE)
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="res_conv1")(layers.Rescaling(1 / 255)(inputs))
    y = layers.Conv2D(4, 3, padding="same", name="res_conv2")(x)
    x = layers.ReLU(name="res_out")(layers.Add(name="res_add")([x, y]))
    return keras.Model(inputs, x, name=name)


def test_a_layer_on_top_of_a_branching_base_is_found_even_when_the_base_is_nested():
    keras.utils.set_random_seed(1)
    base = residual_base()
    flat = keras.Model(base.inputs[0], layers.Dense(3, name="logits")(layers.GlobalAveragePooling2D()(base.outputs[0])))
    nested = keras.Sequential([keras.Input(SHAPE), residual_base(), *head_layers()])
    with_weights_of(flat, nested)
    images, classes = pixels(), np.array([2, 0, 1])
    for layer_name in ("res_conv1", "res_out"):
        expected = explain.grad_cam(flat, images, classes, layer_name)
        np.testing.assert_allclose(explain.grad_cam(nested, images, classes, layer_name), expected, atol=1e-5)


def test_a_layer_inside_a_model_nested_in_a_branching_model_is_refused_clearly():
    stem = keras.Sequential([keras.Input(SHAPE), *stem_layers()], name="stem")
    inputs = keras.Input(SHAPE)
    x = stem(inputs)
    x = layers.Add()([x, layers.Conv2D(4, 1, name="shortcut")(inputs)])
    model = keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)), name="branching")
    with pytest.raises(ValueError, match="sits inside 'stem', a model nested in 'branching', whose layers do not run"):
        explain.layer_and_output(model, "conv1")
    activations, _ = explain.layer_and_output(model, "shortcut")(tf.constant(pixels(1)))  # its own layer works
    assert tuple(activations.shape) == (1, 12, 12, 4)


def test_a_name_used_at_two_depths_is_refused():
    inner = keras.Sequential([keras.Input(SHAPE), layers.Conv2D(2, 3, name="conv")], name="inner")
    model = keras.Sequential([keras.Input(SHAPE), inner, layers.Conv2D(2, 1, name="conv"), *head_layers()])
    with pytest.raises(ValueError, match=r"layer_name: 'conv' names 2 layers \(inner/conv, conv\); expected one"):
        explain.layer_and_output(model, "conv")


# --- occlusion ------------------------------------------------------------------------------------


def test_occlusion_peaks_on_the_evidence(detector):
    images, masks = squares(CORNERS)
    heat = explain.occlusion(probabilities(detector), images, SQUARE, patch=3, stride=1)
    assert heat.shape == (4, SIZE, SIZE) and heat.dtype == np.float32
    assert all(masks[n][peak] for n, peak in enumerate(peaks(heat)))
    assert np.all((heat * masks).sum(axis=(1, 2)) > 0.85 * heat.sum(axis=(1, 2)))
    assert explain.occlusion(probabilities(detector), images, SQUARE).shape == (4, SIZE, SIZE)  # 7x7, stride 3


def corner_pixel_model(images):
    """Class 1's probability is the bottom right pixel's value / 255: only the corner matters."""
    corner = images[:, -1, -1, 0] / 255
    return np.stack([1 - corner, corner], axis=1)


@pytest.mark.parametrize(("patch", "stride"), [(5, 3), (4, 4), (6, 4)])
def test_occlusion_patches_reach_the_border(patch, stride):
    images = np.zeros((1, SIZE, SIZE, 1), np.float32)
    images[0, -1, -1, 0] = 255  # (16 - 5) % 3 and (16 - 6) % 4 leave a remainder: the last patch is moved in
    heat = explain.occlusion(corner_pixel_model, images, np.array([1]), patch=patch, stride=stride, batch_size=7)
    assert heat[0, -1, -1] == pytest.approx(1.0)  # every square covering the corner hides it
    assert np.all(heat[0, : SIZE - patch] == 0.0) and np.all(heat[0, :, : SIZE - patch] == 0.0)


def test_occlusion_averages_the_drops_of_the_patches_covering_a_pixel():
    def brightness(images):  # class 1's probability: the mean of the pixels / 255
        mean = images.mean(axis=(1, 2, 3)) / 255
        return np.stack([1 - mean, mean], axis=1)

    images = np.full((1, 4, 4, 1), 255.0, np.float32)
    heat = explain.occlusion(brightness, images, np.array([1]), patch=2, stride=2)
    np.testing.assert_allclose(heat[0], np.full((4, 4), 4 / 16), rtol=1e-6)  # each patch hides 4 of 16 pixels
    overlapping = explain.occlusion(brightness, images, np.array([1]), patch=3, stride=1)
    np.testing.assert_allclose(overlapping[0], np.full((4, 4), 9 / 16), rtol=1e-6)


def test_occlusion_refuses_bad_input_clearly():
    images = np.zeros((1, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match=r"patch: expected an int 1..8, got 9"):
        explain.occlusion(corner_pixel_model, images, np.array([1]), patch=9)
    with pytest.raises(ValueError, match=r"stride: expected an int 1..7, got 0"):
        explain.occlusion(corner_pixel_model, images, np.array([1]), stride=0)
    with pytest.raises(ValueError, match=r"stride: expected an int 1..3, got 4"):  # it would skip pixels
        explain.occlusion(corner_pixel_model, images, np.array([1]), patch=3, stride=4)
    with pytest.raises(ValueError, match=r"predict: expected probabilities in 0..1 \(apply softmax"):
        explain.occlusion(lambda x: np.full((len(x), 2), 3.0), images, np.array([1]), patch=4)
    with pytest.raises(ValueError, match=r"predict: expected probabilities of shape \(1, classes\)"):
        explain.occlusion(lambda x: np.zeros(len(x)), images, np.array([1]), patch=4)


# --- the deletion curve ---------------------------------------------------------------------------


def test_the_true_region_deletes_faster_than_random_orders(detector):
    images, masks = squares(CORNERS)
    predict = probabilities(detector)
    perfect = explain.deletion_curve(predict, images, masks.astype(np.float32), SQUARE, steps=16)
    assert perfect.shape == (4, 17)
    np.testing.assert_allclose(perfect[:, 0], predict(images)[:, 1], rtol=1e-5)
    np.testing.assert_allclose(perfect[:, -1], predict(np.zeros_like(images))[:, 1], rtol=1e-5)
    randoms = [
        explain.deletion_area(explain.deletion_curve(predict, images, explain.random_maps((4, SIZE, SIZE), s), SQUARE))
        for s in range(3)
    ]
    assert np.all(explain.deletion_area(perfect) < 0.5 * np.min(randoms, axis=0))
    maps = explain.grad_cam(detector, images, SQUARE, "detector")  # already at the image's resolution
    assert np.all(
        explain.deletion_area(explain.deletion_curve(predict, images, maps, SQUARE)) < np.min(randoms, axis=0)
    )


def test_deletion_deletes_in_the_maps_order_and_a_constant_map_in_a_random_one():
    def share_left(images):  # class 1's probability: the share of pixels left untouched (not 0)
        left = (images[..., 0] != 0).mean(axis=(1, 2))
        return np.stack([1 - left, left], axis=1)

    def first_gone(images):  # class 1's probability: 1 while pixel (0, 0) is untouched
        left = (images[:, 0, 0, 0] != 0).astype(float)
        return np.stack([1 - left, left], axis=1)

    images = np.ones((1, 4, 4, 1), np.float32)
    ramp = np.arange(16.0).reshape(1, 4, 4)
    np.testing.assert_allclose(
        explain.deletion_curve(share_left, images, ramp, np.array([1]), steps=4), [[1, 0.75, 0.5, 0.25, 0]]
    )
    assert explain.deletion_curve(first_gone, images, ramp, np.array([1]), steps=16)[0, -2] == 1.0  # (0, 0) is last
    flat_map = np.zeros((1, 4, 4))
    orders = {
        tuple(explain.deletion_curve(first_gone, images, flat_map, np.array([1]), steps=16, seed=s)[0])
        for s in range(6)
    }
    assert len(orders) > 1  # ties are broken at random, differently for each seed


def test_deletion_area_is_the_trapezoid_rule():
    np.testing.assert_allclose(explain.deletion_area(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.5]])), [0.5, 1.0, 0.75])
    np.testing.assert_allclose(explain.deletion_area(np.array([[1.0, 0.5, 0.0, 0.0, 0.0]])), [0.25 * (0.75 + 0.25)])
    with pytest.raises(ValueError, match=r"curves: expected shape \(N, steps \+ 1\)"):
        explain.deletion_area(np.array([1.0, 0.0]))


def test_deletion_curve_refuses_maps_at_the_layers_resolution():
    with pytest.raises(ValueError, match=r"maps: expected shape \(1, 8, 8\).*upsample"):
        explain.deletion_curve(corner_pixel_model, np.zeros((1, 8, 8, 1)), np.zeros((1, 2, 2)), np.array([1]))


def test_random_maps():
    maps = explain.random_maps((2, 3, 4), seed=5)
    assert maps.shape == (2, 3, 4) and np.array_equal(maps, explain.random_maps((2, 3, 4), seed=5))
    assert not np.array_equal(maps, explain.random_maps((2, 3, 4), seed=6))
    with pytest.raises(ValueError, match=r"shape: expected \(N, H, W\)"):
        explain.random_maps((2, 3))


# --- rank correlation -----------------------------------------------------------------------------


def test_rank_correlation_of_identical_reversed_and_tied_maps():
    rng = np.random.default_rng(3)
    maps = rng.normal(size=(2, 5, 5))
    np.testing.assert_allclose(explain.rank_correlation(maps, maps), [1.0, 1.0])
    np.testing.assert_allclose(explain.rank_correlation(maps, -maps), [-1.0, -1.0])
    # ranks with ties averaged: [1, 2.5, 2.5, 4] against [1, 2, 3, 4]; by hand, 4.5 / sqrt(4.5 * 5) = sqrt(0.9)
    tied = explain.rank_correlation(np.array([[[1.0, 2.0], [2.0, 3.0]]]), np.array([[[1.0, 2.0], [3.0, 4.0]]]))
    np.testing.assert_allclose(tied, [np.sqrt(0.9)])
    assert explain.rank_correlation(np.zeros((1, 2, 2)), maps[:1, :2, :2]) == [0.0]  # a constant map: 0 by definition


def test_rank_correlation_depends_on_the_order_only():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 6, 6)), rng.normal(size=(3, 6, 6))
    b[:, :3] = a[:, :3]  # some agreement, so the value is not near 0 by chance
    expected = explain.rank_correlation(a, b)
    np.testing.assert_allclose(explain.rank_correlation(np.exp(a), b**3 + 7), expected)
    assert np.all(expected > 0.2) and np.all(expected < 0.9)
    with pytest.raises(ValueError, match="maps_a, maps_b: expected two arrays"):
        explain.rank_correlation(a, b[:2])


# --- randomization --------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [sequential_in_sequential, frozen_functional_in_functional])
def test_randomized_copy_shuffles_the_named_layers_only(flat, build):
    model = with_weights_of(flat, build())
    before = {layer.name: layer.get_weights() for layer in leaves(model)}
    copy = explain.randomized_copy(model, ["logits", "bn1", "conv1"], seed=3)
    assert copy is not model
    for layer in leaves(model):
        for original, now in zip(before[layer.name], layer.get_weights()):
            np.testing.assert_array_equal(original, now)  # the model itself is untouched
    for layer in leaves(copy):
        for original, shuffled in zip(before[layer.name], layer.get_weights()):
            if layer.name in ("logits", "bn1", "conv1"):
                np.testing.assert_array_equal(np.sort(original, axis=None), np.sort(shuffled, axis=None))
                assert original.size < 2 or len(set(original.ravel())) < 2 or not np.array_equal(original, shuffled)
            else:
                np.testing.assert_array_equal(original, shuffled)
    assert not np.array_equal(
        before["conv1"][0], copy.get_layer("base").get_layer("stem").get_layer("conv1").get_weights()[0]
    )
    assert np.all(copy.get_layer("base").get_layer("stem").get_layer("bn1").moving_variance.numpy() > 0)
    copy.get_layer("logits").kernel.assign(np.zeros((6, 3)))  # the copy's variables are its own
    assert np.any(model.get_layer("logits").get_weights()[0] != 0)
    assert copy.get_layer("base").trainable == model.get_layer("base").trainable


def test_randomized_copy_is_repeatable_and_refuses_layers_without_weights(detector):
    one = explain.randomized_copy(detector, ["logits"], seed=2).get_layer("logits").get_weights()
    two = explain.randomized_copy(detector, ["logits"], seed=2).get_layer("logits").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    with pytest.raises(ValueError, match="layer_names: 'pool' has no weights to randomize"):
        explain.randomized_copy(detector, ["pool"])
    with pytest.raises(ValueError, match="has no layer 'conv9'"):
        explain.randomized_copy(detector, ["conv9"])


def test_cascading_randomization_shows_the_map_depends_on_the_model(detector):
    images, _ = squares(CORNERS)
    results = explain.cascading_randomization(detector, images, SQUARE, "detector", ["logits", "detector"])
    assert [name for name, _ in results] == ["logits", "detector"]
    randomized = explain.grad_cam(explain.randomized_copy(detector, ["logits"]), images, SQUARE, "detector")
    assert np.all(randomized.max(axis=(1, 2)) == pytest.approx(1.0))  # a real map, not a constant one scored 0
    # Four weights: some shuffles keep the ranking (the trained map correlates 1 with itself); this one does not.
    assert results[0][1] < 0.9 and results[1][1] < 0.5, results
    same = explain.cascading_randomization(detector, images, SQUARE, "detector", ["logits"])
    assert same[0] == results[0]  # the first layer is shuffled the same way in a longer cascade
    both = explain.randomized_copy(detector, ["logits", "detector"])  # cumulative: the second step shuffles both
    trained = explain.grad_cam(detector, images, SQUARE, "detector")
    both_maps = explain.grad_cam(both, images, SQUARE, "detector")
    assert results[1][1] == pytest.approx(np.mean(explain.rank_correlation(trained, both_maps)))
    only_detector = explain.grad_cam(explain.randomized_copy(detector, ["detector"]), images, SQUARE, "detector")
    assert results[1][1] != pytest.approx(np.mean(explain.rank_correlation(trained, only_detector)))


def test_predictor_gives_the_softmax_of_the_models_logits():
    model = detector_model()
    images, _ = squares([(2, 2), (9, 9), (0, 11)])
    probabilities = explain.predictor(model, batch_size=2)(images)  # two calls: a batch of 2, then of 1
    logits = model.predict(images, verbose=0)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, expected / expected.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="model: expected a Keras model, got function"):
        explain.predictor(lambda x: x)
