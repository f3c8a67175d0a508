import numpy as np
import pytest

from helpers import transfer
from helpers.backbone_training import BackboneTraining
from helpers.environment import keras
from helpers.files import CorruptFileError

TINY = [4, 8, 8]  # channels per block: the shipped architecture, narrow


@pytest.fixture(scope="module")
def backbone():
    keras.utils.set_random_seed(0)
    return transfer.build_backbone(TINY)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 255, (30, 28, 28, 1)).astype(np.float32)


def labelled(n_per_class: int, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is which third of the picture is bright: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n_per_class)
    x = rng.uniform(0, 60, (len(labels), 28, 28, 1)).astype(np.float32)
    for i, label in enumerate(labels):
        x[i, :, label * 9 : label * 9 + 9] += 180
    return x, labels.astype(np.int32)


def test_the_backbone_cut_in_two_computes_the_backbone_and_training_the_top_leaves_it_alone(backbone, images):
    bottom, top = transfer.split_at(backbone)
    assert bottom.output_shape == (None, 7, 7, 8) and top.output_shape == backbone.output_shape == (None, 8)
    np.testing.assert_allclose(top(bottom(images)), backbone(images), atol=1e-5)
    before = [w.copy() for w in backbone.get_weights()]
    for variable in top.trainable_variables:
        variable.assign(variable + 1.0)
    assert all(np.array_equal(a, b) for a, b in zip(before, backbone.get_weights()))


def test_a_cut_at_a_layer_the_backbone_does_not_have_is_named(backbone):
    with pytest.raises(ValueError, match=r"layer_name: expected one of \[.*'block2_pool'.*\], got 'block9_pool'"):
        transfer.split_at(backbone, "block9_pool")


def test_selected_classes_are_relabelled_in_the_order_given():
    y = np.array([5, 0, 7, 5, 9, 7])
    x = np.arange(6) * 10
    kept, labels = transfer.select_classes(x, y, [7, 5])
    assert kept.tolist() == [0, 20, 30, 50] and labels.tolist() == [1, 0, 1, 0]
    with pytest.raises(ValueError, match="classes: expected distinct labels present in y"):
        transfer.select_classes(x, y, [5, 3])


def test_per_class_samples_hold_k_distinct_images_of_each_class_and_follow_the_seed():
    y = np.repeat(np.arange(4), 50)
    index = transfer.per_class_sample(y, 7, seed=3)
    assert len(set(index.tolist())) == 28 and np.bincount(y[index]).tolist() == [7] * 4
    assert np.array_equal(index, transfer.per_class_sample(y, 7, seed=3))
    assert not np.array_equal(np.sort(index), np.sort(transfer.per_class_sample(y, 7, seed=4)))
    with pytest.raises(ValueError, match=r"k: expected an int from 1 to 50 \(the smallest class\), got 51"):
        transfer.per_class_sample(y, 51)


def test_features_are_computed_once_then_read_back_and_a_changed_model_misses_the_cache(
    backbone, images, tmp_path, monkeypatch
):
    first = transfer.cached_features(backbone, images, tmp_path)
    np.testing.assert_allclose(first, transfer.extract_features(backbone, images), atol=1e-6)
    monkeypatch.setattr(transfer, "extract_features", lambda *_: pytest.fail("the cache was not used"))
    np.testing.assert_array_equal(transfer.cached_features(backbone, images, tmp_path), first)
    other = keras.models.clone_model(backbone)  # new random weights: must not read the first model's file
    with pytest.raises(pytest.fail.Exception, match="the cache was not used"):
        transfer.cached_features(other, images, tmp_path)


def test_a_corrupt_feature_cache_is_reported_with_the_fix(backbone, images, tmp_path):
    transfer.cached_features(backbone, images, tmp_path)
    (cached,) = tmp_path.iterdir()
    cached.write_bytes(cached.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match=f"{cached.name}: .*Delete it"):
        transfer.cached_features(backbone, images, tmp_path)


