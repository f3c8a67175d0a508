"""Each typical student mistake must be diagnosed as that mistake, and a correct answer must pass."""

import numpy as np
import pytest

from helpers import checks, ops


def verdict(check, fn, capsys):
    passed = check(fn)
    return passed, capsys.readouterr().out


def loop_corr2d(image, kernel, stop_short=False):
    kh, kw = kernel.shape
    rows, cols = image.shape[0] - kh + (0 if stop_short else 1), image.shape[1] - kw + (0 if stop_short else 1)
    return np.array([[np.sum(image[i : i + kh, j : j + kw] * kernel) for j in range(cols)] for i in range(rows)])


def conv_with(**overrides):
    """A conv2d that deliberately gets one thing wrong."""

    def conv(x, w, b=None, stride=1, padding="valid", dilation=1):
        options = dict(b=b, stride=stride, padding=padding, dilation=dilation)
        options.update({k: v(options) if callable(v) else v for k, v in overrides.items()})
        if options.pop("edge_padding", False) and isinstance(padding, int):
            x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode="edge")
            options["padding"] = "valid"
        return ops.conv2d(x, w, **options)

    return conv


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda image, kernel: None, "returned None"),
        (lambda image, kernel: (_ for _ in ()).throw(NotImplementedError), "not implemented yet"),
        (lambda image, kernel: ops.convolve2d(image, kernel), "kernel is flipped"),
        (lambda image, kernel: loop_corr2d(image, kernel, stop_short=True), "Off by one: there are H - kh + 1"),
        (lambda image, kernel: ops.corr2d(image, kernel.T), "the kernel's indices are swapped"),
        (lambda image, kernel: image[:1, :1] @ kernel, "raised ValueError"),
    ],
)
def test_corr2d_mistakes_are_named(fn, expected, capsys):
    passed, out = verdict(checks.check_corr2d, fn, capsys)
    assert passed is False and out.startswith("✗") and expected in out


@pytest.mark.parametrize(
    "fn, expected",
    [
        (conv_with(w=None), "raised"),
        (
            lambda x, w, **_: ops.conv2d(x, w[::-1, ::-1]),
            "case 'one image, one channel in and out': the kernel is flipped",
        ),
        (lambda x, w: ops.conv2d(x, w), "case 'with a bias'"),  # does not even accept b
        (conv_with(b=None), "with a bias': the bias is not added"),
        (conv_with(stride=1), "case 'stride 2': the stride is ignored"),
        (conv_with(edge_padding=True), "case 'padding 1': the inside is right but the border is wrong"),
        (
            conv_with(padding=lambda o: "valid" if o["padding"] == "same" else o["padding"]),
            "padding 'same'': the padding is ignored",
        ),
        (conv_with(dilation=1), "case 'dilation 2': the dilation is ignored"),
    ],
)
def test_conv2d_mistakes_are_named(fn, expected, capsys):
    passed, out = verdict(checks.check_conv2d, fn, capsys)
    assert passed is False and expected in out, out


def test_conv2d_padding_on_the_wrong_side_is_named(capsys):
    def conv(x, w, b=None, stride=1, padding="valid", dilation=1):
        if padding == "same":
            pads = [ops.pad_amounts(x.shape[1 + a], w.shape[a], stride, "same", dilation)[::-1] for a in (0, 1)]
            x, padding = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0))), "valid"
        return ops.conv2d(x, w, b, stride, padding, dilation)

    passed, out = verdict(checks.check_conv2d, conv, capsys)
    assert not passed and "2x2 kernel (uneven padding)': the extra padding cell is on the wrong side" in out


def test_conv2d_check_cannot_be_fooled_by_writing_into_the_input(capsys):
    def vandal(x, w, b=None, **options):
        out = ops.conv2d(x, w, b, **options)
        x[...] = 0
        return out

    assert verdict(checks.check_conv2d, vandal, capsys)[0] is True


