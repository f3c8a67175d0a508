import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from helpers import plot
from helpers.plot import save_gif, tile


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_lays_out_cells_and_titles():
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    fig = plot.image_grid(images, titles=list("abcde"), ncols=3)
    axes = fig.get_axes()
    assert len(axes) == 6  # 2 rows of 3; the last one is hidden
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert not axes[5].images
    np.testing.assert_array_equal(axes[0].images[0].get_array(), images[0])


def test_two_line_titles_stay_clear_of_the_images_above():
    titles = ["Ankle boot\n→ Sneaker 99%"] * 10
    fig = plot.image_grid(np.zeros((10, 28, 28)), titles=titles, ncols=5, cell_size=2.0, suptitle="mistakes")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = fig.get_axes()
    for above, below in zip(axes[:5], axes[5:]):
        image_bottom = above.images[0].get_window_extent(renderer).y0
        assert below.title.get_window_extent(renderer).y1 < image_bottom, "a second-row title overlaps the image above"


def test_image_grid_handles_color_float_and_single_channel():
    color = np.full((8, 8, 3), 200.0, dtype=np.float32)
    gray = np.zeros((8, 8, 1), dtype=np.float32)
    fig = plot.image_grid([color, gray])
    shown = fig.get_axes()[0].images[0].get_array()
    assert shown.max() == pytest.approx(200 / 255)
    assert fig.get_axes()[1].images[0].get_array().shape == (8, 8)


def test_image_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="titles: expected 2 titles"):
        plot.image_grid(np.zeros((2, 4, 4)), titles=["one"])
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, C\), got shape \(4,\)"):
        plot.image_grid([np.zeros(4)])
    with pytest.raises(ValueError, match="at least one image"):
        plot.image_grid([])


def test_training_curves_pairs_train_and_validation():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    fig = plot.training_curves(history)
    loss_ax, acc_ax = fig.get_axes()
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train", "validation"]
    np.testing.assert_array_equal(acc_ax.get_lines()[1].get_ydata(), [0.4, 0.7])


def test_training_curves_accepts_a_history_object():
    class History:
        history = {"loss": [3.0, 2.0, 1.0]}

    (ax,) = plot.training_curves(History()).get_axes()
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])


