import numpy as np
import pytest

import helpers  # noqa: F401  (imports TensorFlow quietly)
from helpers import ops
from helpers.environment import keras, tf


def tf_padding(padding):
    return padding.upper() if isinstance(padding, str) else [[0, 0], [padding, padding], [padding, padding], [0, 0]]


def random_conv_case(rng):
    """A random conv problem TensorFlow can run: it has no CPU kernel for stride > 1 with dilation > 1."""
    kh, kw = rng.integers(1, 5, size=2)
    stride, dilation = (int(rng.integers(1, 4)), 1) if rng.random() < 0.5 else (1, int(rng.integers(1, 4)))
    padding = ["valid", "same", int(rng.integers(0, 3))][rng.integers(0, 3)]
    h, w = [int(n) for n in rng.integers(dilation * (max(kh, kw) - 1) + 1, 12, size=2)]
    x = rng.normal(size=(int(rng.integers(1, 3)), h, w, int(rng.integers(1, 5)))).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, x.shape[3], int(rng.integers(1, 5)))).astype(np.float32)
    return x, kernel, stride, padding, dilation


@pytest.mark.parametrize("seed", range(40))
def test_conv2d_matches_tensorflow_on_random_problems(seed):
    x, w, stride, padding, dilation = random_conv_case(np.random.default_rng(seed))
    expected = tf.nn.conv2d(x, w, stride, tf_padding(padding), dilations=dilation).numpy()
    got = ops.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    for axis in (0, 1):  # and the output-size formula predicts TensorFlow's shape
        assert expected.shape[1 + axis] == ops.output_size(x.shape[1 + axis], w.shape[axis], stride, padding, dilation)


@pytest.mark.parametrize("seed", range(12))
def test_naive_and_vectorized_agree_including_stride_with_dilation(seed):
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=(2, 9, 8, 2)).astype(np.float32)
    w = rng.normal(size=(int(rng.integers(1, 4)), int(rng.integers(1, 4)), 2, 3)).astype(np.float32)
    b = rng.normal(size=3).astype(np.float32)
    options = dict(
        stride=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
        dilation=int(rng.integers(1, 3)),
        padding=["valid", "same", 1][seed % 3],
    )
    np.testing.assert_allclose(
        ops.conv2d_naive(x, w, b, **options), ops.conv2d(x, w, b, **options), rtol=1e-5, atol=1e-5
    )


def test_conv2d_bias_and_large_batch_chunks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 30, 30, 2)).astype(np.float32)  # 9 images of 784 outputs: several chunks
    w = rng.normal(size=(3, 3, 2, 5)).astype(np.float32)
    b = np.arange(5, dtype=np.float32)
    expected = tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "VALID"), b).numpy()
    np.testing.assert_allclose(ops.conv2d(x, w, b), expected, rtol=1e-5, atol=1e-4)


def test_large_images_are_chunked_by_rows_and_still_match():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 100, 90, 3)).astype(np.float32)  # 9,000 outputs per image: bands of rows
    w = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    for stride in (1, 2):
        expected = tf.nn.conv2d(x, w, stride, "SAME").numpy()
        np.testing.assert_allclose(ops.conv2d(x, w, stride=stride, padding="same"), expected, rtol=1e-5, atol=1e-4)


def test_same_padding_follows_tensorflows_uneven_rule():
    assert ops.pad_amounts(5, 2, 1, "same") == (0, 1)  # the extra cell goes after
    assert ops.pad_amounts(6, 3, 2, "same") == (0, 1)
    assert ops.pad_amounts(5, 3, 1, "same") == (1, 1)
    assert ops.pad_amounts(5, 3, 1, "same", dilation=2) == (2, 2)