@pytest.mark.parametrize(
    "fn, expected",
    [
        (
            lambda x, size=2, stride=None, padding="valid", mode="max": ops.pool2d(x, size, stride, padding, "avg"),
            "you computed avg pooling, not max",
        ),
        (
            lambda x, size=2, stride=None, padding="valid", mode="max": ops.pool2d(x, size, stride, padding, "max"),
            "case '2x2 average pooling': you computed max pooling, not avg",
        ),
        (
            lambda x, size=2, stride=None, padding="valid", mode="max": ops.pool2d(x, size, 1, padding, mode),
            "the stride is wrong: it defaults to the window size",
        ),
        (
            lambda x, size=2, stride=None, padding="valid", mode="max": ops.pool2d(x, size, stride, "valid", mode),
            "max pooling with padding 'same'': the padding is ignored",
        ),
    ],
)
def test_pool2d_mistakes_are_named(fn, expected, capsys):
    passed, out = verdict(checks.check_pool2d, fn, capsys)
    assert passed is False and expected in out, out


def test_average_pooling_that_counts_padding_is_named(capsys):
    def pool(x, size=2, stride=None, padding="valid", mode="max"):
        if padding == "same" and mode == "avg":
            return checks._avg_pool_counting_padding(x, size, stride)
        return ops.pool2d(x, size, stride, padding, mode)

    passed, out = verdict(checks.check_pool2d, pool, capsys)
    assert not passed and "padded cells are counted in the average" in out


def test_output_size_mistakes_are_reported_with_the_case(capsys):
    passed, out = verdict(checks.check_output_size, lambda n, k, stride=1, padding=0, dilation=1: n - k + 1, capsys)
    assert not passed and "case 'padding 1' (n=5, k=3, padding=1): expected 5, got 3." in out
    passed, out = verdict(
        checks.check_output_size,
        lambda n, k, stride=1, padding=0, dilation=1: round((n + 2 * padding - k) / stride + 1),
        capsys,
    )
    assert not passed and "round down" in out


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: x.mean(axis=(1, 2)), "✓ global avg pooling"),
        (lambda x: x.mean(axis=(1, 2), keepdims=True), "no keepdims"),
        (lambda x: x.mean(axis=(1, 2, 3)), "pooled over the channels too"),
        (lambda x: x.max(axis=(1, 2)), "values differ"),
    ],
)
def test_global_pool_check(fn, expected, capsys):
    passed, out = verdict(checks.check_global_pool, fn, capsys)
    assert expected in out and passed == expected.startswith("✓")


def test_global_pool_check_names_the_batch_mistake_and_checks_max(capsys):
    assert not checks.check_global_pool(lambda x: x.max(axis=(0, 1, 2)), mode="max")
    assert "pooled over the batch" in capsys.readouterr().out
    assert checks.check_global_pool(lambda x: x.max(axis=(1, 2)), mode="max")
    with pytest.raises(ValueError, match="mode: expected 'avg' or 'max'"):
        checks.check_global_pool(lambda x: x, mode="sum")


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out + c_out, "✓ conv_params"),
        (lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out, "the bias is missing"),
        (lambda kh, kw, c_in, c_out: kh * kw * c_out + c_out, "for every input channel"),
        (lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out + c_in, "one bias per output channel"),
        (lambda kh, kw, c_in, c_out: 7, "expected 320, got 7"),
    ],
)
def test_conv_params_check(fn, expected, capsys):
    passed, out = verdict(checks.check_conv_params, fn, capsys)
    assert expected in out and passed == expected.startswith("✓")


def test_receptive_field_check(capsys):
    assert verdict(checks.check_receptive_field, checks._reference_receptive_field, capsys)[0]
    passed, out = verdict(checks.check_receptive_field, lambda s: 1 + sum(k - 1 for k, _ in s), capsys)
    assert not passed and "'conv, 2x2 pool, conv': the strides are ignored" in out
    passed, out = verdict(checks.check_receptive_field, lambda s: sum(k for k, _ in s), capsys)
    assert not passed and "the sizes are added" in out