def test_training_curves_put_ticks_on_whole_epochs_only():
    (ax,) = plot.training_curves({"loss": [3.0, 2.0]}).get_axes()
    ticks = [tick for tick in ax.get_xticks() if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_training_curves_rejects_empty_history():
    with pytest.raises(ValueError, match="history: expected"):
        plot.training_curves({})


def test_image_grid_can_share_one_value_range():
    fig = plot.image_grid([np.zeros((3, 3)), np.ones((3, 3))], value_range=(-1, 1))
    assert all(ax.images[0].get_clim() == (-1, 1) for ax in fig.get_axes())


def test_image_grid_computes_a_shared_or_symmetric_range_and_one_colorbar():
    images = [np.full((3, 3), -0.5), np.full((3, 3), 2.0)]
    shared = plot.image_grid(images, value_range="shared")
    assert all(ax.images[0].get_clim() == (-0.5, 2.0) for ax in shared.get_axes())
    symmetric = plot.image_grid(images, cmap="RdBu_r", value_range="symmetric", colorbar="value")
    *cells, bar = symmetric.get_axes()
    assert all(ax.images[0].get_clim() == (-2.0, 2.0) for ax in cells), "0 in the middle of the colormap"
    assert bar.get_label() == "<colorbar>" and bar.get_ylabel() == "value"


def test_image_grid_rejects_a_colorbar_without_a_shared_range_and_unknown_ranges():
    with pytest.raises(ValueError, match="colorbar: needs a shared value_range"):
        plot.image_grid([np.zeros((3, 3))], colorbar="value")
    with pytest.raises(ValueError, match=r"value_range: expected a \(low, high\) pair.*got 'centred'"):
        plot.image_grid([np.zeros((3, 3))], value_range="centred")
    with pytest.raises(ValueError, match=r"got 'shared' for 0 single-channel images"):
        plot.image_grid([np.zeros((3, 3, 3))], value_range="shared")


def test_matrices_write_every_value():
    fig = plot.matrices([np.arange(4).reshape(2, 2), np.eye(3)], titles=["a", "b"])
    first, second = fig.get_axes()
    assert [t.get_text() for t in first.texts] == ["0", "1", "2", "3"]
    assert len(second.texts) == 9 and second.get_title() == "b"
    with pytest.raises(ValueError, match="titles: expected 2"):
        plot.matrices([np.eye(2), np.eye(2)], titles=["a"])
    with pytest.raises(ValueError, match=r"arrays: each must be 2-D"):
        plot.matrices([np.zeros(3)], titles=["a"])


def test_matrices_outline_the_windows_that_tile_an_array():
    fig = plot.matrices([np.zeros((5, 4)), np.zeros((2, 2))], titles=["map", "pooled"], windows=[2, None])
    with_borders, without = fig.get_axes()
    assert not without.lines
    rows = sorted({line.get_ydata()[0] for line in with_borders.lines if line.get_ydata()[0] == line.get_ydata()[1]})
    cols = sorted({line.get_xdata()[0] for line in with_borders.lines if line.get_xdata()[0] == line.get_xdata()[1]})
    assert rows == [-0.5, 1.5, 3.5] and cols == [-0.5, 1.5, 3.5], "cell edges every 2 cells; the 5th row is left out"
    vertical = [line for line in with_borders.lines if line.get_xdata()[0] == line.get_xdata()[1]]
    assert {max(line.get_ydata()) for line in vertical} == {3.5}, "no border runs into the 5th row"
    with pytest.raises(ValueError, match="windows: expected 2 entries"):
        plot.matrices([np.eye(2), np.eye(2)], titles=["a", "b"], windows=[2])
    with pytest.raises(ValueError, match=r"windows: expected a positive int.*got 0"):
        plot.matrices([np.eye(2)], titles=["a"], windows=[0])


def test_timing_bars_label_milliseconds():
    (ax,) = plot.timing_bars({"slow": 0.5, "fast": 0.002}).get_axes()
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["500 ms", "2 ms"]
    with pytest.raises(ValueError, match="seconds: expected at least one"):
        plot.timing_bars({})


def test_confusion_matrix_shows_row_percentages():
    counts = np.array([[8, 2], [0, 10]])
    (ax, _colorbar) = plot.confusion_matrix(counts, ["cat", "dog"]).get_axes()
    assert [t.get_text() for t in ax.texts] == ["80", "20", "0", "100"]  # every cell, the empty one too
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    with pytest.raises(ValueError, match=r"counts: expected a square \(3, 3\)"):
        plot.confusion_matrix(counts, ["a", "b", "c"])


def luminance(color) -> float:
    red, green, blue, _ = matplotlib.colors.to_rgba(color)
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_confusion_matrix_text_contrasts_with_its_cell():
    counts = np.array([[55, 45, 0], [30, 40, 30], [0, 1, 99]])  # shares around the middle of the colormap too
    (ax, _colorbar) = plot.confusion_matrix(counts, ["a", "b", "c"]).get_axes()
    image = ax.images[0]
    share = image.get_array()
    for text, value in zip(ax.texts, share.flat):
        contrast = abs(luminance(text.get_color()) - luminance(image.cmap(image.norm(value))))
        assert contrast >= 0.4, f"{text.get_text()} in {text.get_color()} on a cell of {value:.0f}%: hard to read"


def test_filters_draws_one_cell_per_output_channel():
    fig = plot.filters(np.random.default_rng(0).normal(size=(3, 3, 1, 5)))
    assert sum(bool(ax.images) for ax in fig.get_axes()) == 5
    with pytest.raises(ValueError, match=r"kernel: expected shape \(kh, kw, 1 or 3, C_out\)"):
        plot.filters(np.zeros((3, 3, 4, 2)))


def test_gray_filters_share_one_diverging_scale_centred_at_zero():
    kernel = np.zeros((3, 3, 1, 3))
    kernel[0, 0, 0, 0], kernel[1, 1, 0, 1] = 0.5, -2.0  # the largest weight is negative
    fig = plot.filters(kernel)
    images = [ax.images[0] for ax in fig.get_axes() if ax.images and ax.get_label() != "<colorbar>"]
    assert len(images) == 3 and all(image.get_clim() == (-2.0, 2.0) for image in images), "one scale, -m..m"
    cmap = images[0].cmap
    assert cmap(0.0)[:3] != cmap(1.0)[:3] and min(cmap(0.5)[:3]) > 0.9, "diverging: two hues, white at 0"
    assert any(ax.get_label() == "<colorbar>" for ax in fig.get_axes()), "a colorbar says what the colors mean"


def test_rgb_filters_show_zero_as_mid_gray():
    kernel = np.zeros((3, 3, 3, 2))
    kernel[0, 0, :, 0], kernel[2, 2, 0, 1] = 4.0, -1.0  # not symmetric: the zero is not halfway from min to max
    axes = [ax for ax in plot.filters(kernel).get_axes() if ax.images]
    first, second = (ax.images[0].get_array() for ax in axes)
    assert np.allclose(first[1, 1], 0.5) and np.allclose(first[0, 0], 1.0) and np.isclose(second[2, 2, 0], 0.375)


def test_feature_maps_one_row_per_layer():
    maps = {"conv": np.zeros((28, 28, 4)), "pool": np.zeros((14, 14, 16))}
    fig = plot.feature_maps(maps, channels=6)
    axes = fig.get_axes()
    assert len(axes) == 12 and axes[0].get_title(loc="left") == "conv 28x28x4"
    assert sum(bool(ax.images) for ax in axes[:6]) == 4  # only 4 channels in the first layer
    with pytest.raises(ValueError, match=r"maps\['x'\]: expected one image's activations"):
        plot.feature_maps({"x": np.zeros((1, 4, 4, 2))})


def test_cost_shares_show_percentages_per_layer():
    rows = [{"name": "conv", "params": 10, "macs": 900}, {"name": "pool", "params": 0, "macs": 0},
            {"name": "dense", "params": 90, "macs": 100}]  # fmt: skip
    params_ax, macs_ax = plot.cost_shares(rows).get_axes()
    assert [bar.get_width() for bar in params_ax.patches] == [10.0, 90.0]  # the free pool layer is left out
    assert [bar.get_width() for bar in macs_ax.patches] == [90.0, 10.0]
    with pytest.raises(ValueError, match="rows: expected at least one layer"):
        plot.cost_shares([{"name": "pool", "params": 0, "macs": 0}])


def test_top_k_labels_each_bar():
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    _, bars = plot.top_k(image, [("n1", "tabby", 0.8), ("n2", "tiger_cat", 0.15)], title="cat").get_axes()
    assert [t.get_text() for t in bars.get_yticklabels()] == ["tabby", "tiger_cat"]
    assert [t.get_text() for t in bars.texts] == ["80.0%", "15.0%"]
    with pytest.raises(ValueError, match="predictions: expected at least one"):
        plot.top_k(image, [])


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


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": np.zeros((0, 2, 2, 1))}, r"images: expected shape \(N, H, W, 1\) with N >= 1"),
        ({"ncols": 0}, "ncols: expected >= 1, got 0"),
    ],
)
def test_tile_names_bad_arguments(kwargs, message):
    kwargs.setdefault("images", np.zeros((2, 2, 2, 1)))
    with pytest.raises(ValueError, match=message):
        tile(**kwargs)