def test_corr2d_hand_example_and_convolution_flips():
    image = np.arange(9.0).reshape(3, 3)
    kernel = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(ops.corr2d(image, kernel), [[19.0, 25.0], [37.0, 43.0]])
    np.testing.assert_array_equal(ops.convolve2d(image, kernel), ops.corr2d(image, kernel[::-1, ::-1]))
    symmetric = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
    big = np.random.default_rng(0).normal(size=(5, 6))
    np.testing.assert_allclose(ops.convolve2d(big, symmetric), ops.corr2d(big, symmetric))


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("seed", range(12))
def test_pool2d_matches_tensorflow_on_random_problems(mode, seed):
    rng = np.random.default_rng(200 + seed)
    size = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = ["valid", "same"][seed % 2]
    x = rng.normal(size=(2, int(rng.integers(3, 10)), int(rng.integers(3, 10)), 3)).astype(np.float32)
    pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    expected = pool(x, size, stride, padding.upper()).numpy()
    np.testing.assert_allclose(ops.pool2d(x, size, stride, padding, mode), expected, rtol=1e-6, atol=1e-6)


def test_pool2d_stride_defaults_to_size():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(ops.pool2d(x)[0, :, :, 0], [[5.0, 7.0], [13.0, 15.0]])
    np.testing.assert_array_equal(ops.pool2d(x, mode="avg")[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_same_average_pooling_ignores_padded_cells():
    x = np.ones((1, 3, 3, 1), dtype=np.float32)
    np.testing.assert_array_equal(ops.pool2d(x, 2, 2, "same", "avg"), np.ones((1, 2, 2, 1)))


def random_transpose_case(seed):
    """A transposed convolution's input y, Keras's layer for it, stride and padding."""
    rng = np.random.default_rng(300 + seed)
    kh, kw = (int(k) for k in rng.integers(1, 6, size=2))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = ["valid", "same"][seed % 2]
    y = rng.normal(size=(2, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 4))))
    layer = keras.layers.Conv2DTranspose(int(rng.integers(1, 4)), (kh, kw), strides=stride, padding=padding,
                                         use_bias=False)  # fmt: skip
    layer.build(y.shape)
    layer.kernel.assign(rng.normal(size=layer.kernel.shape))  # seeded, unlike Keras's initializer
    return y.astype(np.float32), layer, stride, padding


@pytest.mark.parametrize("seed", range(24))
def test_conv2d_transpose_matches_keras_and_its_size_formula(seed):
    y, layer, stride, padding = random_transpose_case(seed)
    expected = layer(y).numpy()
    got = ops.conv2d_transpose(y, layer.kernel.numpy(), stride, padding)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    for axis in (0, 1):
        size = ops.transposed_output_size(y.shape[1 + axis], layer.kernel.shape[axis], stride[axis], padding)
        assert expected.shape[1 + axis] == size


@pytest.mark.parametrize("seed", range(24))
def test_conv2d_transpose_is_the_adjoint_of_conv2d(seed):
    y, layer, stride, padding = random_transpose_case(seed)
    y, w = y.astype(np.float64), layer.kernel.numpy().astype(np.float64)  # float32 rounding would blur the identity
    # w is (kh, kw, C_out, C_in): read forwards, it is conv2d's (kh, kw, C_in, C_out)
    x = np.random.default_rng(seed).normal(size=ops.conv2d_transpose(y, w, stride, padding).shape)
    forward = ops.conv2d(x, w, stride=stride, padding=padding)
    assert forward.shape == y.shape, "the convolution maps the transposed one's output size back to its input size"
    np.testing.assert_allclose(np.vdot(forward, y), np.vdot(x, ops.conv2d_transpose(y, w, stride, padding)), rtol=1e-12)
    x_var = tf.Variable(x)  # and it is the gradient of <conv2d(x), y> with respect to x
    with tf.GradientTape() as tape:
        inner = tf.reduce_sum(tf.nn.conv2d(x_var, w, stride, padding.upper()) * y)
    np.testing.assert_allclose(tape.gradient(inner, x_var), ops.conv2d_transpose(y, w, stride, padding), atol=1e-10)