def test_receptive_field_reference_agrees_with_the_model_helper():
    from helpers import models

    model = models.build_cnn(filters=(8, 8, 8), convs_per_block=2)
    stack = [(3, 1), (3, 1), (2, 2)] * 3
    assert models.receptive_fields(model)[-1][1] == checks._reference_receptive_field(stack)


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda c_in, c_out, n: 9 * c_in * c_out + c_out + (n - 1) * (9 * c_out * c_out + c_out), "✓ block_params"),
        (lambda c_in, c_out, n: n * (9 * c_in * c_out + c_out), "only the first convolution sees c_in"),
        (lambda c_in, c_out, n: 9 * c_in * c_out + (n - 1) * 9 * c_out * c_out, "the biases are missing"),
        (lambda c_in, c_out, n: n * (9 * c_out * c_out + c_out), "takes c_in channels, not c_out"),
    ],
)
def test_block_params_check(fn, expected, capsys):
    passed, out = verdict(checks.check_block_params, fn, capsys)
    assert expected in out and passed == expected.startswith("✓")


@pytest.mark.parametrize(("c_in", "c_out", "n_convs"), [(3, 64, 2), (64, 128, 3), (1, 8, 1)])
def test_block_params_reference_agrees_with_keras(c_in, c_out, n_convs):
    from helpers import models

    model = models.build_vgg([c_out] * n_convs, include_top=False, input_shape=(8, 8, c_in))
    assert checks._reference_block_params(c_in, c_out, n_convs) == model.count_params()


def _bce(logits, label):
    return np.mean(np.log1p(np.exp(-logits)) + (1 - label) * logits)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda r, f: _bce(r, 1) + _bce(f, 0), "✓ discriminator loss"),
        (lambda r, f: _bce(r, 0) + _bce(f, 1), "labels are swapped"),
        (lambda r, f: _bce(r, 1), "add the loss on the fakes"),
        (lambda r, f: (_bce(r, 1) + _bce(f, 0)) / 2, "do not average them"),
        (lambda r, f: _bce(1 / (1 + np.exp(-r)), 1) + _bce(1 / (1 + np.exp(-f)), 0), "already logits"),
        (lambda r, f: 0.0, "values differ"),
    ],
)
def test_discriminator_loss_check(fn, expected, capsys):
    passed, out = verdict(checks.check_discriminator_loss, fn, capsys)
    assert passed == expected.startswith("✓") and expected in out


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda f: _bce(f, 1), "✓ generator loss"),
        (lambda f: np.mean(np.log(1 - 1 / (1 + np.exp(-f)))), "saturating loss"),
        (lambda f: _bce(f, 0), "label them 1, not 0"),
    ],
)
def test_generator_loss_check(fn, expected, capsys):
    passed, out = verdict(checks.check_generator_loss, fn, capsys)
    assert passed == expected.startswith("✓") and expected in out


def _mix(x0, t, noise, alpha_bar, index=lambda t: t, roots=True, swap=False):
    a = alpha_bar[index(t)].reshape(-1, 1, 1, 1)
    signal, rest = (np.sqrt(a), np.sqrt(1 - a)) if roots else (a, 1 - a)
    return rest * x0 + signal * noise if swap else signal * x0 + rest * noise