def test_images_of_the_wrong_shape_are_refused_before_the_backbone_sees_them(backbone):
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 28, 28, 1\), got \(5, 28, 28\)"):
        transfer.transfer_inputs(backbone, np.zeros((5, 28, 28)), np.zeros(5))


def test_each_strategy_takes_its_own_inputs_and_none_changes_the_backbone(backbone):
    x, y = labelled(4)
    inputs = transfer.transfer_inputs(backbone, x, y)
    assert inputs.maps.shape == (12, 7, 7, 8) and inputs.features.shape == (12, 8)
    before = [w.copy() for w in backbone.get_weights()]
    for strategy in transfer.STRATEGIES:
        model = transfer.train_strategy(strategy, backbone, inputs, steps=3)
        assert model.input_shape[1:] == inputs.for_strategy(strategy).shape[1:] and model.output_shape == (None, 3)
    assert all(np.array_equal(a, b) for a, b in zip(before, backbone.get_weights())), "the backbone was trained"
    with pytest.raises(ValueError, match=r"strategy: expected one of \('scratch', 'probe', 'top_block', 'all'\)"):
        inputs.for_strategy("frozen")


def test_fine_tuning_starts_from_the_backbone_and_from_scratch_does_not(backbone):
    tuned = transfer.build_transfer_model("all", backbone, 3).get_layer(backbone.name)
    fresh = transfer.build_transfer_model("scratch", backbone, 3).get_layer(backbone.name)
    kernel = backbone.get_layer("block2_conv").kernel.numpy()
    assert np.array_equal(tuned.get_layer("block2_conv").kernel.numpy(), kernel)
    assert not np.allclose(fresh.get_layer("block2_conv").kernel.numpy(), kernel)


def test_fine_tuning_keeps_the_pretrained_batch_statistics_while_the_convolutions_train(backbone):
    x, y = labelled(4)
    model = transfer.train_strategy("all", backbone, transfer.transfer_inputs(backbone, x, y), steps=5)
    tuned = model.get_layer(backbone.name)
    for name in ("block1_bn", "block3_bn"):
        for kept in ("moving_mean", "moving_variance", "gamma"):
            original = getattr(backbone.get_layer(name), kept).numpy()
            assert np.array_equal(getattr(tuned.get_layer(name), kept).numpy(), original), f"{name}.{kept} changed"
    kernel = backbone.get_layer("block1_conv").kernel.numpy()
    assert not np.array_equal(tuned.get_layer("block1_conv").kernel.numpy(), kernel), "the convolutions train"


def test_comparing_strategies_gives_every_strategy_the_same_images_and_learns_an_easy_task(backbone):
    x, y = labelled(20)
    pool, test = (
        transfer.transfer_inputs(backbone, x[::2], y[::2]),
        transfer.transfer_inputs(backbone, x[1::2], y[1::2]),
    )
    rows = transfer.compare_strategies(backbone, pool, test, ks=[2, 5], seeds=[0, 1], strategies=["scratch"], steps=100)
    assert [(r["k"], r["seed"]) for r in rows] == [(2, 0), (2, 1), (5, 0), (5, 1)]
    assert rows[-1]["train_accuracy"] == 1.0 and rows[-1]["test_accuracy"] > 0.8
    summary = transfer.summarize(rows)
    mean, spread = summary["scratch"][2]
    values = [r["test_accuracy"] for r in rows if r["k"] == 2]
    assert mean == pytest.approx(np.mean(values)) and spread == pytest.approx(np.std(values))


def test_backbone_training_refuses_labels_outside_its_classes():
    training = BackboneTraining(transfer.build_pretraining_model(TINY))
    with pytest.raises(ValueError, match=r"labels: expected \(N,\) ints in 0..4"):
        training.train((np.zeros((3, 28, 28, 1)), np.array([0, 1, 5])), steps=1)
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 28, 28, 1\)"):
        training.train((np.zeros((3, 28, 28)), np.array([0, 1, 2])), steps=1)