def test_transposed_overlap_is_even_only_when_the_stride_divides_the_kernel():
    ones = np.ones((1, 5, 5, 1))
    uneven = ops.conv2d_transpose(ones, np.ones((3, 3, 1, 1)), 2)[0, 2:-2, 2:-2, 0]
    even = ops.conv2d_transpose(ones, np.ones((4, 4, 1, 1)), 2)[0, 3:-3, 3:-3, 0]
    np.testing.assert_array_equal(uneven[:3, :3], [[4, 2, 4], [2, 1, 2], [4, 2, 4]])
    assert np.all(even == 4)


@pytest.mark.parametrize(
    "n, k, stride, padding, expected",
    [
        (7, 4, 2, "same", 14),
        (7, 4, 2, "valid", 16),
        (5, 3, 2, "valid", 11),
        (5, 1, 3, "valid", 15),
        (3, 3, 1, "same", 3),
    ],
)
def test_transposed_output_size_formula(n, k, stride, padding, expected):
    assert ops.transposed_output_size(n, k, stride, padding) == expected


@pytest.mark.parametrize(
    "n, k, stride, padding, dilation, expected",
    [
        (5, 3, 1, 0, 1, 3),
        (5, 3, 1, 1, 1, 5),
        (7, 3, 2, 0, 1, 3),
        (8, 3, 2, 0, 1, 3),
        (9, 3, 1, 0, 2, 5),
        (224, 7, 2, 3, 1, 112),
        (7, 3, 2, "same", 1, 4),
        (7, 3, 1, "valid", 1, 5),
    ],
)
def test_output_size_formula(n, k, stride, padding, dilation, expected):
    assert ops.output_size(n, k, stride, padding, dilation) == expected


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ops.conv2d(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1))),
            r"x: expected 4 dimensions \(N, H, W, C_in\), got shape \(4, 4, 1\)",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 1, 1))),
            r"w: expected 3 input channels.*got w of shape \(3, 3, 1, 1\) with 1",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((5, 5, 1, 1))),
            r"w: window spans 5 cells along H.*padded input \(4\)",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1)), dilation=2),
            r"window spans 5 cells.*dilation 2",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1)), stride=0),
            r"stride: expected a positive int.*got 0",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 2)), b=np.zeros(3)),
            r"b: expected shape \(2,\)",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1)), padding="full"),
            r"padding: expected 'valid', 'same' or an int",
        ),
        (lambda: ops.conv2d_naive(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 2, 1))), r"w: expected 1 input channels"),
        (lambda: ops.pool2d(np.zeros((4, 4)), 2), r"x: expected 4 dimensions"),
        (lambda: ops.pool2d(np.zeros((1, 4, 4, 1)), 2, mode="median"), r"mode: expected 'max' or 'avg'"),
        (lambda: ops.pool2d(np.zeros((1, 4, 4, 1)), 2, stride=-1), r"stride: expected a positive int"),
        (lambda: ops.corr2d(np.zeros((2, 2)), np.zeros((3, 3))), r"kernel: expected at most the image size"),
        (lambda: ops.output_size(5, 3, stride=0), r"stride: expected a positive int"),
        (lambda: ops.output_size(2, 5), r"k: kernel spans 5 cells.*padded input 2"),
        (lambda: ops.pool2d(np.zeros((1, 4, 4, 1)), 2.0), r"size: expected a positive int or a pair of them, got 2.0"),
        (lambda: ops.pool2d(np.zeros((1, 3, 3, 1)), 5), r"size: window spans 5 cells along H"),
        (lambda: ops.pad_amounts(5, 3, 0, "same"), r"stride: expected a positive int, got 0"),
        (lambda: ops.conv2d_transpose(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1))), r"y: expected 4 dimensions"),
        (
            lambda: ops.conv2d_transpose(np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 1, 3))),
            r"w: expected 2 input channels on axis 3 \(the last axis of y.*got w of shape \(3, 3, 1, 3\) with 3",
        ),
        (lambda: ops.conv2d_transpose(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1)), 0), r"stride: expected a pos"),
        (lambda: ops.transposed_output_size(4, 3, 2, "full"), r"padding: expected 'valid' or 'same'.*got 'full'"),
        (lambda: ops.transposed_output_size(0, 3), r"n: expected a positive int, got 0"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