def _one_step_of_noise(x0, t, noise):
    """q_sample with the schedule's beta[t] (one step) in place of alpha_bar[t]: the check's betas, 1e-3 to 0.1."""
    beta = np.linspace(1e-3, 0.1, 50)[t].reshape(-1, 1, 1, 1)
    return np.sqrt(1 - beta) * x0 + np.sqrt(beta) * noise


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (_mix, "✓ q_sample"),
        (lambda x0, t, n, a: _mix(x0, t, n, a, roots=False), "take square roots"),
        (lambda x0, t, n, a: _mix(x0, t, n, a, swap=True), "the two weights are swapped"),
        (lambda x0, t, n, a: _mix(x0, t, n, a, index=lambda t: t - 1), "index it with t, not t - 1"),
        (lambda x0, t, n, a: _mix(x0, t, n, a, index=lambda t: t + 1), "not t + 1"),
        (lambda x0, t, n, a: _mix(x0, t, n, a, index=lambda t: np.full_like(t, t[0])), "its own timestep"),
        (lambda x0, t, n, a: _one_step_of_noise(x0, t, n), "that is one step of noise; use alpha_bar"),
        (lambda x0, t, n, a: x0, "values differ"),
    ],
)
def test_q_sample_check(fn, expected, capsys):
    passed, out = verdict(checks.check_q_sample, fn, capsys)
    assert passed == expected.startswith("✓") and expected in out


def _ddim(x_t, eps, a_t, a_prev, divide=True, renoise=True):
    x0 = (x_t - np.sqrt(1 - a_t) * eps) / (np.sqrt(a_t) if divide else 1.0)
    return np.sqrt(a_prev) * x0 + (np.sqrt(1 - a_prev) * eps if renoise else 0.0)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (_ddim, "✓ DDIM step"),
        (lambda x, e, a, p: _ddim(x, e, a, p, renoise=False), "add the noise back"),
        (lambda x, e, a, p: _ddim(x, e, p, a), "swapped"),
        (lambda x, e, a, p: _ddim(x, e, a, p, divide=False), "divide (x_t - sqrt(1 - alpha_bar_t) eps)"),
        (lambda x, e, a, p: _ddim(x, e, a, p, renoise=False) + np.sqrt(1 - a) * e, "noise term uses alpha_bar_prev"),
    ],
)
def test_ddim_step_check(fn, expected, capsys):
    passed, out = verdict(checks.check_ddim_step, fn, capsys)
    assert passed == expected.startswith("✓") and expected in out


# --- properties every check shares ----------------------------------------------------------------

CORRECT = {
    "check_output_size": ops.output_size,
    "check_corr2d": loop_corr2d,
    "check_conv2d": ops.conv2d_naive,
    "check_pool2d": ops.pool2d,
    "check_global_pool": lambda x: x.mean(axis=(1, 2)),
    "check_conv_params": lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out + c_out,
    "check_block_params": checks._reference_block_params,
    "check_receptive_field": checks._reference_receptive_field,
    "check_discriminator_loss": lambda r, f: _bce(r, 1) + _bce(f, 0),
    "check_generator_loss": lambda f: _bce(f, 1),
    "check_q_sample": _mix,
    "check_ddim_step": _ddim,
}


def test_every_public_check_has_a_correct_solution_below():
    assert {name for name in dir(checks) if name.startswith("check_")} - CHOICE_CHECKS == set(CORRECT)


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_solution_passes_every_check(name, capsys):
    passed, out = verdict(getattr(checks, name), CORRECT[name], capsys)
    assert passed is True and out.startswith("✓") and "cases match the reference" in out, out


def _raises(error):
    def fn(*args, **kwargs):
        raise error

    return fn


@pytest.mark.parametrize("name", CORRECT)
@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (_raises(NotImplementedError), "not implemented yet (the function raised NotImplementedError)."),
        (_raises(TypeError("no such option")), "your function raised TypeError: no such option"),
        (lambda *args, **kwargs: None, "your function returned None. Fill in its body"),
        (lambda *args, **kwargs: "all good", "your function returned a str ('all good'); expected "),
        (lambda *args, **kwargs: {"answer": 1}, "your function returned a dict ({'answer': 1}); expected "),
        (lambda *args, **kwargs: [[1.0, 2.0], [3.0]], "your function returned a list ([[1.0, 2.0], [3.0]])"),
        (lambda *args, **kwargs: np.array([True]), "your function returned an array of bool; expected "),
    ],
)
def test_a_function_that_fails_or_returns_no_numbers_gets_a_verdict_on_the_first_case(name, fn, expected, capsys):
    passed, out = verdict(getattr(checks, name), fn, capsys)
    assert passed is False and out.startswith("✗") and out.count("\n") == 1 and expected in out, out