@pytest.mark.parametrize(
    "frames",
    [
        [np.zeros((4, 4), np.uint8), np.zeros((5, 4), np.uint8)],
        [np.zeros((4, 4), np.float32)],
        [np.zeros((4, 4, 3), np.uint8)],
    ],
)
def test_gif_refuses_frames_pillow_would_choke_on(frames, tmp_path):
    with pytest.raises(ValueError, match=r"frames: expected uint8 arrays \(H, W\), all of one shape"):
        save_gif(frames, tmp_path / "bad.gif")
    assert not (tmp_path / "bad.gif").exists()


def test_nearest_pairs_put_the_closest_samples_above_their_training_images():
    samples = np.stack([np.full((28, 28, 1), v, np.uint8) for v in (10, 20, 30)])
    train = np.stack([np.full((28, 28), v, np.uint8) for v in (200, 210, 220, 230)])
    fig = plot.nearest_pairs(samples, train, distances=np.array([3.0, 1.0, 2.0]), nearest=np.array([0, 3, 1]), count=2)
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["sample, d=1.0", "sample, d=2.0", "nearest training", "nearest training"]
    shown = [ax.get_images()[0].get_array()[0, 0] for ax in axes]
    assert shown == [20, 30, 230, 210], "each sample above its own nearest training image"
    with pytest.raises(ValueError, match="distances, nearest"):
        plot.nearest_pairs(samples, train, distances=np.zeros(2), nearest=np.zeros(3, int))


def test_accuracy_by_k_draws_each_strategys_means_on_a_log_axis():
    summary = {"scratch": {1: (0.5, 0.05), 20: (0.8, 0.01)}, "probe": {1: (0.6, 0.1), 20: (0.85, 0.02)}}
    ax = plot.accuracy_by_k(summary).get_axes()[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"scratch", "probe"}
    np.testing.assert_allclose(lines["probe"].get_ydata(), [0.6, 0.85])
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="summary"):
        plot.accuracy_by_k({"scratch": {}})


def test_overlays_stretch_each_map_over_its_image():
    images, maps = np.zeros((2, 28, 28)), np.random.default_rng(0).random((2, 7, 7))
    fig = plot.overlays(images, maps, titles=["a", "b"])
    for ax, cam in zip(fig.get_axes()[:2], maps):
        picture, overlay = ax.images
        assert overlay.get_extent() == [-0.5, 27.5, 27.5, -0.5]  # the 7x7 map covers the 28x28 image
        np.testing.assert_array_equal(overlay.get_array(), cam.astype(np.float32))
    with pytest.raises(ValueError, match="maps"):
        plot.overlays(images, maps[:1])


def test_deletion_curves_plot_the_mean_curve_and_name_the_area():
    curves = np.array([[1.0, 0.5, 0.0], [0.6, 0.3, 0.0]])
    ax = plot.deletion_curves({"grad_cam": curves}, {"grad_cam": 0.3}).get_axes()[0]
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0.8, 0.4, 0.0])
    np.testing.assert_allclose(line.get_xdata(), [0.0, 0.5, 1.0])
    assert "0.300" in line.get_label()
    with pytest.raises(ValueError, match="curves, areas"):
        plot.deletion_curves({"grad_cam": curves}, {"random": 0.5})