def test_a_returned_string_is_not_mistaken_for_the_checks_own_verdict(capsys):
    passed, out = verdict(checks.check_conv_params, lambda *args: "case 'x': looks like a verdict", capsys)
    assert not passed and "your function returned a str" in out


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda kh, kw, c_in, c_out: np.array([kh * kw * c_in * c_out + c_out]), "expected (), got (1,)"),
        (lambda kh, kw, c_in, c_out: [kh * kw * c_in * c_out + c_out] * 2, "expected (), got (2,)"),
    ],
)
def test_a_count_check_given_an_array_asks_for_one_number(fn, expected, capsys):
    passed, out = verdict(checks.check_conv_params, fn, capsys)
    assert not passed and f"output shape: {expected}. Return one whole number, not a list or an array." in out


def test_a_loss_check_given_per_example_losses_asks_for_their_average(capsys):
    passed, out = verdict(checks.check_generator_loss, lambda f: np.log1p(np.exp(-f)), capsys)
    assert not passed and "expected (), got (5, 1). Return one number: average the per-example values" in out


def test_an_array_check_given_one_number_names_the_missing_dimensions(capsys):
    passed, out = verdict(checks.check_corr2d, lambda image, kernel: 3.0, capsys)
    assert not passed and "output shape: expected (2, 2), got (). The number of dimensions differs" in out


def test_counts_must_be_exact_but_numbers_of_any_type_count(capsys):
    passed, out = verdict(
        checks.check_conv_params, lambda kh, kw, c_in, c_out: kh * kw * c_in * c_out + c_out + 0.01, capsys
    )
    assert not passed and "expected 320, got 320.01." in out  # within the float tolerance, still wrong
    big_block_one_short = lambda c_in, c_out, n: checks._reference_block_params(c_in, c_out, n) - (c_in == 256)  # noqa: E731
    passed, out = verdict(checks.check_block_params, big_block_one_short, capsys)
    assert not passed and "expected 5899776, got 5899775." in out
    assert checks.check_conv_params(lambda kh, kw, c_in, c_out: np.float32(kh * kw * c_in * c_out + c_out))
    assert checks.check_output_size(
        lambda n, k, stride=1, padding=0, dilation=1: np.int64(ops.output_size(n, k, stride, padding, dilation))
    )


def test_losses_are_compared_within_a_tolerance(capsys):
    assert checks.check_discriminator_loss(lambda r, f: _bce(r, 1) + _bce(f, 0) + 1e-6)
    passed, out = verdict(checks.check_discriminator_loss, lambda r, f: _bce(r, 1) + _bce(f, 0) + 1e-2, capsys)
    assert not passed and "values differ: largest error 0.01 at index ()" in out


def test_writing_into_an_input_cannot_spoil_the_later_cases(capsys):
    def vandal(x0, t, noise, alpha_bar):
        out = _mix(x0, t, noise, alpha_bar)
        alpha_bar[...] = 0  # with the schedule zeroed, q_sample is just the noise, whatever the mistake
        return out

    assert verdict(checks.check_q_sample, vandal, capsys)[0] is True
    passed, out = verdict(checks.check_q_sample, lambda x0, t, n, a: _mix(x0, t, n, a, roots=False), capsys)
    assert not passed and "take square roots" in out


# --- lesson 05: what a network looks at -----------------------------------------------------------


def _cam(a, g, reduce=np.mean, relu=True, scale="own", min_max_first=False, weights_over="positions"):
    """Grad-CAM's weighting step written out, with switches for the mistakes."""
    if weights_over == "nothing":
        raw = (g * a).sum(axis=3)
    elif weights_over == "channels":
        raw = a.sum(axis=3) * g.mean(axis=3)
    else:
        raw = (a * reduce(g, axis=(1, 2))[:, None, None, :]).sum(axis=3)
    if min_max_first:
        low, high = raw.min(axis=(1, 2), keepdims=True), raw.max(axis=(1, 2), keepdims=True)
        raw = (raw - low) / (high - low)
    maps = np.maximum(raw, 0) if relu else raw
    if scale == "none":
        return maps
    if scale == "batch":
        return maps / maps.max()
    peaks = maps.max(axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore"):
        return maps / peaks if scale == "nan" else np.where(peaks > 0, maps / np.where(peaks > 0, peaks, 1), 0.0)


CORRECT["check_grad_cam_weights"] = _cam  # pytest reads CORRECT when it collects: the shared tests above cover it
CORRECT["check_nearest_mean"] = lambda f, y, q: np.argmin(
    [np.linalg.norm(q - f[y == c].mean(axis=0), axis=1) for c in range(y.max() + 1)], axis=0
)
CHOICE_CHECKS = {"check_cam_layer"}  # judges a choice (a model and a layer's name), not a function: tested below


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (_cam, "✓ Grad-CAM weights"),
        (lambda a, g: _cam(a, g, reduce=np.sum), "✓ Grad-CAM weights"),  # the scaling to max 1 cancels sum vs mean
        (lambda a, g: _cam(a, g, weights_over="nothing"), "the gradients are used position by position"),
        (lambda a, g: _cam(a, g, weights_over="channels"), "averaged over the channels (axis 3)"),
        (lambda a, g: _cam(a, g, relu=False), "'negative gradients, a map partly below 0': the ReLU is missing"),
        (lambda a, g: _cam(a, g, min_max_first=True), "min-max scaled, (map - min) / (max - min), before the ReLU"),
        (lambda a, g: _cam(a, g, scale="none"), "divide each map by its max, so that its peak is 1"),
        (lambda a, g: _cam(a, g, scale="batch"), "its own max, not by the largest in the batch"),
        (lambda a, g: _cam(a, g, scale="nan"), "your maps contain NaN, most likely 0 / 0 from a map that is zero"),
        (lambda a, g: _cam(a, g)[:, ::-1], "values differ"),
    ],
)
def test_grad_cam_weights_check(fn, expected, capsys):
    passed, out = verdict(checks.check_grad_cam_weights, fn, capsys)
    assert passed == expected.startswith("✓") and expected in out, out


def test_grad_cam_weights_check_takes_tensors_and_agrees_with_grad_cam():
    from helpers import explain
    from helpers.environment import tf

    def with_tensorflow(a, g):
        maps = tf.nn.relu(tf.einsum("nhwc,nc->nhw", a, tf.reduce_mean(g, axis=(1, 2))))
        peaks = tf.reduce_max(maps, axis=(1, 2), keepdims=True)
        return tf.math.divide_no_nan(maps, peaks)

    assert checks.check_grad_cam_weights(with_tensorflow)
    assert checks.check_grad_cam_weights(explain.combine)


def _cam_layer_model():
    """A Sequential base ending in a 1x1 pooling, nested in a Sequential model; and the same base without that
    pooling, functional, nested in another."""
    from helpers.environment import keras

    layers = keras.layers

    def convolutions():
        return [
            layers.Conv2D(4, 3, padding="same", name="conv1"),
            layers.MaxPooling2D(name="pool1"),
            layers.Conv2D(4, 3, padding="same", name="conv2"),
            layers.ReLU(name="relu2"),
        ]

    pooling = layers.MaxPooling2D(8, name="pool2")  # down to 1x1: a map that cannot say where
    base = keras.Sequential([keras.Input((16, 16, 3)), *convolutions(), pooling], name="base")
    head = [layers.Flatten(name="flat"), layers.Dense(3, name="logits")]
    outer = keras.Sequential([keras.Input((16, 16, 3)), base, *head])
    inputs = x = keras.Input((16, 16, 3))
    for layer in convolutions():
        x = layer(x)
    trimmed = keras.Model(inputs, x, name="trimmed")
    pooled = keras.Sequential([keras.Input((16, 16, 3)), trimmed, layers.GlobalAveragePooling2D(name="gap")])
    return outer, pooled


@pytest.mark.parametrize(
    ("layer_name", "expected"),
    [
        ("relu2", "✓ CAM layer: 'relu2' is the last layer with a map (8x8, 4 channels)"),
        ("conv2", "'conv2' is followed by layers that still change the map ('relu2'): take the last, 'relu2'"),
        ("conv1", "'conv1' comes before 'conv2': its map is finer (16x16, 4 channels) but its features are lower"),
        ("pool1", "'pool1' comes before 'conv2': its map is as fine, but its features are lower-level"),
        ("pool2", "'pool2' gives a 1x1 map: one position cannot say where. Use 'relu2' (8x8, 4 channels)."),
        ("base", "'base' (its output is that of 'pool2') gives a 1x1 map"),
        ("flat", "'flat' flattens the map into (None, 4)"),
        ("logits", "'logits' is a Dense layer: its output (None, 3) has no positions left"),
        ("conv3", "the model has no layer 'conv3'. Layers with a map: 'conv1', 'pool1', 'conv2', 'relu2', 'pool2'."),
    ],
)
def test_cam_layer_check_names_the_reason(layer_name, expected, capsys):
    outer, _ = _cam_layer_model()
    passed = checks.check_cam_layer(outer, layer_name)
    out = capsys.readouterr().out
    assert passed == expected.startswith("✓") and out.count("\n") == 1 and expected in out, out


def test_cam_layer_check_looks_through_functional_models_and_accepts_a_model_ending_in_the_layer(capsys):
    _, pooled = _cam_layer_model()
    assert checks.check_cam_layer(pooled, "relu2")
    assert checks.check_cam_layer(pooled, "trimmed")  # its output is relu2's
    assert "(its output is that of 'relu2')" in capsys.readouterr().out
    assert not checks.check_cam_layer(pooled, "gap")
    assert "'gap' pools over all positions into (None, 4)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="model: expected a Keras model, got function"):
        checks.check_cam_layer(_cam, "relu2")


def test_grad_cam_weights_check_names_a_map_missing_its_batch_axis(capsys):
    passed, out = verdict(checks.check_grad_cam_weights, lambda a, g: _cam(a, g)[0], capsys)
    assert not passed and "output shape: expected (1, 4, 4), got (4, 4). The number of dimensions differs" in out


def _distances_to_means(f, y, q):
    means = np.stack([f[y == c].mean(axis=0) for c in range(y.max() + 1)])
    return ((q[:, None] - means[None]) ** 2).sum(axis=2)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda f, y, q: y[((q[:, None] - f[None]) ** 2).sum(axis=2).argmin(axis=1)], "1-nearest neighbour"),
        (lambda f, y, q: (q @ np.stack([f[y == c].mean(axis=0) for c in range(y.max() + 1)]).T).argmax(axis=1),
         "largest dot product"),
        (lambda f, y, q: _distances_to_means(f, y, q).argmax(axis=1), "picks the farthest mean"),
        (_distances_to_means, "not the distances (M, C)"),
        (lambda f, y, q: np.zeros(len(q), int), "✗ nearest class mean"),
    ],
)  # fmt: skip
def test_nearest_mean_check_names_the_mistake(fn, expected, capsys):
    passed, out = verdict(checks.check_nearest_mean, fn, capsys)
    assert passed is False and expected in out, out
